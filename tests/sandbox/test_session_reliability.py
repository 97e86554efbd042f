"""Sessions when things go wrong: the bot down at the start, Discord refusing the event or
failing for a moment, a channel closed to the bot, the server unavailable, a crash mid-send."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.sandbox.driver import INVITE_PERMISSIONS, Sandbox, message_text
from bot.sandbox.permissions import Overwrite, P
from bot.sandbox.state import Channel, ScheduledEvent
from bot.store import sends
from bot.store.schema import scheduled_sends, session_occurrences
from tests.sandbox.sessions_helpers import (
    MONTHS_IN_SECONDS,
    NOV,
    OCT,
    Exchange,
    attendance_rows,
    compressed_time,
    paired_exchange,
    preview_of,
    schedule_confirmed,
    started_post,
    texts,
)

CHECK_IN = "Check in · تسجيل الحضور"
PROMPT = "What does your family eat for breakfast?"


@pytest.fixture
async def sb(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Sandbox]:
    async with compressed_time(tmp_path, request) as sandbox:
        yield sandbox


@pytest.fixture
async def ex(sb: Sandbox) -> Exchange:
    exchange = await paired_exchange(sb)
    await schedule_confirmed(exchange)
    return exchange


def space_of(ex: Exchange, name: str) -> Channel:
    """The paired space a student can see."""
    member = ex.student(name)
    (space,) = [s for s in ex.spaces() if ex.sb.guild.can_view(member.user.id, s.id)]
    return space


async def sends_like(sb: Sandbox, pattern: str) -> list[sends.Send]:
    """Scheduled sends whose key matches a SQL LIKE pattern."""
    async with sb.bot.ctx.db.read() as conn:
        rows = await conn.execute(
            select(scheduled_sends.c.key).where(scheduled_sends.c.key.like(pattern))
        )
        return await sends.by_keys(conn, [r[0] for r in rows])


async def occurrence_statuses(sb: Sandbox) -> list[str]:
    async with sb.bot.ctx.db.read() as conn:
        rows = await conn.execute(
            select(session_occurrences.c.status).order_by(session_occurrences.c.starts_at)
        )
        return [r[0] for r in rows]


def posts_to(sb: Sandbox, channel: Channel) -> int:
    return sb.server.requests.count(("POST", f"/channels/{channel.id}/messages"))


# -- the bot down at the start ---------------------------------------------------------------------


async def test_a_start_missed_while_down_still_opens_the_session(ex: Exchange) -> None:
    """Down 14:55–15:35 for a 15:00–16:00 session: the start is done late, nothing is lost."""
    sb = ex.sb
    await sb.advance_to(OCT - timedelta(minutes=5))
    await sb.restart_bot(
        downtime=timedelta(minutes=40),
        meanwhile=lambda: sb.join_voice(ex.student("Ali"), ex.voice),
    )
    assert len(texts(sb, ex.world.announcements, "▶️")) == 1
    for space in ex.spaces():
        (prompt,) = texts(sb, space, "💬")
        assert PROMPT in prompt
    # Started before Discord cancels it for never starting.
    assert [(e["scheduled_start_time"], e["status"]) for e in sb.events()] == [(OCT.isoformat(), 2)]
    reply = await sb.click(ex.student("Ben"), started_post(ex), CHECK_IN)
    assert "You are checked in" in reply.text
    assert await attendance_rows(sb) == [("Ali", "voice"), ("Ben", "button")]
    await sb.advance_to(OCT + timedelta(hours=2))
    assert await occurrence_statuses(sb) == ["done", "scheduled", "scheduled"]
    assert [(e["scheduled_start_time"], e["status"]) for e in sb.events()] == [
        (OCT.isoformat(), 3),
        (NOV.isoformat(), 1),
    ]
    teachers = [m for m in sb.messages_in(ex.world.teachers_channel) if m.embeds][-1]
    fields = {f["name"]: f["value"] for f in teachers.embeds[0]["fields"]}
    assert fields["Minneapolis"].startswith("✅ 1 / 2") and fields["Najaf"].startswith("✅ 1 / 2")
    assert set(await send_statuses_of(sb, "session.start")) == {"sent"}


async def send_statuses_of(sb: Sandbox, kind: str) -> list[str]:
    async with sb.bot.ctx.db.read() as conn:
        rows = await conn.execute(
            select(scheduled_sends.c.status).where(
                scheduled_sends.c.kind == kind, scheduled_sends.c.due_at <= sb.now()
            )
        )
        return [r[0] for r in rows]


async def test_a_student_already_in_voice_after_a_restart_is_counted(ex: Exchange) -> None:
    """Zainab joins the call while the bot restarts mid-session: she is counted present."""
    sb = ex.sb
    await sb.advance_to(OCT + timedelta(minutes=10))
    await sb.restart_bot(
        downtime=timedelta(minutes=5),
        meanwhile=lambda: sb.join_voice(ex.student("Zainab"), ex.voice),
    )
    assert await attendance_rows(sb) == [("Zainab", "voice")]


EVENT_ROUTE = "/guilds/{guild_id}/scheduled-events/{event_id}"
OCT_7 = OCT + timedelta(days=1)


async def move_to_the_7th(ex: Exchange) -> str:
    """The teacher moves October's session a day later, same time; the confirmation's text."""
    reply = await ex.sb.command(
        ex.world.teacher,
        "session move",
        occurrence=str(int(OCT.timestamp())),
        date="2026-10-07",
        time="15:00",
    )
    done = await ex.sb.click(ex.world.teacher, preview_of(reply), "Move it")
    return done.text


# -- the Discord event refused ---------------------------------------------------------------------


async def without_event_permissions(tmp_path: Path) -> AsyncIterator[Sandbox]:
    lacking = INVITE_PERMISSIONS & ~int(P.CREATE_EVENTS | P.MANAGE_EVENTS)
    async with Sandbox.running(
        tmp_path, bot_permissions=lacking, limits=MONTHS_IN_SECONDS
    ) as sandbox:
        yield sandbox


@pytest.fixture
async def no_events(tmp_path: Path) -> AsyncIterator[Sandbox]:
    async for sandbox in without_event_permissions(tmp_path):
        yield sandbox


async def test_a_teacher_is_told_the_event_needs_create_events(no_events: Sandbox) -> None:
    """Without Create Events the confirmation says so, names the permission, and when it retries."""
    ex = await paired_exchange(no_events)
    done = await schedule_confirmed(ex)
    assert "Scheduled **Exchange session**" in done.text
    assert "the Discord event" not in done.text
    assert "**Create Events**" in done.text and "tries again each time it starts" in done.text
    assert no_events.events() == []


async def test_the_event_is_made_at_the_next_start_once_the_permission_is_given(
    no_events: Sandbox,
) -> None:
    """The server admin gives the permission; after a restart the event is there."""
    ex = await paired_exchange(no_events)
    await schedule_confirmed(ex)
    no_events.set_bot_permissions(INVITE_PERMISSIONS)
    await no_events.restart_bot()
    assert [e["scheduled_start_time"] for e in no_events.events()] == [OCT.isoformat()]


async def test_the_event_is_made_before_the_reminder_once_the_permission_is_given(
    no_events: Sandbox,
) -> None:
    """Without a restart, the 24-hour reminder makes the missing event."""
    ex = await paired_exchange(no_events)
    await schedule_confirmed(ex)
    no_events.set_bot_permissions(INVITE_PERMISSIONS)
    await no_events.advance_to(OCT - timedelta(hours=23))
    assert [e["scheduled_start_time"] for e in no_events.events()] == [OCT.isoformat()]


async def test_a_teacher_is_told_when_discords_hundred_event_limit_is_reached(
    sb: Sandbox,
) -> None:
    """A server with 100 unfinished events: the teacher learns why and what to do."""
    ex = await paired_exchange(sb)
    for n in range(100):
        event_id = sb.server.ids.next()
        sb.guild.events[event_id] = ScheduledEvent(
            id=event_id,
            guild_id=sb.guild.id,
            name=f"Club {n}",
            start=(sb.now() + timedelta(days=1)).isoformat(),
            end=None,
            entity_type=3,
            channel_id=None,
            location="Library",
            description=None,
            creator_id=sb.owner.user.id,
        )
    done = await schedule_confirmed(ex)
    assert "100 scheduled events" in done.text and "End or delete old ones" in done.text
    assert len(sb.events()) == 100


async def test_a_move_that_cannot_make_the_event_says_so(no_events: Sandbox) -> None:
    """Moving a date re-makes the event; when Discord refuses, the teacher is told."""
    ex = await paired_exchange(no_events)
    await schedule_confirmed(ex)
    text = await move_to_the_7th(ex)
    assert "Moved" in text and "**Create Events**" in text


# -- the Discord event kept in step ----------------------------------------------------------------


def event_edits(sb: Sandbox) -> int:
    return sum(1 for method, path in sb.server.requests if method == "PATCH" and "events" in path)


async def test_an_event_update_discord_fails_is_told_and_made_before_the_reminder(
    ex: Exchange,
) -> None:
    """Discord answers 503 to the event's update after a move: the teacher learns the Events
    list still shows the old date, and the event has the new one by the 24-hour reminder."""
    sb = ex.sb
    (event,) = sb.events()
    sb.server.fail_next("PATCH", EVENT_ROUTE, status=503, event_id=event["id"])
    text = await move_to_the_7th(ex)
    assert "Moved" in text and "still shows the old details" in text
    assert [e["scheduled_start_time"] for e in sb.events()] == [OCT.isoformat()]
    await sb.advance_to(OCT_7 - timedelta(hours=23))
    assert [(e["id"], e["scheduled_start_time"]) for e in sb.events()] == [
        (event["id"], OCT_7.isoformat())
    ]


async def test_an_event_update_without_manage_events_names_it_and_is_made_later(
    ex: Exchange,
) -> None:
    """Discord lets the bot change the events it made with Create Events or Manage Events: a
    server admin takes both after the event was made, and the move cannot update it. The
    teacher is told which permissions; once they are given, the next start-up puts the event
    in step."""
    sb = ex.sb
    sb.set_bot_permissions(INVITE_PERMISSIONS & ~int(P.CREATE_EVENTS | P.MANAGE_EVENTS))
    await sb.idle()
    text = await move_to_the_7th(ex)
    assert "Moved" in text and "**Create Events** or **Manage Events**" in text
    assert [e["scheduled_start_time"] for e in sb.events()] == [OCT.isoformat()]
    sb.set_bot_permissions(INVITE_PERMISSIONS)
    await sb.restart_bot()
    assert [e["scheduled_start_time"] for e in sb.events()] == [OCT_7.isoformat()]


async def test_an_event_in_step_costs_discord_nothing_at_reminders_and_restarts(
    ex: Exchange,
) -> None:
    """Checking the event before each reminder and at each start-up sends no request while
    it already shows the session as it is."""
    sb = ex.sb
    marker = f"starts <t:{int(OCT.timestamp())}:F>"
    await sb.restart_bot()
    await sb.advance_to(OCT - timedelta(minutes=59))
    assert len(texts(sb, ex.world.announcements, marker)) == 2
    assert event_edits(sb) == 0


async def test_an_event_made_before_the_digest_existed_is_brought_in_step_once(
    ex: Exchange,
) -> None:
    """Events made by an older version (no digest stored) are updated once, then left be."""
    sb = ex.sb
    async with sb.bot.ctx.db.transaction() as conn:
        await conn.execute(update(session_occurrences).values(event_digest=None))
    await sb.restart_bot()
    await sb.restart_bot()
    assert event_edits(sb) == 1
    assert [e["scheduled_start_time"] for e in sb.events()] == [OCT.isoformat()]


# -- Discord failing for a moment, or for good -----------------------------------------------------


async def test_a_failed_prompt_post_is_retried_and_posted_once(ex: Exchange) -> None:
    """Discord answers 503 to Ben's space at the start: 30 s later the prompt is there, once."""
    sb = ex.sb
    space = space_of(ex, "Ben")
    await sb.advance_to(OCT - timedelta(minutes=1))
    sb.server.fail_next(
        "POST", "/channels/{channel_id}/messages", times=1, status=503, channel_id=space.id
    )
    await sb.advance_to(OCT + timedelta(seconds=10))
    assert texts(sb, space, "💬") == []
    await sb.advance_to(OCT + timedelta(minutes=2))
    (prompt,) = texts(sb, space, "💬")
    assert PROMPT in prompt
    (send,) = await sends_like(sb, f"%:prompt:to:{space.id}")
    assert (send.status, send.attempts) == ("sent", 1)


async def test_an_event_discord_fails_to_start_or_end_is_tried_again(ex: Exchange) -> None:
    """503 when the event should go live, and again when it should end: the session's posts
    are not held up, and the event is live, then completed, a moment later each time. (Ali
    stays in the call throughout: Discord ends a voice event once its channel empties.)"""
    sb = ex.sb
    (event,) = sb.events()
    await sb.advance_to(OCT - timedelta(minutes=1))
    await sb.join_voice(ex.student("Ali"), ex.voice)
    sb.server.fail_next("PATCH", EVENT_ROUTE, status=503, event_id=event["id"])
    await sb.advance_to(OCT + timedelta(seconds=10))
    assert len(texts(sb, ex.world.announcements, "▶️")) == 1
    assert [e["status"] for e in sb.events() if e["id"] == event["id"]] == [1]
    await sb.advance_to(OCT + timedelta(minutes=2))
    assert [e["status"] for e in sb.events() if e["id"] == event["id"]] == [2]
    sb.server.fail_next("PATCH", EVENT_ROUTE, status=503, event_id=event["id"])
    await sb.advance_to(OCT + timedelta(hours=1, seconds=10))
    assert [e["status"] for e in sb.events() if e["id"] == event["id"]] == [2]
    await sb.advance_to(OCT + timedelta(hours=1, minutes=2))
    assert [e["status"] for e in sb.events() if e["id"] == event["id"]] == [3]
    (start,) = await sends_like(sb, f"%:event:{event['id']}:active")
    assert (start.status, start.attempts) == ("sent", 1)


async def test_a_failed_bank_prompt_is_retried_and_a_closed_space_recorded(sb: Sandbox) -> None:
    """Without the teacher's words each pair gets a bank prompt: a 503 is tried again, a 403
    is recorded with its reason and not retried."""
    ex = await paired_exchange(sb)
    await schedule_confirmed(ex, prompt=None)
    failing, closed = space_of(ex, "Ben"), space_of(ex, "Maya")
    assert failing != closed
    await sb.advance_to(OCT - timedelta(minutes=1))
    sb.server.fail_next(
        "POST", "/channels/{channel_id}/messages", times=1, status=503, channel_id=failing.id
    )
    close_to_the_bot(sb, closed)
    await sb.advance_to(OCT + timedelta(minutes=2))
    assert len([m for m in sb.messages_in(failing) if "🔖 " in message_text(m)]) == 1
    (retried,) = await sends_like(sb, f"%:prompt:to:{failing.id}")
    assert (retried.status, retried.attempts) == ("sent", 1)
    (refused,) = await sends_like(sb, f"%:prompt:to:{closed.id}")
    assert refused.status == "failed" and refused.error and "50013" in refused.error


def close_to_the_bot(sb: Sandbox, channel: Channel) -> None:
    """A server admin takes Send Messages from the bot in a channel."""
    bot_id = sb.server.bot_user.id
    channel.overwrites = [o for o in channel.overwrites if o.id != bot_id]
    channel.overwrites.append(Overwrite(bot_id, 1, int(P.VIEW_CHANNEL), int(P.SEND_MESSAGES)))


async def test_a_space_closed_to_the_bot_fails_once_with_the_reason(ex: Exchange) -> None:
    """A 403 in one space is recorded, not retried; every other space gets its prompt."""
    sb = ex.sb
    closed = space_of(ex, "Ben")
    await sb.advance_to(OCT - timedelta(minutes=5))
    close_to_the_bot(sb, closed)
    before = posts_to(sb, closed)
    await sb.advance_to(OCT + timedelta(hours=2))
    assert posts_to(sb, closed) == before + 1
    (send,) = await sends_like(sb, f"%:prompt:to:{closed.id}")
    assert send.status == "failed" and send.error is not None and "50013" in send.error
    (other,) = [s for s in ex.spaces() if s != closed]
    assert len(texts(sb, other, "💬")) == 1


async def test_a_server_briefly_unavailable_gets_its_reminder_late(ex: Exchange) -> None:
    """Discord loses the server over the 1-hour reminder; when it is back the reminder goes out."""
    sb = ex.sb
    marker = f"starts <t:{int(OCT.timestamp())}:F>"
    await sb.advance_to(OCT - timedelta(minutes=61))
    await sb.guild_outage()
    await sb.advance_to(OCT - timedelta(minutes=55))
    assert len(texts(sb, ex.world.announcements, marker)) == 1  # the 24-hour one
    (remind,) = await sends_like(sb, "%:remind60")
    assert remind.status == "pending" and remind.attempts >= 1
    await sb.guild_back()
    await sb.advance_to(OCT - timedelta(minutes=45))
    assert len(texts(sb, ex.world.announcements, marker)) == 2
    (remind,) = await sends_like(sb, "%:remind60")
    assert remind.status == "sent"


# -- a crash between Discord and the database ------------------------------------------------------


async def crash_after_posting(sb: Sandbox, send: sends.Send) -> None:
    """As if the bot died after Discord took the post and before its outcome was stored."""
    async with sb.bot.ctx.db.transaction() as conn:
        await conn.execute(
            update(scheduled_sends)
            .where(scheduled_sends.c.id == send.id)
            .values(status="sending", done_at=None)
        )


async def test_a_reminder_redone_after_a_crash_is_not_posted_twice(ex: Exchange) -> None:
    """The redone send carries the same nonce: Discord returns the first post."""
    sb = ex.sb
    await sb.advance_to(OCT - timedelta(hours=24))
    marker = "**Exchange session** starts"
    assert len(texts(sb, ex.world.announcements, marker)) == 1
    (posted,) = await sends_like(sb, f"%:remind1440:to:{ex.world.announcements.id}")
    await crash_after_posting(sb, posted)
    await sb.restart_bot()
    assert len(texts(sb, ex.world.announcements, marker)) == 1
    (posted,) = await sends_like(sb, f"%:remind1440:to:{ex.world.announcements.id}")
    assert posted.status == "sent"


async def test_a_check_in_post_redone_after_a_crash_is_not_posted_twice(ex: Exchange) -> None:
    """Beyond the nonce's few minutes, the recorded check-in post stops a second one."""
    sb = ex.sb
    await sb.advance_to(OCT + timedelta(minutes=1))
    (posted,) = await sends_like(sb, f"%:started:to:{ex.world.announcements.id}")
    await crash_after_posting(sb, posted)
    await sb.restart_bot(downtime=timedelta(minutes=10))
    assert len(texts(sb, ex.world.announcements, "▶️")) == 1
