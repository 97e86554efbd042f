"""Sessions as they happen, clock moving through two months: posts exactly once, events in
step, check-in and voice attendance, restarts and reconnects that lose and repeat nothing."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.domain.prompts import builtin_prompts
from bot.sandbox.driver import Sandbox, iter_components, message_text
from bot.sandbox.state import Channel, Message
from bot.store import prompts as prompt_store
from bot.store.schema import activity, scheduled_sends, session_occurrences
from tests.sandbox.sessions_helpers import (
    DEC,
    NOV,
    OCT,
    Exchange,
    attendance_rows,
    compressed_time,
    count,
    paired_exchange,
    schedule_confirmed,
    send_statuses,
    started_post,
    texts,
)

CHECK_IN = "Check in · تسجيل الحضور"
STARTS = (OCT, NOV, DEC)


@pytest.fixture
async def sb(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Sandbox]:
    async with compressed_time(tmp_path, request) as sandbox:
        yield sandbox


@pytest.fixture
async def ex(sb: Sandbox) -> Exchange:
    exchange = await paired_exchange(sb)
    await schedule_confirmed(exchange)
    return exchange


def reminders_for(sb: Sandbox, channel: Channel, start: datetime) -> int:
    return len(texts(sb, channel, f"**Exchange session** starts <t:{int(start.timestamp())}:F>"))


def assert_each_post_once(ex: Exchange) -> None:
    """Two reminders per session in every channel; one start post, prompt and summary each."""
    sb = ex.sb
    for channel in [ex.world.announcements, *ex.spaces()]:
        for start in STARTS:
            assert reminders_for(sb, channel, start) == 2, (channel.name, start)
    assert len(texts(sb, ex.world.announcements, "▶️")) == 3
    for space in ex.spaces():
        assert len(texts(sb, space, "💬")) == 3, space.name
    summaries = [m for m in sb.messages_in(ex.world.announcements) if m.embeds]
    assert len(summaries) == 3
    assert len([m for m in sb.messages_in(ex.world.teachers_channel) if m.embeds]) == 3


# -- two months ------------------------------------------------------------------------------------


async def test_two_months_send_each_reminder_and_post_exactly_once(ex: Exchange) -> None:
    """Moving through October, November and December, nothing is missed or doubled."""
    await ex.sb.advance_to(DEC + timedelta(hours=2))
    assert_each_post_once(ex)
    for kind in ("session.remind", "session.start", "session.end", "session.post"):
        assert set(await send_statuses(ex.sb, kind)) == {"sent"}, kind


async def test_events_roll_forward_one_occurrence_at_a_time(ex: Exchange) -> None:
    """Each event starts at the session, completes at its end; the next is then created. (Ali
    is in the call during the first: Discord ends a voice event once its channel empties.)"""
    sb = ex.sb
    await sb.advance_to(OCT - timedelta(minutes=1))
    await sb.join_voice(ex.student("Ali"), ex.voice)
    await sb.advance_to(OCT + timedelta(minutes=10))
    assert [(e["scheduled_start_time"], e["status"]) for e in sb.events()] == [(OCT.isoformat(), 2)]
    await sb.advance_to(OCT + timedelta(hours=1, minutes=1))
    await sb.join_voice(ex.student("Ali"), None)
    await sb.advance_to(OCT + timedelta(hours=2))
    assert [(e["scheduled_start_time"], e["status"]) for e in sb.events()] == [
        (OCT.isoformat(), 3),
        (NOV.isoformat(), 1),
    ]
    await sb.advance_to(DEC + timedelta(hours=2))
    assert [(e["scheduled_start_time"], e["status"]) for e in sb.events()] == [
        (start.isoformat(), 3) for start in STARTS
    ]


async def test_reminders_ping_the_pair_in_its_space_but_nobody_in_announcements(
    ex: Exchange,
) -> None:
    """In a paired space the two partners are mentioned; the announcement pings no one."""
    sb = ex.sb
    await sb.advance_to(OCT - timedelta(hours=23))
    for space in ex.spaces():
        reminder = next(m for m in sb.messages_in(space) if "🔔" in m.content)
        assert len(reminder.mentions) == 2 and not reminder.mention_everyone
    announcement = next(m for m in sb.messages_in(ex.world.announcements) if "🔔" in m.content)
    assert announcement.mentions == [] and not announcement.mention_everyone
    assert "Join us in" in announcement.content and "تبدأ" in announcement.content


async def test_the_prompt_reaches_every_paired_space_at_the_start(ex: Exchange) -> None:
    """The teacher's prompt is posted in each pair's space, in its members' languages."""
    sb = ex.sb
    await sb.advance_to(OCT - timedelta(minutes=1))
    assert all(not texts(sb, space, "💬") for space in ex.spaces())
    await sb.advance_to(OCT + timedelta(minutes=1))
    for space in ex.spaces():
        (prompt,) = texts(sb, space, "💬")
        assert "What does your family eat for breakfast?" in prompt
        assert "موضوع اليوم" in prompt  # one partner reads Arabic


async def test_a_session_with_every_prompt_retired_posts_a_starter_that_counts(
    sb: Sandbox,
) -> None:
    """The teachers retired the whole bank: each pair gets the starter at the session, once
    (a restart does not repeat it), and a reply to it counts in /prompt stats."""
    ex = await paired_exchange(sb)
    await schedule_confirmed(ex, prompt=None)
    async with sb.bot.ctx.db.transaction() as conn:  # 79 × /prompt retire, in one go
        for prompt in builtin_prompts():
            await prompt_store.retire(conn, ex.world.exchange_id, prompt.key, 1, sb.now())
    await sb.advance_to(OCT + timedelta(minutes=1))
    starter = "tell each other one thing that happened in your week"
    for space in ex.spaces():
        assert len(texts(sb, space, starter)) == 1
    space = ex.spaces()[0]
    writer = next(m for m in ex.world.students.values() if sb.guild.can_view(m.user.id, space.id))
    await sb.say(writer, space, "Hello! This week we had a football match.")
    await sb.restart_bot()
    assert len(texts(sb, space, starter)) == 1
    stats = await sb.command(ex.world.teacher, "prompt stats")
    assert "Session: Exchange session\nSay hello to your partner" in stats.text
    assert "posted to 2 pairs · 1 answered" in stats.text


async def test_a_paused_space_gets_no_reminder_nor_prompt(ex: Exchange) -> None:
    """Teachers paused one pair's space: the session's reminders and prompt skip it alone."""
    sb = ex.sb
    paused, other = ex.spaces()
    student = next(m for m in ex.world.students.values() if sb.guild.can_view(m.user.id, paused.id))
    reply = await sb.command(ex.world.teacher, "space pause", student=student)
    assert "is paused" in reply.text, reply.text
    notice = sb.messages_in(paused)[-1]
    await sb.advance_to(OCT + timedelta(minutes=1))
    assert [m for m in sb.messages_in(paused) if m.id > notice.id] == []
    assert reminders_for(sb, other, OCT) == 2 and len(texts(sb, other, "💬")) == 1


# -- attendance ------------------------------------------------------------------------------------


async def test_check_in_counts_once(ex: Exchange) -> None:
    """Pressing twice is counted once, and the student is told so."""
    sb = ex.sb
    await sb.advance_to(OCT + timedelta(minutes=5))
    first = await sb.click(ex.student("Ben"), started_post(ex), CHECK_IN)
    assert first.ephemeral and "You are checked in" in first.text
    again = await sb.click(ex.student("Ben"), started_post(ex), CHECK_IN)
    assert "already checked in" in again.text
    await sb.click(ex.student("Zainab"), started_post(ex), CHECK_IN)
    assert await attendance_rows(sb) == [("Ben", "button"), ("Zainab", "button")]
    assert await count(sb, activity, activity.c.kind == "session.checked_in") == 2


async def test_an_arabic_speaker_is_answered_in_arabic(ex: Exchange) -> None:
    """Zainab's profile says Arabic: the check-in answer is Arabic."""
    await ex.sb.advance_to(OCT + timedelta(minutes=5))
    reply = await ex.sb.click(ex.student("Zainab"), started_post(ex), CHECK_IN)
    assert "تم تسجيل حضورك" in reply.text


async def test_check_in_after_the_session_is_refused(ex: Exchange) -> None:
    """Once the window has closed, pressing the button gets a clear refusal, nothing stored."""
    sb = ex.sb
    await sb.advance_to(OCT + timedelta(minutes=5))
    post = started_post(ex)
    await sb.advance_to(OCT + timedelta(hours=2))
    reply = await sb.click(ex.student("Maya"), post, CHECK_IN)
    assert reply.ephemeral and "check-in is closed" in reply.text
    assert await attendance_rows(sb) == []
    assert "check-in is closed (0 took part)" in message_text(post)


async def test_someone_outside_the_exchange_cannot_check_in(ex: Exchange) -> None:
    """A visitor of the server is told check-in is for the exchange's people."""
    sb = ex.sb
    visitor = sb.add_member("Visitor")
    await sb.advance_to(OCT + timedelta(minutes=5))
    reply = await sb.click(visitor, started_post(ex), CHECK_IN)
    assert "Check-in is for the students and teachers of this exchange" in reply.text
    assert await attendance_rows(sb) == []


async def test_voice_presence_during_the_session_counts(ex: Exchange) -> None:
    """Already in the call at the start, or joining during it, counts; after the end does not."""
    sb = ex.sb
    await sb.advance_to(OCT - timedelta(minutes=10))
    await sb.join_voice(ex.student("Zainab"), ex.voice)
    assert await attendance_rows(sb) == []
    await sb.advance_to(OCT + timedelta(minutes=1))
    await sb.join_voice(ex.student("Ali"), ex.voice)
    await sb.advance_to(OCT + timedelta(hours=2))
    await sb.join_voice(ex.student("Maya"), ex.voice)
    assert await attendance_rows(sb) == [("Ali", "voice"), ("Zainab", "voice")]


async def test_the_end_summary_names_students_only_for_teachers(ex: Exchange) -> None:
    """Teachers see who came and who did not, per city; everyone else sees counts only."""
    sb = ex.sb
    await sb.advance_to(OCT + timedelta(minutes=5))
    await sb.click(ex.student("Ben"), started_post(ex), CHECK_IN)
    await sb.join_voice(ex.student("Ali"), ex.voice)
    await sb.advance_to(OCT + timedelta(hours=2))
    teachers = [m for m in sb.messages_in(ex.world.teachers_channel) if m.embeds][-1]
    fields = {f["name"]: f["value"] for f in teachers.embeds[0]["fields"]}
    assert fields["Minneapolis"] == "✅ 1 / 2\n✅ Ben\n❌ Maya"
    assert fields["Najaf"] == "✅ 1 / 2\n✅ Ali\n❌ Zainab"
    public = [m for m in sb.messages_in(ex.world.announcements) if m.embeds][-1]
    text = message_text(public)
    assert "2 of 4 students took part" in text
    assert not any(name in text for name in ("Ben", "Maya", "Ali", "Zainab"))


# -- restarts and reconnects -----------------------------------------------------------------------


async def test_the_check_in_button_survives_a_restart(ex: Exchange) -> None:
    """The button on a post made before a restart still works after it."""
    sb = ex.sb
    await sb.advance_to(OCT + timedelta(minutes=5))
    post = started_post(ex)
    await sb.restart_bot()
    reply = await sb.click(ex.student("Maya"), post, CHECK_IN)
    assert "You are checked in" in reply.text


async def test_a_check_in_button_posted_with_the_old_id_still_checks_in(ex: Exchange) -> None:
    """A post made before buttons got their `tb:session.…` ids carries `tb:checkin:<occurrence>`:
    pressing it still checks the student in, once."""
    sb = ex.sb
    await sb.advance_to(OCT + timedelta(minutes=5))
    post = started_post(ex)
    async with sb.bot.ctx.db.read() as conn:
        occurrence = (
            await conn.execute(
                select(session_occurrences.c.id).where(session_occurrences.c.starts_at == OCT)
            )
        ).scalar_one()
    (button,) = iter_components(post.components)
    assert button["custom_id"] == f"tb:session.checkin:{occurrence}"
    # The post as Discord keeps one made by the previous version of the bot.
    button["custom_id"] = f"tb:checkin:{occurrence}"
    reply = await sb.click(ex.student("Maya"), post, custom_id=f"tb:checkin:{occurrence}")
    assert reply.ephemeral and "You are checked in" in reply.text
    again = await sb.click(ex.student("Maya"), post, custom_id=f"tb:checkin:{occurrence}")
    assert "already checked in" in again.text
    assert await attendance_rows(sb) == [("Maya", "button")]


async def test_a_restart_in_the_middle_loses_and_repeats_nothing(ex: Exchange) -> None:
    """Down over November's 1-hour reminder (within grace): it goes out late, once."""
    sb = ex.sb
    await sb.advance_to(NOV - timedelta(minutes=75))
    await sb.restart_bot(downtime=timedelta(minutes=30))
    assert reminders_for(sb, ex.world.announcements, NOV) == 2
    await sb.restart_bot()
    await sb.advance_to(DEC + timedelta(hours=2))
    assert_each_post_once(ex)
    assert len(sb.events()) == 3


async def test_a_reminder_missed_beyond_grace_is_recorded_not_sent(ex: Exchange) -> None:
    """Down for two hours over November's 24-hour reminder: recorded missed, not sent late."""
    sb = ex.sb
    await sb.advance_to(NOV - timedelta(hours=25))
    await sb.restart_bot(downtime=timedelta(hours=2))
    assert reminders_for(sb, ex.world.announcements, NOV) == 0
    async with sb.bot.ctx.db.read() as conn:
        statuses = dict(
            (
                await conn.execute(
                    select(scheduled_sends.c.key, scheduled_sends.c.status).where(
                        scheduled_sends.c.key.like(f"sess:1:{int(NOV.timestamp())}:%remind1440")
                    )
                )
            ).all()
        )
    assert list(statuses.values()) == ["missed"]
    await sb.advance_to(NOV + timedelta(minutes=1))
    assert reminders_for(sb, ex.world.announcements, NOV) == 1


async def test_a_session_that_passed_while_down_is_closed_and_the_next_planned(
    ex: Exchange,
) -> None:
    """Down through all of October's session: it is closed, November's event is made."""
    sb = ex.sb
    await sb.advance_to(OCT - timedelta(minutes=90))
    await sb.restart_bot(downtime=timedelta(hours=6))
    async with sb.bot.ctx.db.read() as conn:
        statuses = [
            r[0]
            for r in await conn.execute(
                select(session_occurrences.c.status).order_by(session_occurrences.c.starts_at)
            )
        ]
    assert statuses[0] == "done"
    assert [(e["scheduled_start_time"], e["status"]) for e in sb.events()] == [
        (OCT.isoformat(), 4),
        (NOV.isoformat(), 1),
    ]
    await sb.advance_to(NOV + timedelta(hours=2))
    assert reminders_for(sb, ex.world.announcements, NOV) == 2


async def test_a_gateway_reconnect_loses_and_repeats_nothing(ex: Exchange) -> None:
    """A cut connection (resumed) and a new gateway session (identify) repeat nothing."""
    sb = ex.sb
    gateway = sb.server.gateway
    await sb.advance_to(OCT - timedelta(minutes=30))
    await gateway.cut()
    await sb.wait_for(lambda: gateway.resume_count == 1, "a RESUME", within=20)
    await sb.advance_to(OCT + timedelta(minutes=5))
    await gateway.invalidate(resumable=False)
    await sb.wait_for(lambda: gateway.identify_count == 2, "a new IDENTIFY", within=20)
    await sb.idle()
    reply = await sb.click(ex.student("Ben"), started_post(ex), CHECK_IN)
    assert "You are checked in" in reply.text
    await sb.advance_to(DEC + timedelta(hours=2))
    assert_each_post_once(ex)
    assert len(sb.events()) == 3


async def test_a_student_in_voice_during_a_reconnect_is_counted(ex: Exchange) -> None:
    """A join while the connection was cut is replayed on RESUME and counted."""
    sb = ex.sb
    gateway = sb.server.gateway
    await sb.advance_to(OCT + timedelta(minutes=5))
    await gateway.cut()
    await sb.join_voice(ex.student("Ali"), ex.voice)
    await sb.wait_for(lambda: gateway.resume_count == 1, "a RESUME", within=20)
    await sb.idle()
    assert await attendance_rows(sb) == [("Ali", "voice")]


async def test_an_unbounded_series_plans_a_rolling_horizon(sb: Sandbox) -> None:
    """A weekly series without end records about two months ahead, and extends as time passes."""
    ex = await paired_exchange(sb)
    await schedule_confirmed(ex, repeat="weekly", count=None)
    # 62 days from 1 September: the Tuesdays of October.
    assert await count(sb, session_occurrences) == 4
    await sb.advance_to(OCT + timedelta(weeks=3, hours=2))
    # 62 days from the end of 27 October's session: every Tuesday up to 22 December.
    assert await count(sb, session_occurrences) == 12
    assert len([e for e in sb.events() if e["status"] == 1]) == 1


# -- big classes -----------------------------------------------------------------------------------


async def big_class(sb: Sandbox, per_city: int, surname: tuple[str, str]) -> Exchange:
    """The paired exchange grown to `per_city` students in each city, then a session."""
    ex = await paired_exchange(sb)
    for n in range(per_city - 2):
        for city in (0, 1):
            await ex.world.add_student(f"Student {n:03d} {surname[city]}", city)
    await schedule_confirmed(ex)
    return ex


def teachers_summary(ex: Exchange) -> Message:
    return [m for m in ex.sb.messages_in(ex.world.teachers_channel) if m.embeds][-1]


async def test_a_class_of_120_is_named_in_full_across_fields(sb: Sandbox) -> None:
    """Sixty students a city do not fit one field: every name is shown, in several fields."""
    ex = await big_class(sb, 60, ("Johnson-Rivera", "Al-Hashimi"))
    await sb.advance_to(OCT + timedelta(minutes=5))
    await sb.click(ex.student("Ben"), started_post(ex), CHECK_IN)
    await sb.advance_to(OCT + timedelta(hours=2))
    summary = teachers_summary(ex)
    assert summary.attachments == []
    fields = summary.embeds[0]["fields"]
    assert all(len(f["value"]) <= 1024 for f in fields)
    named = [
        name
        for f in fields
        if "·" in f["name"] and f["value"] != "✅ —"
        for name in f["value"].split(" ", 1)[1].split(", ")
    ]
    assert sorted(named) == sorted(ex.world.students) and len(named) == 120
    by_name = {f["name"]: f["value"] for f in fields}
    assert by_name["Minneapolis"] == "✅ 1 / 60" and by_name["Minneapolis · ✅"] == "✅ Ben"
    assert "Minneapolis · ❌ (2)" in by_name and "Najaf · ❌ (2)" in by_name


async def test_a_class_too_big_for_one_message_gets_the_names_in_a_csv(sb: Sandbox) -> None:
    """A hundred students a city with long names: counts in the embed, every name in a file."""
    ex = await big_class(sb, 100, ("Johnson-Rivera-Castellanos", "Al-Hashimi-Al-Najafi"))
    await sb.advance_to(OCT + timedelta(minutes=5))
    await sb.click(ex.student("Zainab"), started_post(ex), CHECK_IN)
    await sb.advance_to(OCT + timedelta(hours=2))
    summary = teachers_summary(ex)
    fields = {f["name"]: f["value"] for f in summary.embeds[0]["fields"]}
    assert fields == {"Minneapolis": "✅ 0 / 100", "Najaf": "✅ 1 / 100"}
    assert "every student, per city, is in the attached file" in message_text(summary)
    (attachment,) = summary.attachments
    rows = list(csv.DictReader(io.StringIO(attachment.data.decode("utf-8-sig"))))
    assert len(rows) == 200
    assert {"city": "Najaf", "student": "Zainab", "attended": "yes"} in rows
    assert {r["student"] for r in rows} == set(ex.world.students)
    public = [m for m in sb.messages_in(ex.world.announcements) if m.embeds][-1]
    assert public.attachments == [] and "1 of 200 students took part" in message_text(public)
