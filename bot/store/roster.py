"""Queries for participants (students, teachers, coordinators) and keep-apart marks."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.exchange import Participant, ParticipantStatus, Role
from bot.store.schema import keep_apart, participants

# Who is on the roster now: everyone not taken off it.
CURRENT: tuple[ParticipantStatus, ...] = (ParticipantStatus.ACTIVE, ParticipantStatus.PAUSED)


def _participant(row: Row[Any]) -> Participant:
    return Participant(
        id=row.id,
        partnership_id=row.partnership_id,
        user_id=row.user_id,
        role=Role(row.role),
        display_name=row.display_name,
        city_id=row.city_id,
        status=ParticipantStatus(row.status),
        grade_band=row.grade_band,
        languages=tuple(x for x in row.languages.split(",") if x),
        interests=tuple(json.loads(row.interests)),
        intro=row.intro,
        language=row.language,
    )


async def add(
    conn: AsyncConnection,
    *,
    guild_id: int,
    exchange_id: int,
    user_id: int,
    role: Role,
    display_name: str,
    city_id: int | None,
    now: datetime,
    grade_band: str | None = None,
    languages: Sequence[str] = (),
    interests: Sequence[str] = (),
    intro: str = "",
    language: str | None = None,
) -> int:
    """Insert a participant; returns its id. `language` defaults to their first language."""
    result = await conn.execute(
        participants.insert().values(
            guild_id=guild_id,
            partnership_id=exchange_id,
            user_id=user_id,
            role=role.value,
            display_name=display_name,
            city_id=city_id,
            grade_band=grade_band,
            languages=",".join(languages),
            interests=json.dumps(list(interests), ensure_ascii=False),
            intro=intro,
            language=language or (languages[0] if languages else "en"),
            created_at=now,
            updated_at=now,
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


async def find(conn: AsyncConnection, exchange_id: int, user_id: int) -> Participant | None:
    """This user's participation in this exchange, whatever its status."""
    row = (
        await conn.execute(
            select(participants).where(
                participants.c.partnership_id == exchange_id, participants.c.user_id == user_id
            )
        )
    ).first()
    return _participant(row) if row else None


async def of_user(conn: AsyncConnection, guild_id: int, user_id: int) -> list[Participant]:
    """Every exchange participation of a user in a guild (not removed)."""
    rows = (
        await conn.execute(
            select(participants)
            .where(
                participants.c.guild_id == guild_id,
                participants.c.user_id == user_id,
                participants.c.status != ParticipantStatus.REMOVED,
            )
            .order_by(participants.c.id)
        )
    ).all()
    return [_participant(r) for r in rows]


async def by_ids(conn: AsyncConnection, ids: Sequence[int]) -> list[Participant]:
    rows = (await conn.execute(select(participants).where(participants.c.id.in_(list(ids))))).all()
    return [_participant(r) for r in rows]


async def listing(
    conn: AsyncConnection,
    exchange_id: int,
    *,
    role: Role | None = None,
    city_id: int | None = None,
    statuses: Sequence[str] = CURRENT,
) -> list[Participant]:
    """Participants of an exchange, filtered, by name."""
    query = select(participants).where(
        participants.c.partnership_id == exchange_id, participants.c.status.in_(list(statuses))
    )
    if role is not None:
        query = query.where(participants.c.role == role.value)
    if city_id is not None:
        query = query.where(participants.c.city_id == city_id)
    rows = (
        await conn.execute(query.order_by(participants.c.display_name, participants.c.id))
    ).all()
    return [_participant(r) for r in rows]


async def exchanges_with(conn: AsyncConnection, role: Role) -> set[int]:
    """The exchanges with someone current in `role` (one statement: start-up's filter)."""
    rows = await conn.execute(
        select(participants.c.partnership_id)
        .where(participants.c.role == role.value, participants.c.status.in_(list(CURRENT)))
        .distinct()
    )
    return {int(r[0]) for r in rows}


async def update_profile(
    conn: AsyncConnection, participant_id: int, now: datetime, **values: Any
) -> None:
    """Change profile columns (languages and interests given as sequences)."""
    if "languages" in values:
        values["languages"] = ",".join(values["languages"])
    if "interests" in values:
        values["interests"] = json.dumps(list(values["interests"]), ensure_ascii=False)
    await conn.execute(
        update(participants)
        .where(participants.c.id == participant_id)
        .values(updated_at=now, **values)
    )


async def add_keep_apart(
    conn: AsyncConnection, exchange_id: int, a: int, b: int, by: int, now: datetime
) -> bool:
    """Mark two participants as never to be paired; False if already marked."""
    first, second = sorted((a, b))
    exists = await conn.scalar(
        select(keep_apart.c.id).where(
            keep_apart.c.partnership_id == exchange_id,
            keep_apart.c.first_id == first,
            keep_apart.c.second_id == second,
        )
    )
    if exists is not None:
        return False
    await conn.execute(
        keep_apart.insert().values(
            partnership_id=exchange_id,
            first_id=first,
            second_id=second,
            created_by=by,
            created_at=now,
        )
    )
    return True


async def remove_keep_apart(conn: AsyncConnection, exchange_id: int, a: int, b: int) -> bool:
    first, second = sorted((a, b))
    result = await conn.execute(
        delete(keep_apart).where(
            keep_apart.c.partnership_id == exchange_id,
            keep_apart.c.first_id == first,
            keep_apart.c.second_id == second,
        )
    )
    return bool(result.rowcount)


async def keep_apart_pairs(conn: AsyncConnection, exchange_id: int) -> list[frozenset[int]]:
    rows = (
        await conn.execute(
            select(keep_apart.c.first_id, keep_apart.c.second_id).where(
                keep_apart.c.partnership_id == exchange_id
            )
        )
    ).all()
    return [frozenset((r.first_id, r.second_id)) for r in rows]


async def is_kept_apart(conn: AsyncConnection, exchange_id: int, a: int, b: int) -> bool:
    first, second = sorted((a, b))
    found = await conn.scalar(
        select(keep_apart.c.id).where(
            keep_apart.c.partnership_id == exchange_id,
            or_(and_(keep_apart.c.first_id == first, keep_apart.c.second_id == second)),
        )
    )
    return found is not None


async def preferred_language(conn: AsyncConnection, guild_id: int, user_id: int) -> str | None:
    """The language a person chose in their most recent profile in this guild, if any."""
    return await conn.scalar(
        select(participants.c.language)
        .where(
            participants.c.guild_id == guild_id,
            participants.c.user_id == user_id,
            participants.c.status != ParticipantStatus.REMOVED,
        )
        .order_by(participants.c.updated_at.desc(), participants.c.id.desc())
        .limit(1)
    )


async def page(
    conn: AsyncConnection,
    exchange_id: int,
    *,
    role: Role | None = None,
    city_id: int | None = None,
    statuses: Sequence[str] = CURRENT,
    grade_band: str | None = None,
    offset: int = 0,
    limit: int = 25,
) -> tuple[list[Participant], int]:
    """One page of an exchange's participants by name, and how many match in all."""
    where = [
        participants.c.partnership_id == exchange_id,
        participants.c.status.in_(list(statuses)),
    ]
    if role is not None:
        where.append(participants.c.role == role.value)
    if city_id is not None:
        where.append(participants.c.city_id == city_id)
    if grade_band is not None:
        where.append(participants.c.grade_band == grade_band)
    total = int(
        (
            await conn.execute(select(func.count()).select_from(participants).where(*where))
        ).scalar_one()
    )
    rows = (
        await conn.execute(
            select(participants)
            .where(*where)
            .order_by(func.lower(participants.c.display_name), participants.c.id)
            .offset(offset)
            .limit(limit)
        )
    ).all()
    return [_participant(r) for r in rows], total


async def head_counts(
    conn: AsyncConnection, exchange_id: int, role: Role = Role.STUDENT
) -> dict[tuple[int | None, str], int]:
    """(city id, status) -> how many participants of `role`, removed ones included."""
    rows = await conn.execute(
        select(participants.c.city_id, participants.c.status, func.count())
        .where(participants.c.partnership_id == exchange_id, participants.c.role == role.value)
        .group_by(participants.c.city_id, participants.c.status)
    )
    return {(r[0], r[1]): int(r[2]) for r in rows}


async def keep_apart_marks(
    conn: AsyncConnection, exchange_id: int
) -> list[tuple[int, int, int, datetime]]:
    """Every keep-apart mark: (first id, second id, who marked it, when), oldest first."""
    rows = (
        await conn.execute(
            select(keep_apart)
            .where(keep_apart.c.partnership_id == exchange_id)
            .order_by(keep_apart.c.id)
        )
    ).all()
    return [(r.first_id, r.second_id, r.created_by, r.created_at) for r in rows]
