"""/session calendar: a secret subscription URL whose calendar follows every change.

The feed is read as calendar apps read it: parsed with `icalendar`, its recurrences expanded
with `recurring-ical-events`, and the dates compared with the bot's own after a move, a skip
and a cancellation.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
import recurring_ical_events
from icalendar import Calendar

from bot.sandbox.driver import Sandbox
from bot.services.session_plans import effective_slots
from bot.store import sessions as session_store
from bot.store.schema import activity, calendar_feeds
from tests.sandbox.calendar_check import calendars_agree
from tests.sandbox.scope_world import paired, two_exchanges
from tests.sandbox.sessions_helpers import (
    NOV,
    OCT,
    Exchange,
    count,
    paired_exchange,
    preview_of,
    schedule_confirmed,
)

URL = re.compile(r"(https?://\S+?\.ics)")


@pytest.fixture
async def sb(tmp_path: Path) -> AsyncIterator[Sandbox]:
    async with Sandbox.running(tmp_path, settings={"http_port": 0}) as sandbox:
        yield sandbox
        await calendars_agree(sandbox)


@pytest.fixture
async def ex(sb: Sandbox) -> Exchange:
    return await paired_exchange(sb)


async def get(url: str) -> tuple[int, bytes, dict[str, str]]:
    async with aiohttp.ClientSession() as session, session.get(url) as answer:
        return answer.status, await answer.read(), dict(answer.headers)


async def subscribe(sb: Sandbox, member: object, **options: object) -> str:
    reply = await sb.command(member, "session calendar", **options)  # type: ignore[arg-type]
    assert reply.ephemeral
    assert "webcal://" in reply.text
    found = URL.search(reply.text)
    assert found, reply.text
    return found.group(1)


async def bots_own_dates(sb: Sandbox, after: datetime, before: datetime) -> list[datetime]:
    """Every live session start the bot itself would hold, in order."""
    found: list[datetime] = []
    async with sb.bot.ctx.db.read() as conn:
        for series in await session_store.of_exchange(conn, 1):
            for slot, _status in await effective_slots(conn, series, after=after, before=before):
                found.append(slot.start.astimezone(UTC))
    return sorted(found)


def expanded(data: bytes, after: datetime, before: datetime) -> list[datetime]:
    calendar = Calendar.from_ical(data)
    events = recurring_ical_events.of(calendar).between(after, before)
    return sorted(e.decoded("DTSTART").astimezone(UTC) for e in events)


async def test_the_feed_follows_a_move_a_skip_and_a_cancellation(ex: Exchange) -> None:
    """Six monthly sessions; November moves to Thursday 5th 09:00, the next (October) is
    skipped, December is cancelled: the next poll expands to exactly the bot's dates, and
    every event's SEQUENCE and LAST-MODIFIED moved on."""
    sb = ex.sb
    await schedule_confirmed(ex, count=6)
    url = await subscribe(sb, ex.world.teacher)
    after, before = sb.now(), sb.now() + timedelta(days=400)
    status, first, headers = await get(url)
    assert status == 200 and headers["Content-Type"].startswith("text/calendar")
    assert expanded(first, after, before) == await bots_own_dates(sb, after, before)
    assert len(expanded(first, after, before)) == 6
    before_change = Calendar.from_ical(first).walk("VEVENT")[0]
    assert "SEQUENCE" in before_change and "LAST-MODIFIED" in before_change

    await sb.advance(timedelta(minutes=5))
    reply = await sb.command(
        ex.world.teacher,
        "session move",
        occurrence=str(int(NOV.timestamp())),
        date="2026-11-05",
        time="09:00",
    )
    await sb.click(ex.world.teacher, preview_of(reply), "Move it")
    await sb.advance(timedelta(minutes=5))
    assert "Skipped the" in (await sb.command(ex.world.teacher, "session skip")).text
    await sb.advance(timedelta(minutes=5))
    december = datetime(2026, 12, 1, 21, tzinfo=UTC)
    await sb.command(ex.world.teacher, "session cancel", occurrence=str(int(december.timestamp())))

    status, second, _ = await get(url)
    assert status == 200
    dates = expanded(second, after, before)
    assert dates == await bots_own_dates(sb, after, before)
    moved = datetime(2026, 11, 5, 15, tzinfo=UTC)  # 09:00 in Minneapolis (CST)
    assert moved in dates and NOV not in dates and OCT not in dates and december not in dates
    assert len(dates) == 4
    events = Calendar.from_ical(second).walk("VEVENT")
    main = next(e for e in events if "RRULE" in e)
    override = next(e for e in events if "RECURRENCE-ID" in e)
    assert int(main["SEQUENCE"]) > int(before_change["SEQUENCE"])
    assert main.decoded("LAST-MODIFIED") > before_change.decoded("LAST-MODIFIED")
    assert override.decoded("RECURRENCE-ID").astimezone(UTC) == NOV
    assert "SEQUENCE" in override and "LAST-MODIFIED" in override
    exdates = main.get("EXDATE")
    lists = exdates if isinstance(exdates, list) else [exdates]
    excluded = {d.dt.astimezone(UTC) for x in lists for d in x.dts}
    assert excluded == {OCT, december}


async def test_a_series_called_off_ends_in_the_feed(ex: Exchange) -> None:
    """/session cancel of the whole series: the next poll has no date after that moment."""
    sb = ex.sb
    await schedule_confirmed(ex, count=6)
    url = await subscribe(sb, ex.world.partner_teacher, city="Najaf")
    after, before = sb.now(), sb.now() + timedelta(days=400)
    assert len(expanded((await get(url))[1], after, before)) == 6
    asked = preview_of(await sb.command(ex.world.teacher, "session cancel"))
    done = await sb.click(ex.world.teacher, asked, "Cancel the whole series")
    assert "upcoming sessions removed" in done.text, done.text
    status, data, _ = await get(url)
    assert status == 200
    assert expanded(data, after, before) == [] == await bots_own_dates(sb, after, before)
    calendar = Calendar.from_ical(data)
    assert "Najaf" in str(calendar["X-WR-CALNAME"])
    assert str(calendar["X-WR-TIMEZONE"]) == "Asia/Baghdad"


async def test_students_get_their_exchanges_feed_and_asking_again_replaces_it(
    ex: Exchange,
) -> None:
    """A student subscribes; asking again gives a new URL and the old one stops working."""
    sb = ex.sb
    await schedule_confirmed(ex)
    first = await subscribe(sb, ex.student("Ali"))
    assert (await get(first))[0] == 200
    second = await subscribe(sb, ex.student("Ali"))
    assert second != first
    assert (await get(second))[0] == 200
    assert (await get(first))[0] == 404
    async with sb.bot.ctx.db.read() as conn:
        rows = (await conn.execute(calendar_feeds.select())).all()
    # Only a hash of the secret is stored: the URL's secret is nowhere in the database.
    secret = second.rsplit(".", 2)[-2]
    assert all(secret not in str(tuple(r)) for r in rows)


async def test_a_guessed_or_changed_feed_url_is_refused_alike(ex: Exchange) -> None:
    """A changed character, a guessed token and a malformed one all get the same 404."""
    sb = ex.sb
    await schedule_confirmed(ex)
    url = await subscribe(sb, ex.world.teacher)
    sb.bot.outside.guard.pause = 0.01  # type: ignore[union-attr]
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    last = token[-1]
    changed = url.replace(token, token[:-1] + ("A" if last != "A" else "B"))
    guessed = url.replace(token, "x" * 16 + "." + "y" * 43)
    malformed = url.replace(token, "nothing")
    answers = [await get(u) for u in (changed, guessed, malformed)]
    assert {status for status, _, _ in answers} == {404}
    assert len({body for _, body, _ in answers}) == 1


async def test_someone_outside_the_exchange_gets_no_feed(ex: Exchange) -> None:
    sb = ex.sb
    stranger = sb.add_member("Passer-by")
    reply = await sb.command(stranger, "session calendar")
    assert "register with /join" in reply.text
    assert await count(sb, calendar_feeds) == 0


async def test_a_feed_only_of_an_exchange_one_is_in(sb: Sandbox) -> None:
    """Two exchanges in one server: a teacher of A asking for B's feed, a student of A asking
    for B's and a teacher who joined no exchange are refused, nothing stored; each teacher
    and student gets their own exchange's (the default when naming none), the coordinator
    both; every feed made is in the audit log with who asked."""
    scope = await two_exchanges(sb)
    await paired(scope.a)
    a, b, coordinator = scope.a, scope.b, scope.world.coordinator
    for member, side in ((a.teacher, b), (a.student(0), b), (scope.lone, a)):
        reply = await sb.command(member, "session calendar", exchange=side.exchange_id)
        assert "register with /join" in reply.text, reply.text
        assert "webcal://" not in reply.text
    # Naming none, in no exchange of two: asked which, as staff commands ask.
    reply = await sb.command(scope.lone, "session calendar")
    assert "choose one" in reply.text and "webcal://" not in reply.text, reply.text
    assert await count(sb, calendar_feeds) == 0

    made = [
        (a.teacher, a, {"exchange": a.exchange_id}),
        (b.teacher, b, {}),
        (a.student(0), a, {}),
        (coordinator, a, {"exchange": a.exchange_id}),
        (coordinator, b, {"exchange": b.exchange_id}),
    ]
    for member, side, options in made:
        reply = await sb.command(member, "session calendar", **options)
        assert "webcal://" in reply.text, reply.text
        assert f"**{'Minneapolis–Najaf' if side is a else 'Winston-Salem–Kumasi'}**" in reply.text
    async with sb.bot.ctx.db.read() as conn:
        feeds = (await conn.execute(calendar_feeds.select().order_by(calendar_feeds.c.id))).all()
        logged = (
            await conn.execute(
                activity.select().where(activity.c.kind == "feeds.created").order_by(activity.c.id)
            )
        ).all()
    expected = [(m.user.id, side.exchange_id) for m, side, _ in made]
    assert [(f.created_by, f.partnership_id) for f in feeds] == expected
    assert [(r.actor_id, r.partnership_id) for r in logged] == expected


async def test_the_feeds_description_gives_each_citys_clock_in_the_readers_language(
    ex: Exchange,
) -> None:
    """DTSTART is for the calendar app; the description is for people: each city's clock
    for that event, written in the language of the teacher who subscribed (French here), as
    is the title of a series scheduled without one."""
    sb = ex.sb
    await schedule_confirmed(ex, count=2)
    teacher = sb.add_member("Mme Diallo", roles=[ex.world.teachers_role], locale="fr")
    await sb.command(teacher, "join", city="Najaf", language="fr")
    status, data, _ = await get(await subscribe(sb, teacher))
    assert status == 200
    (main,) = Calendar.from_ical(data).walk("VEVENT")
    assert str(main["DESCRIPTION"]) == (
        "Minneapolis: 6 octobre 2026, 15:00 (UTC-05:00)\nNajaf: 6 octobre 2026, 23:00 (UTC+03:00)"
    )
    # An untitled series: the default title in the subscriber's language, not the organiser's.
    assert str(main["SUMMARY"]) == "Séance d'échange"
