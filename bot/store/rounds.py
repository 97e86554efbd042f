"""Queries for pairing rounds on a schedule: an exchange's cadence (issue 23)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.rounds import Cadence
from bot.store.schema import pairing_rounds, round_cadences


async def cadence(conn: AsyncConnection, exchange_id: int) -> Cadence | None:
    """The exchange's cadence; None: off (the default)."""
    row = (
        await conn.execute(
            select(round_cadences).where(round_cadences.c.partnership_id == exchange_id)
        )
    ).first()
    if row is None:
        return None
    return Cadence(row.every_weeks, row.starts_on, row.handled_on)


async def exchanges_with_cadence(conn: AsyncConnection) -> list[int]:
    """Every exchange that has a cadence."""
    return list((await conn.execute(select(round_cadences.c.partnership_id))).scalars())


async def set_cadence(
    conn: AsyncConnection,
    exchange_id: int,
    every_weeks: int | None,
    starts_on: date,
    by: int,
    now: datetime,
) -> None:
    """Set (or replace) the cadence; the last handled due day is kept, so a change never
    brings back a round teachers already confirmed or skipped."""
    changed = await conn.execute(
        update(round_cadences)
        .where(round_cadences.c.partnership_id == exchange_id)
        .values(every_weeks=every_weeks, starts_on=starts_on, changed_by=by, changed_at=now)
    )
    if not changed.rowcount:
        await conn.execute(
            round_cadences.insert().values(
                partnership_id=exchange_id,
                every_weeks=every_weeks,
                starts_on=starts_on,
                changed_by=by,
                changed_at=now,
            )
        )


async def clear(conn: AsyncConnection, exchange_id: int) -> bool:
    """Turn the cadence off; False if there was none."""
    result = await conn.execute(
        delete(round_cadences).where(round_cadences.c.partnership_id == exchange_id)
    )
    return bool(result.rowcount)


async def mark_handled(conn: AsyncConnection, exchange_id: int, day: date) -> bool:
    """Record that teachers confirmed or skipped the round due on `day`; False when it (or a
    later one) already was, or the cadence is off: one click has the effect, never two."""
    result = await conn.execute(
        update(round_cadences)
        .where(
            round_cadences.c.partnership_id == exchange_id,
            or_(round_cadences.c.handled_on.is_(None), round_cadences.c.handled_on < day),
        )
        .values(handled_on=day)
    )
    return bool(result.rowcount)


async def last_round_at(conn: AsyncConnection, exchange_id: int) -> datetime | None:
    """When the exchange's latest pairing round was confirmed."""
    value: datetime | None = await conn.scalar(
        select(pairing_rounds.c.created_at)
        .where(pairing_rounds.c.partnership_id == exchange_id)
        .order_by(pairing_rounds.c.id.desc())
        .limit(1)
    )
    return value
