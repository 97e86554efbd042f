"""Reports: attendance, the exchange's figures for funders, one student over time.

Who sees what: coordinators (and server admins) any city of any exchange in their server;
teachers, of the exchange whose roster they are on, their own city's attendance and students
(their city is their roster row) and the exchange's figures, whose only names are the pairs a
teacher should nudge. Students get none.

Slash commands and `python -m bot report` call the same `compute_*` methods, so a
spreadsheet and an embed always show the same numbers. Looking at a report is logged
(`report.viewed`): it shows children's names and attendance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from bot.clock import Clock
from bot.domain.exchange import City, Exchange, Role
from bot.domain.meet import dormant_by_answers
from bot.domain.reporting import (
    Attendance,
    CityRef,
    ExchangeFigures,
    Period,
    ReportError,
    Student,
    StudentActivity,
    StudentReport,
    attendance,
    period_between,
    period_of,
    seen_from,
    student_report,
)
from bot.domain.text import clean
from bot.errors import NotAllowedError, NotFoundError, UserError
from bot.services.access import Actor, require, staff_exchange_ids
from bot.services.audit import By, audit
from bot.services.consent import ConsentOverview, overview_of
from bot.services.meet import MeetSummary, summary_of
from bot.store import Database, roster
from bot.store import exchanges as exchange_store
from bot.store import meet as meet_store
from bot.store import reporting as store
from bot.store import sessions as session_store

REPORTERS = {"coordinator", "teacher"}


@dataclass(frozen=True, slots=True)
class Scope:
    """What a report covers: an exchange, and one of its cities or (None) both."""

    exchange: Exchange
    city: City | None

    @property
    def cities(self) -> tuple[City, ...]:
        return (self.city,) if self.city is not None else self.exchange.cities


@dataclass(frozen=True, slots=True)
class AttendanceReport:
    scope: Scope
    period: Period
    attendance: Attendance


@dataclass(frozen=True, slots=True)
class ExchangeReport:
    scope: Scope
    figures: ExchangeFigures
    # Guardian consent coverage per city and students with a band under 13 (issue 23).
    consent: ConsentOverview | None = None
    # "Did you meet?" answers in the period, and pairs that said "not yet" twice in a row.
    meet: MeetSummary | None = None


@dataclass(frozen=True, slots=True)
class StudentReportResult:
    scope: Scope
    report: StudentReport


def _period(make: Callable[[], Period]) -> Period:
    try:
        return make()
    except ReportError as error:
        raise UserError(error.key, **error.params) from None


async def _exchange(db: Database, guild_id: int, exchange_id: int | None) -> Exchange:
    """The exchange asked for (ended ones too: their reports stay readable), or the only one."""
    async with db.read() as conn:
        if exchange_id is not None:
            found = await exchange_store.get_exchange(conn, guild_id, exchange_id, with_ended=True)
            if found is None:
                raise NotFoundError("error.unknown_exchange")
            return found
        every = await exchange_store.exchanges_in(conn, guild_id)
        if not every:
            every = await exchange_store.exchanges_in(conn, guild_id, with_ended=True)
    if not every:
        raise NotFoundError("error.no_exchange")
    if len(every) > 1:
        raise UserError("error.choose_exchange")
    return every[0]


def _city_named(exchange: Exchange, name: str | None) -> City | None:
    """One of the exchange's cities by name as typed (any case), None for both."""
    if name is None or not clean(name):
        return None
    found = exchange.city_named(name)
    if found is None:
        raise NotFoundError("error.reporting_unknown_city", city=clean(name)[:100])
    return found


def _refs(scope: Scope) -> list[CityRef]:
    return [CityRef(c.id, c.name) for c in scope.cities]


class ReportingService:
    """Attendance and activity reports for coordinators, teachers and the command line."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def scope_for(self, actor: Actor, exchange_id: int | None, city: str | None) -> Scope:
        """What this person may see: coordinators any city; teachers only their own."""
        standing = await require(self.db, actor, REPORTERS)
        if exchange_id is None and not (standing.coordinator or standing.admin):
            # A teacher means the exchange they joined, when there is one.
            async with self.db.read() as conn:
                mine = await staff_exchange_ids(conn, actor, standing, REPORTERS)
            if mine is not None and len(mine) == 1:
                exchange_id = next(iter(mine))
        exchange = await _exchange(self.db, actor.guild_id, exchange_id)
        wanted = _city_named(exchange, city)
        if standing.coordinator or standing.admin:
            return Scope(exchange, wanted)
        async with self.db.read() as conn:
            me = await roster.find(conn, exchange.id, actor.user_id)
        if (
            me is None
            or me.role is not Role.TEACHER
            or me.status == "removed"
            or me.city_id is None
        ):
            raise NotAllowedError("error.reporting_join_first")
        own = exchange.city(me.city_id)
        if wanted is not None and wanted.id != own.id:
            raise NotAllowedError("error.reporting_own_city", city=own.name)
        return Scope(exchange, own)

    def period(self, start: date | None, end: date | None) -> Period:
        """The period asked for (defaults: the 90 days up to today), or a UserError."""
        return _period(lambda: period_between(start, end, self.clock.now().date()))

    async def _viewed(self, actor_id: int | None, scope: Scope, what: str, **details: Any) -> None:
        """Log that a report was taken (`actor_id` None: on the command line)."""
        async with self.db.transaction() as conn:
            await audit(
                conn,
                By(scope.exchange.guild_id, actor_id),
                "report.viewed",
                at=self.clock.now(),
                exchange_id=scope.exchange.id,
                report=what,
                city=scope.city.id if scope.city else None,
                **details,
            )

    # -- the computations everyone shares -------------------------------------------------------

    async def compute_attendance(self, scope: Scope, period: Period) -> Attendance:
        """Attendance per session, city and student (students only)."""
        city_id = scope.city.id if scope.city else None
        async with self.db.read() as conn:
            slots = await store.slots(conn, scope.exchange.id, period)
            students = await store.students(conn, scope.exchange.id, period, city_id=city_id)
            evidence = await store.attended(conn, scope.exchange.id, period)
            marks = await store.marks(conn, scope.exchange.id, period)
            setting = await session_store.voice_minutes(conn, scope.exchange.id)
        seen = seen_from(evidence, slots, setting)
        return attendance(_refs(scope), slots, students, seen, marks)

    async def compute_exchange(self, scope: Scope, period: Period) -> ExchangeFigures:
        """The figures funders and sister-city boards ask for (students only)."""
        whole = Scope(scope.exchange, None)
        found = await self.compute_attendance(whole, period)
        async with self.db.read() as conn:
            counts = await store.city_counts(conn, scope.exchange.id, period)
            _points, games = await store.chess_score(conn, scope.exchange.id, period)
            posted = await store.prompts_posted(conn, scope.exchange.id, period)
            pairs = await store.pair_activity(conn, scope.exchange.id)
            # "Not yet" at two check-ins in a row puts a pair among those to nudge.
            quiet = dormant_by_answers(await meet_store.history(conn, [p.pair_id for p in pairs]))
        pairs = [replace(p, not_met=True) if p.pair_id in quiet else p for p in pairs]
        return ExchangeFigures(
            exchange=scope.exchange.name,
            period=period,
            attendance=found,
            counts=counts,
            prompts_posted=posted,
            chess_games=games,
            pairs=tuple(pairs),
            now=self.clock.now(),
            partnerships=tuple(
                (CityRef(a.id, a.name), CityRef(b.id, b.name))
                for a, b in scope.exchange.partnerships()
            )
            if scope.exchange.hub is not None and scope.exchange.is_network
            else (),
        )

    async def compute_student(
        self, exchange: Exchange, student: Student, period: Period
    ) -> StudentReport:
        """One student's sessions, prompt answers, messages and games, month by month."""
        async with self.db.read() as conn:
            slots = await store.slots(conn, exchange.id, period)
            evidence = await store.attended(conn, exchange.id, period, student_id=student.id)
            marks = await store.marks(conn, exchange.id, period, student_id=student.id)
            setting = await session_store.voice_minutes(conn, exchange.id)
            found = StudentActivity(
                message_days=await store.student_messages(conn, student.id, period),
                answers=await store.student_answers(conn, student.id, period),
                games=await store.student_games(conn, student.id, period),
            )
        city = exchange.city(student.city_id).name if student.city_id else "—"
        seen = seen_from(evidence, slots, setting)
        return student_report(student, city, period, slots, seen, found, marks)

    # -- slash commands -------------------------------------------------------------------------

    async def attendance_report(
        self,
        actor: Actor,
        exchange_id: int | None,
        *,
        start: date | None = None,
        end: date | None = None,
        city: str | None = None,
    ) -> AttendanceReport:
        """`/report attendance`: coordinators for any city, teachers for their own."""
        scope = await self.scope_for(actor, exchange_id, city)
        period = self.period(start, end)
        found = await self.compute_attendance(scope, period)
        await self._viewed(
            actor.user_id, scope, "attendance", start=str(period.start), end=str(period.end)
        )
        return AttendanceReport(scope, period, found)

    async def exchange_report(
        self,
        actor: Actor,
        exchange_id: int | None,
        *,
        start: date | None = None,
        end: date | None = None,
    ) -> ExchangeReport:
        """`/report exchange`: the whole exchange's figures, for coordinators and the
        exchange's own teachers (the pairs to nudge name its students: a teacher of another
        exchange in the same server sees none of it)."""
        scope = Scope((await self.scope_for(actor, exchange_id, None)).exchange, None)
        period = self.period(start, end)
        figures = await self.compute_exchange(scope, period)
        await self._viewed(
            actor.user_id, scope, "exchange", start=str(period.start), end=str(period.end)
        )
        async with self.db.read() as conn:
            consent = await overview_of(conn, scope.exchange)
            meet = await summary_of(conn, scope.exchange, period.starts_at, period.ends_at)
        return ExchangeReport(scope, figures, consent, meet)

    async def student_participation(
        self,
        actor: Actor,
        exchange_id: int | None,
        user_id: int,
        *,
        start: date | None = None,
        end: date | None = None,
    ) -> StudentReportResult:
        """`/report student`: one student over time; teachers for students of their own
        city."""
        scope = await self.scope_for(actor, exchange_id, None)
        period = self.period(start, end)
        async with self.db.read() as conn:
            student = await store.student_of(conn, scope.exchange.id, user_id, period.ends_at)
        if student is None:
            raise NotFoundError("error.reporting_not_a_student")
        if scope.city is not None and student.city_id != scope.city.id:
            raise NotAllowedError("error.reporting_own_city", city=scope.city.name)
        report = await self.compute_student(scope.exchange, student, period)
        await self._viewed(
            actor.user_id,
            scope,
            "student",
            subject_id=user_id,
            start=str(period.start),
            end=str(period.end),
        )
        return StudentReportResult(scope, report)

    # -- the command line -----------------------------------------------------------------------

    async def operator_scope(self, exchange_id: int | None, city: str | None) -> Scope:
        """For `python -m bot report`: whoever runs it holds the database, so any exchange.

        With no id, the only exchange there is; a city is named as it was typed at creation.
        """
        async with self.db.read() as conn:
            every = await exchange_store.exchanges_in(conn, None, with_ended=True)
        if exchange_id is not None:
            every = [e for e in every if e.id == exchange_id]
            if not every:
                raise NotFoundError("error.unknown_exchange")
        if not every:
            raise NotFoundError("error.no_exchange")
        if len(every) > 1:
            listing = ", ".join(f"#{e.id} {e.name}" for e in every)
            raise UserError("error.reporting_choose_exchange_cli", exchanges=listing)
        return Scope(every[0], _city_named(every[0], city))

    def operator_period(self, start: str | None, end: str | None) -> Period:
        """The period for the command line as typed, with the same defaults and limits as
        /report."""
        return _period(lambda: period_of(start, end, self.clock.now().date()))

    async def operator_viewed(self, scope: Scope, what: str, operator: str, period: Period) -> None:
        """Log a report taken on the command line: no Discord user, so the OS account stands
        in."""
        await self._viewed(
            None,
            scope,
            what,
            via="command line",
            operator=operator[:100],
            start=str(period.start),
            end=str(period.end),
        )
