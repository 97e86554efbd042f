"""One way for a use case to note in the activity log what a person did."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.services.access import Actor
from bot.store import activity as activity_log


async def audit(
    conn: AsyncConnection,
    actor: Actor,
    kind: str,
    *,
    at: datetime,
    exchange_id: int | None = None,
    **details: object,
) -> None:
    """Log `kind`, done by `actor` in their server (and in `exchange_id`, if it concerns one),
    in the change's own transaction. `details` are ids and counts, never anybody's text."""
    await activity_log.append(
        conn,
        at=at,
        guild_id=actor.guild_id,
        partnership_id=exchange_id,
        actor_id=actor.user_id,
        kind=kind,
        details=details,
    )
