"""Waiting for the writers' lock (bot.store.engine): a person's write is told "busy" after the
busy timeout; background work (start-up, scheduled sends) waits a lock out and writes once.

What the full-size shard bench met (bench/bench_shards.py --full): one process's start-up
write waited more than the 5 s lock timeout while the other process wrote its own start-up
work over 2,000 exchanges in one transaction, and its scheduler never started. The lock is
held here by another connection (as another process holds it): SQLite's write lock, or on
PostgreSQL the writers' advisory lock; the timeouts are shortened so the tests are quick.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bot.config import sqlite_file
from bot.store import Database, app_state, create_database
from bot.store import engine as engine_module
from bot.store.engine import background, batches, lock_busy
from tests.databases import ON_POSTGRESQL, sqlite_only
from tests.sandbox.held import _AdvisoryLocker

NOW = datetime(2026, 9, 1, tzinfo=UTC)
TIMEOUT_MS = 300


@pytest.fixture(autouse=True)
def short_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "BUSY_TIMEOUT_MS", TIMEOUT_MS)
    monkeypatch.setattr(engine_module, "BACKGROUND_PAUSES", (0.05, 0.1))


class Holder:
    """The writers' lock taken by another connection until `release`."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._sqlite: sqlite3.Connection | None = None
        self._pg: _AdvisoryLocker | None = None

    def hold(self) -> None:
        if self.url.startswith("postgresql"):
            dsn = make_url(self.url).set(drivername="postgresql")
            self._pg = _AdvisoryLocker(dsn.render_as_string(hide_password=False))
            return
        path = sqlite_file(self.url)
        assert path is not None
        self._sqlite = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._sqlite.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        if self._sqlite is not None:
            self._sqlite.execute("ROLLBACK")
            self._sqlite.close()
            self._sqlite = None
        if self._pg is not None:
            self._pg.release()
            self._pg = None


@asynccontextmanager
async def database(url: str) -> AsyncIterator[Database]:
    db = create_database(url)  # after the timeouts were shortened (SQLite's pragma)
    try:
        yield db
    finally:
        await db.dispose()


@pytest.fixture
def retries() -> Iterator[asyncio.Event]:
    """Set once background work found the lock busy and is about to try again."""
    seen = asyncio.Event()

    class Watch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "tries again" in record.getMessage():
                seen.set()

    watch = Watch(logging.INFO)
    logger = logging.getLogger("bot.store.engine")
    before = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(watch)
    yield seen
    logger.removeHandler(watch)
    logger.setLevel(before)


async def put(db: Database, value: str) -> None:
    async with db.transaction() as conn:
        await app_state.put(conn, "patience", value, NOW)


async def stored(db: Database) -> str | None:
    async with db.read() as conn:
        return await app_state.get(conn, "patience")


async def test_a_persons_write_is_told_busy_once_the_timeout_passed(database_url: str) -> None:
    holder = Holder(database_url)
    async with database(database_url) as db:
        holder.hold()
        try:
            began = time.monotonic()
            with pytest.raises(DBAPIError) as failure:
                await put(db, "person")
            waited = time.monotonic() - began
        finally:
            holder.release()
        assert lock_busy(failure.value)
        assert waited >= TIMEOUT_MS / 1000 * 0.9
        assert await stored(db) is None


async def test_background_work_waits_a_held_lock_out_and_writes_once(
    database_url: str, retries: asyncio.Event
) -> None:
    holder = Holder(database_url)
    runs = 0
    async with database(database_url) as db:

        async def start_up() -> None:
            nonlocal runs
            with background():
                async with db.transaction() as conn:
                    runs += 1
                    await app_state.put(conn, "patience", "start-up", NOW)

        holder.hold()
        try:
            work = asyncio.create_task(start_up())
            await asyncio.wait_for(retries.wait(), 30)  # it found the lock busy at least once
            assert not work.done()
        finally:
            holder.release()
        await asyncio.wait_for(work, 30)
        assert runs == 1  # the block itself ran once: only taking the lock was tried again
        assert await stored(db) == "start-up"


async def test_between_its_tries_a_persons_write_of_the_same_process_gets_its_turn(
    database_url: str, retries: asyncio.Event
) -> None:
    """Background work waiting for another process does not keep this process's people
    waiting behind it: their write is tried (and told busy) while the lock is held."""
    holder = Holder(database_url)
    async with database(database_url) as db:

        async def start_up() -> None:
            with background():
                await put(db, "start-up")

        holder.hold()
        try:
            work = asyncio.create_task(start_up())
            await asyncio.wait_for(retries.wait(), 30)
            began = time.monotonic()
            with pytest.raises(DBAPIError) as failure:
                await put(db, "person")
            assert lock_busy(failure.value)
            # One try of the background work at most before it, then its own timeout.
            assert time.monotonic() - began < 4 * TIMEOUT_MS / 1000 + 2
            assert not work.done()
        finally:
            holder.release()
        await asyncio.wait_for(work, 30)
        assert await stored(db) == "start-up"


async def test_background_work_gives_up_after_its_patience(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "BACKGROUND_PATIENCE", 1.0)
    holder = Holder(database_url)
    async with database(database_url) as db:
        holder.hold()
        try:
            began = time.monotonic()
            with background(), pytest.raises(DBAPIError) as failure:
                await put(db, "start-up")
            waited = time.monotonic() - began
        finally:
            holder.release()
        assert lock_busy(failure.value)
        assert waited >= 1.0
        assert await stored(db) is None


async def test_a_failure_inside_background_work_is_not_tried_again(database_url: str) -> None:
    runs = 0
    async with database(database_url) as db:
        with background(), pytest.raises(ZeroDivisionError):
            async with db.transaction() as conn:
                runs += 1
                await app_state.put(conn, "patience", "half", NOW)
                _ = 1 / 0
        assert runs == 1
        assert await stored(db) is None  # rolled back


async def _second_process_starts_while_the_first_writes(url: str) -> None:
    """Two processes on one database: the first writes its start-up work in one transaction
    longer than the busy timeout; the second's start-up write (its commands digest) waits it
    out instead of failing its start."""
    async with database(url) as first, database(url) as second:
        first_holds = asyncio.Event()
        first_may_commit = asyncio.Event()

        async def long_start_up() -> None:
            async with first.transaction() as conn:
                await app_state.put(conn, "first", "ready", NOW)
                first_holds.set()
                await first_may_commit.wait()

        async def start_up() -> None:
            with background():
                await put(second, "digest")

        held = asyncio.create_task(long_start_up())
        await asyncio.wait_for(first_holds.wait(), 30)
        other = asyncio.create_task(start_up())
        # Longer than the busy timeout (what failed the second process before).
        done, _ = await asyncio.wait([other], timeout=3 * TIMEOUT_MS / 1000)
        assert not done
        first_may_commit.set()
        await asyncio.wait_for(held, 30)
        await asyncio.wait_for(other, 30)
        assert await stored(second) == "digest"


@pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="PostgreSQL only: the writers' advisory lock and its lock_timeout "
    "(run with TEST_DATABASE_URL=postgresql+asyncpg://…)",
)
async def test_postgresql_second_process_start_up_waits_out_the_first_ones_write(
    database_url: str,
) -> None:
    await _second_process_starts_while_the_first_writes(database_url)


@sqlite_only("two connections to one file and SQLite's busy timeout")
async def test_sqlite_second_process_start_up_waits_out_the_first_ones_write(
    database_url: str,
) -> None:
    await _second_process_starts_while_the_first_writes(database_url)


def test_batches_cover_every_item_once_in_order() -> None:
    items = list(range(7))
    assert [list(b) for b in batches(items, 3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(batches([], 3)) == []
