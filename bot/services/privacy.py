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
from bot.services.audit import By, audit
from bot.services.erasure_journal import EXCHANGE, PERSON, ErasureJournal, JournalError
from bot.services.operations import Journal, Operation, OperationKind
from bot.services.pairing import SpacePort
from bot.services.roster import RosterService
from bot.services.scheduler import Rearm
from bot.store import Database, personal, roster, sends
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


@dataclass(frozen=True, slots=True)
class Reapplied:
    """Erasures and prunings done again on a restored database."""

    people: int  # people found and erased again
    exchanges: int  # exchanges pruned again
    rows: int  # rows changed in all


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
        journal: ErasureJournal | None = None,
        *,
        roster: RosterService | None = None,
        operations: Journal | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.scheduler = scheduler
        # Export and erasure flush it first: events still queued belong to the person too.
        self.writer = writer
        self.retention_days = retention_days
        # Erasures and prunings are journalled so that restoring a backup does them again
        # (None: a database without a file, whose backups cannot be restored anyway).
        self.journal = journal
        # An erasure is written down before it starts (`bot.services.operations`, not to be
        # confused with the erasure journal above), so a restart finishes it.
        self.operations = operations or Journal(db, clock, scheduler)
        # An erasure takes a student off each roster as /roster remove does.
        self.roster = roster or RosterService(db, clock, scheduler, self.operations)
        self.operations.settle_with(OperationKind.ERASE, self._settle_erase)

    async def export_person(self, actor: Actor, user_id: int, names: Sequence[str] = ()) -> Export:
        """Everything stored about one person in this server, as JSON (coordinators only).

        Activity events still queued in the batched writer are written first, so the export
        holds them too.
        """
        await require(self.db, actor, COORDINATORS)
        return await self._export(
            actor.guild_id, user_id, names, by=str(actor.user_id), actor_id=actor.user_id
        )

    async def operator_export(
        self, guild_id: int, user_id: int, operator: str, names: Sequence[str] = ()
    ) -> Export:
        """The same export on the command line (`python -m bot privacy-export`), for one too
        large for Discord: no Discord user asks, so the OS account stands in, in the log too."""
        by = f"command line: {operator}"[:100]
        return await self._export(guild_id, user_id, names, by=by, actor_id=None)

    async def _export(
        self,
        guild_id: int,
        user_id: int,
        names: Sequence[str],
        *,
        by: str,
        actor_id: int | None,
    ) -> Export:
        await self.writer.flush()
        person = personal.Person(guild_id, user_id, tuple(names))
        now = self.clock.now()
        async with self.db.transaction() as conn:
            found = await personal.export(conn, person)
            rows = sum(len(r) for r in found.values())
            if rows == 0:
                raise NotFoundError("error.nothing_stored")
            details: dict[str, Any] = {"subject_id": user_id, "rows": rows}
            if actor_id is None:
                details["via"] = by
            await audit(conn, By(guild_id, actor_id), "privacy.exported", at=now, **details)
        document: dict[str, Any] = {
            "about": (
                "Everything Twinbridge stores about one person in this server, table by table. "
                "Messages written on Discord are not stored by Twinbridge and are not included."
            ),
            "user_id": str(user_id),
            "guild_id": str(guild_id),
            "exported_at": now.isoformat(),
            "exported_by": by,
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
        erasure names who erased and how many rows changed, never whom. Then no file of the
        database keeps their words: the write-ahead log is checkpointed and emptied. It is
        written down before it starts: a restart in the middle finishes it at the next start.
        """
        await require(self.db, actor, COORDINATORS)
        async with self.operations.exclusive(actor.guild_id, None, port):
            operation = await self.operations.begin(
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
                await self.operations.finished(operation)
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
                await self.operations.step(operation, left=left, ended=ended)
        person = personal.Person(guild_id, user_id, tuple(operation.plan.get("names", ())))
        now = self.clock.now()
        if self.journal is not None:
            await self.journal.person_erased(guild_id, user_id, now)
        async with self.writer.quiet():
            async with self.db.transaction() as conn:
                changed = await personal.erase(conn, person)
                if not changed:
                    raise NotFoundError("error.nothing_stored")
                await audit(
                    conn,
                    By(guild_id, operation.actor_id),
                    "privacy.erased",
                    at=now,
                    rows=changed,
                    spaces_left=len(left),
                )
                await self.operations.finish(conn, operation)
            self.writer.forget(user_id)
        # The old versions of the pages just scrubbed are still in the write-ahead log: move
        # the new ones into the file (secure deletion zeroes the old) and empty the log.
        await self.db.checkpoint()
        return Erased(changed, tuple(left), tuple(ended))

    async def _settle_erase(self, operation: Operation, port: SpacePort) -> None:
        try:
            await self._finish_erase(operation, port)
        except NotFoundError:
            await self.operations.finished(operation)  # nothing left to erase

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
            if self.journal is not None:
                await self.journal.exchange_pruned(guild_id, exchange_id, now)
            done.append(
                await prune_exchange(
                    self.db, exchange_id, guild_id, now, {"days": self.retention_days}
                )
            )
        if done:
            # As after an erasure: no file of the database keeps what was pruned.
            await self.db.checkpoint()
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


async def prune_exchange(
    db: Database, exchange_id: int, guild_id: int, now: datetime, details: dict[str, Any]
) -> Pruned:
    """Anonymise everyone in one exchange, then mark it pruned (logged with `details`).

    One short transaction per person keeps the database free for everyone else while a large
    exchange is pruned; the exchange is marked pruned only when all its people are done, so a
    crash halfway leaves the rest for the next run (already pseudonymised ids are skipped).
    """
    async with db.read() as conn:
        people = await personal.people_of_exchange(conn, exchange_id)
    totals: Counter[str] = Counter()
    for user_id in sorted(people):
        async with db.transaction() as conn:
            person = personal.Person(guild_id, user_id, exchange_id=exchange_id)
            totals.update(await personal.erase(conn, person))
    async with db.transaction() as conn:
        await exchange_store.mark_pruned(conn, exchange_id, now)
        await audit(
            conn,
            By(guild_id),
            "privacy.pruned",
            at=now,
            exchange_id=exchange_id,
            people=len(people),
            rows=dict(totals),
            **details,
        )
    log.info("pruned exchange %d: %d people, %d rows", exchange_id, len(people), totals.total())
    return Pruned(exchange_id, len(people), dict(totals))


async def reapply_erasures(
    db: Database, journal: ErasureJournal, since: datetime | None, now: datetime
) -> Reapplied:
    """Erase and prune again, in `db`, what the journal recorded at or after `since`.

    For a database restored from a backup taken at `since` (None: unknown, so everything
    journalled is done again). Each id stored anywhere in the database is hashed with the
    journal's key; a match is a person erased after the backup was taken.
    """
    entries = journal.entries(since)
    wanted: dict[int, set[str]] = {}
    for entry in entries:
        if entry.kind == PERSON and entry.subject:
            wanted.setdefault(entry.guild_id, set()).add(entry.subject)
    people = rows = 0
    if wanted:
        hasher = journal.hasher()
        if hasher is None:
            raise JournalError(
                f"{len(entries)} erasures were journalled after this backup, but the erasure "
                f"key {journal.key_file} is missing: copy it from the old server"
            )
        async with db.read() as conn:
            stored = await personal.stored_user_ids(conn)
        for user_id in sorted(stored):
            digest = hasher(user_id)
            for guild_id, subjects in wanted.items():
                if digest not in subjects:
                    continue
                async with db.transaction() as conn:
                    changed = await personal.erase(conn, personal.Person(guild_id, user_id))
                    if changed:
                        await audit(
                            conn, By(guild_id), "privacy.erased_again", at=now, rows=changed
                        )
                if changed:
                    people += 1
                    rows += sum(changed.values())
    pruned = {(e.guild_id, e.exchange_id) for e in entries if e.kind == EXCHANGE}
    exchanges = 0
    for guild_id, exchange_id in sorted(pruned, key=lambda p: (p[0], p[1] or 0)):
        if exchange_id is None:
            continue
        async with db.transaction() as conn:
            running = await exchange_store.get_exchange(conn, guild_id, exchange_id)
            if running is not None:
                # Ended and pruned after the backup was taken: it stays ended.
                await exchange_store.end_exchange(conn, exchange_id, now)
            elif not await exchange_store.get_exchange(
                conn, guild_id, exchange_id, with_ended=True
            ):
                continue  # created after the backup: nothing of it was restored
        done = await prune_exchange(db, exchange_id, guild_id, now, {"restored": True})
        exchanges += 1
        rows += sum(done.rows.values())
    if people or exchanges:
        # The restored file must not keep what was erased again in its write-ahead log.
        await db.checkpoint()
    return Reapplied(people, exchanges, rows)
