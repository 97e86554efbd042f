"""`/session suggest`'s ranking, hand-checked: UTC offsets worked out by hand for each case."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise

import pytest

from bot.domain.suggest import (
    SchoolDay,
    SuggestError,
    Window,
    coming_week,
    suggest,
    week_of,
    windows,
)

HOUR = timedelta(hours=1)
SAT_SUN = frozenset({6, 7})
FRI_SAT = frozenset({5, 6})
MINNEAPOLIS = SchoolDay("Minneapolis", "America/Chicago", SAT_SUN)
NAJAF = SchoolDay("Najaf", "Asia/Baghdad", FRI_SAT)
EIGHT, SIX_PM = time(8), time(18)


def city(name: str, zone: str, weekend: frozenset[int] = SAT_SUN) -> SchoolDay:
    """A city whose school day is 08:00–18:00 (a narrower day than the default)."""
    return SchoolDay(name, zone, weekend, EIGHT, SIX_PM)


def at(window: Window, name: str) -> str:
    found = next(c for c in window.locals if c.city == name)
    return f"{found.start:%H:%M}"


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_weeks_start_on_monday_and_the_coming_one_is_after_today() -> None:
    assert week_of(date(2026, 12, 10)) == date(2026, 12, 7)
    assert coming_week(date(2026, 12, 6)) == date(2026, 12, 7)  # a Sunday: tomorrow
    assert coming_week(date(2026, 12, 7)) == date(2026, 12, 14)  # a Monday: next week's


def test_minneapolis_and_najaf_meet_at_nine_and_six_monday_to_thursday() -> None:
    """December: Chicago is UTC−6, Baghdad UTC+3. School hours 07–21 overlap 13:00–18:00
    UTC; 15:00 UTC (09:00 / 18:00) is two hours from either edge. Friday is Najaf's weekend,
    Sunday Minneapolis's: the weekly time recurs Monday to Thursday."""
    found = suggest([MINNEAPOLIS, NAJAF], date(2026, 12, 7), HOUR)
    assert found.all_fit and found.split is None
    best = found.ranked[0]
    assert best.first == utc(2026, 12, 7, 15)
    assert (at(best, "Minneapolis"), at(best, "Najaf")) == ("09:00", "18:00")
    assert best.margin == 120
    assert [c.days for c in best.locals] == [(1, 2, 3, 4), (1, 2, 3, 4)]
    assert len(best.starts) == 4
    # Next best: an hour either side, then the edges of the overlap.
    assert [w.first.hour for w in found.ranked] == [15, 14, 16, 13, 17]


def test_a_friday_window_fits_minneapolis_only_and_says_why_not_najaf() -> None:
    found = windows([MINNEAPOLIS, NAJAF], date(2026, 12, 7), HOUR)
    friday = next(w for w in found if utc(2026, 12, 11, 15) in w.starts)
    assert friday.fitted == ("Minneapolis",)
    najaf = friday.locals[1]
    assert (najaf.fits, najaf.reason, najaf.days) == (False, "weekend", (5,))
    night = next(w for w in found if utc(2026, 12, 8, 2) in w.starts)  # 20:00 in Minneapolis
    assert night.fitted == ("Minneapolis",) and night.locals[1].reason == "hours"


def test_winston_salem_chengdu_chisinau_no_single_time_so_two_sittings() -> None:
    """08:00–18:00 each. Winston-Salem (UTC−5) is 13:00–23:00 UTC, Chengdu (UTC+8)
    00:00–10:00, Chisinau (UTC+2) 06:00–16:00: no moment is school time in all three.
    Sitting one: Chengdu and Chisinau, 07:30 UTC (15:30 / 09:30, 90 and 90 minutes from the
    edges); sitting two: Winston-Salem and Chisinau, 14:00 UTC (09:00 / 16:00, one hour)."""
    cities = [
        city("Winston-Salem", "America/New_York"),
        city("Chengdu", "Asia/Shanghai"),
        city("Chisinau", "Europe/Chisinau"),
    ]
    found = suggest(cities, date(2026, 12, 7), HOUR)
    assert not found.all_fit
    assert max(len(w.fitted) for w in found.ranked) == 2
    split = found.split
    assert split is not None and split.left_out == ()
    assert split.first.first == utc(2026, 12, 7, 7, 30)
    assert split.first.fitted == ("Chengdu", "Chisinau")
    assert (at(split.first, "Chengdu"), at(split.first, "Chisinau")) == ("15:30", "09:30")
    assert split.second.first == utc(2026, 12, 7, 14)
    assert split.second.fitted == ("Winston-Salem", "Chisinau")
    assert (at(split.second, "Winston-Salem"), at(split.second, "Chisinau")) == ("09:00", "16:00")
    assert len(split.first.starts) == len(split.second.starts) == 5


def test_winston_salem_s_evening_is_chengdu_s_next_morning() -> None:
    """07:00–21:00, 13 hours apart in December: Winston-Salem's 18:00–21:00 is Chengdu's
    07:00–10:00 the next day (23:00–02:00 UTC). 00:00 UTC is an hour from both edges:
    19:00 Monday to Thursday in Winston-Salem, 08:00 Tuesday to Friday in Chengdu."""
    cities = [
        SchoolDay("Winston-Salem", "America/New_York", SAT_SUN),
        SchoolDay("Chengdu", "Asia/Shanghai", SAT_SUN),
    ]
    found = suggest(cities, date(2026, 12, 7), HOUR)
    assert found.all_fit and found.split is None
    best = found.ranked[0]
    assert best.first == utc(2026, 12, 8, 0)
    assert (at(best, "Winston-Salem"), at(best, "Chengdu")) == ("19:00", "08:00")
    assert [c.days for c in best.locals] == [(1, 2, 3, 4), (2, 3, 4, 5)]
    assert best.margin == 60


def test_six_cities_on_four_continents() -> None:
    """08:00–18:00 in Winston-Salem and Nassau (UTC−5: 13–23 UTC), Chengdu (UTC+8: 00–10),
    Chisinau (UTC+2: 06–16), Kumasi and Monrovia (UTC: 08–18). Best single time: 14:00 UTC,
    five cities (not Chengdu). Best split: 08:30 UTC for Chengdu, Chisinau, Kumasi and
    Monrovia (half an hour from Chengdu's 18:00 and Kumasi's 08:00), 14:00 UTC for the five."""
    cities = [
        city("Winston-Salem", "America/New_York"),
        city("Chengdu", "Asia/Shanghai"),
        city("Chisinau", "Europe/Chisinau"),
        city("Nassau", "America/Nassau"),
        city("Kumasi", "Africa/Accra"),
        city("Monrovia", "Africa/Monrovia"),
    ]
    found = suggest(cities, date(2026, 12, 7), HOUR)
    assert not found.all_fit
    best = found.ranked[0]
    assert best.first == utc(2026, 12, 7, 14)
    assert set(best.fitted) == {"Winston-Salem", "Chisinau", "Nassau", "Kumasi", "Monrovia"}
    split = found.split
    assert split is not None and split.left_out == ()
    assert split.first.first == utc(2026, 12, 7, 8, 30)
    assert split.first.fitted == ("Chengdu", "Chisinau", "Kumasi", "Monrovia")
    assert split.second.first == utc(2026, 12, 7, 14)
    # Every city has its own line, fitting or not, in its own clock.
    assert [at(split.second, c.name) for c in cities] == [
        "09:00",
        "22:00",
        "16:00",
        "09:00",
        "14:00",
        "14:00",
    ]


def test_the_us_clock_change_moves_the_best_time_for_najaf() -> None:
    """The week before the US change (8 March 2027, Chicago UTC−6) the best is 15:00 UTC,
    09:00 / 18:00. From 14 March Chicago is UTC−5: 12:00–02:00 UTC against Najaf's 04–18;
    14:30 UTC (09:30 / 17:30) is two and a half hours from both edges."""
    before = suggest([MINNEAPOLIS, NAJAF], date(2027, 3, 8), HOUR).ranked[0]
    after = suggest([MINNEAPOLIS, NAJAF], date(2027, 3, 15), HOUR).ranked[0]
    assert before.first == utc(2027, 3, 8, 15)
    assert (at(before, "Minneapolis"), at(before, "Najaf")) == ("09:00", "18:00")
    assert after.first == utc(2027, 3, 15, 14, 30)
    assert (at(after, "Minneapolis"), at(after, "Najaf")) == ("09:30", "17:30")


def test_a_clock_change_inside_the_week_is_read_day_by_day() -> None:
    """Israel moves to UTC+3 on Friday 26 March 2027; Sunday the 28th is a school day there.
    With Najaf (UTC+3 all year) and 08:00–18:00: 05:00 UTC is 08:00 in both on that Sunday
    only; Monday to Thursday it is 07:00 in Jerusalem, before school."""
    jerusalem = city("Jerusalem", "Asia/Jerusalem", FRI_SAT)
    found = windows([jerusalem, city("Najaf", "Asia/Baghdad", FRI_SAT)], date(2027, 3, 22), HOUR)
    both = [w for w in found if len(w.fitted) == 2 and w.first == utc(2027, 3, 28, 5)]
    assert len(both) == 1
    assert both[0].starts == (utc(2027, 3, 28, 5),)
    assert [at(both[0], "Jerusalem"), at(both[0], "Najaf")] == ["08:00", "08:00"]
    weekdays = next(w for w in found if utc(2027, 3, 22, 5) in w.starts)
    assert weekdays.fitted == ("Najaf",)
    assert at(weekdays, "Jerusalem") == "07:00" and weekdays.locals[0].reason == "hours"


def test_half_hour_zones_get_their_own_times() -> None:
    """India is UTC+05:30: windows start on the half hour UTC, so Delhi sees whole hours."""
    found = suggest([SchoolDay("Delhi", "Asia/Kolkata", frozenset({7}))], date(2026, 12, 7), HOUR)
    assert found.all_fit and found.split is None
    assert found.ranked[0].locals[0].start == time(13, 30)  # furthest from 07:00 and 21:00
    assert {w.locals[0].start.minute for w in windows(found.cities, found.monday, HOUR)} == {0, 30}


def test_the_best_times_are_distinct_not_half_an_hour_apart() -> None:
    found = suggest([MINNEAPOLIS, NAJAF], date(2026, 12, 7), HOUR)
    starts = sorted(w.first.hour * 60 + w.first.minute for w in found.ranked)
    assert all(b - a >= 60 for a, b in pairwise(starts))


def test_when_two_sittings_cannot_reach_everyone_the_missing_are_named() -> None:
    """Three cities eight hours apart with a four-hour school day: any two sittings leave one
    out, and the split says which."""
    short = [
        SchoolDay("Chicago", "America/Chicago", SAT_SUN, time(9), time(13)),
        SchoolDay("Kumasi", "Africa/Accra", SAT_SUN, time(9), time(13)),
        SchoolDay("Chengdu", "Asia/Shanghai", SAT_SUN, time(9), time(13)),
    ]
    found = suggest(short, date(2026, 12, 7), HOUR)
    assert not found.all_fit and found.split is not None
    assert len(found.split.left_out) == 1
    reached = set(found.split.first.fitted) | set(found.split.second.fitted)
    assert reached | set(found.split.left_out) == {"Chicago", "Kumasi", "Chengdu"}


def test_school_hours_shorter_than_the_session_are_refused() -> None:
    tight = SchoolDay("Najaf", "Asia/Baghdad", FRI_SAT, time(9), time(9, 30))
    with pytest.raises(SuggestError) as caught:
        suggest([tight], date(2026, 12, 7), HOUR)
    assert caught.value.key == "error.suggest_hours"


def test_a_holiday_or_a_break_takes_its_day_out_for_that_city_only() -> None:
    """Najaf has Wednesday off (a holiday) and Thursday (a school break): 15:00 UTC still fits
    Minneapolis both days, Najaf only Monday and Tuesday, and each day says why."""
    najaf = SchoolDay(
        "Najaf",
        "Asia/Baghdad",
        FRI_SAT,
        holidays=frozenset({date(2026, 12, 9)}),
        breaks=frozenset({date(2026, 12, 10)}),
    )
    found = windows([MINNEAPOLIS, najaf], date(2026, 12, 7), HOUR)
    both = next(w for w in found if utc(2026, 12, 7, 15) in w.starts)
    assert both.starts == (utc(2026, 12, 7, 15), utc(2026, 12, 8, 15))
    holiday = next(w for w in found if utc(2026, 12, 9, 15) in w.starts)
    stopped = next(w for w in found if utc(2026, 12, 10, 15) in w.starts)
    assert (holiday.fitted, holiday.locals[1].reason) == (("Minneapolis",), "holiday")
    assert (stopped.fitted, stopped.locals[1].reason) == (("Minneapolis",), "break")
    best = suggest([MINNEAPOLIS, najaf], date(2026, 12, 7), HOUR).ranked[0]
    assert best.first == utc(2026, 12, 7, 15) and len(best.starts) == 2
