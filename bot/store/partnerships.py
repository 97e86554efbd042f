"""Queries about partnerships (exchanges) and their cities."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.schema import partnerships


async def count_partnerships(conn: AsyncConnection, guild_id: int | None = None) -> int:
    """Active partnerships in a guild, or in every guild when guild_id is None."""
    query = select(func.count()).select_from(partnerships).where(partnerships.c.status == "active")
    if guild_id is not None:
        query = query.where(partnerships.c.guild_id == guild_id)
    return int((await conn.execute(query)).scalar_one())
