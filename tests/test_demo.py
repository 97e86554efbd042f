"""`make demo` tells the whole story offline, end to end, and keeps its files."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.demo import run_demo


async def test_the_demo_runs_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The transcript shows the exchange set up, students joining with /join, the teacher's
    roster, and the students in private paired spaces."""
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
