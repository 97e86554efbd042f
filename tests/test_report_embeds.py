"""Report embeds keep within Discord's limits however large the exchange."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.domain.reporting import (
    CityCounts,
    CityRef,
    ExchangeFigures,
    PairActivity,
    Period,
    SessionSlot,
    Student,
    attendance,
)
from cogs.reporting.embeds import attendance_embed, exchange_embed

CITIES = [CityRef(1, "Minneapolis"), CityRef(2, "Najaf")]
PERIOD = Period(date(2025, 1, 1), date(2026, 12, 30))


def big_attendance() -> tuple[list[SessionSlot], list[Student]]:
    """Two years of weekly sessions with long titles; 600 students who never came."""
    start = datetime(2025, 1, 7, 20, tzinfo=UTC)
    slots = [
        SessionSlot(
            n, "A" * 100, start + timedelta(weeks=n), start + timedelta(weeks=n, hours=1), "done"
        )
        for n in range(100)
    ]
    students = [Student(n, f"Student with a long name {n}", 1 + n % 2) for n in range(600)]
    return slots, students


def within_limits(embed: dict[str, object]) -> None:
    fields = embed.get("fields", [])
    assert isinstance(fields, list) and len(fields) <= 25
    for field in fields:
        assert len(field["name"]) <= 256 and len(field["value"]) <= 1024, field["name"]
    total = len(str(embed.get("title", ""))) + len(str(embed.get("description", "")))
    total += sum(len(f["name"]) + len(f["value"]) for f in fields)
    total += len(str((embed.get("footer") or {}).get("text", "")))  # type: ignore[union-attr]
    assert total <= 6000


def test_a_huge_attendance_report_fits_in_one_embed_and_points_to_the_csv() -> None:
    """100 sessions and 600 students who missed them: fields are cut with "… and N more"."""
    slots, students = big_attendance()
    report = attendance(CITIES, slots, students, set())
    embed = attendance_embed(report, "X" * 100, None, PERIOD, "en").to_dict()
    within_limits(embed)
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert "more (all of them are in the CSV)" in fields["Sessions"]
    assert "more (all of them are in the CSV)" in fields["Missed two sessions in a row"]


def test_a_huge_exchange_report_fits_in_one_embed_in_arabic_too() -> None:
    """300 dormant pairs with long names, in Arabic: still one embed within the limits."""
    slots, students = big_attendance()
    pairs = tuple(
        PairActivity(n, (f"Student with a long name {n}", f"طالب باسم طويل {n}"), None)
        for n in range(300)
    )
    figures = ExchangeFigures(
        exchange="X" * 100,
        period=PERIOD,
        attendance=attendance(CITIES, slots, students, set()),
        counts={1: CityCounts(300, 1, 2, 3, 4.5), 2: CityCounts(300, 5, 6, 7, 8.5)},
        prompts_posted=10,
        chess_games=13,
        pairs=pairs,
        now=datetime(2026, 12, 30, tzinfo=UTC),
    )
    for language in ("en", "ar", "es"):
        within_limits(exchange_embed(figures, language).to_dict())
