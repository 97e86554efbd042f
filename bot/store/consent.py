"""Queries for guardian consent records and each exchange's consent rule (issue 23)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.consent import ConsentRecord
from bot.store.schema import consent_settings, consents, participants


async def records(
    conn: AsyncConnection, exchange_id: int, participant_ids: Sequence[int] | None = None
) -> dict[int, ConsentRecord]:
    """The exchange's consent records by participant id (only these ids when given)."""
    query = select(consents).where(consents.c.partnership_id == exchange_id)
    if participant_ids is not None:
        query = query.where(consents.c.participant_id.in_(list(participant_ids)))
    rows = (await conn.execute(query)).all()
    return {
        r.participant_id: ConsentRecord(r.participant_id, r.on_file, r.recorded_by, r.recorded_at)
        for r in rows
    }


async def record(
    conn: AsyncConnection,
    exchange_id: int,
    participant_id: int,
    on_file: bool,
    by: int,
    now: datetime,
) -> None:
    """Record consent on file (or withdrawn) for a student, replacing what was recorded."""
    changed = await conn.execute(
        update(consents)
        .where(consents.c.participant_id == participant_id)
        .values(on_file=on_file, recorded_by=by, recorded_at=now)
    )
    if not changed.rowcount:
        await conn.execute(
            consents.insert().values(
                participant_id=participant_id,
                partnership_id=exchange_id,
                on_file=on_file,
                recorded_by=by,
                recorded_at=now,
            )
        )


async def required(conn: AsyncConnection, exchange_id: int) -> bool:
    """Whether the exchange pairs only students with consent on file (the default: yes)."""
    value = await conn.scalar(
        select(consent_settings.c.required).where(consent_settings.c.partnership_id == exchange_id)
    )
    return True if value is None else bool(value)


async def set_required(
    conn: AsyncConnection, exchange_id: int, value: bool, by: int, now: datetime
) -> None:
    """Set the exchange's consent rule."""
    changed = await conn.execute(
        update(consent_settings)
        .where(consent_settings.c.partnership_id == exchange_id)
        .values(required=value, changed_by=by, changed_at=now)
    )
    if not changed.rowcount:
        await conn.execute(
            consent_settings.insert().values(
                partnership_id=exchange_id, required=value, changed_by=by, changed_at=now
            )
        )


async def count_bands(conn: AsyncConnection, exchange_id: int, bands: Sequence[str]) -> int:
    """How many current students of the exchange have one of these bands."""
    found = await conn.scalar(
        select(func.count()).where(
            participants.c.partnership_id == exchange_id,
            participants.c.role == "student",
            participants.c.status.in_(["active", "paused"]),
            participants.c.grade_band.in_(list(bands)),
        )
    )
    return int(found or 0)
