"""Many writers at once: transactions that read before they write queue for SQLite's lock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from bot.store import app_state, create_database
from bot.store.migrate import upgrade

NOW = datetime(2026, 9, 1, tzinfo=UTC)


async def test_read_then_write_transactions_at_once_all_commit(database_url: str) -> None:
    """Forty transactions each read a counter, yield, then write it plus one: every one commits
    and none is lost. With SQLite's deferred BEGIN, a writer whose read snapshot went stale
    fails at once with "database is locked" (no busy wait): what 200 chess moves at once met."""
    db = create_database(database_url)
    try:
        await upgrade(db)
        async with db.transaction() as conn:
            await app_state.put(conn, "counter", "0", NOW)

        async def bump() -> None:
            async with db.transaction() as conn:
                value = int(await app_state.get(conn, "counter") or "0")
                await asyncio.sleep(0)  # let the others read the same value meanwhile
                await app_state.put(conn, "counter", str(value + 1), NOW)

        results = await asyncio.gather(*(bump() for _ in range(40)), return_exceptions=True)
        assert [r for r in results if r is not None] == []
        async with db.read() as conn:
            assert await app_state.get(conn, "counter") == "40"
    finally:
        await db.dispose()
