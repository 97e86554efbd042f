"""iCalendar (RFC 5545) for session series: the file of one series (`/session ics`) and the
subscription feed of an exchange or a city (`/session calendar`), built the same way.

Each series is one VEVENT with its RRULE in the organiser's zone (with its VTIMEZONE, so
calendars keep the local time across clock changes), an EXDATE per cancelled or skipped date
and an overriding VEVENT (RECURRENCE-ID) per moved one. A feed is polled again and again:
every VEVENT carries SEQUENCE and LAST-MODIFIED, which grow with each change, so a calendar
app replaces what it showed; a series called off ends at that moment (its RRULE gets an
UNTIL) and is marked CANCELLED.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vRecur

from bot.cldr import format_moment
from bot.domain.sessions import ONCE, Slot, first_instance

PRODID = "-//Twinbridge//Sessions//EN"
# How often a calendar app should poll a feed (a hint most apps follow).
REFRESH = timedelta(hours=6)


@dataclass(frozen=True, slots=True)
class SeriesFile:
    """What goes into the file; times are UTC except `first`, the local first start."""

    uid: str
    title: str
    description: str
    zone: str
    first: datetime
    duration: timedelta
    rule: str
    location: str
    stamp: datetime
    cancelled: Sequence[datetime] = field(default_factory=tuple)  # original starts
    moved: Sequence[Slot] = field(default_factory=tuple)
    # When the series or one of its dates last changed, and a number that grows with every
    # change (RFC 5545 SEQUENCE); a feed needs both, a one-off file may leave them out.
    modified: datetime | None = None
    sequence: int = 0
    # The series was called off at this moment: nothing after it happens.
    ended_at: datetime | None = None
    # The cities (name, zone) whose clocks each event's description reads its start on, in
    # the reader's `language` (CLDR): what people read, where DTSTART is for the app.
    clocks: Sequence[tuple[str, str]] = field(default_factory=tuple)
    language: str = "en"


def sequence_of(created: datetime, modified: datetime) -> int:
    """A SEQUENCE that grows with every change: whole seconds from creation to the last change.

    Nothing stores a change counter, but every change stamps its time, and the time only moves
    forward: a later change always gives a larger number.
    """
    return max(int((modified - created).total_seconds()), 0)


def series_calendar(series: SeriesFile) -> bytes:
    """One series as a calendar file (RRULE, EXDATEs, overrides, VTIMEZONE)."""
    return feed_calendar(series.title, [series], stamp=series.stamp, refresh=False)


def feed_calendar(
    name: str,
    series: Sequence[SeriesFile],
    *,
    stamp: datetime,
    zone: str | None = None,
    refresh: bool = True,
) -> bytes:
    """A calendar of several series, named `name` (X-WR-CALNAME); `zone` is the readers'
    (X-WR-TIMEZONE), `refresh` adds the polling hint of a subscription."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    if zone:
        calendar.add("x-wr-timezone", zone)
    if refresh:
        calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", REFRESH)
    for one in series:
        for event in _events(one, stamp):
            calendar.add_component(event)
    calendar.add_missing_timezones()
    data: bytes = calendar.to_ical()
    return data


def _events(series: SeriesFile, stamp: datetime) -> list[Event]:
    zone = ZoneInfo(series.zone)
    # RFC 5545 counts DTSTART as the first instance: it must be a real session.
    first = first_instance(series.rule, series.first.astimezone(zone)) or series.first
    main = _event(series, first.astimezone(zone), series.duration, stamp)
    if series.rule != ONCE:
        main.add("rrule", _rule(series))
    if series.ended_at is not None and series.ended_at <= first:
        # Called off before it began: nothing of it happens.
        main.add("status", "CANCELLED")
    if series.cancelled:
        main.add("exdate", [c.astimezone(zone) for c in sorted(series.cancelled)])
    found = [main]
    for slot in sorted(series.moved, key=lambda s: s.original):
        moved = _event(series, slot.start.astimezone(zone), slot.end - slot.start, stamp)
        moved.add("recurrence-id", slot.original.astimezone(zone))
        found.append(moved)
    return found


def _rule(series: SeriesFile) -> vRecur:
    """The series' RRULE; one called off stops at that moment (UNTIL replaces COUNT)."""
    rule: vRecur = vRecur.from_ical(series.rule)
    if series.ended_at is not None:
        rule.pop("COUNT", None)
        until = series.ended_at.astimezone(UTC)
        existing = rule.get("UNTIL")
        if existing:
            kept = existing[0]
            kept = kept if isinstance(kept, datetime) else None
            if kept is not None and kept.astimezone(UTC) < until:
                until = kept.astimezone(UTC)
        # With a DTSTART in a zone, RFC 5545 wants UNTIL in UTC.
        rule["UNTIL"] = [until]
    return rule


def _event(series: SeriesFile, start: datetime, duration: timedelta, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", series.uid)
    event.add("dtstamp", stamp)
    event.add("summary", series.title)
    event.add("dtstart", start)
    event.add("duration", duration)
    if series.modified is not None:
        event.add("last-modified", series.modified.astimezone(UTC))
        event.add("sequence", series.sequence)
    description = "\n".join(
        [
            *(
                f"{name}: {format_moment(start, zone, series.language)}"
                for name, zone in series.clocks
            ),
            *([series.description] if series.description else []),
        ]
    )
    if description:
        event.add("description", description)
    if series.location:
        event.add("location", series.location)
    return event
