"""Sessions of an exchange of more than two cities: every city's clock in the preview, the
schedule's announcement, the reminders, the Discord event and the teachers' summary, with
warnings for each city."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.sandbox.driver import Sandbox
from tests.sandbox.sessions_helpers import (
    OCT,
    add_city,
    compressed_time,
    paired_exchange,
    preview_of,
    schedule,
)

# The first Tuesday of October 2026 at 15:00 in Minneapolis (20:00 UTC), in each city, with
# its zone's name, as English writes them.
LOCAL = (
    "🕒 Minneapolis: Tue, Oct 6, 2026 3:00\u202fPM–4:00\u202fPM (Central Daylight Time)",
    "🕒 Najaf: Tue, Oct 6, 2026 11:00\u202fPM – Wed, Oct 7 12:00\u202fAM (Arabian Standard Time)",
    "🕒 Chengdu: Wed, Oct 7, 2026 4:00\u202fAM–5:00\u202fAM (China Standard Time)",
    # UTC+3 until 25 October
    "🕒 Chisinau: Tue, Oct 6, 2026 11:00\u202fPM – Wed, Oct 7 12:00\u202fAM"
    " (Eastern European Summer Time)",
)


@pytest.fixture
async def sb(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Sandbox]:
    async with compressed_time(tmp_path, request) as sandbox:
        yield sandbox


async def test_every_city_has_its_clock_and_its_warnings(sb: Sandbox) -> None:
    """Minneapolis, Najaf, Chengdu and Chisinau: the preview has a column and warnings for
    each; the announcement, each pair's reminder, the event and the teachers' summary give all
    four local times."""
    ex = await paired_exchange(sb)
    await add_city(ex.world, "Chengdu", "Asia/Shanghai", "zh", "6,7")
    await add_city(ex.world, "Chisinau", "Europe/Chisinau", "ro", "6,7")
    reply = await schedule(ex)
    text = reply.text
    for column in ("Chengdu · Asia/Shanghai", "Chisinau · Europe/Chisinau"):
        assert column in text
    assert "Wed, Oct 7, 2026 4:00\u202fAM–5:00\u202fAM" in text  # Chengdu, UTC+8
    assert "Chengdu: 3 of 3 sessions fall outside 7:00\u202fAM–9:00\u202fPM" in text
    assert "Chisinau: 3 of 3 sessions fall outside 7:00\u202fAM–9:00\u202fPM" in text
    # The US change (1 November) moves the session an hour later for Najaf and Chengdu, each
    # said apart; Chisinau's own change (25 October) cancels it out there: 23:00 both times.
    assert (
        "Chengdu: from November 4, 2026 the session is at 5:00\u202fAM instead of 4:00\u202fAM"
        in text
    )
    assert (
        "Najaf: from November 4, 2026 the session is at 12:00\u202fAM instead of 11:00\u202fPM"
        in text
    )
    assert "Chisinau: from" not in text
    assert "Tue, Nov 3, 2026 11:00\u202fPM–12:00\u202fAM" in text  # Chisinau in November
    await sb.click(ex.world.teacher, preview_of(reply), "Schedule")
    announced = next(m for m in sb.messages_in(ex.world.announcements) if "🕒" in m.content)
    assert all(line in announced.content for line in LOCAL)
    (event,) = sb.events()
    assert all(name in event["description"] for name in ("Najaf", "Chengdu", "Chisinau"))
    assert LOCAL[2].removeprefix("🕒 ") in event["description"]
    await sb.advance_to(OCT - timedelta(hours=23))
    for space in ex.spaces():
        reminder = next(m for m in sb.messages_in(space) if "🔔" in m.content)
        assert all(line in reminder.content for line in LOCAL)
    await sb.advance_to(OCT + timedelta(hours=1, minutes=1))
    summary = [m for m in sb.messages_in(ex.world.teachers_channel) if m.embeds][-1]
    assert all(line in summary.embeds[0]["description"] for line in LOCAL)


async def test_a_network_of_sixteen_cities_gets_a_preview_discord_accepts(sb: Sandbox) -> None:
    """Sixteen cities, a weekly series of forty: fewer dates a page so every city's column
    and the warnings fit one embed (the sandbox refuses what Discord would), every city has
    its column, and the pages still hold every date; /session list keeps every city too."""
    ex = await paired_exchange(sb)
    zones = (
        ("Winston-Salem", "America/New_York"),
        ("Chengdu", "Asia/Shanghai"),
        ("Chisinau", "Europe/Chisinau"),
        ("Nassau", "America/Nassau"),
        ("Kumasi", "Africa/Accra"),
        ("Monrovia", "Africa/Monrovia"),
        ("Auckland", "Pacific/Auckland"),
        ("Honolulu", "Pacific/Honolulu"),
        ("Delhi", "Asia/Kolkata"),
        ("Lima", "America/Lima"),
        ("Tokyo", "Asia/Tokyo"),
        ("Paris", "Europe/Paris"),
        ("Cairo", "Africa/Cairo"),
        ("Denver", "America/Denver"),
    )
    for name, zone in zones:
        await add_city(ex.world, name, zone, "en", "6,7")
    reply = await schedule(ex, repeat="weekly", count=40)
    embed = preview_of(reply).embeds[0]
    names = [f["name"] for f in embed["fields"]]
    assert len([n for n in names if " · " in n]) == 16
    assert names.count("Before you confirm") == 1
    size = len(embed["title"]) + len(embed["description"]) + len(embed["footer"]["text"])
    assert size + sum(len(f["name"]) + len(f["value"]) for f in embed["fields"]) <= 6000
    # 2400 characters of columns for 16 cities: two dates a page, twenty pages for forty.
    assert "40 dates · page 1 of 20" in embed["footer"]["text"]
    auckland = next(f for f in embed["fields"] if f["name"].startswith("Auckland"))
    assert auckland["value"].count(", 2026 ") == 2
    # Confirmed, the list gives each of its next three sessions in all sixteen clocks, in
    # fields of Discord's size (a network's cities one a line).
    await sb.click(ex.world.teacher, preview_of(reply), "Schedule")
    listed = (await sb.command(ex.world.teacher, "session list")).embeds[0]
    text = "\n".join(f["value"] for f in listed["fields"])
    assert all(f"\n  {name} " in text for name, _ in zones)
    assert text.count("Auckland Wed, ") == 3  # Tuesday 15:00 in Minneapolis
    assert len(listed["fields"]) > 1 and all(len(f["value"]) <= 1024 for f in listed["fields"])
