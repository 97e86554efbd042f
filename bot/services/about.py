"""The `/about` use case: what version runs and how many exchanges the store holds."""

from __future__ import annotations

from dataclasses import dataclass

from bot import __version__
from bot.store import Database
from bot.store.partnerships import count_partnerships


@dataclass(frozen=True, slots=True)
class AboutInfo:
    """What `/about` shows."""

    version: str
    partnerships_here: int
    partnerships_total: int


class AboutService:
    """What `/about` tells."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def about(self, guild_id: int | None) -> AboutInfo:
        """The version and the partnership counts, read from the store."""
        async with self.db.read() as conn:
            here = await count_partnerships(conn, guild_id) if guild_id is not None else 0
            total = await count_partnerships(conn)
        return AboutInfo(__version__, here, total)
