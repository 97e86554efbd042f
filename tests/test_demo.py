"""`make demo` tells the whole story offline, end to end, and keeps its files."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.demo import run_demo


async def test_the_demo_runs_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The transcript shows the exchange set up and the students in private paired spaces."""
    assert await run_demo(str(tmp_path)) == 0
    transcript = (tmp_path / "transcript.txt").read_text("utf-8")
    assert "Minneapolis–Najaf" in transcript
    assert "#pair-001 is private to" in transcript
