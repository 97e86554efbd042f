"""SQLite files as wholes: a consistent copy of a live database, and what a copy holds.

Synchronous (the `sqlite3` module): callers run these in a thread. The copy uses SQLite's
online backup API inside one read transaction of its own, so the bot keeps reading and
writing meanwhile (WAL) and the copy is the database as one instant saw it, never a mix.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

# Every SQLite 3 file starts with these 16 bytes.
SQLITE_HEADER = b"SQLite format 3\x00"
# Where a copy records when it was taken (the `app_state` table).
TAKEN_AT_KEY = "backup:taken_at"


class BackupFileError(Exception):
    """A file that cannot be used as a backup; the message says why, in a sentence."""


@dataclass(frozen=True, slots=True)
class Inspection:
    """What a database file holds, as far as a backup or a restore cares."""

    revision: str | None  # the schema's migration (None: not a Twinbridge database)
    taken_at: datetime | None  # when the backup was taken (None: not made by `backup`)
    tables: dict[str, int]  # rows per table


@contextlib.contextmanager
def _connect(path: Path, *, read_only: bool = False) -> Iterator[sqlite3.Connection]:
    uri = f"{path.resolve().as_uri()}?mode={'ro' if read_only else 'rw'}"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=5.0)
    try:
        yield conn
    finally:
        conn.close()


def copy_live(
    source: Path, target: Path, *, at: datetime, snapshot_taken: Callable[[], None] | None = None
) -> None:
    """Copy the database at `source` into a new file `target`, as of one instant.

    The copy is one self-contained file (no write-ahead log beside it) that records `at` as
    the time it was taken. `snapshot_taken` runs once the instant is fixed, before any page is
    copied (tests write then, to see that nothing written after it is in the copy).
    """
    if target.exists():
        raise FileExistsError(target)
    with _connect(source) as src, contextlib.closing(sqlite3.connect(target)) as dst:
        # One read transaction for the whole copy: a backup done page by page would restart
        # whenever the bot wrote meanwhile, and one done in a single step outside a
        # transaction could not promise the instant `at` names. Readers never block the
        # bot's writers in WAL mode.
        src.execute("BEGIN")
        try:
            src.execute("SELECT count(*) FROM sqlite_master").fetchone()
            if snapshot_taken is not None:
                snapshot_taken()
            src.backup(dst)
        finally:
            src.execute("ROLLBACK")
        dst.execute("PRAGMA journal_mode=DELETE")
        _mark_taken(dst, at)
        dst.commit()
    _sync(target)


def _mark_taken(conn: sqlite3.Connection, at: datetime) -> None:
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='app_state'"
    ).fetchone()
    if not exists:
        return
    stamp = at.astimezone(UTC).isoformat()
    conn.execute("DELETE FROM app_state WHERE key = ?", (TAKEN_AT_KEY,))
    conn.execute(
        "INSERT INTO app_state (key, value, updated_at) VALUES (?, ?, ?)",
        (TAKEN_AT_KEY, stamp, at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")),
    )


def _sync(path: Path) -> None:
    """Make the file's bytes durable before it is renamed into place."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _header_problem(path: Path) -> str | None:
    """Why the file is not a whole SQLite database, from its header alone (None: it may be)."""
    size = path.stat().st_size
    with path.open("rb") as file:
        header = file.read(100)
    if len(header) < 100 or not header.startswith(SQLITE_HEADER):
        return "it is not a SQLite database, so not a Twinbridge backup"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    # The header's page count is valid when its "version valid for" matches the change counter.
    if header[24:28] == header[92:96] and pages and size < pages * page_size:
        return (
            f"it is truncated: {size} bytes of the {pages * page_size} its header announces "
            "(copied while still being written?)"
        )
    return None


def inspect(path: Path) -> Inspection:
    """Check a file as a Twinbridge database: whole, intact, with a schema version.

    Raises BackupFileError saying what is wrong.
    """
    if not path.is_file():
        raise BackupFileError(f"there is no file at {path}")
    problem = _header_problem(path)
    if problem:
        raise BackupFileError(problem)
    try:
        with _connect(path, read_only=True) as conn:
            verdict = [row[0] for row in conn.execute("PRAGMA integrity_check(5)")]
            if verdict != ["ok"]:
                raise BackupFileError(f"it fails SQLite's integrity check: {verdict[0]}")
            names = {
                row[0]
                for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            if "alembic_version" not in names:
                raise BackupFileError("it is a SQLite database, but not Twinbridge's")
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            taken: datetime | None = None
            if "app_state" in names:
                found = conn.execute(
                    "SELECT value FROM app_state WHERE key = ?", (TAKEN_AT_KEY,)
                ).fetchone()
                taken = datetime.fromisoformat(found[0]) if found else None
            counts = {
                name: int(conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])
                for name in sorted(names)
                if name != "alembic_version" and not name.startswith("sqlite_")
            }
    except sqlite3.DatabaseError as exc:
        raise BackupFileError(f"SQLite cannot read it: {exc}") from None
    return Inspection(revision[0] if revision else None, taken, counts)


def copy_file(source: Path, target: Path) -> None:
    """Copy a database file that nothing else is using (a backup being restored)."""
    with (
        _connect(source, read_only=True) as src,
        contextlib.closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)
    _sync(target)


def settle_restored(path: Path) -> None:
    """Make a restored copy an ordinary database file: one file (no write-ahead log), and
    without the backup's "taken at" mark, which describes the backup, not the database."""
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
        exists = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='app_state'"
        ).fetchone()
        if exists:
            conn.execute("DELETE FROM app_state WHERE key = ?", (TAKEN_AT_KEY,))
        conn.execute("PRAGMA journal_mode=DELETE")


class InUseError(Exception):
    """Another process holds the database (a running bot, or a restore)."""


@contextlib.contextmanager
def exclusive_use(database: Path) -> Iterator[None]:
    """Hold the database's lock file (`<database>.lock`) for the block, or raise InUseError.

    `run` holds it while the bot runs and `restore` while it replaces the file, so neither
    happens under the other. Where the OS has no `flock` (Windows), nothing is locked.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    lock = database.with_name(database.name + ".lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InUseError(f"another Twinbridge process is using {database}") from None
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
