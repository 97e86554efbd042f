"""Scheduling sessions through the real bot: previews in both cities, confirmation, changes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar
from sqlalchemy import select

from bot.domain.sessions import MAX_PROMPT, MAX_TITLE, NO_TITLE
from bot.i18n import t, unisolated
from bot.sandbox.driver import Sandbox, SandboxError, iter_components, message_text
from bot.sandbox.state import Message
from bot.services.session_plans import effective_slots
from bot.store import sessions as session_store
from bot.store.schema import (
    activity,
    prompt_posts,
    prompt_retirements,
    scheduled_sends,
    sessions,
)
from tests.sandbox.calendar_check import expanded_starts
from tests.sandbox.sessions_helpers import (
    DEC,
    NOV,
    OCT,
    Exchange,
    compressed_time,
    count,
    nothing_scheduled,
    paired_exchange,
    preview_of,
    schedule,
    schedule_confirmed,
    texts,
)


@pytest.fixture
async def sb(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Sandbox]:
    async with compressed_time(tmp_path, request) as sandbox:
        yield sandbox


@pytest.fixture
async def ex(sb: Sandbox) -> Exchange:
    return await paired_exchange(sb)


# -- previews --------------------------------------------------------------------------------------


@pytest.mark.pseudo_locale  # always in the pseudo-locale: no text past the catalogue
async def test_preview_shows_both_cities_times_and_warnings(ex: Exchange) -> None:
    """Before confirming, the teacher sees each city's local times and what to watch out for."""
    assert ex.sb.pseudo_locale  # the mark reaches this file's own `sb` fixture
    reply = await schedule(ex)
    assert reply.ephemeral or preview_of(reply).flags & 64
    text = reply.text
    assert "The first Tuesday of each month at 3:00\u202fPM (America/Chicago), 3 sessions" in text
    assert "Tue, Oct 6, 2026 3:00\u202fPM–4:00\u202fPM" in text  # Minneapolis
    assert "Tue, Oct 6, 2026 11:00\u202fPM–12:00\u202fAM" in text  # Najaf, summer time in the US
    assert "Wed, Nov 4, 2026 12:00\u202fAM–1:00\u202fAM" in text  # Najaf after the US clock change
    assert "Najaf: 3 of 3 sessions fall outside 7:00\u202fAM–9:00\u202fPM" in text
    assert (
        "Najaf: from November 4, 2026 the session is at 12:00\u202fAM instead of 11:00\u202fPM"
        in text
    )
    assert "Nothing is scheduled until you confirm" in text


HINT = "Prompt ids from /prompt list"


async def test_a_typed_prompt_gets_a_hint_about_prompt_ids_in_the_preview(ex: Exchange) -> None:
    """The teacher's own words go out in one language: the preview says prompt ids from
    /prompt list reach each student in their own."""
    reply = await schedule(ex, prompt="What does your family eat for breakfast?")
    assert HINT in reply.text and "in that one language" in reply.text


@pytest.mark.parametrize("prompt", ["food.breakfast", None])
async def test_prompt_ids_or_no_prompt_need_no_hint(ex: Exchange, prompt: str | None) -> None:
    """Prompt ids already reach each student in their language; no prompt needs no hint."""
    reply = await schedule(ex, prompt=prompt)
    assert HINT not in reply.text


async def test_a_preview_alone_schedules_nothing(ex: Exchange) -> None:
    """Until the teacher confirms, there is no series, no send and no Discord event."""
    await schedule(ex)
    assert await nothing_scheduled(ex.sb)


async def test_weekend_days_are_each_citys_own(ex: Exchange) -> None:
    """A Friday is Najaf's weekend (fri,sat) but a school day in Minneapolis."""
    reply = await schedule(ex, start="2026-10-02", time="08:00", repeat="weekly", count=2)
    assert "Najaf: 2 of 2 sessions fall on a weekend day there" in reply.text
    assert "Minneapolis: 2 of 2 sessions fall on a weekend" not in reply.text


async def test_the_zone_defaults_to_a_city_of_the_exchange(ex: Exchange) -> None:
    """Without a zone, the local time is read in Minneapolis's zone."""
    reply = await schedule(ex)
    assert "(America/Chicago)" in reply.text


async def test_a_zone_from_the_partner_city_is_kept(ex: Exchange) -> None:
    """16:00 Baghdad time is shown as 16:00 in Najaf and 08:00 in Minneapolis."""
    reply = await schedule(ex, zone="Asia/Baghdad", time="16:00", start="2026-10-06")
    assert "Tue, Oct 6, 2026 4:00\u202fPM–5:00\u202fPM" in reply.text
    assert "Tue, Oct 6, 2026 8:00\u202fAM–9:00\u202fAM" in reply.text


# -- confirming ------------------------------------------------------------------------------------


@pytest.mark.pseudo_locale  # the event's description too: no text past the catalogue or CLDR
async def test_confirming_creates_the_series_and_the_next_event(ex: Exchange) -> None:
    """Confirmed: one active series, and one Discord event, for the next occurrence only; its
    description gives each city's time in each language the exchange reads."""
    sb = ex.sb
    done = await schedule_confirmed(ex)
    assert "Scheduled **Exchange session**" in done.text
    assert await count(sb, sessions, sessions.c.status == "active") == 1
    events = sb.events()
    assert len(events) == 1
    event = events[0]
    assert event["scheduled_start_time"] == OCT.isoformat()
    assert event["entity_type"] == 2 and event["channel_id"] == str(ex.voice.id)
    description = unisolated(event["description"])
    assert (
        "Najaf: Tue, Oct 6, 2026 11:00\u202fPM – Wed, Oct 7 12:00\u202fAM (Arabian Standard Time)"
        in description
    )
    # Najaf's readers have their own block, in Arabic (Latin digits, CLDR's Arabic words).
    assert "Najaf: الثلاثاء، 6 أكتوبر 2026 11:00 م – الأربعاء، 7 أكتوبر 12:00 ص" in description


async def test_confirming_announces_the_series_to_everyone(ex: Exchange) -> None:
    """The announcements channel gets the rule in words in both cities' languages."""
    await schedule_confirmed(ex)
    posts = texts(ex.sb, ex.world.announcements, "📅")
    assert len(posts) == 1
    assert "The first Tuesday of each month at 3:00\u202fPM" in posts[0]
    assert "جلسة جديدة" in posts[0]
    assert f"<t:{int(OCT.timestamp())}:F>" in posts[0]


async def test_discarding_a_preview_schedules_nothing(ex: Exchange) -> None:
    """Pressing Cancel on the preview leaves nothing behind."""
    reply = await schedule(ex)
    answer = await ex.sb.click(ex.world.teacher, preview_of(reply), "Cancel")
    assert "Nothing was scheduled" in answer.text
    assert await nothing_scheduled(ex.sb)
    assert await count(ex.sb, sessions) == 0


async def test_a_confirmed_preview_cannot_be_confirmed_again(ex: Exchange) -> None:
    """After confirming, the preview's buttons are gone: one series, one event."""
    reply = await schedule(ex)
    await ex.sb.click(ex.world.teacher, preview_of(reply), "Schedule")
    assert preview_of(reply).components == []
    assert await count(ex.sb, sessions, sessions.c.status == "active") == 1
    assert len(ex.sb.events()) == 1


async def test_confirming_is_logged(ex: Exchange) -> None:
    """The activity log records who scheduled what (never message text)."""
    await schedule_confirmed(ex)
    async with ex.sb.bot.ctx.db.read() as conn:
        row = (
            await conn.execute(select(activity).where(activity.c.kind == "session.scheduled"))
        ).one()
    assert row.actor_id == ex.world.teacher.user.id
    assert "breakfast" not in row.details


def with_old_ids(message: Message, *old_ids: str) -> None:
    """The message's buttons, in order, as the previous version of the bot made them."""
    for button, old in zip(iter_components(message.components), old_ids, strict=True):
        button["custom_id"] = old


async def test_a_preview_shown_with_the_old_ids_can_still_be_confirmed(ex: Exchange) -> None:
    """A preview answered before buttons got `tb:session.…` ids carries `tb:sched:ok:<draft>`:
    pressing Schedule still makes the series."""
    reply = await schedule(ex)
    preview = preview_of(reply)
    ids = [b["custom_id"] for b in iter_components(preview.components)]
    assert ids == ["tb:session.schedule:1", "tb:session.discard:1"]
    with_old_ids(preview, "tb:sched:ok:1", "tb:sched:no:1")
    done = await ex.sb.click(ex.world.teacher, preview, custom_id="tb:sched:ok:1")
    assert "Scheduled **Exchange session**" in done.text
    assert await count(ex.sb, sessions, sessions.c.status == "active") == 1
    assert len(ex.sb.events()) == 1


async def test_a_series_end_asked_with_the_old_ids_is_still_answered(ex: Exchange) -> None:
    """`tb:endseries:no:<series>` keeps the series; `tb:endseries:ok:<series>` ends it."""
    sb = ex.sb
    await schedule_confirmed(ex)
    asked = preview_of(await sb.command(ex.world.teacher, "session cancel"))
    with_old_ids(asked, "tb:endseries:ok:1", "tb:endseries:no:1")
    kept = await sb.click(ex.world.teacher, asked, custom_id="tb:endseries:no:1")
    assert "Nothing changed" in kept.text
    assert await count(sb, sessions, sessions.c.status == "active") == 1
    asked = preview_of(await sb.command(ex.world.teacher, "session cancel"))
    with_old_ids(asked, "tb:endseries:ok:1", "tb:endseries:no:1")
    done = await sb.click(ex.world.teacher, asked, custom_id="tb:endseries:ok:1")
    assert "3 upcoming sessions removed" in done.text
    assert [e["status"] for e in sb.events()] == [4]


def city_dates(message: Message, city: str) -> list[str]:
    """The dates in a preview's column of one city."""
    field = next(f for f in message.embeds[0]["fields"] if f["name"].startswith(city))
    return [line for line in field["value"].split("\n") if line and not line.startswith("…")]


async def test_the_preview_shows_every_date_of_a_finite_series_page_by_page(
    ex: Exchange,
) -> None:
    """23 weekly sessions: ten a page in both cities' columns, ◀ ▶ go through three pages and
    back, together every date once; the series is confirmed from the last page."""
    sb = ex.sb
    reply = await schedule(ex, repeat="weekly", count=23)
    preview = preview_of(reply)
    assert "23 dates · page 1 of 3" in reply.text
    seen = city_dates(preview, "Minneapolis")
    assert len(seen) == 10 and len(city_dates(preview, "Najaf")) == 10
    assert "… and more" not in reply.text
    labels = [c.get("label") for c in iter_components(preview.components)]
    assert labels == ["Schedule", "Cancel", "◀", "▶"]
    previous = next(c for c in iter_components(preview.components) if c.get("label") == "◀")
    assert previous.get("disabled") is True
    for page in (2, 3):
        turned = await sb.click(ex.world.teacher, preview, "▶")
        assert f"23 dates · page {page} of 3" in turned.text, turned.text
        seen += city_dates(preview, "Minneapolis")
    assert len(city_dates(preview, "Najaf")) == 3
    assert len(seen) == len(set(seen)) == 23
    assert seen[0].startswith("Tue, Oct 6, 2026") and seen[-1].startswith("Tue, Mar 9, 2027")
    back = await sb.click(ex.world.teacher, preview, "◀")
    assert "page 2 of 3" in back.text
    # Someone else pressing ▶ under it is refused and changes nothing.
    other = await sb.click(ex.world.partner_teacher, preview, "▶")
    assert "page 2 of 3" in message_text(preview)
    assert other.ephemeral and "page 3 of 3" not in other.text
    done = await sb.click(ex.world.teacher, preview, "Schedule")
    assert "Scheduled" in done.text, done.text
    assert await count(sb, sessions, sessions.c.status == "active") == 1


async def test_an_open_series_preview_says_more_follow(ex: Exchange) -> None:
    """Without an end: the first year's dates, paged, and the last page says more follow."""
    reply = await schedule(ex, count=None)
    preview = preview_of(reply)
    assert "Page 1 of 2 · Nothing is scheduled" in reply.text
    assert "… and more" not in reply.text and " dates · " not in reply.text
    turned = await ex.sb.click(ex.world.teacher, preview, "▶")
    assert "… and more" in turned.text and "Page 2 of 2" in turned.text


async def test_a_move_previewed_with_the_old_ids_can_still_be_confirmed(ex: Exchange) -> None:
    """`tb:move:ok:<series>:<original>:<new start>` still moves the session and its event."""
    sb = ex.sb
    await schedule_confirmed(ex)
    reply = await sb.command(
        ex.world.teacher,
        "session move",
        occurrence=str(int(OCT.timestamp())),
        date="2026-10-08",
        time="09:00",
    )
    moved = datetime(2026, 10, 8, 14, tzinfo=UTC)
    old = f"tb:move:ok:1:{int(OCT.timestamp())}:{int(moved.timestamp())}"
    with_old_ids(preview_of(reply), old, old.replace(":ok:", ":no:"))
    done = await sb.click(ex.world.teacher, preview_of(reply), custom_id=old)
    assert "is now on" in done.text
    assert [e["scheduled_start_time"] for e in sb.events()] == [moved.isoformat()]


# -- bad input: a clear answer, nothing changed ----------------------------------------------------


async def test_a_student_cannot_schedule(ex: Exchange) -> None:
    """A student running /session schedule is told only teachers can; nothing is created."""
    reply = await schedule(ex, member=ex.student("Ben"))
    assert "Only teachers can do that" in reply.text
    assert await nothing_scheduled(ex.sb)
    assert await count(ex.sb, sessions) == 0


async def test_a_student_is_refused_in_their_own_language(ex: Exchange) -> None:
    """Ali's profile says Arabic: the refusal is in Arabic."""
    reply = await schedule(ex, member=ex.student("Ali"))
    assert t("error.only_teacher", "ar") in reply.text


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"zone": "Mars/Olympus"}, "“Mars/Olympus” is not a time zone I know"),
        ({"zone": "EST"}, "“EST” is not a time zone I know"),
        ({"start": "2026-08-04"}, "That time has already passed"),
        ({"start": "2026-09-01", "time": "06:00"}, "That time has already passed"),
        ({"duration": 0}, "A session lasts between 10 and 480 minutes"),
        ({"duration": -30}, "A session lasts between 10 and 480 minutes"),
        ({"count": None, "until": "2026-09-30"}, "give no session at all"),
        ({"repeat": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"}, "give no session at all"),
        ({"repeat": "whenever we like"}, "I don't understand the repeat"),
        ({"start": "06/10/2026"}, "“06/10/2026” is not a date: write it as YYYY-MM-DD"),
        ({"count": None, "until": "next June"}, "“next June” is not a date"),
        ({"time": "25:00"}, "is not a time I can read"),
        ({"until": "2027-01-01"}, "a number of sessions or an end date, not both"),
        # Every date of a finite series is previewed: an end date giving more than a count may
        # is refused alike (weekly from October 2026 to the end of 2028: 117 sessions).
        (
            {"count": None, "until": "2028-12-31", "repeat": "weekly"},
            "A series has at most 100 sessions",
        ),
    ],
)
async def test_bad_input_gets_a_clear_answer_and_changes_nothing(
    ex: Exchange, options: dict[str, object], expected: str
) -> None:
    """Unknown zone, a past start, a bad duration, a rule with no occurrence, and more."""
    reply = await schedule(ex, **options)
    assert expected in reply.text
    assert not any(c.get("type") == 2 for row in reply.components for c in row["components"])
    assert await nothing_scheduled(ex.sb)
    assert await count(ex.sb, sessions) == 0


def option_of(sb: Sandbox, subcommand: str, name: str) -> dict[str, object]:
    """An option of /session <subcommand> as the bot registered it with Discord."""
    command = sb.server.find_command(sb.guild.id, "session")
    assert command is not None
    sub = next(o for o in command["options"] if o["name"] == subcommand)
    return next(o for o in sub["options"] if o["name"] == name)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("subcommand", "option", "limit"),
    [
        ("schedule", "title", MAX_TITLE),
        ("schedule", "prompt", MAX_PROMPT),
        ("edit", "title", MAX_TITLE),
        ("edit", "prompt", MAX_PROMPT),
    ],
)
async def test_discords_client_holds_titles_and_prompts_to_the_limits(
    ex: Exchange, subcommand: str, option: str, limit: int
) -> None:
    """The option declares the service's limit, so Discord's client refuses longer text."""
    definition = option_of(ex.sb, subcommand, option)
    assert (definition["min_length"], definition["max_length"]) == (1, limit)
    if subcommand == "edit":
        await schedule_confirmed(ex)
    too_long = {option: "ب" * (limit + 1)}
    with pytest.raises(SandboxError, match=f"Discord refuses '{option}'"):
        if subcommand == "schedule":
            await schedule(ex, **too_long)
        else:
            await ex.sb.command(ex.world.teacher, "session edit", **too_long)
    async with ex.sb.bot.ctx.db.read() as conn:
        titles = [r[0] for r in await conn.execute(select(sessions.c.title))]
    assert titles == ([] if subcommand == "schedule" else [NO_TITLE])  # untouched: untitled


async def test_scheduling_needs_the_announcements_channel(sb: Sandbox) -> None:
    """An exchange whose coordinator has not chosen channels is told how to fix it."""
    from tests.sandbox.world import make_world

    world = await make_world(sb)
    from bot.store import exchanges as exchange_store

    async with sb.bot.ctx.db.transaction() as conn:
        await exchange_store.set_spaces(conn, world.exchange_id, exchange_channel_id=None)
    reply = await sb.command(
        world.teacher, "session schedule", start="2026-10-06", time="15:00", repeat="once"
    )
    assert "/exchange channels" in reply.text
    assert await nothing_scheduled(sb)


async def test_arabic_and_emoji_titles_and_prompts_are_kept(ex: Exchange) -> None:
    """Non-Latin text is fine and is shown as typed (without pinging anyone)."""
    done = await schedule_confirmed(
        ex, title="جلسة التبادل 🌍", prompt="@everyone ما هو طعامك المفضل؟ 🍲"
    )
    assert "جلسة التبادل 🌍" in done.text
    post = ex.sb.messages_in(ex.world.announcements)[-1]
    assert not post.mention_everyone


async def test_an_overlap_warns_and_waits_for_confirmation(ex: Exchange) -> None:
    """A session clashing with another of the same exchange is scheduled only when confirmed."""
    sb = ex.sb
    await schedule_confirmed(ex, title="Book club", count=None, repeat="weekly", time="15:30")
    reply = await schedule(ex)
    assert "Overlaps “Book club”" in reply.text
    assert await count(sb, sessions, sessions.c.status == "active") == 1
    await sb.click(ex.world.teacher, preview_of(reply), "Schedule anyway")
    assert await count(sb, sessions, sessions.c.status == "active") == 2


async def test_an_overlap_dropped_changes_nothing(ex: Exchange) -> None:
    """Cancelling the clashing preview leaves only the first series."""
    await schedule_confirmed(ex, title="Book club", time="15:30")
    reply = await schedule(ex)
    await ex.sb.click(ex.world.teacher, preview_of(reply), "Cancel")
    assert await count(ex.sb, sessions) == 1


# -- autocomplete ----------------------------------------------------------------------------------


async def test_repeat_choices_speak_of_the_start_dates_weekday(ex: Exchange) -> None:
    """Having typed 2026-10-06, the teacher is offered "the first Tuesday of each month"."""
    choices = await ex.sb.autocomplete(
        ex.world.teacher, "session schedule", "repeat", "", start="2026-10-06"
    )
    names = [c["name"] for c in choices]
    assert "The first Tuesday of each month" in names
    assert "Every 4 weeks on Tuesday" in names
    assert "Once" in names


async def test_zone_choices_start_with_the_exchanges_cities(ex: Exchange) -> None:
    """The two cities' zones come first."""
    choices = await ex.sb.autocomplete(ex.world.teacher, "session schedule", "zone", "")
    assert [c["value"] for c in choices[:2]] == ["America/Chicago", "Asia/Baghdad"]
    assert "Najaf" in choices[1]["name"]


async def test_occurrence_choices_list_upcoming_dates(ex: Exchange) -> None:
    """Picking a date to cancel offers the series' next sessions in its own zone."""
    await schedule_confirmed(ex)
    choices = await ex.sb.autocomplete(ex.world.teacher, "session cancel", "occurrence", "")
    assert [c["value"] for c in choices] == [str(int(d.timestamp())) for d in (OCT, NOV, DEC)]
    assert choices[1]["name"].startswith("Tue, Nov 3, 2026 3:00\u202fPM")


# -- listing, calendar file ------------------------------------------------------------------------


async def test_list_shows_next_sessions_in_both_cities(ex: Exchange) -> None:
    """Anyone can see what is coming, in Discord time and both cities' local times."""
    await schedule_confirmed(ex)
    reply = await ex.sb.command(ex.student("Ben"), "session list")
    assert reply.ephemeral
    assert f"<t:{int(OCT.timestamp())}:F>" in reply.text
    assert "Najaf Wed, Nov 4, 2026 12:00\u202fAM–1:00\u202fAM" in reply.text


async def test_list_without_sessions_says_how_to_start(ex: Exchange) -> None:
    reply = await ex.sb.command(ex.world.teacher, "session list")
    assert "No sessions yet" in reply.text


async def test_the_ics_file_has_the_series_and_its_changes(ex: Exchange) -> None:
    """Teachers get an iCalendar file with the rule, the zone and a cancelled date."""
    sb = ex.sb
    await schedule_confirmed(ex)
    await sb.command(ex.world.teacher, "session cancel", occurrence=str(int(NOV.timestamp())))
    reply = await sb.command(ex.world.teacher, "session ics")
    attachment = next(a for a in reply.files if a.filename.endswith(".ics"))
    calendar = Calendar.from_ical(bytes(attachment.data).decode())
    event = calendar.walk("VEVENT")[0]
    assert event["RRULE"]["FREQ"] == ["MONTHLY"] and event["RRULE"]["COUNT"] == [3]
    assert event.decoded("DTSTART").tzinfo.key == "America/Chicago"  # type: ignore[union-attr]
    assert b"EXDATE;TZID=America/Chicago:20261103T150000" in attachment.data
    assert b"LOCATION:#Exchange call" in attachment.data
    assert calendar.walk("VTIMEZONE")


async def test_the_ics_file_of_a_series_typed_from_a_non_session_day(ex: Exchange) -> None:
    """Typed to start on Friday 2026-10-09, "the first Tuesday of each month", four times:
    the file's DTSTART is the first real session (Tuesday 3 November), it expands to exactly
    the bot's four dates (none invented, none dropped), and carries SEQUENCE and
    LAST-MODIFIED; after a move both have moved on in the next file."""
    sb = ex.sb
    await schedule_confirmed(ex, start="2026-10-09", repeat="first Tuesday", count=4)
    after, before = sb.now(), sb.now() + timedelta(days=400)
    reply = await sb.command(ex.world.teacher, "session ics")
    data = bytes(next(a for a in reply.files if a.filename.endswith(".ics")).data)
    event = Calendar.from_ical(data).walk("VEVENT")[0]
    assert event.decoded("DTSTART").astimezone(UTC) == NOV
    dates = expanded_starts(data, after, before)
    async with sb.bot.ctx.db.read() as conn:
        series = (await session_store.of_exchange(conn, 1))[0]
        own = [s.start for s, _ in await effective_slots(conn, series, after=after, before=before)]
    assert dates == own and len(dates) == 4 and dates[0] == NOV
    assert "SEQUENCE" in event and "LAST-MODIFIED" in event

    await sb.advance(timedelta(minutes=5))
    moved = await sb.command(
        ex.world.teacher,
        "session move",
        occurrence=str(int(DEC.timestamp())),
        date="2026-12-03",
        time="15:00",
    )
    await sb.click(ex.world.teacher, preview_of(moved), "Move it")
    reply = await sb.command(ex.world.teacher, "session ics")
    again = bytes(next(a for a in reply.files if a.filename.endswith(".ics")).data)
    main = next(e for e in Calendar.from_ical(again).walk("VEVENT") if "RRULE" in e)
    assert int(main["SEQUENCE"]) > int(event["SEQUENCE"])
    assert main.decoded("LAST-MODIFIED") > event.decoded("LAST-MODIFIED")
    assert datetime(2026, 12, 3, 21, tzinfo=UTC) in expanded_starts(again, after, before)
    assert DEC not in expanded_starts(again, after, before)


async def test_students_cannot_download_the_calendar(ex: Exchange) -> None:
    await schedule_confirmed(ex)
    reply = await ex.sb.command(ex.student("Ben"), "session ics")
    assert "Only teachers" in reply.text and not reply.files


# -- changes ---------------------------------------------------------------------------------------


async def test_cancelling_one_date_keeps_the_series_and_rolls_the_event(ex: Exchange) -> None:
    """October cancelled: its event is cancelled, November's is created, students are told."""
    sb = ex.sb
    await schedule_confirmed(ex)
    reply = await sb.command(
        ex.world.teacher, "session cancel", occurrence=str(int(OCT.timestamp()))
    )
    assert "is cancelled; the series goes on" in reply.text
    by_start = {e["scheduled_start_time"]: e for e in sb.events()}
    assert by_start[OCT.isoformat()]["status"] == 4
    assert by_start[NOV.isoformat()]["status"] == 1
    assert len(texts(sb, ex.world.announcements, "🚫")) == 1
    async with sb.bot.ctx.db.read() as conn:
        pending = (
            await conn.execute(
                select(scheduled_sends.c.key).where(scheduled_sends.c.status == "pending")
            )
        ).all()
    assert not [k for (k,) in pending if f":{int(OCT.timestamp())}:" in k]


async def test_a_cancelled_date_sends_no_reminder(ex: Exchange) -> None:
    """Nothing is posted for a cancelled occurrence; the next one goes ahead."""
    sb = ex.sb
    await schedule_confirmed(ex)
    await sb.command(ex.world.teacher, "session cancel", occurrence=str(int(OCT.timestamp())))
    await sb.advance_to(OCT + timedelta(hours=2))
    assert texts(sb, ex.world.announcements, "🔔") == []
    await sb.advance_to(NOV + timedelta(minutes=1))
    assert len(texts(sb, ex.world.announcements, "🔔")) == 2


async def test_skip_drops_the_next_session_only(ex: Exchange) -> None:
    """/session skip skips October; November is still planned."""
    sb = ex.sb
    await schedule_confirmed(ex)
    reply = await sb.command(ex.world.teacher, "session skip")
    assert "Skipped the" in reply.text and f"<t:{int(OCT.timestamp())}:F>" in reply.text
    assert len(texts(sb, ex.world.announcements, "⏭️")) == 1
    choices = await sb.autocomplete(ex.world.teacher, "session move", "occurrence", "")
    assert choices[0]["value"] == str(int(NOV.timestamp()))


async def test_a_student_cannot_cancel(ex: Exchange) -> None:
    """Students are refused and the series is untouched."""
    await schedule_confirmed(ex)
    reply = await ex.sb.command(ex.student("Ben"), "session skip")
    assert "Only teachers" in reply.text
    assert [e["status"] for e in ex.sb.events()] == [1]


async def test_cancelling_the_series_asks_first(ex: Exchange) -> None:
    """Without a date, /session cancel asks before ending the whole series."""
    sb = ex.sb
    await schedule_confirmed(ex)
    reply = await sb.command(ex.world.teacher, "session cancel")
    assert "Cancel every upcoming session of **Exchange session** (3 planned)" in reply.text
    kept = await sb.click(ex.world.teacher, preview_of(reply), "Keep it")
    assert "Nothing changed" in kept.text
    assert await count(sb, sessions, sessions.c.status == "active") == 1


async def test_cancelling_the_series_ends_every_upcoming_session(ex: Exchange) -> None:
    """Confirmed: no more reminders, the event is cancelled, everyone is told."""
    sb = ex.sb
    await schedule_confirmed(ex)
    reply = await sb.command(ex.world.teacher, "session cancel")
    done = await sb.click(ex.world.teacher, preview_of(reply), "Cancel the whole series")
    assert "3 upcoming sessions removed" in done.text
    assert [e["status"] for e in sb.events()] == [4]
    await sb.advance_to(DEC + timedelta(hours=2))
    assert texts(sb, ex.world.announcements, "🔔") == []
    assert len(texts(sb, ex.world.announcements, "no more sessions")) == 1


async def test_moving_a_date_shows_both_cities_then_moves_its_event(ex: Exchange) -> None:
    """October moves to Thursday 8th: previewed in both cities, then the event follows."""
    sb = ex.sb
    await schedule_confirmed(ex)
    reply = await sb.command(
        ex.world.teacher,
        "session move",
        occurrence=str(int(OCT.timestamp())),
        date="2026-10-08",
        time="09:00",
    )
    assert "Thu, Oct 8, 2026 9:00\u202fAM–10:00\u202fAM" in reply.text  # Minneapolis
    assert "Thu, Oct 8, 2026 5:00\u202fPM–6:00\u202fPM" in reply.text  # Najaf
    assert [e["scheduled_start_time"] for e in sb.events()] == [OCT.isoformat()]
    done = await sb.click(ex.world.teacher, preview_of(reply), "Move it")
    assert "is now on" in done.text
    moved = datetime(2026, 10, 8, 14, tzinfo=UTC)
    assert [e["scheduled_start_time"] for e in sb.events()] == [moved.isoformat()]
    assert len(texts(sb, ex.world.announcements, "🔁")) == 1


async def test_a_moved_session_reminds_at_its_new_time(ex: Exchange) -> None:
    """Reminders follow the move: nothing at the old time, one of each before the new one."""
    sb = ex.sb
    await schedule_confirmed(ex)
    reply = await sb.command(
        ex.world.teacher,
        "session move",
        occurrence=str(int(OCT.timestamp())),
        date="2026-10-08",
        time="09:00",
    )
    await sb.click(ex.world.teacher, preview_of(reply), "Move it")
    await sb.advance_to(OCT + timedelta(hours=2))
    assert texts(sb, ex.world.announcements, "🔔") == []
    await sb.advance_to(datetime(2026, 10, 8, 14, 1, tzinfo=UTC))
    assert len(texts(sb, ex.world.announcements, "🔔")) == 2
    assert len(texts(sb, ex.world.announcements, "▶️")) == 1


async def test_moving_onto_another_session_needs_confirmation(ex: Exchange) -> None:
    """Moving into another series' slot warns of the clash."""
    sb = ex.sb
    await schedule_confirmed(ex)
    await schedule_confirmed(
        ex, title="Book club", start="2026-10-08", time="09:00", repeat="once", count=None
    )
    reply = await sb.command(
        ex.world.teacher,
        "session move",
        session=1,
        occurrence=str(int(OCT.timestamp())),
        date="2026-10-08",
        time="09:30",
    )
    assert "Overlaps “Book club”" in reply.text
    keep = await sb.click(ex.world.teacher, preview_of(reply), "Keep it")
    assert "Nothing changed" in keep.text
    assert OCT.isoformat() in [e["scheduled_start_time"] for e in sb.events()]


async def test_moving_into_the_past_is_refused(ex: Exchange) -> None:
    await schedule_confirmed(ex)
    reply = await ex.sb.command(
        ex.world.teacher,
        "session move",
        occurrence=str(int(OCT.timestamp())),
        date="2026-08-01",
        time="09:00",
    )
    assert "already passed" in reply.text
    assert [e["scheduled_start_time"] for e in ex.sb.events()] == [OCT.isoformat()]


async def test_an_unknown_occurrence_is_refused(ex: Exchange) -> None:
    await schedule_confirmed(ex)
    reply = await ex.sb.command(ex.world.teacher, "session cancel", occurrence="1791000000")
    assert "not a session of this series" in reply.text
    assert [e["status"] for e in ex.sb.events()] == [1]


async def test_reminder_times_are_set_per_exchange(ex: Exchange) -> None:
    """With "2h" only, a single reminder two hours before goes out."""
    sb = ex.sb
    await schedule_confirmed(ex)
    reply = await sb.command(ex.world.teacher, "session reminders", before="2h")
    assert "Reminders for Minneapolis–Najaf: 2 h before each session" in reply.text
    await sb.advance_to(OCT - timedelta(hours=2, minutes=1))
    assert texts(sb, ex.world.announcements, "🔔") == []
    await sb.advance_to(OCT - timedelta(minutes=1))
    assert len(texts(sb, ex.world.announcements, "🔔")) == 1


async def test_bad_reminder_times_change_nothing(ex: Exchange) -> None:
    await schedule_confirmed(ex)
    before = await count(ex.sb, scheduled_sends)
    reply = await ex.sb.command(ex.world.teacher, "session reminders", before="whenever")
    assert "is not a list of reminder times" in reply.text
    assert await count(ex.sb, scheduled_sends) == before


# -- editing a series from now on ------------------------------------------------------------------


async def test_a_new_prompt_is_posted_at_the_next_start(ex: Exchange) -> None:
    """Editing the prompt changes what the pairs get next; the old prompt is not posted."""
    sb = ex.sb
    await schedule_confirmed(ex)
    reply = await sb.command(ex.world.teacher, "session edit", prompt="Which festival do you love?")
    assert "Updated **Exchange session** for the sessions to come" in reply.text
    await sb.advance_to(OCT + timedelta(minutes=1))
    for space in ex.spaces():
        (prompt,) = texts(sb, space, "💬")
        assert "Which festival do you love?" in prompt and "breakfast" not in prompt


async def test_a_longer_session_moves_its_end_and_its_event(ex: Exchange) -> None:
    """90 minutes instead of 60: the event and the end summary follow."""
    sb = ex.sb
    await schedule_confirmed(ex)
    await sb.command(ex.world.teacher, "session edit", duration=90)
    end = OCT + timedelta(minutes=90)
    assert [e["scheduled_end_time"] for e in sb.events()] == [end.isoformat()]
    await sb.advance_to(OCT + timedelta(minutes=80))
    assert not [m for m in sb.messages_in(ex.world.announcements) if m.embeds]
    await sb.advance_to(end + timedelta(minutes=1))
    assert len([m for m in sb.messages_in(ex.world.announcements) if m.embeds]) == 1


async def test_a_session_under_way_keeps_its_length(ex: Exchange) -> None:
    """Edited during October's session: October still ends at 60 minutes, November gets 90."""
    sb = ex.sb
    await schedule_confirmed(ex)
    await sb.advance_to(OCT + timedelta(minutes=10))
    reply = await sb.command(ex.world.teacher, "session edit", duration=90)
    assert "one under way, keep what they had" in reply.text
    await sb.advance_to(OCT + timedelta(minutes=61))
    assert len([m for m in sb.messages_in(ex.world.announcements) if m.embeds]) == 1
    november = next(e for e in sb.events() if e["scheduled_start_time"] == NOV.isoformat())
    assert november["scheduled_end_time"] == (NOV + timedelta(minutes=90)).isoformat()


async def test_an_edit_without_changes_is_refused(ex: Exchange) -> None:
    await schedule_confirmed(ex)
    reply = await ex.sb.command(ex.world.teacher, "session edit")
    assert "Tell me what to change" in reply.text


async def test_a_student_cannot_edit_a_series(ex: Exchange) -> None:
    await schedule_confirmed(ex)
    reply = await ex.sb.command(ex.student("Ben"), "session edit", prompt="Hi")
    assert "Only teachers" in reply.text
    async with ex.sb.bot.ctx.db.read() as conn:
        prompt = (await conn.execute(select(sessions.c.prompt))).scalar_one()
    assert prompt == "What does your family eat for breakfast?"


async def test_a_city_name_is_understood_as_its_zone(ex: Exchange) -> None:
    """Typing "Najaf" instead of picking Asia/Baghdad works."""
    reply = await schedule(ex, zone="Najaf", time="16:00")
    assert "(Asia/Baghdad)" in reply.text


async def test_anyone_can_see_when_reminders_go_out(ex: Exchange) -> None:
    """Without a value, /session reminders shows the current setting (24 h and 1 h)."""
    reply = await ex.sb.command(ex.student("Ben"), "session reminders")
    assert "go out 24 h and 1 h before each session" in reply.text


async def test_a_student_cannot_change_reminders(ex: Exchange) -> None:
    await schedule_confirmed(ex)
    before = await count(ex.sb, scheduled_sends)
    reply = await ex.sb.command(ex.student("Ben"), "session reminders", before="off")
    assert "Only teachers" in reply.text
    assert await count(ex.sb, scheduled_sends) == before


@pytest.mark.parametrize(
    ("where", "entity_type", "location"),
    [("stage", 1, None), ("none", 3, "#exchange")],
)
async def test_the_event_matches_the_sessions_place(
    ex: Exchange, where: str, entity_type: int, location: str | None
) -> None:
    """A stage channel makes a stage event; no channel makes an external event at #exchange."""
    from bot.sandbox.state import ChannelType

    stage = ex.sb.add_channel("Exchange stage", kind=ChannelType.STAGE)
    await ex.sb.idle()
    await schedule_confirmed(ex, channel=stage if where == "stage" else None)
    (event,) = ex.sb.events()
    assert event["entity_type"] == entity_type
    assert (event["entity_metadata"] or {}).get("location") == location


async def test_without_a_teacher_prompt_each_pair_gets_its_next_bank_prompt(ex: Exchange) -> None:
    """No words of the teacher's: each pair gets the next prompt of its own rotation, once."""
    await schedule_confirmed(ex, prompt=None)
    await ex.sb.advance_to(OCT + timedelta(minutes=1))
    for space in ex.spaces():
        (card,) = [m for m in ex.sb.messages_in(space) if "Let's talk" in message_text(m)]
        assert "🔖 " in message_text(card)  # a prompt of the bank, with its id
    posts = await count(ex.sb, prompt_posts, prompt_posts.c.reason == "session")
    assert posts == len(ex.spaces())
    await ex.sb.restart_bot()
    await ex.sb.advance(minutes=5)
    assert await count(ex.sb, prompt_posts, prompt_posts.c.reason == "session") == posts


async def test_a_session_can_name_prompts_of_the_bank(ex: Exchange) -> None:
    """A prompt id as the session's prompt posts that prompt, in each member's language."""
    await schedule_confirmed(ex, prompt="food.breakfast")
    await ex.sb.advance_to(OCT + timedelta(minutes=1))
    for space in ex.spaces():
        (card,) = [m for m in ex.sb.messages_in(space) if "🔖 food.breakfast" in message_text(m)]
        assert "العربية" in message_text(card) or "English" in message_text(card)


async def test_when_every_prompt_is_retired_pairs_get_an_invitation_to_talk(ex: Exchange) -> None:
    """An exchange that retired the prompts it may use still gives each pair a starter."""
    from bot.domain.prompts import builtin_by_key

    await schedule_confirmed(ex, prompt=None)
    async with ex.sb.bot.ctx.db.transaction() as conn:
        for key in builtin_by_key():
            await conn.execute(
                prompt_retirements.insert().values(
                    partnership_id=ex.world.exchange_id,
                    prompt_key=key,
                    retired_by=ex.world.teacher.user.id,
                    retired_at=ex.sb.now(),
                )
            )
    await ex.sb.advance_to(OCT + timedelta(minutes=1))
    for space in ex.spaces():
        (prompt,) = texts(ex.sb, space, "💬")
        assert "Say hello to your partner" in prompt


async def test_replies_to_a_teachers_own_prompt_are_credited_to_it(ex: Exchange) -> None:
    """The session's own words become the pair's prompt: a reply counts for them, not for the
    bank prompt posted the day before, and /prompt stats names them by the session."""
    from bot.store.schema import prompt_responses

    sb = ex.sb
    await schedule_confirmed(ex)
    await sb.advance_to(OCT - timedelta(days=1))
    await sb.command(ex.world.teacher, "prompt now")
    await sb.advance_to(OCT + timedelta(minutes=1))
    ben = ex.student("Ben")
    (space,) = [s for s in ex.spaces() if sb.guild.can_view(ben.user.id, s.id)]
    await sb.say(ben, space, "Bread, eggs and tea!")
    async with sb.bot.ctx.db.read() as conn:
        credited = [
            r[0]
            for r in await conn.execute(
                select(prompt_posts.c.prompt_key).join(
                    prompt_responses, prompt_responses.c.post_id == prompt_posts.c.id
                )
            )
        ]
    assert credited == ["session-1"]
    assert await count(sb, prompt_posts, prompt_posts.c.prompt_key == "session-1") == 2
    stats = await sb.command(ex.world.teacher, "prompt stats")
    assert "Session: Exchange session" in stats.text
    assert "What does your family eat for breakfast?" in stats.text
    assert "posted to 2 pairs · 1 answered" in stats.text


async def test_a_teachers_own_prompt_is_posted_once_per_pair_after_a_restart(
    ex: Exchange,
) -> None:
    """Its record stops a second post when the posts are done again (past Discord's nonce)."""
    sb = ex.sb
    await schedule_confirmed(ex)
    await sb.advance_to(OCT + timedelta(minutes=1))
    async with sb.bot.ctx.db.transaction() as conn:
        await conn.execute(
            scheduled_sends.update()
            .where(scheduled_sends.c.kind == "session.post")
            .values(status="pending")
        )
    await sb.restart_bot(downtime=timedelta(minutes=10))
    for space in ex.spaces():
        assert len(texts(sb, space, "💬")) == 1


async def test_a_session_without_a_title_is_named_in_each_readers_language(ex: Exchange) -> None:
    """A French teacher schedules without a title: nothing translated is stored, the English
    teacher reads "Exchange session", the French one « Séance d'échange », and the Discord
    event both cities see names it in the exchange's languages."""
    sb = ex.sb
    teacher = sb.add_member("Mme Diallo", roles=[ex.world.teachers_role], locale="fr")
    await sb.command(teacher, "join", city="Najaf", language="fr")
    reply = await schedule(ex, member=teacher)
    done = await sb.click(teacher, preview_of(reply), t("session.confirm", "fr"))
    assert "Séance d'échange" in done.text
    async with sb.bot.ctx.db.read() as conn:
        assert (await conn.scalars(select(sessions.c.title))).all() == [""]
    (event,) = sb.events()
    assert event["name"] == "Exchange session · جلسة التبادل"
    english = (await sb.command(ex.world.teacher, "session list")).text
    assert "Exchange session" in english and "Séance" not in english
    french = (await sb.command(teacher, "session list")).text
    assert "Séance d'échange" in french and "Exchange session" not in french
