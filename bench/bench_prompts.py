"""Prompts: choosing the next prompt, counting a message in a paired space, and a fan-out.

A message in a paired space is handled inline (a read, the activity row queued for the batched
writer, maybe a reply row), so its cost is paid for every message students write; its target
keeps it invisible.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bench.core import Figure, median_ms, time_async, time_sync
from bot.clock import ManualClock
from bot.domain.exchange import Role
from bot.domain.prompts import bank_for, next_prompt
from bot.services import prompts as service
from bot.services.activity_writer import ActivityWriter
from bot.store import Database, create_database, roster
from bot.store import exchanges as exchange_store
from bot.store import pairing as pairing_store
from bot.store.migrate import upgrade

PAIRS = 250


class _Port:
    """Discord stand-in: measures our side of a fan-out, not Discord's rate limits."""

    def __init__(self) -> None:
        self.posted = 0

    async def post(
        self, space_id: int, card: service.PromptCard, *, nonce: str | None = None
    ) -> int | None:
        self.posted += 1
        return space_id + 1


async def _exchange(db: Database, clock: ManualClock, pairs: int) -> int:
    """An exchange with `pairs` active pairs, each with its own space id."""
    now = clock.now()
    async with db.transaction() as conn:
        exchange_id = await exchange_store.create_exchange(
            conn,
            guild_id=1,
            name="Bench",
            sides=[
                ("A", "America/Chicago", ("en",), frozenset({6, 7})),
                ("B", "Asia/Baghdad", ("ar",), frozenset({5, 6})),
            ],
            now=now,
        )
        round_id = await pairing_store.create_round(conn, exchange_id, 1, now, "channels", 0)
        for index in range(pairs):
            members = []
            for side, language in ((0, "en"), (1, "ar")):
                members.append(
                    await roster.add(
                        conn,
                        guild_id=1,
                        exchange_id=exchange_id,
                        user_id=10_000 + index * 2 + side,
                        role=Role.STUDENT,
                        display_name=f"S{index}-{side}",
                        city_id=None,
                        now=now,
                        grade_band="13-15",
                        languages=(language,),
                    )
                )
            await pairing_store.add_pair(
                conn,
                round_id=round_id,
                exchange_id=exchange_id,
                space_id=1_000_000 + index,
                reasons={},
                members=tuple(members),
                now=now,
            )
    return exchange_id


async def figures() -> list[Figure]:
    bank = [p.key for p in bank_for([], [], ["13-15"])]
    history = [bank[i % len(bank)] for i in range(1000)]
    pick = median_ms(time_sync(lambda: next_prompt(bank, history), repeat=51))

    with tempfile.TemporaryDirectory(prefix="twinbridge-bench-") as folder:
        db = create_database(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}")
        await upgrade(db)
        clock = ManualClock(datetime(2026, 9, 1, 12, tzinfo=UTC))
        exchange_id = await _exchange(db, clock, PAIRS)
        port = _Port()
        fan_out = median_ms(
            await time_async(
                lambda: service.deliver_to_pairs(db, clock, exchange_id, port, reason="teacher"),
                repeat=3,
            )
        )
        writer = ActivityWriter(db)
        prompts = service.PromptService(db, clock, writer)
        message = median_ms(
            await time_async(
                lambda: prompts.record_message(space_id=1_000_000, user_id=10_000, length=42),
                repeat=101,
            )
        )
        await writer.stop()
        await db.dispose()
    return [
        Figure(
            "prompts: next prompt for a pair with 1,000 past prompts",
            pick,
            "ms",
            1.0,
            note=f"bank of {len(bank)}",
        ),
        Figure(
            "prompts: one message in a paired space counted (queued activity + reply)",
            message,
            "ms",
            5.0,
            note="the space already known: no database round trip, the writes batched",
        ),
        Figure(
            f"prompts: /prompt now to {PAIRS} pairs, our side (Discord stubbed)",
            fan_out,
            "ms",
            2000.0,
            note="Discord's own pace (50 requests/s) adds ~5 s for 250 posts",
        ),
    ]
