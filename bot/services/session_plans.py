"""Planning sessions: the rolling horizon of occurrences, their sends, and the one Discord
event that stands for each series' next occurrence.

The series' RRULE in the organiser's zone is the truth. Occurrences up to `HORIZON` ahead (and
always the next live one) are recorded, each with its reminders, start and end planned as
scheduled sends under keys carrying the occurrence's revision, so a re-plan never collides
with what was already sent. Everything here is idempotent: start-up simply runs it again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.cldr import format_local_span
from bot.clock import Clock
from bot.domain import sessions as rules
from bot.domain.exchange import Exchange, ProfileError
from bot.domain.holidays import CityRegion, HolidayCheck, holidays_on
from bot.domain.sessions import LIVE, EventStatus, OccurrenceStatus, SeriesStatus
from bot.errors import NotFoundError, UserError
from bot.i18n import available_languages, t
from bot.limits import EVENT_DESCRIPTION, EVENT_LOCATION
from bot.services.scheduler import Rearm
from bot.services.session_port import EventRefusedError, EventSpec, SessionPort
from bot.store import Database, sends
from bot.store import exchanges as exchange_store
from bot.store import sessions as store
from bot.store.sessions import OccurrenceRecord, SessionRecord

log = logging.getLogger(__name__)

# Occurrences are recorded (and their sends planned) this far ahead, and at least the next one.
HORIZON = timedelta(days=62)
MAX_PLANNED = 20
# How long after a session's end its event's completion or cancellation is still tried.
EVENT_STATUS_TRIES = timedelta(hours=6)


# -- helpers ---------------------------------------------------------------------------------------


def first_start(series: SessionRecord) -> datetime:
    """The series' first start as an aware local datetime in its zone."""
    local = datetime.fromisoformat(series.first_local)
    return rules.local_start(local.date(), local.time(), series.timezone)


def key_base(session_id: int, original: datetime) -> str:
    """The key prefix of every send of one occurrence."""
    return f"sess:{session_id}:{int(original.timestamp())}"


def zones_of(exchange: Exchange) -> tuple[tuple[str, str], ...]:
    """Each city's name and zone, for posts that give a time in every city's clock."""
    return tuple((c.name, c.timezone) for c in exchange.cities)


def languages_of(exchange: Exchange) -> tuple[str, ...]:
    """The languages the whole exchange reads: each city's first language we can speak."""
    known = set(available_languages())
    found: list[str] = []
    for city in exchange.cities:
        language = next((lang for lang in city.languages if lang in known), "en")
        if language not in found:
            found.append(language)
    return tuple(found)


def people_languages(languages: Sequence[str]) -> tuple[str, ...]:
    known = set(available_languages())
    found: list[str] = []
    for language in languages:
        chosen = language if language in known else "en"
        if chosen not in found:
            found.append(chosen)
    return tuple(found) or ("en",)


def user_error(exc: rules.RuleError | ProfileError) -> UserError:
    return UserError(exc.key, **exc.params)


def city_clocks(exchange: Exchange) -> list[rules.CityClock]:
    return [rules.CityClock(c.name, c.timezone, c.weekend_days) for c in exchange.cities]


async def holiday_check(
    exchange: Exchange, slots: Sequence[rules.Slot], language: str
) -> HolidayCheck:
    """The sessions on a public holiday in either city, off the event loop (the package
    loads a country's calendar the first time it is asked)."""
    cities = [CityRegion(c.name, c.timezone, c.holiday_region) for c in exchange.cities]
    return await asyncio.to_thread(holidays_on, slots, cities, language)


async def exchange_of(conn: AsyncConnection, series: SessionRecord) -> Exchange:
    exchange = await exchange_store.get_exchange(conn, series.guild_id, series.exchange_id)
    if exchange is None:
        raise NotFoundError("error.unknown_exchange")
    return exchange


async def resolve(
    db: Database,
    guild_id: int,
    session_id: int | None,
    *,
    mine: Collection[int] | None = None,
) -> SessionRecord:
    """An active series of this guild; when none is named and there is exactly one, that one.

    `mine`: the exchanges the person asking is staff of; when none is named, their series
    come first.
    """
    async with db.read() as conn:
        if session_id is not None:
            found = await store.get(conn, guild_id, session_id)
            if found is None or found.status != SeriesStatus.ACTIVE:
                raise NotFoundError("error.session_unknown")
            return found
        every = await store.of_guild(conn, guild_id)
    if not every:
        raise NotFoundError("error.session_none")
    if mine is not None and len(every) > 1:
        every = [s for s in every if s.exchange_id in mine] or every
    if len(every) > 1:
        raise UserError("error.session_choose")
    return every[0]


async def effective_slots(
    conn: AsyncConnection,
    series: SessionRecord,
    *,
    after: datetime,
    before: datetime,
    limit: int = rules.EXAMINED,
) -> list[tuple[rules.Slot, OccurrenceStatus]]:
    """The series' live occurrences in [after, before): the rule with its recorded changes.

    Each comes with its status (scheduled also for occurrences not yet recorded).
    """
    recorded = {o.original_start: o for o in await store.occurrences(conn, series.id)}
    found: dict[datetime, tuple[rules.Slot, OccurrenceStatus]] = {}
    for slot in rules.occurrences(
        series.rrule, first_start(series), series.duration, after=after, before=before, limit=limit
    ):
        record = recorded.get(slot.original)
        if record is None:
            found[slot.original] = (slot, OccurrenceStatus.SCHEDULED)
        elif record.status in LIVE:
            found[slot.original] = (
                rules.Slot(record.original_start, record.starts_at, record.ends_at),
                record.status,
            )
    for record in recorded.values():
        # Moved into the window from outside it.
        if record.status in LIVE and after <= record.starts_at < before:
            found.setdefault(
                record.original_start,
                (
                    rules.Slot(record.original_start, record.starts_at, record.ends_at),
                    record.status,
                ),
            )
    ordered = sorted(found.values(), key=lambda pair: pair[0].start)
    return ordered[:limit]


async def other_series_slots(
    conn: AsyncConnection, exchange_id: int, skip: int | None, after: datetime, before: datetime
) -> list[tuple[str, list[rules.Slot]]]:
    others = []
    for series in await store.of_exchange(conn, exchange_id):
        if series.id == skip:
            continue
        slots = await effective_slots(conn, series, after=after, before=before, limit=200)
        others.append((series.title, [s for s, _ in slots]))
    return others


# -- planning --------------------------------------------------------------------------------------


async def plan_occurrence(
    conn: AsyncConnection, series: SessionRecord, occurrence: OccurrenceRecord, now: datetime
) -> None:
    """Plan the reminders, start and end of one occurrence (only what is still ahead)."""
    base = f"{key_base(series.id, occurrence.original_start)}:r{occurrence.revision}"
    common: dict[str, Any] = {"guild_id": series.guild_id, "partnership_id": series.exchange_id}
    payload = {"occurrence": occurrence.id, "revision": occurrence.revision}
    for minutes in await store.reminder_minutes(conn, series.exchange_id):
        due = occurrence.starts_at - timedelta(minutes=minutes)
        if due > now:
            await sends.plan(
                conn,
                key=f"{base}:remind{minutes}",
                kind="session.remind",
                due_at=due,
                payload={**payload, "minutes": minutes},
                **common,
            )
    if occurrence.starts_at >= now:
        await sends.plan(
            conn,
            key=f"{base}:start",
            kind="session.start",
            due_at=occurrence.starts_at,
            payload=payload,
            # The check-in window is the session itself: a start missed while the bot was
            # down is still worth doing (check-in post, prompts, the event) until the end.
            expires_at=occurrence.ends_at,
            **common,
        )
    if occurrence.ends_at > now:
        await sends.plan(
            conn,
            key=f"{base}:end",
            kind="session.end",
            due_at=occurrence.ends_at,
            payload=payload,
            **common,
        )


async def replan(
    conn: AsyncConnection, series: SessionRecord, occurrence: OccurrenceRecord, now: datetime
) -> None:
    """Cancel an occurrence's pending sends and plan them again under a new revision."""
    await sends.cancel_matching(conn, key_base(series.id, occurrence.original_start) + ":", now)
    await store.bump_revision(conn, occurrence.id)
    fresh = await store.occurrence(conn, occurrence.id)
    assert fresh is not None
    await plan_occurrence(conn, series, fresh, now)


async def extend(
    conn: AsyncConnection, series: SessionRecord, now: datetime
) -> list[OccurrenceRecord]:
    """Record the occurrences within the horizon, and at least the next live one; plan them.

    Idempotent: occurrences already recorded (moved, cancelled, done) are left as they are.
    """
    if series.status != SeriesStatus.ACTIVE:
        return []
    recorded = {o.original_start: o for o in await store.occurrences(conn, series.id)}
    added: list[OccurrenceRecord] = []
    has_live = False
    for slot in rules.occurrences(
        series.rrule, first_start(series), series.duration, after=now, limit=MAX_PLANNED
    ):
        if slot.start >= now + HORIZON and has_live:
            break
        known = recorded.get(slot.original)
        if known is None:
            known = await store.add_occurrence(conn, series.id, slot.original, slot.end)
            assert known is not None
            await plan_occurrence(conn, series, known, now)
            added.append(known)
        has_live = has_live or known.status in LIVE
    return added


async def materialise(
    conn: AsyncConnection, series: SessionRecord, original: datetime
) -> OccurrenceRecord | None:
    """The recorded occurrence at `original`, recording it if the rule has it there."""
    for record in await store.occurrences(conn, series.id):
        if record.original_start == original:
            return record
    window = rules.occurrences(
        series.rrule,
        first_start(series),
        series.duration,
        after=original,
        before=original + timedelta(seconds=1),
        limit=1,
    )
    if not window:
        return None
    return await store.add_occurrence(conn, series.id, window[0].original, window[0].end)


def event_spec(
    series: SessionRecord, occurrence: OccurrenceRecord, exchange: Exchange, location: str
) -> EventSpec:
    """The Discord event of an occurrence (a voice/stage event when the series has a channel).

    Both cities read one event: a series without a title is named by the default title in
    each of the exchange's languages.
    """
    return EventSpec(
        name=rules.titles_in(series.title, languages_of(exchange)),
        description=description_for(exchange, occurrence),
        start=occurrence.starts_at,
        end=occurrence.ends_at,
        channel_id=series.channel_id,
        location=location,
    )


def description_for(exchange: Exchange, occurrence: OccurrenceRecord) -> str:
    """Every city's local time with its zone's name, in each language the exchange reads (the
    event's readers see their own time too, in Discord's own words): as many languages as
    Discord's limit holds, the first always."""
    text = exchange.name
    for language in languages_of(exchange):
        block = "\n".join(
            t(
                "session.city_time",
                language,
                city=city.name,
                when=format_local_span(
                    occurrence.starts_at, occurrence.ends_at, city.timezone, language
                ),
            )
            for city in exchange.cities
        )
        if text != exchange.name and len(text) + 2 + len(block) > EVENT_DESCRIPTION:
            break
        text += "\n\n" + block
    return text


EVENT_STATUS = "session.event"


class SessionPlans:
    """Keeps each series' Discord event in step with the store, one change at a time.

    Shared by the schedule's use cases and the session's timed steps: its lock makes sure two
    of them never create, move or delete the same series' event at once.
    """

    def __init__(self, db: Database, clock: Clock, scheduler: Rearm) -> None:
        self.db = db
        self.clock = clock
        self.scheduler = scheduler
        self.events_lock = asyncio.Lock()

    async def sync_event(self, series_id: int, port: SessionPort) -> EventRefusedError | None:
        """Keep exactly one Discord event per series, for its next live occurrence, in step.

        Events of occurrences that are no longer next (after a move) are deleted. The next
        one's event is created, or updated when what it shows (times, title, place) differs
        from the digest stored when it was last set, so a call costs Discord nothing when all
        is in step. When Discord refuses, the refusal is returned (for the teacher) and the
        stored state stays behind, so the next call (at start-up, before each reminder, after
        each session or the next change) tries again.
        """
        async with self.events_lock:
            now = self.clock.now()
            async with self.db.read() as conn:
                series = await store.by_id(conn, series_id)
                if series is None:
                    return None
                live = await store.occurrences(conn, series_id, statuses=LIVE, ending_after=now)
                exchange = await exchange_of(conn, series)
                where = await exchange_store.spaces(conn, exchange.id)
            target = live[0] if live and series.status == SeriesStatus.ACTIVE else None
            for other in live:
                if (
                    other is not target
                    and other.event_id is not None
                    and other.status == OccurrenceStatus.SCHEDULED
                ):
                    await port.delete_event(other.event_id)
                    await self.record_event(other.id, None)
            if (
                target is None
                or target.status != OccurrenceStatus.SCHEDULED
                or target.starts_at <= now
            ):
                return None
            location = port.channel_label(where.exchange_channel_id) or exchange.name
            spec = event_spec(series, target, exchange, location[:EVENT_LOCATION])
            digest = spec.digest()
            if target.event_id is not None:
                if target.event_digest == digest:
                    return None
                try:
                    if await port.update_event(target.event_id, spec):
                        await self.record_event(target.id, target.event_id, digest)
                        return None
                except EventRefusedError as refused:
                    log.warning("series %s: Discord event not updated (%s)", series.id, refused)
                    return refused
            try:
                event_id = await port.create_event(spec)
            except EventRefusedError as refused:
                log.warning("series %s: no Discord event (%s)", series.id, refused)
                if target.event_id is not None:
                    await self.record_event(target.id, None)
                return refused
            await self.record_event(target.id, event_id, digest)
            return None

    async def plan_event_status(
        self, series: SessionRecord, occurrence: OccurrenceRecord, status: EventStatus
    ) -> None:
        """Start, end or cancel an occurrence's Discord event as a send of its own, due now.

        A scheduled send, so a change Discord fails for a moment is tried again (an event
        left unstarted is cancelled by Discord a few hours on; one left running stays "live")
        without redoing the rest of the session's start or end.
        """
        if occurrence.event_id is None:
            return
        now = self.clock.now()
        async with self.db.transaction() as conn:
            await sends.plan(
                conn,
                key=f"{key_base(series.id, occurrence.original_start)}:event:"
                f"{occurrence.event_id}:{status}",
                kind=EVENT_STATUS,
                due_at=now,
                guild_id=series.guild_id,
                partnership_id=series.exchange_id,
                payload={"event": occurrence.event_id, "status": str(status)},
                # No use starting an event once its session is over.
                expires_at=occurrence.ends_at
                if status == EventStatus.ACTIVE
                else max(occurrence.ends_at, now) + EVENT_STATUS_TRIES,
            )
        await self.scheduler.rearm()

    async def record_event(
        self, occurrence_id: int, event_id: int | None, digest: str | None = None
    ) -> None:
        """Remember an occurrence's Discord event (None: it has none) and what it shows."""
        async with self.db.transaction() as conn:
            await store.set_event(conn, occurrence_id, event_id, digest)
