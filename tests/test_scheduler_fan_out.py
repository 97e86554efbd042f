"""A fan-out's sends are claimed and recorded a slice at a time, not two writes per send.

Found by the full-size shard bench (bench/bench_shards.py --full): 2,000 posts took 4,000
writer transactions, every one taking the lock all processes share on PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.clock import ManualClock
from bot.services.scheduler import FAN_OUT_CLAIM, RetryLaterError, Scheduler
from bot.store import Database, sends
from bot.store.engine import track_commits

NOW = datetime(2026, 10, 7, 9, tzinfo=UTC)
SPACES = 2 * FAN_OUT_CLAIM + 7


async def _planned(db: Database) -> None:
    async with db.transaction() as conn:
        await sends.plan_many(
            conn,
            [
                sends.Planned(key=f"post:{n}", kind="post", due_at=NOW, guild_id=1)
                for n in range(SPACES)
            ],
        )


async def test_a_fan_out_is_claimed_and_recorded_a_slice_at_a_time(db: Database) -> None:
    await _planned(db)
    scheduler = Scheduler(db, ManualClock(NOW), timedelta(minutes=30))
    posted: list[str] = []

    async def post(send: sends.Send) -> None:
        posted.append(send.key)

    scheduler.handle("post", post, fan_out=True)
    with track_commits() as commits:
        done = await scheduler.run_due()
    assert done == SPACES
    assert sorted(posted) == sorted(f"post:{n}" for n in range(SPACES))  # each once
    slices = -(-SPACES // FAN_OUT_CLAIM)
    assert len(commits) == 2 * slices  # a claim and a record per slice, not 2 per send
    statuses = await scheduler.status_of([f"post:{n}" for n in range(SPACES)])
    assert set(statuses.values()) == {sends.SendStatus.SENT}


async def test_a_send_of_a_slice_that_failed_is_tried_again_alone(db: Database) -> None:
    await _planned(db)
    scheduler = Scheduler(db, ManualClock(NOW), timedelta(minutes=30))

    async def post(send: sends.Send) -> None:
        if send.key == "post:3":
            raise RetryLaterError("Discord answered 503")

    scheduler.handle("post", post, fan_out=True)
    assert await scheduler.run_due() == SPACES - 1
    statuses = await scheduler.status_of([f"post:{n}" for n in range(SPACES)])
    assert statuses.pop("post:3") == sends.SendStatus.PENDING  # due again later
    assert set(statuses.values()) == {sends.SendStatus.SENT}


async def test_sends_another_process_claimed_are_left_to_it(db: Database) -> None:
    await _planned(db)
    async with db.transaction() as conn:
        taken = await sends.by_keys(conn, ["post:0", "post:1"])
        assert await sends.claim_many(conn, [s.id for s in taken]) == {s.id for s in taken}
    scheduler = Scheduler(db, ManualClock(NOW), timedelta(minutes=30))
    posted: list[str] = []

    async def post(send: sends.Send) -> None:
        posted.append(send.key)

    scheduler.handle("post", post, fan_out=True)
    await scheduler.run_due()
    assert "post:0" not in posted and "post:1" not in posted
    assert len(posted) == SPACES - 2
