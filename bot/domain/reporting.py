"""Reports for coordinators and funders: the attendance maths, exchange figures, CSV and JSON.

Plain values in and out. The store does the heavy counting in SQL (a million log rows never
come here); what arrives is small: the students, the sessions, who was seen at which, totals
per city. The embeds, the CSV files, the chart and the command line all render these same
values, so they can never disagree.

Definitions (the README repeats them for coordinators):

- Only students count ("youth participants", as funders count them), never teachers.
- A session counts once it has ended (status "done"). It was *held* when at least one student
  attended; cancelled, skipped, upcoming and running sessions are listed but not counted.
- A student is *expected* at an ended session if they had joined before it ended and were
  on the roster when it started (not removed, not paused: the roster changes in the activity
  log say when), or if they attended it anyway. Attending means a
  check-in with the button or enough minutes in the session's voice or stage channel
  (`voice_needed`).
- A teacher's roll call mark stands over that evidence: present and late attended, absent did
  not, and an excused student was not expected at all (so an excused absence never lowers a
  rate nor counts toward "missed two in a row"). Each tally says how many of its students a
  teacher marked.
- *Live minutes*: each attending student adds the session's length.
- Dates are whole UTC days; `to` is included.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple

from bot.cldr import format_percent
from bot.domain.days import FIRST_DAY, DayError, check_day
from bot.domain.days import parse_day as read_day
from bot.domain.sessions import title_in
from bot.domain.spreadsheet import to_csv
from bot.domain.text import ascii_digits, clean, echo
from bot.i18n import DEFAULT_LANGUAGE, shown_name

DEFAULT_DAYS = 90
MAX_YEARS = 2
# A pair that wrote nothing for this long is dormant: a teacher should nudge it.
ACTIVE_WINDOW = timedelta(days=14)
# Missing this many counted sessions one after another gets a student named for follow-up.
MISSED_IN_A_ROW = 2

COUNTED = "done"
# A teacher's roll call marks; the first two mean the student attended.
MARKS = ("present", "late", "excused", "absent")
CAME = frozenset({"present", "late"})
# Voice attendance: this many minutes, or half the session if shorter, unless the exchange
# sets its own.
VOICE_MINUTES = 10
DATE_FORMAT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class ReportError(ValueError):
    """A report request breaks a rule; `key` names the message, `params` fill it."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


# -- the period ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Period:
    """Whole UTC days from `start` to `end`, both included."""

    start: date
    end: date

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.start, time(0), tzinfo=UTC)

    @property
    def ends_at(self) -> datetime:
        """The first moment after the period (exclusive)."""
        return datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=UTC)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def parse_day(text: str) -> date:
    """A YYYY-MM-DD date, or ReportError naming what was typed.

    Digits of any script count: a teacher typing on an Arabic keyboard writes ٢٠٢٦-١٠-٠٦.
    """
    typed = clean(text)
    if not DATE_FORMAT.fullmatch(ascii_digits(typed)):
        raise ReportError("error.reporting_bad_date", value=echo(typed, 20))
    try:
        return read_day(typed)
    except DayError as exc:
        if exc.key == "error.date":
            raise ReportError("error.reporting_bad_date", value=echo(typed, 20)) from None
        raise ReportError(exc.key, **exc.params) from None


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def period_of(start: str | None, end: str | None, today: date) -> Period:
    """The period asked for as typed (YYYY-MM-DD); see `period_between`."""
    return period_between(
        parse_day(start) if start else None, parse_day(end) if end else None, today
    )


def period_between(start: date | None, end: date | None, today: date) -> Period:
    """The period asked for: `end` defaults to today, `start` to 90 days before `end`.

    An end before the start, or more than two years, is refused with a ReportError.
    """
    try:
        last = check_day(end or today)
        first = check_day(start or max(FIRST_DAY, last - timedelta(days=DEFAULT_DAYS - 1)))
    except DayError as exc:
        raise ReportError(exc.key, **exc.params) from None
    if last < first:
        raise ReportError("error.reporting_end_before_start", start=first, end=last)
    if last >= _years_later(first, MAX_YEARS):
        raise ReportError("error.reporting_too_long", years=MAX_YEARS)
    return Period(first, last)


# -- attendance ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CityRef:
    """One of the exchange's cities (two, or a network's)."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class Student:
    """A student on the roster: a row of the report."""

    id: int
    name: str
    city_id: int | None
    status: str = "active"  # active, paused or removed, as the roster says now
    joined_at: datetime | None = None
    # Each change of status the activity log knows, (when, new status), oldest first. Empty
    # when it knows none: the student is taken to have had today's status throughout.
    history: tuple[tuple[datetime, str], ...] = ()


@dataclass(frozen=True, slots=True)
class SessionSlot:
    """An occurrence of a session in the period."""

    occurrence_id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    status: str  # scheduled, started, done, cancelled, skipped

    @property
    def counted(self) -> bool:
        return self.status == COUNTED

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the bot saw of one person at one session: a check-in, or minutes in voice."""

    occurrence_id: int
    participant_id: int
    method: str  # "button" or "voice"
    voice_seconds: int | None = None  # None: recorded before minutes were counted


def voice_needed(session_minutes: int, setting: int | None = None) -> float:
    """Minutes in voice that make someone present: the exchange's setting, else 10 minutes
    or half the session, whichever is less."""
    if setting is not None:
        return float(setting)
    return min(float(VOICE_MINUTES), session_minutes / 2)


def seen_from(
    evidence: Iterable[Evidence], slots: Iterable[SessionSlot], setting: int | None = None
) -> set[tuple[int, int]]:
    """(occurrence id, participant id) the evidence counts as attending: every check-in, and
    voice presence long enough for its session (rows from before minutes were counted count)."""
    needed = {s.occurrence_id: voice_needed(s.minutes, setting) * 60 for s in slots}
    found = set()
    for item in evidence:
        seconds = item.voice_seconds
        if (
            item.method != "voice"
            or seconds is None
            or seconds >= needed.get(item.occurrence_id, VOICE_MINUTES * 60)
        ):
            found.add((item.occurrence_id, item.participant_id))
    return found


def outcome_of(came: bool, mark: str | None) -> bool | None:
    """Whether a student attended by the teacher's mark, else the evidence; None: excused."""
    if mark is None:
        return came
    if mark == "excused":
        return None
    return mark in CAME


@dataclass(frozen=True, slots=True)
class Tally:
    """Expected and attending students; the rate is None when nobody was expected.

    `marked`: how many of the expected (and the excused) a teacher marked at roll call;
    `excused`: excused absences, which are not expected.
    """

    expected: int = 0
    attended: int = 0
    marked: int = 0
    excused: int = 0

    @property
    def missed(self) -> int:
        return self.expected - self.attended

    @property
    def rate(self) -> float | None:
        return self.attended / self.expected if self.expected else None

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.expected + other.expected,
            self.attended + other.attended,
            self.marked + other.marked,
            self.excused + other.excused,
        )


def rate_text(rate: float | None, language: str | None = None) -> str:
    """A rate as a reader of `language` writes it ("67%", "67 %", "%67"), or an em dash when
    there is none."""
    return format_percent(rate, language)


def _rate_cell(rate: float | None) -> str:
    return "" if rate is None else f"{rate:.4f}"


@dataclass(frozen=True, slots=True)
class SessionLine:
    """One session of the period: did it happen, and who came from each city."""

    slot: SessionSlot
    by_city: Mapping[int, Tally]
    total: Tally

    @property
    def outcome(self) -> str:
        """held, not_held (nobody came), cancelled, skipped, running or upcoming."""
        if self.slot.status == COUNTED:
            return "held" if self.total.attended else "not_held"
        if self.slot.status in ("cancelled", "skipped"):
            return self.slot.status
        return "running" if self.slot.status == "started" else "upcoming"


@dataclass(frozen=True, slots=True)
class StudentLine:
    """One student's attendance over the period's ended sessions."""

    student: Student
    tally: Tally
    longest_missed_run: int  # most counted sessions missed one after another
    missed_lately: int  # counted sessions missed since they last came (the latest run)
    minutes: int

    @property
    def flagged(self) -> bool:
        """Missed two (or more) sessions in a row: a teacher should check in with them."""
        return self.longest_missed_run >= MISSED_IN_A_ROW


@dataclass(frozen=True, slots=True)
class CityLine:
    """A city's attendance over the period."""

    city: CityRef
    tally: Tally
    held: int  # ended sessions at least one of its students attended
    minutes: int  # live minutes of its students


@dataclass(frozen=True, slots=True)
class Attendance:
    """Attendance per session, per city and per student."""

    cities: tuple[CityLine, ...]
    sessions: tuple[SessionLine, ...]
    students: tuple[StudentLine, ...]

    @property
    def total(self) -> Tally:
        return sum((s.total for s in self.sessions), Tally())

    @property
    def ended(self) -> int:
        return sum(1 for s in self.sessions if s.slot.counted)

    @property
    def held(self) -> int:
        return sum(1 for s in self.sessions if s.outcome == "held")

    @property
    def cancelled(self) -> int:
        return sum(1 for s in self.sessions if s.outcome in ("cancelled", "skipped"))

    @property
    def minutes(self) -> int:
        return sum(c.minutes for c in self.cities)

    @property
    def flagged(self) -> tuple[StudentLine, ...]:
        """Students who missed two sessions in a row, longest run first."""
        found = [s for s in self.students if s.flagged]
        return tuple(
            sorted(found, key=lambda s: (-s.missed_lately, -s.longest_missed_run, s.student.name))
        )

    def city(self, city_id: int) -> CityLine | None:
        return next((c for c in self.cities if c.city.id == city_id), None)


def missed_runs(attended: Sequence[bool]) -> tuple[int, int]:
    """(longest run of misses, the run the sequence ends with), oldest session first."""
    longest = current = 0
    for came in attended:
        current = 0 if came else current + 1
        longest = max(longest, current)
    return longest, current


def status_at(student: Student, when: datetime) -> str:
    """The student's roster status at a moment, from their history (active from joining)."""
    if not student.history:
        return student.status
    status = "active"
    for at, changed_to in student.history:
        if at > when:
            break
        status = changed_to
    return status


def expected(student: Student, slot: SessionSlot, came: bool) -> bool:
    """Whether a student counts at an ended session: they came, or they had joined before it
    ended and were on the roster when it started (active: not paused, not removed). A pause
    in December leaves October's figures as they were."""
    if came:
        return True
    joined = student.joined_at is None or student.joined_at < slot.ends_at
    return joined and status_at(student, slot.starts_at) == "active"


def attendance(
    cities: Sequence[CityRef],
    slots: Sequence[SessionSlot],
    students: Sequence[Student],
    attended: Collection[tuple[int, int]],
    marks: Mapping[tuple[int, int], str] | None = None,
) -> Attendance:
    """Attendance per session, city and student from who was seen where, and the teachers'
    marks.

    `attended` holds (occurrence id, student id) of every student seen at a session (check-in
    or voice, see `seen_from`); `marks` a teacher's mark by the same key, which stands over
    it. Only ended sessions count; see `expected` for who was expected. Students removed from
    the roster who were expected nowhere are left out.
    """
    marks = marks or {}
    ordered = sorted(slots, key=lambda s: (s.starts_at, s.occurrence_id))
    counted = [s for s in ordered if s.counted]
    # Plain counters and one pass per student: a year of a large exchange is tens of
    # thousands of (student, session) pairs.
    expected_at: dict[tuple[int, int | None], int] = defaultdict(int)
    came_at: dict[tuple[int, int | None], int] = defaultdict(int)
    marked_at: dict[tuple[int, int | None], int] = defaultdict(int)
    excused_at: dict[tuple[int, int | None], int] = defaultdict(int)
    lines = []
    for student in students:
        seen: list[bool] = []
        minutes = marked = excused = 0
        for slot in counted:
            mark = marks.get((slot.occurrence_id, student.id))
            came = outcome_of((slot.occurrence_id, student.id) in attended, mark)
            key = (slot.occurrence_id, student.city_id)
            if came is None:
                # Excused: not expected, so neither a miss nor part of a run of misses.
                excused_at[key] += 1
                marked_at[key] += 1
                excused += 1
                marked += 1
                continue
            if not expected(student, slot, came):
                continue
            seen.append(came)
            expected_at[key] += 1
            if mark is not None:
                marked_at[key] += 1
                marked += 1
            if came:
                came_at[key] += 1
                minutes += slot.minutes
        if not seen and not excused and student.status == "removed":
            continue
        longest, lately = missed_runs(seen)
        tally = Tally(len(seen), sum(seen), marked, excused)
        lines.append(StudentLine(student, tally, longest, lately, minutes))
    lines.sort(key=lambda s: (s.student.city_id or 0, s.student.name.casefold(), s.student.id))

    sessions = []
    for slot in ordered:
        occurrence = slot.occurrence_id
        by_city = {
            c.id: Tally(
                expected_at[(occurrence, c.id)],
                came_at[(occurrence, c.id)],
                marked_at[(occurrence, c.id)],
                excused_at[(occurrence, c.id)],
            )
            for c in cities
        }
        keys = {k for k in (*expected_at, *marked_at) if k[0] == occurrence}
        total = Tally(
            sum(expected_at[k] for k in keys),
            sum(came_at[k] for k in keys),
            sum(marked_at[k] for k in keys),
            sum(excused_at[k] for k in keys),
        )
        sessions.append(SessionLine(slot, by_city, total))

    city_lines = []
    for city in cities:
        tally = sum((s.by_city[city.id] for s in sessions), Tally())
        held = sum(1 for s in sessions if s.slot.counted and s.by_city[city.id].attended)
        minutes = sum(line.minutes for line in lines if line.student.city_id == city.id)
        city_lines.append(CityLine(city, tally, held, minutes))
    return Attendance(tuple(city_lines), tuple(sessions), tuple(lines))


def attendance_rows(report: Attendance, language: str = DEFAULT_LANGUAGE) -> list[dict[str, Any]]:
    """The CSV rows: one per city, per session and city, and per student.

    One sheet for spreadsheets: filter the `level` column (city, session, student). A
    session without a title and an erased student read in `language` (the reader's).
    """
    rows: list[dict[str, Any]] = []
    for city in report.cities:
        rows.append(
            {
                "level": "city",
                "city": city.city.name,
                "expected": city.tally.expected,
                "attended": city.tally.attended,
                "missed": city.tally.missed,
                "rate": _rate_cell(city.tally.rate),
                "excused": city.tally.excused,
                "marked_by_teacher": city.tally.marked,
                "sessions_held": city.held,
                "live_minutes": city.minutes,
            }
        )
    for session in report.sessions:
        for city in report.cities:
            tally = session.by_city[city.city.id]
            rows.append(
                {
                    "level": "session",
                    "date": session.slot.starts_at.date().isoformat(),
                    "starts_at_utc": session.slot.starts_at.isoformat(),
                    "session": title_in(session.slot.title, language),
                    "outcome": session.outcome,
                    "city": city.city.name,
                    "expected": tally.expected,
                    "attended": tally.attended,
                    "missed": tally.missed,
                    "rate": _rate_cell(tally.rate),
                    "excused": tally.excused,
                    "marked_by_teacher": tally.marked,
                }
            )
    names = {c.city.id: c.city.name for c in report.cities}
    for line in report.students:
        rows.append(
            {
                "level": "student",
                "city": names.get(line.student.city_id or 0, ""),
                "student": shown_name(line.student.name, language),
                "expected": line.tally.expected,
                "attended": line.tally.attended,
                "missed": line.tally.missed,
                "rate": _rate_cell(line.tally.rate),
                "excused": line.tally.excused,
                "marked_by_teacher": line.tally.marked,
                "live_minutes": line.minutes,
                "longest_missed_run": line.longest_missed_run,
                "missed_lately": line.missed_lately,
            }
        )
    return rows


ATTENDANCE_COLUMNS = (
    "level",
    "date",
    "starts_at_utc",
    "session",
    "outcome",
    "city",
    "student",
    "expected",
    "attended",
    "missed",
    "rate",
    "excused",
    "marked_by_teacher",
    "sessions_held",
    "live_minutes",
    "longest_missed_run",
    "missed_lately",
)


def attendance_csv(report: Attendance, language: str = DEFAULT_LANGUAGE) -> str:
    """The attendance report as one CSV sheet (names and titles read in `language`)."""
    return to_csv(ATTENDANCE_COLUMNS, attendance_rows(report, language))


# -- exchange figures ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CityCounts:
    """What the store counted for one city in the period (students only)."""

    enrolled: int = 0  # students who had joined by the end of the period (any status now)
    active: int = 0  # of them, those who did anything: came, answered, wrote or played
    prompt_answers: int = 0  # a student answering a prompt counts once per prompt
    messages: int = 0  # messages written in their paired spaces
    chess_points: float = 0.0  # points their players scored in games finished in the period


@dataclass(frozen=True, slots=True)
class PairActivity:
    """A live pair: its students and when one of them last wrote in its space."""

    pair_id: int
    names: tuple[str, ...]
    last_message: datetime | None
    cities: frozenset[int] = frozenset()  # its students' cities (a network reports by them)
    # Its students answered "not yet" at two "did you meet?" check-ins in a row: whatever
    # they wrote, teachers are asked to nudge it.
    not_met: bool = False


@dataclass(frozen=True, slots=True)
class ExchangeFigures:
    """What funders and sister-city boards ask for."""

    exchange: str
    period: Period
    attendance: Attendance
    counts: Mapping[int, CityCounts]  # by city id
    prompts_posted: int
    chess_games: int
    pairs: tuple[PairActivity, ...]
    now: datetime
    # A hub network's partnerships, each (hub, partner): sister-city boards report per
    # partnership. Empty for two cities and for a network that pairs any two cities.
    partnerships: tuple[tuple[CityRef, CityRef], ...] = ()

    def city_counts(self, city_id: int) -> CityCounts:
        return self.counts.get(city_id, CityCounts())

    @property
    def active_pairs(self) -> tuple[PairActivity, ...]:
        return tuple(p for p in self.pairs if is_active(p, self.now))

    @property
    def dormant_pairs(self) -> tuple[PairActivity, ...]:
        """Pairs to nudge: longest silent first (never wrote before any who did)."""
        quiet = [p for p in self.pairs if not is_active(p, self.now)]
        epoch = datetime.min.replace(tzinfo=UTC)
        return tuple(sorted(quiet, key=lambda p: (p.last_message or epoch, p.pair_id)))

    @property
    def total(self) -> CityCounts:
        parts = list(self.counts.values())
        return CityCounts(
            enrolled=sum(c.enrolled for c in parts),
            active=sum(c.active for c in parts),
            prompt_answers=sum(c.prompt_answers for c in parts),
            messages=sum(c.messages for c in parts),
            chess_points=sum(c.chess_points for c in parts),
        )


@dataclass(frozen=True, slots=True)
class PartnershipLine:
    """One hub–partner partnership of a hub network: the partner city's figures and the pairs
    that join its students with the hub's."""

    hub: CityRef
    partner: CityRef
    counts: CityCounts  # the partner city's students
    attendance: Tally  # the partner city's students
    pairs: int
    active_pairs: int


def partnership_lines(figures: ExchangeFigures) -> list[PartnershipLine]:
    """Each hub–partner partnership of a hub network (none otherwise)."""
    found = []
    for hub, partner in figures.partnerships:
        line = figures.attendance.city(partner.id)
        linked = [p for p in figures.pairs if {hub.id, partner.id} <= p.cities]
        found.append(
            PartnershipLine(
                hub=hub,
                partner=partner,
                counts=figures.city_counts(partner.id),
                attendance=line.tally if line is not None else Tally(),
                pairs=len(linked),
                active_pairs=sum(is_active(p, figures.now) for p in linked),
            )
        )
    return found


def is_active(pair: PairActivity, now: datetime) -> bool:
    """A pair is active when one of its students wrote in the last 14 days, unless they said
    "not yet" at two check-ins in a row."""
    if pair.not_met:
        return False
    return pair.last_message is not None and pair.last_message > now - ACTIVE_WINDOW


EXCHANGE_METRICS = (
    "students_enrolled",
    "students_active",
    "sessions_ended",
    "sessions_held",
    "attendance_expected",
    "attendance_attended",
    "attendance_rate",
    "attendance_excused",
    "attendance_marked_by_teachers",
    "live_minutes",
    "prompts_posted",
    "prompt_answers",
    "messages",
    "chess_games",
    "chess_points",
    "pairs_active",
    "pairs_dormant",
)


def exchange_rows(figures: ExchangeFigures) -> list[dict[str, Any]]:
    """One row per metric with a column per city and the total.

    Figures that belong to the exchange as a whole (prompts posted, games, pairs, sessions
    ended) have only a total.
    """
    cities = figures.attendance.cities
    total = figures.total
    both = figures.attendance.total

    def per_city(metric: str, pick: Any, whole: Any) -> dict[str, Any]:
        row: dict[str, Any] = {"metric": metric}
        for index, city in enumerate(cities):
            row[f"city_{index + 1}"] = pick(city, figures.city_counts(city.city.id))
        row["total"] = whole
        return row

    def only_total(metric: str, value: Any) -> dict[str, Any]:
        return {"metric": metric, "total": value}

    return [
        per_city("students_enrolled", lambda c, n: n.enrolled, total.enrolled),
        per_city("students_active", lambda c, n: n.active, total.active),
        only_total("sessions_ended", figures.attendance.ended),
        per_city("sessions_held", lambda c, n: c.held, figures.attendance.held),
        per_city("attendance_expected", lambda c, n: c.tally.expected, both.expected),
        per_city("attendance_attended", lambda c, n: c.tally.attended, both.attended),
        per_city("attendance_rate", lambda c, n: _rate_cell(c.tally.rate), _rate_cell(both.rate)),
        per_city("attendance_excused", lambda c, n: c.tally.excused, both.excused),
        per_city("attendance_marked_by_teachers", lambda c, n: c.tally.marked, both.marked),
        per_city("live_minutes", lambda c, n: c.minutes, figures.attendance.minutes),
        only_total("prompts_posted", figures.prompts_posted),
        per_city("prompt_answers", lambda c, n: n.prompt_answers, total.prompt_answers),
        per_city("messages", lambda c, n: n.messages, total.messages),
        only_total("chess_games", figures.chess_games),
        per_city("chess_points", lambda c, n: n.chess_points, total.chess_points),
        only_total("pairs_active", len(figures.active_pairs)),
        only_total("pairs_dormant", len(figures.dormant_pairs)),
        *_partnership_rows(figures),
    ]


def _partnership_rows(figures: ExchangeFigures) -> list[dict[str, Any]]:
    """A hub network's partnerships: their pairs, in each partner city's column (a hub has
    one partnership per partner city). None for any other exchange, whose rows stay as they
    were."""
    lines = partnership_lines(figures)
    if not lines:
        return []
    column = {c.city.id: f"city_{i + 1}" for i, c in enumerate(figures.attendance.cities)}

    def row(metric: str, pick: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"metric": metric}
        for line in lines:
            out[column[line.partner.id]] = pick(line)
        out["total"] = sum(pick(line) for line in lines)
        return out

    return [
        row("partnership_pairs", lambda line: line.pairs),
        row("partnership_pairs_active", lambda line: line.active_pairs),
    ]


def exchange_csv(figures: ExchangeFigures) -> str:
    """The exchange figures as CSV: metric, one column per city (named), total."""
    names = [c.city.name for c in figures.attendance.cities]
    header = ["metric", *names, "total"]
    rows = []
    for row in exchange_rows(figures):
        out = {"metric": row["metric"], "total": row["total"]}
        for index, name in enumerate(names):
            out[name] = row.get(f"city_{index + 1}", "")
        rows.append(out)
    return to_csv(header, rows)


# -- one student over time -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StudentActivity:
    """What the store found for one student in the period (besides the sessions they came to)."""

    message_days: Mapping[date, int] = field(default_factory=dict)
    answers: Sequence[datetime] = ()  # when each prompt was first answered
    games: Sequence[tuple[datetime, float]] = ()  # finished games: when, the student's score


@dataclass(frozen=True, slots=True)
class MonthLine:
    """One month of a student's participation."""

    month: str  # YYYY-MM
    sessions: Tally
    prompt_answers: int
    messages: int
    games: int
    points: float


@dataclass(frozen=True, slots=True)
class StudentReport:
    """One student's participation over the period, month by month and session by session."""

    student: Student
    city: str
    period: Period
    attendance: StudentLine
    sessions: tuple[tuple[SessionSlot, bool], ...]  # counted sessions, oldest first
    months: tuple[MonthLine, ...]

    @property
    def prompt_answers(self) -> int:
        return sum(m.prompt_answers for m in self.months)

    @property
    def messages(self) -> int:
        return sum(m.messages for m in self.months)

    @property
    def games(self) -> int:
        return sum(m.games for m in self.months)

    @property
    def points(self) -> float:
        return sum(m.points for m in self.months)


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def months_of(period: Period) -> list[str]:
    """Every month the period touches, oldest first."""
    found = []
    day = period.start.replace(day=1)
    while day <= period.end:
        found.append(_month(day))
        day = (day + timedelta(days=32)).replace(day=1)
    return found


def student_report(
    student: Student,
    city: str,
    period: Period,
    slots: Sequence[SessionSlot],
    attended: Collection[tuple[int, int]],
    activity: StudentActivity,
    marks: Mapping[tuple[int, int], str] | None = None,
) -> StudentReport:
    """A student's sessions, prompt answers, messages and games, month by month (a teacher's
    mark standing over the evidence, excused sessions left out)."""
    marks = marks or {}
    lines = attendance([], slots, [student], attended, marks).students
    # A removed student expected nowhere is left out of reports, but here they were asked for.
    line = lines[0] if lines else StudentLine(student, Tally(), 0, 0, 0)
    ordered = sorted(slots, key=lambda s: (s.starts_at, s.occurrence_id))
    outcomes = [
        (slot, outcome_of(key in attended, marks.get(key)))
        for slot in ordered
        if slot.counted and (key := (slot.occurrence_id, student.id))
    ]
    seen = tuple(
        (slot, came)
        for slot, came in outcomes
        if came is not None and expected(student, slot, came)
    )
    months = []
    for month in months_of(period):
        sessions = [came for slot, came in seen if _month(slot.starts_at.date()) == month]
        games = [score for at, score in activity.games if _month(at.date()) == month]
        months.append(
            MonthLine(
                month=month,
                sessions=Tally(len(sessions), sum(sessions)),
                prompt_answers=sum(1 for at in activity.answers if _month(at.date()) == month),
                messages=sum(n for d, n in activity.message_days.items() if _month(d) == month),
                games=len(games),
                points=sum(games),
            )
        )
    return StudentReport(student, city, period, line, seen, tuple(months))


# -- JSON ------------------------------------------------------------------------------------------


def _period_json(period: Period) -> dict[str, str]:
    return {"from": period.start.isoformat(), "to": period.end.isoformat()}


def attendance_json(exchange: str, period: Period, report: Attendance) -> str:
    """The attendance report as JSON (the command line's `--format json`)."""
    document = {
        "exchange": exchange,
        "period": _period_json(period),
        "sessions_ended": report.ended,
        "sessions_held": report.held,
        "sessions_cancelled": report.cancelled,
        "marked_by_teachers": report.total.marked,
        "excused": report.total.excused,
        "rows": attendance_rows(report),
        "missed_two_in_a_row": [
            {"student": s.student.name, "missed_lately": s.missed_lately} for s in report.flagged
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2)


def exchange_json(figures: ExchangeFigures) -> str:
    """The exchange figures as JSON, with the dormant pairs named (for teachers)."""
    names = [c.city.name for c in figures.attendance.cities]
    metrics = {}
    for row in exchange_rows(figures):
        values = {"total": row["total"]}
        for index, name in enumerate(names):
            if f"city_{index + 1}" in row:
                values[name] = row[f"city_{index + 1}"]
        metrics[row["metric"]] = values
    document = {
        "exchange": figures.exchange,
        "period": _period_json(figures.period),
        "metrics": metrics,
        "dormant_pairs": [
            {
                "students": list(p.names),
                "last_message": p.last_message.isoformat() if p.last_message else None,
            }
            for p in figures.dormant_pairs
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2)


# -- message counts --------------------------------------------------------------------------------


class MessageTally(NamedTuple):
    """One message a student wrote in their paired space: who, where, when, how long (if known).

    A named tuple, not a dataclass: one is made for every message, on the hot path.
    """

    exchange_id: int
    pair_id: int
    participant_id: int
    at: datetime
    length: int | None


@dataclass(frozen=True, slots=True)
class MessageDay:
    """Messages of one student in one pair on one UTC day, to add to the stored totals."""

    exchange_id: int
    pair_id: int
    participant_id: int
    day: date
    messages: int
    measured: int  # messages whose length is known
    characters: int  # their total length
    last_at: datetime


def message_days(tallies: Iterable[MessageTally]) -> list[MessageDay]:
    """A batch of messages folded into one total per student, pair and UTC day."""
    # [exchange, messages, measured, characters, last_at] per key, made into values once.
    found: dict[tuple[int, int, date], list[Any]] = {}
    for tally in tallies:
        key = (tally.pair_id, tally.participant_id, tally.at.astimezone(UTC).date())
        entry = found.get(key)
        if entry is None:
            entry = found[key] = [tally.exchange_id, 0, 0, 0, tally.at]
        entry[1] += 1
        if tally.length is not None:
            entry[2] += 1
            entry[3] += tally.length
        if tally.at > entry[4]:
            entry[4] = tally.at
    return [
        MessageDay(exchange, pair, participant, day, messages, measured, characters, last)
        for (pair, participant, day), (exchange, messages, measured, characters, last) in (
            found.items()
        )
    ]
