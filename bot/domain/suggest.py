"""`/session suggest`: weekly times that fall inside school hours in as many cities as possible.

A week is cut into windows of `length` starting every `step` (UTC, so a city half an hour off
the hour still gets its own local times). A window "fits" a city when, in that city's own
clock for that very day (zoneinfo, so a clock change inside the week is honoured), it starts
and ends on one school day (within the week, not the city's weekend, a public holiday or a
school break there) inside its school hours.

Windows with the same local start in every city and the same cities fitted are one *weekly
time* (`Window`): they recur on several days. Weekly times are ranked by cities fitted, then
by how far they stay from the edges of the school day (a series meets on one weekday, so a
comfortable time on four days beats 07:00 on five), then by days they recur on. When none
fits every city, `best_split` proposes two sittings that together cover them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import combinations
from zoneinfo import ZoneInfo

# School hours when a city has none of its own (the same as the session warnings').
DAY_START = time(7)
DAY_END = time(21)
STEP = timedelta(minutes=30)
# The shortest and longest session suggested for, in minutes.
SHORTEST, LONGEST = 15, 240
# Weekly times offered, at most (Discord's embeds hold a few with every city's line).
SHOWN = 5
# The furthest a zone is from UTC: windows are tried this far either side of the week.
_REACH = timedelta(hours=14)


class SuggestError(ValueError):
    """School hours that cannot hold a session; `key` names the message."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True, slots=True)
class SchoolDay:
    """A city as a suggestion needs it: its zone, weekend (ISO days) and school hours."""

    name: str
    zone: str
    weekend_days: frozenset[int]
    start: time = DAY_START
    end: time = DAY_END
    # Local dates with no school that week: a public holiday, a school break.
    holidays: frozenset[date] = frozenset()
    breaks: frozenset[date] = frozenset()


@dataclass(frozen=True, slots=True)
class Local:
    """One city's view of a weekly time: its local start and end, the local weekdays (ISO)
    it recurs on there, and why it does not fit when it does not ("hours", "weekend",
    "holiday" or "break")."""

    city: str
    zone: str
    start: time
    end: time
    days: tuple[int, ...]
    fits: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Window:
    """A weekly time: the same local times in every city on each of `starts` (UTC)."""

    starts: tuple[datetime, ...]
    length: timedelta
    locals: tuple[Local, ...]
    # Minutes from the nearest edge of a fitted city's school day (bigger is more comfortable).
    margin: int

    @property
    def fitted(self) -> tuple[str, ...]:
        """The cities whose school hours it falls inside, in the exchange's order."""
        return tuple(c.city for c in self.locals if c.fits)

    @property
    def first(self) -> datetime:
        return self.starts[0]


@dataclass(frozen=True, slots=True)
class Split:
    """Two sittings that together reach every city they can; `left_out` the cities neither
    reaches (empty when the split covers all)."""

    first: Window
    second: Window
    left_out: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Suggestion:
    """What `/session suggest` shows for a week."""

    monday: date
    length: timedelta
    cities: tuple[SchoolDay, ...]
    ranked: tuple[Window, ...]  # the best weekly times, distinct in time of day
    all_fit: bool  # whether the best fits every city
    split: Split | None  # when none fits all: the best two sittings (None with one city)


def week_of(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


def coming_week(today: date) -> date:
    """The Monday after `today` (a week from today when today is a Monday)."""
    return today + timedelta(days=7 - today.weekday())


def check_hours(start: time, end: time, length: timedelta) -> None:
    """Refuse school hours that cannot hold a session of `length`."""
    span = datetime.combine(date.min, end) - datetime.combine(date.min, start)
    if span < length:
        # Times, not text: the edge writes them the reader's way.
        raise SuggestError("error.suggest_hours", start=start, end=end, minutes=_mins(length))


def _mins(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def _since_midnight(moment: datetime) -> int:
    return moment.hour * 60 + moment.minute


def _look(city: SchoolDay, start: datetime, length: timedelta, week: range) -> tuple[Local, int]:
    """A city's local view of one window, and its margin in minutes (-1 when it does not fit)."""
    zone = ZoneInfo(city.zone)
    begin = start.astimezone(zone)
    finish = (start + length).astimezone(zone)
    day = begin.date()
    opens = city.start.hour * 60 + city.start.minute
    closes = city.end.hour * 60 + city.end.minute
    reason = ""
    if day.toordinal() not in week or begin.isoweekday() in city.weekend_days:
        reason = "weekend"
    elif day in city.holidays:
        reason = "holiday"
    elif day in city.breaks:
        reason = "break"
    elif finish.date() != day or _since_midnight(begin) < opens or _since_midnight(finish) > closes:
        reason = "hours"
    margin = -1 if reason else min(_since_midnight(begin) - opens, closes - _since_midnight(finish))
    local = Local(
        city.name, city.zone, begin.time(), finish.time(), (begin.isoweekday(),), not reason, reason
    )
    return local, margin


def windows(
    cities: Sequence[SchoolDay], monday: date, length: timedelta, step: timedelta = STEP
) -> list[Window]:
    """Every weekly time of the week starting `monday` that fits at least one city."""
    week = range(monday.toordinal(), monday.toordinal() + 7)
    first = datetime.combine(monday, time(0), UTC) - _REACH
    last = datetime.combine(monday + timedelta(days=7), time(0), UTC) + _REACH
    groups: dict[tuple[object, ...], list[tuple[datetime, tuple[Local, ...], int]]] = {}
    start = first
    while start < last:
        looks = [_look(city, start, length, week) for city in cities]
        if any(local.fits for local, _ in looks):
            locals_ = tuple(local for local, _ in looks)
            margin = min(m for local, m in looks if local.fits)
            key = tuple((c.start, c.fits, c.reason) for c in locals_)
            groups.setdefault(key, []).append((start, locals_, margin))
        start += step
    found = []
    for members in groups.values():
        _, sample, margin = members[0]
        merged = tuple(
            Local(
                c.city,
                c.zone,
                c.start,
                c.end,
                tuple(sorted({m[1][i].days[0] for m in members})),
                c.fits,
                c.reason,
            )
            for i, c in enumerate(sample)
        )
        found.append(Window(tuple(m[0] for m in members), length, merged, margin))
    return found


def _rank(window: Window) -> tuple[int, int, int, datetime]:
    return (-len(window.fitted), -window.margin, -len(window.starts), window.first)


def _time_of_day(window: Window) -> tuple[int, int]:
    begin = _since_midnight(window.first)
    return begin, begin + _mins(window.length)


def _overlaps(a: Window, b: Window) -> bool:
    """Whether two weekly times share a moment of the (UTC) day, wrapping at midnight."""
    (a0, a1), (b0, b1) = _time_of_day(a), _time_of_day(b)
    day = 24 * 60
    return any(a0 < b1 + shift and b0 + shift < a1 for shift in (-day, 0, day))


def distinct_best(found: Sequence[Window], count: int = SHOWN) -> list[Window]:
    """The best weekly times, skipping any that overlaps a better one already chosen (half an
    hour later is not another option)."""
    chosen: list[Window] = []
    for window in sorted(found, key=_rank):
        if len(chosen) >= count:
            break
        if not any(_overlaps(window, other) for other in chosen):
            chosen.append(window)
    return chosen


def best_split(found: Sequence[Window], cities: Sequence[SchoolDay]) -> Split | None:
    """Two weekly times at different times of day that together fit the most cities: all of
    them when possible, then as many cities in both as possible (a choice of sitting), then
    the most comfortable, then the most days both recur on."""
    names = [c.name for c in cities]
    best: tuple[tuple[int, ...], Split] | None = None
    for a, b in combinations(found, 2):
        if _overlaps(a, b):
            continue
        reached = set(a.fitted) | set(b.fitted)
        first, second = sorted((a, b), key=lambda w: _time_of_day(w)[0])
        score = (
            len(reached),
            len(a.fitted) + len(b.fitted),
            min(a.margin, b.margin),
            a.margin + b.margin,
            min(len(a.starts), len(b.starts)),
            -_time_of_day(first)[0],
        )
        if best is None or score > best[0]:
            left = tuple(n for n in names if n not in reached)
            best = (score, Split(first, second, left))
    return best[1] if best is not None else None


def suggest(
    cities: Sequence[SchoolDay], monday: date, length: timedelta, *, count: int = SHOWN
) -> Suggestion:
    """The best weekly times of the week starting `monday` for sessions of `length`; when none
    fits every city, the best split into two sittings."""
    for city in cities:
        check_hours(city.start, city.end, length)
    found = windows(cities, monday, length)
    ranked = distinct_best(found, count)
    all_fit = bool(ranked) and len(ranked[0].fitted) == len(cities)
    split = None if all_fit or len(cities) < 2 else best_split(found, cities)
    return Suggestion(monday, length, tuple(cities), tuple(ranked), all_fit, split)
