"""Privacy at the size of a big exchange: export, erase and retention pruning stay quick.

500 students, 1,000,000 activity rows (a year of a busy exchange: mostly messages counted in
paired spaces, some teachers' actions naming students in their details) and 500 reports in
one exchange, on SQLite. Finding a person's rows reads the whole log of the server (an id can
sit inside any row's details), so these grow with the log: `/privacy erase` and `/privacy
export` acknowledge the interaction before they look.
"""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.core import Figure, median_ms, time_async
from bot.clock import ManualClock
from bot.domain.exchange import Role
from bot.services.activity_writer import ActivityWriter
from bot.services.privacy import PrivacyService
from bot.store import create_database, exchanges, personal, roster
from bot.store.migrate import upgrade
from bot.store.schema import activity, reports

GUILD = 10**17
STUDENTS = 500
ACTIVITY = 1_000_000
CHUNK = 50_000
NOW = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)


class _Idle:
    """A scheduler with nothing to do: pruning plans no sends."""

    up_since: datetime | None = None

    async def rearm(self) -> None:
        return None

    def wake_by(self, when: datetime) -> None:
        return None


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
    for start in range(0, ACTIVITY, CHUNK):
        async with db.transaction() as conn:
            await conn.execute(
                activity.insert(),
                [_event(i, exchange_id, users) for i in range(start, start + CHUNK)],
            )
    await db.dispose()
    return exchange_id, users


def _event(i: int, exchange_id: int, users: list[int]) -> dict[str, object]:
    """One log row: 99 in 100 a counted message, else a teacher's action naming a student."""
    common = {
        "at": NOW + timedelta(seconds=30 * i),
        "guild_id": GUILD,
        "partnership_id": exchange_id,
    }
    if i % 100:
        details = {"length": 20 + i % 180, "pair": i % 250}
        return {
            **common,
            "actor_id": users[i % STUDENTS],
            "kind": "pair.message",
            "details": json.dumps(details),
        }
    subject = users[(i // 100) % STUDENTS]
    return {
        **common,
        "actor_id": GUILD + 1,
        "kind": "privacy.exported",
        "details": json.dumps({"rows": 3, "subject_id": subject}),
    }


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

        async def count_one() -> None:
            async with db.read() as conn:
                await personal.count_about(conn, personal.Person(GUILD, users[0]))

        async def erase_one() -> None:
            async with db.transaction() as conn:
                await personal.erase(conn, personal.Person(GUILD, next(victims)))

        exported = await time_async(export_one, repeat=5)
        counted = await time_async(count_one, repeat=5)
        erased = await time_async(erase_one)
        # Eight students were erased above; everyone else is pruned once the exchange has ended.
        async with db.read() as conn:
            remaining = len(await personal.people_of_exchange(conn, exchange_id))
        async with db.transaction() as conn:
            await exchanges.end_exchange(conn, exchange_id, NOW - timedelta(days=200))

        async def prune() -> None:
            privacy = PrivacyService(db, ManualClock(NOW), _Idle(), ActivityWriter(db), 180)
            await privacy.prune_expired()

        pruned = await time_async(prune, repeat=1, warmup=0)
        await db.dispose()
    return [
        Figure(
            "privacy: export one student (500 students, 1M log rows)",
            median_ms(exported),
            "ms",
            2000,
            note="after defer(): the interaction waits up to 15 min",
        ),
        Figure(
            "privacy: count one student's rows (/privacy erase preview)",
            median_ms(counted),
            "ms",
            2000,
            note="after defer()",
        ),
        Figure(
            "privacy: erase one student (2,000 of their log rows)",
            median_ms(erased),
            "ms",
            3000,
            note="rows changed alike go in batches of 500",
        ),
        Figure(
            f"privacy: prune an ended exchange ({remaining} people, 1M log rows)",
            median_ms(pruned) / 1000,
            "s",
            900,
            note="the daily 03:00 job; one short transaction per person",
        ),
    ]
