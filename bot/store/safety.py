"""Queries for reports to teachers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.safety import ReportKind, ReportStatus
from bot.store.schema import reports


@dataclass(frozen=True, slots=True)
class ReportRecord:
    """A stored report."""

    id: int
    guild_id: int
    exchange_id: int
    kind: ReportKind
    reason: str
    reporter_id: int
    subject_id: int | None
    channel_id: int | None
    message_id: int | None
    pair_id: int | None
    details: str
    status: ReportStatus
    notice_channel_id: int | None
    notice_message_id: int | None
    created_at: datetime
    resolved_at: datetime | None
    resolved_by: int | None


def _record(row: Row[Any]) -> ReportRecord:
    return ReportRecord(
        id=row.id,
        guild_id=row.guild_id,
        exchange_id=row.partnership_id,
        kind=ReportKind(row.kind),
        reason=row.reason,
        reporter_id=row.reporter_id,
        subject_id=row.subject_id,
        channel_id=row.channel_id,
        message_id=row.message_id,
        pair_id=row.pair_id,
        details=row.details,
        status=ReportStatus(row.status),
        notice_channel_id=row.notice_channel_id,
        notice_message_id=row.notice_message_id,
        created_at=row.created_at,
        resolved_at=row.resolved_at,
        resolved_by=row.resolved_by,
    )


async def add(
    conn: AsyncConnection,
    *,
    guild_id: int,
    exchange_id: int,
    kind: ReportKind,
    reason: str,
    reporter_id: int,
    subject_id: int | None,
    channel_id: int | None,
    message_id: int | None,
    pair_id: int | None,
    now: datetime,
) -> int:
    """Record a report; returns its id."""
    result = await conn.execute(
        reports.insert().values(
            guild_id=guild_id,
            partnership_id=exchange_id,
            kind=kind,
            reason=reason,
            reporter_id=reporter_id,
            subject_id=subject_id,
            channel_id=channel_id,
            message_id=message_id,
            pair_id=pair_id,
            created_at=now,
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


async def get(conn: AsyncConnection, guild_id: int, report_id: int) -> ReportRecord | None:
    """A report of this guild."""
    row = (
        await conn.execute(
            select(reports).where(reports.c.id == report_id, reports.c.guild_id == guild_id)
        )
    ).first()
    return _record(row) if row else None


async def set_notice(
    conn: AsyncConnection, report_id: int, channel_id: int, message_id: int
) -> None:
    """Remember the teachers' channel post that shows this report."""
    await conn.execute(
        update(reports)
        .where(reports.c.id == report_id)
        .values(notice_channel_id=channel_id, notice_message_id=message_id)
    )


async def set_details(conn: AsyncConnection, report_id: int, details: str) -> None:
    await conn.execute(update(reports).where(reports.c.id == report_id).values(details=details))


async def resolve(conn: AsyncConnection, report_id: int, by: int, now: datetime) -> bool:
    """Mark an open report resolved; False if it already was."""
    result = await conn.execute(
        update(reports)
        .where(reports.c.id == report_id, reports.c.status == ReportStatus.OPEN)
        .values(status=ReportStatus.RESOLVED, resolved_by=by, resolved_at=now)
    )
    return bool(result.rowcount)


async def listing(
    conn: AsyncConnection,
    exchange_id: int,
    status: ReportStatus | None,
    limit: int,
    offset: int = 0,
) -> list[ReportRecord]:
    """An exchange's reports, newest first."""
    query = select(reports).where(reports.c.partnership_id == exchange_id)
    if status is not None:
        query = query.where(reports.c.status == status)
    rows = await conn.execute(query.order_by(reports.c.id.desc()).limit(limit).offset(offset))
    return [_record(r) for r in rows]


async def count(conn: AsyncConnection, exchange_id: int, status: ReportStatus | None) -> int:
    query = select(func.count()).select_from(reports).where(reports.c.partnership_id == exchange_id)
    if status is not None:
        query = query.where(reports.c.status == status)
    return int((await conn.execute(query)).scalar_one())


async def with_pair(conn: AsyncConnection, pair_id: int) -> list[ReportRecord]:
    """Reports about one paired space (their posts show whether it is paused)."""
    rows = await conn.execute(
        select(reports).where(reports.c.pair_id == pair_id).order_by(reports.c.id)
    )
    return [_record(r) for r in rows]
