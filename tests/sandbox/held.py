"""A database held by someone else: a real write lock from another connection (SQLite's, or
on PostgreSQL the writers' advisory lock), and reads made to wait.

SQLite in WAL mode never blocks a reader, so a write lock alone would let every read through:
the bot's `Database.read` and `Database.transaction` are gated as well, and while the gate is
closed every use waits (what a slow disk or a long backup does to reads). Interactions must
be acknowledged within Discord's 3 seconds all the same, and answered once it is over.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.limits import ACKNOWLEDGE_WITHIN
from bot.sandbox.driver import Reply, Sandbox
from bot.sandbox.server import Interaction
from bot.store import Database
from bot.store.engine import WRITER_LOCK

# Discord's "deferred channel message" and "deferred update message" callbacks.
DEFERRED = (5, 6)
# A form (modal) must be the first answer: it cannot be deferred. A handler that would open
# one answers at once instead when the database is too slow (a message: "busy, try again").
MODAL = 9
AT_ONCE = (4, 7)  # a message, or the component's message updated, as the first answer


class HeldDatabase:
    """The bot's database, held whenever the test says: a write lock and closed reads."""

    def __init__(self, db: Database, path: Path) -> None:
        self._read = db.read
        self._transaction = db.transaction
        self.path = path
        self.url = db.engine.url
        self.dialect = db.dialect
        self.open = asyncio.Event()
        self.open.set()
        self.asked = asyncio.Event()  # someone waited for the database while it was held
        self._locker: sqlite3.Connection | None = None
        self._pg_locker: _AdvisoryLocker | None = None

    def hold(self) -> None:
        """Take the write lock from another connection, and close the gate."""
        self.open.clear()
        self.asked.clear()
        if self.dialect == "postgresql":
            self._pg_locker = _AdvisoryLocker(
                self.url.set(drivername="postgresql").render_as_string(hide_password=False)
            )
            return
        locker = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        locker.execute("BEGIN IMMEDIATE")
        self._locker = locker

    def release_reads(self) -> None:
        """Let reads through again while the write lock stays taken."""
        self.open.set()

    def release(self) -> None:
        if self._locker is not None:
            self._locker.execute("ROLLBACK")
            self._locker.close()
            self._locker = None
        if self._pg_locker is not None:
            self._pg_locker.release()
            self._pg_locker = None
        self.open.set()

    async def _wait(self) -> None:
        if not self.open.is_set():
            self.asked.set()
            await self.open.wait()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        await self._wait()
        async with self._read() as conn:
            yield conn

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        await self._wait()
        async with self._transaction() as conn:
            yield conn


class _AdvisoryLocker:
    """PostgreSQL's writer lock held by a connection of another thread (as another process
    would hold it) from construction until `release`."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._taken = threading.Event()
        self._done = threading.Event()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=asyncio.run, args=(self._hold(),), daemon=True)
        self._thread.start()
        # A short wait on the test's loop: the lock must be held before the acts begin.
        if not self._taken.wait(10) or self._failure is not None:
            raise AssertionError(f"could not take the writer lock: {self._failure!r}")

    async def _hold(self) -> None:
        import asyncpg

        try:
            conn = await asyncpg.connect(self._dsn)
            await conn.execute(f"SELECT pg_advisory_lock({WRITER_LOCK})")
        except BaseException as exc:
            self._failure = exc
            self._taken.set()
            raise
        self._taken.set()
        try:
            await asyncio.to_thread(self._done.wait)
        finally:
            await conn.close()

    def release(self) -> None:
        self._done.set()
        self._thread.join(10)


def hold_database(sb: Sandbox, monkeypatch: pytest.MonkeyPatch, folder: Path) -> HeldDatabase:
    """Gate the bot's database (the services share this object) and lock its file."""
    db = sb.bot.ctx.db
    gate = HeldDatabase(db, folder / "sandbox.db")
    monkeypatch.setattr(db, "read", gate.read)
    monkeypatch.setattr(db, "transaction", gate.transaction)
    return gate


def new_interactions(sb: Sandbox, before: set[int]) -> list[Interaction]:
    return [sb.server.interactions[i] for i in sorted(set(sb.server.interactions) - before)]


async def all_while_held(
    sb: Sandbox, held: HeldDatabase, acts: list[Callable[[], Awaitable[Reply]]], seconds: float
) -> list[Reply]:
    """Do `acts` (one interaction each) at one moment with the database held for `seconds`:
    each must be acknowledged within Discord's 3 s meanwhile. Then release it and return the
    replies."""
    before = set(sb.server.interactions)
    within = ACKNOWLEDGE_WITHIN.total_seconds()
    held.hold()
    started = time.monotonic()
    tasks = [asyncio.ensure_future(act()) for act in acts]
    try:
        await sb.wait_for(
            lambda: len(new_interactions(sb, before)) == len(acts), "the interactions"
        )
        for interaction in new_interactions(sb, before):
            left = within - (time.monotonic() - started)
            try:
                await asyncio.wait_for(interaction.answered.wait(), max(left, 0.01))
            except TimeoutError:
                pytest.fail("not acknowledged within Discord's 3 s while the database was held")
        await asyncio.sleep(max(0.0, seconds - (time.monotonic() - started)))
    except BaseException:
        held.release()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    held.release()
    replies = [await task for task in tasks]
    await sb.idle()
    return replies


async def while_held(
    sb: Sandbox,
    held: HeldDatabase,
    act: Callable[[], Awaitable[Reply]],
    *,
    at_least: float = 0.0,
) -> Reply:
    """Do `act` (one interaction) with the database held until the bot has acknowledged it
    within Discord's 3 s and, for anything deferred, is waiting for the database (nothing was
    read before the acknowledgement); `at_least` seconds at the least. Then let the database
    answer and return the reply."""
    before = set(sb.server.interactions)
    within = ACKNOWLEDGE_WITHIN.total_seconds()
    held.hold()
    task = asyncio.ensure_future(act())
    try:
        await sb.wait_for(lambda: new_interactions(sb, before), "the interaction")
        (interaction,) = new_interactions(sb, before)
        try:
            await asyncio.wait_for(interaction.answered.wait(), within)
        except TimeoutError:
            pytest.fail("not acknowledged within Discord's 3 s while the database was held")
        assert interaction.response_type in (*DEFERRED, MODAL, *AT_ONCE), interaction.response_type
        if interaction.response_type in DEFERRED:
            # Acknowledged, and now waiting for the database: nothing was read before.
            await asyncio.wait_for(held.asked.wait(), within)
        if at_least and interaction.dispatched_monotonic is not None:
            # Held on purpose for this long after Discord sent the interaction.
            held_for = time.monotonic() - interaction.dispatched_monotonic
            await asyncio.sleep(max(0.0, at_least - held_for))
    except BaseException:
        held.release()
        await asyncio.gather(task, return_exceptions=True)
        raise
    held.release()
    reply = await task
    await sb.idle()
    return reply
