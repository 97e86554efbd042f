"""Queries for surveys, their items and the students' answers (issue 23)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.surveys import Answer, Item, ItemKind, SurveyKind, SurveyStatus
from bot.store.schema import participants, survey_answers, survey_items, surveys


@dataclass(frozen=True, slots=True)
class SurveyRecord:
    """A stored survey."""

    id: int
    guild_id: int
    exchange_id: int
    title: str
    kind: SurveyKind
    named: bool
    status: SurveyStatus
    city_id: int | None  # the one city it was sent to (None: every city)
    pre_id: int | None
    created_at: datetime
    sent_at: datetime | None
    closed_at: datetime | None


def _survey(row: Any) -> SurveyRecord:
    return SurveyRecord(
        id=row.id,
        guild_id=row.guild_id,
        exchange_id=row.partnership_id,
        title=row.title,
        kind=SurveyKind(row.kind),
        named=bool(row.named),
        status=SurveyStatus(row.status),
        city_id=row.city_id,
        pre_id=row.pre_id,
        created_at=row.created_at,
        sent_at=row.sent_at,
        closed_at=row.closed_at,
    )


def _item(row: Any) -> Item:
    return Item(
        kind=ItemKind(row.kind),
        text=row.text,
        choices=tuple(json.loads(row.choices)),
        builtin=bool(row.builtin),
        position=row.position,
        id=row.id,
    )


async def create(
    conn: AsyncConnection,
    *,
    guild_id: int,
    exchange_id: int,
    title: str,
    kind: SurveyKind,
    named: bool,
    pre_id: int | None,
    by: int,
    now: datetime,
) -> int:
    result = await conn.execute(
        surveys.insert().values(
            guild_id=guild_id,
            partnership_id=exchange_id,
            title=title,
            kind=kind.value,
            named=named,
            status=SurveyStatus.DRAFT.value,
            pre_id=pre_id,
            created_by=by,
            created_at=now,
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


async def get(conn: AsyncConnection, survey_id: int) -> SurveyRecord | None:
    row = (await conn.execute(select(surveys).where(surveys.c.id == survey_id))).first()
    return None if row is None else _survey(row)


async def of_exchanges(
    conn: AsyncConnection, guild_id: int, exchange_ids: Sequence[int] | None = None
) -> list[SurveyRecord]:
    """The guild's surveys (of these exchanges only, when given), newest first."""
    query = select(surveys).where(surveys.c.guild_id == guild_id)
    if exchange_ids is not None:
        query = query.where(surveys.c.partnership_id.in_(list(exchange_ids)))
    rows = (await conn.execute(query.order_by(surveys.c.id.desc()))).all()
    return [_survey(r) for r in rows]


async def latest_pre(conn: AsyncConnection, exchange_id: int) -> int | None:
    """The exchange's newest pre survey (a new post survey is compared with it)."""
    found = await conn.scalar(
        select(func.max(surveys.c.id)).where(
            surveys.c.partnership_id == exchange_id, surveys.c.kind == SurveyKind.PRE.value
        )
    )
    return None if found is None else int(found)


async def post_of(conn: AsyncConnection, pre_id: int) -> int | None:
    """The newest post survey compared with this pre survey."""
    found = await conn.scalar(select(func.max(surveys.c.id)).where(surveys.c.pre_id == pre_id))
    return None if found is None else int(found)


async def add_items(conn: AsyncConnection, survey_id: int, items: Sequence[Item]) -> None:
    """Append items after the survey's last one."""
    last = await conn.scalar(
        select(func.max(survey_items.c.position)).where(survey_items.c.survey_id == survey_id)
    )
    start = int(last or 0)
    for offset, item in enumerate(items, 1):
        await conn.execute(
            survey_items.insert().values(
                survey_id=survey_id,
                position=start + offset,
                kind=item.kind.value,
                text=item.text,
                builtin=item.builtin,
                choices=json.dumps(list(item.choices), ensure_ascii=False),
            )
        )


async def items(conn: AsyncConnection, survey_id: int) -> list[Item]:
    rows = (
        await conn.execute(
            select(survey_items)
            .where(survey_items.c.survey_id == survey_id)
            .order_by(survey_items.c.position)
        )
    ).all()
    return [_item(r) for r in rows]


async def count_items(conn: AsyncConnection, survey_id: int) -> int:
    found = await conn.scalar(select(func.count()).where(survey_items.c.survey_id == survey_id))
    return int(found or 0)


async def mark_sent(
    conn: AsyncConnection, survey_id: int, city_id: int | None, now: datetime
) -> None:
    await conn.execute(
        update(surveys)
        .where(surveys.c.id == survey_id)
        .values(status=SurveyStatus.OPEN.value, city_id=city_id, sent_at=now)
    )


async def close(conn: AsyncConnection, survey_id: int, by: int, now: datetime) -> None:
    await conn.execute(
        update(surveys)
        .where(surveys.c.id == survey_id)
        .values(status=SurveyStatus.CLOSED.value, closed_by=by, closed_at=now)
    )


async def answered(conn: AsyncConnection, survey_id: int, participant_id: int) -> set[int]:
    """The item ids this student has answered."""
    found = await conn.scalars(
        select(survey_answers.c.item_id).where(
            survey_answers.c.survey_id == survey_id,
            survey_answers.c.participant_id == participant_id,
        )
    )
    return set(found)


async def answer(
    conn: AsyncConnection,
    survey_id: int,
    item_id: int,
    participant_id: int,
    choice: int | None,
    text: str | None,
    now: datetime,
) -> bool:
    """Record a student's answer, replacing theirs; True when it replaced one."""
    changed = await conn.execute(
        update(survey_answers)
        .where(
            survey_answers.c.item_id == item_id,
            survey_answers.c.participant_id == participant_id,
        )
        .values(choice=choice, text=text, answered_at=now)
    )
    if changed.rowcount:
        return True
    await conn.execute(
        survey_answers.insert().values(
            survey_id=survey_id,
            item_id=item_id,
            participant_id=participant_id,
            choice=choice,
            text=text,
            answered_at=now,
        )
    )
    return False


async def answers(conn: AsyncConnection, survey_id: int) -> list[Answer]:
    """Every answer to the survey, with the student's city and name."""
    rows = (
        await conn.execute(
            select(
                survey_answers.c.item_id,
                survey_answers.c.choice,
                survey_answers.c.text,
                participants.c.city_id,
                participants.c.display_name,
            )
            .join(participants, participants.c.id == survey_answers.c.participant_id)
            .where(survey_answers.c.survey_id == survey_id)
            .order_by(survey_answers.c.item_id, survey_answers.c.participant_id)
        )
    ).all()
    return [Answer(r.item_id, r.city_id, r.choice, r.text, r.display_name) for r in rows]


async def respondents(conn: AsyncConnection, survey_id: int) -> int:
    """How many students answered at least one item."""
    found = await conn.scalar(
        select(func.count(func.distinct(survey_answers.c.participant_id))).where(
            survey_answers.c.survey_id == survey_id
        )
    )
    return int(found or 0)
