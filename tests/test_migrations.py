"""Migrations: upgrade from empty, round trip, and no drift from the code's metadata."""

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from bot.store import create_database
from bot.store.migrate import downgrade, upgrade
from bot.store.schema import metadata


async def test_upgrade_from_empty_creates_every_table(tmp_path: Path) -> None:
    """An empty database upgraded to head has every table the code declares."""
    db = create_database(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    await upgrade(db)
    async with db.read() as conn:
        names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    await db.dispose()
    assert set(metadata.tables) <= names


async def test_downgrade_then_upgrade_round_trip(tmp_path: Path) -> None:
    """Down to base removes our tables; up again restores them."""
    db = create_database(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}")
    await upgrade(db)
    await downgrade(db, "base")
    async with db.read() as conn:
        empty = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert not (set(metadata.tables) & empty)
    await upgrade(db)
    async with db.read() as conn:
        again = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    await db.dispose()
    assert set(metadata.tables) <= again


async def test_migrations_match_metadata(tmp_path: Path) -> None:
    """What the migrations build is exactly what the code's tables describe."""
    db = create_database(f"sqlite+aiosqlite:///{tmp_path / 'c.db'}")
    await upgrade(db)

    def diff(sync_conn: object) -> list[object]:
        context = MigrationContext.configure(sync_conn, opts={"compare_type": True})  # type: ignore[arg-type]
        return list(compare_metadata(context, metadata))

    async with db.read() as conn:
        differences = await conn.run_sync(diff)
    await db.dispose()
    assert differences == []


async def test_sqlite_connections_use_wal_and_foreign_keys(tmp_path: Path) -> None:
    """Every SQLite connection gets WAL, foreign keys and a busy timeout."""
    db = create_database(f"sqlite+aiosqlite:///{tmp_path / 'd.db'}")
    async with db.read() as conn:
        journal = (await conn.execute(text("PRAGMA journal_mode"))).scalar_one()
        fks = (await conn.execute(text("PRAGMA foreign_keys"))).scalar_one()
        busy = (await conn.execute(text("PRAGMA busy_timeout"))).scalar_one()
    await db.dispose()
    assert (journal, fks, busy) == ("wal", 1, 5000)
