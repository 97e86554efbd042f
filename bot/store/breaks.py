"""School breaks of an exchange's cities."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.breaks import SchoolBreak
from bot.store.schema import cities, school_breaks


async def of_exchange(conn: AsyncConnection, exchange_id: int) -> list[SchoolBreak]:
    """An exchange's breaks, earliest first."""
    rows = (
        await conn.execute(
            select(school_breaks)
            .where(school_breaks.c.partnership_id == exchange_id)
            .order_by(school_breaks.c.starts_on, school_breaks.c.id)
        )
    ).all()
    return [SchoolBreak(r.id, r.city_id, r.starts_on, r.ends_on) for r in rows]


async def add(
    conn: AsyncConnection,
    *,
    guild_id: int,
    exchange_id: int,
    city_id: int,
    first: date,
    last: date,
    created_by: int,
    now: datetime,
) -> int:
    result = await conn.execute(
        school_breaks.insert().values(
            guild_id=guild_id,
            partnership_id=exchange_id,
            city_id=city_id,
            starts_on=first,
            ends_on=last,
            created_by=created_by,
            created_at=now,
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


async def remove(conn: AsyncConnection, exchange_id: int, break_id: int) -> bool:
    """Delete one of the exchange's breaks; False if it has none with that id."""
    result = await conn.execute(
        delete(school_breaks).where(
            school_breaks.c.id == break_id, school_breaks.c.partnership_id == exchange_id
        )
    )
    return result.rowcount > 0


async def city_zones(conn: AsyncConnection, exchange_id: int) -> dict[int, str]:
    """Each city of the exchange with its time zone."""
    rows = (
        await conn.execute(
            select(cities.c.id, cities.c.timezone).where(cities.c.partnership_id == exchange_id)
        )
    ).all()
    return {r.id: r.timezone for r in rows}
