"""`/session suggest`: the week's best times for a session across every city of an exchange.

The ranking is pure (`bot.domain.suggest`); this gathers what it needs: the exchange's cities
with their weekends, the public holidays and school breaks of that week, and the school hours
asked for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.domain import sessions as rules
from bot.domain import suggest as ranking
from bot.domain.breaks import SchoolBreak, on_break
from bot.domain.exchange import City, Exchange
from bot.domain.holidays import CityRegion, holidays_on
from bot.errors import UserError
from bot.services.access import Actor, staff_exchange
from bot.store import Database
from bot.store import breaks as break_store

STAFF = {"teacher", "coordinator"}


@dataclass(frozen=True, slots=True)
class SuggestInput:
    """What a teacher typed into /session suggest."""

    week: date | None = None  # any day of the week; None: the coming week
    minutes: int = 60
    earliest: str | None = None  # school hours, every city's local time
    latest: str | None = None


@dataclass(frozen=True, slots=True)
class Suggested:
    """The ranked times, with what they were computed for."""

    exchange: Exchange
    suggestion: ranking.Suggestion
    earliest: time
    latest: time
    # Cities whose public holidays could not be checked (no country known for them).
    unchecked: tuple[str, ...] = ()


def _hours(typed: str | None, default: time) -> time:
    if typed is None or not typed.strip():
        return default
    try:
        return rules.parse_time(typed)
    except rules.RuleError as exc:
        raise UserError(exc.key, **exc.params) from None


def _days(monday: date) -> list[date]:
    # A day either side: a city far from UTC meets the week on its neighbours' dates.
    return [monday + timedelta(days=n) for n in range(-1, 8)]


def _holidays(city: City, days: Sequence[date]) -> tuple[frozenset[date], bool]:
    """The city's public holidays among `days`, and whether they could be checked."""
    zone = ZoneInfo(city.timezone)
    noons = [datetime.combine(d, time(12), zone) for d in days]
    slots = [rules.Slot(n, n, n + timedelta(hours=1)) for n in noons]
    found = holidays_on(slots, [CityRegion(city.name, city.timezone, city.holiday_region)], "en")
    return frozenset(h.day for h in found.found), not found.unchecked


def school_days(
    exchange: Exchange, monday: date, start: time, end: time, breaks: Sequence[SchoolBreak]
) -> tuple[list[ranking.SchoolDay], tuple[str, ...]]:
    """Each city of the exchange as the ranking needs it, and the cities whose holidays are
    unknown. Runs off the event loop: the holidays package builds a country's calendar."""
    days = _days(monday)
    found: list[ranking.SchoolDay] = []
    unchecked: list[str] = []
    for city in exchange.cities:
        holidays, checked = _holidays(city, days)
        if not checked:
            unchecked.append(city.name)
        found.append(
            ranking.SchoolDay(
                city.name,
                city.timezone,
                city.weekend_days,
                start,
                end,
                holidays=holidays,
                breaks=frozenset(d for d in days if on_break(breaks, city.id, d)),
            )
        )
    return found, tuple(unchecked)


async def suggest_times(
    db: Database, clock: Clock, actor: Actor, exchange_id: int | None, typed: SuggestInput
) -> Suggested:
    """The best weekly times for the exchange's cities (teachers and coordinators of it)."""
    exchange = await staff_exchange(db, actor, exchange_id, STAFF)
    if not ranking.SHORTEST <= typed.minutes <= ranking.LONGEST:
        raise UserError("error.suggest_length", low=ranking.SHORTEST, high=ranking.LONGEST)
    start = _hours(typed.earliest, ranking.DAY_START)
    end = _hours(typed.latest, ranking.DAY_END)
    length = timedelta(minutes=typed.minutes)
    try:
        ranking.check_hours(start, end, length)
    except ranking.SuggestError as exc:
        raise UserError(exc.key, **exc.params) from None
    week = typed.week or ranking.coming_week(clock.now().date())
    monday = ranking.week_of(week)
    async with db.read() as conn:
        breaks = await break_store.of_exchange(conn, exchange.id)

    def work() -> tuple[ranking.Suggestion, tuple[str, ...]]:
        cities, unchecked = school_days(exchange, monday, start, end, breaks)
        return ranking.suggest(cities, monday, length), unchecked

    found, unchecked = await asyncio.to_thread(work)
    return Suggested(exchange, found, start, end, unchecked)
