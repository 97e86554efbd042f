"""Privacy at the size of a big exchange: export, erase and retention pruning stay quick.

500 students, 20,000 activity rows and 500 reports in one exchange, on SQLite.
"""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.core import Figure, median_ms, time_async
from bot.clock import ManualClock
from bot.domain.exchange import Role
from bot.services import privacy
from bot.store import create_database, exchanges, personal, roster
from bot.store.migrate import upgrade
from bot.store.schema import activity, reports

GUILD = 10**17
STUDENTS = 500
ACTIVITY = 20_000
NOW = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)


async def _world(url: str) -> tuple[int, list[int]]:
    db = create_database(url)
    await upgrade(db)
    async with db.transaction() as conn:
        exchange_id = await exchanges.create_exchange(
            conn,
            guild_id=GUILD,
            name="Bench",
            sides=[
                ("Minneapolis", "America/Chicago", ("en",), frozenset({6, 7})),
                ("Najaf", "Asia/Baghdad", ("ar",), frozenset({5, 6})),
            ],
            now=NOW,
        )
        users = [GUILD + 1000 + i for i in range(STUDENTS)]
        for i, user in enumerate(users):
            await roster.add(
                conn,
                guild_id=GUILD,
                exchange_id=exchange_id,
                user_id=user,
                role=Role.STUDENT,
                display_name=f"Student {i:03d}",
                city_id=None,
                now=NOW,
                intro="Hello from the bench",
                interests=("chess", "music"),
            )
        await conn.execute(
            activity.insert(),
            [
                {
                    "at": NOW + timedelta(minutes=i),
                    "guild_id": GUILD,
                    "partnership_id": exchange_id,
                    "actor_id": users[i % STUDENTS],
                    "kind": "space.message",
                    "details": json.dumps({"space": i % 250}),
                }
                for i in range(ACTIVITY)
            ],
        )
        await conn.execute(
            reports.insert(),
            [
                {
                    "guild_id": GUILD,
                    "partnership_id": exchange_id,
                    "kind": "concern",
                    "reason": "other",
                    "reporter_id": user,
                    "subject_id": users[(i + 1) % STUDENTS],
                    "details": "bench",
                    "created_at": NOW,
                }
                for i, user in enumerate(users)
            ],
        )
    await db.dispose()
    return exchange_id, users


async def figures() -> list[Figure]:
    """Export and erase one student; prune a whole ended exchange."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        exchange_id, users = await _world(url)
        db = create_database(url)
        victims = iter(users)

        async def export_one() -> None:
            async with db.read() as conn:
                await personal.export(conn, personal.Person(GUILD, users[0]))

        async def erase_one() -> None:
            async with db.transaction() as conn:
                await personal.erase(conn, personal.Person(GUILD, next(victims)))

        exported = await time_async(export_one)
        erased = await time_async(erase_one)
        # Eight students were erased above; everyone else is pruned once the exchange has ended.
        remaining = len(users) - 8
        async with db.transaction() as conn:
            await exchanges.end_exchange(conn, exchange_id, NOW - timedelta(days=200))

        async def prune() -> None:
            await privacy.prune_expired(db, ManualClock(NOW), retention_days=180)

        pruned = await time_async(prune, repeat=1, warmup=0)
        await db.dispose()
    return [
        Figure(
            "privacy: export one student (500 students, 20k log rows)",
            median_ms(exported),
            "ms",
            500,
        ),
        Figure("privacy: erase one student", median_ms(erased), "ms", 1000),
        Figure(
            f"privacy: prune an ended exchange ({remaining} people)",
            median_ms(pruned) / 1000,
            "s",
            120,
            note="the daily job; one short transaction per person",
        ),
    ]
