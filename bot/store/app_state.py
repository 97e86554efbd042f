"""The bot's own small state between runs, as text under a key (table `app_state`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.schema import app_state


async def get(conn: AsyncConnection, key: str) -> str | None:
    """The value stored under `key`, or None."""
    value = await conn.scalar(select(app_state.c.value).where(app_state.c.key == key))
    return str(value) if value is not None else None


async def put(conn: AsyncConnection, key: str, value: str, now: datetime) -> None:
    """Store `value` under `key`, replacing what was there."""
    changed = await conn.execute(
        update(app_state).where(app_state.c.key == key).values(value=value, updated_at=now)
    )
    if changed.rowcount == 0:
        await conn.execute(insert(app_state).values(key=key, value=value, updated_at=now))
