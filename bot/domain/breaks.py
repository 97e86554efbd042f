"""School breaks: a city's days off (a date range, both ends included).

A break is checked when it is added: it ends on or after its start, is at most MAX_DAYS long,
starts within MAX_AHEAD of today and has not already ended, and does not overlap another
break of the same city. A session whose local date in a city falls inside one of its breaks
is flagged, with an offer to skip it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.sessions import Slot

# The longest break (a long summer holiday), and how far ahead one may be planned.
MAX_DAYS = 120
MAX_AHEAD = timedelta(days=550)


class BreakError(ValueError):
    """A break that cannot be; `key` names the message."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True, slots=True)
class SchoolBreak:
    """A city's break, from `first` to `last` (both days off)."""

    id: int
    city_id: int
    first: date
    last: date

    def holds(self, day: date) -> bool:
        return self.first <= day <= self.last


def check_new(
    city_id: int, first: date, last: date, today: date, others: Iterable[SchoolBreak]
) -> None:
    """Refuse a break that ends before it starts, is too long, has already ended, lies too
    far ahead, or overlaps another break of the same city."""
    if last < first:
        raise BreakError("error.break_order", first=f"{first}", last=f"{last}")
    if (last - first).days + 1 > MAX_DAYS:
        raise BreakError("error.break_long", days=MAX_DAYS)
    if last < today:
        raise BreakError("error.break_past", last=f"{last}")
    if first > today + MAX_AHEAD:
        raise BreakError("error.break_far", months=MAX_AHEAD.days // 30)
    for other in others:
        if other.city_id == city_id and first <= other.last and other.first <= last:
            raise BreakError("error.break_overlap", first=f"{other.first}", last=f"{other.last}")


@dataclass(frozen=True, slots=True)
class OnBreak:
    """A session (`slot`) on a day `city` has off (`school_break`)."""

    city: str
    slot: Slot
    school_break: SchoolBreak


def sessions_on_break(
    slots: Sequence[Slot],
    cities: Sequence[tuple[int, str, str]],
    breaks: Sequence[SchoolBreak],
) -> list[OnBreak]:
    """The sessions falling, by a city's local date (cities: id, name, zone), inside one of
    that city's breaks."""
    found: list[OnBreak] = []
    for slot in slots:
        for city_id, name, zone in cities:
            day = slot.start.astimezone(ZoneInfo(zone)).date()
            hit = next((b for b in breaks if b.city_id == city_id and b.holds(day)), None)
            if hit is not None:
                found.append(OnBreak(name, slot, hit))
    return found


def on_break(breaks: Iterable[SchoolBreak], city_id: int, day: date) -> bool:
    """Whether `city_id` has `day` off."""
    return any(b.city_id == city_id and b.holds(day) for b in breaks)


# A stretch during which chess clocks stop: (start, end), end None while it lasts.
Stretch = tuple[datetime, datetime | None]


def break_stretches(
    breaks: Iterable[SchoolBreak], zones: Mapping[int, str], city_ids: Collection[int]
) -> list[Stretch]:
    """The breaks of these cities as UTC stretches: from the first day's local midnight to
    the one after the last day."""
    found: list[Stretch] = []
    for brk in breaks:
        zone = zones.get(brk.city_id)
        if brk.city_id in city_ids and zone is not None:
            start = datetime.combine(brk.first, time(0), ZoneInfo(zone)).astimezone(UTC)
            after = brk.last + timedelta(days=1)
            end = datetime.combine(after, time(0), ZoneInfo(zone)).astimezone(UTC)
            found.append((start, end))
    return found


def merged(stretches: Iterable[Stretch]) -> list[Stretch]:
    """Stretches joined where they overlap or touch, so no moment is counted twice."""
    joined: list[Stretch] = []
    for start, end in sorted(stretches, key=lambda s: s[0]):
        if joined:
            last_start, last_end = joined[-1]
            if last_end is None:
                continue
            if start <= last_end:
                joined[-1] = (last_start, None if end is None else max(last_end, end))
                continue
        joined.append((start, end))
    return joined
