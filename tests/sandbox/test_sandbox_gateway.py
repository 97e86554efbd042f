"""Gateway events about a channel reach the bot only where it can view that channel.

Source: discord/discord-api-docs, docs/topics/threads.md ("Clients will not be informed of a
thread through the gateway if they do not have permission to view that thread"; Guild Create's
`threads` are those "the current user is able to view") and docs/topics/permissions.md (View
Channel: without it a channel's messages are not read).
"""

from __future__ import annotations

import discord

from bot.sandbox.driver import Sandbox
from bot.sandbox.permissions import Overwrite, P


def _messages(sb: Sandbox) -> list[str]:
    """Names of the channels of every MESSAGE_CREATE the bot receives from now on."""
    seen: list[str] = []

    async def on_raw_message_edit(payload: discord.RawMessageUpdateEvent) -> None:
        seen.append(f"edit:{payload.channel_id}")

    async def on_message(message: discord.Message) -> None:
        seen.append(str(message.channel.id))

    sb.bot.add_listener(on_message)
    sb.bot.add_listener(on_raw_message_edit)
    return seen


async def test_messages_in_a_channel_hidden_from_the_bot_never_reach_it(sb: Sandbox) -> None:
    """A member writes in a channel the bot cannot view: no MESSAGE_CREATE for the bot."""
    teachers = sb.add_role("Teachers")
    teacher = sb.add_member("Ms Rivera", roles=[teachers])
    view = int(P.VIEW_CHANNEL)
    hidden = sb.add_channel("staff-room")
    hidden.overwrites = [Overwrite(sb.guild.id, 0, 0, view), Overwrite(teachers.id, 0, view, 0)]
    seen = _messages(sb)
    await sb.say(teacher, hidden, "not for bots")
    await sb.say(teacher, sb.general, "hello all")
    assert seen == [str(sb.general.id)]


async def test_a_private_thread_the_bot_cannot_see_sends_it_nothing(sb: Sandbox) -> None:
    """Without Manage Threads and outside the thread, the bot hears nothing of it."""
    student = sb.add_member("Ali")
    parent = sb.bot.get_channel(sb.general.id)
    assert isinstance(parent, discord.TextChannel)
    sb.typed("pair-1")  # the test's own name, sent through the bot's client
    thread = await parent.create_thread(name="pair-1", type=discord.ChannelType.private_thread)
    await thread.add_user(discord.Object(student.user.id))
    await thread.leave()
    sb.set_bot_permissions(int(P.VIEW_CHANNEL | P.SEND_MESSAGES | P.READ_MESSAGE_HISTORY))
    await sb.idle()
    seen = _messages(sb)
    await sb.say(student, sb.guild.channels[thread.id], "just us")
    assert seen == []
