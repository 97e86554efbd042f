"""Roll call: a teacher marks their city's students present, late, excused or absent at a
session, beside what the bot saw (a check-in, minutes in voice).

The mark stands over the evidence in every report (`bot.domain.reporting`). A teacher marks
only their own city's students, coordinators any city's; only students on that session's
roster (those the reports expect there, see `bot.domain.reporting.expected`). Every mark and
every change is written to the activity log (`session.marked`); the reason for an excused
absence stays in `session_marks`, never in the log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.domain.exchange import City, Exchange, Role
from bot.domain.reporting import (
    CAME,
    MARKS,
    Period,
    SessionSlot,
    Student,
    expected,
    voice_needed,
)
from bot.domain.sessions import CALLED_OFF
from bot.domain.text import clean
from bot.errors import NotAllowedError, NotFoundError, UserError
from bot.limits import SELECT_OPTIONS
from bot.services.access import Actor, require_staff_of, staff_exchange
from bot.services.audit import By, audit
from bot.store import Database, roster
from bot.store import exchanges as exchange_store
from bot.store import reporting as reporting_store
from bot.store import sessions as store
from bot.store.sessions import MarkRecord, OccurrenceRecord, SessionRecord

# Students per page: one select menu holds them all.
PAGE = SELECT_OPTIONS
# The longest reason for an excused absence, in characters.
MAX_REASON = 100
# The minutes an exchange may ask for in voice before someone counts as present.
MAX_VOICE_MINUTES = 240


@dataclass(frozen=True, slots=True)
class RollLine:
    """One student of a roll call: what the bot saw, the teacher's mark, what counts."""

    participant_id: int
    name: str
    checked_in_at: datetime | None
    voice_minutes: int | None  # None: never in the session's voice channel (or not measured)
    mark: str | None
    reason: str | None
    counted: bool | None  # attended as the reports count it; None: excused


@dataclass(frozen=True, slots=True)
class RollCall:
    """One page of a city's roll call at one session."""

    exchange: Exchange
    title: str
    occurrence: OccurrenceRecord
    city: City
    lines: tuple[RollLine, ...]  # this page's students
    page: int
    pages: int
    students: int  # on the roster of this session, in this city
    marked: int  # of them, marked by a teacher
    voice_minutes: float  # minutes in voice that count as present
    cities: tuple[City, ...]  # the cities this person may take the roll of


@dataclass(frozen=True, slots=True)
class _Class:
    exchange: Exchange
    series: SessionRecord
    occurrence: OccurrenceRecord
    city: City
    students: list[Student]
    seen: dict[int, store.Seen]
    marks: dict[int, MarkRecord]
    setting: int | None
    cities: tuple[City, ...]


def _slot(series: SessionRecord, occurrence: OccurrenceRecord) -> SessionSlot:
    return SessionSlot(
        occurrence.id, series.title, occurrence.starts_at, occurrence.ends_at, occurrence.status
    )


class RollCallService:
    """`/session attendance` and the roll call panel's marks."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    # -- which session, which city ----------------------------------------------------------------

    async def find(
        self,
        actor: Actor,
        exchange_id: int | None,
        series_id: int | None = None,
        day: date | None = None,
    ) -> int:
        """The occurrence a roll call is for: the series' session on `day` (in the series'
        zone), else the latest one that has begun."""
        exchange = await staff_exchange(self.db, actor, exchange_id)
        async with self.db.read() as conn:
            if series_id is not None:
                series = await store.by_id(conn, series_id)
                if series is None or series.exchange_id != exchange.id:
                    raise NotFoundError("error.session_unknown")
            begun = await store.begun(conn, exchange.id, self.clock.now(), session_id=series_id)
        if day is not None:
            begun = [
                (s, o)
                for s, o in begun
                if o.starts_at.astimezone(ZoneInfo(s.timezone)).date() == day
            ]
            if not begun:
                raise UserError("error.rollcall_no_session_on", day=day)
        if not begun:
            raise UserError("error.rollcall_nothing_begun")
        return begun[0][1].id

    async def _cities(self, actor: Actor, exchange: Exchange) -> tuple[City, ...]:
        """The cities whose roll this person may take: a teacher's own, a coordinator's all."""
        found = await require_staff_of(self.db, actor, exchange.id)
        if found.coordinator or found.admin:
            return exchange.cities
        async with self.db.read() as conn:
            me = await roster.find(conn, exchange.id, actor.user_id)
        if me is None or me.role is not Role.TEACHER or me.status == "removed" or not me.city_id:
            raise NotAllowedError("error.reporting_join_first")
        return (exchange.city(me.city_id),)

    async def _class(
        self, actor: Actor, occurrence_id: int, city_id: int | None, city_name: str | None = None
    ) -> _Class:
        """Everything a roll call needs, once the actor may take this city's roll."""
        async with self.db.read() as conn:
            occurrence = await store.occurrence(conn, occurrence_id)
            series = await store.by_id(conn, occurrence.session_id) if occurrence else None
            exchange = (
                await exchange_store.get_exchange(conn, actor.guild_id, series.exchange_id)
                if series is not None and series.guild_id == actor.guild_id
                else None
            )
        if occurrence is None or series is None or exchange is None:
            raise NotFoundError("error.session_unknown")
        mine = await self._cities(actor, exchange)  # refuses staff of another exchange
        if occurrence.status in CALLED_OFF:
            raise UserError("error.rollcall_called_off")
        if occurrence.starts_at > self.clock.now():
            raise UserError("error.rollcall_not_yet", start=int(occurrence.starts_at.timestamp()))
        city = mine[0]
        if city_name is not None:
            wanted = clean(city_name).casefold()
            named = [c for c in exchange.cities if c.name.casefold() == wanted]
            if not named:
                raise NotFoundError("error.reporting_unknown_city", city=clean(city_name)[:40])
            city = named[0]
        elif city_id is not None:
            city = next((c for c in exchange.cities if c.id == city_id), city)
            if city.id != city_id:
                raise NotFoundError("error.session_unknown")
        if city not in mine:
            raise NotAllowedError("error.rollcall_own_city", city=mine[0].name)
        slot = _slot(series, occurrence)
        period = Period(occurrence.starts_at.date(), occurrence.ends_at.date())
        async with self.db.read() as conn:
            students = await reporting_store.students(conn, exchange.id, period, city_id=city.id)
            seen = await store.seen_at(conn, occurrence.id)
            marks = await store.marks_at(conn, occurrence.id)
            setting = await store.voice_minutes(conn, exchange.id)
        on_roll = [s for s in students if expected(s, slot, s.id in seen or s.id in marks)]
        on_roll.sort(key=lambda s: (s.name.casefold(), s.id))
        return _Class(exchange, series, occurrence, city, on_roll, seen, marks, setting, mine)

    def _render(self, found: _Class, page: int) -> RollCall:
        now = self.clock.now()
        occurrence = found.occurrence
        needed = voice_needed(_slot(found.series, occurrence).minutes, found.setting)
        pages = max(1, -(-len(found.students) // PAGE))
        page = min(max(page, 0), pages - 1)
        lines = []
        for student in found.students[page * PAGE : (page + 1) * PAGE]:
            seen = found.seen.get(student.id, store.Seen())
            minutes = seen.minutes(occurrence, now)
            by_evidence = seen.checked_in_at is not None or (
                seen.in_voice and (minutes is None or minutes >= needed)
            )
            record = found.marks.get(student.id)
            mark = record.mark if record else None
            counted = by_evidence if mark is None else (None if mark == "excused" else mark in CAME)
            lines.append(
                RollLine(
                    student.id,
                    student.name,
                    seen.checked_in_at,
                    minutes,
                    mark,
                    record.reason if record else None,
                    counted,
                )
            )
        marked = sum(1 for s in found.students if s.id in found.marks)
        return RollCall(
            found.exchange,
            found.series.title,
            occurrence,
            found.city,
            tuple(lines),
            page,
            pages,
            len(found.students),
            marked,
            needed,
            found.cities,
        )

    # -- use cases --------------------------------------------------------------------------------

    async def panel(
        self,
        actor: Actor,
        occurrence_id: int,
        city_id: int | None = None,
        page: int = 0,
        *,
        city_name: str | None = None,
    ) -> RollCall:
        """One page of a city's roll call (the actor's own city unless a coordinator asks)."""
        return self._render(await self._class(actor, occurrence_id, city_id, city_name), page)

    async def mark(
        self,
        actor: Actor,
        occurrence_id: int,
        city_id: int | None,
        participant_ids: Sequence[int],
        mark: str,
        *,
        reason: str | None = None,
        page: int = 0,
    ) -> RollCall:
        """Mark students of one city at one session; all or nothing.

        Refused, with nothing changed: a student not on that session's roster, another city's
        student (for a teacher), another exchange's session, a reason with anything but
        excused.
        """
        if mark not in MARKS:
            raise UserError("error.rollcall_bad_mark")
        why = clean(reason or "")
        if why and mark != "excused":
            raise UserError("error.rollcall_reason_excused_only")
        if len(why) > MAX_REASON:
            raise UserError("error.rollcall_reason_long", longest=MAX_REASON)
        found = await self._class(actor, occurrence_id, city_id)
        on_roll = {s.id for s in found.students}
        for participant_id in participant_ids:
            if participant_id in on_roll:
                continue
            async with self.db.read() as conn:
                people = await roster.by_ids(conn, [participant_id])
            who = people[0] if people else None
            if (
                who is not None
                and who.partnership_id == found.exchange.id
                and who.role is Role.STUDENT
                and who.city_id != found.city.id
                and who.city_id is not None
            ):
                theirs = found.exchange.city(who.city_id)
                if theirs not in found.cities:
                    raise NotAllowedError("error.rollcall_other_city", city=found.city.name)
                raise UserError("error.rollcall_wrong_city", city=theirs.name)
            raise UserError("error.rollcall_not_on_roster")
        now = self.clock.now()
        async with self.db.transaction() as conn:
            for participant_id in dict.fromkeys(participant_ids):
                was = await store.set_mark(
                    conn,
                    occurrence_id=found.occurrence.id,
                    participant_id=participant_id,
                    mark=mark,
                    reason=why or None,
                    by=actor.user_id,
                    now=now,
                )
                if was is not None and (was.mark, was.reason) == (mark, why or None):
                    continue
                await audit(
                    conn,
                    By(found.exchange.guild_id, actor.user_id),
                    "session.marked",
                    at=now,
                    exchange_id=found.exchange.id,
                    session=found.series.id,
                    occurrence=found.occurrence.starts_at.isoformat(),
                    student=participant_id,
                    mark=mark,
                    was=was.mark if was else None,
                    reason=bool(why),
                )
        return await self.panel(actor, found.occurrence.id, found.city.id, page)

    async def mark_rest(
        self, actor: Actor, occurrence_id: int, city_id: int, page: int
    ) -> RollCall:
        """Mark present every student of this page a teacher has not marked yet."""
        shown = await self.panel(actor, occurrence_id, city_id, page)
        rest = [line.participant_id for line in shown.lines if line.mark is None]
        if not rest:
            return shown
        return await self.mark(actor, occurrence_id, city_id, rest, "present", page=page)

    async def mark_student(
        self,
        actor: Actor,
        occurrence_id: int,
        user_id: int,
        mark: str,
        reason: str | None = None,
    ) -> tuple[RollCall, str]:
        """Mark one student named by their Discord account; (the roll call, their name)."""
        async with self.db.read() as conn:
            occurrence = await store.occurrence(conn, occurrence_id)
            series = await store.by_id(conn, occurrence.session_id) if occurrence else None
            who = (
                await roster.find(conn, series.exchange_id, user_id)
                if series is not None and series.guild_id == actor.guild_id
                else None
            )
        if series is None:
            raise NotFoundError("error.session_unknown")
        if who is None or who.role is not Role.STUDENT:
            raise UserError("error.rollcall_not_on_roster")
        done = await self.mark(actor, occurrence_id, who.city_id, [who.id], mark, reason=reason)
        return done, who.display_name

    async def set_voice_minutes(
        self, actor: Actor, exchange_id: int | None, minutes: int | None
    ) -> Exchange:
        """Set how many minutes in voice count as present (None: the default), audited."""
        exchange = await staff_exchange(self.db, actor, exchange_id)
        if minutes is not None and not 1 <= minutes <= MAX_VOICE_MINUTES:
            raise UserError("error.rollcall_voice_minutes", longest=MAX_VOICE_MINUTES)
        async with self.db.transaction() as conn:
            await store.set_voice_minutes(conn, exchange.id, minutes)
            await audit(
                conn,
                actor,
                "session.voice_minutes_set",
                at=self.clock.now(),
                exchange_id=exchange.id,
                minutes=minutes,
            )
        return exchange
