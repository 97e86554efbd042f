"""Session schedules: RFC 5545 rules in the organiser's zone, and what each city sees.

A series is an RRULE (python-dateutil) applied to a first start in the organiser's IANA zone, so
each occurrence keeps the local time the teacher chose across that zone's clock changes; the
partner city's local time may then shift by an hour, which `warnings` reports. Everything that
leaves this module is an aware UTC datetime: the scheduler never sees a local time.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import MAXYEAR, UTC, date, datetime, time, timedelta
from enum import StrEnum
from itertools import pairwise
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

from bot.domain.days import DayError, parse_day
from bot.domain.text import ascii_digits, clean, echo, whole_number
from bot.i18n import t

MAX_TITLE = 100
MAX_PROMPT = 1500
MIN_DURATION = 10
MAX_DURATION = 8 * 60
MAX_COUNT = 100
MAX_INTERVAL = 52
# School hours in each city: a session starting before or ending after these is flagged.
DAY_START = time(7)
DAY_END = time(21)
# Warnings and overlaps look this far ahead: a school year of monthly sessions, at most.
EXAMINED = 24
EXAMINED_SPAN = timedelta(days=400)
# The first session of a new series is at most this far ahead (its horizon must hold it).
MAX_AHEAD = timedelta(days=366)
# A rule is checked over this many years: no two sessions further apart than MAX_GAP.
PROBE_YEARS = 10
MAX_GAP = timedelta(days=2 * 366)
DEFAULT_REMINDERS = (24 * 60, 60)
MAX_REMINDERS = 3
MIN_REMINDER = 5
MAX_REMINDER = 7 * 24 * 60

ONCE = "FREQ=DAILY;COUNT=1"

# A series the teacher gave no title: stored as this (a typed title is never empty), and shown
# as the catalogue's default title in each reader's language — never stored translated, since
# the other city reads the same row in theirs.
NO_TITLE = ""


def title_in(title: str, language: str | None) -> str:
    """A series' title as a reader of `language` sees it: its own, or the default one."""
    return title if title != NO_TITLE else t("session.default_title", language)


def titles_in(title: str, languages: Sequence[str]) -> str:
    """A series' title for readers of several languages at once (a Discord event both cities
    see): its own, or the default title in each language, once each ("Exchange session ·
    Séance d'échange")."""
    if title != NO_TITLE:
        return title
    return " · ".join(dict.fromkeys(title_in(title, lang) for lang in languages or ("en",)))


WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")  # index + 1 = ISO weekday
_WEEKDAY_WORDS = {
    "mon": 1,
    "tue": 2,
    "wed": 3,
    "thu": 4,
    "fri": 5,
    "sat": 6,
    "sun": 7,
}
_ORDINALS = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "last": -1,
}
_FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
_RFC_PARTS = frozenset(
    (
        "FREQ",
        "UNTIL",
        "COUNT",
        "INTERVAL",
        "BYDAY",
        "BYMONTHDAY",
        "BYYEARDAY",
        "BYWEEKNO",
        "BYMONTH",
        "BYSETPOS",
        "WKST",
    )
)
# The time of day comes from its own option; these would multiply or move occurrences.
_REFUSED_PARTS = ("BYHOUR", "BYMINUTE", "BYSECOND", "DTSTART", "WKST_")


class SeriesStatus(StrEnum):
    """Where a series stands (stored as the value)."""

    DRAFT = "draft"  # previewed, waiting for its organiser's confirmation
    ACTIVE = "active"
    CANCELLED = "cancelled"


class OccurrenceStatus(StrEnum):
    """Where one occurrence of a series stands (stored as the value)."""

    SCHEDULED = "scheduled"
    STARTED = "started"
    DONE = "done"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"


# Occurrences still to happen or under way; and those called off by a teacher.
LIVE = (OccurrenceStatus.SCHEDULED, OccurrenceStatus.STARTED)
CALLED_OFF = (OccurrenceStatus.CANCELLED, OccurrenceStatus.SKIPPED)


class EventStatus(StrEnum):
    """What a session's Discord event is set to as the session goes (Discord's own states)."""

    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class RuleError(ValueError):
    """Something a teacher typed can't make a schedule; `key` names the message."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


# -- what people type ------------------------------------------------------------------------------


def parse_date(text: str) -> date:
    """A date written as YYYY-MM-DD (autocomplete offers them); RuleError otherwise."""
    try:
        return parse_day(text)
    except DayError as exc:
        if exc.key == "error.date":
            raise RuleError("error.session_date", value=echo(clean(text), 40)) from None
        raise RuleError(exc.key, **exc.params) from None


_TIME = re.compile(
    r"^(?P<h>\d{1,2})(?:[:.h](?P<m>\d{2}))?\s*(?P<ampm>a\.?m\.?|p\.?m\.?)?$", re.IGNORECASE
)


def parse_time(text: str) -> time:
    """A local time of day: "15:00", "15.30", "1500", "3pm", "3:30 pm" (digits of any script)."""
    typed = clean(text)
    value = ascii_digits(typed).lower().replace(" ", "")
    if re.fullmatch(r"\d{3,4}", value):
        value = f"{value[:-2]}:{value[-2:]}"
    found = _TIME.match(value)
    if found is None:
        raise RuleError("error.session_time", value=echo(typed, 40))
    hour, minute = int(found["h"]), int(found["m"] or 0)
    ampm = (found["ampm"] or "").replace(".", "")
    if ampm:
        if not 1 <= hour <= 12:
            raise RuleError("error.session_time", value=echo(typed, 40))
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if hour > 23 or minute > 59:
        raise RuleError("error.session_time", value=echo(typed, 40))
    return time(hour, minute)


def first_wall(first_local: str) -> time:
    """The wall time of a series' stored first local start ("2026-10-06T15:00")."""
    return time.fromisoformat(first_local[-5:])


def nth_weekday(day: date) -> int:
    """Which weekday of its month `day` is: 1–4, or -1 for a fifth (the last)."""
    nth = (day.day - 1) // 7 + 1
    return -1 if nth == 5 else nth


def is_last_weekday(day: date) -> bool:
    """Whether no later date in the month falls on the same weekday."""
    return (day + timedelta(days=7)).month != day.month


def repeat_codes(first_day: date | None) -> list[str]:
    """The repeat choices to offer for a start date (the autocomplete's values)."""
    codes = ["monthly:nth"]
    if first_day is None or is_last_weekday(first_day):
        codes.append("monthly:last")
    codes += ["weekly", "weekly:2", "weekly:4", "monthly:day", "once"]
    return codes


def parse_repeat(text: str, first_day: date) -> str:
    """An RRULE (without COUNT/UNTIL) from an autocomplete code, a phrase, or a raw RRULE.

    Phrases: "once", "weekly", "every 2 weeks", "monthly", "first Tuesday of each month",
    "last Friday", "every Wednesday"; a raw rule starts with FREQ= or RRULE:.
    """
    raw = ascii_digits(clean(text))
    value = " ".join(raw.lower().replace("-", " ").split())
    weekday = WEEKDAY_CODES[first_day.isoweekday() - 1]
    if raw.upper().startswith(("FREQ=", "RRULE:")):
        return canonical_rule(raw)
    if value in ("once", "one time", "one off", "single"):
        return ONCE
    weekly = re.fullmatch(
        r"(?:weekly(?::(\d+))?|every (?:(\d+) )?weeks?|biweekly|fortnightly)", value
    )
    if weekly:
        interval = int(weekly[1] or weekly[2] or (2 if value in ("biweekly", "fortnightly") else 1))
        return _weekly(interval, weekday)
    if value in ("monthly", "monthly:nth", "every month", "each month"):
        return f"FREQ=MONTHLY;BYDAY={nth_weekday(first_day)}{weekday}"
    if value == "monthly:last":
        return f"FREQ=MONTHLY;BYDAY=-1{weekday}"
    if value == "monthly:day":
        return f"FREQ=MONTHLY;BYMONTHDAY={first_day.day}"
    words = [w for w in value.split() if w not in ("the", "of", "on", "each", "every", "month")]
    if len(words) == 2 and words[0] in _ORDINALS and words[1][:3] in _WEEKDAY_WORDS:
        code = WEEKDAY_CODES[_WEEKDAY_WORDS[words[1][:3]] - 1]
        return f"FREQ=MONTHLY;BYDAY={_ORDINALS[words[0]]}{code}"
    if len(words) == 1 and value.startswith("every") and words[0][:3] in _WEEKDAY_WORDS:
        return _weekly(1, WEEKDAY_CODES[_WEEKDAY_WORDS[words[0][:3]] - 1])
    raise RuleError("error.session_repeat", repeat=echo(raw, 60))


def _weekly(interval: int, weekday: str) -> str:
    if not 1 <= interval <= MAX_INTERVAL:
        raise RuleError("error.session_interval", limit=MAX_INTERVAL)
    every = f";INTERVAL={interval}" if interval > 1 else ""
    return f"FREQ=WEEKLY{every};BYDAY={weekday}"


def rule_parts(rule: str) -> dict[str, str]:
    """The NAME=VALUE parts of an RRULE value, names upper-case."""
    parts: dict[str, str] = {}
    for part in rule.removeprefix("RRULE:").split(";"):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        if not sep or not value.strip():
            raise RuleError("error.session_rule", rule=echo(rule, 80))
        parts[name.strip().upper()] = value.strip().upper()
    return parts


def canonical_rule(text: str) -> str:
    """A raw RRULE checked for what a session series may use, in canonical form."""
    rule = text.strip()
    if rule.upper().startswith("RRULE:"):
        rule = rule[6:]
    parts = rule_parts(rule)
    if parts.get("FREQ") not in _FREQUENCIES:
        raise RuleError("error.session_frequency")
    if any(name.startswith(_REFUSED_PARTS) for name in parts):
        raise RuleError("error.session_rule", rule=echo(text.strip(), 80))
    if "COUNT" in parts and "UNTIL" in parts:
        raise RuleError("error.session_count_and_until")
    unknown = [name for name in parts if name not in _RFC_PARTS]
    if unknown:
        # dateutil also reads BYEASTER and others RFC 5545 does not have; calendars would not.
        raise RuleError("error.session_rule", rule=echo(text.strip(), 80))
    interval = whole_number(parts.get("INTERVAL", "1"))
    if interval is None or not 1 <= interval <= MAX_INTERVAL:
        raise RuleError("error.session_interval", limit=MAX_INTERVAL)
    count = whole_number(parts["COUNT"]) if "COUNT" in parts else 1
    if count is None or not 1 <= count <= MAX_COUNT:
        raise RuleError("error.session_count", limit=MAX_COUNT)
    canonical = ";".join(f"{k}={v}" for k, v in parts.items())
    try:
        rrulestr(canonical, dtstart=datetime(2026, 1, 1, tzinfo=UTC))
    except (ValueError, TypeError, OverflowError, KeyError, IndexError):
        raise RuleError("error.session_rule", rule=echo(text.strip(), 80)) from None
    return canonical


def with_end(rule: str, *, count: int | None, until: datetime | None) -> str:
    """The rule with a COUNT or an UNTIL (UTC, as RFC 5545 wants with a TZID start)."""
    parts = rule_parts(rule)
    if rule == ONCE:
        if count is not None or until is not None:
            raise RuleError("error.session_once_end")
        return rule
    if count is not None and until is not None:
        raise RuleError("error.session_count_and_until")
    if (count is not None or until is not None) and ("COUNT" in parts or "UNTIL" in parts):
        raise RuleError("error.session_count_and_until")
    if count is not None:
        if not 1 <= count <= MAX_COUNT:
            raise RuleError("error.session_count", limit=MAX_COUNT)
        return f"{rule};COUNT={count}"
    if until is not None:
        return f"{rule};UNTIL={until.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    return rule


def end_of_day(day: date, zone: str) -> datetime:
    """The last second of a local date, in UTC (an inclusive "until" date)."""
    local = datetime.combine(day, time(23, 59, 59), ZoneInfo(zone))
    return local.astimezone(UTC)


def parse_reminders(text: str) -> tuple[int, ...]:
    """Minutes before a session from "24h, 1h", "2d", "30m", "90 min"; "off" means none."""
    typed = clean(text)
    value = ascii_digits(typed).lower()
    if value in ("off", "none", "no", "0", "-"):
        return ()
    found: set[int] = set()
    for part in re.split(r"[,;/]+|\band\b", value):
        part = part.strip().replace(" ", "")
        if not part:
            continue
        match = re.fullmatch(r"(\d+)(d|days?|h|hours?|hrs?|m|mins?|minutes?)?", part)
        if match is None:
            raise RuleError("error.session_reminders", value=echo(typed, 40))
        unit = (match[2] or "h")[0]
        minutes = int(match[1]) * {"d": 1440, "h": 60, "m": 1}[unit]
        if not MIN_REMINDER <= minutes <= MAX_REMINDER:
            raise RuleError("error.session_reminders", value=echo(typed, 40))
        found.add(minutes)
    if not found or len(found) > MAX_REMINDERS:
        raise RuleError("error.session_reminders", value=echo(typed, 40))
    return tuple(sorted(found, reverse=True))


# -- occurrences -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Slot:
    """One occurrence: its place in the series (`original`) and when it actually is (UTC)."""

    original: datetime
    start: datetime
    end: datetime


def local_start(day: date, at: time, zone: str) -> datetime:
    """The first start as an aware local datetime in the organiser's zone."""
    return datetime.combine(day, at, ZoneInfo(zone))


def _rule(rule: str, first: datetime) -> rrule:
    parsed = rrulestr(rule, dtstart=first)
    assert isinstance(parsed, rrule)
    return parsed


def occurrences(
    rule: str,
    first: datetime,
    duration: timedelta,
    *,
    after: datetime | None = None,
    before: datetime | None = None,
    limit: int = EXAMINED,
) -> list[Slot]:
    """Occurrences (UTC) starting at or after `after` and before `before`, at most `limit`.

    `first` is the aware local first start: dateutil keeps its wall-clock time on every
    instance, and each instance is then converted to UTC with its own day's offset. A time
    that a clock change skips (02:30 on a spring-forward night) lands an hour later.
    """
    found: list[Slot] = []
    for instance in _rule(rule, first):
        start = instance.astimezone(UTC)
        if before is not None and start >= before:
            break
        if after is not None and start < after:
            continue
        found.append(Slot(start, start, start + duration))
        if len(found) >= limit:
            break
    return found


def first_instance(rule: str, first: datetime) -> datetime | None:
    """The rule's first real session, local like `first`, or None when it has none.

    dateutil, unlike RFC 5545, does not count `first` itself when the rule does not match it
    (a series typed to start on a Friday, "the first Tuesday of each month"): a calendar file
    must start from this instance, or apps show a session that does not exist and, with a
    COUNT, drop the last one.
    """
    return next(iter(_rule(rule, first)), None)


def has_occurrence(rule: str, first: datetime, after: datetime) -> bool:
    """Whether the rule has any occurrence at or after `after`."""
    return bool(occurrences(rule, first, timedelta(0), after=after, limit=1))


def _calendar_twin(year: int, years: int) -> int:
    """A year near the end of Python's calendar whose next `years` years have the same
    weekdays and leap days as `year`'s: the rule expands the same there, and dateutil, which
    runs on to year 9999 while nothing matches, stops soon after."""

    def shape(start: int) -> list[tuple[int, bool]]:
        return [(date(y, 1, 1).weekday(), calendar.isleap(y)) for y in range(start, start + years)]

    wanted = shape(year)
    top = MAXYEAR - years
    # The Gregorian calendar repeats every 400 years, so a twin is always found.
    for candidate in range(top, top - 401, -1):
        if candidate == year or shape(candidate) == wanted:
            return candidate
    return year


def check_rule(rule: str, first: datetime) -> None:
    """Refuse a rule that would make the bot search long for its sessions.

    Over its first PROBE_YEARS (COUNT and UNTIL set aside) the rule must meet within
    EXAMINED_SPAN of `first` ("error.session_no_occurrence") and then never go more than
    MAX_GAP without a session ("error.session_rare"), and
    dateutil must be able to expand it. Takes a fraction of a second at most: the search runs
    in the calendar's twin years just before 9999 (`_calendar_twin`). Still, callers run it
    off the event loop.
    """
    parts = {k: v for k, v in rule_parts(rule).items() if k not in ("COUNT", "UNTIL")}
    pattern = ";".join(f"{k}={v}" for k, v in parts.items())
    years = PROBE_YEARS + 2
    start = first.replace(tzinfo=None)
    rare = RuleError("error.session_rare", years=MAX_GAP.days // 366)
    twin = _calendar_twin(start.year, years)
    shifted = start.replace(year=twin)
    end = shifted.replace(year=twin + PROBE_YEARS)
    previous: datetime | None = None
    try:
        instances = iter(rrulestr(pattern, dtstart=shifted))
        while previous is None or previous < end:
            # None: the sessions stop before the years examined are over, never to return.
            instance = next(instances, None)
            if previous is None and (instance is None or instance - shifted > EXAMINED_SPAN):
                raise RuleError("error.session_no_occurrence")
            if instance is None or instance - (previous or shifted) > MAX_GAP:
                raise rare
            previous = instance
    except RuleError:
        raise
    except (ValueError, TypeError, OverflowError, KeyError, IndexError):
        raise RuleError("error.session_rule", rule=echo(rule, 80)) from None


def is_finite(rule: str) -> bool:
    parts = rule_parts(rule)
    return "COUNT" in parts or "UNTIL" in parts


def preview_slots(rule: str, first: datetime, duration: timedelta) -> list[Slot]:
    """What a preview shows and checks: every date of a finite series, the first year or so
    of an open one.

    A series has at most MAX_COUNT sessions, whether counted or ended by a date: a teacher
    confirms every date they are shown ("error.session_too_many" otherwise).
    """
    if not is_finite(rule):
        return occurrences(rule, first, duration, before=first.astimezone(UTC) + EXAMINED_SPAN)
    found = occurrences(rule, first, duration, limit=MAX_COUNT + 1)
    if len(found) > MAX_COUNT:
        raise RuleError("error.session_too_many", limit=MAX_COUNT)
    return found


# -- what each city sees ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CityClock:
    """A city as the warnings need it."""

    name: str
    zone: str
    weekend_days: frozenset[int]


@dataclass(frozen=True, slots=True)
class Warning:
    """Something a teacher should know before confirming; rendered by the cog.

    kind "hours": `count` of `total` occurrences fall outside DAY_START–DAY_END, e.g. the one
    from `example` to `until`.
    kind "weekend": `count` of `total` fall on the city's weekend, e.g. on `example`'s day.
    kind "clock_change": from `example`'s day, the local time moves `before` → `after`.
    kind "gap": on `example`'s day the organiser's `before` does not exist in zone `city`
    (clocks go forward): the session starts at `after`, the real local time.
    kind "twice": on `example`'s day the organiser's `before` happens twice in zone `city`
    (clocks go back): the session starts at the first, whose offset from UTC is `offset`.

    Moments are the city's local wall times (aware; a "gap" `before` is one the clocks skip):
    the cog writes them the reader's way.
    """

    kind: str
    city: str
    count: int = 0
    total: int = 0
    example: datetime | None = None
    until: datetime | None = None
    before: datetime | None = None
    after: datetime | None = None
    offset: str = ""


def utc_offset(moment: datetime) -> str:
    """ "UTC−05:00" for an aware local datetime."""
    offset = moment.utcoffset() or timedelta(0)
    sign = "−" if offset < timedelta(0) else "+"
    hours, rest = divmod(abs(int(offset.total_seconds())) // 60, 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def is_ambiguous(moment: datetime) -> bool:
    """Whether a local wall time happens twice that day (the hour the clocks go back)."""
    return moment.replace(fold=0).utcoffset() != moment.replace(fold=1).utcoffset()


def dst_notes(slots: Sequence[Slot], zone: str, wall: time) -> list[Warning]:
    """Sessions whose local time `wall` falls in a clock change of the organiser's `zone`:
    skipped (the real start is an hour later) or repeated (the first of the two is meant)."""
    tz = ZoneInfo(zone)
    found: list[Warning] = []
    for slot in slots:
        local = slot.start.astimezone(tz)
        if local.time() != wall:
            typed = datetime.combine(local.date(), wall, tz)
            if typed.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != typed.replace(
                tzinfo=None
            ):
                found.append(Warning("gap", zone, example=local, before=typed, after=local))
        elif is_ambiguous(local):
            found.append(
                Warning("twice", zone, example=local, before=local, offset=utc_offset(local))
            )
    return found


def warnings(
    slots: Sequence[Slot],
    cities: Iterable[CityClock],
    *,
    organiser: str | None = None,
    wall: time | None = None,
) -> list[Warning]:
    """School-hours, weekend and clock-change warnings for each city; with the `organiser`'s
    zone and local `wall` time, also the sessions a clock change there moves (`dst_notes`)."""
    notes = dst_notes(slots, organiser, wall) if organiser is not None and wall is not None else []
    skipped = {note.example.date() for note in notes if note.kind == "gap" and note.example}
    found: list[Warning] = []
    for city in cities:
        zone = ZoneInfo(city.zone)
        local = [(s.start.astimezone(zone), s.end.astimezone(zone)) for s in slots]
        late = [
            (a, b)
            for a, b in local
            if a.time() < DAY_START or b.time() > DAY_END or b.date() != a.date()
        ]
        if late:
            a, b = late[0]
            found.append(Warning("hours", city.name, len(late), len(local), example=a, until=b))
        weekend = [a for a, _ in local if a.isoweekday() in city.weekend_days]
        if weekend:
            found.append(
                Warning("weekend", city.name, len(weekend), len(local), example=weekend[0])
            )
        # A session the organiser's clock change moved by an hour is told apart (`notes`); the
        # times around it have not changed.
        steady = [
            (a, b)
            for a, b in local
            if not (city.zone == organiser and a.date() in skipped and a.time() != wall)
        ]
        for (previous, _), (current, _) in pairwise(steady):
            if previous.time() != current.time():
                found.append(
                    Warning(
                        "clock_change",
                        city.name,
                        example=current,
                        before=previous,
                        after=current,
                    )
                )
    return notes + found


@dataclass(frozen=True, slots=True)
class Overlap:
    """The first clash of a new slot with another session's."""

    other: str  # the other session's title
    start: datetime  # when the clash begins (UTC)


def find_overlap(
    slots: Sequence[Slot], others: Sequence[tuple[str, Sequence[Slot]]]
) -> Overlap | None:
    """The earliest time a slot overlaps a slot of another session, if any."""
    clashes = [
        Overlap(title, max(mine.start, theirs.start))
        for mine in slots
        for title, theirs_slots in others
        for theirs in theirs_slots
        if mine.start < theirs.end and theirs.start < mine.end
    ]
    return min(clashes, key=lambda o: o.start) if clashes else None


# -- describing a rule -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleShape:
    """A rule in the words a teacher would use; the cog turns it into a sentence.

    kind: "once", "weekly" (every `interval` weeks on `weekday`), "monthly_nth" (the `nth`
    `weekday`, 1 to 5 from the start of the month, -1 to -5 from its end: -1 the last, -2
    the second-to-last), "monthly_day" (day `monthday`), or "custom" (`raw`).
    """

    kind: str
    interval: int = 1
    weekday: int = 0  # ISO 1–7
    nth: int = 0
    monthday: int = 0
    count: int | None = None
    until: datetime | None = None
    raw: str = ""


def describe(rule: str) -> RuleShape:
    """The shape of a stored rule (the shapes `parse_repeat` makes, else custom)."""
    if rule == ONCE:
        return RuleShape("once")
    parts = rule_parts(rule)
    count = int(parts["COUNT"]) if "COUNT" in parts else None
    until = (
        datetime.strptime(parts["UNTIL"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        if re.fullmatch(r"\d{8}T\d{6}Z", parts.get("UNTIL", ""))
        else None
    )
    core = {k: v for k, v in parts.items() if k not in ("COUNT", "UNTIL")}
    interval = int(core.pop("INTERVAL", "1"))
    freq = core.pop("FREQ", "")
    byday = core.pop("BYDAY", "")
    monthday = core.pop("BYMONTHDAY", "")
    if not core and (until is not None or "UNTIL" not in parts):
        if freq == "WEEKLY" and byday in WEEKDAY_CODES and not monthday:
            weekday = WEEKDAY_CODES.index(byday) + 1
            return RuleShape("weekly", interval, weekday, count=count, until=until)
        # A month has at most five of a weekday: -2FR is the second-to-last Friday.
        nth = re.fullmatch(r"([+-]?[1-5])(MO|TU|WE|TH|FR|SA|SU)", byday)
        if freq == "MONTHLY" and interval == 1 and nth and not monthday:
            weekday = WEEKDAY_CODES.index(nth[2]) + 1
            return RuleShape("monthly_nth", 1, weekday, int(nth[1]), count=count, until=until)
        day = whole_number(monthday) if monthday else None
        if freq == "MONTHLY" and interval == 1 and day is not None and not byday:
            return RuleShape("monthly_day", monthday=day, count=count, until=until)
    return RuleShape("custom", count=count, until=until, raw=rule)
