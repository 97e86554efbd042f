"""Headless Chromium for the browser tests: Debian's (`/usr/bin/chromium`), driven by
Playwright (never `playwright install`, which downloads a browser of its own).

Without Chromium the tests are skipped on a developer's machine and fail in CI (`CI` set),
where `.ci/run` installs it. Screenshots are kept in `BROWSER_ARTIFACTS` (by default
`.ci/artifacts/browser/`) and listed at the end of the run.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("BROWSER_ARTIFACTS") or ROOT / ".ci" / "artifacts" / "browser")
CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
# As the machine's own check starts it: no sandbox (root in a container), no GPU, and none of
# the background connections a closed network refuses.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
]
SHOTS: list[Path] = []

pytestmark = pytest.mark.browser


def chromium() -> str | None:
    """Where Chromium is, or None."""
    wanted = os.environ.get("CHROMIUM")
    if wanted:
        return wanted
    found = next((c for c in CANDIDATES if Path(c).exists()), None)
    return found or shutil.which("chromium")


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    path = chromium()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: .ci/run installs Debian's chromium package")
        pytest.skip("no Chromium here (apt-get install chromium); CI runs these tests")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=path, args=FLAGS)
        try:
            yield launched
        finally:
            await launched.close()


async def screenshot(page: Page, name: str) -> Path:
    """Keep a full-page screenshot as a test artifact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - once, a local folder
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    SHOTS.append(path)
    return path


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if SHOTS:
        terminalreporter.write_sep("-", "browser screenshots")
        for path in SHOTS:
            terminalreporter.write_line(str(path))
