"""Queries for session series, their occurrences, attendance and reminder settings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.sessions import DEFAULT_REMINDERS, LIVE, OccurrenceStatus, SeriesStatus
from bot.store.schema import (
    participants,
    partnerships,
    session_attendance,
    session_marks,
    session_occurrences,
    session_settings,
    sessions,
)


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A stored series."""

    id: int
    guild_id: int
    exchange_id: int
    title: str
    timezone: str
    first_local: str
    starts_at: datetime
    rrule: str
    duration: timedelta
    channel_id: int | None
    prompt: str | None
    status: SeriesStatus
    created_by: int
    created_at: datetime
    # When the series itself last changed (created, edited, called off).
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class OccurrenceRecord:
    """A stored occurrence of a series."""

    id: int
    session_id: int
    original_start: datetime
    starts_at: datetime
    ends_at: datetime
    status: OccurrenceStatus
    revision: int
    event_id: int | None
    event_digest: str | None
    checkin_channel_id: int | None
    checkin_message_id: int | None
    # When a teacher last moved, skipped or cancelled it (None: never).
    changed_at: datetime | None = None


def _session(row: Row[Any]) -> SessionRecord:
    return SessionRecord(
        id=row.id,
        guild_id=row.guild_id,
        exchange_id=row.partnership_id,
        title=row.title,
        timezone=row.timezone,
        first_local=row.first_local,
        starts_at=row.starts_at,
        rrule=row.rrule,
        duration=timedelta(minutes=row.duration_minutes),
        channel_id=row.channel_id,
        prompt=row.prompt,
        status=SeriesStatus(row.status),
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _occurrence(row: Row[Any]) -> OccurrenceRecord:
    return OccurrenceRecord(
        id=row.id,
        session_id=row.session_id,
        original_start=row.original_start,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        status=OccurrenceStatus(row.status),
        revision=row.revision,
        event_id=row.event_id,
        event_digest=row.event_digest,
        checkin_channel_id=row.checkin_channel_id,
        checkin_message_id=row.checkin_message_id,
        changed_at=row.changed_at,
    )


# -- series ------------------------------------------------------------------------------------


async def create(
    conn: AsyncConnection,
    *,
    guild_id: int,
    exchange_id: int,
    title: str,
    timezone: str,
    first_local: str,
    starts_at: datetime,
    rrule: str,
    duration: timedelta,
    channel_id: int | None,
    prompt: str | None,
    created_by: int,
    now: datetime,
    status: SeriesStatus = SeriesStatus.DRAFT,
) -> int:
    """Insert a series (a draft until its organiser confirms it); returns its id."""
    result = await conn.execute(
        sessions.insert().values(
            guild_id=guild_id,
            partnership_id=exchange_id,
            title=title,
            timezone=timezone,
            first_local=first_local,
            starts_at=starts_at,
            rrule=rrule,
            duration_minutes=int(duration.total_seconds() // 60),
            channel_id=channel_id,
            prompt=prompt,
            status=status,
            created_by=created_by,
            created_at=now,
            updated_at=now,
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


async def get(conn: AsyncConnection, guild_id: int, session_id: int) -> SessionRecord | None:
    """A series of this guild (None if it belongs elsewhere or does not exist)."""
    row = (
        await conn.execute(
            select(sessions).where(sessions.c.id == session_id, sessions.c.guild_id == guild_id)
        )
    ).first()
    return _session(row) if row else None


async def by_id(conn: AsyncConnection, session_id: int) -> SessionRecord | None:
    row = (await conn.execute(select(sessions).where(sessions.c.id == session_id))).first()
    return _session(row) if row else None


async def by_ids(conn: AsyncConnection, session_ids: Sequence[int]) -> dict[int, SessionRecord]:
    """Series by id (any status), for naming them."""
    if not session_ids:
        return {}
    rows = (await conn.execute(select(sessions).where(sessions.c.id.in_(session_ids)))).all()
    return {row.id: _session(row) for row in rows}


async def of_exchange(
    conn: AsyncConnection,
    exchange_id: int,
    statuses: Sequence[SeriesStatus] = (SeriesStatus.ACTIVE,),
) -> list[SessionRecord]:
    """An exchange's series, oldest first."""
    rows = (
        await conn.execute(
            select(sessions)
            .where(sessions.c.partnership_id == exchange_id, sessions.c.status.in_(statuses))
            .order_by(sessions.c.starts_at, sessions.c.id)
        )
    ).all()
    return [_session(r) for r in rows]


async def of_guild(conn: AsyncConnection, guild_id: int) -> list[SessionRecord]:
    """A guild's active series in active exchanges (for autocomplete)."""
    rows = (
        await conn.execute(
            select(sessions)
            .join(partnerships, partnerships.c.id == sessions.c.partnership_id)
            .where(
                sessions.c.guild_id == guild_id,
                sessions.c.status == SeriesStatus.ACTIVE,
                partnerships.c.status == "active",
            )
            .order_by(sessions.c.id)
        )
    ).all()
    return [_session(r) for r in rows]


async def active(conn: AsyncConnection) -> list[SessionRecord]:
    """Every active series of every guild (for start-up catch-up)."""
    rows = (
        await conn.execute(
            select(sessions).where(sessions.c.status == SeriesStatus.ACTIVE).order_by(sessions.c.id)
        )
    ).all()
    return [_session(r) for r in rows]


async def set_status(
    conn: AsyncConnection,
    session_id: int,
    status: SeriesStatus,
    now: datetime,
    *,
    was: SeriesStatus,
) -> bool:
    """Move a series from status `was` to `status`; False if it was not in `was`."""
    result = await conn.execute(
        update(sessions)
        .where(sessions.c.id == session_id, sessions.c.status == was)
        .values(status=status, updated_at=now)
    )
    return bool(result.rowcount)


async def change(conn: AsyncConnection, session_id: int, now: datetime, **values: Any) -> None:
    """Change a series' title, prompt, duration (timedelta) or channel."""
    if "duration" in values:
        values["duration_minutes"] = int(values.pop("duration").total_seconds() // 60)
    await conn.execute(
        update(sessions).where(sessions.c.id == session_id).values(updated_at=now, **values)
    )


async def delete_draft(conn: AsyncConnection, session_id: int) -> None:
    await conn.execute(
        delete(sessions).where(sessions.c.id == session_id, sessions.c.status == SeriesStatus.DRAFT)
    )


async def purge_drafts(conn: AsyncConnection, older_than: datetime) -> int:
    """Forget previews nobody confirmed."""
    result = await conn.execute(
        delete(sessions).where(
            sessions.c.status == SeriesStatus.DRAFT, sessions.c.created_at < older_than
        )
    )
    return int(result.rowcount)


# -- occurrences -------------------------------------------------------------------------------


async def add_occurrence(
    conn: AsyncConnection, session_id: int, original: datetime, end: datetime
) -> OccurrenceRecord | None:
    """Record an occurrence unless it is already there; the new record, or None."""
    exists = await conn.scalar(
        select(session_occurrences.c.id).where(
            session_occurrences.c.session_id == session_id,
            session_occurrences.c.original_start == original,
        )
    )
    if exists is not None:
        return None
    result = await conn.execute(
        session_occurrences.insert().values(
            session_id=session_id, original_start=original, starts_at=original, ends_at=end
        )
    )
    return await occurrence(conn, int(result.inserted_primary_key[0]))  # type: ignore[index]


async def occurrence(conn: AsyncConnection, occurrence_id: int) -> OccurrenceRecord | None:
    row = (
        await conn.execute(
            select(session_occurrences).where(session_occurrences.c.id == occurrence_id)
        )
    ).first()
    return _occurrence(row) if row else None


async def occurrences(
    conn: AsyncConnection,
    session_id: int,
    *,
    statuses: Sequence[OccurrenceStatus] | None = None,
    ending_after: datetime | None = None,
) -> list[OccurrenceRecord]:
    """A series' recorded occurrences by start time."""
    query = select(session_occurrences).where(session_occurrences.c.session_id == session_id)
    if statuses is not None:
        query = query.where(session_occurrences.c.status.in_(statuses))
    if ending_after is not None:
        query = query.where(session_occurrences.c.ends_at > ending_after)
    rows = (
        await conn.execute(
            query.order_by(session_occurrences.c.starts_at, session_occurrences.c.id)
        )
    ).all()
    return [_occurrence(r) for r in rows]


async def set_occurrence_status(
    conn: AsyncConnection,
    occurrence_id: int,
    status: OccurrenceStatus,
    *,
    was: Sequence[OccurrenceStatus],
    by: int | None = None,
    now: datetime | None = None,
) -> bool:
    """Change an occurrence's status if it is one of `was`; False when it was not."""
    values: dict[str, Any] = {"status": status}
    if by is not None:
        values.update(changed_by=by, changed_at=now)
    result = await conn.execute(
        update(session_occurrences)
        .where(session_occurrences.c.id == occurrence_id, session_occurrences.c.status.in_(was))
        .values(**values)
    )
    return bool(result.rowcount)


async def reschedule(
    conn: AsyncConnection,
    occurrence_id: int,
    start: datetime,
    end: datetime,
    *,
    by: int | None,
    now: datetime,
) -> None:
    """Move an occurrence (or change its end) and bump its revision."""
    await conn.execute(
        update(session_occurrences)
        .where(session_occurrences.c.id == occurrence_id)
        .values(
            starts_at=start,
            ends_at=end,
            revision=session_occurrences.c.revision + 1,
            changed_by=by,
            changed_at=now,
        )
    )


async def bump_revision(conn: AsyncConnection, occurrence_id: int) -> None:
    await conn.execute(
        update(session_occurrences)
        .where(session_occurrences.c.id == occurrence_id)
        .values(revision=session_occurrences.c.revision + 1)
    )


async def set_event(
    conn: AsyncConnection, occurrence_id: int, event_id: int | None, digest: str | None = None
) -> None:
    """Record the Discord event of an occurrence and the digest of what it was set to."""
    await conn.execute(
        update(session_occurrences)
        .where(session_occurrences.c.id == occurrence_id)
        .values(event_id=event_id, event_digest=digest if event_id is not None else None)
    )


async def set_checkin_message(
    conn: AsyncConnection, occurrence_id: int, channel_id: int, message_id: int
) -> None:
    await conn.execute(
        update(session_occurrences)
        .where(session_occurrences.c.id == occurrence_id)
        .values(checkin_channel_id=channel_id, checkin_message_id=message_id)
    )


async def in_window(
    conn: AsyncConnection, guild_id: int, channel_id: int, now: datetime
) -> list[tuple[SessionRecord, OccurrenceRecord]]:
    """Occurrences under way now whose series uses this voice or stage channel."""
    rows = (
        await conn.execute(
            select(sessions.c.id, session_occurrences.c.id)
            .join(session_occurrences, session_occurrences.c.session_id == sessions.c.id)
            .where(
                sessions.c.guild_id == guild_id,
                sessions.c.channel_id == channel_id,
                session_occurrences.c.status.in_(LIVE),
                session_occurrences.c.starts_at <= now,
                session_occurrences.c.ends_at >= now,
            )
        )
    ).all()
    found = []
    for session_id, occurrence_id in rows:
        series = await by_id(conn, session_id)
        occ = await occurrence(conn, occurrence_id)
        if series is not None and occ is not None:
            found.append((series, occ))
    return found


async def live_between(
    conn: AsyncConnection, exchange_id: int, start: datetime, end: datetime
) -> list[tuple[str, datetime, datetime, int, int]]:
    """(title, start, end, session id, occurrence id) of the exchange's live occurrences
    that overlap [start, end)."""
    rows = (
        await conn.execute(
            select(
                sessions.c.title,
                session_occurrences.c.starts_at,
                session_occurrences.c.ends_at,
                sessions.c.id,
                session_occurrences.c.id,
            )
            .join(session_occurrences, session_occurrences.c.session_id == sessions.c.id)
            .where(
                sessions.c.partnership_id == exchange_id,
                sessions.c.status == SeriesStatus.ACTIVE,
                session_occurrences.c.status.in_(LIVE),
                session_occurrences.c.starts_at < end,
                session_occurrences.c.ends_at > start,
            )
        )
    ).all()
    return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]


# -- attendance --------------------------------------------------------------------------------


async def record_attendance(
    conn: AsyncConnection,
    *,
    occurrence: OccurrenceRecord,
    participant_id: int,
    method: str,
    now: datetime,
) -> datetime | None:
    """Record that a participant was there; None when new, else when first seen this way."""
    seen = await conn.scalar(
        select(session_attendance.c.first_seen).where(
            session_attendance.c.occurrence_id == occurrence.id,
            session_attendance.c.participant_id == participant_id,
            session_attendance.c.method == method,
        )
    )
    if seen is not None:
        return seen  # type: ignore[no-any-return]
    await conn.execute(
        session_attendance.insert().values(
            occurrence_id=occurrence.id,
            session_id=occurrence.session_id,
            occurrence_start=occurrence.starts_at,
            participant_id=participant_id,
            method=method,
            first_seen=now,
            # Voice counts minutes from here; `voice_joined` starts the clock.
            voice_seconds=0 if method == "voice" else None,
        )
    )
    return None


def _overlap(occurrence: OccurrenceRecord, since: datetime, until: datetime) -> int:
    """Whole seconds of [since, until) within the occurrence's times."""
    start = max(since, occurrence.starts_at)
    end = min(until, occurrence.ends_at)
    return max(0, int((end - start).total_seconds()))


async def voice_joined(
    conn: AsyncConnection, occurrence: OccurrenceRecord, participant_id: int, now: datetime
) -> None:
    """Start counting a participant's minutes in the session's voice channel (idempotent)."""
    await conn.execute(
        update(session_attendance)
        .where(
            session_attendance.c.occurrence_id == occurrence.id,
            session_attendance.c.participant_id == participant_id,
            session_attendance.c.method == "voice",
            session_attendance.c.voice_since.is_(None),
        )
        .values(voice_since=now, voice_seconds=func.coalesce(session_attendance.c.voice_seconds, 0))
    )


async def voice_left(
    conn: AsyncConnection,
    occurrence: OccurrenceRecord,
    now: datetime,
    participant_id: int | None = None,
) -> None:
    """Add the time since joining to a participant's minutes (everyone's: None) and stop."""
    query = select(
        session_attendance.c.id,
        session_attendance.c.voice_since,
        session_attendance.c.voice_seconds,
    ).where(
        session_attendance.c.occurrence_id == occurrence.id,
        session_attendance.c.method == "voice",
        session_attendance.c.voice_since.is_not(None),
    )
    if participant_id is not None:
        query = query.where(session_attendance.c.participant_id == participant_id)
    for row_id, since, seconds in (await conn.execute(query)).all():
        await conn.execute(
            update(session_attendance)
            .where(session_attendance.c.id == row_id)
            .values(
                voice_seconds=(seconds or 0) + _overlap(occurrence, since, now), voice_since=None
            )
        )


async def in_voice(conn: AsyncConnection, occurrence_id: int) -> list[tuple[int, int]]:
    """(participant id, user id) of everyone whose stay in the session's voice is open."""
    rows = await conn.execute(
        select(session_attendance.c.participant_id, participants.c.user_id)
        .join(participants, participants.c.id == session_attendance.c.participant_id)
        .where(
            session_attendance.c.occurrence_id == occurrence_id,
            session_attendance.c.method == "voice",
            session_attendance.c.voice_since.is_not(None),
        )
    )
    return [(r[0], r[1]) for r in rows]


@dataclass(frozen=True, slots=True)
class Seen:
    """What the bot saw of one participant at one occurrence."""

    checked_in_at: datetime | None = None
    voice_seconds: int | None = None  # None: not in voice, or recorded before minutes counted
    in_voice: bool = False  # voice presence recorded (with or without minutes)
    voice_since: datetime | None = None  # in the channel now, since then

    def minutes(self, occurrence: OccurrenceRecord, now: datetime) -> int | None:
        """Minutes in voice so far, counting an open stay up to now; None: not known."""
        if not self.in_voice or self.voice_seconds is None:
            return None
        extra = _overlap(occurrence, self.voice_since, now) if self.voice_since else 0
        return (self.voice_seconds + extra) // 60


async def seen_at(conn: AsyncConnection, occurrence_id: int) -> dict[int, Seen]:
    """Participant id → the check-in and voice minutes recorded at an occurrence."""
    rows = await conn.execute(
        select(
            session_attendance.c.participant_id,
            session_attendance.c.method,
            session_attendance.c.first_seen,
            session_attendance.c.voice_seconds,
            session_attendance.c.voice_since,
        ).where(session_attendance.c.occurrence_id == occurrence_id)
    )
    found: dict[int, Seen] = {}
    for participant_id, method, first_seen, seconds, since in rows:
        was = found.get(participant_id, Seen())
        if method == "button":
            found[participant_id] = Seen(
                first_seen, was.voice_seconds, was.in_voice, was.voice_since
            )
        else:
            found[participant_id] = Seen(was.checked_in_at, seconds, True, since)
    return found


# -- roll call marks ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MarkRecord:
    """A teacher's mark for one student at one occurrence."""

    participant_id: int
    mark: str
    reason: str | None
    marked_by: int
    marked_at: datetime


async def marks_at(conn: AsyncConnection, occurrence_id: int) -> dict[int, MarkRecord]:
    """Participant id → the teacher's mark at an occurrence."""
    rows = await conn.execute(
        select(
            session_marks.c.participant_id,
            session_marks.c.mark,
            session_marks.c.reason,
            session_marks.c.marked_by,
            session_marks.c.marked_at,
        ).where(session_marks.c.occurrence_id == occurrence_id)
    )
    return {r[0]: MarkRecord(r[0], r[1], r[2], r[3], r[4]) for r in rows}


async def set_mark(
    conn: AsyncConnection,
    *,
    occurrence_id: int,
    participant_id: int,
    mark: str,
    reason: str | None,
    by: int,
    now: datetime,
) -> MarkRecord | None:
    """Set (or change) a student's mark; the mark it replaces, if any."""
    was = await marks_at_one(conn, occurrence_id, participant_id)
    values = {"mark": mark, "reason": reason, "marked_by": by, "marked_at": now}
    if was is None:
        await conn.execute(
            session_marks.insert().values(
                occurrence_id=occurrence_id, participant_id=participant_id, **values
            )
        )
    else:
        await conn.execute(
            update(session_marks)
            .where(
                session_marks.c.occurrence_id == occurrence_id,
                session_marks.c.participant_id == participant_id,
            )
            .values(**values)
        )
    return was


async def marks_at_one(
    conn: AsyncConnection, occurrence_id: int, participant_id: int
) -> MarkRecord | None:
    """One student's mark at an occurrence, if a teacher set one."""
    row = (
        await conn.execute(
            select(
                session_marks.c.participant_id,
                session_marks.c.mark,
                session_marks.c.reason,
                session_marks.c.marked_by,
                session_marks.c.marked_at,
            ).where(
                session_marks.c.occurrence_id == occurrence_id,
                session_marks.c.participant_id == participant_id,
            )
        )
    ).first()
    return MarkRecord(row[0], row[1], row[2], row[3], row[4]) if row else None


async def attendance(conn: AsyncConnection, occurrence_id: int) -> dict[int, set[str]]:
    """Participant id → the ways they were seen at an occurrence."""
    rows = await conn.execute(
        select(session_attendance.c.participant_id, session_attendance.c.method).where(
            session_attendance.c.occurrence_id == occurrence_id
        )
    )
    found: dict[int, set[str]] = {}
    for participant_id, method in rows:
        found.setdefault(participant_id, set()).add(method)
    return found


async def attendance_count(conn: AsyncConnection, occurrence_id: int) -> int:
    """How many different participants were seen at an occurrence."""
    value = await conn.scalar(
        select(func.count(func.distinct(session_attendance.c.participant_id))).where(
            session_attendance.c.occurrence_id == occurrence_id
        )
    )
    return int(value or 0)


# -- settings ----------------------------------------------------------------------------------


async def reminder_minutes(conn: AsyncConnection, exchange_id: int) -> tuple[int, ...]:
    """Minutes before each session that reminders go out (24 h and 1 h unless changed)."""
    value = await conn.scalar(
        select(session_settings.c.reminder_minutes).where(
            session_settings.c.partnership_id == exchange_id
        )
    )
    if value is None:
        return DEFAULT_REMINDERS
    return tuple(int(v) for v in str(value).split(",") if v)


async def set_reminder_minutes(
    conn: AsyncConnection, exchange_id: int, minutes: Sequence[int]
) -> None:
    text = ",".join(str(m) for m in minutes)
    found = await conn.scalar(
        select(session_settings.c.partnership_id).where(
            session_settings.c.partnership_id == exchange_id
        )
    )
    if found is None:
        await conn.execute(
            session_settings.insert().values(partnership_id=exchange_id, reminder_minutes=text)
        )
    else:
        await conn.execute(
            update(session_settings)
            .where(session_settings.c.partnership_id == exchange_id)
            .values(reminder_minutes=text)
        )


async def voice_minutes(conn: AsyncConnection, exchange_id: int) -> int | None:
    """Minutes in voice that make someone present; None: the default share of the session."""
    value = await conn.scalar(
        select(session_settings.c.voice_minutes).where(
            session_settings.c.partnership_id == exchange_id
        )
    )
    return int(value) if value is not None else None


async def set_voice_minutes(conn: AsyncConnection, exchange_id: int, minutes: int | None) -> None:
    """Set (None: reset to the default) the minutes in voice that make someone present."""
    found = await conn.scalar(
        select(session_settings.c.partnership_id).where(
            session_settings.c.partnership_id == exchange_id
        )
    )
    if found is None:
        await conn.execute(
            session_settings.insert().values(partnership_id=exchange_id, voice_minutes=minutes)
        )
    else:
        await conn.execute(
            update(session_settings)
            .where(session_settings.c.partnership_id == exchange_id)
            .values(voice_minutes=minutes)
        )


async def begun(
    conn: AsyncConnection,
    exchange_id: int,
    now: datetime,
    *,
    session_id: int | None = None,
    limit: int = 60,
) -> list[tuple[SessionRecord, OccurrenceRecord]]:
    """The exchange's occurrences that have begun (not called off), latest first: what a
    teacher may take the roll of."""
    query = (
        select(sessions.c.id, session_occurrences.c.id)
        .join(session_occurrences, session_occurrences.c.session_id == sessions.c.id)
        .where(
            sessions.c.partnership_id == exchange_id,
            sessions.c.status != SeriesStatus.DRAFT,
            session_occurrences.c.status.in_(
                (OccurrenceStatus.STARTED, OccurrenceStatus.DONE, OccurrenceStatus.SCHEDULED)
            ),
            session_occurrences.c.starts_at <= now,
        )
        .order_by(session_occurrences.c.starts_at.desc(), session_occurrences.c.id.desc())
        .limit(limit)
    )
    if session_id is not None:
        query = query.where(sessions.c.id == session_id)
    found = []
    for series_id, occurrence_id in (await conn.execute(query)).all():
        series = await by_id(conn, series_id)
        occ = await occurrence(conn, occurrence_id)
        if series is not None and occ is not None:
            found.append((series, occ))
    return found
