"""Shared fixtures: a running sandbox with the real bot; the demo's output."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.sandbox import databases
from bot.sandbox.driver import PSEUDO_ENV, Sandbox
from bot.store import Database, create_database
from bot.store.migrate import upgrade
from tests.sandbox.calendar_check import calendars_agree

ROOT = Path(__file__).resolve().parents[1]
# The browser tests' screenshots (tests/browser/), kept as CI artifacts.
ARTIFACTS = Path(os.environ.get("BROWSER_ARTIFACTS") or ROOT / ".ci" / "artifacts" / "browser")
# When this run began: the screenshots taken since are listed at its end. Here, not in
# tests/browser/conftest.py: with pytest-xdist (`make test`) only this conftest is loaded in
# the process that writes the summary, while the workers take the screenshots.
STARTED = time.time()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--pseudo-locale",
        action="store_true",
        help="run every sandbox story in the pseudo-locale: fail on text the bot sends a person "
        "without going through the catalogue (bot/sandbox/leaks.py); same as TWINBRIDGE_PSEUDO=1",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--pseudo-locale"):
        # An environment variable, so the xdist workers (new processes) run in it too.
        os.environ[PSEUDO_ENV] = "1"


def pytest_report_header(config: pytest.Config) -> str:
    """One line: which database the tests run on (PostgreSQL only when asked for)."""
    url = os.environ.get(databases.TEST_DATABASE_ENV, "").strip()
    if not url:
        return (
            "database: SQLite; PostgreSQL not tried (set TEST_DATABASE_URL=postgresql+asyncpg://"
            "…, or run `make test-postgres`)"
        )
    shown = make_url(url).render_as_string(hide_password=True)
    return f"database: {databases.current().dialect} ({shown})"


def pytest_sessionstart(session: pytest.Session) -> None:
    """A PostgreSQL asked for but not reachable fails the run at once (never a skip)."""
    source = databases.current()
    if isinstance(source, databases.PostgresDatabases):
        try:
            asyncio.run(source.check())
        except Exception as exc:
            raise pytest.UsageError(f"TEST_DATABASE_URL: {exc}") from None
        if not os.environ.get("PYTEST_XDIST_WORKER"):
            # Once per run (not per xdist worker): what killed runs left on the server.
            asyncio.run(source.sweep())


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Drop the databases this process made on the PostgreSQL server (its template)."""
    asyncio.run(databases.current().close())


@pytest.fixture
async def database_url(tmp_path: Path) -> AsyncIterator[str]:
    """A fresh database at the newest migration: a SQLite file in tmp_path, or a PostgreSQL
    database of its own when TEST_DATABASE_URL names a server."""
    source = databases.current()
    url = await source.fresh(tmp_path / "db")
    yield url
    await source.release(url)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """The store of a fresh database at the newest migration, for tests below the bot."""
    database = create_database(database_url)
    await upgrade(database)
    yield database
    await database.dispose()


@pytest.fixture
async def empty_database_url(tmp_path: Path) -> AsyncIterator[str]:
    """A fresh database without any table (for migrations), on SQLite or PostgreSQL."""
    source = databases.current()
    url = await source.fresh(tmp_path / "db", migrated=False)
    yield url
    await source.release(url)


@pytest.fixture
async def sb(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Sandbox]:
    """The loopback Discord with the bot logged in and a seeded guild; in the pseudo-locale
    for a test marked `pseudo_locale` (and for every test with --pseudo-locale)."""
    pseudo = True if request.node.get_closest_marker("pseudo_locale") else None
    async with Sandbox.running(tmp_path, pseudo_locale=pseudo) as sandbox:
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
