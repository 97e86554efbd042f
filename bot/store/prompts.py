"""Queries for an exchange's own prompts, retirements, prompts posted to pairs, and replies."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.pairing import PairStatus
from bot.domain.prompts import PostRow, Prompt, ResponseRow, own_key
from bot.store.schema import (
    pair_members,
    pairs,
    participants,
    partnerships,
    prompt_posts,
    prompt_responses,
    prompt_retirements,
    prompts,
)


def _prompt(row: Row[Any]) -> Prompt:
    return Prompt(
        key=own_key(row.id),
        theme=row.theme,
        ages=row.ages,
        texts=json.loads(row.texts),
        builtin=False,
    )


# -- an exchange's own prompts -------------------------------------------------------------------


async def add_prompt(
    conn: AsyncConnection,
    *,
    exchange_id: int,
    texts: Mapping[str, str],
    ages: str,
    theme: str,
    by: int,
    now: datetime,
) -> Prompt:
    result = await conn.execute(
        prompts.insert().values(
            partnership_id=exchange_id,
            texts=json.dumps(dict(texts), ensure_ascii=False, sort_keys=True),
            ages=ages,
            theme=theme,
            created_by=by,
            created_at=now,
            updated_at=now,
        )
    )
    prompt_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    return Prompt(own_key(prompt_id), theme, ages, dict(texts), builtin=False)


async def same_prompt(
    conn: AsyncConnection, exchange_id: int, texts: Mapping[str, str]
) -> Prompt | None:
    """The exchange's own prompt with exactly these texts, if there is one."""
    row = (
        await conn.execute(
            select(prompts).where(
                prompts.c.partnership_id == exchange_id,
                prompts.c.texts == json.dumps(dict(texts), ensure_ascii=False, sort_keys=True),
            )
        )
    ).first()
    return _prompt(row) if row else None


async def update_prompt(
    conn: AsyncConnection,
    prompt_id: int,
    *,
    texts: Mapping[str, str],
    ages: str,
    theme: str,
    now: datetime,
) -> None:
    await conn.execute(
        update(prompts)
        .where(prompts.c.id == prompt_id)
        .values(
            texts=json.dumps(dict(texts), ensure_ascii=False, sort_keys=True),
            ages=ages,
            theme=theme,
            updated_at=now,
        )
    )


async def own_prompts(conn: AsyncConnection, exchange_id: int) -> list[Prompt]:
    """The exchange's own prompts, oldest first (retired ones included)."""
    rows = (
        await conn.execute(
            select(prompts).where(prompts.c.partnership_id == exchange_id).order_by(prompts.c.id)
        )
    ).all()
    return [_prompt(r) for r in rows]


async def get_own(conn: AsyncConnection, exchange_id: int, prompt_id: int) -> Prompt | None:
    row = (
        await conn.execute(
            select(prompts).where(
                prompts.c.id == prompt_id, prompts.c.partnership_id == exchange_id
            )
        )
    ).first()
    return _prompt(row) if row else None


# -- retirements ---------------------------------------------------------------------------------


async def retired_keys(conn: AsyncConnection, exchange_id: int) -> set[str]:
    rows = await conn.execute(
        select(prompt_retirements.c.prompt_key).where(
            prompt_retirements.c.partnership_id == exchange_id
        )
    )
    return {r.prompt_key for r in rows}


async def retire(conn: AsyncConnection, exchange_id: int, key: str, by: int, now: datetime) -> bool:
    """Retire a prompt for this exchange; False if it already was."""
    if key in await retired_keys(conn, exchange_id):
        return False
    await conn.execute(
        prompt_retirements.insert().values(
            partnership_id=exchange_id, prompt_key=key, retired_by=by, retired_at=now
        )
    )
    return True


async def restore(conn: AsyncConnection, exchange_id: int, key: str) -> bool:
    """Bring a retired prompt back; False if it was not retired."""
    result = await conn.execute(
        delete(prompt_retirements).where(
            prompt_retirements.c.partnership_id == exchange_id,
            prompt_retirements.c.prompt_key == key,
        )
    )
    return bool(result.rowcount)


# -- posts ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PostRecord:
    id: int
    pair_id: int
    key: str
    reason: str
    posted_at: datetime


async def history(conn: AsyncConnection, pair_ids: Collection[int]) -> dict[int, list[str]]:
    """The prompt keys each pair got, oldest first."""
    found: dict[int, list[str]] = defaultdict(list)
    if not pair_ids:
        return found
    rows = await conn.execute(
        select(prompt_posts.c.pair_id, prompt_posts.c.prompt_key)
        .where(prompt_posts.c.pair_id.in_(list(pair_ids)))
        .order_by(prompt_posts.c.posted_at, prompt_posts.c.id)
    )
    for row in rows:
        found[row.pair_id].append(row.prompt_key)
    return found


async def latest_post(conn: AsyncConnection, pair_id: int) -> PostRecord | None:
    """The pair's most recent prompt."""
    row = (
        await conn.execute(
            select(prompt_posts)
            .where(prompt_posts.c.pair_id == pair_id)
            .order_by(prompt_posts.c.posted_at.desc(), prompt_posts.c.id.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    return PostRecord(row.id, row.pair_id, row.prompt_key, row.reason, row.posted_at)


@dataclass(frozen=True, slots=True)
class SessionPost:
    """A pair's post for one session key (or one /prompt now): the prompt, and the message
    once Discord has it (None: recorded, its posting cut short or still under way)."""

    id: int
    key: str
    message_id: int | None


async def post_for_session(
    conn: AsyncConnection, pair_id: int, session_key: str
) -> SessionPost | None:
    row = (
        await conn.execute(
            select(prompt_posts).where(
                prompt_posts.c.pair_id == pair_id, prompt_posts.c.session_key == session_key
            )
        )
    ).first()
    if row is None:
        return None
    return SessionPost(row.id, row.prompt_key, row.message_id)


async def pairs_posted_for_session(
    conn: AsyncConnection, exchange_id: int, session_key: str
) -> set[int]:
    rows = await conn.execute(
        select(prompt_posts.c.pair_id).where(
            prompt_posts.c.partnership_id == exchange_id,
            prompt_posts.c.session_key == session_key,
        )
    )
    return {r.pair_id for r in rows}


async def claim_post(
    conn: AsyncConnection,
    *,
    exchange_id: int,
    pair_id: int,
    key: str,
    reason: str,
    session_key: str | None,
    by: int | None,
    now: datetime,
) -> int | None:
    """Record a post before it is sent; None if this session already has one for the pair.

    Recording first means two overlapping deliveries for one session cannot both post: the
    unique (pair, session key) lets exactly one of them in.
    """
    try:
        async with conn.begin_nested():
            result = await conn.execute(
                prompt_posts.insert().values(
                    partnership_id=exchange_id,
                    pair_id=pair_id,
                    prompt_key=key,
                    reason=reason,
                    session_key=session_key,
                    posted_by=by,
                    posted_at=now,
                )
            )
    except IntegrityError:
        if session_key is None:
            raise
        return None
    return int(result.inserted_primary_key[0])  # type: ignore[index]


async def set_message(conn: AsyncConnection, post_id: int, message_id: int) -> None:
    await conn.execute(
        update(prompt_posts).where(prompt_posts.c.id == post_id).values(message_id=message_id)
    )


async def drop_post(conn: AsyncConnection, post_id: int) -> None:
    """Forget a claimed post that could not be sent."""
    await conn.execute(delete(prompt_posts).where(prompt_posts.c.id == post_id))


# -- responses -----------------------------------------------------------------------------------


async def add_responses(conn: AsyncConnection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Store replies (post_id, participant_id, at, length) in one statement."""
    if rows:
        await conn.execute(prompt_responses.insert(), [dict(r) for r in rows])


async def answered_before(
    conn: AsyncConnection, keys: Collection[tuple[int, int]]
) -> set[tuple[int, int]]:
    """Which (post id, participant id) already have a stored reply."""
    if not keys:
        return set()
    posts = sorted({post for post, _ in keys})
    rows = await conn.execute(
        select(prompt_responses.c.post_id, prompt_responses.c.participant_id)
        .where(prompt_responses.c.post_id.in_(posts))
        .distinct()
    )
    return {(r.post_id, r.participant_id) for r in rows} & set(keys)


async def rate_rows(
    conn: AsyncConnection, exchange_id: int
) -> tuple[list[PostRow], list[ResponseRow]]:
    """Every post of the exchange and every reply to them, for response rates."""
    posts = [
        PostRow(r.id, r.prompt_key, r.pair_id)
        for r in await conn.execute(
            select(prompt_posts.c.id, prompt_posts.c.prompt_key, prompt_posts.c.pair_id).where(
                prompt_posts.c.partnership_id == exchange_id
            )
        )
    ]
    responses = [
        ResponseRow(r.post_id, r.length)
        for r in await conn.execute(
            select(prompt_responses.c.post_id, prompt_responses.c.length)
            .join(prompt_posts, prompt_posts.c.id == prompt_responses.c.post_id)
            .where(prompt_posts.c.partnership_id == exchange_id)
        )
    ]
    return posts, responses


# -- messages in paired spaces -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SpaceContext:
    """The pair a paired space belongs to, and whether the writer is one of its members."""

    pair_id: int
    exchange_id: int
    guild_id: int
    status: PairStatus
    member_id: int | None  # the writer's participant id when they are in the pair
    # The writer is on the exchange's roster (active or paused), in this pair or not.
    on_roster: bool = False


async def _latest_pair(conn: AsyncConnection, space_id: int) -> Row[Any, Any, Any, Any] | None:
    """The latest pair of a channel or thread of an active exchange: id, exchange, status,
    guild."""
    return (
        await conn.execute(
            select(pairs.c.id, pairs.c.partnership_id, pairs.c.status, partnerships.c.guild_id)
            .join(partnerships, partnerships.c.id == pairs.c.partnership_id)
            .where(pairs.c.space_id == space_id, partnerships.c.status == "active")
            .order_by(pairs.c.id.desc())
            .limit(1)
        )
    ).first()


async def space_context(conn: AsyncConnection, space_id: int, user_id: int) -> SpaceContext | None:
    """The latest pair of a channel or thread of an active exchange (None: no paired space)."""
    row = await _latest_pair(conn, space_id)
    if row is None:
        return None
    person = (
        await conn.execute(
            select(participants.c.id).where(
                participants.c.partnership_id == row.partnership_id,
                participants.c.user_id == user_id,
                participants.c.status.in_(("active", "paused")),
            )
        )
    ).first()
    member = None
    if person is not None:
        member = await conn.scalar(
            select(pair_members.c.participant_id).where(
                pair_members.c.pair_id == row.id,
                pair_members.c.participant_id == person.id,
                pair_members.c.left_at.is_(None),
            )
        )
    return SpaceContext(
        row.id,
        row.partnership_id,
        row.guild_id,
        PairStatus(row.status),
        member,
        person is not None,
    )


@dataclass(frozen=True, slots=True)
class SpaceInfo:
    """The pair a paired space belongs to and its members, by Discord user id."""

    pair_id: int
    exchange_id: int
    guild_id: int
    status: PairStatus
    members: Mapping[int, int]  # user id -> participant id


async def space_info(conn: AsyncConnection, space_id: int) -> SpaceInfo | None:
    """The latest pair of a channel or thread of an active exchange, with every member."""
    row = await _latest_pair(conn, space_id)
    if row is None:
        return None
    members = await conn.execute(
        select(participants.c.user_id, participants.c.id)
        .join(pair_members, pair_members.c.participant_id == participants.c.id)
        .where(pair_members.c.pair_id == row.id)
    )
    return SpaceInfo(
        row.id,
        row.partnership_id,
        row.guild_id,
        PairStatus(row.status),
        {m[0]: m[1] for m in members},
    )


async def exchange_guild(conn: AsyncConnection, exchange_id: int) -> int | None:
    """The guild of an active exchange."""
    return await conn.scalar(
        select(partnerships.c.guild_id).where(
            partnerships.c.id == exchange_id, partnerships.c.status == "active"
        )
    )
