"""Every series a test leaves behind, read as a calendar app reads it.

`calendars_agree` builds each series' calendar file the way `/session ics` and the calendar
feeds do, expands it with `recurring-ical-events` and compares the starts with the bot's own
live dates from the sandbox's "now" on. The sandbox fixtures run it when a test ends, so
every series any test makes (moved, skipped, cancelled, called off) is checked.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import recurring_ical_events
from icalendar import Calendar
from sqlalchemy import select

from bot.domain.ical import series_calendar
from bot.domain.sessions import SeriesStatus
from bot.sandbox.driver import Sandbox
from bot.services.session_plans import effective_slots
from bot.services.sessions import series_file
from bot.store import exchanges as exchange_store
from bot.store import sessions as session_store
from bot.store.schema import sessions

# Far enough for every series the tests make (at most 100 sessions, monthly at the rarest).
AHEAD = timedelta(days=9 * 366)


def expanded_starts(data: bytes, after: datetime, before: datetime) -> list[datetime]:
    """The starts (UTC) of every event a calendar app would show in [after, before)."""
    events = recurring_ical_events.of(Calendar.from_ical(data)).between(after, before)
    starts = (e.decoded("DTSTART").astimezone(UTC) for e in events)
    # `between` also gives events under way at `after`.
    return sorted(s for s in starts if s >= after)


async def calendars_agree(sb: Sandbox) -> None:
    """Fail when any series' calendar file differs from the bot's own dates."""
    if sb.bot.is_closed() or sb.bot.ctx.db.fault is not None:
        return  # no bot, or a test that took its database file away on purpose
    now = sb.now()
    before = now + AHEAD
    async with sb.bot.ctx.db.read() as conn:
        ids = (
            await conn.execute(select(sessions.c.id).where(sessions.c.status != SeriesStatus.DRAFT))
        ).scalars()
        for session_id in list(ids):
            series = await session_store.by_id(conn, session_id)
            assert series is not None
            exchange = await exchange_store.get_exchange(
                conn, series.guild_id, series.exchange_id, with_ended=True
            )
            if exchange is None:
                continue
            recorded = await session_store.occurrences(conn, series.id)
            data = series_calendar(series_file(series, recorded, exchange, "#exchange", now))
            own = (
                [
                    slot.start
                    for slot, _ in await effective_slots(
                        conn, series, after=now, before=before, limit=1000
                    )
                    if slot.start >= now
                ]
                if series.status == SeriesStatus.ACTIVE
                else []
            )
            shown = expanded_starts(data, now, before)
            assert shown == sorted(own), (
                f"series {series.id} ({series.rrule} from {series.first_local}): "
                f"calendar {shown} ≠ bot {sorted(own)}"
            )
