"""Queries for scheduled sends: plan once, claim once, retry or record the outcome."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    and_,
    false,
    func,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from bot.domain.shards import NO_GUILD, Scope
from bot.store.schema import scheduled_sends

# Room for Discord's reason of a failure ("403 Forbidden (error code: 50013): Missing …").
ERROR_LENGTH = 200
# The reason a send a stop cut short carries until it is done.
INTERRUPTED = "interrupted by a stop"


class SendStatus(StrEnum):
    """Where a send stands (stored as its value)."""

    PENDING = "pending"  # still to do
    SENDING = "sending"  # claimed, its outcome not yet recorded
    SENT = "sent"
    MISSED = "missed"  # its useful time had passed when the bot could do it
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Send:
    id: int
    key: str
    kind: str
    due_at: datetime
    status: SendStatus
    payload: dict[str, Any]
    guild_id: int
    partnership_id: int | None
    # The latest time the send is still useful (None: its due time plus the scheduler's grace).
    expires_at: datetime | None = None
    # Tries that failed for a passing reason (each moved `due_at` on), and the last reason.
    attempts: int = 0
    error: str | None = None

    @property
    def uncertain(self) -> bool:
        """Whether an earlier try may have reached Discord although its outcome was never
        recorded (a stop cut it short, or Discord answered 5xx after doing it): a post then
        looks for itself before it is made again, beyond what the nonce covers."""
        return self.attempts > 0 or self.error is not None

    @property
    def nonce(self) -> str:
        """The nonce of this send's message, the same on every try (Discord allows 25
        characters): sent with `enforce_nonce`, a repeat within minutes returns the first
        message instead of posting a second."""
        return f"tb-send-{self.id}"


def _send(row: Any) -> Send:
    return Send(
        id=row.id,
        key=row.key,
        kind=row.kind,
        due_at=row.due_at,
        status=SendStatus(row.status),
        payload=json.loads(row.payload),
        guild_id=row.guild_id,
        partnership_id=row.partnership_id,
        expires_at=row.expires_at,
        attempts=row.attempts,
        error=row.error,
    )


async def plan(
    conn: AsyncConnection,
    *,
    key: str,
    kind: str,
    due_at: datetime,
    guild_id: int,
    partnership_id: int | None = None,
    payload: Mapping[str, Any] | None = None,
    expires_at: datetime | None = None,
) -> bool:
    """Record a send unless one with this key exists; True when it was new.

    `expires_at` is the latest time the send is still worth doing, when that is not the
    scheduler's grace after `due_at` (a session's start is useful until the session ends).
    """
    exists = await conn.scalar(select(scheduled_sends.c.id).where(scheduled_sends.c.key == key))
    if exists is not None:
        return False
    await conn.execute(
        scheduled_sends.insert().values(
            key=key,
            kind=kind,
            due_at=due_at,
            guild_id=guild_id,
            partnership_id=partnership_id,
            payload=json.dumps(dict(payload or {}), ensure_ascii=False, sort_keys=True),
            expires_at=expires_at,
        )
    )
    return True


@dataclass(frozen=True, slots=True)
class Planned:
    """One send to plan with `plan_many`."""

    key: str
    kind: str
    due_at: datetime
    guild_id: int
    partnership_id: int | None = None
    payload: Mapping[str, Any] | None = None
    expires_at: datetime | None = None  # its latest useful time (None: the grace rule)


async def plan_many(conn: AsyncConnection, planned: Sequence[Planned]) -> int:
    """`plan` for many sends in two statements (a fan-out to 500 spaces); returns how many
    were new. Keys already planned are left as they are."""
    keys = [p.key for p in planned]
    existing: set[str] = set()
    for start in range(0, len(keys), 500):  # well under SQLite's bound-parameter limit
        chunk = keys[start : start + 500]
        found = await conn.scalars(
            select(scheduled_sends.c.key).where(scheduled_sends.c.key.in_(chunk))
        )
        existing.update(found)
    fresh: dict[str, Planned] = {p.key: p for p in planned if p.key not in existing}
    if fresh:
        await conn.execute(
            scheduled_sends.insert(),
            [
                {
                    "key": p.key,
                    "kind": p.kind,
                    "due_at": p.due_at,
                    "guild_id": p.guild_id,
                    "partnership_id": p.partnership_id,
                    "payload": json.dumps(
                        dict(p.payload or {}), ensure_ascii=False, sort_keys=True
                    ),
                    "expires_at": p.expires_at,
                }
                for p in fresh.values()
            ],
        )
    return len(fresh)


def in_scope(scope: Scope | None) -> list[ColumnElement[bool]]:
    """The sends that are this process's to do (every send when `scope` is None or holds
    everything): those of servers on its shards, and those of no server while it leads.

    The shard is computed as Discord does, `(guild_id >> 22) % shard_count`, by the database
    (both SQLite and PostgreSQL have `>>` and `%` on integers).
    """
    if scope is None or scope.everything:
        return []
    guild: ColumnElement[int] = scheduled_sends.c.guild_id
    if scope.every_server:
        servers: ColumnElement[bool] = guild != NO_GUILD
    elif scope.shard_ids:
        # Written into the SQL: PostgreSQL has `bigint >> integer` only, and a bound 22 is
        # sent as a bigint.
        shard = guild.op(">>", return_type=BigInteger)(literal_column("22", Integer)) % (
            literal_column(str(int(scope.shard_count)), Integer)
        )
        servers = and_(guild != NO_GUILD, shard.in_(sorted(scope.shard_ids)))
    else:
        servers = false()
    return [or_(guild == NO_GUILD, servers) if scope.no_guild else servers]


async def pending(
    conn: AsyncConnection, until: datetime | None = None, scope: Scope | None = None
) -> list[Send]:
    """Sends still to do (due by `until` when given; this process's when `scope` is),
    earliest first."""
    query = select(scheduled_sends).where(
        scheduled_sends.c.status == SendStatus.PENDING, *in_scope(scope)
    )
    if until is not None:
        query = query.where(scheduled_sends.c.due_at <= until)
    rows = (
        await conn.execute(query.order_by(scheduled_sends.c.due_at, scheduled_sends.c.id))
    ).all()
    return [_send(r) for r in rows]


async def next_due(conn: AsyncConnection, scope: Scope | None = None) -> datetime | None:
    """When the earliest send still to do (of `scope`, when given) falls due (None: nothing).

    One value read from the (status, due_at) index, whatever the number of pending sends
    (with a scope, the pending sends' guild ids are read from their rows too).
    """
    due: datetime | None = await conn.scalar(
        select(func.min(scheduled_sends.c.due_at)).where(
            scheduled_sends.c.status == SendStatus.PENDING, *in_scope(scope)
        )
    )
    return due


async def pending_count(conn: AsyncConnection, scope: Scope | None = None) -> int:
    """How many sends are still to do (of `scope`, when given), for the operator's metrics."""
    count = await conn.scalar(
        select(func.count()).where(scheduled_sends.c.status == SendStatus.PENDING, *in_scope(scope))
    )
    return int(count or 0)


def _with_prefix(conn: AsyncConnection, prefix: str) -> list[ColumnElement[bool]]:
    """Keys starting with `prefix`, as a range the unique index on keys answers.

    (`LIKE 'prefix%'` cannot use that index: SQLite's LIKE ignores case.) On PostgreSQL the
    range is compared byte by byte (`COLLATE "C"`): in a language's collation (en_US) "a:b"
    may sort outside ["a:", "a;") because punctuation is weighed last.
    """
    if not prefix:
        return []
    after = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    key: ColumnElement[str] = scheduled_sends.c.key
    if conn.dialect.name == "postgresql":
        key = key.collate("C")
    return [key >= prefix, key < after]


def _pending_among_few(conn: AsyncConnection) -> ColumnElement[bool]:
    """`+status = 'pending'`: a condition on the status that keeps SQLite from answering it
    with the status index, which would visit every pending send (thousands) when the key
    range holds a handful. SQLite's idiom only: PostgreSQL has no unary + on text, and its
    planner weighs both indexes by their statistics."""
    column = scheduled_sends.c.status
    if conn.dialect.name != "sqlite":
        return column == SendStatus.PENDING
    status = UnaryExpression(column, operator=operators.custom_op("+"), type_=column.type)
    return status == SendStatus.PENDING


async def claim(conn: AsyncConnection, send_id: int) -> bool:
    """Take a pending send for doing; False if someone else already took it."""
    result = await conn.execute(
        update(scheduled_sends)
        .where(scheduled_sends.c.id == send_id, scheduled_sends.c.status == SendStatus.PENDING)
        .values(status=SendStatus.SENDING)
    )
    return bool(result.rowcount)


async def claim_many(conn: AsyncConnection, send_ids: Sequence[int]) -> set[int]:
    """Take the pending ones of these sends for doing (inside `Database.transaction`, whose
    writer lock makes the look and the update one step); the ids taken."""
    pending = {
        int(row[0])
        for row in await conn.execute(
            select(scheduled_sends.c.id).where(
                scheduled_sends.c.id.in_(list(send_ids)),
                scheduled_sends.c.status == SendStatus.PENDING,
            )
        )
    }
    if pending:
        await conn.execute(
            update(scheduled_sends)
            .where(scheduled_sends.c.id.in_(sorted(pending)))
            .values(status=SendStatus.SENDING)
        )
    return pending


async def finish_many(
    conn: AsyncConnection, send_ids: Sequence[int], status: SendStatus, now: datetime
) -> None:
    """Record that these sends ended alike (a fan-out's posts done: "sent")."""
    if send_ids:
        await conn.execute(
            update(scheduled_sends)
            .where(scheduled_sends.c.id.in_(list(send_ids)))
            .values(status=status, done_at=now)
        )


async def finish(
    conn: AsyncConnection,
    send_id: int,
    status: SendStatus,
    now: datetime,
    error: str | None = None,
) -> None:
    """Record how a send ended ("sent", "missed", "failed"), with the reason of a failure."""
    values: dict[str, Any] = {"status": status, "done_at": now}
    if error is not None:
        values["error"] = error[:ERROR_LENGTH]
    await conn.execute(
        update(scheduled_sends).where(scheduled_sends.c.id == send_id).values(**values)
    )


async def retry(
    conn: AsyncConnection, send_id: int, *, at: datetime, expires_at: datetime, error: str
) -> None:
    """Put a send that failed for a passing reason back, due again `at` (within `expires_at`).

    The useful window is fixed on the first retry, so moving `due_at` never stretches it.
    """
    await conn.execute(
        update(scheduled_sends)
        .where(scheduled_sends.c.id == send_id)
        .values(
            status=SendStatus.PENDING,
            due_at=at,
            expires_at=expires_at,
            attempts=scheduled_sends.c.attempts + 1,
            error=error[:ERROR_LENGTH],
        )
    )


async def cancel_matching(conn: AsyncConnection, prefix: str, now: datetime) -> int:
    """Cancel every pending send whose key starts with prefix (a re-plan or a cancellation)."""
    result = await conn.execute(
        update(scheduled_sends)
        .where(_pending_among_few(conn), *_with_prefix(conn, prefix))
        .values(status=SendStatus.CANCELLED, done_at=now)
    )
    return int(result.rowcount)


async def reset_interrupted(conn: AsyncConnection, scope: Scope | None = None) -> int:
    """Sends a crash left half-done go back to pending (at-least-once beats lost).

    A send is "sending" from its claim until its outcome is recorded. If the process died in
    between, its handler may or may not have reached Discord; doing it again is the only way
    not to lose it, and the handlers make that repeat harmless where they can. With a
    `scope`, only this process's: another process's "sending" ones are under way.
    """
    result = await conn.execute(
        update(scheduled_sends)
        .where(scheduled_sends.c.status == SendStatus.SENDING, *in_scope(scope))
        .values(status=SendStatus.PENDING, error=INTERRUPTED)
    )
    return int(result.rowcount)


async def by_keys(conn: AsyncConnection, keys: Sequence[str]) -> list[Send]:
    rows = (
        await conn.execute(select(scheduled_sends).where(scheduled_sends.c.key.in_(list(keys))))
    ).all()
    return [_send(r) for r in rows]


async def with_prefix(conn: AsyncConnection, prefix: str) -> list[Send]:
    rows = (
        await conn.execute(
            select(scheduled_sends)
            .where(*_with_prefix(conn, prefix))
            .order_by(scheduled_sends.c.due_at)
        )
    ).all()
    return [_send(r) for r in rows]


async def cancel_exchange(conn: AsyncConnection, exchange_id: int, now: datetime) -> int:
    """Cancel every pending send of an exchange (it has ended)."""
    result = await conn.execute(
        update(scheduled_sends)
        .where(
            scheduled_sends.c.status == SendStatus.PENDING,
            scheduled_sends.c.partnership_id == exchange_id,
        )
        .values(status=SendStatus.CANCELLED, done_at=now)
    )
    return int(result.rowcount)
