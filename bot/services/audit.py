"""One way for a use case to note in the activity log what a person (or the bot) did."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.services.access import Actor
from bot.store import activity as activity_log


@dataclass(frozen=True, slots=True)
class By:
    """Who acted in which server when no interaction's `Actor` is at hand: the author of a
    saved operation, or the bot itself (`user_id` None: a scheduled job, a start-up check)."""

    guild_id: int
    user_id: int | None = None


async def audit(
    conn: AsyncConnection,
    actor: Actor | By,
    kind: str,
    /,
    *,
    at: datetime,
    exchange_id: int | None = None,
    **details: object,
) -> None:
    """Log `kind`, done by `actor` in their server (and in `exchange_id`, if it concerns one),
    in the change's own transaction. `details` are ids and counts, never anybody's text.

    The first three are positional-only so that a detail may be named `kind` too."""
    await activity_log.append(
        conn,
        at=at,
        guild_id=actor.guild_id,
        partnership_id=exchange_id,
        actor_id=actor.user_id,
        kind=kind,
        details=details,
    )
