"""Queries for guild settings, exchanges (partnerships), their cities and spaces."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.exchange import City, Exchange, PairingPolicy
from bot.store.schema import (
    chess_games,
    chess_season_cities,
    chess_seasons,
    cities,
    exchange_spaces,
    guild_settings,
    pair_members,
    pairs,
    participants,
    partnerships,
)


async def ensure_guild(conn: AsyncConnection, guild_id: int, now: datetime) -> None:
    """Create the guild's settings row if it is missing."""
    found = await conn.scalar(
        select(guild_settings.c.guild_id).where(guild_settings.c.guild_id == guild_id)
    )
    if found is None:
        await conn.execute(guild_settings.insert().values(guild_id=guild_id, created_at=now))


async def role_ids(conn: AsyncConnection, guild_id: int) -> dict[str, int | None]:
    """The Discord role chosen for students, teachers and coordinators."""
    row = (
        await conn.execute(select(guild_settings).where(guild_settings.c.guild_id == guild_id))
    ).first()
    if row is None:
        return {"student": None, "teacher": None, "coordinator": None}
    return {
        "student": row.student_role_id,
        "teacher": row.teacher_role_id,
        "coordinator": row.coordinator_role_id,
    }


async def set_role_ids(
    conn: AsyncConnection, guild_id: int, now: datetime, **roles: int | None
) -> None:
    await ensure_guild(conn, guild_id, now)
    values = {f"{name}_role_id": value for name, value in roles.items()}
    await conn.execute(
        update(guild_settings).where(guild_settings.c.guild_id == guild_id).values(**values)
    )


async def create_exchange(
    conn: AsyncConnection,
    *,
    guild_id: int,
    name: str,
    sides: list[tuple[str, str, tuple[str, ...], frozenset[int]]],
    now: datetime,
    regions: Sequence[str | None] = (None, None),
) -> int:
    """Insert an exchange and its two cities; returns the exchange id."""
    await ensure_guild(conn, guild_id, now)
    result = await conn.execute(
        partnerships.insert().values(guild_id=guild_id, name=name, created_at=now)
    )
    exchange_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    for position, (city, zone, languages, weekend) in enumerate(sides):
        await conn.execute(
            cities.insert().values(
                partnership_id=exchange_id,
                position=position,
                name=city,
                timezone=zone,
                languages=",".join(languages),
                weekend_days=",".join(str(d) for d in sorted(weekend)),
                holiday_region=regions[position],
            )
        )
    await conn.execute(exchange_spaces.insert().values(partnership_id=exchange_id))
    return exchange_id


def _exchange(row: Row[Any], city_rows: Sequence[Row[Any]]) -> Exchange:
    made = tuple(
        City(
            id=c.id,
            position=c.position,
            name=c.name,
            timezone=c.timezone,
            languages=tuple(x for x in c.languages.split(",") if x),
            weekend_days=frozenset(int(d) for d in c.weekend_days.split(",") if d),
            holiday_region=c.holiday_region,
        )
        for c in sorted(city_rows, key=lambda c: c.position)
    )
    assert len(made) >= 2
    return Exchange(
        id=row.id,
        guild_id=row.guild_id,
        name=row.name,
        cities=made,
        pairing_policy=PairingPolicy(row.pairing_policy),
        hub_city_id=row.hub_city_id,
    )


async def set_holiday_region(conn: AsyncConnection, city_id: int, region: str | None) -> None:
    """A city's public-holiday region ("US-MN"); None: the country of its time zone."""
    await conn.execute(update(cities).where(cities.c.id == city_id).values(holiday_region=region))


async def add_city(
    conn: AsyncConnection,
    exchange_id: int,
    *,
    name: str,
    zone: str,
    languages: tuple[str, ...],
    weekend: frozenset[int],
    region: str | None,
) -> int:
    """Add a city after the exchange's others (the next position); returns its id."""
    last = await conn.scalar(
        select(func.max(cities.c.position)).where(cities.c.partnership_id == exchange_id)
    )
    result = await conn.execute(
        cities.insert().values(
            partnership_id=exchange_id,
            position=(-1 if last is None else int(last)) + 1,
            name=name,
            timezone=zone,
            languages=",".join(languages),
            weekend_days=",".join(str(d) for d in sorted(weekend)),
            holiday_region=region,
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


async def update_city(
    conn: AsyncConnection,
    city_id: int,
    *,
    name: str | None = None,
    zone: str | None = None,
    languages: tuple[str, ...] | None = None,
    weekend: frozenset[int] | None = None,
) -> None:
    """Change what is given of a city; None leaves a value as it is."""
    values: dict[str, Any] = {}
    if name is not None:
        values["name"] = name
    if zone is not None:
        values["timezone"] = zone
    if languages is not None:
        values["languages"] = ",".join(languages)
    if weekend is not None:
        values["weekend_days"] = ",".join(str(d) for d in sorted(weekend))
    if values:
        await conn.execute(update(cities).where(cities.c.id == city_id).values(**values))


async def remove_city(conn: AsyncConnection, city_id: int) -> None:
    """Delete a city (its school breaks, drafts and city links go with it)."""
    await conn.execute(delete(cities).where(cities.c.id == city_id))


@dataclass(frozen=True, slots=True)
class CityUse:
    """What still belongs to a city: what must go before it can be removed."""

    people: int  # on the roster (active or paused), any role
    live_pairs: int  # active or paused pairs with a member of the city
    open_games: int  # chess games offered or in play with a player of the city
    running_seasons: int = 0  # chess league seasons still running with the city in them


async def city_use(conn: AsyncConnection, city_id: int) -> CityUse:
    """How many people, live pairs and open chess games a city still has."""
    members = select(participants.c.id).where(participants.c.city_id == city_id)
    people = await conn.scalar(
        select(func.count())
        .select_from(participants)
        .where(participants.c.city_id == city_id, participants.c.status.in_(("active", "paused")))
    )
    live = await conn.scalar(
        select(func.count(func.distinct(pairs.c.id)))
        .select_from(pairs.join(pair_members, pair_members.c.pair_id == pairs.c.id))
        .where(
            pairs.c.status.in_(("active", "paused")),
            pair_members.c.left_at.is_(None),
            pair_members.c.participant_id.in_(members),
        )
    )
    games = await conn.scalar(
        select(func.count())
        .select_from(chess_games)
        .where(
            chess_games.c.status.in_(("offered", "active")),
            or_(chess_games.c.white_id.in_(members), chess_games.c.black_id.in_(members)),
        )
    )
    seasons = await conn.scalar(
        select(func.count())
        .select_from(
            chess_season_cities.join(
                chess_seasons, chess_seasons.c.id == chess_season_cities.c.season_id
            )
        )
        .where(chess_season_cities.c.city_id == city_id, chess_seasons.c.status == "running")
    )
    return CityUse(int(people or 0), int(live or 0), int(games or 0), int(seasons or 0))


async def set_policy(
    conn: AsyncConnection, exchange_id: int, policy: str, hub_city_id: int | None
) -> None:
    """How the exchange pairs its cities ('hub' around `hub_city_id`, or 'any')."""
    await conn.execute(
        update(partnerships)
        .where(partnerships.c.id == exchange_id)
        .values(pairing_policy=policy, hub_city_id=hub_city_id)
    )


async def exchanges_in(
    conn: AsyncConnection, guild_id: int | None, *, with_ended: bool = False
) -> list[Exchange]:
    """The guild's active exchanges (every guild's when None; ended ones too if asked)."""
    query = select(partnerships).order_by(partnerships.c.id)
    if guild_id is not None:
        query = query.where(partnerships.c.guild_id == guild_id)
    if not with_ended:
        query = query.where(partnerships.c.status == "active")
    rows = (await conn.execute(query)).all()
    if not rows:
        return []
    city_rows = (
        await conn.execute(select(cities).where(cities.c.partnership_id.in_([r.id for r in rows])))
    ).all()
    # Grouped once: every exchange scanning every city was quadratic (2,000 exchanges at a
    # start-up took seconds of CPU).
    by_exchange: dict[int, list[Row[Any]]] = {}
    for city in city_rows:
        by_exchange.setdefault(city.partnership_id, []).append(city)
    return [_exchange(r, by_exchange.get(r.id, [])) for r in rows]


async def get_exchange(
    conn: AsyncConnection, guild_id: int, exchange_id: int, *, with_ended: bool = False
) -> Exchange | None:
    """One active exchange of this guild (None if it belongs elsewhere or does not exist).

    `with_ended` also finds one a coordinator ended (its reports stay readable).
    """
    query = select(partnerships).where(
        partnerships.c.id == exchange_id, partnerships.c.guild_id == guild_id
    )
    if not with_ended:
        query = query.where(partnerships.c.status == "active")
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    city_rows = (await conn.execute(select(cities).where(cities.c.partnership_id == row.id))).all()
    return _exchange(row, city_rows)


@dataclass(frozen=True, slots=True)
class Spaces:
    """Where an exchange's channels are."""

    category_ids: tuple[int, ...] = ()
    thread_parent_id: int | None = None
    exchange_channel_id: int | None = None
    teachers_channel_id: int | None = None


async def spaces(conn: AsyncConnection, exchange_id: int) -> Spaces:
    """The exchange's pair categories or thread parent, and its exchange/teacher channels."""
    row = (
        await conn.execute(
            select(exchange_spaces).where(exchange_spaces.c.partnership_id == exchange_id)
        )
    ).first()
    if row is None:
        return Spaces()
    return Spaces(
        category_ids=tuple(json.loads(row.category_ids)),
        thread_parent_id=row.thread_parent_id,
        exchange_channel_id=row.exchange_channel_id,
        teachers_channel_id=row.teachers_channel_id,
    )


async def set_spaces(conn: AsyncConnection, exchange_id: int, **values: Any) -> None:
    """Change where the exchange's spaces are (any column of `exchange_spaces`)."""
    if "category_ids" in values:
        values["category_ids"] = json.dumps(list(values["category_ids"]))
    await conn.execute(
        update(exchange_spaces)
        .where(exchange_spaces.c.partnership_id == exchange_id)
        .values(**values)
    )


async def end_exchange(conn: AsyncConnection, exchange_id: int, now: datetime) -> None:
    """Mark an exchange ended: commands stop offering it, and its retention period starts."""
    await conn.execute(
        update(partnerships)
        .where(partnerships.c.id == exchange_id)
        .values(status="ended", ended_at=now)
    )


async def due_for_pruning(conn: AsyncConnection, ended_before: datetime) -> list[tuple[int, int]]:
    """(exchange id, guild id) of exchanges that ended before the date and are not pruned yet."""
    rows = await conn.execute(
        select(partnerships.c.id, partnerships.c.guild_id)
        .where(
            partnerships.c.status == "ended",
            partnerships.c.ended_at <= ended_before,
            partnerships.c.pruned_at.is_(None),
        )
        .order_by(partnerships.c.id)
    )
    return [(r.id, r.guild_id) for r in rows]


async def mark_pruned(conn: AsyncConnection, exchange_id: int, now: datetime) -> None:
    await conn.execute(
        update(partnerships).where(partnerships.c.id == exchange_id).values(pruned_at=now)
    )
