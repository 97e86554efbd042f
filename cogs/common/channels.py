"""Text channels and threads by id, as Discord has them, not only as discord.py's cache does.

A thread idle for its auto-archive duration archives itself: Discord says so (THREAD_UPDATE)
and discord.py drops it from its cache; after a reconnect, a server's threads are its active
ones only (topics/threads.md). A paired thread after a quiet week is therefore missing from
`get_channel_or_thread`, and is found by fetching it. "Only active threads can be
manipulated": before the bot changes one (its members, its lock, a message in it), it is
unarchived. A new message needs no such step: sending in an archived thread that is not
locked reopens it, as a member's message does.
"""

from __future__ import annotations

import discord

Space = discord.TextChannel | discord.Thread


async def find_space(guild: discord.Guild, channel_id: int) -> Space | None:
    """A text channel or thread of this server, archived threads included; None when it is
    gone or hidden from the bot. Discord's 5xx is raised (a passing failure)."""
    found = guild.get_channel_or_thread(channel_id)
    if found is None:
        try:
            found = await guild.fetch_channel(channel_id)
        except (discord.NotFound, discord.Forbidden, discord.InvalidData):
            return None
    return found if isinstance(found, (discord.TextChannel, discord.Thread)) else None


async def reopened(space: Space) -> Space:
    """The space, unarchived first if it is an archived thread (the bot holds Manage Threads,
    so a locked one stays locked and is unarchived all the same)."""
    if isinstance(space, discord.Thread) and space.archived:
        return await space.edit(archived=False)
    return space


async def active_space(guild: discord.Guild, channel_id: int) -> Space | None:
    """`find_space`, unarchived so that it can be changed."""
    space = await find_space(guild, channel_id)
    return await reopened(space) if space is not None else None
