"""Renaming paired channels within Discord's limit: two name changes per channel per ten minutes.

An ended pair's channel is renamed `archived-…`. A third rename within ten minutes gets a 429
asking to wait up to ten minutes (discord/discord-api-docs, docs/topics/rate-limits.md, and
Discord's per-channel limit on name and topic changes), which discord.py sleeps out unless
`max_ratelimit_timeout` is set: an interaction would hang past the point it can be answered.
The bot renames a channel only once its pair is stored as archived, as a scheduled send that
waits as long as Discord asks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import RATE_LIMIT_PATIENCE
from bot.sandbox.driver import Sandbox
from bot.sandbox.permissions import Overwrite, P
from bot.store.schema import pairs, scheduled_sends
from tests.sandbox.rest import raw
from tests.sandbox.safety_world import pair_spaces, six_students, space_of
from tests.sandbox.world import World, make_world


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    """Three pairs, each in a private channel."""
    async with Sandbox.running(tmp_path) as sb:
        world = await make_world(sb)
        await six_students(world)
        reply = await sb.command(world.teacher, "pair confirm")
        assert "3 paired spaces" in reply.text, reply.text
        yield world


async def statuses(world: World) -> list[str]:
    async with world.sb.bot.ctx.db.read() as conn:
        return sorted((await conn.scalars(select(pairs.c.status))).all())


async def test_the_bot_gives_up_waiting_long_before_discord_would_make_it(world: World) -> None:
    """discord.py sleeps out a 429 only up to `max_ratelimit_timeout`; Twinbridge sets it."""
    assert world.sb.bot.http.max_ratelimit_timeout == RATE_LIMIT_PATIENCE


async def test_a_confirm_refused_then_retried_at_once_does_not_stall(world: World) -> None:
    """One old channel refuses the bot (an admin's overwrite): the first spaces, already made
    read-only, are opened again and nothing is stored. The admin fixes it and the teacher
    confirms again at once. Archive, undo and archive again used to be three renames of the
    same channels within ten minutes: the retry hung for ten minutes on Discord's 429."""
    sb = world.sb
    first = pair_spaces(sb)
    names = [space.name for space in first]
    denial = Overwrite(sb.bot_role.id, 0, 0, int(P.MANAGE_CHANNELS))
    first[-1].overwrites.append(denial)
    reply = await sb.command(world.teacher, "pair confirm")
    assert "Discord refused" in reply.text, reply.text
    assert [space.name for space in first] == names, "nothing was renamed"
    first[-1].overwrites.remove(denial)
    reply = await sb.command(world.teacher, "pair confirm")
    assert "3 paired spaces" in reply.text, reply.text
    assert all(space.name == f"archived-{name}" for space, name in zip(first, names, strict=True))
    assert await statuses(world) == ["active"] * 3 + ["archived"] * 3


async def test_a_rename_discord_holds_back_is_made_when_it_allows(world: World) -> None:
    """The bot renamed Ben's channel twice in the last minutes (say, by hand through the API):
    /pair remove still answers at once and makes the space read-only at once; the new name
    follows when Discord's ten minutes are over, after one 429 and no blind retry."""
    sb = world.sb
    ben = world.students["Ben"]
    space = space_of(sb, ben)
    name = space.name
    for label in ("renamed-once", name):
        assert (await raw(sb, "PATCH", f"/channels/{space.id}", {"name": label}))[0] == 200
    reply = await sb.command(world.teacher, "pair remove", student=ben)
    assert "Ben" in reply.text and not reply.text.startswith("Something went wrong"), reply.text
    assert not sb.guild.permissions_in(ben.user.id, space.id) & P.SEND_MESSAGES
    assert space.name == name and sb.invalid_requests == 1
    async with sb.bot.ctx.db.read() as conn:
        (label,) = await conn.execute(
            select(scheduled_sends.c.status, scheduled_sends.c.due_at).where(
                scheduled_sends.c.kind == "space.label"
            )
        )
    assert label.status == "pending" and label.due_at > sb.now() + timedelta(minutes=9)
    await sb.advance(minutes=9)
    assert space.name == name, "not before Discord allows it"
    await sb.advance(minutes=1, seconds=5)
    assert space.name == f"archived-{name}"
    assert sb.server.ratelimiter.invalid_total == 1, "the one 429, and no retry met another"
