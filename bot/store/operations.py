"""Queries for operations: changes of several Discord calls, written down before the first."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.schema import operations


class OperationStatus(StrEnum):
    """Where an unfinished operation stands (a finished one is deleted)."""

    RUNNING = "running"  # going forward
    UNDOING = "undoing"  # it failed or was cut short, and what it did is being put back


@dataclass(frozen=True, slots=True)
class OperationRecord:
    id: int
    guild_id: int
    exchange_id: int | None
    kind: str
    status: OperationStatus
    owner: str
    actor_id: int | None
    plan: dict[str, Any]
    steps: dict[str, Any]
    created_at: datetime
    updated_at: datetime


def _record(row: Any) -> OperationRecord:
    return OperationRecord(
        id=row.id,
        guild_id=row.guild_id,
        exchange_id=row.partnership_id,
        kind=row.kind,
        status=OperationStatus(row.status),
        owner=row.owner,
        actor_id=row.actor_id,
        plan=json.loads(row.plan),
        steps=json.loads(row.steps),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _json(value: Mapping[str, Any]) -> str:
    return json.dumps(dict(value), ensure_ascii=False, sort_keys=True)


async def begin(
    conn: AsyncConnection,
    *,
    guild_id: int,
    exchange_id: int | None,
    kind: str,
    owner: str,
    actor_id: int | None,
    plan: Mapping[str, Any],
    now: datetime,
) -> int:
    """Write an operation down before its first step; returns its id."""
    result = await conn.execute(
        operations.insert().values(
            guild_id=guild_id,
            partnership_id=exchange_id,
            kind=kind,
            status=OperationStatus.RUNNING,
            owner=owner,
            actor_id=actor_id,
            plan=_json(plan),
            steps="{}",
            created_at=now,
            updated_at=now,
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


async def save_steps(
    conn: AsyncConnection, operation_id: int, steps: Mapping[str, Any], now: datetime
) -> None:
    """Record what the operation has done so far (all of it, replacing the last record)."""
    await conn.execute(
        update(operations)
        .where(operations.c.id == operation_id)
        .values(steps=_json(steps), updated_at=now)
    )


async def set_state(
    conn: AsyncConnection,
    operation_id: int,
    *,
    status: OperationStatus,
    owner: str,
    now: datetime,
) -> None:
    """Change direction (undo it) or owner ("": no process runs it any more)."""
    await conn.execute(
        update(operations)
        .where(operations.c.id == operation_id)
        .values(status=status, owner=owner, updated_at=now)
    )


async def take_over(
    conn: AsyncConnection, operation_id: int, *, owner: str, was: str, now: datetime
) -> bool:
    """Make `owner` the process running an operation `was` left; False if someone else did."""
    result = await conn.execute(
        update(operations)
        .where(operations.c.id == operation_id, operations.c.owner == was)
        .values(owner=owner, updated_at=now)
    )
    return bool(result.rowcount)


async def finish(conn: AsyncConnection, operation_id: int) -> None:
    """The operation is done or undone: nothing of it is kept (its outcome is in the log)."""
    await conn.execute(delete(operations).where(operations.c.id == operation_id))


async def get(conn: AsyncConnection, operation_id: int) -> OperationRecord | None:
    row = (await conn.execute(select(operations).where(operations.c.id == operation_id))).first()
    return _record(row) if row is not None else None


async def unfinished(
    conn: AsyncConnection,
    *,
    guild_id: int | None = None,
    exchange_id: int | None = None,
    not_owner: str | None = None,
) -> list[OperationRecord]:
    """Operations still written down, oldest first (of one guild or exchange; not run by
    `not_owner`)."""
    query = select(operations).order_by(operations.c.id)
    if guild_id is not None:
        query = query.where(operations.c.guild_id == guild_id)
    if exchange_id is not None:
        query = query.where(operations.c.partnership_id == exchange_id)
    if not_owner is not None:
        query = query.where(operations.c.owner != not_owner)
    return [_record(r) for r in (await conn.execute(query)).all()]
