"""Which process holds which shard, and which one does the work of no server (PostgreSQL).

Session-level advisory locks, on one connection each process keeps open for as long as it
runs: `pg_try_advisory_lock(LEASES, shard_id)` per shard it holds, and
`pg_try_advisory_lock(LEASES, LEAD)` for the lead. PostgreSQL frees them itself the moment
that session ends, whether the process stopped, was killed or its machine died (once the
server sees the connection gone: TCP keepalive), so a restarted process takes its shards
back at once, with no heartbeat to wait out and no clocks to agree on. (A table of leases
with a holder and a heartbeat would need both, and a crashed holder would block its shards
until its heartbeat went stale.)

The deployment: a process without SHARD_COUNT believes every server is its own, so it must be
the only one. It holds `(LEASES, DEPLOYMENT)` exclusively; sharded processes hold it shared,
beside their shards. So a second unsharded process, an unsharded one beside sharded ones, or
a sharded one beside an unsharded one is refused at start-up. Sharded processes also hold
`(COUNTS, SHARD_COUNT)` shared: one started with another SHARD_COUNT than those running would
route servers differently (`(guild_id >> 22) % count`), and is refused.

On SQLite there is one process (the bot takes the database file for itself, see
`bot.store.backup.exclusive_use`): every shard and the lead are trivially its own.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.engine import Database

log = logging.getLogger(__name__)

# The first key of every lease lock ("Tw" "Sh"): the writers' lock (bot.store.engine) is a
# single bigint key, which PostgreSQL keeps apart from two-key locks.
LEASES = 0x54775368
# The second key of the lead (shard ids are 0 and up).
LEAD = -1
# The second key of the deployment: exclusive for an unsharded process, shared for sharded ones.
DEPLOYMENT = -2
# The first key of the SHARD_COUNT sharded processes run with (the second is the count).
COUNTS = 0x54775343

_TRY = text("SELECT pg_try_advisory_lock(:space, :key)")
_TRY_SHARED = text("SELECT pg_try_advisory_lock_shared(:space, :key)")
_UNLOCK_SHARED = text("SELECT pg_advisory_unlock_shared(:space, :key)")
# Two-key advisory locks are listed with classid, objid = the keys (as unsigned oids) and
# objsubid = 2; compared as bigint, so that a negative key (the lead's, the deployment's)
# never meets an int4 cast.
_OTHER_COUNTS = text(
    "SELECT DISTINCT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND classid::bigint = :space AND objid::bigint <> :count"
)


class InUseError(RuntimeError):
    """Another running process of this deployment forbids this one to start as configured."""


class ShardHeldError(InUseError):
    """Another running process holds a shard this one was told to hold."""


# What a refused process is told, by who holds the deployment.
UNSHARDED_RUNNING = (
    "another Twinbridge process without SHARD_COUNT is running on this database, and does "
    "every server's work: stop it first (several processes need SHARD_COUNT, each its own "
    "SHARD_IDS)"
)
SHARDED_RUNNING = (
    "sharded Twinbridge processes (SHARD_COUNT) are running on this database: a process "
    "without SHARD_COUNT would do their servers' work too. Set SHARD_COUNT and SHARD_IDS "
    "for it as well (or stop them first)"
)


class Leases:
    """This process's shards and, while it has it, the lead."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._conn: AsyncConnection | None = None
        self.shards: tuple[int, ...] = ()
        self.leading = db.dialect != "postgresql"
        # Whether this process holds the deployment alone (unsharded, PostgreSQL).
        self.alone = False

    async def _session(self) -> AsyncConnection:
        if self._conn is None:
            conn = await self.db.engine.connect()
            # Locks are the session's, not a transaction's: no transaction stays open.
            self._conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        return self._conn

    async def _try(self, key: int) -> bool:
        conn = await self._session()
        return bool(await conn.scalar(_TRY, {"space": LEASES, "key": key}))

    async def hold_all(self) -> None:
        """An unsharded process: hold the deployment alone, or InUseError (another process,
        sharded or not, runs on this database)."""
        if self.db.dialect != "postgresql":
            return
        if await self._try(DEPLOYMENT):
            self.alone = True
            return
        conn = await self._session()
        shared = bool(await conn.scalar(_TRY_SHARED, {"space": LEASES, "key": DEPLOYMENT}))
        await self.close()
        # Shared was possible: only sharded processes hold it; otherwise an unsharded one.
        raise InUseError(SHARDED_RUNNING if shared else UNSHARDED_RUNNING)

    async def hold(self, shard_ids: Iterable[int], shard_count: int) -> None:
        """Take every shard of `shard_ids`, or none: ShardHeldError names those another
        process holds; InUseError when an unsharded process runs, or sharded ones with
        another SHARD_COUNT."""
        wanted = tuple(shard_ids)
        if self.db.dialect != "postgresql":
            self.shards = wanted
            return
        conn = await self._session()
        if not await conn.scalar(_TRY_SHARED, {"space": LEASES, "key": DEPLOYMENT}):
            await self.close()
            raise InUseError(UNSHARDED_RUNNING)
        await conn.scalar(_TRY_SHARED, {"space": COUNTS, "key": shard_count})
        others = sorted(await conn.scalars(_OTHER_COUNTS, {"space": COUNTS, "count": shard_count}))
        if others:
            await self.close()
            raise InUseError(
                f"processes with SHARD_COUNT={', '.join(map(str, others))} are running on this "
                f"database; this one has SHARD_COUNT={shard_count}: every process of one "
                "deployment must have the same SHARD_COUNT (servers are routed by it)"
            )
        taken = [shard for shard in wanted if await self._try(shard)]
        held = [shard for shard in wanted if shard not in taken]
        if held:
            await self.close()
            which = ", ".join(map(str, held))
            raise ShardHeldError(
                f"shard {which} is held by another running Twinbridge process on this "
                "database; give each process its own SHARD_IDS (or stop the other one first)"
            )
        self.shards = wanted

    async def alive(self) -> bool:
        """Whether the session holding the locks is still there (False: PostgreSQL restarted
        or dropped it, and with it every lock: another process may hold the shards now)."""
        if self._conn is None:
            return not (self.shards or self.alone) or self.db.dialect != "postgresql"
        try:
            await self._conn.exec_driver_sql("SELECT 1")
        except (OSError, SQLAlchemyError):
            conn, self._conn = self._conn, None
            await conn.invalidate()  # gone: never back to the pool
            await conn.close()
            return False
        return True

    async def try_lead(self) -> bool:
        """Take the lead if no other process has it; whether this process leads now."""
        if not self.leading:
            self.leading = await self._try(LEAD)
            if self.leading:
                log.info("this process now does the work of no server (retention, backups)")
        return self.leading

    async def close(self) -> None:
        """Let the shards and the lead go (the connection goes back to the pool clean)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await conn.exec_driver_sql("SELECT pg_advisory_unlock_all()")
            except (OSError, SQLAlchemyError):
                await conn.invalidate()  # the session is gone, and its locks with it
            await conn.close()
        self._forget()

    async def abandon(self) -> None:
        """The process dies (a test's kill -9): its session ends without a word, and
        PostgreSQL frees what it held."""
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.invalidate()
            await conn.close()
        self._forget()

    def _forget(self) -> None:
        self.leading = self.db.dialect != "postgresql"
        self.shards = ()
        self.alone = False
