"""Threads in the sandbox behave as Discord's: they archive themselves when idle, and an archived
thread can only be unarchived (or written to by a member, which reopens it).

Source for every test here: discord/discord-api-docs, docs/topics/threads.md ("Active & Archived
Threads", "Locked Threads", "Editing & Deleting Threads", "Gateway Events") unless a test names
another.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import discord
import pytest

from bot.sandbox.driver import Sandbox, SandboxError
from bot.sandbox.permissions import P
from bot.sandbox.state import Channel, Member
from tests.sandbox.rest import raw


async def _thread(sb: Sandbox, *members: Member) -> discord.Thread:
    """A private thread the bot makes in #general (discord.py's default: archive after a day)."""
    parent = sb.bot.get_channel(sb.general.id)
    assert isinstance(parent, discord.TextChannel)
    # The test's own words, sent through the bot's client: data to the pseudo-locale's check.
    sb.typed("pair-1", "pair-1-renamed", "welcome")
    thread = await parent.create_thread(name="pair-1", type=discord.ChannelType.private_thread)
    for member in members:
        await thread.add_user(discord.Object(member.user.id))
    await sb.idle()
    return thread


def _state(sb: Sandbox, thread: discord.Thread) -> Channel:
    return sb.guild.channels[thread.id]


def _thread_updates(sb: Sandbox) -> list[tuple[int, bool]]:
    """(thread id, archived) of every THREAD_UPDATE the bot receives from now on."""
    seen: list[tuple[int, bool]] = []

    async def on_raw_thread_update(payload: discord.RawThreadUpdateEvent) -> None:
        seen.append((payload.thread_id, bool(payload.data["thread_metadata"]["archived"])))

    sb.bot.add_listener(on_raw_thread_update)
    return seen


async def test_an_idle_thread_archives_after_its_auto_archive_duration(sb: Sandbox) -> None:
    """After `auto_archive_duration` (1440 minutes by default) without a message, Discord
    archives the thread and says so (THREAD_UPDATE); discord.py drops it from its cache."""
    thread = await _thread(sb)
    updates = _thread_updates(sb)
    assert _state(sb, thread).auto_archive_duration == 1440
    await sb.advance(hours=23, minutes=59)
    assert sb.bot.get_channel(thread.id) is not None and updates == []
    await sb.advance(minutes=2)
    assert _state(sb, thread).archived
    assert updates == [(thread.id, True)]
    guild = sb.bot.get_guild(sb.guild.id)
    assert guild is not None and guild.get_channel_or_thread(thread.id) is None


async def test_a_message_keeps_a_thread_active(sb: Sandbox) -> None:
    """Activity (a message) restarts the count: a thread spoken in daily never archives."""
    student = sb.add_member("Ali")
    thread = await _thread(sb, student)
    for _ in range(3):
        await sb.advance(hours=20)
        await sb.say(student, _state(sb, thread), "still here")
    assert not _state(sb, thread).archived


async def test_archived_threads_are_left_out_after_a_reconnect(sb: Sandbox) -> None:
    """Guild Create lists "all active threads": after a new session the bot does not know an
    archived thread until it fetches it (gateway-events.md, Guild Create)."""
    thread = await _thread(sb)
    await sb.advance(days=2)
    await sb.server.gateway.invalidate(resumable=False)
    await sb.wait_for(lambda: sb.server.gateway.identify_count == 2, "a new IDENTIFY", within=20)
    await sb.idle()
    guild = sb.bot.get_guild(sb.guild.id)
    assert guild is not None and guild.get_channel_or_thread(thread.id) is None
    fetched = await guild.fetch_channel(thread.id)
    assert isinstance(fetched, discord.Thread) and fetched.archived


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PATCH", "/channels/{thread}", {"locked": True}),
        ("PATCH", "/channels/{thread}", {"name": "renamed"}),
        ("PUT", "/channels/{thread}/thread-members/{user}", None),
        ("DELETE", "/channels/{thread}/thread-members/{user}", None),
        ("PATCH", "/channels/{thread}/messages/{message}", {"content": "edited"}),
    ],
    ids=["lock", "rename", "add-member", "remove-member", "edit-message"],
)
async def test_an_archived_thread_cannot_be_changed(
    sb: Sandbox, method: str, path: str, body: Any
) -> None:
    """ "Only active threads can be manipulated": a change to an archived thread other than
    unarchiving it is refused (400, 50083 Thread is archived)."""
    student = sb.add_member("Ali")
    thread = await _thread(sb, student)
    message = await thread.send("welcome")
    await sb.advance(days=2)
    assert _state(sb, thread).archived
    target = path.format(thread=thread.id, user=student.user.id, message=message.id)
    status, answer = await raw(sb, method, target, body)
    assert (status, answer["code"]) == (400, 50083)
    assert _state(sb, thread).archived and not _state(sb, thread).locked


async def test_unarchiving_first_lets_the_change_through(sb: Sandbox) -> None:
    """A PATCH with `archived: false` (and the change) works on an archived thread."""
    thread = await _thread(sb)
    await sb.advance(days=2)
    guild = sb.bot.get_guild(sb.guild.id)
    assert guild is not None
    fetched = await guild.fetch_channel(thread.id)
    assert isinstance(fetched, discord.Thread)
    await fetched.edit(archived=False, locked=True)
    state = _state(sb, thread)
    assert (state.archived, state.locked) == (False, True)


async def test_a_members_message_reopens_an_unlocked_archived_thread(sb: Sandbox) -> None:
    """ "Sending a message will automatically unarchive the thread, unless the thread has been
    locked": the bot is told (THREAD_UPDATE) and has the thread again."""
    student = sb.add_member("Ali")
    thread = await _thread(sb, student)
    await sb.advance(days=2)
    updates = _thread_updates(sb)
    await sb.say(student, _state(sb, thread), "hello again")
    assert not _state(sb, thread).archived
    assert updates == [(thread.id, False)]
    guild = sb.bot.get_guild(sb.guild.id)
    assert guild is not None and guild.get_channel_or_thread(thread.id) is not None


async def test_a_locked_archived_thread_stays_shut_to_members(sb: Sandbox) -> None:
    """A locked thread takes no member's message ("Locked Threads"), archived or not."""
    student = sb.add_member("Ali")
    thread = await _thread(sb, student)
    await thread.edit(locked=True)
    await sb.advance(days=2)
    with pytest.raises(SandboxError, match="locked"):
        await sb.say(student, _state(sb, thread), "let me in")
    assert _state(sb, thread).archived


async def test_locking_needs_manage_threads_even_for_the_creator(sb: Sandbox) -> None:
    """ "Editing a thread to change ... locked requires MANAGE_THREADS"; its creator may still
    rename it."""
    thread = await _thread(sb)
    sb.set_bot_permissions(
        int(
            P.VIEW_CHANNEL
            | P.SEND_MESSAGES
            | P.SEND_MESSAGES_IN_THREADS
            | P.READ_MESSAGE_HISTORY
            | P.CREATE_PRIVATE_THREADS
        )
    )
    await sb.idle()
    with pytest.raises(discord.Forbidden) as refused:
        await thread.edit(locked=True)
    assert refused.value.code == 50013
    await thread.edit(name="pair-1-renamed")
    assert _state(sb, thread).name == "pair-1-renamed" and not _state(sb, thread).locked


async def test_nobody_runs_a_command_in_an_archived_thread(sb: Sandbox) -> None:
    """ "Users cannot ... use application commands ... in archived threads": the driver, like
    Discord's client, refuses."""
    student = sb.add_member("Ali")
    thread = await _thread(sb, student)
    await sb.advance(days=2)
    with pytest.raises(SandboxError, match="archived thread"):
        await sb.command(student, "about", where=_state(sb, thread))


async def test_a_thread_archives_while_the_bot_is_down(sb: Sandbox) -> None:
    """Discord keeps time while the bot is away: after a day's downtime the thread is archived
    and the restarted bot does not have it."""
    thread = await _thread(sb)
    await sb.restart_bot(downtime=timedelta(days=1, minutes=1))
    assert _state(sb, thread).archived
    guild = sb.bot.get_guild(sb.guild.id)
    assert guild is not None and guild.get_channel_or_thread(thread.id) is None
