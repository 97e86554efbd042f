"""Queries for league seasons: their cities, entrants, rounds, matches and boards.

A board's games are ordinary `chess_games` rows; results are read from them, never copied.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.schema import (
    chess_boards,
    chess_matches,
    chess_rounds,
    chess_season_cities,
    chess_season_players,
    chess_seasons,
)


@dataclass(frozen=True, slots=True)
class SeasonRecord:
    id: int
    guild_id: int
    exchange_id: int
    time_kind: str
    base_seconds: int
    increment_seconds: int
    starts_on: date
    status: str
    created_at: datetime
    city_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class RoundRecord:
    id: int
    season_id: int
    number: int
    bye_city_id: int | None
    status: str
    channel_id: int | None
    started_at: datetime | None


@dataclass(frozen=True, slots=True)
class MatchRecord:
    id: int
    round_id: int
    home_city_id: int
    away_city_id: int
    home_fielded: bool | None
    away_fielded: bool | None


@dataclass(frozen=True, slots=True)
class BoardRecord:
    id: int
    match_id: int
    number: int
    home_id: int
    away_id: int
    first_game_id: int  # the home player has White
    second_game_id: int  # the away player has White

    @property
    def game_ids(self) -> tuple[int, int]:
        return self.first_game_id, self.second_game_id


async def _season(conn: AsyncConnection, row: Row[Any]) -> SeasonRecord:
    cities = await conn.scalars(
        select(chess_season_cities.c.city_id)
        .where(chess_season_cities.c.season_id == row.id)
        .order_by(chess_season_cities.c.city_id)
    )
    return SeasonRecord(
        id=row.id,
        guild_id=row.guild_id,
        exchange_id=row.partnership_id,
        time_kind=row.time_kind,
        base_seconds=row.base_seconds,
        increment_seconds=row.increment_seconds,
        starts_on=row.starts_on,
        status=row.status,
        created_at=row.created_at,
        city_ids=tuple(cities.all()),
    )


async def create_season(
    conn: AsyncConnection,
    *,
    guild_id: int,
    exchange_id: int,
    city_ids: Sequence[int],
    time_kind: str,
    base_seconds: int,
    increment_seconds: int,
    starts_on: date,
    created_by: int,
    now: datetime,
) -> int:
    result = await conn.execute(
        chess_seasons.insert().values(
            guild_id=guild_id,
            partnership_id=exchange_id,
            time_kind=time_kind,
            base_seconds=base_seconds,
            increment_seconds=increment_seconds,
            starts_on=starts_on,
            created_by=created_by,
            created_at=now,
        )
    )
    season_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    await conn.execute(
        chess_season_cities.insert(), [{"season_id": season_id, "city_id": c} for c in city_ids]
    )
    return season_id


async def add_round(
    conn: AsyncConnection,
    season_id: int,
    number: int,
    bye_city_id: int | None,
    matches: Sequence[tuple[int, int]],
) -> int:
    result = await conn.execute(
        chess_rounds.insert().values(season_id=season_id, number=number, bye_city_id=bye_city_id)
    )
    round_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    if matches:
        await conn.execute(
            chess_matches.insert(),
            [{"round_id": round_id, "home_city_id": h, "away_city_id": a} for h, a in matches],
        )
    return round_id


async def get_season(conn: AsyncConnection, season_id: int) -> SeasonRecord | None:
    row = (await conn.execute(select(chess_seasons).where(chess_seasons.c.id == season_id))).first()
    return await _season(conn, row) if row else None


async def seasons_of(conn: AsyncConnection, exchange_id: int) -> list[SeasonRecord]:
    """An exchange's seasons, newest first."""
    rows = (
        await conn.execute(
            select(chess_seasons)
            .where(chess_seasons.c.partnership_id == exchange_id)
            .order_by(chess_seasons.c.id.desc())
        )
    ).all()
    return [await _season(conn, row) for row in rows]


async def finish_season(conn: AsyncConnection, season_id: int, now: datetime) -> bool:
    changed = await conn.execute(
        update(chess_seasons)
        .where(chess_seasons.c.id == season_id, chess_seasons.c.status == "running")
        .values(status="finished", finished_at=now)
    )
    return bool(changed.rowcount)


async def add_player(
    conn: AsyncConnection, season_id: int, participant_id: int, now: datetime
) -> bool:
    """Enter a student; False if they already had."""
    found = await conn.scalar(
        select(chess_season_players.c.participant_id).where(
            chess_season_players.c.season_id == season_id,
            chess_season_players.c.participant_id == participant_id,
        )
    )
    if found is not None:
        return False
    await conn.execute(
        chess_season_players.insert().values(
            season_id=season_id, participant_id=participant_id, joined_at=now
        )
    )
    return True


async def player_ids(conn: AsyncConnection, season_id: int) -> list[int]:
    """The participants who entered, in the order they did."""
    rows = await conn.scalars(
        select(chess_season_players.c.participant_id)
        .where(chess_season_players.c.season_id == season_id)
        .order_by(chess_season_players.c.joined_at, chess_season_players.c.participant_id)
    )
    return list(rows.all())


def _round(row: Row[Any]) -> RoundRecord:
    return RoundRecord(
        row.id,
        row.season_id,
        row.number,
        row.bye_city_id,
        row.status,
        row.channel_id,
        row.started_at,
    )


async def rounds(conn: AsyncConnection, season_id: int) -> list[RoundRecord]:
    rows = (
        await conn.execute(
            select(chess_rounds)
            .where(chess_rounds.c.season_id == season_id)
            .order_by(chess_rounds.c.number)
        )
    ).all()
    return [_round(r) for r in rows]


async def start_round(conn: AsyncConnection, round_id: int, channel_id: int, now: datetime) -> bool:
    """Mark a waiting round started; False if someone started it first."""
    changed = await conn.execute(
        update(chess_rounds)
        .where(chess_rounds.c.id == round_id, chess_rounds.c.status == "waiting")
        .values(status="started", channel_id=channel_id, started_at=now)
    )
    return bool(changed.rowcount)


def _match(row: Row[Any]) -> MatchRecord:
    return MatchRecord(
        row.id,
        row.round_id,
        row.home_city_id,
        row.away_city_id,
        row.home_fielded,
        row.away_fielded,
    )


async def matches_of_round(conn: AsyncConnection, round_id: int) -> list[MatchRecord]:
    rows = (
        await conn.execute(
            select(chess_matches)
            .where(chess_matches.c.round_id == round_id)
            .order_by(chess_matches.c.id)
        )
    ).all()
    return [_match(r) for r in rows]


async def matches_of_season(conn: AsyncConnection, season_id: int) -> list[MatchRecord]:
    rows = (
        await conn.execute(
            select(chess_matches)
            .join(chess_rounds, chess_rounds.c.id == chess_matches.c.round_id)
            .where(chess_rounds.c.season_id == season_id)
            .order_by(chess_rounds.c.number, chess_matches.c.id)
        )
    ).all()
    return [_match(r) for r in rows]


async def get_match(conn: AsyncConnection, match_id: int) -> tuple[MatchRecord, RoundRecord] | None:
    row = (await conn.execute(select(chess_matches).where(chess_matches.c.id == match_id))).first()
    if row is None:
        return None
    found = (
        await conn.execute(select(chess_rounds).where(chess_rounds.c.id == row.round_id))
    ).one()
    return _match(row), _round(found)


async def set_fielded(conn: AsyncConnection, match_id: int, home: bool, away: bool) -> None:
    await conn.execute(
        update(chess_matches)
        .where(chess_matches.c.id == match_id)
        .values(home_fielded=home, away_fielded=away)
    )


async def add_board(
    conn: AsyncConnection,
    *,
    match_id: int,
    number: int,
    home_id: int,
    away_id: int,
    first_game_id: int,
    second_game_id: int,
) -> None:
    await conn.execute(
        chess_boards.insert().values(
            match_id=match_id,
            number=number,
            home_id=home_id,
            away_id=away_id,
            first_game_id=first_game_id,
            second_game_id=second_game_id,
        )
    )


async def boards_of(conn: AsyncConnection, match_ids: Sequence[int]) -> list[BoardRecord]:
    if not match_ids:
        return []
    rows = (
        await conn.execute(
            select(chess_boards)
            .where(chess_boards.c.match_id.in_(match_ids))
            .order_by(chess_boards.c.match_id, chess_boards.c.number)
        )
    ).all()
    return [
        BoardRecord(
            r.id, r.match_id, r.number, r.home_id, r.away_id, r.first_game_id, r.second_game_id
        )
        for r in rows
    ]
