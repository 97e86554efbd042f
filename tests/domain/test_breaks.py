"""School breaks: what may be added, and which sessions fall in one."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.domain import sessions as rules
from bot.domain.breaks import (
    BreakError,
    SchoolBreak,
    break_stretches,
    check_new,
    merged,
    on_break,
    sessions_on_break,
)

TODAY = date(2026, 9, 1)
WINTER = SchoolBreak(1, 2, date(2026, 12, 20), date(2027, 1, 3))


@pytest.mark.parametrize(
    ("first", "last", "key"),
    [
        (date(2026, 10, 9), date(2026, 10, 2), "error.break_order"),
        (date(2026, 6, 1), date(2026, 8, 31), "error.break_past"),
        (date(2028, 6, 1), date(2028, 6, 5), "error.break_far"),
        (date(2026, 10, 1), date(2027, 2, 1), "error.break_long"),
        (date(2027, 1, 3), date(2027, 1, 10), "error.break_overlap"),  # shares its last day
        (date(2026, 12, 1), date(2026, 12, 20), "error.break_overlap"),  # shares its first
        (date(2026, 12, 24), date(2026, 12, 26), "error.break_overlap"),  # inside it
    ],
)
def test_a_bad_break_is_refused(first: date, last: date, key: str) -> None:
    with pytest.raises(BreakError) as refused:
        check_new(2, first, last, TODAY, [WINTER])
    assert refused.value.key == key


def test_good_breaks_pass() -> None:
    check_new(2, date(2027, 1, 4), date(2027, 1, 4), TODAY, [WINTER])  # one day, right after
    check_new(1, date(2026, 12, 24), date(2026, 12, 26), TODAY, [WINTER])  # the other city
    check_new(2, date(2026, 8, 20), date(2026, 9, 1), TODAY, [WINTER])  # ends today
    check_new(2, TODAY + timedelta(days=550), TODAY + timedelta(days=551), TODAY, [])


def test_sessions_fall_in_a_break_by_each_citys_own_date() -> None:
    """20:00 in Chicago on 19 December is 05:00 on the 20th in Baghdad: in its break, as are
    the next two (the 27th, and 3 January, its last day); 10 January is not."""
    first = rules.local_start(date(2026, 12, 19), time(20), "America/Chicago")
    slots = rules.occurrences("FREQ=WEEKLY;COUNT=4", first, timedelta(hours=1))
    cities = [(1, "Minneapolis", "America/Chicago"), (2, "Najaf", "Asia/Baghdad")]
    found = sessions_on_break(slots, cities, [WINTER])
    assert [(f.city, f.slot) for f in found] == [("Najaf", s) for s in slots[:3]]
    assert on_break([WINTER], 2, date(2027, 1, 3)) and not on_break([WINTER], 1, date(2027, 1, 3))


def test_break_stretches_run_midnight_to_midnight_and_merge_with_pauses() -> None:
    """Najaf's winter break is 20 December 00:00 to 4 January 00:00 Baghdad time (UTC+3); a
    pause overlapping it is joined to it, an open pause swallows what follows."""
    stretch = break_stretches([WINTER], {2: "Asia/Baghdad"}, {1, 2})
    start, end = datetime(2026, 12, 19, 21, tzinfo=UTC), datetime(2027, 1, 3, 21, tzinfo=UTC)
    assert stretch == [(start, end)]
    assert break_stretches([WINTER], {2: "Asia/Baghdad"}, {1}) == []
    pause = (start - timedelta(days=1), start + timedelta(days=1))
    later = (end + timedelta(days=5), end + timedelta(days=6))
    assert merged([*stretch, pause, later]) == [(pause[0], end), later]
    assert merged([*stretch, (end, None), later]) == [(start, None)]
