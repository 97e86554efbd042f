"""Queries behind /report and `python -m bot report`: counting happens here, in SQL.

Messages are read from `message_days` (a running total of the log's `pair.message` rows), so a
summary never scans the activity log itself; everything else is counted from the tables the
features keep (attendance, prompt answers, chess games), each through an index that starts
with the exchange or the student.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Select

from bot.domain.reporting import (
    CityCounts,
    Evidence,
    MessageDay,
    PairActivity,
    Period,
    SessionSlot,
    Student,
)
from bot.store.schema import (
    activity,
    chess_games,
    message_days,
    pair_members,
    pairs,
    participants,
    prompt_posts,
    prompt_responses,
    session_attendance,
    session_marks,
    session_occurrences,
    sessions,
)

STUDENT = "student"
WHITE_WINS = {"1-0": 1.0, "0-1": 0.0, "1/2-1/2": 0.5}


# -- writing the message totals --------------------------------------------------------------------


async def add_message_days(conn: AsyncConnection, days: Sequence[MessageDay]) -> None:
    """Add a batch's messages to the stored daily totals (one upsert statement per batch)."""
    if not days:
        return
    dialect = conn.dialect.name
    latest: ColumnElement[Any]
    if dialect == "sqlite":
        insert = sqlite.insert(message_days)
        latest = func.max(message_days.c.last_at, insert.excluded.last_at)
    elif dialect == "postgresql":
        insert = postgresql.insert(message_days)  # type: ignore[assignment]
        latest = func.greatest(message_days.c.last_at, insert.excluded.last_at)
    else:  # pragma: no cover - Twinbridge runs on SQLite or PostgreSQL
        raise NotImplementedError(f"message totals need an upsert on {dialect}")
    statement = insert.on_conflict_do_update(
        index_elements=["pair_id", "participant_id", "day"],
        set_={
            "messages": message_days.c.messages + insert.excluded.messages,
            "measured": message_days.c.measured + insert.excluded.measured,
            "characters": message_days.c.characters + insert.excluded.characters,
            "last_at": latest,
        },
    )
    await conn.execute(
        statement,
        [
            {
                "partnership_id": d.exchange_id,
                "pair_id": d.pair_id,
                "participant_id": d.participant_id,
                "day": d.day,
                "messages": d.messages,
                "measured": d.measured,
                "characters": d.characters,
                "last_at": d.last_at,
            }
            for d in days
        ],
    )


# -- sessions and attendance -----------------------------------------------------------------------


def _in(column: ColumnElement[datetime], period: Period) -> ColumnElement[bool]:
    return and_(column >= period.starts_at, column < period.ends_at)


def _days(column: ColumnElement[date], period: Period) -> ColumnElement[bool]:
    return and_(column >= period.start, column <= period.end)


async def slots(conn: AsyncConnection, exchange_id: int, period: Period) -> list[SessionSlot]:
    """The exchange's session dates starting in the period (drafts never count), in order."""
    rows = await conn.execute(
        select(
            session_occurrences.c.id,
            sessions.c.title,
            session_occurrences.c.starts_at,
            session_occurrences.c.ends_at,
            session_occurrences.c.status,
        )
        .join(sessions, sessions.c.id == session_occurrences.c.session_id)
        .where(
            sessions.c.partnership_id == exchange_id,
            sessions.c.status != "draft",
            _in(session_occurrences.c.starts_at, period),
        )
        .order_by(session_occurrences.c.starts_at, session_occurrences.c.id)
    )
    return [SessionSlot(r[0], r[1], r[2], r[3], r[4]) for r in rows]


def _counted_at(exchange_id: int, period: Period) -> ColumnElement[bool]:
    return and_(
        sessions.c.partnership_id == exchange_id,
        sessions.c.status != "draft",
        session_occurrences.c.status == "done",
        _in(session_occurrences.c.starts_at, period),
    )


async def attended(
    conn: AsyncConnection,
    exchange_id: int,
    period: Period,
    *,
    student_id: int | None = None,
) -> list[Evidence]:
    """What the bot saw at the period's ended sessions: each check-in and each voice presence
    with its seconds (`bot.domain.reporting.seen_from` decides what counts)."""
    query = (
        select(
            session_attendance.c.occurrence_id,
            session_attendance.c.participant_id,
            session_attendance.c.method,
            session_attendance.c.voice_seconds,
        )
        .join(session_occurrences, session_occurrences.c.id == session_attendance.c.occurrence_id)
        .join(sessions, sessions.c.id == session_occurrences.c.session_id)
        .where(_counted_at(exchange_id, period))
    )
    if student_id is not None:
        query = query.where(session_attendance.c.participant_id == student_id)
    return [Evidence(r[0], r[1], r[2], r[3]) for r in await conn.execute(query)]


async def marks(
    conn: AsyncConnection,
    exchange_id: int,
    period: Period,
    *,
    student_id: int | None = None,
) -> dict[tuple[int, int], str]:
    """(occurrence id, participant id) → a teacher's mark at the period's ended sessions."""
    query = (
        select(session_marks.c.occurrence_id, session_marks.c.participant_id, session_marks.c.mark)
        .join(session_occurrences, session_occurrences.c.id == session_marks.c.occurrence_id)
        .join(sessions, sessions.c.id == session_occurrences.c.session_id)
        .where(_counted_at(exchange_id, period))
    )
    if student_id is not None:
        query = query.where(session_marks.c.participant_id == student_id)
    return {(r[0], r[1]): r[2] for r in await conn.execute(query)}


async def students(
    conn: AsyncConnection, exchange_id: int, period: Period, *, city_id: int | None = None
) -> list[Student]:
    """The exchange's students who had joined by the end of the period, whatever their status."""
    query = select(
        participants.c.id,
        participants.c.display_name,
        participants.c.city_id,
        participants.c.status,
        participants.c.created_at,
    ).where(
        participants.c.partnership_id == exchange_id,
        participants.c.role == STUDENT,
        participants.c.created_at < period.ends_at,
    )
    if city_id is not None:
        query = query.where(participants.c.city_id == city_id)
    found = [Student(r[0], r[1], r[2], r[3], r[4]) for r in await conn.execute(query)]
    return await _with_history(conn, exchange_id, found, period.ends_at)


# The roster events of the activity log that change a student's status, and the status after.
STATUS_AFTER = {
    "roster.paused": "paused",
    "roster.resumed": "active",
    "roster.removed": "removed",
    "roster.restored": "active",
}


async def _with_history(
    conn: AsyncConnection, exchange_id: int, students: list[Student], until: datetime
) -> list[Student]:
    """The students with their status changes before `until`, from the activity log.

    A few rows per student, found through the (exchange, kind, at) index; a re-import that
    brought a removed student back is a `roster.joined` marked `restored`.
    """
    if not students:
        return students
    rows = await conn.execute(
        select(activity.c.at, activity.c.kind, activity.c.details)
        .where(
            activity.c.partnership_id == exchange_id,
            activity.c.kind.in_([*STATUS_AFTER, "roster.joined"]),
            activity.c.at < until,
        )
        .order_by(activity.c.at, activity.c.id)
    )
    history: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    for at, kind, text in rows:
        details = json.loads(text)
        who = details.get("participant")
        if kind == "roster.joined":
            if not details.get("restored"):
                continue
            status = "active"
        else:
            status = STATUS_AFTER[kind]
        if isinstance(who, int):
            history[who].append((at, status))
    return [replace(s, history=tuple(history[s.id])) if s.id in history else s for s in students]


# -- what students did, per city -------------------------------------------------------------------


def _first_reply() -> ColumnElement[bool]:
    """The `prompt_responses` row is its student's first reply to its post.

    That reply is the log's `prompt.answered` event (bot/services/activity_writer.py): a prompt
    answered in several messages, even across two report periods, is one answer, counted in
    the period of the first message. Checked through the (post, participant) index.
    """
    earlier = prompt_responses.alias("earlier")
    return ~exists().where(
        earlier.c.post_id == prompt_responses.c.post_id,
        earlier.c.participant_id == prompt_responses.c.participant_id,
        earlier.c.id < prompt_responses.c.id,
    )


def _took_part(period: Period) -> ColumnElement[bool]:
    """The student (`participants` row) did something in the period: wrote, answered, came to
    a session, or had a chess game going. One indexed look-up each, per student."""
    person = participants.c.id
    wrote = exists().where(
        message_days.c.participant_id == person, _days(message_days.c.day, period)
    )
    answered = exists().where(
        prompt_responses.c.participant_id == person, _in(prompt_responses.c.at, period)
    )
    came = exists().where(
        session_attendance.c.participant_id == person,
        session_occurrences.c.id == session_attendance.c.occurrence_id,
        _in(session_occurrences.c.starts_at, period),
    )
    played = exists().where(
        or_(chess_games.c.white_id == person, chess_games.c.black_id == person),
        chess_games.c.started_at < period.ends_at,
        or_(chess_games.c.finished_at.is_(None), chess_games.c.finished_at >= period.starts_at),
    )
    return or_(wrote, answered, came, played)


async def _by_city(conn: AsyncConnection, query: Select[Any]) -> dict[int, int]:
    """A (city id, count) query as a dict; students without a city are left out."""
    return {r[0]: int(r[1] or 0) for r in await conn.execute(query) if r[0] is not None}


async def city_counts(
    conn: AsyncConnection, exchange_id: int, period: Period
) -> dict[int, CityCounts]:
    """Students enrolled and active, prompt answers, messages and chess points per city.

    Each figure is summed per student through an index that starts with the student (a
    correlated subquery), then per city: a year of a busy exchange is hundreds of thousands
    of daily totals, and this reads each once, from the index alone.
    """
    student = and_(participants.c.partnership_id == exchange_id, participants.c.role == STUDENT)
    person = participants.c.id
    enrolled = await _by_city(
        conn,
        select(participants.c.city_id, func.count())
        .where(student, participants.c.created_at < period.ends_at)
        .group_by(participants.c.city_id),
    )
    active = await _by_city(
        conn,
        select(participants.c.city_id, func.count())
        .where(student, _took_part(period))
        .group_by(participants.c.city_id),
    )
    answers = (
        select(func.count())
        .where(
            prompt_responses.c.participant_id == person,
            _in(prompt_responses.c.at, period),
            _first_reply(),
        )
        .scalar_subquery()
    )
    answered = await _by_city(
        conn,
        select(participants.c.city_id, func.sum(answers))
        .where(student)
        .group_by(participants.c.city_id),
    )
    written = (
        select(func.sum(message_days.c.messages))
        .where(message_days.c.participant_id == person, _days(message_days.c.day, period))
        .scalar_subquery()
    )
    messages = await _by_city(
        conn,
        select(participants.c.city_id, func.sum(written))
        .where(student)
        .group_by(participants.c.city_id),
    )
    points, _games = await chess_score(conn, exchange_id, period)
    found: dict[int, CityCounts] = {}
    for city_id in {*enrolled, *active, *answered, *messages, *points}:
        found[city_id] = CityCounts(
            enrolled=enrolled.get(city_id, 0),
            active=active.get(city_id, 0),
            prompt_answers=answered.get(city_id, 0),
            messages=messages.get(city_id, 0),
            chess_points=points.get(city_id, 0.0),
        )
    return found


async def chess_score(
    conn: AsyncConnection, exchange_id: int, period: Period
) -> tuple[dict[int, float], int]:
    """City-vs-city points and the number of games between students finished in the period."""
    white = participants.alias("white")
    black = participants.alias("black")
    rows = await conn.execute(
        select(white.c.city_id, black.c.city_id, chess_games.c.result, func.count())
        .join(white, white.c.id == chess_games.c.white_id)
        .join(black, black.c.id == chess_games.c.black_id)
        .where(
            chess_games.c.partnership_id == exchange_id,
            chess_games.c.status == "finished",
            chess_games.c.result.is_not(None),
            _in(chess_games.c.finished_at, period),
            white.c.role == STUDENT,
            black.c.role == STUDENT,
        )
        .group_by(white.c.city_id, black.c.city_id, chess_games.c.result)
    )
    points: dict[int, float] = {}
    games = 0
    for white_city, black_city, result, count in rows:
        score = WHITE_WINS[result]
        games += count
        if white_city is not None:
            points[white_city] = points.get(white_city, 0.0) + score * count
        if black_city is not None:
            points[black_city] = points.get(black_city, 0.0) + (1.0 - score) * count
    return points, games


async def prompts_posted(conn: AsyncConnection, exchange_id: int, period: Period) -> int:
    """Prompts posted to the exchange's pairs in the period."""
    value = await conn.scalar(
        select(func.count()).where(
            prompt_posts.c.partnership_id == exchange_id, _in(prompt_posts.c.posted_at, period)
        )
    )
    return int(value or 0)


async def pair_activity(conn: AsyncConnection, exchange_id: int) -> list[PairActivity]:
    """Every active pair with its students' names and when one of them last wrote."""
    last = (
        select(func.max(message_days.c.last_at))
        .where(message_days.c.pair_id == pairs.c.id)
        .scalar_subquery()
    )
    rows = (
        await conn.execute(
            select(pairs.c.id, last)
            .where(pairs.c.partnership_id == exchange_id, pairs.c.status == "active")
            .order_by(pairs.c.id)
        )
    ).all()
    names: dict[int, list[str]] = {}
    cities: dict[int, set[int]] = {}
    if rows:
        members = await conn.execute(
            select(pair_members.c.pair_id, participants.c.display_name, participants.c.city_id)
            .join(participants, participants.c.id == pair_members.c.participant_id)
            .where(
                pair_members.c.pair_id.in_([r[0] for r in rows]),
                pair_members.c.left_at.is_(None),
            )
            .order_by(participants.c.city_id, participants.c.display_name)
        )
        for pair_id, name, city_id in members:
            names.setdefault(pair_id, []).append(name)
            if city_id is not None:
                cities.setdefault(pair_id, set()).add(city_id)
    return [
        PairActivity(
            r[0], tuple(names.get(r[0], ())), _aware(r[1]), frozenset(cities.get(r[0], ()))
        )
        for r in rows
    ]


def _aware(value: datetime | str | None) -> datetime | None:
    # max() over a UTCDateTime column comes back untyped: normalise to an aware UTC datetime.
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# -- one student -----------------------------------------------------------------------------------


async def student_messages(
    conn: AsyncConnection, student_id: int, period: Period
) -> dict[date, int]:
    """Messages a student wrote per day of the period."""
    rows = await conn.execute(
        select(message_days.c.day, func.sum(message_days.c.messages))
        .where(message_days.c.participant_id == student_id, _days(message_days.c.day, period))
        .group_by(message_days.c.day)
    )
    return {_day(r[0]): int(r[1]) for r in rows}


def _day(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


async def student_answers(conn: AsyncConnection, student_id: int, period: Period) -> list[datetime]:
    """When the student answered each prompt they first answered in the period."""
    rows = await conn.execute(
        select(prompt_responses.c.at).where(
            prompt_responses.c.participant_id == student_id,
            _in(prompt_responses.c.at, period),
            _first_reply(),
        )
    )
    return sorted(a for a in (_aware(r[0]) for r in rows) if a is not None)


async def student_games(
    conn: AsyncConnection, student_id: int, period: Period
) -> list[tuple[datetime, float]]:
    """(when it ended, the student's score) of their games finished in the period."""
    rows = await conn.execute(
        select(chess_games.c.finished_at, chess_games.c.white_id, chess_games.c.result).where(
            or_(chess_games.c.white_id == student_id, chess_games.c.black_id == student_id),
            chess_games.c.status == "finished",
            chess_games.c.result.is_not(None),
            _in(chess_games.c.finished_at, period),
        )
    )
    found = []
    for finished_at, white_id, result in rows:
        score = WHITE_WINS[result]
        found.append((finished_at, score if white_id == student_id else 1.0 - score))
    return sorted(found)


async def student_of(
    conn: AsyncConnection, exchange_id: int, user_id: int, until: datetime
) -> Student | None:
    """A student of the exchange by Discord user id (any status), with their history."""
    row = (
        await conn.execute(
            select(
                participants.c.id,
                participants.c.display_name,
                participants.c.city_id,
                participants.c.status,
                participants.c.created_at,
            ).where(
                participants.c.partnership_id == exchange_id,
                participants.c.user_id == user_id,
                participants.c.role == STUDENT,
            )
        )
    ).first()
    if row is None:
        return None
    (found,) = await _with_history(
        conn, exchange_id, [Student(row[0], row[1], row[2], row[3], row[4])], until
    )
    return found
