"""Alembic environment: uses the caller's connection, or its own async engine from the CLI."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection

from bot.store.engine import create_database
from bot.store.schema import metadata

config = context.config
target_metadata = metadata


def _run(connection: Connection) -> None:
    # Batch mode lets later migrations alter SQLite tables (copy-and-move).
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_own_engine() -> None:
    url = os.environ.get("DATABASE_URL") or config.get_main_option("sqlalchemy.url") or ""
    db = create_database(url)
    async with db.transaction() as conn:
        await conn.run_sync(_run)
    await db.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()
elif (conn := config.attributes.get("connection")) is not None:
    _run(conn)
else:
    asyncio.run(_run_with_own_engine())
