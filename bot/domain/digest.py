"""The monthly digest: when it goes out, which month it covers, and which figures moved.

It goes out on the first school day of each month (a day that is a weekend in neither city),
at 08:00 in the first city's time, and covers the month before, compared with the month
before that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.reporting import ExchangeFigures, Period, exchange_rows

POSTED_AT = time(8, 0)
# Figures compared month on month, in the order the digest lists them.
COMPARED = (
    "students_active",
    "sessions_held",
    "attendance_rate",
    "live_minutes",
    "prompt_answers",
    "messages",
    "chess_games",
    "pairs_active",
    "pairs_dormant",
)


def first_school_day(year: int, month: int, weekends: Sequence[frozenset[int]]) -> date:
    """The month's first day that is a weekend day (ISO weekday) in none of the cities."""
    day = date(year, month, 1)
    while any(day.isoweekday() in weekend for weekend in weekends):
        day += timedelta(days=1)
    return day


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def next_digest(after: datetime, zone: str, weekends: Sequence[frozenset[int]]) -> datetime:
    """When the next digest goes out: the first school day of this month at 08:00 local time
    if that is still to come, else of next month's."""
    local = ZoneInfo(zone)
    month = after.astimezone(local).date().replace(day=1)
    for _ in range(2):
        day = first_school_day(month.year, month.month, weekends)
        when = datetime.combine(day, POSTED_AT, local)
        if when > after:
            return when
        month = _next_month(month)
    raise AssertionError("a month always has a school day")  # pragma: no cover


def month_before(day: date) -> Period:
    """The whole calendar month before the one `day` falls in."""
    last = day.replace(day=1) - timedelta(days=1)
    return Period(last.replace(day=1), last)


@dataclass(frozen=True, slots=True)
class Change:
    """One figure, last month and the month before."""

    metric: str
    before: float | None
    now: float | None

    @property
    def moved(self) -> bool:
        return self.before != self.now


def _totals(figures: ExchangeFigures) -> dict[str, float | None]:
    found: dict[str, float | None] = {}
    for row in exchange_rows(figures):
        value = row["total"]
        found[row["metric"]] = float(value) if value not in ("", None) else None
    return found


def changes(now: ExchangeFigures, before: ExchangeFigures) -> list[Change]:
    """The compared figures, with whether each moved."""
    latest, earlier = _totals(now), _totals(before)
    return [Change(m, earlier.get(m), latest.get(m)) for m in COMPARED]
