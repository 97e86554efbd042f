"""Paired threads after a quiet week: Discord archived them and discord.py forgot them, and
still every action of the bot reaches them.

In a server too full for channels each pair has a private thread. Discord archives a thread idle
for its auto-archive duration, discord.py drops it from its cache (and a reconnect lists active
threads only), and "only active threads can be manipulated" (discord/discord-api-docs,
docs/topics/threads.md, "Active & Archived Threads"). Before the bot fetched and reopened such a
thread, each story here failed: the pause answered "paused" and locked nothing, a removed
student stayed in the thread, prompts and reminders were "undeliverable"…
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.i18n import t
from bot.limits import THREAD_MAX_AUTO_ARCHIVE_MINUTES
from bot.sandbox.driver import Sandbox, SandboxError, message_text
from bot.sandbox.state import Channel, ChannelType, Member
from tests.sandbox.safety_world import fill_guild, is_thread, pair_spaces, six_students, space_of
from tests.sandbox.sessions_helpers import (
    OCT,
    Exchange,
    compressed_time,
    schedule_confirmed,
    texts,
)
from tests.sandbox.world import World, make_world


@pytest.fixture
async def sb(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Sandbox]:
    # Weeks pass in these stories: the per-channel message window of a clock moving by weeks.
    async with compressed_time(tmp_path, request) as sandbox:
        yield sandbox


@pytest.fixture
async def world(sb: Sandbox) -> World:
    """Three pairs in private threads (the server is too full for channels)."""
    world = await make_world(sb)
    await six_students(world)
    await fill_guild(sb)
    reply = await sb.command(world.teacher, "pair confirm")
    assert "3 paired spaces" in reply.text, reply.text
    assert all(is_thread(space) for space in pair_spaces(sb))
    return world


def forgotten(sb: Sandbox, space: Channel) -> bool:
    """Whether discord.py no longer has the thread (as after Discord archived it)."""
    guild = sb.bot.get_guild(sb.guild.id)
    assert guild is not None
    return guild.get_channel_or_thread(space.id) is None


async def quiet_week(sb: Sandbox) -> None:
    """Eight days without a word: every pair's thread archives itself."""
    await sb.advance(days=8)
    for space in pair_spaces(sb):
        assert space.archived and not space.locked and forgotten(sb, space), space.name


async def test_paired_threads_ask_for_the_longest_auto_archive(world: World) -> None:
    """A week, not discord.py's default day: a pair quiet over a weekend keeps its thread."""
    sb = world.sb
    spaces = pair_spaces(sb)
    assert {s.auto_archive_duration for s in spaces} == {THREAD_MAX_AUTO_ARCHIVE_MINUTES}
    await sb.advance(days=6, hours=23)
    assert not any(s.archived for s in spaces)


async def test_a_pause_locks_a_thread_that_archived_itself(world: World) -> None:
    """The pause is a safety control: after a quiet week it must still shut the thread."""
    sb = world.sb
    ben = world.students["Ben"]
    space = space_of(sb, ben)
    await quiet_week(sb)
    await sb.command(world.teacher, "space pause", student=ben)
    assert space.locked
    with pytest.raises(SandboxError, match="locked"):
        await sb.say(ben, space, "anyone here?")
    notices = [m for m in sb.messages_in(space) if "paused" in message_text(m)]
    assert notices, "the pair is told why it cannot write"


async def test_reopening_a_paused_thread_that_archived_itself(world: World) -> None:
    """Paused, then quiet for a week (locked and archived): reopening lets the pair write."""
    sb = world.sb
    ben = world.students["Ben"]
    space = space_of(sb, ben)
    await sb.command(world.teacher, "space pause", student=ben)
    await sb.advance(days=8)
    assert space.archived and space.locked and forgotten(sb, space)
    await sb.command(world.teacher, "space reopen", student=ben)
    assert not space.archived and not space.locked
    await sb.say(ben, space, "back again")


async def test_a_removed_student_leaves_a_thread_that_archived_itself(world: World) -> None:
    """/roster remove says the student no longer sees the space: true after a quiet week."""
    sb = world.sb
    ben = world.students["Ben"]
    space = space_of(sb, ben)
    await quiet_week(sb)
    confirm = await sb.command(world.teacher, "roster remove", student=ben)
    await sb.click(world.teacher, confirm, t("roster.remove_yes", "en"))
    assert ben.user.id not in space.thread_members
    assert not sb.guild.can_view(ben.user.id, space.id)
    # Nobody from Minneapolis is left: the pair ended, its thread archived and locked.
    assert space.archived and space.locked


async def test_ending_a_pair_locks_its_thread_that_archived_itself(world: World) -> None:
    """/pair remove: the thread is archived and locked, so no member's message reopens it."""
    sb = world.sb
    ben = world.students["Ben"]
    space = space_of(sb, ben)
    await quiet_week(sb)
    await sb.command(world.teacher, "pair remove", student=ben)
    assert space.archived and space.locked
    with pytest.raises(SandboxError, match="locked"):
        await sb.say(ben, space, "still here?")


async def test_a_swap_moves_students_between_threads_that_archived_themselves(
    world: World,
) -> None:
    """Each student lands in the other's thread and is greeted there, only there."""
    sb = world.sb
    ben, maya = world.students["Ben"], world.students["Maya"]
    bens, mayas = space_of(sb, ben), space_of(sb, maya)
    await quiet_week(sb)
    await sb.command(world.teacher, "pair swap", first=ben, second=maya)
    assert space_of(sb, ben) is mayas and space_of(sb, maya) is bens
    assert greeted(sb, ben, mayas) and greeted(sb, maya, bens)
    assert not greeted(sb, ben, bens) and not greeted(sb, maya, mayas)


def greeted(sb: Sandbox, member: Member, space: Channel) -> bool:
    """Whether the newcomer's welcome (it pings only them) is in this space."""
    return any(
        m.content.startswith(f"<@{member.user.id}>") and "joins this space" in m.content
        for m in sb.messages_in(space)
    )


async def test_a_teachers_prompt_reaches_every_thread_that_archived_itself(world: World) -> None:
    """/prompt now: every pair gets the card; none counts as unreachable."""
    sb = world.sb
    await quiet_week(sb)
    await sb.command(world.teacher, "prompt now")
    for space in pair_spaces(sb):
        assert [m for m in sb.messages_in(space) if "🔖" in message_text(m)], space.name
        assert not space.archived


async def test_session_reminders_reach_threads_that_archived_themselves(world: World) -> None:
    """A session a month on: its reminders go to every pair's thread, weeks after the last
    word there (they used to be recorded as undeliverable: the space "is gone")."""
    sb = world.sb
    ex = Exchange(world, sb.add_channel("Exchange call", kind=ChannelType.VOICE))
    await sb.idle()
    await schedule_confirmed(ex)
    await quiet_week(sb)
    await sb.advance_to(OCT - timedelta(hours=23))
    for space in pair_spaces(sb):
        assert len(texts(sb, space, "🔔")) == 1, space.name


async def test_a_challenge_lapsing_while_the_bot_was_down_is_closed_in_its_thread(
    world: World,
) -> None:
    """Ben challenges his partner; the bot is down for eight days (the thread archives
    meanwhile, and the bot comes back without it). At start-up the lapsed challenge is closed
    where it was posted: its buttons go, as they would have on time."""
    sb = world.sb
    ben = world.students["Ben"]
    space = space_of(sb, ben)
    (partner,) = [m for m in world.students.values() if m is not ben and space_of(sb, m) is space]
    reply = await sb.command(
        ben, "chess challenge", where=space, opponent=partner, colour="white", time="2d"
    )
    assert "challenge" in reply.text.lower(), reply.text
    offer = sb.messages_in(space)[-1]
    assert offer.components, "the challenge has Accept and Decline"
    await sb.restart_bot(downtime=timedelta(days=8))
    assert not offer.components, "the lapsed challenge lost its buttons"
    assert not space.archived
