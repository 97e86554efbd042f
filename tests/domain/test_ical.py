"""Calendar files read as calendar apps read them: each file expanded with
`recurring-ical-events` gives exactly the dates the bot itself plans."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import recurring_ical_events
from icalendar import Calendar

from bot.domain import sessions as rules
from bot.domain.ical import SeriesFile, series_calendar

HOUR = timedelta(hours=1)
STAMP = datetime(2026, 9, 1, tzinfo=UTC)


def expanded(data: bytes) -> list[datetime]:
    events = recurring_ical_events.of(Calendar.from_ical(data)).between(
        datetime(2026, 1, 1, tzinfo=UTC), datetime(2031, 1, 1, tzinfo=UTC)
    )
    return sorted(e.decoded("DTSTART").astimezone(UTC) for e in events)


def file_of(rule: str, first: datetime, **changes: object) -> bytes:
    return series_calendar(
        SeriesFile(
            uid="session-1@twinbridge",
            title="Exchange",
            description="",
            zone=str(first.tzinfo),
            first=first,
            duration=HOUR,
            rule=rule,
            location="#exchange",
            stamp=STAMP,
            modified=STAMP,
            sequence=3,
            **changes,  # type: ignore[arg-type]
        )
    )


@pytest.mark.parametrize(
    ("start", "repeat", "count"),
    [
        # The case: typed to start on Friday 2027-01-01, the first Tuesday of each month.
        (date(2027, 1, 1), "first Tuesday of each month", 6),
        (date(2027, 1, 1), "last Friday", 4),
        (date(2026, 10, 7), "every Tuesday", 10),
        (date(2026, 10, 7), "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", 5),
        (date(2026, 10, 7), "FREQ=MONTHLY;BYDAY=TU;BYSETPOS=-1", 3),
        (date(2026, 10, 6), "monthly", 7),
        (date(2026, 10, 6), "once", None),
    ],
)
def test_dtstart_is_the_first_real_session(start: date, repeat: str, count: int | None) -> None:
    """A start date that is not a session day: DTSTART is the first real session, so the
    file expands to the bot's dates, no extra one first and none dropped at the end."""
    first = rules.local_start(start, time(15), "America/Chicago")
    rule = rules.with_end(rules.parse_repeat(repeat, start), count=count, until=None)
    bots = [s.start for s in rules.occurrences(rule, first, HOUR, limit=200)]
    data = file_of(rule, first)
    assert expanded(data) == bots
    assert len(bots) == (count or 1)
    event = Calendar.from_ical(data).walk("VEVENT")[0]
    assert event.decoded("DTSTART").astimezone(UTC) == bots[0]


def test_an_until_series_from_a_non_session_day_expands_alike() -> None:
    first = rules.local_start(date(2027, 1, 1), time(9, 30), "Asia/Baghdad")
    until = rules.end_of_day(date(2027, 6, 30), "Asia/Baghdad")
    rule = rules.with_end(rules.parse_repeat("every Sunday", first.date()), count=None, until=until)
    bots = [s.start for s in rules.occurrences(rule, first, HOUR, limit=200)]
    assert expanded(file_of(rule, first)) == bots
    assert bots[0].astimezone(first.tzinfo).date() == date(2027, 1, 3)


def test_every_event_carries_sequence_and_last_modified_and_a_cancellation_is_excluded() -> None:
    """SEQUENCE and LAST-MODIFIED on the series and on each moved date; a called-off date is
    an EXDATE (RFC 5545), so it is gone from the expansion."""
    first = rules.local_start(date(2027, 1, 1), time(15), "America/Chicago")
    rule = rules.with_end(rules.parse_repeat("first Tuesday", first.date()), count=4, until=None)
    bots = [s.start for s in rules.occurrences(rule, first, HOUR)]
    moved = rules.Slot(bots[2], bots[2] + timedelta(days=1), bots[2] + timedelta(days=1) + HOUR)
    data = file_of(rule, first, cancelled=[bots[1]], moved=[moved])
    assert expanded(data) == [bots[0], moved.start, bots[3]]
    for event in Calendar.from_ical(data).walk("VEVENT"):
        assert int(event["SEQUENCE"]) == 3
        assert event.decoded("LAST-MODIFIED") == STAMP
