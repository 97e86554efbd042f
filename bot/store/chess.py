"""Queries for chess games, their moves, and each exchange's games-per-pair limit.

Every change to a game is a conditional update on its status (and, in play, on its ply), so
whoever changes a game second finds nothing to change instead of overwriting the first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.chess_game import GameStatus
from bot.store.schema import chess_clock_extensions, chess_games, chess_moves, chess_settings

OPEN = (GameStatus.OFFERED, GameStatus.ACTIVE)
DEFAULT_GAMES_PER_PAIR = 1


@dataclass(frozen=True, slots=True)
class GameRecord:
    """A stored game (participant ids for the players)."""

    id: int
    guild_id: int
    exchange_id: int
    white_id: int
    black_id: int
    challenger_id: int
    space_id: int
    status: GameStatus
    time_kind: str
    base_seconds: int
    increment_seconds: int
    ply: int
    draw_offer: str | None
    result: str | None
    termination: str | None
    deadline_at: datetime | None
    challenge_message_id: int | None
    board_message_id: int | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @property
    def players(self) -> tuple[int, int]:
        return self.white_id, self.black_id

    @property
    def opponent_of_challenger(self) -> int:
        return self.black_id if self.challenger_id == self.white_id else self.white_id


@dataclass(frozen=True, slots=True)
class MoveRecord:
    ply: int
    uci: str
    san: str
    played_by: int
    played_at: datetime


def _game(row: Row[Any]) -> GameRecord:
    return GameRecord(
        id=row.id,
        guild_id=row.guild_id,
        exchange_id=row.partnership_id,
        white_id=row.white_id,
        black_id=row.black_id,
        challenger_id=row.challenger_id,
        space_id=row.space_id,
        status=GameStatus(row.status),
        time_kind=row.time_kind,
        base_seconds=row.base_seconds,
        increment_seconds=row.increment_seconds,
        ply=row.ply,
        draw_offer=row.draw_offer,
        result=row.result,
        termination=row.termination,
        deadline_at=row.deadline_at,
        challenge_message_id=row.challenge_message_id,
        board_message_id=row.board_message_id,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )


async def create_game(
    conn: AsyncConnection,
    *,
    guild_id: int,
    exchange_id: int,
    white_id: int,
    black_id: int,
    challenger_id: int,
    space_id: int,
    time_kind: str,
    base_seconds: int,
    increment_seconds: int,
    expires_at: datetime,
    now: datetime,
) -> int:
    """Record a challenge (status offered); `expires_at` is when an unanswered one lapses."""
    result = await conn.execute(
        chess_games.insert().values(
            guild_id=guild_id,
            partnership_id=exchange_id,
            white_id=white_id,
            black_id=black_id,
            challenger_id=challenger_id,
            space_id=space_id,
            time_kind=time_kind,
            base_seconds=base_seconds,
            increment_seconds=increment_seconds,
            deadline_at=expires_at,
            created_at=now,
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


async def get_game(conn: AsyncConnection, game_id: int) -> GameRecord | None:
    row = (await conn.execute(select(chess_games).where(chess_games.c.id == game_id))).first()
    return _game(row) if row else None


async def moves(conn: AsyncConnection, game_id: int) -> list[MoveRecord]:
    """The game's moves in order."""
    rows = (
        await conn.execute(
            select(chess_moves).where(chess_moves.c.game_id == game_id).order_by(chess_moves.c.ply)
        )
    ).all()
    return [MoveRecord(r.ply, r.uci, r.san, r.played_by, r.played_at) for r in rows]


async def extensions(conn: AsyncConnection, game_id: int) -> dict[int, timedelta]:
    """Time added to the clock per position (ply) of a game after outages of the bot."""
    rows = await conn.execute(
        select(chess_clock_extensions.c.ply, func.sum(chess_clock_extensions.c.seconds))
        .where(chess_clock_extensions.c.game_id == game_id)
        .group_by(chess_clock_extensions.c.ply)
    )
    return {int(ply): timedelta(seconds=int(seconds)) for ply, seconds in rows}


async def extend_clock(
    conn: AsyncConnection,
    game_id: int,
    *,
    ply: int,
    was: datetime | None,
    deadline: datetime,
    seconds: int,
    now: datetime,
) -> bool:
    """Give the side to move in the position after `ply` `seconds` more, so that it now runs
    out at `deadline`; False (nothing written) if the game moved on or its deadline is no
    longer `was` (of two start-up paths noticing the same outage, exactly one extends it).
    """
    same_deadline = (
        chess_games.c.deadline_at.is_(None) if was is None else chess_games.c.deadline_at == was
    )
    changed = await conn.execute(
        update(chess_games)
        .where(
            chess_games.c.id == game_id,
            chess_games.c.status == GameStatus.ACTIVE,
            chess_games.c.ply == ply,
            same_deadline,
        )
        .values(deadline_at=deadline)
    )
    if not changed.rowcount:
        return False
    await conn.execute(
        chess_clock_extensions.insert().values(
            game_id=game_id, ply=ply, seconds=seconds, granted_at=now
        )
    )
    return True


async def open_between(conn: AsyncConnection, first: int, second: int) -> list[GameRecord]:
    """Offered or running games between two participants, either colour."""
    rows = (
        await conn.execute(
            select(chess_games)
            .where(
                chess_games.c.status.in_(OPEN),
                or_(
                    and_(chess_games.c.white_id == first, chess_games.c.black_id == second),
                    and_(chess_games.c.white_id == second, chess_games.c.black_id == first),
                ),
            )
            .order_by(chess_games.c.id)
        )
    ).all()
    return [_game(r) for r in rows]


async def count_between(
    conn: AsyncConnection, first: int, second: int, statuses: Sequence[GameStatus] = OPEN
) -> int:
    """How many games in these statuses two participants have, either colour."""
    found = await conn.scalar(
        select(func.count())
        .select_from(chess_games)
        .where(
            chess_games.c.status.in_(list(statuses)),
            or_(
                and_(chess_games.c.white_id == first, chess_games.c.black_id == second),
                and_(chess_games.c.white_id == second, chess_games.c.black_id == first),
            ),
        )
    )
    return int(found or 0)


async def games_of(
    conn: AsyncConnection,
    participant_ids: Sequence[int],
    statuses: Sequence[GameStatus] | None = None,
) -> list[GameRecord]:
    """Games any of these participants plays, newest first."""
    ids = list(participant_ids)
    query = select(chess_games).where(
        or_(chess_games.c.white_id.in_(ids), chess_games.c.black_id.in_(ids))
    )
    if statuses is not None:
        query = query.where(chess_games.c.status.in_(list(statuses)))
    rows = (await conn.execute(query.order_by(chess_games.c.id.desc()))).all()
    return [_game(r) for r in rows]


async def games_in(
    conn: AsyncConnection, exchange_id: int, statuses: Sequence[GameStatus] | None = None
) -> list[GameRecord]:
    """An exchange's games, newest first."""
    query = select(chess_games).where(chess_games.c.partnership_id == exchange_id)
    if statuses is not None:
        query = query.where(chess_games.c.status.in_(list(statuses)))
    rows = (await conn.execute(query.order_by(chess_games.c.id.desc()))).all()
    return [_game(r) for r in rows]


async def in_space(conn: AsyncConnection, space_id: int, status: GameStatus) -> list[GameRecord]:
    """The games of one channel or thread in this status, oldest first."""
    rows = (
        await conn.execute(
            select(chess_games)
            .where(chess_games.c.space_id == space_id, chess_games.c.status == status)
            .order_by(chess_games.c.id)
        )
    ).all()
    return [_game(r) for r in rows]


async def set_deadline(
    conn: AsyncConnection, game_id: int, ply: int, deadline: datetime | None
) -> None:
    """When the side to move in the position after `ply` runs out (None: the clock stopped)."""
    await conn.execute(
        update(chess_games)
        .where(
            chess_games.c.id == game_id,
            chess_games.c.ply == ply,
            chess_games.c.status == GameStatus.ACTIVE,
        )
        .values(deadline_at=deadline)
    )


async def finished(conn: AsyncConnection, exchange_id: int) -> list[GameRecord]:
    """An exchange's finished games in the order they ended (for standings)."""
    rows = (
        await conn.execute(
            select(chess_games)
            .where(
                chess_games.c.partnership_id == exchange_id,
                chess_games.c.status == GameStatus.FINISHED,
            )
            .order_by(chess_games.c.finished_at, chess_games.c.id)
        )
    ).all()
    return [_game(r) for r in rows]


async def overdue(conn: AsyncConnection, now: datetime) -> list[GameRecord]:
    """Challenges and games whose wait ended by `now` (for a sweep after downtime)."""
    rows = (
        await conn.execute(
            select(chess_games)
            .where(chess_games.c.status.in_(OPEN), chess_games.c.deadline_at <= now)
            .order_by(chess_games.c.deadline_at, chess_games.c.id)
        )
    ).all()
    return [_game(r) for r in rows]


async def start(conn: AsyncConnection, game_id: int, now: datetime, deadline: datetime) -> bool:
    """An offered game begins; False if it was no longer offered."""
    result = await conn.execute(
        update(chess_games)
        .where(chess_games.c.id == game_id, chess_games.c.status == GameStatus.OFFERED)
        .values(status=GameStatus.ACTIVE, started_at=now, deadline_at=deadline)
    )
    return bool(result.rowcount)


async def close_offer(
    conn: AsyncConnection, game_id: int, status: GameStatus, now: datetime
) -> bool:
    """An offered game is declined, withdrawn or expires; False if it was no longer offered."""
    result = await conn.execute(
        update(chess_games)
        .where(chess_games.c.id == game_id, chess_games.c.status == GameStatus.OFFERED)
        .values(status=status, finished_at=now, deadline_at=None)
    )
    return bool(result.rowcount)


async def record_move(
    conn: AsyncConnection,
    game_id: int,
    *,
    ply_before: int,
    uci: str,
    san: str,
    played_by: int,
    now: datetime,
    deadline: datetime | None,
    draw_offer: str | None,
    result: str | None = None,
    termination: str | None = None,
) -> bool:
    """Play the move after `ply_before`; False (nothing written) if the position moved on.

    The conditional update is the guard against a double submission; the (game, ply) primary
    key of the moves table is the second one.
    """
    values: dict[str, Any] = {
        "ply": ply_before + 1,
        "deadline_at": deadline,
        "draw_offer": draw_offer,
    }
    if result is not None:
        values.update(
            status=GameStatus.FINISHED, result=result, termination=termination, finished_at=now
        )
        values["deadline_at"] = None
    changed = await conn.execute(
        update(chess_games)
        .where(
            chess_games.c.id == game_id,
            chess_games.c.status == GameStatus.ACTIVE,
            chess_games.c.ply == ply_before,
        )
        .values(**values)
    )
    if not changed.rowcount:
        return False
    await conn.execute(
        chess_moves.insert().values(
            game_id=game_id,
            ply=ply_before + 1,
            uci=uci,
            san=san,
            played_by=played_by,
            played_at=now,
        )
    )
    return True


async def set_draw_offer(conn: AsyncConnection, game_id: int, ply: int, offer: str | None) -> bool:
    """Make or withdraw a draw offer in the position after `ply`."""
    result = await conn.execute(
        update(chess_games)
        .where(
            chess_games.c.id == game_id,
            chess_games.c.status == GameStatus.ACTIVE,
            chess_games.c.ply == ply,
        )
        .values(draw_offer=offer)
    )
    return bool(result.rowcount)


async def finish(
    conn: AsyncConnection,
    game_id: int,
    *,
    result: str,
    termination: str,
    now: datetime,
    ply: int | None = None,
) -> bool:
    """End a game in play (in the position after `ply` when given); False if already over."""
    where = [chess_games.c.id == game_id, chess_games.c.status == GameStatus.ACTIVE]
    if ply is not None:
        where.append(chess_games.c.ply == ply)
    changed = await conn.execute(
        update(chess_games)
        .where(*where)
        .values(
            status=GameStatus.FINISHED,
            result=result,
            termination=termination,
            finished_at=now,
            deadline_at=None,
            draw_offer=None,
        )
    )
    return bool(changed.rowcount)


async def set_board_message(conn: AsyncConnection, game_id: int, ply: int, message_id: int) -> None:
    """Remember the message showing the position after `ply` (unless the game moved on)."""
    await conn.execute(
        update(chess_games)
        .where(chess_games.c.id == game_id, chess_games.c.ply == ply)
        .values(board_message_id=message_id)
    )


async def set_challenge_message(conn: AsyncConnection, game_id: int, message_id: int) -> None:
    await conn.execute(
        update(chess_games)
        .where(chess_games.c.id == game_id)
        .values(challenge_message_id=message_id)
    )


async def games_per_pair(conn: AsyncConnection, exchange_id: int) -> int:
    """How many games two students may have going at once in this exchange."""
    found = await conn.scalar(
        select(chess_settings.c.games_per_pair).where(
            chess_settings.c.partnership_id == exchange_id
        )
    )
    return int(found) if found is not None else DEFAULT_GAMES_PER_PAIR


async def set_games_per_pair(
    conn: AsyncConnection, exchange_id: int, games: int, by: int, now: datetime
) -> None:
    exists = await conn.scalar(
        select(func.count())
        .select_from(chess_settings)
        .where(chess_settings.c.partnership_id == exchange_id)
    )
    if exists:
        await conn.execute(
            update(chess_settings)
            .where(chess_settings.c.partnership_id == exchange_id)
            .values(games_per_pair=games, updated_by=by, updated_at=now)
        )
    else:
        await conn.execute(
            chess_settings.insert().values(
                partnership_id=exchange_id, games_per_pair=games, updated_by=by, updated_at=now
            )
        )
