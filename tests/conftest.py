"""Shared fixtures: a running sandbox with the real bot; the demo's output."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.sandbox.driver import Sandbox
from tests.sandbox.calendar_check import calendars_agree

ROOT = Path(__file__).resolve().parents[1]
# The browser tests' screenshots (tests/browser/), kept as CI artifacts.
ARTIFACTS = Path(os.environ.get("BROWSER_ARTIFACTS") or ROOT / ".ci" / "artifacts" / "browser")
# When this run began: the screenshots taken since are listed at its end. Here, not in
# tests/browser/conftest.py: with pytest-xdist (`make test`) only this conftest is loaded in
# the process that writes the summary, while the workers take the screenshots.
STARTED = time.time()


@pytest.fixture
async def sb(tmp_path: Path) -> AsyncIterator[Sandbox]:
    """The loopback Discord with the bot logged in and a seeded guild."""
    async with Sandbox.running(tmp_path) as sandbox:
        yield sandbox
        await calendars_agree(sandbox)


@pytest.fixture(scope="session")
def demo_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What `make demo` writes (transcript.txt, index.html and the files beside them), made
    once per test process, as `python -m bot demo` makes it (its own event loop): the demo
    takes a while, and tests/test_demo.py and tests/browser/ only read it."""
    from bot.demo import run_demo

    out = tmp_path_factory.mktemp("demo")
    assert asyncio.run(run_demo(str(out))) == 0
    return out


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    taken = sorted(p for p in ARTIFACTS.glob("*.png") if p.stat().st_mtime >= STARTED)
    if taken:
        terminalreporter.write_sep("-", "browser screenshots")
        for path in taken:
            terminalreporter.write_line(str(path))
