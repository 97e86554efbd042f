"""The batched activity writer: nothing waits on it, it writes by itself, a clean stop loses
nothing, a failed write is retried, and the daily message totals always match the log."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.domain.exchange import Role
from bot.domain.reporting import MessageTally
from bot.services.activity_writer import ActivityWriter, PromptReply
from bot.store import Database, create_database, roster
from bot.store import exchanges as exchange_store
from bot.store import pairing as pairing_store
from bot.store import prompts as prompt_store
from bot.store.migrate import upgrade
from bot.store.schema import activity, message_days, prompt_responses

AT = datetime(2026, 10, 7, 9, tzinfo=UTC)


@dataclass
class Pair:
    exchange_id: int
    pair_id: int
    ben: int  # participant ids
    ali: int


async def a_pair(db: Database) -> Pair:
    """Ben and Ali in one pair of one exchange."""
    async with db.transaction() as conn:
        exchange_id = await exchange_store.create_exchange(
            conn,
            guild_id=1,
            name="Minneapolis–Najaf",
            sides=[
                ("Minneapolis", "America/Chicago", ("en",), frozenset({6, 7})),
                ("Najaf", "Asia/Baghdad", ("ar",), frozenset({5, 6})),
            ],
            now=AT,
        )
        ids = [
            await roster.add(
                conn,
                guild_id=1,
                exchange_id=exchange_id,
                user_id=user,
                role=Role.STUDENT,
                display_name=name,
                city_id=None,
                now=AT,
            )
            for user, name in ((101, "Ben"), (202, "Ali"))
        ]
        round_id = await pairing_store.create_round(conn, exchange_id, 9, AT, "channels", 0)
        pair_id = await pairing_store.add_pair(
            conn,
            round_id=round_id,
            exchange_id=exchange_id,
            space_id=555,
            reasons={},
            members=tuple(ids),
            now=AT,
        )
    return Pair(exchange_id, pair_id, ids[0], ids[1])


def message(writer: ActivityWriter, pair: Pair, who: int, at: datetime, length: int | None) -> None:
    writer.log(
        at=at,
        guild_id=1,
        partnership_id=pair.exchange_id,
        actor_id=101 if who == pair.ben else 202,
        kind="pair.message",
        details={"pair": pair.pair_id, "length": length},
        tally=MessageTally(pair.exchange_id, pair.pair_id, who, at, length),
    )


async def logged(db: Database) -> int:
    async with db.read() as conn:
        return int(await conn.scalar(select(func.count()).select_from(activity)) or 0)


async def totals(db: Database) -> dict[tuple[int, date], tuple[int, int, int]]:
    async with db.read() as conn:
        rows = await conn.execute(select(message_days))
        return {(r.participant_id, r.day): (r.messages, r.measured, r.characters) for r in rows}


async def test_logging_an_event_touches_no_database(db: Database) -> None:
    """log() only queues: nothing is written until the writer writes."""
    pair = await a_pair(db)
    writer = ActivityWriter(db)
    message(writer, pair, pair.ben, AT, 12)
    assert writer.pending == 1
    assert await logged(db) == 0


async def test_the_writer_writes_by_itself_a_few_times_a_second(db: Database) -> None:
    """Started, it writes queued events without being asked."""
    pair = await a_pair(db)
    writer = ActivityWriter(db, interval=0.05)
    writer.start()
    message(writer, pair, pair.ben, AT, 12)
    for _ in range(500):  # up to 10 s on a very slow machine; usually a tenth of that
        if await logged(db):
            break
        await asyncio.sleep(0.02)
    assert await logged(db) == 1 and writer.pending == 0
    await writer.stop()


async def test_a_clean_stop_writes_everything_still_queued(db: Database) -> None:
    """Events queued a moment before shutdown are in the log afterwards."""
    pair = await a_pair(db)
    writer = ActivityWriter(db, interval=3600)
    writer.start()
    for second in range(25):
        message(writer, pair, pair.ali, AT + timedelta(seconds=second), None)
    await writer.stop()
    assert await logged(db) == 25 and writer.pending == 0


async def test_message_totals_add_up_per_student_and_day_across_batches(db: Database) -> None:
    """Three batches, two students, two days: each total is the sum of its messages."""
    pair = await a_pair(db)
    writer = ActivityWriter(db, batch_size=2)
    message(writer, pair, pair.ben, AT, 12)
    message(writer, pair, pair.ben, AT + timedelta(hours=1), None)
    message(writer, pair, pair.ali, AT, 30)
    await writer.flush()
    message(writer, pair, pair.ben, AT + timedelta(hours=2), 8)
    message(writer, pair, pair.ben, AT + timedelta(days=1), 5)
    await writer.flush()
    assert await totals(db) == {
        (pair.ben, date(2026, 10, 7)): (3, 2, 20),
        (pair.ali, date(2026, 10, 7)): (1, 1, 30),
        (pair.ben, date(2026, 10, 8)): (1, 1, 5),
    }
    assert await logged(db) == 5
    async with db.read() as conn:
        last = await conn.scalar(
            select(message_days.c.last_at).where(
                message_days.c.participant_id == pair.ben, message_days.c.day == date(2026, 10, 7)
            )
        )
    assert last == AT + timedelta(hours=2)


async def test_a_failed_write_keeps_the_events_for_the_next_try(empty_database_url: str) -> None:
    """The database is not ready: the batch stays queued and is written once it is."""
    db = create_database(empty_database_url)
    writer = ActivityWriter(db)
    writer.log(at=AT, guild_id=1, kind="pair.message", details={"pair": 1, "length": None})
    writer.log(at=AT, guild_id=1, kind="pair.message", details={"pair": 1, "length": 3})
    # SQLite: "no such table: activity"; PostgreSQL: 'relation "activity" does not exist'.
    with pytest.raises(Exception, match=r"no such table: activity|\"activity\" does not exist"):
        await writer.flush()
    assert writer.pending == 2
    await upgrade(db)
    assert await writer.flush() == 2
    assert await logged(db) == 2
    await db.dispose()


async def test_a_row_the_database_refuses_does_not_block_the_others(db: Database) -> None:
    """A message counted for a pair deleted meanwhile is dropped; the rest is written."""
    pair = await a_pair(db)
    writer = ActivityWriter(db)
    message(writer, pair, pair.ben, AT, 1)
    ghost = Pair(pair.exchange_id, 9999, pair.ben, pair.ali)
    message(writer, ghost, pair.ben, AT, 2)
    message(writer, pair, pair.ali, AT, 3)
    assert await writer.flush() == 2
    assert writer.dropped == 1 and writer.pending == 0
    assert await logged(db) == 2
    assert sum(m for m, _, _ in (await totals(db)).values()) == 2


async def test_when_the_database_stays_away_the_oldest_events_give_way(db: Database) -> None:
    """The queue never grows past its capacity; what was dropped is counted."""
    writer = ActivityWriter(db, capacity=3)
    for n in range(5):
        writer.log(at=AT, guild_id=1, kind="pair.message", details={"n": n})
    assert writer.pending == 3 and writer.dropped == 2
    await writer.flush()
    async with db.read() as conn:
        kept = (await conn.scalars(select(activity.c.details).order_by(activity.c.id))).all()
    assert kept == ['{"n": 2}', '{"n": 3}', '{"n": 4}']


async def test_a_naive_time_is_refused_at_once() -> None:
    """Times are aware UTC everywhere: a naive one is a bug in the caller."""
    writer = ActivityWriter(create_database("sqlite+aiosqlite://"))
    with pytest.raises(ValueError, match="aware"):
        writer.log(at=datetime(2026, 10, 7), guild_id=1, kind="pair.message")


# -- replies to prompts ----------------------------------------------------------------------------


async def a_post(db: Database, pair: Pair) -> int:
    async with db.transaction() as conn:
        post_id = await prompt_store.claim_post(
            conn,
            exchange_id=pair.exchange_id,
            pair_id=pair.pair_id,
            key="food.breakfast",
            reason="teacher",
            session_key=None,
            by=9,
            now=AT,
        )
    assert post_id is not None
    return post_id


def reply(writer: ActivityWriter, pair: Pair, who: int, post_id: int, at: datetime) -> None:
    writer.log(
        at=at,
        guild_id=1,
        partnership_id=pair.exchange_id,
        actor_id=101 if who == pair.ben else 202,
        kind="pair.message",
        details={"pair": pair.pair_id, "length": None},
        tally=MessageTally(pair.exchange_id, pair.pair_id, who, at, None),
        reply=PromptReply(post_id, "food.breakfast", pair.pair_id, who, None),
    )


async def answers(db: Database) -> list[tuple[int | None, datetime]]:
    async with db.read() as conn:
        rows = await conn.execute(
            select(activity.c.actor_id, activity.c.at)
            .where(activity.c.kind == "prompt.answered")
            .order_by(activity.c.id)
        )
        return [(r.actor_id, r.at) for r in rows]


async def test_a_students_first_reply_is_the_answer_within_and_across_batches(
    db: Database,
) -> None:
    """Ben replies twice in one batch and again in the next: one answer, at his first reply;
    every reply is stored."""
    pair = await a_pair(db)
    post_id = await a_post(db, pair)
    writer = ActivityWriter(db)
    reply(writer, pair, pair.ben, post_id, AT + timedelta(minutes=1))
    reply(writer, pair, pair.ben, post_id, AT + timedelta(minutes=2))
    reply(writer, pair, pair.ali, post_id, AT + timedelta(minutes=3))
    await writer.flush()
    reply(writer, pair, pair.ben, post_id, AT + timedelta(minutes=4))
    await writer.flush()
    assert await answers(db) == [
        (101, AT + timedelta(minutes=1)),
        (202, AT + timedelta(minutes=3)),
    ]
    async with db.read() as conn:
        stored = await conn.scalar(select(func.count()).select_from(prompt_responses))
    assert stored == 4


async def test_a_reply_to_a_post_gone_meanwhile_still_counts_the_message(db: Database) -> None:
    """The post could not be sent and was dropped before the batch: the message is counted,
    the reply and its answer are not."""
    pair = await a_pair(db)
    post_id = await a_post(db, pair)
    writer = ActivityWriter(db)
    reply(writer, pair, pair.ben, post_id, AT)
    message(writer, pair, pair.ali, AT, 3)
    async with db.transaction() as conn:
        await prompt_store.drop_post(conn, post_id)
    assert await writer.flush() == 2
    assert writer.dropped == 0
    assert await answers(db) == []
    assert sum(m for m, _, _ in (await totals(db)).values()) == 2
