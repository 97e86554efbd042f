"""Paired spaces on a locked-down school server, and what happens when Discord says no.

Many school servers give @everyone only View Channels, Send Messages, Read Message History and
Use Application Commands. Discord lets a bot allow or deny in an overwrite only permissions it
holds itself, so everything the bot writes into an overwrite must come from its invite, not
from @everyone's defaults. When Discord still refuses, the database must not claim a change
the students' Discord does not show.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.sandbox.driver import INVITE_PERMISSIONS, Sandbox, SandboxError
from bot.sandbox.permissions import Overwrite, P
from bot.store.schema import pairing_rounds, pairs
from cogs.adapters.spaces import OVERWRITE_PERMISSIONS
from tests.sandbox.safety_world import fill_guild, is_thread, pair_spaces, six_students, space_of
from tests.sandbox.world import World, make_world

README = Path(__file__).resolve().parents[2] / "README.md"

# A school server's @everyone: see, write, read history, use commands. Nothing else.
LOCKED_DOWN = int(
    P.VIEW_CHANNEL | P.SEND_MESSAGES | P.READ_MESSAGE_HISTORY | P.USE_APPLICATION_COMMANDS
)
# What the README's invite granted before it named Add Reactions and Create Public Threads.
OLD_INVITE = INVITE_PERMISSIONS & ~int(P.ADD_REACTIONS | P.CREATE_PUBLIC_THREADS)


@pytest.fixture
async def school(tmp_path: Path) -> AsyncIterator[Sandbox]:
    """A server whose @everyone is locked down, the bot invited with the README's link."""
    async with Sandbox.running(tmp_path, everyone_permissions=LOCKED_DOWN) as sandbox:
        yield sandbox


@pytest.fixture
async def old_invite(tmp_path: Path) -> AsyncIterator[Sandbox]:
    """The same server, the bot invited with the permissions the README used to ask for."""
    async with Sandbox.running(
        tmp_path, everyone_permissions=LOCKED_DOWN, bot_permissions=OLD_INVITE
    ) as sandbox:
        yield sandbox


async def paired(sb: Sandbox, mode: str = "channels") -> World:
    world = await make_world(sb)
    await six_students(world)
    if mode == "threads":
        await fill_guild(sb)
    reply = await sb.command(world.teacher, "pair confirm")
    assert "3 paired spaces" in reply.text, reply.text
    return world


async def statuses(sb: Sandbox) -> list[str]:
    async with sb.bot.ctx.db.read() as conn:
        return sorted((await conn.scalars(select(pairs.c.status))).all())


def can_write(sb: Sandbox, world: World, name: str, space_id: int) -> bool:
    perms = sb.guild.permissions_in(world.students[name].user.id, space_id)
    channel = sb.guild.channels[space_id]
    needed = P.SEND_MESSAGES_IN_THREADS if channel.is_thread else P.SEND_MESSAGES
    return bool(perms & needed) and not (channel.is_thread and (channel.locked or channel.archived))


# -- the invite ---------------------------------------------------------------------------------


def test_the_invite_holds_every_permission_the_bot_sets_in_an_overwrite() -> None:
    """Everything the paired spaces allow or deny is in the invite the README and sandbox use."""
    assert OVERWRITE_PERMISSIONS & P.ADD_REACTIONS and OVERWRITE_PERMISSIONS & P.VIEW_CHANNEL
    assert OVERWRITE_PERMISSIONS & ~INVITE_PERMISSIONS == 0, P(
        OVERWRITE_PERMISSIONS & ~INVITE_PERMISSIONS
    )


def test_the_readme_link_and_integer_are_the_invite() -> None:
    """The README's permissions integer and its link both say exactly INVITE_PERMISSIONS."""
    text = README.read_text("utf-8")
    section = text[text.index("**Invite it**") : text.index("4. **Configure.**")]
    integers = {int(n) for n in re.findall(r"`(\d{6,})`", section)}
    linked = {int(n) for n in re.findall(r"permissions=(\d+)", section)}
    assert integers == linked == {INVITE_PERMISSIONS}
    for name in ("Add Reactions", "Create Public Threads"):
        assert name in section


# -- a locked-down server -----------------------------------------------------------------------


async def test_pair_remove_on_a_locked_down_server_makes_the_space_read_only(
    school: Sandbox,
) -> None:
    """/pair remove works where @everyone has no reactions or threads: archived, read-only."""
    sb = school
    world = await paired(sb)
    space = space_of(sb, world.students["Ben"])
    reply = await sb.command(world.teacher, "pair remove", student=world.students["Ben"])
    assert "read-only" in reply.text, reply.text
    assert space.name.startswith("archived-")
    assert not can_write(sb, world, "Ben", space.id)
    assert sb.guild.permissions_in(world.students["Ben"].user.id, space.id) & P.READ_MESSAGE_HISTORY
    assert await statuses(sb) == ["active", "active", "archived"]


async def test_a_second_round_on_a_locked_down_server_archives_the_first(school: Sandbox) -> None:
    """/pair confirm again: three new spaces open, the three old ones are read-only."""
    sb = school
    world = await paired(sb)
    first = pair_spaces(sb)
    reply = await sb.command(world.teacher, "pair confirm")
    assert "3 earlier pairs archived" in reply.text, reply.text
    for old in first:
        assert old.name.startswith("archived-")
        assert not any(can_write(sb, world, n, old.id) for n in world.students)
    assert await statuses(sb) == ["active"] * 3 + ["archived"] * 3


@pytest.mark.parametrize("mode", ["channels", "threads"])
async def test_pause_and_reopen_on_a_locked_down_server(school: Sandbox, mode: str) -> None:
    """A teacher pauses and reopens a space (channel or thread) on a locked-down server."""
    sb = school
    world = await paired(sb, mode)
    space = space_of(sb, world.students["Ben"])
    assert is_thread(space) == (mode == "threads")
    reply = await sb.command(world.teacher, "space pause", student=world.students["Ben"])
    assert "is paused" in reply.text, reply.text
    assert not can_write(sb, world, "Ben", space.id)
    reply = await sb.command(world.teacher, "space reopen", student=world.students["Ben"])
    assert "open again" in reply.text, reply.text
    await sb.say(world.students["Ben"], space, "We can talk again.")


async def test_threads_on_a_locked_down_server_can_be_removed(school: Sandbox) -> None:
    """A full server gets private threads; /pair remove locks one; students cannot open threads."""
    sb = school
    world = await paired(sb, "threads")
    space = space_of(sb, world.students["Ben"])
    parent = sb.guild.channels[space.parent_id or 0]
    ben = world.students["Ben"].user.id
    assert not sb.guild.permissions_in(ben, parent.id) & (
        P.SEND_MESSAGES | P.CREATE_PUBLIC_THREADS | P.CREATE_PRIVATE_THREADS
    )
    await sb.command(world.teacher, "pair remove", student=world.students["Ben"])
    assert space.locked and space.archived
    assert await statuses(sb) == ["active", "active", "archived"]


# -- when the bot lacks a permission ------------------------------------------------------------


async def test_missing_permissions_are_named_before_anything_changes(old_invite: Sandbox) -> None:
    """Invited without Add Reactions and Create Public Threads, the bot names both and
    /pair confirm creates nothing."""
    sb = old_invite
    world = await make_world(sb)
    await six_students(world)
    reply = await sb.command(world.teacher, "pair confirm")
    assert "Add Reactions" in reply.text and "Create Public Threads" in reply.text, reply.text
    assert pair_spaces(sb) == []
    async with sb.bot.ctx.db.read() as conn:
        assert await conn.scalar(select(func.count()).select_from(pairing_rounds)) == 0


async def test_pair_remove_without_the_permission_changes_nothing(old_invite: Sandbox) -> None:
    """If the bot lost a permission after pairing, /pair remove says which; the pair stays
    active in the database and in Discord."""
    sb = old_invite
    sb.set_bot_permissions(INVITE_PERMISSIONS)
    world = await paired(sb)
    sb.set_bot_permissions(OLD_INVITE)
    await sb.idle()
    space = space_of(sb, world.students["Ben"])
    reply = await sb.command(world.teacher, "pair remove", student=world.students["Ben"])
    assert "Add Reactions" in reply.text, reply.text
    assert await statuses(sb) == ["active"] * 3
    assert not space.name.startswith("archived-")
    await sb.say(world.students["Ben"], space, "Still here.")


async def test_a_refused_archive_leaves_the_pair_active(school: Sandbox) -> None:
    """Discord refuses to edit one channel (an admin denied the bot there): /pair remove says
    so, and the database still says active, as Discord does."""
    sb = school
    world = await paired(sb)
    space = space_of(sb, world.students["Ben"])
    # A server admin takes Manage Channels from the bot's role in that one channel.
    space.overwrites.append(Overwrite(sb.bot_role.id, 0, 0, int(P.MANAGE_CHANNELS)))
    reply = await sb.command(world.teacher, "pair remove", student=world.students["Ben"])
    assert "Discord refused" in reply.text, reply.text
    assert await statuses(sb) == ["active"] * 3
    await sb.say(world.students["Ben"], space, "Still writable, still active.")


async def test_a_refused_archive_during_confirm_undoes_the_new_round(school: Sandbox) -> None:
    """If one old space cannot be archived, the new round's spaces are removed, the old ones
    already archived are opened again, and no round is recorded."""
    sb = school
    world = await paired(sb)
    first = pair_spaces(sb)
    first[-1].overwrites.append(Overwrite(sb.bot_role.id, 0, 0, int(P.MANAGE_CHANNELS)))
    reply = await sb.command(world.teacher, "pair confirm")
    assert "Discord refused" in reply.text, reply.text
    assert pair_spaces(sb) == first
    for space in first:
        assert not space.name.startswith("archived-")
    async with sb.bot.ctx.db.read() as conn:
        assert await conn.scalar(select(func.count()).select_from(pairing_rounds)) == 1
    assert await statuses(sb) == ["active"] * 3
    for name, member in world.students.items():
        await sb.say(member, space_of(sb, member), f"{name} still writes")


async def test_a_paused_thread_is_locked_not_hidden(school: Sandbox) -> None:
    """Pausing a thread locks it as Discord documents (Manage Threads holders only may write):
    the students still have it in their list and cannot write; a teacher can."""
    sb = school
    world = await paired(sb, "threads")
    ben = world.students["Ben"]
    space = space_of(sb, ben)
    await sb.command(world.teacher, "space pause", student=ben)
    assert space.locked and not space.archived
    assert space in sb.visible_channels(ben)
    with pytest.raises(SandboxError, match="locked"):
        await sb.say(ben, space, "still here?")
    await sb.say(world.teacher, space, "I'm looking into it.")
    assert space.locked
