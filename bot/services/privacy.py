"""A student's data: export it, erase it, and prune ended exchanges after the retention period.

All three read the map of personal columns in `bot.store.personal`, so tables added by later
features are covered as soon as they are declared there.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from bot.clock import Clock
from bot.domain.exchange import Role
from bot.errors import NotFoundError
from bot.services.access import Actor, require
from bot.services.activity_writer import ActivityWriter
from bot.services.operations import Journal, Operation, OperationKind
from bot.services.pairing import SpacePort
from bot.services.roster import RosterService
from bot.services.scheduler import Rearm
from bot.store import Database, personal, roster, sends
from bot.store import activity as activity_log
from bot.store import exchanges as exchange_store

log = logging.getLogger(__name__)

COORDINATORS = {"coordinator"}

RETENTION_KIND = "privacy.retention"
# The daily pruning runs at a quiet hour for both the Americas and the Middle East.
RETENTION_AT = time(3, 0)
# Scheduled sends belong to a guild; pruning covers every guild, so it names none.
NO_GUILD = 0


@dataclass(frozen=True, slots=True)
class Export:
    """One person's data as a JSON document."""

    user_id: int
    data: bytes
    rows: int
    tables: int

    @property
    def filename(self) -> str:
        return f"twinbridge-data-{self.user_id}.json"


@dataclass(frozen=True, slots=True)
class ErasePreview:
    """What an erasure would change, shown before the coordinator confirms."""

    user_id: int
    names: tuple[str, ...]
    counts: dict[str, int]
    # Exchanges in which they are still a student: erasing takes them off those rosters and
    # out of their paired spaces too.
    enrolled: int = 0

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class Erased:
    """What an erasure changed."""

    rows: dict[str, int]
    left_spaces: tuple[int, ...] = ()  # paired spaces the person no longer sees
    ended_spaces: tuple[int, ...] = ()  # of those, pairs that ended with them (read-only now)


@dataclass(frozen=True, slots=True)
class Pruned:
    exchange_id: int
    people: int
    rows: dict[str, int]


def _next_run(after: datetime) -> datetime:
    return datetime.combine(after.date() + timedelta(days=1), RETENTION_AT, after.tzinfo)


class PrivacyService:
    """Export and erasure of one person's data (coordinators); pruning of ended exchanges."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        scheduler: Rearm,
        writer: ActivityWriter,
        retention_days: int,
        *,
        roster: RosterService | None = None,
        journal: Journal | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.scheduler = scheduler
        # Export and erasure flush it first: events still queued belong to the person too.
        self.writer = writer
        self.retention_days = retention_days
        self.journal = journal or Journal(db, clock, scheduler)
        # An erasure takes a student off each roster as /roster remove does.
        self.roster = roster or RosterService(db, clock, scheduler, self.journal)
        self.journal.settle_with(OperationKind.ERASE, self._settle_erase)

    async def export_person(self, actor: Actor, user_id: int, names: Sequence[str] = ()) -> Export:
        """Everything stored about one person in this server, as JSON (coordinators only).

        Activity events still queued in the batched writer are written first, so the export
        holds them too.
        """
        await require(self.db, actor, COORDINATORS)
        await self.writer.flush()
        person = personal.Person(actor.guild_id, user_id, tuple(names))
        now = self.clock.now()
        async with self.db.transaction() as conn:
            found = await personal.export(conn, person)
            rows = sum(len(r) for r in found.values())
            if rows == 0:
                raise NotFoundError("error.nothing_stored")
            await activity_log.append(
                conn,
                at=now,
                guild_id=actor.guild_id,
                actor_id=actor.user_id,
                kind="privacy.exported",
                details={"subject_id": user_id, "rows": rows},
            )
        document: dict[str, Any] = {
            "about": (
                "Everything Twinbridge stores about one person in this server, table by table. "
                "Messages written on Discord are not stored by Twinbridge and are not included."
            ),
            "user_id": str(user_id),
            "guild_id": str(actor.guild_id),
            "exported_at": now.isoformat(),
            "exported_by": str(actor.user_id),
            "tables": found,
        }
        data = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
        return Export(user_id, data, rows, sum(1 for r in found.values() if r))

    async def _enrolled(self, guild_id: int, user_id: int) -> list[int]:
        """The running exchanges where this person is a student not yet removed."""
        async with self.db.read() as conn:
            running = {e.id for e in await exchange_store.exchanges_in(conn, guild_id)}
            mine = await roster.of_user(conn, guild_id, user_id)
        return [
            p.partnership_id for p in mine if p.role is Role.STUDENT and p.partnership_id in running
        ]

    async def erase_preview(self, actor: Actor, user_id: int, names: Sequence[str]) -> ErasePreview:
        """How many rows of which tables hold this person (coordinators only)."""
        await require(self.db, actor, COORDINATORS)
        await self.writer.flush()
        person = personal.Person(actor.guild_id, user_id, tuple(names))
        async with self.db.read() as conn:
            counts = await personal.count_about(conn, person)
            known = await personal.known_names(conn, person)
        if not counts:
            raise NotFoundError("error.nothing_stored")
        enrolled = await self._enrolled(actor.guild_id, user_id)
        return ErasePreview(user_id, known, counts, len(enrolled))

    async def erase_person(
        self, actor: Actor, user_id: int, names: Sequence[str], port: SpacePort
    ) -> Erased:
        """Remove one person from every table; rows stay as anonymous counts (coordinators
        only).

        A student still on a roster is first removed from it as `/roster remove` does: they
        lose access to their paired space at once (a pair left without both cities ends,
        read-only), so nothing they write later is theirs in the log. The batched activity
        writer is flushed and held while the rows are scrubbed, and events still queued about
        them lose their id: nothing with their id lands after the erasure. The log of the
        erasure names who erased and how many rows changed, never whom. It is written down
        before it starts: a restart in the middle finishes it at the next start.
        """
        await require(self.db, actor, COORDINATORS)
        async with self.journal.exclusive(actor.guild_id, None, port):
            operation = await self.journal.begin(
                OperationKind.ERASE,
                guild_id=actor.guild_id,
                exchange_id=None,
                actor_id=actor.user_id,
                plan={"user": user_id, "names": list(names)},
            )
            try:
                return await self._finish_erase(operation, port)
            except Exception:
                # Removals already done stay done (each is a change of its own); nothing was
                # erased, and the coordinator is told it failed.
                await self.journal.finished(operation)
                raise

    async def _finish_erase(self, operation: Operation, port: SpacePort) -> Erased:
        """Off every roster the person is still on, then every row scrubbed (resumed as is
        after a restart: a removal done before it is not done again)."""
        guild_id = operation.guild_id
        user_id = int(operation.plan["user"])
        left: list[int] = operation.steps.setdefault("left", [])
        ended: list[int] = operation.steps.setdefault("ended", [])
        for exchange_id in await self._enrolled(guild_id, user_id):
            removal = await self.roster.remove_for_erasure(
                guild_id, exchange_id, user_id, operation.actor_id, port
            )
            if removal is not None and removal.space_id is not None:
                left.append(removal.space_id)
                if removal.pair_ends:
                    ended.append(removal.space_id)
                await self.journal.step(operation, left=left, ended=ended)
        person = personal.Person(guild_id, user_id, tuple(operation.plan.get("names", ())))
        now = self.clock.now()
        async with self.writer.quiet():
            async with self.db.transaction() as conn:
                changed = await personal.erase(conn, person)
                if not changed:
                    raise NotFoundError("error.nothing_stored")
                await activity_log.append(
                    conn,
                    at=now,
                    guild_id=guild_id,
                    actor_id=operation.actor_id,
                    kind="privacy.erased",
                    details={"rows": changed, "spaces_left": len(left)},
                )
                await self.journal.finish(conn, operation)
            self.writer.forget(user_id)
        return Erased(changed, tuple(left), tuple(ended))

    async def _settle_erase(self, operation: Operation, port: SpacePort) -> None:
        try:
            await self._finish_erase(operation, port)
        except NotFoundError:
            await self.journal.finished(operation)  # nothing left to erase

    async def prune_expired(self) -> list[Pruned]:
        """Anonymise everyone in exchanges that ended more than the retention period ago.

        One short transaction per person keeps the database free for everyone else while a
        large exchange is pruned; the exchange is marked pruned only when all its people are
        done, so a crash halfway leaves the rest for the next run (already pseudonymised ids
        are skipped).
        """
        now = self.clock.now()
        cutoff: datetime = now - timedelta(days=self.retention_days)
        async with self.db.read() as conn:
            due = await exchange_store.due_for_pruning(conn, cutoff)
        done = []
        for exchange_id, guild_id in due:
            async with self.db.read() as conn:
                people = await personal.people_of_exchange(conn, exchange_id)
            totals: Counter[str] = Counter()
            for user_id in sorted(people):
                async with self.db.transaction() as conn:
                    person = personal.Person(guild_id, user_id, exchange_id=exchange_id)
                    totals.update(await personal.erase(conn, person))
            async with self.db.transaction() as conn:
                await exchange_store.mark_pruned(conn, exchange_id, now)
                await activity_log.append(
                    conn,
                    at=now,
                    guild_id=guild_id,
                    partnership_id=exchange_id,
                    kind="privacy.pruned",
                    details={
                        "people": len(people),
                        "rows": dict(totals),
                        "days": self.retention_days,
                    },
                )
            log.info(
                "pruned exchange %d: %d people, %d rows", exchange_id, len(people), totals.total()
            )
            done.append(Pruned(exchange_id, len(people), dict(totals)))
        return done

    async def _plan_pruning(self, when: datetime) -> None:
        async with self.db.transaction() as conn:
            # One key per day: planning again (a restart) never doubles a day's run.
            await sends.plan(
                conn,
                key=f"privacy:retention:{when.date().isoformat()}",
                kind=RETENTION_KIND,
                due_at=when,
                guild_id=NO_GUILD,
            )

    async def plan_daily_pruning(self) -> None:
        """At start-up: a run today (now, unless one already ran today) and tomorrow's.

        Planning tomorrow's here too keeps the daily chain going even if today's was missed
        while the bot was down. The scheduler is told, so today's run is not left waiting.
        """
        now = self.clock.now()
        await self._plan_pruning(now)
        await self._plan_pruning(_next_run(now))
        await self.scheduler.rearm()

    async def daily_pruning(self) -> list[Pruned]:
        """The daily job: prune what is due, then plan tomorrow's run."""
        done = await self.prune_expired()
        await self._plan_pruning(_next_run(self.clock.now()))
        return done
