"""Re-arming the scheduler's timer: one value read however many sends wait, and never late."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from bot.clock import ManualClock
from bot.services.scheduler import JOB_ID, Scheduler
from bot.store import Database, sends

# Far ahead of the wall clock, which APScheduler reads here: no timer goes off during a test.
NOW = datetime(2099, 10, 7, 9, tzinfo=UTC)


@pytest.fixture
async def scheduler(db: Database) -> AsyncIterator[Scheduler]:
    started = Scheduler(db, ManualClock(NOW), timedelta(minutes=30))
    await started.start()
    yield started
    await started.stop()


async def plan(db: Database, key: str, due: datetime, **extra: Any) -> None:
    async with db.transaction() as conn:
        await sends.plan(conn, key=key, kind="probe", due_at=due, guild_id=1, **extra)


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """The SQL the database is sent meanwhile (queries: not the BEGIN that opens a read)."""
    sent: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            sent.append(statement)

    engine = db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", seen)


def job_time(scheduler: Scheduler) -> datetime | None:
    job = scheduler._aps.get_job(JOB_ID) if scheduler._aps else None
    return job.next_run_time if job is not None else None


async def test_next_due_is_the_earliest_pending_send(db: Database) -> None:
    """Sent and cancelled sends do not count; nothing pending is None."""
    assert await _next_due(db) is None
    await plan(db, "a", NOW + timedelta(hours=3))
    await plan(db, "b", NOW + timedelta(hours=1))
    await plan(db, "c", NOW + timedelta(hours=2))
    assert await _next_due(db) == NOW + timedelta(hours=1)
    async with db.transaction() as conn:
        await sends.cancel_matching(conn, "b", NOW)
    assert await _next_due(db) == NOW + timedelta(hours=2)


async def _next_due(db: Database) -> datetime | None:
    async with db.read() as conn:
        return await sends.next_due(conn)


async def test_rearm_reads_one_time_not_the_sends(db: Database, scheduler: Scheduler) -> None:
    """With many sends waiting, re-arming sends one query that reads no payload."""
    async with db.transaction() as conn:
        await sends.plan_many(
            conn,
            [
                sends.Planned(
                    f"many:{n}", "probe", NOW + timedelta(minutes=n + 5), 1, payload={"n": n}
                )
                for n in range(500)
            ],
        )
    with statements(db) as sent:
        await scheduler.rearm()
    assert len(sent) == 1 and "payload" not in sent[0]
    assert scheduler.armed == job_time(scheduler) == NOW + timedelta(minutes=5)


async def test_wake_by_moves_the_timer_earlier_only_and_reads_nothing(
    db: Database, scheduler: Scheduler
) -> None:
    """A send planned sooner than the timer brings it forward; a later one leaves it."""
    await plan(db, "later", NOW + timedelta(hours=5))
    await scheduler.rearm()
    with statements(db) as sent:
        scheduler.wake_by(NOW + timedelta(hours=2))
        scheduler.wake_by(NOW + timedelta(hours=4))
    assert sent == []
    assert scheduler.armed == job_time(scheduler) == NOW + timedelta(hours=2)


async def test_a_rearm_that_read_too_early_keeps_a_send_planned_meanwhile(
    db: Database, scheduler: Scheduler
) -> None:
    """A send committed (and announced with wake_by) while a re-arm was reading is not lost
    when that re-arm, which did not see it, sets the timer last."""
    await plan(db, "later", NOW + timedelta(hours=5))
    engine = db.engine.sync_engine

    def meanwhile(*args: Any) -> None:
        scheduler.wake_by(NOW + timedelta(hours=1))

    event.listen(engine, "before_cursor_execute", meanwhile, once=True)
    await scheduler.rearm()
    assert scheduler.armed == job_time(scheduler) == NOW + timedelta(hours=1)


async def test_with_nothing_pending_the_timer_is_removed(
    db: Database, scheduler: Scheduler
) -> None:
    await plan(db, "only", NOW + timedelta(hours=1))
    await scheduler.rearm()
    assert scheduler.armed is not None
    async with db.transaction() as conn:
        await sends.cancel_matching(conn, "only", NOW)
    await scheduler.rearm()
    assert scheduler.armed is None and job_time(scheduler) is None
