"""Start-up of the scheduler: work registered for start-up runs before the late sends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.clock import ManualClock
from bot.domain.shards import Scope
from bot.services.scheduler import Scheduler
from bot.store import Database, sends

NOW = datetime(2026, 10, 7, 9, tzinfo=UTC)


async def started(db: Database, *hooks_fail: bool) -> tuple[Scheduler, list[str]]:
    """A scheduler with one send due ten minutes ago (within grace) and start-up hooks."""
    async with db.transaction() as conn:
        await sends.plan(
            conn, key="late", kind="probe", due_at=NOW - timedelta(minutes=10), guild_id=1
        )
    scheduler = Scheduler(db, ManualClock(NOW), timedelta(minutes=30))
    done: list[str] = []

    async def handler(send: sends.Send) -> None:
        done.append(send.key)

    scheduler.handle("probe", handler)
    for number, fails in enumerate(hooks_fail):

        async def hook(scope: Scope, number: int = number, fails: bool = fails) -> None:
            assert scope.everything, "one process: every server's work is its own"
            assert scheduler.up_since == NOW, "the hook knows since when the bot is up"
            done.append(f"hook {number}")
            if fails:
                raise RuntimeError("start-up work failed")

        scheduler.at_start(hook)
    await scheduler.start()
    await scheduler.stop()
    return scheduler, done


async def test_start_up_work_runs_before_the_sends_that_fell_due(db: Database) -> None:
    """A chess sweep sees a late deadline before its send is run, and knows when it is."""
    scheduler, done = await started(db, False)
    assert done == ["hook 0", "late"]
    assert scheduler.up_since == NOW


async def test_failing_start_up_work_keeps_nothing_else_waiting(db: Database) -> None:
    """One feature's failure is logged; the next hook and the sends still run."""
    _, done = await started(db, True, False)
    assert done == ["hook 0", "hook 1", "late"]
