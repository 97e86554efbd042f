"""Public holidays of each city: regions, the zone's country, estimated dates."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from bot.domain import holidays as h
from bot.domain import sessions as rules

HOUR = timedelta(hours=1)
MINNEAPOLIS = h.CityRegion("Minneapolis", "America/Chicago")
NAJAF = h.CityRegion("Najaf", "Asia/Baghdad")


def once(day: date, at: time, zone: str) -> list[rules.Slot]:
    return rules.occurrences(rules.ONCE, rules.local_start(day, at, zone), HOUR)


@pytest.mark.parametrize(
    ("zone", "country"),
    [
        ("America/Chicago", "US"),
        ("Asia/Baghdad", "IQ"),
        ("Europe/Stockholm", "SE"),  # a link to Europe/Berlin, still Sweden's own
        ("America/Mexico_City", "MX"),
        ("UTC", None),
        ("Etc/GMT-3", None),
    ],
)
def test_a_zone_gives_its_country_or_none(zone: str, country: str | None) -> None:
    assert h.zone_country(zone) == country


def test_regions_are_read_in_any_case_with_a_subdivision() -> None:
    assert h.parse_region(" us mn ").code == "US-MN"
    assert h.parse_region("iq").code == "IQ"
    assert h.parse_region("es_md").code == "ES-MD"
    assert h.parse_region("es barcelona").code == "ES-Barcelona"
    with pytest.raises(h.RegionError) as unknown:
        h.parse_region("XX")
    assert unknown.value.key == "error.holiday_country"
    with pytest.raises(h.RegionError) as region:
        h.parse_region("US-ZZ")
    assert region.value.key == "error.holiday_subdivision"


def test_a_session_is_on_a_holiday_by_its_local_date_in_each_city() -> None:
    """17:00 in Minneapolis on 31 December is 02:00 on New Year's Day in Najaf: a holiday
    there, not in Minneapolis."""
    check = h.holidays_on(
        once(date(2026, 12, 31), time(17), "America/Chicago"), [MINNEAPOLIS, NAJAF], "en"
    )
    assert [(x.city, x.day, x.estimated) for x in check.found] == [
        ("Najaf", date(2027, 1, 1), False)
    ]
    assert check.unchecked == ()


def test_islamic_holidays_are_marked_estimated_in_the_readers_language() -> None:
    slots = once(date(2027, 3, 9), time(10), "America/Chicago")
    english = h.holidays_on(slots, [NAJAF], "en").found
    assert [(x.name, x.estimated) for x in english] == [("Eid al-Fitr", True)]
    arabic = h.holidays_on(slots, [NAJAF], "ar").found
    assert [(x.name, x.estimated) for x in arabic] == [("عيد الفطر", True)]


def test_a_subdivision_adds_its_own_holidays() -> None:
    """The day after Thanksgiving is a holiday in Texas, not in every state."""
    slots = once(date(2026, 11, 27), time(10), "America/Chicago")
    assert h.holidays_on(slots, [h.CityRegion("Houston", "America/Chicago")], "en").found == ()
    texas = h.CityRegion("Houston", "America/Chicago", "US-TX")
    found = h.holidays_on(slots, [texas], "en").found
    assert [(x.city, x.name) for x in found] == [("Houston", "Friday After Thanksgiving")]


def test_a_city_whose_country_is_unknown_is_said_unchecked() -> None:
    slots = once(date(2027, 1, 1), time(10), "America/Chicago")
    check = h.holidays_on(slots, [h.CityRegion("Ship", "UTC"), MINNEAPOLIS], "en")
    assert check.unchecked == ("Ship",)
    assert [x.city for x in check.found] == ["Minneapolis"]


def test_a_country_without_estimated_dates_is_checked_too() -> None:
    """Moldova's calendar has no lunar (estimated) holidays, nor the package's label for them:
    Chisinau's Christmas is still found (it crashed the check before)."""
    slots = once(date(2026, 12, 25), time(10), "Europe/Chisinau")
    found = h.holidays_on(slots, [h.CityRegion("Chisinau", "Europe/Chisinau")], "en").found
    assert [(x.city, x.day, x.estimated) for x in found] == [
        ("Chisinau", date(2026, 12, 25), False)
    ]
