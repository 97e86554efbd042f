"""Chess at the Discord edge: few database round trips per move, and boards posted before the
restart-proof ids still working."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from discord.http import MultipartParameters
from sqlalchemy import event

from bot.sandbox.driver import Reply, Sandbox, iter_components
from bot.sandbox.ratelimit import Limits
from bot.sandbox.state import Message
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
from tests.sandbox.world import make_world

# A move's round trips: the mover's language, the game read and the move written in one
# connection, the new board's message id.
MOVE_ROUND_TRIPS = 3


@pytest.fixture
async def sb(tmp_path: Path) -> AsyncIterator[Sandbox]:
    async with Sandbox.running(tmp_path, limits=Limits(messages_window=0.05)) as sandbox:
        yield sandbox


@pytest.fixture
async def table(sb: Sandbox) -> Table:
    return await partners(await make_world(sb))


@contextmanager
def checkouts(sb: Sandbox) -> Iterator[list[int]]:
    """Every database connection the bot takes from its pool meanwhile (a `db.read()` or a
    `db.transaction()` each)."""
    taken: list[int] = []
    engine = sb.bot.ctx.db.engine.sync_engine

    def took(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        taken.append(id(dbapi_connection))

    event.listen(engine, "checkout", took)
    try:
        yield taken
    finally:
        event.remove(engine, "checkout", took)


def ids(message: Message | Reply) -> list[str]:
    source = message.message if isinstance(message, Reply) else message
    assert source is not None
    return [c["custom_id"] for c in iter_components(source.components) if "custom_id" in c]


# --- round trips ---------------------------------------------------------------------------------


@pytest.mark.parametrize("named", [False, True])
async def test_a_typed_move_takes_at_most_three_database_round_trips(
    table: Table, named: bool
) -> None:
    """/chess move, with or without the game named: read once, written once, board noted."""
    await start_game(table)
    await play(table, ["e4"])
    options: dict[str, Any] = {"game": 1} if named else {}
    with checkouts(table.sb) as taken:
        reply = await table.sb.command(
            table.ali, "chess move", where=table.space, move="e5", **options
        )
    assert "You played **e5**" in reply.text
    assert 0 < len(taken) <= MOVE_ROUND_TRIPS, f"{len(taken)} connections for one move"


async def test_a_picked_move_takes_at_most_three_database_round_trips(table: Table) -> None:
    """The picker's last choice plays the move within the same budget as a typed one."""
    await start_game(table)
    picker = await table.sb.click(table.ben, boards(table.sb, table.space)[-1], "Move")
    squares = await table.sb.choose(table.ben, picker, ["g1"])
    with checkouts(table.sb) as taken:
        done = await table.sb.choose(table.ben, squares, ["g1f3"])
    assert "You played **Nf3**" in done.text
    assert 0 < len(taken) <= MOVE_ROUND_TRIPS, f"{len(taken)} connections for one move"


async def test_a_mating_move_takes_at_most_three_database_round_trips(table: Table) -> None:
    """The move that ends the game records the ending in the same write."""
    await start_game(table)
    await play(table, ["e4", "e5", "Bc4", "Nc6", "Qh5", "Nf6"])
    with checkouts(table.sb) as taken:
        reply = await table.sb.command(table.ben, "chess move", where=table.space, move="Qxf7#")
    assert "Ben wins by checkmate" in reply.text
    assert 0 < len(taken) <= MOVE_ROUND_TRIPS, f"{len(taken)} connections for one move"


# --- ids posted before the restart-proof base ---------------------------------------------------


async def post_as_before(sb: Sandbox, table: Table, content: str, buttons: list[Any]) -> Message:
    """The bot posts a message whose buttons carry ids of the form the bot used before."""
    # The older version's words are the test's own, not text of this version's catalogue.
    sb.typed(content, *(b["label"] for b in buttons))
    row = {"type": 1, "components": [{"type": 2, "style": 2, **b} for b in buttons]}
    payload = {"content": content, "components": [row]}
    await sb.bot.http.send_message(
        table.space.id, params=MultipartParameters(payload=payload, multipart=None, files=None)
    )
    await sb.idle()
    return last_message(sb, table.space)


async def test_a_board_posted_with_an_old_move_id_still_opens_the_picker(table: Table) -> None:
    """A board from before the upgrade (`chess:move:1`) opens the same picker as a new board,
    and the move picked on it is played."""
    await start_game(table)
    new_board = boards(table.sb, table.space)[-1]
    assert "tb:chess.move:1" in ids(new_board)
    old_board = await post_as_before(
        table.sb,
        table,
        "Ben, your turn in game #1",
        [
            {"label": "Move", "custom_id": "chess:move:1"},
            {"label": "Resign", "custom_id": "chess:resign:1"},
        ],
    )
    from_new = await table.sb.click(table.ben, new_board, "Move")
    from_old = await table.sb.click(table.ben, old_board, "Move")
    assert from_old.ephemeral and from_old.text == from_new.text
    assert from_old.components == from_new.components
    squares = await table.sb.choose(table.ben, from_old, ["e2"])
    done = await table.sb.choose(table.ben, squares, ["e2e4"])
    assert "You played **e4**" in done.text
    assert await stored_moves(table.sb, 1) == ["e4"]


async def test_a_challenge_posted_with_an_old_accept_id_still_starts_the_game(
    table: Table,
) -> None:
    """`chess:accept:1` on a challenge from before the upgrade starts game #1."""
    await challenge(table, table.ben, table.ali)
    old_offer = await post_as_before(
        table.sb,
        table,
        "Ali, Ben challenges you",
        [{"label": "Accept", "custom_id": "chess:accept:1"}],
    )
    reply = await table.sb.click(table.ali, old_offer, "Accept")
    assert "Game #1 has started" in reply.text
    assert (await game_record(table.sb, 1)).status == "active"
    assert "tb:chess.move:1" in ids(boards(table.sb, table.space)[-1])
