"""Timed work (reminders, session posts, chess deadlines) with the database as the truth.

Every send is a row in `scheduled_sends` with a stable key. APScheduler only wakes the bot
when the earliest pending send falls due; `run_due` then claims each due row atomically, so
two wake-ups at once, a reconnect or a restart never run a send twice side by side, and a
restart loses none.

Late sends: a send whose time passed while the bot was down is still done until its latest
useful time (`expires_at`, e.g. a session's start until the session ends), or within the grace
window after its due time when it has none; otherwise it is recorded as missed.

Failures: a handler that fails for a passing reason (Discord answered 5xx, the network, the
server briefly unavailable: `RetryLaterError`, or what `classify` calls transient) is tried again
with growing pauses (at least as long as a rate limit asks) while the send is still useful;
any other failure (403/404: the channel is gone or closed to the bot) is recorded as failed
with its reason and never retried blindly, since Discord bans a bot after 10,000 invalid
requests in 10 minutes.

Delivery is at least once, not exactly once: a send is "sending" from its claim until its
outcome is committed. If the process dies in that window (after Discord accepted a post and
before the commit), the send is done again at the next start (`reset_interrupted`). Handlers
keep that repeat harmless where they can (session posts carry a nonce Discord enforces for a
few minutes; prompts and check-in posts are recorded per occurrence and pair).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.clock import Clock
from bot.domain.shards import Scope
from bot.metrics import Metrics
from bot.store import Database
from bot.store import sends as store
from bot.store.engine import background

log = logging.getLogger(__name__)

Handler = Callable[[store.Send], Awaitable[None]]
# Start-up work is given the sends this process does: with several processes, each settles
# and plans only its own servers' (and work of no server only while it leads).
StartHook = Callable[[Scope], Awaitable[None]]
LeadHook = Callable[[], Awaitable[bool]]
JOB_ID = "twinbridge-next-send"
# Rounds of one run: sends planned by handlers and due at once are done in the same run.
MAX_ROUNDS = 20
# Sends of a fan-out kind done at the same time: enough to keep Discord's 50 posts a second
# busy while each send reads and writes the database (bench/bench_fanout.py), few enough for
# SQLite's one writer.
FAN_OUT_WORKERS = 8
# Sends of a fan-out claimed in one transaction, and recorded done in one (see `_together`).
FAN_OUT_CLAIM = 50
# Pauses between tries of a send that failed for a passing reason: 30 s, 1, 2, 4, 8, then 10 min.
FIRST_PAUSE = timedelta(seconds=30)
LONGEST_PAUSE = timedelta(minutes=10)
MAX_ATTEMPTS = 10
# Keys per statement when reading sends by key (well under SQLite's bound-parameter limit).
KEYS_PER_READ = 500
# Added to the wait a rate limit asks for (see `asked_wait`).
RATE_LIMIT_MARGIN = timedelta(seconds=1)


class Rearm(Protocol):
    """The scheduler as use cases see it: re-read the sends after planning or cancelling some,
    or be told when a send just planned falls due; and since when it has been doing them on
    time (None: not yet)."""

    @property
    def up_since(self) -> datetime | None: ...

    async def rearm(self) -> None: ...

    def wake_by(self, when: datetime) -> None: ...


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of sends a command planned and tried at once."""

    done: int = 0
    later: int = 0  # Discord failed for a moment: tried again shortly
    failed: int = 0  # refused (the space is gone or closed to the bot), or no longer useful

    @classmethod
    def of(cls, statuses: Mapping[str, store.SendStatus]) -> Outcome:
        values = list(statuses.values())
        done = sum(1 for s in values if s is store.SendStatus.SENT)
        later = sum(1 for s in values if s in (store.SendStatus.PENDING, store.SendStatus.SENDING))
        return cls(done, later, len(values) - done - later)


class Sender(Rearm, Protocol):
    """The scheduler as a use case that plans posts sees it: it may also do them at once."""

    async def run_now(self, keys: Sequence[str]) -> dict[str, store.SendStatus]: ...


class SendError(Exception):
    """A failure a handler (or the port it uses) explains: `transient` ones are retried."""

    transient = False

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RetryLaterError(SendError):
    """It may work in a moment: Discord answered 5xx, the server is briefly unavailable, or
    Discord asked to wait `retry_after` seconds (a rate limit), which the next try respects."""

    transient = True

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class UndeliverableError(SendError):
    """It will not work by trying again: the channel is gone or closed to the bot."""


# (transient, reason) for an exception a handler raised.
Classifier = Callable[[Exception], tuple[bool, str]]


def classify(exc: Exception) -> tuple[bool, str]:
    """The default reading of a handler's failure; the bot adds Discord's (bot/app.py)."""
    if isinstance(exc, SendError):
        return exc.transient, exc.reason
    if isinstance(exc, (TimeoutError, ConnectionError)):
        return True, f"network: {exc!r}"
    return False, f"{type(exc).__name__}: {exc}"


def pause_after(attempts: int) -> timedelta:
    """How long to wait before the next try, after `attempts` failed ones (1, 2, …)."""
    pause: timedelta = FIRST_PAUSE * 2 ** max(attempts - 1, 0)
    return min(pause, LONGEST_PAUSE)


def asked_wait(exc: Exception) -> timedelta:
    """How long the failure itself asks to wait (Discord's `retry_after` on a rate limit,
    carried by `RetryLaterError` and `discord.RateLimited` alike); zero when it does not say.
    Trying sooner would only meet another 429, which Discord counts against the bot."""
    seconds = getattr(exc, "retry_after", None)
    if not isinstance(seconds, (int, float)):
        return timedelta(0)
    # A moment more: Discord counts from when it answered, and the clocks differ a little.
    return timedelta(seconds=seconds) + RATE_LIMIT_MARGIN


class Scheduler:
    """Runs the handler of each due send once per claim, retrying passing failures."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        grace: timedelta,
        *,
        classify: Classifier = classify,
        metrics: Metrics | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.grace = grace
        self.classify = classify
        self.metrics = metrics
        self.handlers: dict[str, Handler] = {}
        self.fan_out_kinds: set[str] = set()
        self._start_hooks: list[StartHook] = []
        self._aps: AsyncIOScheduler | None = None
        self._lock = asyncio.Lock()
        # When the wake-up job is set to run (None: no job), and a count of the calls that
        # set it, so that a re-arm that read the sends before another call set it keeps the
        # earlier of the two times (waking early is harmless; waking late misses a send).
        self._armed: datetime | None = None
        self._arming = 0
        # When this process began doing sends on time; None until `start`. A send due before
        # it fell due while the bot was down (or starting).
        self.up_since: datetime | None = None
        # Whose sends this process does: every one, unless several processes share the
        # shards (`share`).
        self.shards = Scope()
        self._lead: LeadHook | None = None

    def share(self, shards: Scope, lead: LeadHook) -> None:
        """Do only the sends of servers on `shards`, and those of no server while `lead()`
        says this process leads (asked at every wake-up: the lead passes to another
        process when its holder dies)."""
        self.shards = shards
        self._lead = lead

    async def scope(self) -> Scope:
        """The sends this process does now (it may have just taken the lead)."""
        if self._lead is None:
            return self.shards
        was = self.shards.no_guild
        leads = await self._lead()
        self.shards = self.shards.leading(leads)
        if leads and not was and self.up_since is not None:
            # The lead came from a process that died: what it left half-done is done again.
            async with self.db.transaction() as conn:
                await store.reset_interrupted(conn, Scope(self.shards.shard_count, frozenset()))
        return self.shards

    def handle(self, kind: str, handler: Handler, *, fan_out: bool = False) -> None:
        """Register what to do for sends of this kind.

        `fan_out` kinds (one post per channel, independent of each other) due together are
        done several at a time; every other kind strictly one after another, in due order.
        """
        self.handlers[kind] = handler
        if fan_out:
            self.fan_out_kinds.add(kind)

    def at_start(self, hook: StartHook) -> None:
        """Register work for start-up that must come before the sends that fell due while the
        bot was down (chess gives games the outage caught a fair new deadline first). The hook
        is given this process's `Scope` and leaves other processes' servers alone."""
        self._start_hooks.append(hook)

    async def start(self) -> None:
        """Rebuild the schedule from the database and start waking up for it."""
        # Background work: a writers' lock another process holds is waited out, never a
        # failed start (bot.store.engine's policy).
        with background():
            await self._start()

    async def _start(self) -> None:
        self.up_since = self.clock.now()
        scope = await self.scope()
        async with self.db.transaction() as conn:
            interrupted = await store.reset_interrupted(conn, scope)
        if interrupted:
            log.warning("%d sends were interrupted by a stop; they will be retried", interrupted)
        for hook in self._start_hooks:
            try:
                await hook(scope)
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
        self._armed = None

    @property
    def armed(self) -> datetime | None:
        """When the wake-up timer goes off next (None: no timer set)."""
        return self._armed

    async def rearm(self) -> None:
        """Point the wake-up timer at the earliest pending send (after any change).

        Reads that one time only, not the sends themselves.
        """
        if self._aps is None:
            return
        self._arming += 1
        seen = self._arming
        scope = await self.scope()
        async with self.db.read() as conn:
            due = await store.next_due(conn, scope)
        if self._arming != seen and self._armed is not None:
            # Set meanwhile by a call that may know of a send this read did not see.
            due = self._armed if due is None else min(due, self._armed)
        self._arm(due)

    def wake_by(self, when: datetime) -> None:
        """A send due at `when` was just committed: make sure the timer goes off by then.

        No database read: the timer only moves earlier. Sends cancelled meanwhile need no
        re-arm either: a wake-up that finds nothing due re-arms from the database.
        """
        if self._aps is None:
            return
        self._arming += 1
        if self._armed is None or when < self._armed:
            self._arm(when)

    def _arm(self, due: datetime | None) -> None:
        assert self._aps is not None
        self._armed = due
        if due is None:
            if self._aps.get_job(JOB_ID) is not None:
                self._aps.remove_job(JOB_ID)
            return
        self._aps.add_job(
            self._wake,
            "date",
            run_date=due,
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
        self._armed = None  # the job has gone off: a `wake_by` now must set a new one
        await self.run_due()

    async def run_due(self) -> int:
        """Do every send that is due now; returns how many were done."""
        # Nobody waits on a scheduled send's answer: its writes wait out a busy lock.
        with background():
            return await self._run_due()

    async def _run_due(self) -> int:
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

    async def run_now(self, keys: Sequence[str]) -> dict[str, store.SendStatus]:
        """Do these sends now, several at a time (a command that just planned them, and
        answers with what became of them); returns each one's status after.

        They stay ordinary sends: one another wake-up claimed first is done by it, and a
        passing failure leaves its send pending, tried again later like any other.
        """
        now = self.clock.now()
        found: list[store.Send] = []
        async with self.db.read() as conn:
            for start in range(0, len(keys), KEYS_PER_READ):
                chunk = keys[start : start + KEYS_PER_READ]
                found += [
                    s
                    for s in await store.by_keys(conn, chunk)
                    if s.status is store.SendStatus.PENDING and s.due_at <= now
                ]
        found.sort(key=lambda s: (s.due_at, s.id))
        await self._together(found, now)
        statuses = await self._statuses(keys)
        if store.SendStatus.SENDING in statuses.values():
            # A wake-up claimed some first: its run ends with them (handlers never run this).
            async with self._lock:
                pass
            statuses = await self._statuses(keys)
        await self.rearm()  # retries planned meanwhile
        return statuses

    async def _statuses(self, keys: Sequence[str]) -> dict[str, store.SendStatus]:
        statuses: dict[str, store.SendStatus] = {}
        async with self.db.read() as conn:
            for start in range(0, len(keys), KEYS_PER_READ):
                chunk = keys[start : start + KEYS_PER_READ]
                statuses.update({s.key: s.status for s in await store.by_keys(conn, chunk)})
        return statuses

    def deadline(self, send: store.Send) -> datetime:
        """The latest time a send is still worth doing."""
        return send.expires_at or send.due_at + self.grace

    async def _round(self) -> tuple[int, int]:
        """One pass over the sends due now: (claimed, sent)."""
        now = self.clock.now()
        scope = await self.scope()
        async with self.db.read() as conn:
            due = await store.pending(conn, until=now, scope=scope)
        outcomes: list[tuple[bool, bool]] = []
        batch: list[store.Send] = []
        for send in due:
            if send.kind in self.fan_out_kinds:
                batch.append(send)
                continue
            outcomes += await self._together(batch, now)
            batch = []
            outcomes.append(await self._do(send, now))
        outcomes += await self._together(batch, now)
        return sum(c for c, _ in outcomes), sum(s for _, s in outcomes)

    async def _together(self, sends: list[store.Send], now: datetime) -> list[tuple[bool, bool]]:
        """Do a fan-out's sends, FAN_OUT_WORKERS at a time.

        FAN_OUT_CLAIM sends are claimed in one transaction and those done recorded in one:
        two writes per send would take the writers' lock (one for every process on
        PostgreSQL) four thousand times for a fan-out to 2,000 spaces (bench/bench_shards.py).
        A stop in the middle repeats at most one slice's posts at the next start (delivery is
        at least once, as for a single send).
        """
        slots = asyncio.Semaphore(FAN_OUT_WORKERS)
        outcomes: list[tuple[bool, bool]] = []
        for start in range(0, len(sends), FAN_OUT_CLAIM):
            outcomes += await self._slice(sends[start : start + FAN_OUT_CLAIM], now, slots)
        return outcomes

    async def _slice(
        self, sends: list[store.Send], now: datetime, slots: asyncio.Semaphore
    ) -> list[tuple[bool, bool]]:
        """One slice of a fan-out: claimed together, done `slots` at a time, recorded."""
        async with self.db.transaction() as conn:
            claimed = await store.claim_many(conn, [s.id for s in sends])
        sent: list[int] = []

        async def one(send: store.Send) -> tuple[bool, bool]:
            if send.id not in claimed:
                return False, False
            async with slots:
                return await self._run(send, now, sent)

        outcomes = await asyncio.gather(*(one(send) for send in sends))
        if sent:
            async with self.db.transaction() as conn:
                await store.finish_many(conn, sent, store.SendStatus.SENT, self.clock.now())
        return list(outcomes)

    async def _do(self, send: store.Send, now: datetime) -> tuple[bool, bool]:
        """Claim one send and run its handler: (claimed, sent)."""
        async with self.db.transaction() as conn:
            if not await store.claim(conn, send.id):
                return False, False
        return await self._run(send, now)

    async def _run(
        self, send: store.Send, now: datetime, sent: list[int] | None = None
    ) -> tuple[bool, bool]:
        """Run a claimed send's handler and record how it ended: (True, sent). With `sent`,
        a send done is added to it instead (the caller records those at once)."""
        if now > self.deadline(send):
            log.warning("send %s missed (due %s, now %s)", send.key, send.due_at, now)
            await self._finish(send, store.SendStatus.MISSED)
            return True, False
        handler = self.handlers.get(send.kind)
        if handler is None:
            log.error("no handler for send kind %r (%s)", send.kind, send.key)
            await self._finish(send, store.SendStatus.FAILED, f"no handler for {send.kind}")
            return True, False
        try:
            await handler(send)
        except Exception as exc:
            await self._failed(send, exc, now)
            return True, False
        if sent is not None:
            sent.append(send.id)
        else:
            await self._finish(send, store.SendStatus.SENT)
        return True, True

    async def _failed(self, send: store.Send, exc: Exception, now: datetime) -> None:
        """Try a passing failure again while the send is useful; record any other."""
        transient, reason = self.classify(exc)
        if not transient:
            if isinstance(exc, SendError):
                log.warning("send %s failed: %s", send.key, reason)
            else:
                log.error("send %s failed", send.key, exc_info=exc)
            await self._finish(send, store.SendStatus.FAILED, reason)
            return
        attempts = send.attempts + 1
        again = now + max(pause_after(attempts), asked_wait(exc))
        deadline = self.deadline(send)
        if again > deadline or attempts >= MAX_ATTEMPTS:
            log.warning("send %s failed %d times, giving up: %s", send.key, attempts, reason)
            await self._finish(
                send, store.SendStatus.FAILED, f"gave up after {attempts} tries: {reason}"
            )
            return
        log.warning("send %s failed (try %d), again at %s: %s", send.key, attempts, again, reason)
        if self.metrics is not None:
            self.metrics.sends_retried.labels(kind=send.kind).inc()
        async with self.db.transaction() as conn:
            await store.retry(conn, send.id, at=again, expires_at=deadline, error=reason)

    async def _finish(
        self, send: store.Send, status: store.SendStatus, error: str | None = None
    ) -> None:
        if status is store.SendStatus.FAILED and self.metrics is not None:
            self.metrics.sends_failed.labels(kind=send.kind).inc()
        async with self.db.transaction() as conn:
            await store.finish(conn, send.id, status, self.clock.now(), error)

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
