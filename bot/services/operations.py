"""Changes of several Discord steps that a restart cannot leave half-done.

A pairing round creates dozens of spaces, a swap changes two, ending an exchange archives every
one: each is one Discord call after another, and the process may stop between any two. So such
a change is written down (`operations`) before its first call, each step is recorded as it is
done (with the Discord ids of what it made), and the row is deleted in the transaction that
records the outcome. A row found at start-up belongs to a change cut short; its service then:

- undoes it, when the change gave students a place (a round, a swap): what it decided came
  from a roster that may have changed meanwhile, and a teacher whose command failed runs it
  again on a clean slate;
- finishes it, when it took access away (a removal, the end of an exchange, an erasure): its
  purpose still holds, and finishing it only closes doors.

Whoever changes an exchange's spaces holds `exclusive(exchange)`, which first settles what a
stopped process left there, so a new change never starts on top of a half-done one.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock
from bot.domain.shards import Scope
from bot.errors import UserError
from bot.services.scheduler import Rearm, SendError
from bot.store import Database, sends
from bot.store import operations as store
from bot.store.operations import OperationStatus

if TYPE_CHECKING:
    from bot.services.pairing import SpacePort

log = logging.getLogger(__name__)

# The scheduled send that tries again to settle an operation no process runs any more.
RECOVER_KIND = "operations.recover"
# How long such a send keeps being retried (passing failures: 30 s, 1, 2, 4, 8, then 10 min).
RECOVERY_WINDOW = timedelta(days=1)
RECOVERY_DELAY = timedelta(seconds=30)


class OperationKind(StrEnum):
    """The changes written down before they start."""

    CONFIRM = "pairing.confirm"
    SWAP = "pairing.swap"
    REMOVE = "pairing.remove"
    ROSTER_REMOVE = "roster.remove"
    END = "exchange.end"
    ERASE = "privacy.erase"


@dataclass(slots=True)
class Operation:
    """An operation as its service runs it: `steps` grows as `Journal.step` records them."""

    id: int
    guild_id: int
    exchange_id: int | None
    kind: str
    actor_id: int | None
    plan: dict[str, Any]
    steps: dict[str, Any] = field(default_factory=dict)
    status: OperationStatus = OperationStatus.RUNNING

    @classmethod
    def of(cls, record: store.OperationRecord) -> Operation:
        return cls(
            record.id,
            record.guild_id,
            record.exchange_id,
            record.kind,
            record.actor_id,
            record.plan,
            record.steps,
            record.status,
        )


# Settles one operation a stopped process left: finishes it or undoes it, and finishes the
# journal entry (`Journal.finish`) in the transaction that records the outcome.
Settle = Callable[[Operation, "SpacePort"], Awaitable[None]]
# The port for a guild (None: the server is unavailable, an outage).
PortFor = Callable[[int], Awaitable["SpacePort | None"]]


class Undo:
    """The steps of an undo: each is tried even when one before it failed (Discord refusing
    one space must not leave every other one changed). `check` then raises the first
    failure, so the operation is kept and tried again, skipping the steps recorded done."""

    def __init__(self) -> None:
        self.failures: list[Exception] = []

    @asynccontextmanager
    async def step(self, what: str) -> AsyncIterator[None]:
        try:
            yield
        except Exception as exc:
            log.warning("could not undo %s: %r", what, exc)
            self.failures.append(exc)

    def check(self) -> None:
        if self.failures:
            raise self.failures[0]


def passing_failure(exc: BaseException) -> None:
    """After undoing a change Discord failed for a moment (a 5xx): the person hears that and
    is asked to try again (a `UserError`), rather than a generic failure."""
    if isinstance(exc, SendError) and exc.transient:
        raise UserError("error.discord_failing") from exc


class OperationPendingError(UserError):
    """A change a stopped process left in this exchange could not be settled yet."""


class Journal:
    """Operations written down before their first Discord call, settled after a restart."""

    def __init__(self, db: Database, clock: Clock, scheduler: Rearm | None = None) -> None:
        self.db = db
        self.clock = clock
        self.scheduler = scheduler
        # This process: operations it runs carry it; any other owner is a process gone.
        self.owner = secrets.token_hex(8)
        # One change of an exchange's spaces at a time (None: changes across exchanges).
        self._locks: defaultdict[int | None, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._settlers: dict[str, Settle] = {}

    def settle_with(self, kind: str, settle: Settle) -> None:
        """Register how an operation of this kind is finished or undone after a restart."""
        self._settlers[kind] = settle

    # -- running one -------------------------------------------------------------------------

    @asynccontextmanager
    async def exclusive(
        self, guild_id: int, exchange_id: int | None, port: SpacePort
    ) -> AsyncIterator[None]:
        """Change this exchange's spaces alone (None: a change across the guild's exchanges),
        after settling what a stopped process left there."""
        async with self._locks[exchange_id]:
            await self._settle_left(guild_id, exchange_id, port)
            yield

    async def begin(
        self,
        kind: OperationKind,
        *,
        guild_id: int,
        exchange_id: int | None,
        actor_id: int | None,
        plan: Mapping[str, Any],
    ) -> Operation:
        """Write an operation down before its first Discord call."""
        async with self.db.transaction() as conn:
            operation_id = await store.begin(
                conn,
                guild_id=guild_id,
                exchange_id=exchange_id,
                kind=kind,
                owner=self.owner,
                actor_id=actor_id,
                plan=plan,
                now=self.clock.now(),
            )
        return Operation(operation_id, guild_id, exchange_id, kind, actor_id, dict(plan))

    async def step(self, operation: Operation, **done: Any) -> None:
        """Record steps (merged into what was recorded before), before or after their call."""
        operation.steps.update(done)
        async with self.db.transaction() as conn:
            await store.save_steps(conn, operation.id, operation.steps, self.clock.now())

    async def undoing(self, operation: Operation) -> None:
        """From now on the operation goes backwards: a restart goes on undoing it."""
        operation.status = OperationStatus.UNDOING
        async with self.db.transaction() as conn:
            await store.set_state(
                conn,
                operation.id,
                status=OperationStatus.UNDOING,
                owner=self.owner,
                now=self.clock.now(),
            )

    async def finish(self, conn: AsyncConnection, operation: Operation) -> None:
        """Done or undone (in the transaction that records it): the entry goes."""
        await store.finish(conn, operation.id)

    async def finished(self, operation: Operation) -> None:
        """`finish` in a transaction of its own (an undo records nothing else)."""
        async with self.db.transaction() as conn:
            await store.finish(conn, operation.id)

    async def abandon(self, operation: Operation, *, retry: bool = True) -> None:
        """This process cannot settle the operation now (Discord failing while undoing it):
        leave it to recovery, tried again shortly (`retry`) and at every start."""
        async with self.db.transaction() as conn:
            await store.set_state(
                conn, operation.id, status=operation.status, owner="", now=self.clock.now()
            )
        if retry:
            await self._plan_recovery(operation.id, operation.guild_id, operation.exchange_id)

    # -- settling what a stopped process left -------------------------------------------------

    async def _settle_left(self, guild_id: int, exchange_id: int | None, port: SpacePort) -> None:
        async with self.db.read() as conn:
            left = [
                o
                for o in await store.unfinished(conn, guild_id=guild_id, not_owner=self.owner)
                if o.exchange_id == exchange_id
            ]
        for record in left:
            if not await self._settle_one(record, port, retry=True):
                raise OperationPendingError("error.operation_pending")

    async def _settle_one(
        self, record: store.OperationRecord, port: SpacePort, *, retry: bool
    ) -> bool:
        """Finish or undo one operation left by another process; False if it failed (then
        it is left to recovery again, planned shortly when `retry`)."""
        now = self.clock.now()
        async with self.db.transaction() as conn:
            taken = await store.take_over(
                conn, record.id, owner=self.owner, was=record.owner, now=now
            )
        if not taken:
            return True  # settled meanwhile
        operation = Operation.of(record)
        settle = self._settlers.get(record.kind)
        try:
            if settle is None:
                raise LookupError(f"no way to settle an operation of kind {record.kind!r}")
            await settle(operation, port)
        except Exception:
            log.exception(
                "could not settle %s operation %d yet; it is tried again later",
                record.kind,
                record.id,
            )
            await self.abandon(operation, retry=retry)
            return False
        log.info("settled a %s operation a stop left (%d)", record.kind, record.id)
        return True

    async def recover(
        self,
        port_for: PortFor,
        *,
        only: int | None = None,
        retry: bool = True,
        scope: Scope | None = None,
    ) -> int:
        """Settle every operation a stopped process left (or only the one `only`), changes
        within one exchange before changes across exchanges; returns how many remain.

        With `scope`, only operations in its servers: another running process's operations
        are under way, not left (every process has its own owner token).

        One that fails (Discord failing, the server unavailable) is tried again shortly by a
        scheduled send when `retry`, and at every start.
        """
        async with self.db.read() as conn:
            left = await store.unfinished(conn, not_owner=self.owner)
        if only is not None:
            left = [o for o in left if o.id == only]
        if scope is not None:
            left = [o for o in left if scope.owns(o.guild_id)]
        # An erasure (across exchanges) finishes the removals it began inside them first.
        left.sort(key=lambda o: (o.exchange_id is None, o.id))
        remaining = 0
        for record in left:
            port = await port_for(record.guild_id)
            if port is None:
                # The server is unavailable (an outage).
                if retry:
                    await self._plan_recovery(record.id, record.guild_id, record.exchange_id)
                remaining += 1
                continue
            async with self._locks[record.exchange_id]:
                async with self.db.read() as conn:
                    fresh = await store.get(conn, record.id)
                if fresh is None or fresh.owner == self.owner:
                    continue
                if not await self._settle_one(fresh, port, retry=retry):
                    remaining += 1
        return remaining

    async def _plan_recovery(
        self, operation_id: int, guild_id: int, exchange_id: int | None
    ) -> None:
        now = self.clock.now()
        prefix = f"operations:recover:{operation_id}:"
        async with self.db.transaction() as conn:
            planned = await sends.with_prefix(conn, prefix)
            if any(p.status is sends.SendStatus.PENDING for p in planned):
                return  # one try is coming already
            await sends.plan(
                conn,
                key=f"{prefix}{now.isoformat()}",
                kind=RECOVER_KIND,
                due_at=now + RECOVERY_DELAY,
                guild_id=guild_id,
                partnership_id=exchange_id,
                payload={"operation": operation_id},
                expires_at=now + RECOVERY_WINDOW,
            )
        if self.scheduler is not None:
            self.scheduler.wake_by(now + RECOVERY_DELAY)

    async def left(self) -> list[store.OperationRecord]:
        """Every operation still written down (for tests and health)."""
        async with self.db.read() as conn:
            return await store.unfinished(conn)
