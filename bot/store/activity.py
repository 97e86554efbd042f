"""The append-only activity log: who did what, when, in which exchange. Never message text."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.schema import activity


async def append(
    conn: AsyncConnection,
    *,
    at: datetime,
    guild_id: int,
    kind: str,
    partnership_id: int | None = None,
    actor_id: int | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Add one event to the log."""
    await conn.execute(
        activity.insert().values(
            at=at,
            guild_id=guild_id,
            partnership_id=partnership_id,
            actor_id=actor_id,
            kind=kind,
            details=json.dumps(dict(details or {}), ensure_ascii=False, sort_keys=True),
        )
    )


async def append_many(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """Add a batch of events (each a dict of the columns) in one statement."""
    if rows:
        await conn.execute(activity.insert(), rows)


async def recent(
    conn: AsyncConnection, partnership_id: int, kind: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """The latest events of an exchange, newest first."""
    query = select(activity).where(activity.c.partnership_id == partnership_id)
    if kind is not None:
        query = query.where(activity.c.kind == kind)
    rows = (await conn.execute(query.order_by(activity.c.id.desc()).limit(limit))).all()
    return [
        {
            "at": r.at,
            "actor_id": r.actor_id,
            "kind": r.kind,
            "details": json.loads(r.details),
        }
        for r in rows
    ]
