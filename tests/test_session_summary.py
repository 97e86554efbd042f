"""The teachers' session summary keeps every name within Discord's embed limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.services.session_port import CityAttendance, Summary
from cogs.sessions.posts import name_chunks, summary_embed

START = datetime(2026, 10, 6, 20, tzinfo=UTC)


@pytest.mark.parametrize("count", [1, 30, 400])
def test_names_are_split_between_names_never_inside_one(count: int) -> None:
    """Each piece fits the room and the pieces give back every name, in order."""
    names = tuple(f"Student {n:03d} Al-Hashimi-Al-Najafi" for n in range(count))
    pieces = name_chunks(names, 1022)
    assert all(len(piece) <= 1022 for piece in pieces)
    assert [name for piece in pieces for name in piece.split(", ")] == list(names)


def test_no_names_is_a_dash() -> None:
    """An empty list still gives a field value Discord accepts."""
    assert name_chunks((), 1022) == ["—"]


def summary(per_city: int, detailed: bool = True) -> Summary:
    cities = tuple(
        CityAttendance(
            city,
            tuple(f"{city} student {n:03d} with a long name" for n in range(per_city // 2)),
            tuple(f"{city} student {n:03d} who was away" for n in range(per_city // 2)),
            teachers=1,
        )
        for city in ("Minneapolis", "Najaf")
    )
    return Summary("Exchange session", START, cities, detailed, ("en", "ar"))


@pytest.mark.parametrize("per_city", [2, 40, 60, 100, 1000])
def test_every_size_of_class_fits_one_message(per_city: int) -> None:
    """Within 25 fields of 1024 and 6000 characters; a CSV exactly when names are left out."""
    embed, attached = summary_embed(summary(per_city))
    assert len(embed.fields) <= 25 and len(embed) <= 6000
    assert all(len(f.value or "") <= 1024 for f in embed.fields)
    shown = " ".join(f.value or "" for f in embed.fields)
    everyone_shown = "student 000 who was away" in shown
    assert (attached is None) == everyone_shown


def test_the_public_summary_has_counts_and_no_file() -> None:
    """Everyone else sees counts only, whatever the class size."""
    embed, attached = summary_embed(summary(1000, detailed=False))
    assert attached is None
    assert [f.value for f in embed.fields] == ["✅ 500 / 1000", "✅ 500 / 1000"]


def test_a_network_s_summary_gives_the_session_in_every_city_s_clock() -> None:
    """Six cities: a count for each, the session's time in each one's clock, and still one
    message within Discord's limits however big the classes."""
    names = ("Winston-Salem", "Chengdu", "Chisinau", "Nassau", "Kumasi", "Monrovia")
    zones = (
        "America/New_York",
        "Asia/Shanghai",
        "Europe/Chisinau",
        "America/Nassau",
        "Africa/Accra",
        "Africa/Monrovia",
    )
    for per_city in (4, 300):
        cities = tuple(
            CityAttendance(
                name,
                tuple(f"{name} student {n:03d}" for n in range(per_city // 2)),
                tuple(f"{name} student {n:03d} away" for n in range(per_city // 2)),
                teachers=1,
            )
            for name in names
        )
        post = Summary(
            "Exchange session",
            START,
            cities,
            True,
            ("en",),
            end=START + timedelta(hours=1),
            zones=tuple(zip(names, zones, strict=True)),
        )
        embed, _ = summary_embed(post)
        assert len(embed.fields) <= 25 and len(embed) <= 6000
        description = embed.description or ""
        assert (
            "🕒 Winston-Salem: Tue, Oct 6, 2026 4:00\u202fPM–5:00\u202fPM (Eastern Daylight Time)"
            in description
        )
        assert (
            "🕒 Chengdu: Wed, Oct 7, 2026 4:00\u202fAM–5:00\u202fAM (China Standard Time)"
            in description
        )
        assert (
            "🕒 Kumasi: Tue, Oct 6, 2026 8:00\u202fPM–9:00\u202fPM (Greenwich Mean Time)"
            in description
        )
