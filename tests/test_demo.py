"""`make demo` tells the whole story offline, end to end, and keeps its files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.demo import run_demo


async def test_the_demo_runs_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The transcript shows the exchange set up and the students in private paired spaces."""
    assert await run_demo(str(tmp_path)) == 0
    transcript = (tmp_path / "transcript.txt").read_text("utf-8")
    assert "Minneapolis–Najaf" in transcript
    assert "#pair-001 is private to" in transcript
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
