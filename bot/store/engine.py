"""The async engine: SQLite gets WAL, foreign keys and a busy timeout on every connection.

`Database` also tells in-process caches when a transaction it ran committed writes to the
tables they were read from (`Database.changes`), so a cache never outlives the data it copies.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.sql import ClauseElement, Select, TableClause
from sqlalchemy.sql.dml import UpdateBase

from bot.config import sqlite_file

BUSY_TIMEOUT_MS = 5000
# Where a transaction collects the names of the tables it wrote to (in the connection's info).
_WRITTEN = "twinbridge.written"
# Stands for "any table": a statement whose table is not known (DDL, textual SQL).
ANY_TABLE = "*"
# Set on a connection whose next transaction writes (see `_sqlite_begin`).
_IMMEDIATE = "twinbridge.immediate"
# The commits seen by whoever called `track_commits` (and the tasks it started), or None.
_commit_log: ContextVar[list[frozenset[str]] | None] = ContextVar("commit_log", default=None)


@contextmanager
def track_commits() -> Iterator[list[frozenset[str]]]:
    """Within the block, every committed `Database.transaction` appends the tables it wrote.

    The error path uses it to tell a person truthfully whether anything was changed before
    a failure (tasks started inside the block share the same list).
    """
    seen: list[frozenset[str]] = []
    token = _commit_log.set(seen)
    try:
        yield seen
    finally:
        _commit_log.reset(token)


def commit_log() -> list[frozenset[str]]:
    """Start collecting commits for the rest of the current task (see `track_commits`).

    For code that cannot wrap the work in a block, e.g. a check run at the start of the task
    that then runs a command.
    """
    seen: list[frozenset[str]] = []
    _commit_log.set(seen)
    return seen


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # Transactions are begun by `_sqlite_begin`, not by the driver (which would begin one only
    # before the first write, after the reads, too late to wait for the write lock).
    dbapi_connection.isolation_level = None


def _sqlite_begin(conn: Connection) -> None:
    """BEGIN IMMEDIATE for `Database.transaction`, a plain (deferred) BEGIN for reads.

    A transaction that reads before it writes (load a game, check the move, store it) would
    otherwise hold a read snapshot, and if another connection committed meanwhile its first
    write fails at once with SQLITE_BUSY, without waiting the busy timeout: under load (200
    moves at once) people were told the database was busy. Taking the write lock at BEGIN
    makes writers queue for it instead. Reads still get one consistent snapshot.
    """
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get(_IMMEDIATE) else "BEGIN")


def _note_write(conn: Connection, statement: ClauseElement, *_args: Any) -> None:
    """After each statement of a `Database.transaction`: remember the table it wrote."""
    written = conn.info.get(_WRITTEN)
    if written is None or isinstance(statement, Select):
        return
    table = statement.table if isinstance(statement, UpdateBase) else None
    written.add(table.name if isinstance(table, TableClause) else ANY_TABLE)


class Changes:
    """Calls back whoever watches a table once a transaction that wrote to it has committed.

    Only this process's writes through `Database.transaction` are seen: a cache that must also
    notice another process's writes needs a time limit as well.
    """

    def __init__(self) -> None:
        self._watchers: list[tuple[frozenset[str], Callable[[], None]]] = []

    def watch(self, tables: Iterable[str], forget: Callable[[], None]) -> None:
        """Call `forget` after every committed write to any of `tables`."""
        self._watchers.append((frozenset(tables), forget))

    def committed(self, written: set[str]) -> None:
        if not written:
            return
        for tables, forget in self._watchers:
            if ANY_TABLE in written or tables & written:
                forget()


class Database:
    """The engine plus the two ways services use it: a transaction or a read."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.changes = Changes()
        event.listen(engine.sync_engine, "after_execute", _note_write)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A connection in a transaction committed on success, rolled back on error."""
        written: set[str] = set()
        async with self.engine.connect() as conn:
            conn.info[_IMMEDIATE] = True
            try:
                async with conn.begin():
                    conn.info[_WRITTEN] = written
                    yield conn
            finally:
                conn.info.pop(_WRITTEN, None)
                conn.info.pop(_IMMEDIATE, None)
        # Told only now, after the commit: a cache refilled before it would hold old rows.
        self.changes.committed(written)
        seen = _commit_log.get()
        if seen is not None and written:
            seen.append(frozenset(written))

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reading."""
        async with self.engine.connect() as conn:
            yield conn

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


def create_database(url: str) -> Database:
    """An engine for url; a SQLite file's directory is created on demand."""
    path = sqlite_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url)
    if url.startswith("sqlite"):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return Database(engine)
