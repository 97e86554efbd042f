"""Queries for profile drafts: what a /join or /profile panel holds until it is sent."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.exchange import ProfileDraft, Role
from bot.store.schema import profile_drafts


def _draft(row: Row[Any]) -> ProfileDraft:
    return ProfileDraft(
        id=row.id,
        partnership_id=row.partnership_id,
        user_id=row.user_id,
        city_id=row.city_id,
        role=Role(row.role),
        editing=bool(row.editing),
        language=row.language,
        grade_band=row.grade_band,
        languages=tuple(x for x in row.languages.split(",") if x),
        interests=tuple(json.loads(row.interests)),
        other_interests=row.other_interests,
        intro=row.intro,
    )


def _stored(values: dict[str, Any]) -> dict[str, Any]:
    """Column values as stored (languages and interests are given as sequences)."""
    if "languages" in values:
        values["languages"] = ",".join(values["languages"])
    if "interests" in values:
        values["interests"] = json.dumps(list(values["interests"]), ensure_ascii=False)
    if "role" in values:
        values["role"] = Role(values["role"]).value
    return values


async def add(
    conn: AsyncConnection,
    *,
    guild_id: int,
    exchange_id: int,
    user_id: int,
    city_id: int | None,
    role: Role,
    editing: bool,
    language: str,
    now: datetime,
    grade_band: str | None = None,
    languages: Sequence[str] = (),
    interests: Sequence[str] = (),
    other_interests: str = "",
    intro: str = "",
) -> int:
    """Insert a draft; returns its id."""
    result = await conn.execute(
        profile_drafts.insert().values(
            guild_id=guild_id,
            partnership_id=exchange_id,
            user_id=user_id,
            city_id=city_id,
            editing=editing,
            created_at=now,
            updated_at=now,
            **_stored(
                {
                    "role": role,
                    "language": language,
                    "grade_band": grade_band,
                    "languages": languages,
                    "interests": interests,
                    "other_interests": other_interests,
                    "intro": intro,
                }
            ),
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


async def get(
    conn: AsyncConnection, draft_id: int, *, touched_since: datetime | None = None
) -> ProfileDraft | None:
    """A draft; with `touched_since`, only if it was changed since then."""
    query = select(profile_drafts).where(profile_drafts.c.id == draft_id)
    if touched_since is not None:
        query = query.where(profile_drafts.c.updated_at >= touched_since)
    row = (await conn.execute(query)).first()
    return _draft(row) if row else None


async def change(conn: AsyncConnection, draft_id: int, now: datetime, **values: Any) -> bool:
    """Change a draft's columns; False if it is gone."""
    result = await conn.execute(
        update(profile_drafts)
        .where(profile_drafts.c.id == draft_id)
        .values(updated_at=now, **_stored(values))
    )
    return bool(result.rowcount)


async def drop(conn: AsyncConnection, draft_id: int) -> None:
    await conn.execute(delete(profile_drafts).where(profile_drafts.c.id == draft_id))


async def drop_untouched_since(conn: AsyncConnection, before: datetime) -> int:
    """Delete drafts nobody touched since `before`; returns how many."""
    result = await conn.execute(delete(profile_drafts).where(profile_drafts.c.updated_at < before))
    return int(result.rowcount)
