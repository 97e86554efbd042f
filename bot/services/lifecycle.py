"""Ending an exchange: its spaces become read-only, its sends stop, its retention period starts."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.domain.exchange import Exchange, Role
from bot.domain.pairing import PairStatus
from bot.errors import UserError
from bot.services import exchanges as exchange_service
from bot.services import pairing as pairing_service
from bot.services.access import Actor, require
from bot.services.audit import By, audit
from bot.services.operations import Journal, Operation, OperationKind, Undo, passing_failure
from bot.services.scheduler import Rearm
from bot.store import Database, roster, sends
from bot.store import exchanges as exchange_store
from bot.store import pairing as pairing_store
from bot.store.operations import OperationStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EndPreview:
    """What ending an exchange will do, shown before the coordinator confirms."""

    exchange: Exchange
    live_pairs: int
    students: int
    prune_at: datetime


@dataclass(frozen=True, slots=True)
class Ended:
    exchange: Exchange
    archived: int
    cancelled_sends: int
    prune_at: datetime


class LifecycleService:
    """Ending an exchange (coordinators): its spaces are archived, its sends cancelled."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        scheduler: Rearm,
        retention_days: int,
        journal: Journal | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.scheduler = scheduler
        self.retention_days = retention_days
        # Archiving every space is many Discord calls: written down first, so a restart in
        # the middle finishes the end at the next start.
        self.journal = journal or Journal(db, clock, scheduler)
        self.journal.settle_with(OperationKind.END, self._settle_end)

    async def end_preview(self, actor: Actor, exchange_id: int | None) -> EndPreview:
        """What `/exchange end` would change (coordinators only)."""
        await require(self.db, actor, {"coordinator"})
        exchange = await exchange_service.get(self.db, actor.guild_id, exchange_id)
        async with self.db.read() as conn:
            live = await pairing_store.live_pairs(conn, exchange.id)
            students = await roster.listing(conn, exchange.id, role=Role.STUDENT)
        return EndPreview(
            exchange,
            len(live),
            len(students),
            self.clock.now() + timedelta(days=self.retention_days),
        )

    async def end(
        self,
        actor: Actor,
        exchange_id: int,
        port: pairing_service.SpacePort,
    ) -> Ended:
        """End an exchange (coordinators only): archive its pairs, cancel its pending sends.

        Its data stays readable for reports until the retention period has passed, then the daily
        pruning anonymises everyone in it. Discord first: if it refuses, the spaces archived
        are opened again, nothing is stored and the exchange goes on as before; a restart in
        the middle finishes the end at the next start.
        """
        await require(self.db, actor, {"coordinator"})
        # One change of an exchange's spaces at a time: two coordinators (or a double click)
        # confirming together end it once, and the other is told it has ended (`_end` checks
        # inside, after an end a stop left has been finished).
        async with self.journal.exclusive(actor.guild_id, exchange_id, port):
            return await self._end(actor, exchange_id, port)

    async def _end(self, actor: Actor, exchange_id: int, port: pairing_service.SpacePort) -> Ended:
        async with self.db.read() as conn:
            active = await exchange_store.get_exchange(conn, actor.guild_id, exchange_id)
            ever = await exchange_store.get_exchange(
                conn, actor.guild_id, exchange_id, with_ended=True
            )
        if active is None and ever is not None:
            # Ended a moment ago (the same confirmation pressed twice, or by someone else).
            raise UserError("error.exchange_already_ended", name=ever.name)
        exchange = await exchange_service.get(self.db, actor.guild_id, exchange_id)
        async with self.db.read() as conn:
            live = await pairing_store.live_pairs(conn, exchange.id)
        await pairing_service.check_spaces(self.db, port, exchange.id, live)
        operation = await self.journal.begin(
            OperationKind.END,
            guild_id=actor.guild_id,
            exchange_id=exchange.id,
            actor_id=actor.user_id,
            plan={"pairs": [p.id for p in live]},
        )
        try:
            archived, cancelled = await self._finish_end(operation, port)
        except BaseException as exc:
            try:
                await self._undo_end(operation, port)
            except Exception:
                log.exception("could not open again the spaces of a failed end")
                await self.journal.abandon(operation)
            passing_failure(exc)
            raise
        return Ended(
            exchange, archived, cancelled, self.clock.now() + timedelta(days=self.retention_days)
        )

    async def _settle_end(self, operation: Operation, port: pairing_service.SpacePort) -> None:
        if operation.status is OperationStatus.UNDOING:
            await self._undo_end(operation, port)
        else:
            await self._finish_end(operation, port)

    async def _finish_end(
        self, operation: Operation, port: pairing_service.SpacePort
    ) -> tuple[int, int]:
        """Archive every live pair's space not archived yet, then record the end."""
        assert operation.exchange_id is not None
        exchange_id = operation.exchange_id
        async with self.db.read() as conn:
            live = await pairing_store.live_pairs(conn, exchange_id)
        await pairing_service.archive_recorded(
            self.journal, self.db, operation, exchange_id, live, port
        )
        now = self.clock.now()
        async with self.db.transaction() as conn:
            for pair in live:
                await pairing_store.set_status(conn, pair.id, PairStatus.ARCHIVED, now)
                if pair.status is PairStatus.PAUSED:
                    await pairing_store.close_pause(conn, pair.id, now)
            cancelled = await sends.cancel_exchange(conn, exchange_id, now)
            # Renamed once the pairs are stored archived (`plan_labels`); archiving does not.
            await pairing_service.plan_labels(conn, operation.guild_id, live, now)
            await exchange_store.end_exchange(conn, exchange_id, now)
            await audit(
                conn,
                By(operation.guild_id, operation.actor_id),
                "exchange.ended",
                at=now,
                exchange_id=exchange_id,
                archived=len(live),
                cancelled_sends=cancelled,
            )
            await self.journal.finish(conn, operation)
        await self.scheduler.rearm()  # its cancelled sends no longer wake the bot
        return len(live), cancelled

    async def _undo_end(self, operation: Operation, port: pairing_service.SpacePort) -> None:
        if operation.status is not OperationStatus.UNDOING:
            await self.journal.undoing(operation)
        undo = Undo()
        await pairing_service.reopen_recorded(self.journal, self.db, operation, port, undo)
        undo.check()
        await self.journal.finished(operation)
