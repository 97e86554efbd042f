"""Session series as teachers shape them: previews in every city's time, confirmation,
listing, changes (cancel, skip, move, edit, reminder times, the calendar file), and the
week's best times (`suggest`, in `session_suggest`).

`SessionService` is the feature's one object (`client.services.sessions`). Planning (horizon,
sends, the Discord event) is in `session_plans`; what happens at the session's times is in
`session_runs`, reached as `SessionService.runs`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

from bot.clock import Clock
from bot.domain import sessions as rules
from bot.domain.breaks import OnBreak, sessions_on_break
from bot.domain.exchange import Exchange, ProfileError, clean_text
from bot.domain.holidays import HolidayCheck
from bot.domain.ical import SeriesFile, sequence_of, series_calendar
from bot.domain.sessions import CALLED_OFF, LIVE, EventStatus, OccurrenceStatus, SeriesStatus
from bot.domain.text import echo, whole_number
from bot.domain.timezones import ALIASES, UnknownZoneError, check_zone
from bot.errors import NotAllowedError, NotFoundError, UserError
from bot.i18n import DEFAULT_LANGUAGE
from bot.services import exchanges as exchange_service
from bot.services import prompts as prompt_service
from bot.services.access import (
    Actor,
    require,
    require_staff_of,
    staff_exchange,
    staff_exchange_ids,
)
from bot.services.audit import audit
from bot.services.scheduler import Rearm, SendError
from bot.services.session_plans import (
    SessionPlans,
    city_clocks,
    effective_slots,
    exchange_of,
    extend,
    first_start,
    holiday_check,
    key_base,
    languages_of,
    materialise,
    other_series_slots,
    plan_occurrence,
    replan,
    resolve,
    user_error,
    zones_of,
)
from bot.services.session_port import Announcement, EventRefusedError, SessionPort
from bot.services.session_runs import SessionRuns
from bot.services.session_suggest import Suggested, SuggestInput, suggest_times
from bot.store import Database, roster, sends
from bot.store import breaks as break_store
from bot.store import exchanges as exchange_store
from bot.store import sessions as store
from bot.store.sessions import OccurrenceRecord, SessionRecord

log = logging.getLogger(__name__)

STAFF = {"teacher", "coordinator"}
# An unconfirmed preview is forgotten after this long.
DRAFT_TTL = timedelta(hours=1)
# The longest a typed rule is examined before it is refused as too rare to plan.
PROBE_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class ScheduleInput:
    """What a teacher typed into /session schedule (no title: each reader sees the default
    title in their language)."""

    title: str | None
    repeat: str
    start: date
    time: str
    zone: str | None = None
    duration: int = 60
    count: int | None = None
    until: date | None = None
    channel_id: int | None = None
    prompt: str | None = None


@dataclass(frozen=True, slots=True)
class Preview:
    """What a teacher sees before confirming a schedule or a move."""

    exchange: Exchange
    title: str
    zone: str
    local_time: time
    duration: timedelta
    shape: rules.RuleShape
    slots: tuple[rules.Slot, ...]
    finite: bool
    warnings: tuple[rules.Warning, ...]
    overlap: rules.Overlap | None
    channel_id: int | None = None
    draft_id: int | None = None
    # The teacher's own words as the prompt (not prompt ids): posted in that one language.
    free_text_prompt: bool = False
    # Sessions on a public holiday in either city, and the cities not checked (None: no
    # check was made, and the preview claims nothing about holidays).
    holidays: HolidayCheck | None = None
    # Sessions in a city's school break.
    on_break: tuple[OnBreak, ...] = ()


def _city_zones(exchange: Exchange) -> list[tuple[int, str, str]]:
    return [(c.id, c.name, c.timezone) for c in exchange.cities]


def _zone(typed: str | None, fallback: str) -> str:
    name = (typed or "").strip() or fallback
    # "Najaf" or "Minneapolis" typed without picking from the list.
    name = ALIASES.get(name.casefold(), name)
    try:
        check_zone(name)
    except UnknownZoneError:
        raise UserError("error.unknown_zone", zone=echo(name, 64)) from None
    return name


async def _check_rule(rule: str, first: datetime) -> None:
    """`rules.check_rule` off the event loop, and never for longer than PROBE_SECONDS."""
    try:
        async with asyncio.timeout(PROBE_SECONDS):
            await asyncio.to_thread(rules.check_rule, rule, first)
    except TimeoutError:
        raise UserError("error.session_rare", years=rules.MAX_GAP.days // 366) from None
    except rules.RuleError as exc:
        raise user_error(exc) from None


@dataclass(frozen=True, slots=True)
class Scheduled:
    series: SessionRecord
    next_slots: tuple[rules.Slot, ...]
    shape: rules.RuleShape
    # Why Discord would not create the next session's event (None: it exists).
    event_refused: EventRefusedError | None = None


@dataclass(frozen=True, slots=True)
class Changed:
    """A series after a change to one occurrence (or to the series, `occurrence` None)."""

    series: SessionRecord
    occurrence: OccurrenceRecord | None
    event_refused: EventRefusedError | None = None


@dataclass(frozen=True, slots=True)
class SeriesView:
    series: SessionRecord
    shape: rules.RuleShape
    upcoming: tuple[rules.Slot, ...]
    exchange: Exchange
    # Public holidays on the upcoming sessions, in either city.
    holidays: HolidayCheck = field(default_factory=HolidayCheck)
    # Upcoming sessions in a city's school break.
    on_break: tuple[OnBreak, ...] = ()


@dataclass(frozen=True, slots=True)
class SeriesEnd:
    series: SessionRecord
    upcoming: int


@dataclass(frozen=True, slots=True)
class SeriesEdit:
    """What a teacher changes in a series; None leaves a value as it is."""

    title: str | None = None
    prompt: str | None = None
    duration: int | None = None
    channel_id: int | None = None
    no_channel: bool = False


class SessionService:
    """Session series as teachers shape them, and (in `runs`) as they happen.

    Built once at start-up; `plans` keeps each series' Discord event in step for both.
    """

    def __init__(self, db: Database, clock: Clock, scheduler: Rearm, grace: timedelta) -> None:
        self.db = db
        self.clock = clock
        self.scheduler = scheduler
        self.plans = SessionPlans(db, clock, scheduler)
        self.runs = SessionRuns(self.plans, grace)

    async def _default_zone(self, actor: Actor, exchange: Exchange) -> str:
        """The organiser's own city's zone when the roster knows it, else the first city's."""
        async with self.db.read() as conn:
            me = await roster.find(conn, exchange.id, actor.user_id)
        if me is not None and me.city_id is not None:
            return exchange.city(me.city_id).timezone
        return exchange.cities[0].timezone

    async def preview_schedule(
        self, actor: Actor, exchange_id: int | None, typed: ScheduleInput
    ) -> Preview:
        """Check what was typed, and keep it as a draft that only the organiser can confirm."""
        exchange = await staff_exchange(self.db, actor, exchange_id, STAFF)
        async with self.db.read() as conn:
            where = await exchange_store.spaces(conn, exchange.id)
        if where.exchange_channel_id is None:
            raise UserError("error.session_needs_channels")
        try:
            title = (
                clean_text(typed.title, limit=rules.MAX_TITLE, what="name")
                if typed.title is not None
                else rules.NO_TITLE
            )
            prompt = (
                clean_text(typed.prompt, limit=rules.MAX_PROMPT, what="prompt", multiline=True)
                if typed.prompt and typed.prompt.strip()
                else None
            )
        except ProfileError as exc:
            raise user_error(exc) from None
        zone = _zone(typed.zone, await self._default_zone(actor, exchange))
        if not rules.MIN_DURATION <= typed.duration <= rules.MAX_DURATION:
            raise UserError(
                "error.session_duration", low=rules.MIN_DURATION, high=rules.MAX_DURATION
            )
        duration = timedelta(minutes=typed.duration)
        now = self.clock.now()
        try:
            day = typed.start
            at = rules.parse_time(typed.time)
            first = rules.local_start(day, at, zone)
            if first.astimezone(UTC) <= now:
                raise rules.RuleError("error.session_past")
            if first.astimezone(UTC) > now + rules.MAX_AHEAD:
                # Its horizon would not reach it: nothing could be planned or shown.
                raise rules.RuleError("error.session_too_far", days=rules.MAX_AHEAD.days)
            until = rules.end_of_day(typed.until, zone) if typed.until else None
            rule = rules.with_end(
                rules.parse_repeat(typed.repeat, day), count=typed.count, until=until
            )
        except rules.RuleError as exc:
            raise user_error(exc) from None
        await _check_rule(rule, first)
        try:
            slots = rules.preview_slots(rule, first, duration)
        except rules.RuleError as exc:
            raise user_error(exc) from None
        if not slots:
            raise UserError("error.session_no_occurrence")
        async with self.db.transaction() as conn:
            await store.purge_drafts(conn, now - DRAFT_TTL)
            draft_id = await store.create(
                conn,
                guild_id=actor.guild_id,
                exchange_id=exchange.id,
                title=title,
                timezone=zone,
                first_local=first.replace(tzinfo=None).isoformat(timespec="minutes"),
                starts_at=slots[0].start,
                rrule=rule,
                duration=duration,
                channel_id=typed.channel_id,
                prompt=prompt,
                created_by=actor.user_id,
                now=now,
            )
            draft = await store.by_id(conn, draft_id)
        assert draft is not None
        return await self._preview_of(draft, exchange, actor.language)

    async def preview_again(self, actor: Actor, draft_id: int) -> Preview:
        """The preview of a draft once more (another page of its dates): its organiser's."""
        draft = await self._draft(actor, draft_id)
        await require_staff_of(self.db, actor, draft.exchange_id, STAFF)
        async with self.db.read() as conn:
            exchange = await exchange_of(conn, draft)
        return await self._preview_of(draft, exchange, actor.language)

    async def _preview_of(self, draft: SessionRecord, exchange: Exchange, language: str) -> Preview:
        """What a draft's organiser sees: every date of a finite series, its warnings and
        its first clash with another series."""
        first = first_start(draft)
        try:
            slots = rules.preview_slots(draft.rrule, first, draft.duration)
        except rules.RuleError as exc:
            raise user_error(exc) from None
        if not slots:
            raise UserError("error.session_no_occurrence")
        async with self.db.read() as conn:
            others = await other_series_slots(
                conn, exchange.id, draft.id, slots[0].start - timedelta(days=1), slots[-1].end
            )
            breaks = await break_store.of_exchange(conn, exchange.id)
        wall = first.time()
        return Preview(
            exchange=exchange,
            title=draft.title,
            zone=draft.timezone,
            local_time=wall,
            duration=draft.duration,
            shape=rules.describe(draft.rrule),
            slots=tuple(slots),
            finite=rules.is_finite(draft.rrule),
            warnings=tuple(
                rules.warnings(slots, city_clocks(exchange), organiser=draft.timezone, wall=wall)
            ),
            overlap=rules.find_overlap(slots, others),
            channel_id=draft.channel_id,
            draft_id=draft.id,
            free_text_prompt=(
                draft.prompt is not None
                and await prompt_service.prompt_set(self.db, exchange.id, draft.prompt) is None
            ),
            holidays=await holiday_check(exchange, slots, language),
            on_break=tuple(sessions_on_break(slots, _city_zones(exchange), breaks)),
        )

    async def _staff_series(self, actor: Actor, session_id: int | None) -> SessionRecord:
        """The series a staff action is for, once the actor is known to be staff of its
        exchange (not named: the only series of their exchanges, or of the server)."""
        found = await require(self.db, actor, STAFF)
        async with self.db.read() as conn:
            mine = await staff_exchange_ids(conn, actor, found, STAFF)
        series = await resolve(self.db, actor.guild_id, session_id, mine=mine)
        if mine is not None and series.exchange_id not in mine:
            raise NotAllowedError("error.not_staff_here")
        return series

    async def _draft(self, actor: Actor, draft_id: int) -> SessionRecord:
        async with self.db.read() as conn:
            draft = await store.get(conn, actor.guild_id, draft_id)
        if draft is None or draft.status != SeriesStatus.DRAFT:
            raise UserError("error.session_preview_gone")
        if draft.created_by != actor.user_id:
            raise NotAllowedError("error.session_not_yours")
        return draft

    async def confirm_schedule(self, actor: Actor, draft_id: int, port: SessionPort) -> Scheduled:
        """Turn a previewed draft into a live series: occurrences, sends, event, announcement."""
        draft = await self._draft(actor, draft_id)
        # Still staff of its exchange (a teacher removed since the preview is not).
        await require_staff_of(self.db, actor, draft.exchange_id, STAFF)
        now = self.clock.now()
        if draft.starts_at <= now:
            async with self.db.transaction() as conn:
                await store.delete_draft(conn, draft.id)
            raise UserError("error.session_past")
        ahead = rules.occurrences(
            draft.rrule,
            first_start(draft),
            draft.duration,
            after=now,
            before=now + rules.EXAMINED_SPAN,
            limit=1,
        )
        if not ahead:
            # Nothing the horizon can plan (a draft made before its first date was limited):
            # refused while it is still a draft, never a live series without an answer.
            raise UserError("error.session_too_far", days=rules.MAX_AHEAD.days)
        async with self.db.transaction() as conn:
            if not await store.set_status(
                conn, draft.id, SeriesStatus.ACTIVE, now, was=SeriesStatus.DRAFT
            ):
                raise UserError("error.session_preview_gone")
            series = await store.by_id(conn, draft.id)
            assert series is not None
            await extend(conn, series, now)
            exchange = await exchange_of(conn, series)
            await audit(
                conn,
                actor,
                "session.scheduled",
                at=now,
                exchange_id=series.exchange_id,
                session=series.id,
                rule=series.rrule,
                zone=series.timezone,
                first=series.starts_at.isoformat(),
            )
            upcoming = await effective_slots(
                conn, series, after=now, before=now + rules.EXAMINED_SPAN, limit=3
            )
        await self.scheduler.rearm()
        refused = await self.plans.sync_event(series.id, port)
        shape = rules.describe(series.rrule)
        first_slot = upcoming[0][0]
        await self._announce(
            series,
            Announcement(
                "scheduled",
                series.title,
                languages_of(exchange),
                start=first_slot.start,
                end=first_slot.end,
                shape=shape,
                zone=series.timezone,
                local_time=rules.first_wall(series.first_local),
                cities=zones_of(exchange),
            ),
            port,
        )
        return Scheduled(series, tuple(s for s, _ in upcoming), shape, refused)

    async def discard_draft(self, actor: Actor, draft_id: int) -> None:
        """The organiser dropped the preview: forget it."""
        draft = await self._draft(actor, draft_id)
        async with self.db.transaction() as conn:
            await store.delete_draft(conn, draft.id)

    async def suggest(
        self, actor: Actor, exchange_id: int | None, typed: SuggestInput
    ) -> Suggested:
        """The week's best times for a session in every city (teachers and coordinators)."""
        return await suggest_times(self.db, self.clock, actor, exchange_id, typed)

    async def list_sessions(self, actor: Actor, exchange_id: int | None) -> list[SeriesView]:
        """An exchange's active series with their next occurrences (anyone may look)."""
        exchange = await exchange_service.get(self.db, actor.guild_id, exchange_id)
        now = self.clock.now()
        views = []
        async with self.db.read() as conn:
            for series in await store.of_exchange(conn, exchange.id):
                upcoming = await effective_slots(
                    conn,
                    series,
                    after=now - series.duration,
                    before=now + rules.EXAMINED_SPAN,
                    limit=3,
                )
                views.append(
                    SeriesView(
                        series,
                        rules.describe(series.rrule),
                        tuple(s for s, _ in upcoming if s.end > now),
                        exchange,
                    )
                )
            breaks = await break_store.of_exchange(conn, exchange.id)
        checked = []
        for view in views:
            found = await holiday_check(exchange, view.upcoming, actor.language)
            off = sessions_on_break(view.upcoming, _city_zones(exchange), breaks)
            checked.append(replace(view, holidays=found, on_break=tuple(off)))
        return checked

    async def upcoming_of(
        self, guild_id: int, session_id: int, limit: int = 25
    ) -> list[rules.Slot]:
        """The next occurrences of a series that have not started (for autocomplete)."""
        now = self.clock.now()
        async with self.db.read() as conn:
            series = await store.get(conn, guild_id, session_id)
            if series is None or series.status != SeriesStatus.ACTIVE:
                return []
            found = await effective_slots(
                conn, series, after=now, before=now + rules.EXAMINED_SPAN * 2, limit=limit
            )
        return [slot for slot, status in found if status == OccurrenceStatus.SCHEDULED]

    async def series_in_guild(self, guild_id: int) -> list[SessionRecord]:
        async with self.db.read() as conn:
            return await store.of_guild(conn, guild_id)

    async def _occurrence_at(
        self, series: SessionRecord, original_unix: str | None
    ) -> OccurrenceRecord:
        """The occurrence a teacher picked (its original start as unix seconds), recorded."""
        now = self.clock.now()
        if original_unix is None:
            upcoming = await self.upcoming_of(series.guild_id, series.id, limit=1)
            if not upcoming:
                raise UserError("error.session_no_upcoming")
            original = upcoming[0].original
        else:
            seconds = whole_number(original_unix)
            # Only the sessions offered as choices: a date far ahead would make the rule be
            # searched for years on the event loop.
            if seconds is None or not (
                series.starts_at.timestamp()
                <= seconds
                <= (now + rules.EXAMINED_SPAN * 2).timestamp()
            ):
                raise UserError("error.session_occurrence_unknown")
            original = datetime.fromtimestamp(seconds, UTC)
        async with self.db.read() as conn:
            recorded = await store.occurrences(conn, series.id)
        if not any(o.original_start == original for o in recorded):
            # Checked before it is recorded: a refusal leaves nothing behind.
            slots = rules.occurrences(
                series.rrule,
                first_start(series),
                series.duration,
                after=original,
                before=original + timedelta(seconds=1),
                limit=1,
            )
            if not slots:
                raise UserError("error.session_occurrence_unknown")
            if slots[0].start <= now:
                raise UserError("error.session_already_started")
        async with self.db.transaction() as conn:
            found = await materialise(conn, series, original)
        if found is None:
            raise UserError("error.session_occurrence_unknown")
        if found.status == OccurrenceStatus.STARTED or (
            found.status == OccurrenceStatus.SCHEDULED and found.starts_at <= now
        ):
            raise UserError("error.session_already_started")
        if found.status not in LIVE:
            raise UserError("error.session_occurrence_gone")
        return found

    async def _announce(
        self, series: SessionRecord, announcement: Announcement, port: SessionPort
    ) -> None:
        """Tell the exchange's announcements channel; the teacher's change stands either way."""
        async with self.db.read() as conn:
            where = await exchange_store.spaces(conn, series.exchange_id)
        if where.exchange_channel_id is None:
            return
        try:
            await port.post(where.exchange_channel_id, announcement)
        except SendError as exc:
            log.warning("series %s: announcement not posted: %s", series.id, exc.reason)

    async def cancel_occurrence(
        self,
        actor: Actor,
        session_id: int | None,
        original_unix: str | None,
        port: SessionPort,
        *,
        kind: OccurrenceStatus = OccurrenceStatus.CANCELLED,
    ) -> Changed:
        """Cancel (or skip) one occurrence; the series goes on. Without a date: the next one."""
        series = await self._staff_series(actor, session_id)
        occurrence = await self._occurrence_at(series, original_unix)
        now = self.clock.now()
        async with self.db.transaction() as conn:
            if not await store.set_occurrence_status(
                conn,
                occurrence.id,
                kind,
                was=(OccurrenceStatus.SCHEDULED,),
                by=actor.user_id,
                now=now,
            ):
                raise UserError("error.session_occurrence_gone")
            await sends.cancel_matching(
                conn, key_base(series.id, occurrence.original_start) + ":", now
            )
            await extend(conn, series, now)
            exchange = await exchange_of(conn, series)
            await audit(
                conn,
                actor,
                "session.skipped"
                if kind == OccurrenceStatus.SKIPPED
                else "session.occurrence_cancelled",
                at=now,
                exchange_id=series.exchange_id,
                session=series.id,
                occurrence=occurrence.starts_at.isoformat(),
            )
        await self.scheduler.rearm()
        if occurrence.event_id is not None:
            await self.plans.plan_event_status(series, occurrence, EventStatus.CANCELLED)
            await self.plans.record_event(occurrence.id, None)
        refused = await self.plans.sync_event(series.id, port)
        await self._announce(
            series,
            Announcement(
                kind,
                series.title,
                languages_of(exchange),
                start=occurrence.starts_at,
                end=occurrence.ends_at,
                cities=zones_of(exchange),
            ),
            port,
        )
        return Changed(series, occurrence, refused)

    async def preview_cancel_series(self, actor: Actor, session_id: int | None) -> SeriesEnd:
        """What cancelling a whole series would remove (nothing changes yet)."""
        series = await self._staff_series(actor, session_id)
        upcoming = await self.upcoming_of(actor.guild_id, series.id, limit=200)
        return SeriesEnd(series, len(upcoming))

    async def cancel_series(self, actor: Actor, session_id: int, port: SessionPort) -> SeriesEnd:
        """End a series: every occurrence not yet started is cancelled; the past is kept."""
        series = await self._staff_series(actor, session_id)
        upcoming = len(await self.upcoming_of(actor.guild_id, series.id, limit=200))
        now = self.clock.now()
        events: list[OccurrenceRecord] = []
        async with self.db.transaction() as conn:
            if not await store.set_status(
                conn, series.id, SeriesStatus.CANCELLED, now, was=SeriesStatus.ACTIVE
            ):
                raise NotFoundError("error.session_unknown")
            live = await store.occurrences(conn, series.id, statuses=(OccurrenceStatus.SCHEDULED,))
            for occurrence in live:
                await store.set_occurrence_status(
                    conn,
                    occurrence.id,
                    OccurrenceStatus.CANCELLED,
                    was=(OccurrenceStatus.SCHEDULED,),
                    by=actor.user_id,
                    now=now,
                )
                await sends.cancel_matching(
                    conn, key_base(series.id, occurrence.original_start) + ":", now
                )
                if occurrence.event_id is not None:
                    events.append(occurrence)
            exchange = await exchange_of(conn, series)
            await audit(
                conn,
                actor,
                "session.cancelled",
                at=now,
                exchange_id=series.exchange_id,
                session=series.id,
                occurrences=len(live),
            )
        await self.scheduler.rearm()
        for occurrence in events:
            await self.plans.plan_event_status(series, occurrence, EventStatus.CANCELLED)
            await self.plans.record_event(occurrence.id, None)
        await self._announce(
            series, Announcement("series_cancelled", series.title, languages_of(exchange)), port
        )
        return SeriesEnd(series, upcoming)

    async def preview_move(
        self,
        actor: Actor,
        session_id: int | None,
        original_unix: str | None,
        new_date: date,
        new_time: str,
    ) -> tuple[Preview, OccurrenceRecord, datetime]:
        """Check a move of one occurrence; show both cities' times, warnings and clashes."""
        series = await self._staff_series(actor, session_id)
        try:
            at = rules.parse_time(new_time)
        except rules.RuleError as exc:
            raise user_error(exc) from None
        start = rules.local_start(new_date, at, series.timezone).astimezone(UTC)
        now = self.clock.now()
        if start <= now:
            raise UserError("error.session_past")
        if start > now + rules.MAX_AHEAD:
            # Every series' sessions up to that day would be listed to look for clashes.
            raise UserError("error.session_too_far", days=rules.MAX_AHEAD.days)
        occurrence = await self._occurrence_at(series, original_unix)
        duration = occurrence.ends_at - occurrence.starts_at
        slot = rules.Slot(occurrence.original_start, start, start + duration)
        async with self.db.read() as conn:
            exchange = await exchange_of(conn, series)
            others = await other_series_slots(
                conn,
                exchange.id,
                series.id,
                start - timedelta(days=1),
                slot.end + timedelta(days=1),
            )
            siblings = await effective_slots(
                conn, series, after=start - timedelta(days=1), before=slot.end + timedelta(days=1)
            )
            breaks = await break_store.of_exchange(conn, exchange.id)
        others.append(
            (series.title, [s for s, _ in siblings if s.original != occurrence.original_start])
        )
        preview = Preview(
            exchange=exchange,
            title=series.title,
            zone=series.timezone,
            local_time=at,
            duration=duration,
            shape=rules.describe(series.rrule),
            slots=(slot,),
            finite=True,
            warnings=tuple(
                rules.warnings([slot], city_clocks(exchange), organiser=series.timezone, wall=at)
            ),
            overlap=rules.find_overlap([slot], others),
            channel_id=series.channel_id,
            holidays=await holiday_check(exchange, [slot], actor.language),
            on_break=tuple(sessions_on_break([slot], _city_zones(exchange), breaks)),
        )
        return preview, occurrence, start

    async def move_occurrence(
        self,
        actor: Actor,
        session_id: int,
        original_unix: str,
        new_start_unix: int,
        port: SessionPort,
    ) -> Changed:
        """Move one occurrence (confirmed); its reminders, start and end follow it."""
        series = await self._staff_series(actor, session_id)
        occurrence = await self._occurrence_at(series, original_unix)
        start = datetime.fromtimestamp(new_start_unix, UTC)
        now = self.clock.now()
        if start <= now:
            raise UserError("error.session_past")
        duration = occurrence.ends_at - occurrence.starts_at
        async with self.db.transaction() as conn:
            # Looked at again under the write lock: a confirmation pressed twice (or by two
            # teachers) moves the session once, and announces it once.
            current = await store.occurrence(conn, occurrence.id)
            now_at = current.starts_at if current is not None else None
            if now_at is None or now_at != occurrence.starts_at or now_at == start:
                raise UserError(
                    "error.session_moved_already",
                    start=int((now_at or occurrence.starts_at).timestamp()),
                )
            await sends.cancel_matching(
                conn, key_base(series.id, occurrence.original_start) + ":", now
            )
            await store.reschedule(
                conn, occurrence.id, start, start + duration, by=actor.user_id, now=now
            )
            moved = await store.occurrence(conn, occurrence.id)
            assert moved is not None
            await plan_occurrence(conn, series, moved, now)
            exchange = await exchange_of(conn, series)
            await audit(
                conn,
                actor,
                "session.moved",
                at=now,
                exchange_id=series.exchange_id,
                **{
                    "session": series.id,
                    "from": occurrence.starts_at.isoformat(),
                    "to": start.isoformat(),
                },
            )
        await self.scheduler.rearm()
        refused = await self.plans.sync_event(series.id, port)
        await self._announce(
            series,
            Announcement(
                "moved",
                series.title,
                languages_of(exchange),
                start=moved.starts_at,
                end=moved.ends_at,
                previous=occurrence.starts_at,
                cities=zones_of(exchange),
            ),
            port,
        )
        return Changed(series, moved, refused)

    async def edit_series(
        self, actor: Actor, session_id: int | None, change: SeriesEdit, port: SessionPort
    ) -> Changed:
        """Change a series from now on: recorded occurrences not yet started are re-planned (later
        ones are recorded with the new values); the past and a session under way are kept."""
        series = await self._staff_series(actor, session_id)
        values: dict[str, object] = {}
        try:
            if change.title is not None:
                values["title"] = clean_text(change.title, limit=rules.MAX_TITLE, what="name")
            if change.prompt is not None:
                values["prompt"] = clean_text(
                    change.prompt, limit=rules.MAX_PROMPT, what="prompt", multiline=True
                )
        except ProfileError as exc:
            raise user_error(exc) from None
        if change.duration is not None:
            if not rules.MIN_DURATION <= change.duration <= rules.MAX_DURATION:
                raise UserError(
                    "error.session_duration", low=rules.MIN_DURATION, high=rules.MAX_DURATION
                )
            values["duration"] = timedelta(minutes=change.duration)
        if change.channel_id is not None or change.no_channel:
            values["channel_id"] = None if change.no_channel else change.channel_id
        if not values:
            raise UserError("error.session_edit_nothing")
        now = self.clock.now()
        async with self.db.transaction() as conn:
            await store.change(conn, series.id, now, **values)
            fresh = await store.by_id(conn, series.id)
            assert fresh is not None
            if "duration" in values:
                for occurrence in await store.occurrences(
                    conn, series.id, statuses=(OccurrenceStatus.SCHEDULED,)
                ):
                    if occurrence.starts_at <= now:
                        continue
                    await sends.cancel_matching(
                        conn, key_base(series.id, occurrence.original_start) + ":", now
                    )
                    await store.reschedule(
                        conn,
                        occurrence.id,
                        occurrence.starts_at,
                        occurrence.starts_at + fresh.duration,
                        by=actor.user_id,
                        now=now,
                    )
                    moved = await store.occurrence(conn, occurrence.id)
                    assert moved is not None
                    await plan_occurrence(conn, fresh, moved, now)
            await audit(
                conn,
                actor,
                "session.edited",
                at=now,
                exchange_id=series.exchange_id,
                session=series.id,
                changed=sorted(values),  # which fields changed, never the text itself
            )
        await self.scheduler.rearm()
        refused = await self.plans.sync_event(series.id, port)
        return Changed(fresh, None, refused)

    async def set_reminders(
        self, actor: Actor, exchange_id: int | None, typed: str
    ) -> tuple[Exchange, tuple[int, ...]]:
        """Choose when reminders go out for an exchange; future occurrences are re-planned."""
        exchange = await staff_exchange(self.db, actor, exchange_id, STAFF)
        try:
            minutes = rules.parse_reminders(typed)
        except rules.RuleError as exc:
            raise user_error(exc) from None
        now = self.clock.now()
        async with self.db.transaction() as conn:
            await store.set_reminder_minutes(conn, exchange.id, minutes)
            for series in await store.of_exchange(conn, exchange.id):
                for occurrence in await store.occurrences(
                    conn, series.id, statuses=(OccurrenceStatus.SCHEDULED,)
                ):
                    if occurrence.starts_at > now:
                        await replan(conn, series, occurrence, now)
            await audit(
                conn,
                actor,
                "session.reminders_set",
                at=now,
                exchange_id=exchange.id,
                minutes=list(minutes),
            )
        await self.scheduler.rearm()
        return exchange, minutes

    async def reminders_of(
        self, actor: Actor, exchange_id: int | None
    ) -> tuple[Exchange, tuple[int, ...]]:
        """When an exchange's reminders go out (anyone may look)."""
        exchange = await exchange_service.get(self.db, actor.guild_id, exchange_id)
        async with self.db.read() as conn:
            return exchange, await store.reminder_minutes(conn, exchange.id)

    async def ics(
        self, actor: Actor, session_id: int | None, port: SessionPort
    ) -> tuple[SessionRecord, bytes]:
        """The series as an iCalendar file (RRULE, EXDATE for cancellations, moved overrides)."""
        series = await self._staff_series(actor, session_id)
        async with self.db.read() as conn:
            recorded = await store.occurrences(conn, series.id)
            exchange = await exchange_of(conn, series)
            where = await exchange_store.spaces(conn, exchange.id)
        location = (
            port.channel_label(series.channel_id)
            or port.channel_label(where.exchange_channel_id)
            or exchange.name
        )
        file = series_file(series, recorded, exchange, location, self.clock.now(), actor.language)
        return series, series_calendar(file)


def series_file(
    series: SessionRecord,
    recorded: Sequence[OccurrenceRecord],
    exchange: Exchange,
    location: str,
    now: datetime,
    language: str = DEFAULT_LANGUAGE,
) -> SeriesFile:
    """A series as the calendar sees it: its rule, the dates called off (EXDATE), the moved
    ones (overrides), when it last changed and the SEQUENCE that says so; one called off
    ends at that moment; each event's description gives its start on every city's clocks in
    `language`. `/session ics` and the calendar feeds share it."""
    cancelled = [o.original_start for o in recorded if o.status in CALLED_OFF]
    moved = [
        rules.Slot(o.original_start, o.starts_at, o.ends_at)
        for o in recorded
        if o.status not in CALLED_OFF
        and (o.starts_at != o.original_start or o.ends_at - o.starts_at != series.duration)
    ]
    changes = [series.updated_at or series.created_at, series.created_at]
    changes += [o.changed_at for o in recorded if o.changed_at is not None]
    modified = max(changes)
    ended = series.updated_at if series.status is SeriesStatus.CANCELLED else None
    return SeriesFile(
        uid=f"session-{series.id}-{series.guild_id}@twinbridge",
        title=rules.title_in(series.title, language),
        description="",
        clocks=tuple((c.name, c.timezone) for c in exchange.cities),
        language=language,
        zone=series.timezone,
        first=first_start(series),
        duration=series.duration,
        rule=series.rrule,
        location=location,
        stamp=now,
        cancelled=cancelled,
        moved=moved,
        modified=modified,
        sequence=sequence_of(series.created_at, modified),
        ended_at=ended,
    )
