"""A paused space holds for chess too: no challenges, moves or draws, and the clocks stop.

When teachers pause a paired space, its students cannot write there; the bot must not post
boards, pings or reminders there for them either, and nobody may lose on time while they
cannot move. The clock of a game in a paused space stops at the pause and runs again from
where it stood when the space reopens.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.sandbox.driver import Sandbox
from bot.sandbox.ratelimit import Limits
from bot.sandbox.state import Message
from bot.store.schema import chess_games, scheduled_sends
from tests.sandbox.chess_helpers import (
    Table,
    boards,
    challenge,
    game_record,
    last_message,
    partners,
    play,
    start_game,
    stored_moves,
)
from tests.sandbox.world import World, make_world

PAUSED = "Your teachers have paused this space"


@pytest.fixture
async def sb(tmp_path: Path) -> AsyncIterator[Sandbox]:
    async with Sandbox.running(tmp_path, limits=Limits(messages_window=0.05)) as sandbox:
        yield sandbox


@pytest.fixture
async def world(sb: Sandbox) -> World:
    return await make_world(sb)


@pytest.fixture
async def table(world: World) -> Table:
    return await partners(world)


async def pause(table: Table) -> None:
    reply = await table.sb.command(table.world.teacher, "space pause", student=table.ben)
    assert "is paused" in reply.text, reply.text


async def reopen(table: Table) -> None:
    reply = await table.sb.command(table.world.teacher, "space reopen", student=table.ben)
    assert "open again" in reply.text, reply.text


def posted_since(table: Table, message: Message) -> list[Message]:
    return [m for m in table.sb.messages_in(table.space) if m.id > message.id]


async def count_games(sb: Sandbox) -> int:
    async with sb.bot.ctx.db.read() as conn:
        return int(await conn.scalar(select(func.count()).select_from(chess_games)) or 0)


async def pending_chess_sends(sb: Sandbox) -> list[str]:
    async with sb.bot.ctx.db.read() as conn:
        keys = await conn.scalars(
            select(scheduled_sends.c.key).where(
                scheduled_sends.c.status == "pending", scheduled_sends.c.key.like("chess:%")
            )
        )
    return list(keys.all())


def clock_field(message: Message) -> str:
    return str(next(f for f in message.embeds[0]["fields"] if f["name"] == "Clock")["value"])


async def test_no_challenge_in_a_paused_space(table: Table) -> None:
    """Ben cannot challenge Ali while their space is paused: told why, nothing posted."""
    await pause(table)
    notice = last_message(table.sb, table.space)
    reply = await challenge(table, table.ben, table.ali)
    assert reply.ephemeral and PAUSED in reply.text, reply.text
    assert await count_games(table.sb) == 0
    assert posted_since(table, notice) == []


async def test_a_challenge_made_before_the_pause_cannot_be_accepted(table: Table) -> None:
    """Ali presses Accept on a challenge made before the pause: refused, no board posted."""
    await challenge(table, table.ben, table.ali)
    offer = last_message(table.sb, table.space)
    await pause(table)
    notice = last_message(table.sb, table.space)
    reply = await table.sb.click(table.ali, offer, "Accept")
    assert PAUSED in reply.text, reply.text
    assert (await game_record(table.sb, 1)).status == "offered"
    assert posted_since(table, notice) == []


async def test_no_moves_draws_or_resignations_while_paused(table: Table) -> None:
    """Every way to change a game is refused with the reason, and the game is unchanged."""
    await start_game(table)
    await play(table, ["e4"])
    board = boards(table.sb, table.space)[-1]
    await pause(table)
    notice = last_message(table.sb, table.space)
    moved = await table.sb.command(table.ali, "chess move", where=table.space, move="e5")
    assert moved.ephemeral and PAUSED in moved.text, moved.text
    for label in ("Move", "Offer draw", "Resign"):
        pressed = await table.sb.click(table.ali, board, label)
        assert pressed.ephemeral and PAUSED in pressed.text, (label, pressed.text)
    for command in ("chess draw", "chess resign", "chess claim"):
        reply = await table.sb.command(table.ben, command, game=1)
        assert PAUSED in reply.text, (command, reply.text)
    assert await stored_moves(table.sb, 1) == ["e4"]
    assert (await game_record(table.sb, 1)).status == "active"
    assert posted_since(table, notice) == []


async def test_a_paused_game_is_not_lost_on_time_nor_reminded(table: Table) -> None:
    """Two days a move: Ben used one day, then a week of pause passes; no ping, no loss."""
    await start_game(table)
    await table.sb.advance(days=1)
    await pause(table)
    notice = last_message(table.sb, table.space)
    assert await pending_chess_sends(table.sb) == []
    await table.sb.advance(days=7)
    record = await game_record(table.sb, 1)
    assert record.status == "active" and record.deadline_at is None
    assert posted_since(table, notice) == []


async def test_the_clock_runs_again_from_where_it_stopped(table: Table) -> None:
    """Reopened after a week, Ben still has the day he had left: reminded 18 h later,
    lost on time a day later, not before."""
    await start_game(table)
    await table.sb.advance(days=1)
    await pause(table)
    await table.sb.advance(days=7)
    await reopen(table)
    record = await game_record(table.sb, 1)
    assert record.deadline_at == table.sb.now() + timedelta(days=1)
    reopened = last_message(table.sb, table.space)
    await table.sb.advance(hours=17)
    assert posted_since(table, reopened) == []
    await table.sb.advance(hours=2)
    reminder = posted_since(table, reopened)
    assert len(reminder) == 1 and reminder[0].mentions == [table.ben.user.id]
    assert (await game_record(table.sb, 1)).status == "active"
    await table.sb.advance(hours=4, minutes=30)
    assert (await game_record(table.sb, 1)).status == "active"
    await table.sb.advance(hours=1)
    record = await game_record(table.sb, 1)
    assert (record.result, record.termination) == ("0-1", "timeout")


async def test_a_live_clock_stops_while_paused(table: Table) -> None:
    """10+5: Ali thinks two minutes, the space is paused an hour; reopened she has 8:00."""
    await start_game(table, time="10+5")
    await play(table, ["e4"])
    await table.sb.advance(minutes=2)
    await pause(table)
    await table.sb.advance(hours=1)
    assert (await game_record(table.sb, 1)).status == "active"
    await reopen(table)
    seen = await table.sb.command(table.ali, "chess board", game=1)
    assert "⬛ Ali: 8:00" in clock_field(seen.messages[-1]), clock_field(seen.messages[-1])
    await play(table, ["e5"], first="ali")
    assert "⬛ Ali: 8:05" in clock_field(boards(table.sb, table.space)[-1])


async def test_a_restart_during_the_pause_ends_nothing(table: Table) -> None:
    """The bot is down for three days while the space is paused: at start-up the game is
    still on, and reopening gives Ben the day and a half he had."""
    await start_game(table)
    await table.sb.advance(hours=12)
    await pause(table)
    await table.sb.restart_bot(downtime=timedelta(days=3))
    assert (await game_record(table.sb, 1)).status == "active"
    await reopen(table)
    record = await game_record(table.sb, 1)
    assert record.deadline_at == table.sb.now() + timedelta(hours=36)


async def test_games_elsewhere_go_on(world: World) -> None:
    """Only the paused pair's games wait: another pair challenges in its own space."""
    sb = world.sb
    ben = await world.add_student("Ben", 0)
    maya = await world.add_student("Maya", 0)
    ali = await world.add_student("Ali", 1, languages=("en", "ar"))
    zainab = await world.add_student("Zainab", 1)
    await sb.command(world.teacher, "pair confirm")
    spaces = [c for c in sb.guild.channels.values() if c.name.startswith("pair-")]
    maya_space = next(c for c in spaces if sb.guild.can_view(maya.user.id, c.id))
    partner = next(m for m in (ali, zainab) if sb.guild.can_view(m.user.id, maya_space.id))
    await sb.command(world.teacher, "space pause", student=ben)
    reply = await sb.command(maya, "chess challenge", where=maya_space, opponent=partner, time="2d")
    assert PAUSED not in reply.text, reply.text
    assert await count_games(sb) == 1


async def test_a_paused_space_ended_by_a_new_round_lets_its_game_finish(table: Table) -> None:
    """The teachers pair again while the space is paused: the old space ends, the pause with
    it, and Ben's clock runs again from the day and a half he had left."""
    await start_game(table)
    await table.sb.advance(hours=12)
    await pause(table)
    await table.sb.advance(days=2)
    reply = await table.sb.command(table.world.teacher, "pair confirm")
    assert "1 earlier pair" in reply.text, reply.text
    record = await game_record(table.sb, 1)
    assert record.deadline_at == table.sb.now() + timedelta(hours=36)
    moved = await table.sb.command(table.ben, "chess move", game=1, move="e4")
    assert "You played" in moved.text, moved.text
