"""Concurrent clicks and retries: one effect, and every click answered.

A double click, or two people pressing the same confirmation at one moment, reaches the bot as
two interactions back to back (`Sandbox.at_once`). Each must be answered; what it does must
happen once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.i18n import t
from bot.sandbox.driver import Reply, Sandbox
from bot.store.schema import activity, prompts, session_attendance, sessions
from tests.sandbox.sessions_helpers import (
    OCT,
    Exchange,
    compressed_time,
    paired_exchange,
    preview_of,
    schedule,
    schedule_confirmed,
    started_post,
    texts,
)

CHECK_IN = "Check in · تسجيل الحضور"


@pytest.fixture
async def sb(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Sandbox]:
    async with compressed_time(tmp_path, request) as sandbox:
        yield sandbox


@pytest.fixture
async def ex(sb: Sandbox) -> Exchange:
    return await paired_exchange(sb)


async def logged(sb: Sandbox, kind: str) -> int:
    async with sb.bot.ctx.db.read() as conn:
        found = await conn.scalar(select(func.count()).where(activity.c.kind == kind))
    return int(found or 0)


async def rows(sb: Sandbox, table: object) -> int:
    async with sb.bot.ctx.db.read() as conn:
        found = await conn.scalar(select(func.count()).select_from(table))  # type: ignore[arg-type]
    return int(found or 0)


def answered(replies: list[Reply]) -> None:
    """Every click got an answer the person can read (not Discord's bare failure)."""
    for reply in replies:
        assert reply.acknowledged
        assert reply.text.strip(), "an answer with something in it"
        assert t("error.generic", "en") not in reply.text, reply.text


async def test_a_double_click_on_check_in_counts_once(ex: Exchange) -> None:
    """Ben presses Check in twice at once: one attendance, one log row, two answers."""
    sb = ex.sb
    await schedule_confirmed(ex)
    await sb.advance_to(OCT + timedelta(minutes=5))
    post = started_post(ex)
    ben = ex.student("Ben")
    replies = await sb.at_once(
        [sb.prepare_click(ben, post, CHECK_IN), sb.prepare_click(ben, post, CHECK_IN)]
    )
    answered(replies)
    assert await rows(sb, session_attendance) == 1
    assert await logged(sb, "session.checked_in") == 1


async def test_a_double_click_on_schedule_schedules_once(ex: Exchange) -> None:
    """Schedule pressed twice: one series, one announcement, both clicks answered."""
    sb = ex.sb
    reply = await schedule(ex)
    preview = preview_of(reply)
    teacher = ex.world.teacher
    replies = await sb.at_once(
        [
            sb.prepare_click(teacher, preview, "Schedule"),
            sb.prepare_click(teacher, preview, "Schedule"),
        ]
    )
    answered(replies)
    async with sb.bot.ctx.db.read() as conn:
        active = await conn.scalar(
            select(func.count()).select_from(sessions).where(sessions.c.status == "active")
        )
    assert active == 1
    assert await logged(sb, "session.scheduled") == 1
    assert len(texts(sb, ex.world.announcements, "📅")) == 1


async def test_a_double_click_on_a_move_moves_once(ex: Exchange) -> None:
    """Move it pressed twice: moved once, announced once, and the second click is told."""
    sb = ex.sb
    await schedule_confirmed(ex)
    teacher = ex.world.teacher
    reply = await sb.command(
        teacher,
        "session move",
        occurrence=str(int(OCT.timestamp())),
        date="2026-10-08",
        time="09:00",
    )
    preview = preview_of(reply)
    replies = await sb.at_once(
        [
            sb.prepare_click(teacher, preview, "Move it"),
            sb.prepare_click(teacher, preview, "Move it"),
        ]
    )
    answered(replies)
    assert await logged(sb, "session.moved") == 1
    assert len(texts(sb, ex.world.announcements, "🔁")) == 1
    said = " ".join(r.text for r in replies)
    assert "is now on" in said and "was just moved" in said


async def test_two_coordinators_ending_an_exchange_end_it_once(ex: Exchange) -> None:
    """Two confirmations of /exchange end at once: ended once, both told."""
    sb = ex.sb
    world = ex.world
    second = sb.add_member("Mx Osei", roles=[world.coordinators_role])
    first_ask = await sb.command(world.coordinator, "exchange end")
    second_ask = await sb.command(second, "exchange end")
    button = t("exchange.end_button", "en")
    replies = await sb.at_once(
        [
            sb.prepare_click(world.coordinator, first_ask, button),
            sb.prepare_click(second, second_ask, button),
        ]
    )
    answered(replies)
    assert await logged(sb, "exchange.ended") == 1
    said = " ".join(r.text for r in replies)
    assert "has already ended" in said


async def test_a_prompt_added_twice_at_once_is_stored_once(ex: Exchange) -> None:
    """A teacher who asks again while the first /prompt add is still on its way: one prompt."""
    sb = ex.sb
    teacher = ex.world.teacher
    words = "What is the best thing about your street?"
    replies = await sb.at_once(
        [
            sb.prepare_command(teacher, "prompt add", english=words),
            sb.prepare_command(teacher, "prompt add", english=words),
        ]
    )
    answered(replies)
    assert await rows(sb, prompts) == 1
    assert await logged(sb, "prompt.added") == 1
    said = " ".join(r.text for r in replies)
    assert "Added your prompt `own-1`" in said and "already in your exchange's bank" in said


async def test_refused_commands_spend_no_anti_flood_uses(ex: Exchange) -> None:
    """Eleven /space pause naming a student with no space (refused) leave the teacher's limit
    of ten untouched: ten real pauses and reopenings go through, the eleventh is slowed."""
    sb, world = ex.sb, ex.world
    loner = await world.add_student("Omar", 1)  # joined after the pairs were made
    for _ in range(11):
        refused = await sb.command(world.teacher, "space pause", student=loner)
        assert "Omar is not in a pair right now." in refused.text, refused.text
    ben = ex.student("Ben")
    for number in range(10):
        path = "space pause" if number % 2 == 0 else "space reopen"
        done = await sb.command(world.teacher, path, student=ben)
        assert "you can do it again" not in done.text, f"use {number + 1}: {done.text}"
    slowed = await sb.command(world.teacher, "space pause", student=ben)
    assert "you can do it again" in slowed.text, "ten real uses still meet the limit"
