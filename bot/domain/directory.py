"""Cities seeking cities: what a school's listing holds, the rules its words follow, and how
listings of other servers rank for a virtual exchange.

A listing describes a school, never a child: city, country, zone, languages, age bands, class
size, themes, the months it can run and a short note. Contact happens only through an accepted
introduction, so a note carrying an e-mail address, a phone number or a link is refused.

Ranking weighs what makes a virtual exchange work, in this order: hours when both schools are
in class at once (computed for a real week, so daylight saving time counts), a shared language,
the students' ages, shared themes, and months both can run. Every point comes with its reason,
as pairing shows its reasons.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo

from bot.domain.exchange import ProfileError, clean_text
from bot.domain.text import ascii_digits, clean, echo

MAX_NOTE = 500
MAX_CITY = 100
MAX_CLASS_SIZE = 500
MAX_THEMES = 6
MAX_THEME = 40
# How long a listing stays visible unless its coordinator renews it.
LISTING_DAYS = 90
# An introduction nobody answered lapses: the asker then sees "no answer", as after a decline.
INTRODUCTION_DAYS = 14
# Anti-flood: introductions a server may have waiting at once, and may send in a week.
PENDING_PER_SERVER = 3
WEEKLY_PER_SERVER = 5
# Asking the same listing again waits this long after the last request.
REPEAT_DAYS = 30
# A school day as the overlap counts it, local time in each city.
SCHOOL_START = time(8, 0)
SCHOOL_END = time(16, 0)

THEMES = (
    "chess",
    "sport",
    "environment",
    "music",
    "arts",
    "history",
    "science",
    "languages",
    "food",
    "festivals",
    "citizenship",
    "technology",
)

# Contact details a note must not carry: contact happens through accepted introductions.
_EMAIL = re.compile(
    r"[\w.+-]+\s*(?:@|\(at\)|\[at\])\s*[\w-]+(?:\s*(?:\.|\(dot\)|\[dot\])\s*\w+)+",
    re.IGNORECASE,
)
_LINK = re.compile(
    r"(?:https?://|www\.|discord\.gg/|discord(?:app)?\.com/invite|t\.me/|wa\.me/)\S*", re.IGNORECASE
)
# Digit groups joined by spaces, dots, dashes or brackets, with an optional leading +.
_DIGIT_RUN = re.compile(r"\+?\(?\d[\d\s().\-/]{5,}\d")


def contact_in(text: str) -> str | None:
    """The kind of contact detail found in `text` ("email", "phone", "link"), or None.

    Digits of any script count ("٠٧٧٠…" is a phone number too). A phone number is seven or
    more digits in three or more groups, one run of seven or more, or any run after a "+";
    years and ranges like "2026-2027" or "13-15" are not.
    """
    plain = ascii_digits(clean(text, multiline=True))
    if _LINK.search(plain):
        return "link"
    if _EMAIL.search(plain):
        return "email"
    for match in _DIGIT_RUN.finditer(plain):
        found = match.group(0)
        digits = re.sub(r"\D", "", found)
        groups = [g for g in re.split(r"[^\d]+", found) if g]
        longest = max((len(g) for g in groups), default=0)
        if len(digits) >= 7 and (found.startswith("+") or len(groups) >= 3 or longest >= 7):
            return "phone"
    return None


def check_free_text(text: str, *, limit: int = MAX_NOTE, what: str = "note") -> str:
    """A note as stored: cleaned, within `limit`, without contact details (ProfileError)."""
    value = clean_text(text, limit=limit, what=what, multiline=True)
    kind = contact_in(value)
    if kind is not None:
        raise ProfileError(f"seek.error.contact_{kind}")
    return value


def parse_themes(text: str) -> tuple[str, ...]:
    """Themes from "chess, sport" (any case; free themes allowed, within limits)."""
    found: list[str] = []
    for part in re.split(r"[,;/]+", clean(text).lower()):
        value = part.strip()
        if not value:
            continue
        if len(value) > MAX_THEME:
            raise ProfileError("error.too_long", field="theme", limit=MAX_THEME, length=len(value))
        if contact_in(value) is not None:
            raise ProfileError("seek.error.contact_theme")
        if value not in found:
            found.append(value)
    if len(found) > MAX_THEMES:
        raise ProfileError("seek.error.too_many_themes", limit=MAX_THEMES)
    return tuple(found)


_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}


def parse_months(text: str) -> tuple[int, ...]:
    """Months from "sep-dec, feb" or "9-12, 2" (ranges may wrap: "oct-mar"); empty: all."""
    typed = ascii_digits(clean(text).lower())
    if not typed:
        return tuple(range(1, 13))
    months: set[int] = set()
    for part in re.split(r"[,;/ ]+", typed):
        if not part:
            continue
        first, _, last = part.partition("-")
        start, end = _month(first), _month(last) if last else _month(first)
        span = (end - start) % 12
        months.update((start - 1 + step) % 12 + 1 for step in range(span + 1))
    return tuple(sorted(months))


def _month(text: str) -> int:
    if text.isdigit() and 1 <= int(text) <= 12:
        return int(text)
    found = _MONTHS.get(text)
    if found is None:
        raise ProfileError("seek.error.month", month=echo(text, 20))
    return found


@cache
def countries() -> dict[str, str]:
    """ISO 3166 country codes with their English names (tzdata's iso3166.tab)."""
    text = resources.files("tzdata.zoneinfo").joinpath("iso3166.tab").read_text("utf-8")
    found: dict[str, str] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            code, _, name = line.partition("\t")
            found[code.strip()] = name.strip()
    return found


def parse_country(text: str) -> str:
    """A country code from "GH", "gh" or "Ghana"; ProfileError otherwise."""
    typed = clean(text).strip()
    if typed.upper() in countries():
        return typed.upper()
    wanted = typed.casefold()
    for code, name in countries().items():
        if name.casefold() == wanted:
            return code
    raise ProfileError("seek.error.country", country=echo(typed, 40))


@dataclass(frozen=True, slots=True)
class Listing:
    """What a school offers and seeks (no student data, ever)."""

    id: int
    guild_id: int
    city: str
    country: str
    timezone: str
    languages: tuple[str, ...]
    age_bands: tuple[str, ...]
    class_size: int
    themes: tuple[str, ...]
    months: tuple[int, ...]
    note: str
    active: bool
    expires_at: datetime

    def visible(self, now: datetime) -> bool:
        """Shown to other servers: not paused and not expired."""
        return self.active and now < self.expires_at


@dataclass(frozen=True, slots=True)
class Overlap:
    """When both schools are in class on one day: the hours, and the window in UTC."""

    hours: float
    start: datetime | None  # UTC; None when the school days never meet
    end: datetime | None


def school_overlap(zone_a: str, zone_b: str, day: date) -> Overlap:
    """Hours both schools are in class on `day` (each city's own date `day`), from the real
    offsets of that day: a week apart, daylight saving time can change the answer."""

    def window(zone: str) -> tuple[datetime, datetime]:
        tz = ZoneInfo(zone)
        start = datetime.combine(day, SCHOOL_START, tz).astimezone(UTC)
        end = datetime.combine(day, SCHOOL_END, tz).astimezone(UTC)
        return start, end

    a_start, a_end = window(zone_a)
    b_start, b_end = window(zone_b)
    start, end = max(a_start, b_start), min(a_end, b_end)
    if end <= start:
        return Overlap(0.0, None, None)
    return Overlap((end - start).total_seconds() / 3600, start, end)


def reference_day(now: datetime) -> date:
    """The Wednesday of the coming week: a plain school day, a week the listing can plan for."""
    today = now.astimezone(UTC).date()
    return today + timedelta(days=(2 - today.weekday()) % 7 or 7)


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason a listing ranks where it does: a catalogue key and its values."""

    key: str
    points: int
    params: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True, slots=True)
class Match:
    """A listing of another server, with its score and why."""

    listing: Listing
    score: int
    overlap: Overlap
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class Filters:
    """What a coordinator narrowed the search to (None: anything)."""

    country: str | None = None
    language: str | None = None
    age_band: str | None = None

    def admit(self, listing: Listing) -> bool:
        return (
            (self.country is None or listing.country == self.country)
            and (self.language is None or self.language in listing.languages)
            and (self.age_band is None or self.age_band in listing.age_bands)
        )


def score(mine: Listing, other: Listing, day: date) -> Match:
    """How well `other` suits `mine`, with the reasons (highest score first is best)."""
    reasons: list[Reason] = []
    overlap = school_overlap(mine.timezone, other.timezone, day)
    # Up to 40 points: four shared school hours are plenty for a live session.
    hours_points = round(min(overlap.hours, 4.0) * 10)
    if overlap.hours > 0:
        reasons.append(Reason("seek.reason.overlap", hours_points, (("hours", overlap.hours),)))
    else:
        reasons.append(Reason("seek.reason.no_overlap", 0))
    shared = [code for code in mine.languages if code in other.languages]
    if shared:
        reasons.append(Reason("seek.reason.language", 25, (("languages", tuple(shared)),)))
    ages = [band for band in mine.age_bands if band in other.age_bands]
    if ages:
        reasons.append(Reason("seek.reason.ages", 15, (("bands", tuple(ages)),)))
    themes = [theme for theme in mine.themes if theme in other.themes]
    if themes:
        points = min(5 * len(themes), 15)
        reasons.append(Reason("seek.reason.themes", points, (("themes", tuple(themes)),)))
    months = [m for m in mine.months if m in other.months]
    if months:
        points = min(len(months), 6)
        reasons.append(Reason("seek.reason.months", points, (("count", len(months)),)))
    else:
        reasons.append(Reason("seek.reason.no_months", 0))
    total = sum(r.points for r in reasons)
    return Match(other, total, overlap, tuple(reasons))


def rank(
    mine: Listing,
    others: Iterable[Listing],
    now: datetime,
    filters: Filters = Filters(),
    *,
    hidden_servers: Sequence[int] = (),
) -> list[Match]:
    """Visible listings of other servers that pass `filters`, best first (then newest)."""
    day = reference_day(now)
    found = [
        score(mine, other, day)
        for other in others
        if other.guild_id != mine.guild_id
        and other.guild_id not in hidden_servers
        and other.visible(now)
        and filters.admit(other)
    ]
    return sorted(found, key=lambda m: (-m.score, -m.listing.id))


def local_window(overlap: Overlap, zone: str) -> tuple[time, time] | None:
    """The overlap as a city's own clock shows it."""
    if overlap.start is None or overlap.end is None:
        return None
    tz = ZoneInfo(zone)
    return overlap.start.astimezone(tz).time(), overlap.end.astimezone(tz).time()
