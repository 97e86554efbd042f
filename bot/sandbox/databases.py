"""Where each sandboxed bot (and each test) gets a fresh database: SQLite or PostgreSQL.

SQLite (the default): a copy of one file migrated once per process. PostgreSQL (tests run with
`TEST_DATABASE_URL=postgresql+asyncpg://…`): `CREATE DATABASE … TEMPLATE` of one database
migrated once per process, which takes a fraction of a second. Names carry the process id, so
pytest-xdist's workers (and two test runs on one server) never meet.
"""

from __future__ import annotations

import asyncio
import atexit
import itertools
import os
import shutil
import sqlite3
import tempfile
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
    """

    dialect = "postgresql"

    def __init__(self, server: str) -> None:
        self.server: URL = make_url(server)
        # Safe characters only: names are written into CREATE/DROP DATABASE statements.
        self._prefix = f"tb_{os.getpid()}_{os.urandom(2).hex()}"
        self._template: str | None = None
        self._counter = itertools.count(1)
        self._made: set[str] = set()

    def _url(self, name: str) -> str:
        return self.server.set(database=name).render_as_string(hide_password=False)

    async def _admin(self, sql: str) -> None:
        # asyncpg directly: CREATE/DROP DATABASE may not run in a transaction, which
        # SQLAlchemy would open.
        import asyncpg

        plain = self.server.set(drivername="postgresql")
        conn = await asyncpg.connect(plain.render_as_string(hide_password=False), timeout=10)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

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
        name = f"{self._prefix}_{next(self._counter)}"
        template = await self._migrated_template() if migrated else "template0"
        await self._admin(f"CREATE DATABASE {name} TEMPLATE {template}")
        self._made.add(name)
        return self._url(name)

    async def release(self, url: str) -> None:
        name = make_url(url).database
        if name is None or name not in self._made:
            return
        self._made.discard(name)
        # FORCE: a connection a test left open must not keep the database (PostgreSQL 13+).
        await self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    async def close(self) -> None:
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
