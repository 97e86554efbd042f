"""Pairing rounds on a schedule: when an exchange's next round is due.

A cadence is "every N weeks" (from its start day, then from the latest round or the latest due
round a teacher confirmed or skipped) or "every term": on its start day and on the first
school day after each long break (at least TERM_BREAK_DAYS days; a shorter break is a long
weekend, not the end of a term). A due day that is not a school day (a weekend, a school break
or a public holiday in any of the exchange's cities) moves to the next school day. A due round
only brings the teachers a preview to confirm or skip: nothing is paired without them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from bot.domain.breaks import SchoolBreak
from bot.domain.text import ascii_digits

# The choices `/pair cadence every:` offers, in weeks; "term" and "off" besides.
EVERY_WEEKS = (1, 2, 3, 4, 6, 8, 12)
MAX_WEEKS = 26
TERM = "term"
OFF = "off"
# A break this long (days off in a row) ends a term.
TERM_BREAK_DAYS = 5
# How far a due day is moved at most looking for a school day (a long summer break).
LONGEST_PUSH = 200
# How far ahead a cadence may start.
MAX_START_AHEAD = timedelta(days=365)


class CadenceError(ValueError):
    """A cadence that cannot be; `key` names the message."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True, slots=True)
class Cadence:
    """An exchange's cadence: `every_weeks` None means every term."""

    every_weeks: int | None
    starts_on: date
    handled_on: date | None = None  # the latest due day a teacher confirmed or skipped

    @property
    def label(self) -> str:
        return TERM if self.every_weeks is None else str(self.every_weeks)


def parse_every(value: str) -> int | None:
    """`/pair cadence every:` → weeks (1..MAX_WEEKS), None for "term", 0 for "off"."""
    text = ascii_digits(value.strip().casefold())
    if text == OFF:
        return 0
    if text == TERM:
        return None
    if text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_WEEKS:
        return int(text)
    raise CadenceError("rounds.error.every", limit=MAX_WEEKS)


def check_start(start: date, today: date) -> None:
    """A cadence starts today or later, within a year."""
    if start < today:
        raise CadenceError("rounds.error.start_past", day=start)
    if start > today + MAX_START_AHEAD:
        raise CadenceError("rounds.error.start_far", day=start)


def next_school_day(day: date, closed: Callable[[date], bool]) -> date:
    """`day` if school is open then, else the first day after it that is."""
    for _ in range(LONGEST_PUSH):
        if not closed(day):
            return day
        day += timedelta(days=1)
    return day


def term_starts(cadence: Cadence, breaks: Iterable[SchoolBreak]) -> list[date]:
    """The days a term begins from the cadence's start: the start, and the day after each
    long break that ends on or after it."""
    found = {cadence.starts_on}
    for brk in breaks:
        after = brk.last + timedelta(days=1)
        if (brk.last - brk.first).days + 1 >= TERM_BREAK_DAYS and after >= cadence.starts_on:
            found.add(after)
    return sorted(found)


def next_due(
    cadence: Cadence,
    last_round: date | None,
    breaks: Iterable[SchoolBreak],
    closed: Callable[[date], bool],
) -> date | None:
    """The day the next round is due (a school day), or None (every term, and no break ahead
    is known to end one).

    Counted from the latest of the last round and the last due round handled, when that is on
    or after the cadence's start; otherwise the cadence's start is the first due day.
    """
    done = [d for d in (last_round, cadence.handled_on) if d is not None]
    after = max(done) if done and max(done) >= cadence.starts_on else None
    if cadence.every_weeks is not None:
        base = cadence.starts_on if after is None else after + timedelta(weeks=cadence.every_weeks)
        return next_school_day(base, closed)
    for start in term_starts(cadence, breaks):
        due = next_school_day(start, closed)
        if after is None or due > after:
            return due
    return None


def closed_by(
    breaks: Iterable[SchoolBreak],
    holidays: Iterable[Callable[[date], bool]] = (),
    weekends: Iterable[Iterable[int]] = ((5, 6),),
) -> Callable[[date], bool]:
    """Whether school is closed on a day in any city: one of their breaks, a public holiday
    (`holidays`: one test per city) or a weekend day (`weekends`: each city's weekdays off,
    Monday 0)."""
    found = list(breaks)
    tests = list(holidays)
    off = {d for days in weekends for d in days}

    def closed(day: date) -> bool:
        return (
            day.weekday() in off
            or any(b.holds(day) for b in found)
            or any(test(day) for test in tests)
        )

    return closed
