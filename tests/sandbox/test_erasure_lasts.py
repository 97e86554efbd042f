"""An erasure lasts: nothing the student does afterwards brings their Discord id back into
Twinbridge's tables (events queued before it: tests/test_erasure_writer.py).

The story: Ben's family asks for his data to be erased while he is still paired.
"""

from __future__ import annotations

from bot.sandbox.driver import Sandbox
from bot.sandbox.permissions import Overwrite, P
from bot.sandbox.state import Member
from tests.sandbox.safety_world import search_store, six_students, space_of
from tests.sandbox.world import World, make_world


async def paired(sb: Sandbox) -> World:
    world = await make_world(sb)
    await six_students(world)
    await sb.command(world.teacher, "pair confirm")
    return world


async def erase(sb: Sandbox, world: World, student: Member) -> str:
    ask = await sb.command(world.coordinator, "privacy erase", student=student)
    assert ask.deferred, "the preview reads the whole log: it must acknowledge first"
    done = await sb.click(world.coordinator, ask, "Erase for good")
    assert "is erased" in done.text, done.text
    return done.text


async def test_an_erased_student_leaves_their_space_and_the_coordinator_is_told(
    sb: Sandbox,
) -> None:
    """Erasing Ben takes him out of his paired space, ends the pair he leaves, and says so."""
    world = await paired(sb)
    ben = world.students["Ben"]
    space = space_of(sb, ben)
    partner = next(
        m
        for n, m in world.students.items()
        if n != "Ben" and sb.guild.can_view(m.user.id, space.id)
    )
    ask = await sb.command(world.coordinator, "privacy erase", student=ben)
    assert "out of their paired space" in ask.text, ask.text
    told = await erase(sb, world, ben)
    assert f"no longer see their paired space: <#{space.id}>" in told
    assert "that pair ended and its space is read-only" in told
    assert not sb.guild.can_view(ben.user.id, space.id)
    assert not sb.guild.permissions_in(partner.user.id, space.id) & P.SEND_MESSAGES


async def test_nothing_written_after_the_erasure_is_stored_with_their_id(sb: Sandbox) -> None:
    """Even if an admin gives Ben his old space back, what he writes there stores nothing of him."""
    world = await paired(sb)
    ben = world.students["Ben"]
    space = space_of(sb, ben)
    await erase(sb, world, ben)
    # A server admin, not knowing, lets him into the channel again.
    allow = int(P.VIEW_CHANNEL | P.SEND_MESSAGES | P.READ_MESSAGE_HISTORY)
    space.overwrites.append(Overwrite(ben.user.id, 1, allow, 0))
    await sb.say(ben, space, "hello again")
    await sb.say(ben, world.announcements, "and here")
    assert await search_store(sb, ben.user.id) == []
