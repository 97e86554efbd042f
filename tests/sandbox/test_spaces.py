"""`/space pause|reopen`: teachers make a paired space read-only for its students, then reopen."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.sandbox.driver import Sandbox, SandboxError
from bot.sandbox.permissions import P
from bot.store.schema import activity, pairs
from tests.sandbox.safety_world import fill_guild, is_thread, six_students, space_of
from tests.sandbox.world import World, make_world


async def paired(sb: Sandbox, mode: str = "channels") -> World:
    world = await make_world(sb)
    await six_students(world)
    if mode == "threads":
        await fill_guild(sb)
    await sb.command(world.teacher, "pair confirm")
    return world


async def statuses(sb: Sandbox) -> list[str]:
    async with sb.bot.ctx.db.read() as conn:
        return sorted((await conn.scalars(select(pairs.c.status))).all())


@pytest.mark.parametrize("mode", ["channels", "threads"])
async def test_pausing_makes_the_space_read_only_for_its_students(sb: Sandbox, mode: str) -> None:
    """Paused: both students still see the space and its history but cannot write."""
    world = await paired(sb, mode)
    ben = world.students["Ben"]
    space = space_of(sb, ben)
    assert is_thread(space) == (mode == "threads")
    reply = await sb.command(world.teacher, "space pause", student=ben)
    assert reply.ephemeral and "is paused" in reply.text
    members = [m for m in world.students.values() if sb.guild.can_view(m.user.id, space.id)]
    assert len(members) == 2
    for member in members:
        assert space in sb.visible_channels(member)
        assert sb.guild.permissions_in(member.user.id, space.id) & P.READ_MESSAGE_HISTORY
        with pytest.raises(SandboxError):
            await sb.say(member, space, "can I still write?")
    assert "paused this space" in sb.messages_in(space)[-1].content
    assert await statuses(sb) == ["active", "active", "paused"]


@pytest.mark.parametrize("mode", ["channels", "threads"])
async def test_reopening_lets_the_pair_write_again(sb: Sandbox, mode: str) -> None:
    """Reopened: the same students write again; the other pairs were never touched."""
    world = await paired(sb, mode)
    ben = world.students["Ben"]
    space = space_of(sb, ben)
    await sb.command(world.teacher, "space pause", student=ben)
    reply = await sb.command(world.partner_teacher, "space reopen", student=ben)
    assert reply.ephemeral and "▶️" in reply.text
    await sb.say(ben, space, "Thanks, we're fine now.")
    assert "reopened this space" in [m for m in sb.messages_in(space) if m.author.bot][-1].content
    assert await statuses(sb) == ["active", "active", "active"]


async def test_pausing_inside_the_space_needs_no_option(sb: Sandbox) -> None:
    """A teacher running /space pause in a paired channel pauses that one."""
    world = await paired(sb)
    space = space_of(sb, world.students["Zainab"])
    reply = await sb.command(world.teacher, "space pause", where=space)
    assert "is paused" in reply.text
    assert not sb.guild.permissions_in(world.students["Zainab"].user.id, space.id) & (
        P.SEND_MESSAGES | P.ADD_REACTIONS | P.CREATE_PUBLIC_THREADS
    )
    # Teachers still write there, to talk with the pair.
    await sb.say(world.teacher, space, "Let's talk.")


async def test_pause_outside_a_space_says_how_to_use_it(sb: Sandbox) -> None:
    """In #general without a student the teacher is told to name one; nothing changes."""
    world = await paired(sb)
    reply = await sb.command(world.teacher, "space pause")
    assert "not a paired space" in reply.text
    assert await statuses(sb) == ["active", "active", "active"]


async def test_a_student_cannot_pause_a_space(sb: Sandbox) -> None:
    """Students are told only teachers can; the space stays open."""
    world = await paired(sb)
    ben = world.students["Ben"]
    reply = await sb.command(ben, "space pause", where=space_of(sb, ben))
    assert "Only teachers" in reply.text
    assert await statuses(sb) == ["active", "active", "active"]


async def test_pausing_twice_or_reopening_an_open_space_is_explained(sb: Sandbox) -> None:
    """A second pause and a reopen of an open space each get a clear answer."""
    world = await paired(sb)
    ben = world.students["Ben"]
    assert "not paused" in (await sb.command(world.teacher, "space reopen", student=ben)).text
    await sb.command(world.teacher, "space pause", student=ben)
    assert "already paused" in (await sb.command(world.teacher, "space pause", student=ben)).text
    async with sb.bot.ctx.db.read() as conn:
        logged = (
            await conn.scalars(select(activity.c.kind).where(activity.c.kind.like("safety.%")))
        ).all()
    assert logged == ["safety.space_paused"]


async def test_a_paused_pair_cannot_be_swapped(sb: Sandbox) -> None:
    """Nobody new walks into a space under review: the swap is refused until it reopens."""
    world = await paired(sb)
    ben, maya = world.students["Ben"], world.students["Maya"]
    before = space_of(sb, ben), space_of(sb, maya)
    await sb.command(world.teacher, "space pause", student=ben)
    reply = await sb.command(world.teacher, "pair swap", first=ben, second=maya)
    assert "Reopen it before swapping" in reply.text
    assert (space_of(sb, ben), space_of(sb, maya)) == before


async def test_a_new_round_archives_a_paused_space(sb: Sandbox) -> None:
    """Pairing again ends paused pairs too: their space stays read-only, archived."""
    world = await paired(sb)
    ben = world.students["Ben"]
    space = space_of(sb, ben)
    await sb.command(world.teacher, "space pause", student=ben)
    await sb.command(world.teacher, "pair confirm")
    assert space.name.startswith("archived-")
    assert not sb.guild.permissions_in(ben.user.id, space.id) & P.SEND_MESSAGES
    reply = await sb.command(world.teacher, "space reopen", where=space)
    assert "already read-only" in reply.text


async def test_pausing_has_a_generous_limit_per_teacher(sb: Sandbox) -> None:
    """Ten /space commands in ten minutes are fine; the eleventh says when. (A refused one,
    such as pausing a space already paused, spends nothing: test_races.)"""
    world = await paired(sb)
    ben = world.students["Ben"]
    for _ in range(5):
        paused = await sb.command(world.teacher, "space pause", student=ben)
        assert paused.text.strip().startswith("⏸️"), paused.text
        reopened = await sb.command(world.teacher, "space reopen", student=ben)
        assert reopened.text.strip().startswith("▶️"), reopened.text
    refused = await sb.command(world.teacher, "space pause", student=ben)
    assert "you can do it again <t:" in refused.text
    assert await statuses(sb) == ["active", "active", "active"]
    # Another teacher is not held back by the first one's clicks.
    paused = await sb.command(world.partner_teacher, "space pause", student=ben)
    assert paused.text.strip().startswith("⏸️"), paused.text
    await sb.advance(minutes=10)
    # Ten minutes later the first teacher is answered again (here: it is paused already).
    assert "already paused" in (await sb.command(world.teacher, "space pause", student=ben)).text
