"""Which process holds which shard, and which one does the work of no server (PostgreSQL).

Session-level advisory locks, on one connection each process keeps open for as long as it
runs: `pg_try_advisory_lock(LEASES, shard_id)` per shard it holds, and
`pg_try_advisory_lock(LEASES, LEAD)` for the lead. PostgreSQL frees them itself the moment
that session ends, whether the process stopped, was killed or its machine died (once the
server sees the connection gone: TCP keepalive), so a restarted process takes its shards
back at once, with no heartbeat to wait out and no clocks to agree on. (A table of leases
with a holder and a heartbeat would need both, and a crashed holder would block its shards
until its heartbeat went stale.)

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

_TRY = text("SELECT pg_try_advisory_lock(:space, :key)")


class ShardHeldError(RuntimeError):
    """Another running process holds a shard this one was told to hold."""


class Leases:
    """This process's shards and, while it has it, the lead."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._conn: AsyncConnection | None = None
        self.shards: tuple[int, ...] = ()
        self.leading = db.dialect != "postgresql"

    async def _session(self) -> AsyncConnection:
        if self._conn is None:
            conn = await self.db.engine.connect()
            # Locks are the session's, not a transaction's: no transaction stays open.
            self._conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        return self._conn

    async def _try(self, key: int) -> bool:
        conn = await self._session()
        return bool(await conn.scalar(_TRY, {"space": LEASES, "key": key}))

    async def hold(self, shard_ids: Iterable[int]) -> None:
        """Take every shard of `shard_ids`, or none: ShardHeldError names those another
        process holds."""
        wanted = tuple(shard_ids)
        if self.db.dialect != "postgresql":
            self.shards = wanted
            return
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
            return not self.shards or self.db.dialect != "postgresql"
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
