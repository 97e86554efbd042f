"""Queries for pairing rounds, pairs and their members."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.pairing import LIVE_STATUSES, PairStatus
from bot.store.schema import pair_members, pair_pauses, pairing_rounds, pairs

LIVE = LIVE_STATUSES


@dataclass(frozen=True, slots=True)
class PairRecord:
    """A stored pair (or triad)."""

    id: int
    round_id: int
    space_id: int | None
    status: PairStatus
    members: tuple[int, ...]  # participant ids of those still in the pair
    reasons: dict[str, Any]
    created_at: datetime
    left: tuple[int, ...] = ()  # participant ids who left the pair while it went on

    @property
    def everyone(self) -> tuple[int, ...]:
        """Everyone who was ever in this pair: for history and for avoiding repeats."""
        return tuple(sorted(self.members + self.left))


async def _records(conn: AsyncConnection, where: Any) -> list[PairRecord]:
    rows = (await conn.execute(select(pairs).where(where).order_by(pairs.c.id))).all()
    if not rows:
        return []
    members: dict[int, list[int]] = defaultdict(list)
    left: dict[int, list[int]] = defaultdict(list)
    member_rows = await conn.execute(
        select(pair_members).where(pair_members.c.pair_id.in_([r.id for r in rows]))
    )
    for m in member_rows:
        (members if m.left_at is None else left)[m.pair_id].append(m.participant_id)
    return [
        PairRecord(
            id=r.id,
            round_id=r.round_id,
            space_id=r.space_id,
            status=PairStatus(r.status),
            members=tuple(sorted(members[r.id])),
            reasons=json.loads(r.reasons),
            created_at=r.created_at,
            left=tuple(sorted(left[r.id])),
        )
        for r in rows
    ]


async def live_pairs(conn: AsyncConnection, exchange_id: int) -> list[PairRecord]:
    """Pairs that still have a space in use (active or paused)."""
    return await _records(conn, (pairs.c.partnership_id == exchange_id) & pairs.c.status.in_(LIVE))


async def live_pairs_among(
    conn: AsyncConnection, exchange_id: int, pair_ids: Collection[int]
) -> list[PairRecord]:
    """`live_pairs` limited to these pairs (a delivery to one space reads one pair)."""
    return await _records(
        conn,
        (pairs.c.partnership_id == exchange_id)
        & pairs.c.status.in_(LIVE)
        & pairs.c.id.in_(list(pair_ids)),
    )


async def pairs_of_round(conn: AsyncConnection, round_id: int) -> list[PairRecord]:
    """Every pair a round made."""
    return await _records(conn, pairs.c.round_id == round_id)


async def space_ids(conn: AsyncConnection, exchange_id: int) -> set[int]:
    """Every channel or thread the exchange's pairs ever had (live or archived)."""
    found = await conn.scalars(
        select(pairs.c.space_id).where(
            pairs.c.partnership_id == exchange_id, pairs.c.space_id.is_not(None)
        )
    )
    return set(found.all())


async def all_pairs(conn: AsyncConnection, exchange_id: int) -> list[PairRecord]:
    """Every pair the exchange ever had, for history and for avoiding repeats."""
    return await _records(conn, pairs.c.partnership_id == exchange_id)


async def get_pair(conn: AsyncConnection, pair_id: int) -> PairRecord | None:
    found = await _records(conn, pairs.c.id == pair_id)
    return found[0] if found else None


async def pair_by_space(conn: AsyncConnection, space_id: int) -> PairRecord | None:
    """The pair whose channel or thread this is."""
    found = await _records(conn, pairs.c.space_id == space_id)
    return found[-1] if found else None


async def live_pair_of(conn: AsyncConnection, participant_id: int) -> PairRecord | None:
    """The active or paused pair a participant is in, if any."""
    pair_id = await conn.scalar(
        select(pairs.c.id)
        .join(pair_members, pair_members.c.pair_id == pairs.c.id)
        .where(
            pair_members.c.participant_id == participant_id,
            pair_members.c.left_at.is_(None),
            pairs.c.status.in_(LIVE),
        )
    )
    return await get_pair(conn, pair_id) if pair_id is not None else None


async def live_spaces(conn: AsyncConnection, exchange_id: int) -> dict[int, int]:
    """participant id -> the channel or thread of their live pair, for every paired student."""
    rows = await conn.execute(
        select(pair_members.c.participant_id, pairs.c.space_id)
        .join(pairs, pair_members.c.pair_id == pairs.c.id)
        .where(
            pairs.c.partnership_id == exchange_id,
            pairs.c.status.in_(LIVE),
            pair_members.c.left_at.is_(None),
            pairs.c.space_id.is_not(None),
        )
    )
    return {r.participant_id: r.space_id for r in rows}


async def leave_pair(
    conn: AsyncConnection, pair_id: int, participant_id: int, now: datetime
) -> None:
    """A member leaves a pair that may go on; the membership row is kept for history."""
    await conn.execute(
        update(pair_members)
        .where(pair_members.c.pair_id == pair_id, pair_members.c.participant_id == participant_id)
        .values(left_at=now)
    )


async def create_round(
    conn: AsyncConnection, exchange_id: int, by: int, now: datetime, space_kind: str, score: int
) -> int:
    result = await conn.execute(
        pairing_rounds.insert().values(
            partnership_id=exchange_id,
            created_by=by,
            created_at=now,
            space_kind=space_kind,
            total_score=score,
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


async def add_pair(
    conn: AsyncConnection,
    *,
    round_id: int,
    exchange_id: int,
    space_id: int | None,
    reasons: dict[str, Any],
    members: tuple[int, ...],
    now: datetime,
) -> int:
    result = await conn.execute(
        pairs.insert().values(
            round_id=round_id,
            partnership_id=exchange_id,
            space_id=space_id,
            reasons=json.dumps(reasons, ensure_ascii=False, sort_keys=True),
            created_at=now,
        )
    )
    pair_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    await conn.execute(
        pair_members.insert(), [{"pair_id": pair_id, "participant_id": m} for m in members]
    )
    return pair_id


async def set_status(
    conn: AsyncConnection, pair_id: int, status: PairStatus, now: datetime
) -> None:
    """Change where a pair stands; archiving also records when it ended."""
    values: dict[str, Any] = {"status": status.value}
    if status is PairStatus.ARCHIVED:
        values["ended_at"] = now
    await conn.execute(update(pairs).where(pairs.c.id == pair_id).values(**values))


async def move_member(
    conn: AsyncConnection, participant_id: int, from_pair: int, to_pair: int, now: datetime
) -> None:
    """A swap: the member leaves one pair (the row stays, for history and repeat-avoidance)
    and joins the other as a member from now."""
    await leave_pair(conn, from_pair, participant_id, now)
    back = await conn.execute(
        update(pair_members)
        .where(pair_members.c.pair_id == to_pair, pair_members.c.participant_id == participant_id)
        .values(left_at=None)
    )
    if not back.rowcount:  # a pair they had left before and now return to keeps its one row
        await conn.execute(
            pair_members.insert().values(pair_id=to_pair, participant_id=participant_id)
        )


async def latest_round(conn: AsyncConnection, exchange_id: int) -> int | None:
    """The id of the exchange's most recent pairing round, if any."""
    latest = await conn.scalar(
        select(func.max(pairing_rounds.c.id)).where(pairing_rounds.c.partnership_id == exchange_id)
    )
    return int(latest) if latest is not None else None


async def rounds(conn: AsyncConnection, exchange_id: int) -> list[dict[str, Any]]:
    """Every pairing round of the exchange, newest first."""
    rows = (
        await conn.execute(
            select(pairing_rounds)
            .where(pairing_rounds.c.partnership_id == exchange_id)
            .order_by(pairing_rounds.c.id.desc())
        )
    ).all()
    return [
        {
            "id": r.id,
            "created_at": r.created_at,
            "created_by": r.created_by,
            "space_kind": r.space_kind,
            "total_score": r.total_score,
        }
        for r in rows
    ]


async def exchange_of(conn: AsyncConnection, pair_id: int) -> int | None:
    """The exchange a pair belongs to."""
    return await conn.scalar(select(pairs.c.partnership_id).where(pairs.c.id == pair_id))


async def space_kind(conn: AsyncConnection, pair_id: int) -> str | None:
    """Whether a pair's space is a channel or a thread ("channels" or "threads")."""
    return await conn.scalar(
        select(pairing_rounds.c.space_kind)
        .join(pairs, pairs.c.round_id == pairing_rounds.c.id)
        .where(pairs.c.id == pair_id)
    )


async def open_pause(conn: AsyncConnection, pair_id: int, now: datetime) -> None:
    """The pair's space is paused from now (until `close_pause`)."""
    await conn.execute(pair_pauses.insert().values(pair_id=pair_id, paused_at=now))


async def close_pause(conn: AsyncConnection, pair_id: int, now: datetime) -> None:
    """The pair's space is open again: its pause that lasts ends now."""
    await conn.execute(
        update(pair_pauses)
        .where(pair_pauses.c.pair_id == pair_id, pair_pauses.c.reopened_at.is_(None))
        .values(reopened_at=now)
    )


async def pauses_of_space(
    conn: AsyncConnection, space_id: int
) -> list[tuple[datetime, datetime | None]]:
    """Every stretch the pair of this channel or thread was paused, oldest first."""
    rows = await conn.execute(
        select(pair_pauses.c.paused_at, pair_pauses.c.reopened_at)
        .join(pairs, pairs.c.id == pair_pauses.c.pair_id)
        .where(pairs.c.space_id == space_id)
        .order_by(pair_pauses.c.paused_at)
    )
    return [(r.paused_at, r.reopened_at) for r in rows]
