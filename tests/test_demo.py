"""`make demo` tells the whole story offline, end to end, and keeps its files."""

from __future__ import annotations

import csv
import io
import re
import struct
from pathlib import Path

import pytest

from bot.demo import run_demo


async def test_the_demo_runs_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The transcript shows the exchange, /join, the roster, paired spaces, a session,
    prompts, a chess game, a report to teachers, and at the end the attendance summary."""
    assert await run_demo(str(tmp_path)) == 0
    transcript = (tmp_path / "transcript.txt").read_text("utf-8")
    assert "Minneapolis–Najaf" in transcript
    assert "Ustadh Kareem runs /join city:Najaf language:ar" in transcript
    assert "Ali runs /join city:Najaf language:ar" in transcript
    assert "Ali presses [متابعة ✍️]" in transcript
    assert "🎉 أهلًا بك في Minneapolis–Najaf!" in transcript
    assert "Ben presses [Continue ✍️]" in transcript
    assert "Ms Rivera runs /roster list" in transcript
    assert "**Minneapolis**: 3 active · 0 paused" in transcript
    assert "**Zainab** · Najaf · Age 13–15" in transcript
    assert "#pair-001 is private to" in transcript
    assert "Why 3? In this round Minneapolis has 3 students and Najaf has 2" in transcript
    # Sessions: both cities' times and warnings, reminders, check-ins (one by voice), summary.
    assert "Najaf · Asia/Baghdad: Tue 2026-10-06 23:00–00:00" in transcript
    assert "from 2026-11-03 the session is at 17:00 instead of 16:00" in transcript
    assert transcript.count("🔔 In 24 h: **Monthly exchange**") == 3
    assert transcript.count("🔔 In 1 h: **Monthly exchange**") == 3
    assert "You are checked in for **Monthly exchange**" in transcript
    assert "✅ Ben, Sofia\n     ❌ Maya" in transcript
    assert "✅ Ali\n     ❌ Zainab" in transcript
    assert "check-in is closed" in transcript
    # Roll call: Ms Rivera marks her class from the summary's button; Zainab is excused.
    assert "Marked by a teacher: 3 of 3" in transcript
    assert "Zainab: عُلّم غياب بعذر." in transcript
    assert "Marked by teachers at roll call: 4 (excused: 1)" in transcript
    assert (tmp_path / "monthly-exchange-1.ics").read_bytes().startswith(b"BEGIN:VCALENDAR")
    # Prompts: a teacher's own prompt posted to every pair in each member's language, a pair
    # answers, and the teachers' rates show it.
    assert "Posted the next prompt in 2 paired spaces" in transcript
    assert "Let's talk" in transcript and "لنتحدّث" in transcript
    assert "🔖 own-1" in transcript
    assert "Español · La comida: Si tu compañero/a viniera" in transcript
    # The session's own prompt went to both pairs too, and is listed by the session's name.
    assert "4 prompts posted to pairs; 1 got a reply (25%)" in transcript
    assert "Session: Monthly exchange" in transcript
    # Chess: a game to mate in a paired space, its boards and PGN saved for the reader.
    assert "Game #1: Ben wins by checkmate (1-0)." in transcript
    assert "⏰" in transcript  # the reminder before a deadline
    boards = sorted((tmp_path / "chess").glob("chess-1-*.png"))
    assert len(boards) == 8  # the start and each of the seven moves
    assert all(b.read_bytes().startswith(b"\x89PNG") for b in boards)
    assert (tmp_path / "chess" / "twinbridge-chess-1.pgn").read_text("utf-8").count("Qxf7#") == 1
    # Safety: a report reaches the teachers, who pause the space and reopen it.
    assert "🚩 Report #1 · Sharing personal information" in transcript
    assert "students who can read #teachers: 0" in transcript
    assert "Ali in #pair-001: can read True, can write False" in transcript
    assert "Your teachers have paused this space" in transcript
    assert "Your teachers have reopened this space" in transcript
    shown_by_bot = [line for line in transcript.splitlines() if line.lstrip().startswith("▌")]
    assert not any("phone number" in line for line in shown_by_bot), "no message text copied"
    saved = re.search(r"saved (twinbridge-data-\d+\.json)", transcript)
    assert saved, "the export is saved with the demo's files"
    assert b'"participants"' in (tmp_path / saved.group(1)).read_bytes()
    # Reports, the last chapter: a month on, the coordinator's summary with its CSV and chart.
    assert transcript.rstrip().endswith(
        "Sessions count once they have ended; dates are whole days in UTC."
    )
    assert "▌ 📊 Attendance · Minneapolis–Najaf" in transcript
    assert "▌ Minneapolis: **50%** · 3 of 6" in transcript
    assert "▌ Missed two sessions in a row: Maya (Minneapolis) — missed the last 2" in transcript
    assert "▌ 📊 الحضور · Minneapolis–Najaf · Najaf" in transcript
    assert "Chess games: 1 · Minneapolis 1 – 0 Najaf" in transcript
    assert "▌ Pairs to nudge (2): Maya & Zainab — no message yet" in transcript
    reports = tmp_path / "reports"
    (sheet,) = reports.glob("attendance-*.csv")
    rows = list(csv.DictReader(io.StringIO(sheet.read_text("utf-8-sig"))))
    cities = {r["city"]: r for r in rows if r["level"] == "city"}
    assert (cities["Minneapolis"]["attended"], cities["Minneapolis"]["expected"]) == ("3", "6")
    # Zainab was excused from October's session at roll call: not expected there.
    assert (cities["Najaf"]["attended"], cities["Najaf"]["expected"]) == ("2", "3")
    assert (cities["Minneapolis"]["marked_by_teacher"], cities["Najaf"]["excused"]) == ("3", "1")
    (chart,) = reports.glob("attendance-*.png")
    png = chart.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", png[16:24]) == (1200, 600)
    (figures,) = reports.glob("exchange-*.csv")
    assert "students_enrolled,3,2,5" in figures.read_text("utf-8-sig")
