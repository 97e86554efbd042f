"""Where each sandboxed bot (and each test) gets a fresh database: SQLite or PostgreSQL.

SQLite (the default): a copy of one file migrated once per process. PostgreSQL (tests run with
`TEST_DATABASE_URL=postgresql+asyncpg://…`): `CREATE DATABASE … TEMPLATE` of one database
migrated once per process, made ahead and dropped afterwards in a thread of its own. Names
carry the process id, so pytest-xdist's workers (and two test runs on one server) never meet,
and a run can tell what runs killed before it left behind (`PostgresDatabases.sweep`).
"""

from __future__ import annotations

import asyncio
import atexit
import itertools
import os
import shutil
import sqlite3
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from pathlib import Path
from typing import Protocol

from sqlalchemy.engine import URL, make_url

from bot.config import is_postgresql
from bot.store.engine import create_database
from bot.store.migrate import upgrade

# The environment variable naming the database server tests run on (SQLite when unset).
TEST_DATABASE_ENV = "TEST_DATABASE_URL"


class DatabaseSource(Protocol):
    """Hands out fresh databases and takes them back."""

    dialect: str

    async def fresh(self, folder: Path, *, migrated: bool = True) -> str:
        """The URL of a new database (at the newest migration unless `migrated` is False);
        `folder` is the test's own directory (SQLite puts its file there)."""
        ...

    async def release(self, url: str) -> None:
        """Delete a database `fresh` gave (a no-op for a file in a temporary folder)."""
        ...

    async def close(self) -> None:
        """Delete whatever the source itself made (its template)."""
        ...


def _checkpoint(path: Path) -> None:
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _copy_into(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


class SQLiteFiles:
    """A file per database, copied from one migrated per process."""

    dialect = "sqlite"

    def __init__(self) -> None:
        self._template: Path | None = None

    async def _migrated_template(self) -> Path:
        if self._template is None:
            folder = Path(tempfile.mkdtemp(prefix="twinbridge-template-"))
            atexit.register(shutil.rmtree, folder, True)
            path = folder / "template.db"
            database = create_database(f"sqlite+aiosqlite:///{path}")
            try:
                await upgrade(database)
            finally:
                await database.dispose()
            # Fold the write-ahead log into the file: the copy must be the whole database.
            await asyncio.to_thread(_checkpoint, path)
            self._template = path
        return self._template

    async def fresh(self, folder: Path, *, migrated: bool = True) -> str:
        target = folder / "sandbox.db"
        if migrated:
            await asyncio.to_thread(_copy_into, await self._migrated_template(), target)
        # Not migrated: create_database makes the folder and SQLite the file when first used.
        return f"sqlite+aiosqlite:///{target}"

    async def release(self, url: str) -> None:
        return None

    async def close(self) -> None:
        return None


class PostgresDatabases:
    """A database per use on one PostgreSQL server, from a template migrated once.

    `server` is any database on the server the role may connect to (the role needs
    CREATEDB); the databases made are named `tb_<pid>_<n>` and dropped on release.

    Making a database from the template and dropping one take about half a second each on a
    busy server, so both happen in a thread of their own, off the tests' path: the next
    database is made while a test runs (one spare), and a released one is dropped after its
    test is over. Each commits without waiting for the disk (`synchronous_commit = off`, about
    7 ms less per commit here): a test's database need not survive a power cut, and SQLite's
    WAL mode with synchronous=NORMAL, which the tests run on otherwise, does not wait either.
    """

    dialect = "postgresql"

    def __init__(self, server: str) -> None:
        self.server: URL = make_url(server)
        # Safe characters only: names are written into CREATE/DROP DATABASE statements.
        self._prefix = f"tb_{os.getpid()}_{os.urandom(2).hex()}"
        self._template: str | None = None
        self._counter = itertools.count(1)
        # Made and not dropped yet (a spare, one in use, one being dropped).
        self._made: set[str] = set()
        self._spare: Future[str] | None = None
        self._worker: ThreadPoolExecutor | None = None

    def _url(self, name: str) -> str:
        return self.server.set(database=name).render_as_string(hide_password=False)

    async def _admin(self, *statements: str) -> None:
        # asyncpg directly: CREATE/DROP DATABASE may not run in a transaction, which
        # SQLAlchemy would open.
        import asyncpg

        plain = self.server.set(drivername="postgresql")
        conn = await asyncpg.connect(plain.render_as_string(hide_password=False), timeout=10)
        try:
            for sql in statements:
                await conn.execute(sql)
        finally:
            await conn.close()

    def _background(self) -> ThreadPoolExecutor:
        if self._worker is None:
            self._worker = ThreadPoolExecutor(1, thread_name_prefix="test-databases")
        return self._worker

    def _new_name(self) -> str:
        name = f"{self._prefix}_{next(self._counter)}"
        self._made.add(name)
        return name

    async def _create(self, name: str, template: str) -> str:
        await self._admin(
            f"CREATE DATABASE {name} TEMPLATE {template}",
            f"ALTER DATABASE {name} SET synchronous_commit = off",
        )
        return name

    def _create_now(self, name: str, template: str) -> str:
        """In the background thread (an event loop of its own)."""
        return asyncio.run(self._create(name, template))

    def _drop_now(self, name: str) -> None:
        """In the background thread; FORCE: a connection a test left open must not keep
        the database (PostgreSQL 13+)."""
        asyncio.run(self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        self._made.discard(name)

    async def check(self) -> None:
        """Raise unless the server answers and the role may create databases."""
        name = f"{self._prefix}_check"
        await self._admin(f"CREATE DATABASE {name}")
        await self._admin(f"DROP DATABASE {name}")

    async def _migrated_template(self) -> str:
        if self._template is None:
            name = f"{self._prefix}_template"
            await self._admin(f"DROP DATABASE IF EXISTS {name}")
            await self._admin(f"CREATE DATABASE {name}")
            database = create_database(self._url(name))
            try:
                await upgrade(database)
            except BaseException:
                # A migration that fails on PostgreSQL must not leave a half-made template
                # behind on the server (every later test tries again, and fails as clearly).
                await database.dispose()
                await self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                raise
            await database.dispose()
            self._template = name
        return self._template

    async def sweep(self) -> list[str]:
        """Drop the databases test runs on this machine left behind (killed before they
        could drop theirs): those whose process is gone. Returns their names."""
        import asyncpg

        plain = self.server.set(drivername="postgresql")
        conn = await asyncpg.connect(plain.render_as_string(hide_password=False), timeout=10)
        try:
            names = [
                str(row[0])
                for row in await conn.fetch(
                    r"SELECT datname FROM pg_database WHERE datname ~ '^tb_[0-9]+_[0-9a-f]{4}_'"
                )
            ]
        finally:
            await conn.close()
        dropped = []
        for name in names:
            if _alive(int(name.split("_")[1])):
                continue
            try:
                await self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            except asyncpg.PostgresError:
                continue  # another run sweeping at the same moment: theirs to drop
            dropped.append(name)
        return dropped

    async def fresh(self, folder: Path, *, migrated: bool = True) -> str:
        if not migrated:
            return self._url(await self._create(self._new_name(), "template0"))
        template = await self._migrated_template()
        spare, self._spare = self._spare, None
        name: str | None = None
        if spare is not None:
            try:
                name = await asyncio.wrap_future(spare)
            except Exception:
                name = None  # made again here, where a failure is told to the test
        if name is None:
            name = await self._create(self._new_name(), template)
        self._spare = self._background().submit(self._create_now, self._new_name(), template)
        return self._url(name)

    async def release(self, url: str) -> None:
        name = make_url(url).database
        if name is None or name not in self._made:
            return
        self._background().submit(self._drop_now, name)

    async def settled(self) -> None:
        """Wait until the databases released so far are dropped (and the spare is made)."""
        await asyncio.wrap_future(self._background().submit(lambda: None))

    async def close(self) -> None:
        if self._worker is not None:
            await asyncio.to_thread(self._worker.shutdown, True)
            self._worker = None
        self._spare = None
        for name in sorted(self._made):
            await self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self._made.clear()
        if self._template is not None:
            await self._admin(f"DROP DATABASE IF EXISTS {self._template} WITH (FORCE)")
            self._template = None


def _alive(pid: int) -> bool:
    """Whether a process `pid` runs on this machine (a database named after it is in use)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def source_for(url: str | None) -> DatabaseSource:
    """PostgreSQL databases on the server `url` names, else SQLite files."""
    if url and is_postgresql(url):
        return PostgresDatabases(url)
    return SQLiteFiles()


def from_environment() -> DatabaseSource:
    """The source `TEST_DATABASE_URL` asks for (SQLite files when it is unset or empty)."""
    return source_for(os.environ.get(TEST_DATABASE_ENV, "").strip() or None)


# The source every sandbox uses unless told otherwise (tests/conftest.py sets it per run).
_current: list[DatabaseSource] = []


def current() -> DatabaseSource:
    """The databases sandboxes use in this process."""
    if not _current:
        _current.append(from_environment())
    return _current[0]
