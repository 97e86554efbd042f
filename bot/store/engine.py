"""The async engine, on SQLite (the default) or PostgreSQL.

SQLite gets WAL, foreign keys, secure deletion and a busy timeout on every connection.
PostgreSQL sessions run in UTC (what `CURRENT_TIMESTAMP` means in a naive UTC column, as on
SQLite) and writers take one transaction-level advisory lock (see `Database.transaction`).

`Database` also tells in-process caches when a transaction it ran committed writes to the
tables they were read from (`Database.changes`), so a cache never outlives the data it copies.

Transactions take SQLite's write lock when they begin (`BEGIN IMMEDIATE`): what a transaction
reads before it writes cannot change under it, so "look, then insert or update" has one effect
however many interactions run it at once. Reads see one snapshot from their first statement.

On SQLite the file itself is watched: deleted, moved or replaced under the running bot, everything
written after would be lost (SQLite keeps writing to the file it opened, which nobody will
read again). Every use then raises `DatabaseGoneError` instead, and whoever listens is told
(`Database.on_fault`): the bot logs why and its health fails. Should the very file it opened
come back (moved back), work goes on. A PostgreSQL database has no file: nothing to watch.

Portable SQL (what the store and migrations may not write, so both databases run them):
no `INSERT OR IGNORE/REPLACE`, and `sqlalchemy.dialects.sqlite.insert` only beside its
`postgresql.insert` twin (as `bot.store.reporting.add_message_days` does), or look then insert
inside one `Database.transaction` (writers take turns on both databases); no
`strftime`, `julianday`, `date()`/`datetime()` SQL functions (compute dates in Python and bind
them); no `PRAGMA`, `rowid`, `sqlite_master` (use `sqlalchemy.inspect`); no `GROUP_CONCAT`
(aggregate in Python); booleans are `true`/`false` values, not 1/0 in textual SQL; a textual
SQL string must be plain SQL-92. tests/test_portable_sql.py fails on the first of these found
in bot/store/ or migrations/, and `TEST_DATABASE_URL=postgresql+asyncpg://…` runs the suite on
PostgreSQL.

Waiting for the writers' lock (one policy on both databases):
- interactive writes (the default: a person is waiting for the answer, acknowledged within
  Discord's 3 s, then followed up) wait at most `BUSY_TIMEOUT_MS`, once; then the edge answers
  "the database is busy, try again" (cogs.common.errors): a prompt "busy" beats a silence.
- background work (`with background():` start-up, scheduled sends and their fan-outs) waits
  as long, then gives the lock up, lets this process's other writers (people's commands) have
  their turn, and tries again after a growing pause (`BACKGROUND_PAUSES`), for up to
  `BACKGROUND_PATIENCE` in all: a lock another process holds for a while (its own start-up, a
  fan-out) must not fail this process's start-up. No try holds this process's turn longer
  than an interactive write would.
- long start-up work is written in batches (`batches`: `WRITE_BATCH` exchanges per
  transaction), each its own short transaction, so the lock is free between them.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.sql import ClauseElement, Select, TableClause
from sqlalchemy.sql.dml import UpdateBase

from bot.config import is_postgresql, sqlite_file

log = logging.getLogger(__name__)

T = TypeVar("T")

# How long a write waits for the writers' lock (SQLite's busy timeout, PostgreSQL's
# lock_timeout) before it fails as "busy": what a person may wait, well inside 3 s + a margin.
BUSY_TIMEOUT_MS = 5000
# Background work (see `background`): after a try that found the lock busy, the pauses before
# the next (the last one repeats), and how long it keeps trying in all before it fails.
BACKGROUND_PAUSES = (0.25, 0.5, 1.0, 2.0, 4.0)
BACKGROUND_PATIENCE = 600.0
# Units of start-up work (exchanges, series) written per transaction (see `batches`).
WRITE_BATCH = 50
# The advisory lock every writing transaction takes on PostgreSQL (any constant; "TwinWrit").
WRITER_LOCK = 0x5477696E57726974
# How long connecting at start-up is retried before giving up (seconds, doubling from 1).
CONNECT_ATTEMPTS = 6
# How often a checkpoint that readers hold up is tried again (see `Database.checkpoint`).
CHECKPOINT_ATTEMPTS = 6
# Where a transaction collects the names of the tables it wrote to (in the connection's info).
_WRITTEN = "twinbridge.written"
# Stands for "any table": a statement whose table is not known (DDL, textual SQL).
ANY_TABLE = "*"
# Set on a connection whose next transaction writes (see `_sqlite_begin`).
_IMMEDIATE = "twinbridge.immediate"
# Set while the current task is inside a `Database.transaction` (its writer turn is held).
_in_transaction: ContextVar[bool] = ContextVar("in_transaction", default=False)
# Set while the current task does background work (see `background`).
_background: ContextVar[bool] = ContextVar("background", default=False)
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


@contextmanager
def background(on: bool = True) -> Iterator[None]:
    """Within the block (and the tasks it starts), writes are background work: nobody waits
    for their answer, so a busy writers' lock is waited out, with pauses that let people's
    writes in between, instead of failing (see the module's docstring). `on=False`: the
    block's writes are not (work with a retry policy of its own, started from start-up)."""
    token = _background.set(on)
    try:
        yield
    finally:
        _background.reset(token)


def is_background() -> bool:
    """Whether the current task's writes are background work."""
    return _background.get()


def batches(items: Sequence[T], size: int | None = None) -> Iterator[Sequence[T]]:
    """`items` in slices of `size` (default `WRITE_BATCH`): start-up work over every exchange
    writes one slice per transaction, so the writers' lock is free between slices and people's
    commands (and other processes' writers) are not kept waiting behind all of it."""
    step = size or WRITE_BATCH
    for start in range(0, len(items), step):
        yield items[start : start + step]


def lock_busy(exc: BaseException) -> bool:
    """Whether `exc` is a write that waited its time for the writers' lock in vain: SQLite's
    "database is locked" (busy timeout), PostgreSQL's lock timeout."""
    if not isinstance(exc, DBAPIError):
        return False
    said = str(exc.orig if exc.orig is not None else exc).lower()
    return "database is locked" in said or "lock timeout" in said


class DatabaseGoneError(RuntimeError):
    """The database file was deleted or replaced while the bot ran: nothing may be written."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Deleted and overwritten rows are zeroed in the file, not left in free space: an erased
    # person's words must not stay readable in the database file (see `checkpoint`).
    cursor.execute("PRAGMA secure_delete=ON")
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


def _file_identity(path: Path) -> tuple[int, int] | None:
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return None
    return (found.st_dev, found.st_ino)


def _checkpoint(path: Path) -> tuple[int, int, int]:
    """Copy the write-ahead log into the database file and empty it (a blocking call)."""
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        row = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        conn.close()
    return int(row[0]), int(row[1]), int(row[2])


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

    def __init__(self, engine: AsyncEngine, path: Path | None = None) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self.changes = Changes()
        # The SQLite file, and which file it was when first opened (device, inode).
        self.path = path
        self._identity: tuple[int, int] | None = None
        # Why the database may not be used now (None: it may).
        self.fault: str | None = None
        self._fault_listeners: list[Callable[[str | None], None]] = []
        # Writers of this process take turns here before they ask SQLite for its write lock:
        # two hundred at once would otherwise all poll SQLite's lock (busy_timeout) and some
        # give up. Per event loop: a lock is bound to the loop that first waits on it.
        self._turns: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}
        event.listen(engine.sync_engine, "after_execute", _note_write)

    # -- the file under us ----------------------------------------------------------------------

    def opened(self, _dbapi_connection: Any, _record: Any) -> None:
        """Each new connection (a `connect` event): the first names the file; a later one
        must open the same."""
        if self.path is None:
            return
        found = _file_identity(self.path)
        if self._identity is None:
            self._identity = found
        elif found != self._identity:
            # SQLite just created an empty file where ours was, or opened another one.
            self._fail(f"the database file {self.path} was replaced while the bot ran")

    def on_fault(self, listener: Callable[[str | None], None]) -> None:
        """Call `listener(reason)` when the database file is found gone or replaced, and
        `listener(None)` if the file the bot opened comes back."""
        self._fault_listeners.append(listener)

    def _set_fault(self, reason: str | None) -> None:
        if reason != self.fault:
            self.fault = reason
            for listener in self._fault_listeners:
                listener(reason)

    def _fail(self, reason: str) -> None:
        self._set_fault(reason)
        raise DatabaseGoneError(reason)

    def check_file(self) -> None:
        """Raise DatabaseGoneError unless the file is the one the bot opened (a stat: cheap).

        Checked before every use, so no connection is opened (which would create an empty
        file in its place) and nothing is written to a file nobody will read again.
        """
        if self.path is None or self._identity is None:
            return
        found = _file_identity(self.path)
        if found is None:
            self._fail(f"the database file {self.path} was deleted or moved while the bot ran")
        if found != self._identity:
            self._fail(f"the database file {self.path} was replaced while the bot ran")
        self._set_fault(None)

    # -- using it -------------------------------------------------------------------------------

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A connection in a transaction committed on success, rolled back on error.

        It holds the write lock from its first statement: other writers wait (up to the busy
        timeout), readers do not. On SQLite that is the database's own lock (BEGIN IMMEDIATE);
        on PostgreSQL one advisory lock held until commit gives every process's writers the
        same one-at-a-time order, so "look, then insert or update" keeps one effect there too
        (READ COMMITTED: each statement after the lock sees every earlier commit). Background
        work waits longer for the lock (see `background`); the block itself runs once.
        """
        self.check_file()
        written: set[str] = set()
        async with self._writer() as conn:
            conn.info[_WRITTEN] = written
            try:
                yield conn
            finally:
                conn.info.pop(_WRITTEN, None)
        # Told only now, after the commit: a cache refilled before it would hold old rows.
        self.changes.committed(written)
        seen = _commit_log.get()
        if seen is not None and written:
            seen.append(frozenset(written))

    @asynccontextmanager
    async def _writer(self) -> AsyncIterator[AsyncConnection]:
        """A connection in a transaction holding the writers' lock: one try for an interactive
        write; for background work, tries until `BACKGROUND_PATIENCE`, each after a pause
        without this process's turn (its other writers go first)."""
        patient = _background.get() and not _in_transaction.get()
        give_up = time.monotonic() + BACKGROUND_PATIENCE
        tries = 0
        while True:
            async with AsyncExitStack() as held:
                await held.enter_async_context(self._turn())
                conn = await held.enter_async_context(self.engine.connect())
                conn.info[_IMMEDIATE] = True
                held.callback(conn.info.pop, _IMMEDIATE, None)
                try:
                    # SQLite: BEGIN IMMEDIATE waits here (busy timeout); PostgreSQL: the lock.
                    await held.enter_async_context(conn.begin())
                    if self.dialect == "postgresql":
                        await _pg_writer_lock(conn)
                except DBAPIError as exc:
                    if not (patient and lock_busy(exc) and time.monotonic() < give_up):
                        raise
                    if conn.in_transaction():
                        await conn.rollback()  # not committed on leaving the block
                else:
                    yield conn
                    return
            pause = BACKGROUND_PAUSES[min(tries, len(BACKGROUND_PAUSES) - 1)]
            tries += 1
            log.info(
                "the writers' lock stayed busy for %d ms (try %d): background work tries "
                "again in %.2f s",
                BUSY_TIMEOUT_MS,
                tries,
                pause,
            )
            await asyncio.sleep(pause)

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        """This process's writer turn (none taken again by a transaction inside another: that
        one fails on SQLite's busy timeout, as before, instead of waiting forever)."""
        if _in_transaction.get():
            yield
            return
        loop = asyncio.get_running_loop()
        turn = self._turns.get(loop)
        if turn is None:
            self._turns = {lp: t for lp, t in self._turns.items() if not lp.is_closed()}
            turn = self._turns[loop] = asyncio.Lock()
        async with turn:
            token = _in_transaction.set(True)
            try:
                yield
            finally:
                _in_transaction.reset(token)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reading."""
        self.check_file()
        async with self.engine.connect() as conn:
            yield conn

    async def checkpoint(self) -> bool:
        """Move everything the write-ahead log holds into the database file and empty the log.

        After an erasure: SQLite keeps earlier versions of changed pages in the `-wal` file
        until a checkpoint, so an erased person's words would stay there. With secure
        deletion on, the database file keeps no copy either. Readers in the middle of a read
        can hold a checkpoint up: it is tried again a few times. False if it never completed.
        """
        if self.path is None:
            return True
        self.check_file()
        for attempt in range(CHECKPOINT_ATTEMPTS):
            busy, _frames, _done = await asyncio.to_thread(_checkpoint, self.path)
            if not busy:
                return True
            await asyncio.sleep(0.05 * 2**attempt)
        log.warning("the write-ahead log could not be emptied: readers kept it busy")
        return False

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


async def _pg_writer_lock(conn: AsyncConnection) -> None:
    """Wait for PostgreSQL's writer lock, at most as long as SQLite's busy timeout (then the
    statement fails with a lock timeout, which the edge answers as "the database is busy")."""
    await conn.exec_driver_sql(f"SET LOCAL lock_timeout = {BUSY_TIMEOUT_MS}")
    await conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITER_LOCK})")


async def server_bytes(conn: AsyncConnection) -> int | None:
    """PostgreSQL: the database's size on its server (None on SQLite: its file is measured)."""
    if conn.dialect.name != "postgresql":
        return None
    return int(await conn.scalar(text("SELECT pg_database_size(current_database())")) or 0)


class DatabaseUnreachableError(RuntimeError):
    """The database server did not answer at start-up (after every retry)."""


async def wait_until_reachable(
    db: Database,
    attempts: int = CONNECT_ATTEMPTS,
    first_delay: float = 1.0,
) -> None:
    """Connect once, retrying with back-off (1, 2, 4 … s): a PostgreSQL server started with
    the bot (a reboot) may come up a little later. Each failure is one log line naming the
    server, never the password; DatabaseUnreachableError after the last."""
    if db.dialect != "postgresql":
        return
    where = db.engine.url.render_as_string(hide_password=True)
    delay = first_delay
    for attempt in range(1, attempts + 1):
        try:
            async with db.engine.connect() as conn:
                await conn.exec_driver_sql("SELECT 1")
            return
        except (OSError, SQLAlchemyError) as exc:
            reason = _connect_reason(exc)
            if attempt == attempts:
                raise DatabaseUnreachableError(
                    f"cannot connect to the database {where}: {reason} "
                    f"(tried {attempts} times); check DATABASE_URL and that PostgreSQL runs"
                ) from None
            log.warning(
                "cannot connect to the database %s: %s; trying again in %.0f s",
                where,
                reason,
                delay,
            )
            await asyncio.sleep(delay)
            delay *= 2


def _connect_reason(exc: BaseException) -> str:
    """The driver's own words on one line (asyncpg's "password authentication failed for
    user …", or the socket's "Connect call failed …")."""
    cause = getattr(exc, "orig", None) or exc
    text = " ".join(str(cause).split()) or type(cause).__name__
    return text[:200]


def create_database(url: str) -> Database:
    """An engine for url; a SQLite file's directory is created on demand."""
    path = sqlite_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    options: dict[str, Any] = {}
    if is_postgresql(url):
        # UTC sessions: naive UTC columns and CURRENT_TIMESTAMP agree, as on SQLite. A short
        # connect timeout: an unreachable server is told at once, then retried with back-off.
        options["connect_args"] = {"server_settings": {"timezone": "UTC"}, "timeout": 10}
        options["pool_pre_ping"] = True
    # Parameters are what people wrote: never in a log line or an error's text.
    engine = create_async_engine(url, hide_parameters=True, **options)
    if url.startswith("sqlite"):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    database = Database(engine, path)
    # After the pragmas: the file exists once the first connection set WAL mode.
    event.listen(engine.sync_engine, "connect", database.opened)
    return database
