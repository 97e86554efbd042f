"""Who sees which paired space, proved from the permissions the sandbox computes for each member.

Teachers of both cities and coordinators see (and may write in) every paired space; a student
sees only their own; nobody else sees any. Both for private channels and for private threads.
"""

from __future__ import annotations

import pytest

from bot.sandbox.driver import Sandbox
from bot.sandbox.permissions import P
from bot.sandbox.state import Channel, Member
from tests.sandbox.safety_world import fill_guild, is_thread, pair_spaces, six_students
from tests.sandbox.world import World, make_world


def can_write(sb: Sandbox, member: Member, space: Channel) -> bool:
    perms = sb.guild.permissions_in(member.user.id, space.id)
    needed = P.SEND_MESSAGES_IN_THREADS if is_thread(space) else P.SEND_MESSAGES
    return bool(perms & P.VIEW_CHANNEL and perms & needed)


async def paired(sb: Sandbox, mode: str) -> World:
    world = await make_world(sb)
    await six_students(world)
    if mode == "threads":
        await fill_guild(sb)
    await sb.command(world.teacher, "pair confirm")
    spaces = pair_spaces(sb)
    assert len(spaces) == 3
    assert all(is_thread(s) == (mode == "threads") for s in spaces)
    return world


@pytest.mark.parametrize("mode", ["channels", "threads"])
async def test_visibility_matrix(sb: Sandbox, mode: str) -> None:
    """Every member × every space: staff see and write everywhere, a student only in their own."""
    world = await paired(sb, mode)
    spaces = pair_spaces(sb)
    outsider = sb.add_member("Visitor")
    unpaired = sb.add_member("New Student", roles=[world.students_role])
    staff = {
        "Minneapolis teacher": world.teacher,
        "Najaf teacher": world.partner_teacher,
        "coordinator": world.coordinator,
    }
    others = {"outsider": outsider, "student of no pair": unpaired}
    seen: dict[str, list[bool]] = {}
    for name, member in {**world.students, **staff, **others}.items():
        seen[name] = [sb.guild.can_view(member.user.id, s.id) for s in spaces]
    for name in world.students:
        assert sum(seen[name]) == 1, f"{name} sees {seen[name]}"
    for name, member in staff.items():
        assert all(seen[name]), f"{name} sees {seen[name]}"
        assert all(can_write(sb, member, s) for s in spaces), name
    for name in others:
        assert not any(seen[name]), f"{name} sees {seen[name]}"
    # Each space holds exactly one pair: its two students and nobody else among students.
    for index, space in enumerate(spaces):
        members = [n for n in world.students if seen[n][index]]
        assert len(members) == 2, (space.name, members)
        assert all(can_write(sb, world.students[n], space) for n in members)
        cities = {n for n in members if n in ("Ali", "Zainab", "Omar")}
        assert len(cities) == 1, "one student from each city"


@pytest.mark.parametrize("mode", ["channels", "threads"])
async def test_students_never_see_the_teachers_channel(sb: Sandbox, mode: str) -> None:
    """Reports go to a channel no student can read, whatever the spaces are."""
    world = await paired(sb, mode)
    for member in world.students.values():
        assert world.teachers_channel not in sb.visible_channels(member)
    for member in (world.teacher, world.partner_teacher, world.coordinator):
        assert world.teachers_channel in sb.visible_channels(member)


async def test_students_cannot_open_threads_where_they_only_read(sb: Sandbox) -> None:
    """In the thread parent, students may not post or start threads of their own."""
    world = await paired(sb, "threads")
    parent = sb.guild.channels[pair_spaces(sb)[0].parent_id or 0]
    ben = world.students["Ben"].user.id
    perms = sb.guild.permissions_in(ben, parent.id)
    assert not perms & (P.SEND_MESSAGES | P.CREATE_PUBLIC_THREADS | P.CREATE_PRIVATE_THREADS)
