"""IANA time zones at the edges: finding one from what a person types, and checking it."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.domain.text import clean

# Cities of sister-city partnerships whose zone is named after another city.
ALIASES: dict[str, str] = {
    "minneapolis": "America/Chicago",
    "st paul": "America/Chicago",
    "winston-salem": "America/New_York",
    "winston salem": "America/New_York",
    "najaf": "Asia/Baghdad",
    "karbala": "Asia/Baghdad",
    "erbil": "Asia/Baghdad",
    "basra": "Asia/Baghdad",
    "kumasi": "Africa/Accra",
    "buea": "Africa/Douala",
    "nanjing": "Asia/Shanghai",
    "beijing": "Asia/Shanghai",
    "shenzhen": "Asia/Shanghai",
    "balti": "Europe/Chisinau",
    "chisinau": "Europe/Chisinau",
    "ungheni": "Europe/Chisinau",
    "san francisco": "America/Los_Angeles",
    "seattle": "America/Los_Angeles",
    "boston": "America/New_York",
    "washington": "America/New_York",
    "atlanta": "America/New_York",
    "houston": "America/Chicago",
    "dallas": "America/Chicago",
    "mumbai": "Asia/Kolkata",
    "delhi": "Asia/Kolkata",
    "new delhi": "Asia/Kolkata",
}


class UnknownZoneError(ValueError):
    """Not an IANA zone a schedule can follow (abbreviations like EST are refused)."""


@cache
def _known() -> frozenset[str]:
    return frozenset(available_timezones())


@cache
def _zones() -> tuple[str, ...]:
    # Region/City names only: "EST" or "Etc/GMT+5" ignore daylight saving and confuse people.
    return tuple(
        sorted(
            z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))
        )
    )


def check_zone(name: str) -> ZoneInfo:
    """The zone called `name` (a Region/City IANA name, or UTC); UnknownZoneError otherwise.

    Only names tzdata lists as zones: a folder of it ("Asia", "America/Argentina") is not one,
    and abbreviations like "EST" exist in tzdata but ignore daylight saving.
    """
    name = clean(name)
    if name != "UTC" and ("/" not in name or name not in _known()):
        raise UnknownZoneError(name)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise UnknownZoneError(name) from None


def search_zones(typed: str, limit: int = 25) -> list[str]:
    """Zones matching what was typed ("chicago", "new york", "najaf"), best matches first."""
    needle = " ".join(typed.strip().casefold().replace("_", " ").split())
    if not needle:
        return list(_zones()[:limit])
    found: list[str] = []
    for alias, zone in ALIASES.items():
        if alias.startswith(needle) and zone not in found:
            found.append(zone)
    ranked: list[tuple[int, str]] = []
    for zone in _zones():
        readable = zone.casefold().replace("_", " ")
        city = readable.rsplit("/", 1)[-1]
        if city.startswith(needle):
            ranked.append((0, zone))
        elif needle in readable:
            ranked.append((1, zone))
    found += [z for _, z in sorted(ranked) if z not in found]
    return found[:limit]
