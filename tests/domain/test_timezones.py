"""Time zones as people type them: only tzdata's zones, never one of its folders."""

from __future__ import annotations

import pytest

from bot.domain.timezones import UnknownZoneError, check_zone


@pytest.mark.parametrize(
    "typed",
    ["Asia", "America/Argentina", "America/Indiana", "Asia/", "EST", "posixrules", "../etc", ""],
)
def test_folders_and_abbreviations_of_tzdata_are_not_zones(typed: str) -> None:
    """ "Asia" or "America/Argentina" are folders of tzdata: refused, not a crash."""
    with pytest.raises(UnknownZoneError):
        check_zone(typed)


@pytest.mark.parametrize(
    "typed", ["America/Chicago", "Asia/Baghdad", "America/Argentina/Cordoba", "UTC"]
)
def test_zones_are_found(typed: str) -> None:
    assert check_zone(typed).key == typed


def test_invisible_characters_around_a_zone_are_ignored() -> None:
    assert check_zone("\u200bAsia/Baghdad\u200e ").key == "Asia/Baghdad"
