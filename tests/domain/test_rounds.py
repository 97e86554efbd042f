"""When a scheduled pairing round is due: cadence, the last round, breaks and holidays."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.breaks import SchoolBreak
from bot.domain.holidays import CityRegion, days_off
from bot.domain.rounds import (
    Cadence,
    CadenceError,
    check_start,
    closed_by,
    next_due,
    next_school_day,
    parse_every,
)

# Monday 7 September 2026.
MONDAY = date(2026, 9, 7)
WEEKDAYS = closed_by([])


def test_every_is_weeks_term_or_off() -> None:
    assert parse_every("4") == 4
    assert parse_every(" Term ") is None
    assert parse_every("off") == 0
    assert parse_every("٤") == 4  # digits of any script
    for bad in ("0", "27", "-1", "weekly", "", "²"):
        with pytest.raises(CadenceError):
            parse_every(bad)


def test_a_cadence_starts_today_or_within_a_year() -> None:
    check_start(MONDAY, MONDAY)
    with pytest.raises(CadenceError):
        check_start(date(2026, 9, 6), MONDAY)
    with pytest.raises(CadenceError):
        check_start(date(2027, 9, 9), MONDAY)


def test_the_first_round_is_due_on_the_start_then_every_n_weeks_from_the_last() -> None:
    cadence = Cadence(4, MONDAY)
    assert next_due(cadence, None, [], WEEKDAYS) == MONDAY
    # A round before the start does not count: the start is still the first due day.
    assert next_due(cadence, date(2026, 9, 1), [], WEEKDAYS) == MONDAY
    # Confirmed a day late: four weeks from the round itself.
    assert next_due(cadence, date(2026, 9, 8), [], WEEKDAYS) == date(2026, 10, 6)
    # Skipped on its day: four weeks from the skipped day.
    skipped = Cadence(4, MONDAY, handled_on=MONDAY)
    assert next_due(skipped, None, [], WEEKDAYS) == date(2026, 10, 5)
    # Whichever is later counts.
    assert next_due(skipped, date(2026, 9, 14), [], WEEKDAYS) == date(2026, 10, 12)


def test_a_due_day_on_a_weekend_break_or_holiday_moves_to_the_next_school_day() -> None:
    autumn = SchoolBreak(1, 10, date(2026, 10, 5), date(2026, 10, 9))
    closed = closed_by([autumn], holidays=[lambda d: d == date(2026, 10, 12)])
    # Four weeks after the 7th is the 5th, inside the break; the 10th-11th a weekend; the
    # 12th a public holiday: the 13th.
    assert next_due(Cadence(4, MONDAY, handled_on=MONDAY), None, [autumn], closed) == date(
        2026, 10, 13
    )
    assert next_school_day(date(2026, 9, 12), WEEKDAYS) == date(2026, 9, 14)


def test_each_city_keeps_its_own_weekend() -> None:
    """Najaf's weekend is Friday and Saturday, Minneapolis' Saturday and Sunday: a round
    falls on a day both schools are open."""
    closed = closed_by([], weekends=[{5, 6}, {4, 5}])
    assert next_school_day(date(2026, 9, 11), closed) == date(2026, 9, 14)  # Friday → Monday


def test_every_term_is_the_start_then_the_first_school_day_after_each_long_break() -> None:
    winter = SchoolBreak(1, 10, date(2026, 12, 21), date(2027, 1, 3))
    long_weekend = SchoolBreak(2, 11, date(2026, 11, 26), date(2026, 11, 27))
    breaks = [winter, long_weekend]
    closed = closed_by(breaks)
    cadence = Cadence(None, MONDAY)
    assert next_due(cadence, None, breaks, closed) == MONDAY
    # After the first term's round: the day school is back after the winter break (a short
    # break is no new term).
    assert next_due(cadence, MONDAY, breaks, closed) == date(2027, 1, 4)
    after_winter = Cadence(None, MONDAY, handled_on=date(2027, 1, 4))
    assert next_due(after_winter, None, breaks, closed) is None


def test_a_break_of_the_other_city_holds_the_term_start_until_both_are_back() -> None:
    here = SchoolBreak(1, 10, date(2026, 12, 21), date(2027, 1, 3))
    there = SchoolBreak(2, 11, date(2026, 12, 24), date(2027, 1, 6))
    breaks = [here, there]
    found = next_due(Cadence(None, MONDAY, handled_on=MONDAY), None, breaks, closed_by(breaks))
    assert found == date(2027, 1, 7)


def test_a_citys_public_holidays_come_from_its_region() -> None:
    minneapolis = days_off(CityRegion("Minneapolis", "America/Chicago", "US-MN"))
    assert minneapolis.holiday(date(2026, 11, 26))  # Thanksgiving
    assert not minneapolis.holiday(date(2026, 11, 24))
    assert minneapolis.weekend == frozenset({5, 6})
    unknown = days_off(CityRegion("Nowhere", "UTC"))
    assert not unknown.holiday(date(2026, 12, 25))
