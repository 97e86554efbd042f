"""An iCalendar (RFC 5545) file of a session series, for teachers' own calendars."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vRecur

from bot.domain.sessions import ONCE, Slot

PRODID = "-//Twinbridge//Sessions//EN"


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


def series_calendar(series: SeriesFile) -> bytes:
    """The series as one VEVENT with its RRULE, EXDATEs for cancelled occurrences and an
    overriding VEVENT (RECURRENCE-ID) per moved one; VTIMEZONE included, so calendars keep
    the organiser's local time across clock changes."""
    zone = ZoneInfo(series.zone)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", series.title)
    main = _event(series, series.first.astimezone(zone), series.duration)
    if series.rule != ONCE:
        main.add("rrule", vRecur.from_ical(series.rule))
    if series.cancelled:
        main.add("exdate", [c.astimezone(zone) for c in sorted(series.cancelled)])
    calendar.add_component(main)
    for slot in sorted(series.moved, key=lambda s: s.original):
        moved = _event(series, slot.start.astimezone(zone), slot.end - slot.start)
        moved.add("recurrence-id", slot.original.astimezone(zone))
        calendar.add_component(moved)
    calendar.add_missing_timezones()
    data: bytes = calendar.to_ical()
    return data


def _event(series: SeriesFile, start: datetime, duration: timedelta) -> Event:
    event = Event()
    event.add("uid", series.uid)
    event.add("dtstamp", series.stamp)
    event.add("summary", series.title)
    event.add("dtstart", start)
    event.add("duration", duration)
    if series.description:
        event.add("description", series.description)
    if series.location:
        event.add("location", series.location)
    return event
