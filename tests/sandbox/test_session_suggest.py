"""`/session suggest` through the real client: the week's best times in every city's clock."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.i18n import t
from bot.sandbox.driver import Sandbox
from bot.sandbox.state import Member
from tests.sandbox.sessions_helpers import add_city
from tests.sandbox.world import make_world


def unix(*parts: int) -> int:
    return int(datetime(*parts, tzinfo=UTC).timestamp())


async def suggest(sb: Sandbox, member: Member, **options: object) -> str:
    reply = await sb.command(member, "session suggest", **options)
    assert reply.ephemeral
    return reply.text


async def test_the_coming_week_for_minneapolis_and_najaf(sb: Sandbox) -> None:
    """1 September 2026: the coming week starts Monday the 7th, Labor Day in Minneapolis.
    Chicago is UTC−5 then: 14:30 UTC is 09:30 there and 17:30 in Najaf, two and a half hours
    from either edge of 07:00–21:00; Friday is Najaf's weekend, Monday the US holiday."""
    world = await make_world(sb)
    text = await suggest(sb, world.teacher)
    assert "Week of September 7, 2026 · 60 min · school hours 7:00\u202fAM–9:00\u202fPM" in text
    assert "falls inside school hours in all 2 cities" in text
    assert "Option 1 · 2 of 2 cities" in text
    assert f"<t:{unix(2026, 9, 8, 14, 30)}:F>" in text
    assert "✅ Minneapolis: Tue–Thu 9:30\u202fAM–10:30\u202fAM" in text
    assert "✅ Najaf: Tue–Thu 5:30\u202fPM–6:30\u202fPM" in text


async def test_a_network_with_chengdu_gets_two_sittings(sb: Sandbox) -> None:
    """08:00–18:00 in December: Minneapolis (UTC−6) 14–24 UTC, Najaf (UTC+3) 05–15, Chengdu
    (UTC+8) 00–10. Nothing fits all three; 07:00 UTC (Najaf 10:00, Chengdu 15:00) and
    14:00 UTC (Minneapolis 08:00, Najaf 17:00) reach everyone, Monday to Thursday."""
    world = await make_world(sb)
    await add_city(world, "Chengdu", "Asia/Shanghai", "zh", "6,7")
    text = await suggest(sb, world.teacher, week="2026-12-09", earliest="08:00", latest="18:00")
    assert "Week of December 7, 2026" in text
    assert "No single time falls inside school hours in all 3 cities" in text
    assert "the first for Najaf and Chengdu, the second for Minneapolis and Najaf" in text
    assert "Together they reach every city" in text
    assert "Sitting 1 · 2 of 3 cities" in text and "Sitting 2 · 2 of 3 cities" in text
    assert f"<t:{unix(2026, 12, 7, 7)}:F>" in text and f"<t:{unix(2026, 12, 7, 14)}:F>" in text
    assert "✅ Najaf: Mon–Thu 10:00\u202fAM–11:00\u202fAM" in text
    assert "✅ Chengdu: Mon–Thu 3:00\u202fPM–4:00\u202fPM" in text
    assert "✅ Minneapolis: Mon–Thu 8:00\u202fAM–9:00\u202fAM" in text
    assert "🌙 Chengdu: Mon–Thu 10:00\u202fPM–11:00\u202fPM, outside school hours" in text
    # The sittings are not offered again among the options that follow.
    assert text.count(f"<t:{unix(2026, 12, 7, 7)}:F>") == 1


async def test_seven_cities_stay_within_discord_s_limits(sb: Sandbox) -> None:
    """Every city has a line in every weekly time; the sandbox refuses an embed Discord
    would, so the answer arriving is the check, and the verdict stays first."""
    world = await make_world(sb)
    for name, zone in (
        ("Winston-Salem", "America/New_York"),
        ("Chengdu", "Asia/Shanghai"),
        ("Chisinau", "Europe/Chisinau"),
        ("Nassau", "America/Nassau"),
        ("Kumasi", "Africa/Accra"),
    ):
        await add_city(world, name, zone, "en", "6,7")
    reply = await sb.command(world.teacher, "session suggest", week="2026-12-07", minutes=90)
    embed = reply.embeds[0]
    assert "No single time falls inside school hours in all 7 cities" in embed["description"]
    for name in ("Minneapolis", "Najaf", "Winston-Salem", "Chengdu", "Chisinau", "Nassau"):
        assert f"{name}: " in embed["fields"][0]["value"]
    size = sum(len(f["name"]) + len(f["value"]) for f in embed["fields"])
    assert size + len(embed["title"]) + len(embed["description"]) <= 6000


async def test_students_may_not_ask_and_bad_hours_are_explained(sb: Sandbox) -> None:
    world = await make_world(sb)
    student = await world.add_student("Ben", 0)
    refused = await sb.command(student, "session suggest")
    assert "teachers" in refused.text.lower()
    short = await suggest(sb, world.teacher, earliest="18:00", latest="08:00")
    assert short == t(
        "error.suggest_hours", "en", start="6:00\u202fPM", end="8:00\u202fAM", minutes=60
    )
    typo = await suggest(sb, world.teacher, earliest="soon")
    assert "soon" in typo
