"""Timed work (reminders, session posts, chess deadlines) with the database as the truth.

Every send is a row in `scheduled_sends` with a stable key. APScheduler only wakes the bot
when the earliest pending send falls due; `run_due` then claims each due row atomically, so a
restart, a reconnect or two wake-ups at once never lose or repeat a send. A send whose time
passed while the bot was down is still done within the grace window, otherwise it is recorded
as missed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.clock import Clock
from bot.store import Database
from bot.store import sends as store

log = logging.getLogger(__name__)

Handler = Callable[[store.Send], Awaitable[None]]
StartHook = Callable[[], Awaitable[None]]
JOB_ID = "twinbridge-next-send"
# Rounds of one run: sends planned by handlers and due at once are done in the same run.
MAX_ROUNDS = 20


class Scheduler:
    """Runs handlers for due sends, exactly once each."""

    def __init__(self, db: Database, clock: Clock, grace: timedelta) -> None:
        self.db = db
        self.clock = clock
        self.grace = grace
        self.handlers: dict[str, Handler] = {}
        self._start_hooks: list[StartHook] = []
        self._aps: AsyncIOScheduler | None = None
        self._lock = asyncio.Lock()
        # When this process began doing sends on time; None until `start`. A send due before
        # it fell due while the bot was down (or starting).
        self.up_since: datetime | None = None

    def handle(self, kind: str, handler: Handler) -> None:
        """Register what to do for sends of this kind."""
        self.handlers[kind] = handler

    def at_start(self, hook: StartHook) -> None:
        """Register work for start-up that must come before the sends that fell due while the
        bot was down (chess gives games the outage caught a fair new deadline first)."""
        self._start_hooks.append(hook)

    async def start(self) -> None:
        """Rebuild the schedule from the database and start waking up for it."""
        self.up_since = self.clock.now()
        async with self.db.transaction() as conn:
            interrupted = await store.reset_interrupted(conn)
        if interrupted:
            log.warning("%d sends were interrupted by a stop; they will be retried", interrupted)
        for hook in self._start_hooks:
            try:
                await hook()
            except Exception:
                # One feature's start-up work failing must not keep every other send waiting.
                log.exception("start-up work %r failed", hook)
        self._aps = AsyncIOScheduler(timezone="UTC")
        self._aps.start()
        await self.run_due()

    async def stop(self) -> None:
        if self._aps is not None and self._aps.running:
            self._aps.shutdown(wait=False)
        self._aps = None

    async def rearm(self) -> None:
        """Point the wake-up timer at the earliest pending send (after any change)."""
        if self._aps is None:
            return
        async with self.db.read() as conn:
            upcoming = await store.pending(conn)
        if not upcoming:
            if self._aps.get_job(JOB_ID) is not None:
                self._aps.remove_job(JOB_ID)
            return
        self._aps.add_job(
            self._wake,
            "date",
            run_date=upcoming[0].due_at,
            id=JOB_ID,
            replace_existing=True,
            # If the process was busy or asleep, still wake up; run_due decides what is late.
            misfire_grace_time=None,
            coalesce=True,
        )

    def wakeup(self) -> None:
        """Re-evaluate the timer now (the sandbox calls this after moving its clock)."""
        if self._aps is not None:
            self._aps.wakeup()

    async def _wake(self) -> None:
        task = asyncio.current_task()
        if task is not None:
            # Named so the sandbox knows the bot is busy until the sends are done.
            task.set_name("twinbridge:scheduled")
        await self.run_due()

    async def run_due(self) -> int:
        """Do every send that is due now; returns how many were done."""
        done = 0
        async with self._lock:
            # A handler may plan sends that are due at once (a fan-out: one post per channel).
            # The wake-up job is still running then, so they are done here, in further rounds.
            for _ in range(MAX_ROUNDS):
                claimed, sent = await self._round()
                done += sent
                if not claimed:
                    break
        await self.rearm()
        return done

    async def _round(self) -> tuple[int, int]:
        """One pass over the sends due now: (claimed, sent)."""
        claimed = sent = 0
        now = self.clock.now()
        async with self.db.read() as conn:
            due = await store.pending(conn, until=now)
        for send in due:
            async with self.db.transaction() as conn:
                if not await store.claim(conn, send.id):
                    continue
            claimed += 1
            if now - send.due_at > self.grace:
                log.warning("send %s missed (due %s, now %s)", send.key, send.due_at, now)
                await self._finish(send, "missed")
                continue
            handler = self.handlers.get(send.kind)
            if handler is None:
                log.error("no handler for send kind %r (%s)", send.kind, send.key)
                await self._finish(send, "failed")
                continue
            try:
                await handler(send)
            except Exception:
                log.exception("send %s failed", send.key)
                await self._finish(send, "failed")
                continue
            await self._finish(send, "sent")
            sent += 1
        return claimed, sent

    async def _finish(self, send: store.Send, status: str) -> None:
        async with self.db.transaction() as conn:
            await store.finish(conn, send.id, status, self.clock.now())

    async def status_of(self, keys: list[str]) -> dict[str, str]:
        """The status of each send by key (for tests and reports)."""
        async with self.db.read() as conn:
            return {s.key: s.status for s in await store.by_keys(conn, keys)}


def clock_aware_apscheduler(clock: Clock) -> Callable[[], None]:
    """Make APScheduler read `clock` instead of the wall clock; returns the undo.

    APScheduler 3 calls `datetime.now` directly; the sandbox swaps that module-level name so
    its timers follow the test's clock, as `Route.BASE` is swapped for its REST calls.
    """
    import apscheduler.executors.base as executors_base
    import apscheduler.schedulers.base as schedulers_base

    class ClockDatetime(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> ClockDatetime:
            current = clock.now()
            value = current.astimezone(tz) if tz is not None else current.replace(tzinfo=None)
            return cls.fromtimestamp(value.timestamp(), value.tzinfo)

    saved = (schedulers_base.datetime, executors_base.datetime)
    schedulers_base.datetime = ClockDatetime
    executors_base.datetime = ClockDatetime

    def undo() -> None:
        schedulers_base.datetime, executors_base.datetime = saved

    return undo
