"""Public holidays in each city, from the `holidays` package.

A city's holiday region is a country code, with a subdivision where holidays differ by state or
province ("US-MN", "IQ", "ES-MD"). A city without one stored takes its country from its time
zone, which tzdata's zone.tab gives to one country (America/Chicago: US, Asia/Baghdad: IQ);
a zone outside it (UTC, Etc/GMT+5) gives none, and what is said about that city's holidays
says they were not checked. Holidays of the Islamic
calendar are computed ahead by the package and marked estimated: the real date depends on the
moon being seen, and schools may close a day earlier or later.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo

import holidays as holiday_data

from bot.domain.sessions import Slot
from bot.domain.text import clean, echo

# Holiday names in the reader's language where the package has it.
_LANGUAGES = {
    "en": ("en_US", "en_GB", "en"),
    "es": ("es",),
    "ar": ("ar",),
    # Senegal's calendar names its days in fr_SN, France's in fr.
    "fr": ("fr", "fr_SN", "fr_FR"),
    "tr": ("tr",),
}
# The longest region stored ("ES-Barcelona": some subdivisions are names, not codes).
MAX_REGION = 40


class RegionError(ValueError):
    """A holiday region the package does not know; `key` names the message."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True, slots=True)
class Region:
    """Where a city's public holidays come from."""

    country: str
    subdivision: str | None = None

    @property
    def code(self) -> str:
        return f"{self.country}-{self.subdivision}" if self.subdivision else self.country


@dataclass(frozen=True, slots=True)
class CityRegion:
    """A city as the holiday check needs it: `stored` is its region as set by staff, if any."""

    name: str
    zone: str
    stored: str | None = None


@dataclass(frozen=True, slots=True)
class Holiday:
    """A session (its local date `day` in `city`) on a public holiday there."""

    city: str
    day: date
    name: str
    estimated: bool
    slot: Slot  # the session, for the reader's own time


@dataclass(frozen=True, slots=True)
class HolidayCheck:
    """The holidays found, and the cities whose holidays could not be checked."""

    found: tuple[Holiday, ...] = ()
    unchecked: tuple[str, ...] = ()


def parse_region(text: str) -> Region:
    """ "US-MN", "us mn", "IQ" → a region the package knows; RegionError otherwise."""
    typed = clean(text).strip()
    value = re.sub(r"[\s_]+", "-", typed)
    country, _, wanted = value.partition("-")
    country = country.upper()
    supported = holiday_data.list_supported_countries()
    if country not in supported:
        raise RegionError("error.holiday_country", value=echo(typed, MAX_REGION))
    if not wanted:
        return Region(country)
    # The package's own spelling: codes ("MN") and, for a few, names ("Barcelona").
    subdivision = next((s for s in supported[country] if s.casefold() == wanted.casefold()), None)
    if subdivision is None:
        # Codes are written the same in every language: shown as code, not as words.
        raise RegionError(
            "error.holiday_subdivision",
            value=echo(typed, MAX_REGION),
            country=country,
            codes=", ".join(f"`{s}`" for s in supported[country][:5]) or "—",
        )
    return Region(country, subdivision)


@cache
def _zone_countries() -> dict[str, str]:
    """Each zone of tzdata's zone.tab with its one country (every country lists its own zones
    there: Europe/Stockholm is Sweden's even where it is a link to Europe/Berlin)."""
    found: dict[str, str] = {}
    text = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text("utf-8")
    for line in text.splitlines():
        if line and not line.startswith("#"):
            code, _, zone = line.split("\t")[:3]
            found[zone] = code
    return found


def zone_country(zone: str) -> str | None:
    """The country a zone belongs to, when zone.tab names one the package knows."""
    country = _zone_countries().get(zone)
    return country if country in holiday_data.list_supported_countries() else None


def region_of(city: CityRegion) -> Region | None:
    """The city's stored region, or the one its zone gives unambiguously, or None."""
    if city.stored:
        try:
            return parse_region(city.stored)
        except RegionError:
            return None
    country = zone_country(city.zone)
    return Region(country) if country else None


def _calendar(region: Region, years: Iterable[int], language: str) -> holiday_data.HolidayBase:
    kind = holiday_data.country_holidays(region.country, subdiv=region.subdivision)
    chosen = next((c for c in _LANGUAGES.get(language, ()) if c in kind.supported_languages), None)
    return holiday_data.country_holidays(
        region.country, subdiv=region.subdivision, years=sorted(set(years)), language=chosen
    )


def _estimated(calendar: holiday_data.HolidayBase) -> re.Pattern[str]:
    """The package's "%s (estimated)" in the calendar's language, as a pattern."""
    # Countries without estimated (lunar) dates have no such label (Moldova): nothing matches.
    raw = getattr(calendar, "estimated_label", None)
    if not isinstance(raw, str):
        return re.compile(r"(?!)")
    label = calendar.tr(raw)
    before, _, after = label.partition("%s")
    return re.compile(re.escape(before) + "(?P<name>.+)" + re.escape(after) + "$")


def holidays_on(slots: Sequence[Slot], cities: Sequence[CityRegion], language: str) -> HolidayCheck:
    """Every session falling on a public holiday in a city (its local date there), with the
    holiday's name in `language` where the package has it, marked estimated where it is."""
    found: list[Holiday] = []
    unchecked: list[str] = []
    for city in cities:
        region = region_of(city)
        if region is None:
            unchecked.append(city.name)
            continue
        zone = ZoneInfo(city.zone)
        days = [(slot, slot.start.astimezone(zone).date()) for slot in slots]
        if not days:
            continue
        calendar = _calendar(region, (d.year for _, d in days), language)
        estimated = _estimated(calendar)
        for slot, day in days:
            for name in calendar.get_list(day):
                marked = estimated.match(name)
                found.append(
                    Holiday(
                        city.name,
                        day,
                        marked["name"] if marked else name,
                        marked is not None,
                        slot,
                    )
                )
    return HolidayCheck(tuple(found), tuple(unchecked))


@dataclass(frozen=True, slots=True)
class DaysOff:
    """A city's public holidays and weekend days (Monday 0), for finding its school days."""

    holiday: Callable[[date], bool]
    weekend: frozenset[int]


def days_off(city: CityRegion) -> DaysOff:
    """The city's holidays and weekend as its region's calendar gives them; a city whose
    region is unknown has no holidays checked and a Saturday-Sunday weekend."""
    region = region_of(city)
    if region is None:
        return DaysOff(lambda _day: False, frozenset({5, 6}))
    calendar = holiday_data.country_holidays(region.country, subdiv=region.subdivision)
    return DaysOff(lambda day: day in calendar, frozenset(calendar.weekend))
