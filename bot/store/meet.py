""" "Did you meet?" check-ins: settings, check-ins posted and answers (issue 23)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.schema import meet_answers, meet_checkins, meet_settings


async def days(conn: AsyncConnection, exchange_id: int) -> int:
    """Days after an occasion pairs are asked; 0: check-ins are off (the default)."""
    value = await conn.scalar(
        select(meet_settings.c.days).where(meet_settings.c.partnership_id == exchange_id)
    )
    return int(value or 0)


async def exchanges_with_days(conn: AsyncConnection) -> set[int]:
    """The exchanges whose check-ins are on (one statement: start-up's filter)."""
    rows = await conn.execute(
        select(meet_settings.c.partnership_id).where(meet_settings.c.days > 0)
    )
    return {int(r[0]) for r in rows}


async def set_days(
    conn: AsyncConnection, exchange_id: int, value: int, by: int, now: datetime
) -> None:
    changed = await conn.execute(
        update(meet_settings)
        .where(meet_settings.c.partnership_id == exchange_id)
        .values(days=value, changed_by=by, changed_at=now)
    )
    if not changed.rowcount:
        await conn.execute(
            meet_settings.insert().values(
                partnership_id=exchange_id, days=value, changed_by=by, changed_at=now
            )
        )


async def checkin(
    conn: AsyncConnection, exchange_id: int, pair_id: int, occasion: str, now: datetime
) -> int:
    """The check-in of this pair and occasion, recorded on first use; its id."""
    found = await conn.scalar(
        select(meet_checkins.c.id).where(
            meet_checkins.c.pair_id == pair_id, meet_checkins.c.occasion == occasion
        )
    )
    if found is not None:
        return int(found)
    result = await conn.execute(
        meet_checkins.insert().values(
            pair_id=pair_id, partnership_id=exchange_id, occasion=occasion, posted_at=now
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


async def get_checkin(conn: AsyncConnection, checkin_id: int) -> tuple[int, int, str] | None:
    """(exchange id, pair id, occasion) of a check-in."""
    row = (
        await conn.execute(select(meet_checkins).where(meet_checkins.c.id == checkin_id))
    ).first()
    return None if row is None else (row.partnership_id, row.pair_id, row.occasion)


async def latest_of_pair(conn: AsyncConnection, pair_id: int) -> int | None:
    """The pair's newest check-in (answers to older ones are closed)."""
    found = await conn.scalar(
        select(func.max(meet_checkins.c.id)).where(meet_checkins.c.pair_id == pair_id)
    )
    return None if found is None else int(found)


async def answer(
    conn: AsyncConnection, checkin_id: int, participant_id: int, value: str, now: datetime
) -> str | None:
    """Record a student's answer (replacing theirs); returns the answer it replaced."""
    before = await conn.scalar(
        select(meet_answers.c.answer).where(
            meet_answers.c.checkin_id == checkin_id,
            meet_answers.c.participant_id == participant_id,
        )
    )
    if before is None:
        await conn.execute(
            meet_answers.insert().values(
                checkin_id=checkin_id,
                participant_id=participant_id,
                answer=value,
                answered_at=now,
            )
        )
    else:
        await conn.execute(
            update(meet_answers)
            .where(
                meet_answers.c.checkin_id == checkin_id,
                meet_answers.c.participant_id == participant_id,
            )
            .values(answer=value, answered_at=now)
        )
    return None if before is None else str(before)


async def answers_between(
    conn: AsyncConnection, exchange_id: int, start: datetime, end: datetime
) -> list[str]:
    """Every answer to the exchange's check-ins posted in [start, end)."""
    rows = await conn.scalars(
        select(meet_answers.c.answer)
        .join(meet_checkins, meet_checkins.c.id == meet_answers.c.checkin_id)
        .where(
            meet_checkins.c.partnership_id == exchange_id,
            meet_checkins.c.posted_at >= start,
            meet_checkins.c.posted_at < end,
        )
    )
    return [str(r) for r in rows]


async def history(
    conn: AsyncConnection, pair_ids: Collection[int]
) -> dict[int, list[tuple[int, list[str]]]]:
    """Pair id -> its check-ins oldest first, each (id, the answers given)."""
    rows = (
        await conn.execute(
            select(meet_checkins.c.id, meet_checkins.c.pair_id, meet_answers.c.answer)
            .outerjoin(meet_answers, meet_answers.c.checkin_id == meet_checkins.c.id)
            .where(meet_checkins.c.pair_id.in_(list(pair_ids)))
            .order_by(meet_checkins.c.id)
        )
    ).all()
    by_checkin: dict[int, tuple[int, list[str]]] = {}
    for checkin_id, pair_id, value in rows:
        entry = by_checkin.setdefault(checkin_id, (pair_id, []))
        if value is not None:
            entry[1].append(str(value))
    found: dict[int, list[tuple[int, list[str]]]] = defaultdict(list)
    for checkin_id, (pair_id, values) in by_checkin.items():
        found[pair_id].append((checkin_id, values))
    return dict(found)
