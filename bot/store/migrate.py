"""Run Alembic migrations from code (start-up, CLI and tests) on our own async engine."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from bot.store.engine import Database


def migrations_dir() -> Path:
    """The folder of Alembic's scripts: the installed `migrations` package, wherever it is.

    Found as a package resource, not beside this file, so `pip install .` and a wheel work
    from any directory, as a source checkout does.
    """
    folder = resources.files("migrations")
    # Alembic needs a real directory; an unpacked install (wheel, editable, checkout) is one.
    path = Path(str(folder))
    if not (path / "env.py").is_file():
        raise RuntimeError(f"Alembic's env.py is missing from {path}: reinstall Twinbridge")
    return path


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at the `migrations` package, optionally bound to a connection."""
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@cache
def head_revision() -> str | None:
    """The newest migration of this installation (its scripts do not change while it runs)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


@cache
def known_revisions() -> frozenset[str]:
    """Every migration this installation has (a database at another one is from a newer
    release, or not Twinbridge's)."""
    scripts = ScriptDirectory.from_config(alembic_config())
    return frozenset(script.revision for script in scripts.walk_revisions())


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(db: Database) -> str | None:
    """The migration the database is at (None for an empty database)."""
    async with db.read() as conn:
        return await conn.run_sync(_current_revision)


async def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema up to `revision`; a database already at the newest one is left alone
    without loading every migration script (each start, and each test's bot, checks)."""
    if revision == "head" and await current_revision(db) == head_revision():
        return
    async with db.transaction() as conn:
        await conn.run_sync(lambda sync: command.upgrade(alembic_config(sync), revision))


async def downgrade(db: Database, revision: str) -> None:
    """Take the schema down to `revision` ("base" removes every table)."""
    async with db.transaction() as conn:
        await conn.run_sync(lambda sync: command.downgrade(alembic_config(sync), revision))
