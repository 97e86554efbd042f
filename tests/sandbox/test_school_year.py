"""The school year as it really is: public holidays in each city (issue 19).

Previews and /session list warn of a session on a public holiday in either city (its local
date there), in the reader's language, saying when the date is only estimated (Islamic
calendar); a city's holidays come from its time zone's country unless a coordinator sets a
country and region with /exchange holidays.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.i18n import t, unisolated
from bot.sandbox.driver import Sandbox
from bot.store.schema import activity, cities, school_breaks
from tests.sandbox.chess_helpers import game_record, partners, start_game
from tests.sandbox.sessions_helpers import (
    NOV,
    OCT,
    Exchange,
    compressed_time,
    paired_exchange,
    schedule,
    schedule_confirmed,
    texts,
)
from tests.sandbox.world import make_world

# 10:00 in Minneapolis (CST) on Tuesday 9 March 2027 is 19:00 that day in Najaf: Eid al-Fitr
# there, as the package estimates it.
EID = {"start": "2027-03-09", "time": "10:00", "repeat": "once", "count": None}
THANKSGIVING = {"start": "2026-11-26", "time": "10:00", "repeat": "once", "count": None}


@pytest.fixture
async def sb(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Sandbox]:
    async with compressed_time(tmp_path, request) as sandbox:
        yield sandbox


@pytest.fixture
async def ex(sb: Sandbox) -> Exchange:
    return await paired_exchange(sb)


async def test_the_preview_says_no_holiday_only_when_both_cities_were_checked(
    ex: Exchange,
) -> None:
    """Three first Tuesdays at 10:00 in Minneapolis (19:00 in Najaf), none a holiday in the
    US or Iraq: each ✅ says what was checked (hours, weekends, public holidays) and nothing
    claims school days."""
    reply = await schedule(ex, start="2026-11-03", time="10:00")
    assert "✅ Within 7:00\u202fAM–9:00\u202fPM and not on a weekend in either city." in reply.text
    assert "✅ No session on a public holiday in either city." in reply.text
    assert "school days" not in reply.text


async def test_an_estimated_holiday_in_the_partner_city_is_flagged_as_estimated(
    ex: Exchange,
) -> None:
    reply = await schedule(ex, **EID)
    assert (
        "🎉 Najaf: Tue, Mar 9, 2027 is Eid al-Fitr, a public holiday there (estimated date"
        in reply.text
    ), reply.text
    assert "No session on a public holiday" not in reply.text


async def test_a_fixed_holiday_in_the_organisers_city_is_flagged(ex: Exchange) -> None:
    reply = await schedule(ex, **THANKSGIVING)
    assert "🎉 Minneapolis: Thu, Nov 26, 2026 is Thanksgiving Day, a public holiday there." in (
        reply.text
    )
    assert "estimated" not in reply.text


async def test_the_list_flags_holidays_in_the_readers_language(ex: Exchange) -> None:
    """A session on Eid: the teacher's list says so in English, Ali's (Arabic) in Arabic."""
    sb = ex.sb
    await schedule_confirmed(ex, **EID)
    listed = await sb.command(ex.world.teacher, "session list")
    assert "🎉 Najaf: Tue, Mar 9, 2027 is Eid al-Fitr" in listed.text, listed.text
    arabic = await sb.command(ex.student("Ali"), "session list")
    assert "عيد الفطر" in arabic.text and "تقديري" in arabic.text, arabic.text


@pytest.mark.pseudo_locale  # always in the pseudo-locale: no text past the catalogue
async def test_a_coordinator_sets_where_a_citys_holidays_come_from(ex: Exchange) -> None:
    """Najaf set to the US (as a test of the setting): the preview then flags Thanksgiving
    there too; "auto" goes back to its zone's country; each change is audited."""
    sb = ex.sb
    coordinator = ex.world.coordinator
    done = await sb.command(coordinator, "exchange holidays", city="Najaf", region="us mn")
    assert "Public holidays of **Najaf** now come from **`US-MN`**." in done.text, done.text
    reply = await schedule(ex, **THANKSGIVING)
    assert "🎉 Najaf: Thu, Nov 26, 2026 is Thanksgiving Day" in reply.text
    back = await sb.command(coordinator, "exchange holidays", city="Najaf", region="auto")
    assert "from its time zone's country: **`IQ`**" in back.text, back.text
    async with sb.bot.ctx.db.read() as conn:
        stored = (await conn.execute(select(cities.c.name, cities.c.holiday_region))).all()
        kinds = (
            await conn.execute(
                select(activity.c.kind).where(activity.c.kind == "exchange.holidays_set")
            )
        ).all()
    assert sorted(stored) == [("Minneapolis", None), ("Najaf", None)]
    assert len(kinds) == 2


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ("ZZ", "“ZZ” is not a country whose public holidays I know"),
        ("US-XX", "“US-XX” is not a region of `US` I know"),
        ("Minnesota", "“Minnesota” is not a country whose public holidays I know"),
    ],
)
async def test_an_unknown_region_is_refused_and_nothing_changes(
    ex: Exchange, region: str, expected: str
) -> None:
    sb = ex.sb
    reply = await sb.command(ex.world.coordinator, "exchange holidays", city="Najaf", region=region)
    assert expected in reply.text, reply.text
    async with sb.bot.ctx.db.read() as conn:
        stored = (await conn.execute(select(cities.c.holiday_region))).scalars().all()
    assert stored == [None, None]


async def test_teachers_cannot_change_a_citys_holidays(ex: Exchange) -> None:
    reply = await ex.sb.command(ex.world.teacher, "exchange holidays", city="Najaf", region="US")
    assert t("error.only_coordinator", "en") in reply.text


async def test_an_exchange_created_with_a_region_keeps_it(sb: Sandbox) -> None:
    """/exchange create with holidays_a: stored as typed in canonical form."""
    ex = await paired_exchange(sb)
    reply = await sb.command(
        ex.world.coordinator,
        "exchange create",
        name="Saint Paul–Nagasaki",
        city_a="Saint Paul",
        zone_a="America/Chicago",
        languages_a="en",
        city_b="Nagasaki",
        zone_b="Asia/Tokyo",
        languages_b="ja",
        holidays_a="us-mn",
    )
    assert "Saint Paul–Nagasaki" in reply.text, reply.text
    async with sb.bot.ctx.db.read() as conn:
        stored = dict((await conn.execute(select(cities.c.name, cities.c.holiday_region))).all())
    assert stored["Saint Paul"] == "US-MN" and stored["Nagasaki"] is None


# -- school breaks ---------------------------------------------------------------------------------

NAJAF_BREAK = {"city": "Najaf", "start": "2026-10-31", "end": "2026-11-08"}


async def test_a_session_in_a_break_is_flagged_with_an_offer_to_skip_it(ex: Exchange) -> None:
    """Najaf is off 31 October – 8 November: the November session is flagged in the preview
    and in /session list (with how to skip it), October and December are not."""
    sb = ex.sb
    added = await sb.command(ex.world.teacher, "exchange break add", **NAJAF_BREAK)
    assert "Break #1 added: **Najaf** is off from 2026-10-31 to 2026-11-08" in added.text
    reply = await schedule(ex, start="2026-10-06", time="10:00")
    flagged = [line for line in reply.text.split("\n") if line.startswith("🏖️")]
    assert flagged == [
        "🏖️ Najaf is on a school break on Tue, Nov 3, 2026 7:00\u202fPM–8:00\u202fPM"
        " (Oct 31, 2026 → Nov 8, 2026):"
        " skip that date with /session cancel, or /session skip when it is the next one."
    ], reply.text
    await schedule_confirmed(ex, start="2026-10-06", time="10:00")
    listed = await sb.command(ex.student("Ali"), "session list")
    assert listed.text.count("🏖️") == 1, listed.text


async def test_breaks_are_listed_and_removed_and_each_change_audited(ex: Exchange) -> None:
    """Najaf's teacher adds Najaf's break (answered in Arabic), Minneapolis's teacher theirs."""
    sb = ex.sb
    added = await sb.command(ex.world.partner_teacher, "exchange break add", **NAJAF_BREAK)
    assert "أُضيفت العطلة رقم 1" in unisolated(added.text), added.text
    teacher = ex.world.teacher
    await sb.command(
        teacher, "exchange break add", city="Minneapolis", start="2026-12-21", end="2027-01-01"
    )
    listed = await sb.command(teacher, "exchange break list")
    assert "#1 · **Najaf** · 2026-10-31 → 2026-11-08 (9 days)" in listed.text, listed.text
    assert "#2 · **Minneapolis** · 2026-12-21 → 2027-01-01 (12 days)" in listed.text
    removed = await sb.command(teacher, "exchange break remove", number=1)
    assert "Break #1 removed." in removed.text
    after = await sb.command(teacher, "exchange break list")
    assert "#1 ·" not in after.text and "#2 ·" in after.text
    async with sb.bot.ctx.db.read() as conn:
        kinds = (
            (
                await conn.execute(
                    select(activity.c.kind)
                    .where(activity.c.kind.like("break.%"))
                    .order_by(activity.c.id)
                )
            )
            .scalars()
            .all()
        )
        left = (await conn.execute(select(school_breaks.c.id))).scalars().all()
    assert kinds == ["break.added", "break.added", "break.removed"]
    assert left == [2]


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        ({"start": "2026-11-08", "end": "2026-10-31"}, "2026-10-31 is before 2026-11-08"),
        ({"start": "2026-11-06", "end": "2026-11-12"}, "already has a break from 2026-10-31"),
        ({"start": "2026-10-20", "end": "2026-10-31"}, "already has a break from 2026-10-31"),
        ({"start": "2029-04-01", "end": "2029-04-10"}, "at most 18 months ahead"),
        ({"start": "2026-01-05", "end": "2026-01-09"}, "That break ended on 2026-01-09"),
        ({"start": "2026-12-01", "end": "2027-06-30"}, "at most 120 days"),
        ({"start": "2026-31-12", "end": "2027-01-05"}, "is not a date"),
    ],
)
async def test_a_bad_break_is_refused_and_nothing_changes(
    ex: Exchange, dates: dict[str, str], expected: str
) -> None:
    """Ends before it starts, overlaps Najaf's break (either end), years away, over, too long,
    not a date: a clear answer, and only the first break is stored."""
    sb = ex.sb
    await sb.command(ex.world.teacher, "exchange break add", **NAJAF_BREAK)
    reply = await sb.command(ex.world.teacher, "exchange break add", city="Najaf", **dates)
    assert expected in reply.text, reply.text
    async with sb.bot.ctx.db.read() as conn:
        assert (await conn.execute(select(school_breaks.c.id))).scalars().all() == [1]


async def test_the_other_citys_break_may_overlap(ex: Exchange) -> None:
    sb = ex.sb
    await sb.command(ex.world.teacher, "exchange break add", **NAJAF_BREAK)
    reply = await sb.command(
        ex.world.teacher,
        "exchange break add",
        city="Minneapolis",
        start="2026-11-02",
        end="2026-11-06",
    )
    assert "Break #2 added" in reply.text, reply.text


async def test_students_cannot_add_breaks_and_an_unknown_break_is_said_so(ex: Exchange) -> None:
    sb = ex.sb
    refused = await sb.command(ex.student("Ben"), "exchange break add", **NAJAF_BREAK)
    assert "Only teachers" in refused.text, refused.text
    unknown = await sb.command(ex.world.teacher, "exchange break remove", number=7)
    assert "This exchange has no break #7" in unknown.text


async def test_during_a_break_its_students_get_no_reminders_and_no_prompts(ex: Exchange) -> None:
    """Najaf is off 5–9 October: the 6 October session (7 October 00:00 there) sends its
    reminders and prompt to no paired space (each pair has a Najaf student), the
    announcements still; /prompt now posts nothing and says why; November is as usual."""
    sb = ex.sb
    await sb.command(
        ex.world.teacher, "exchange break add", city="Najaf", start="2026-10-05", end="2026-10-09"
    )
    await schedule_confirmed(ex)
    await sb.advance_to(OCT - timedelta(hours=2))
    now = await sb.command(ex.world.teacher, "prompt now")
    assert "2 pairs got nothing: a student's city is on a school break today" in now.text, now.text
    await sb.advance_to(OCT + timedelta(minutes=5))
    for space in ex.spaces():
        assert not texts(sb, space, "🔔") and not texts(sb, space, "💬"), space.name
    assert texts(sb, ex.world.announcements, "🔔")
    await sb.advance_to(NOV + timedelta(minutes=5))
    for space in ex.spaces():
        assert texts(sb, space, "🔔") and texts(sb, space, "💬"), space.name


async def test_a_players_break_stops_the_chess_clock_and_the_chat_stays_open(
    sb: Sandbox,
) -> None:
    """Ben (Minneapolis) has a day to move when his school's three-day break begins: he does
    not lose on time during it (the deadline planned before it is moved on), nor until a day
    after it ends; then he does. Ali can still write in their space meanwhile."""
    world = await make_world(sb)
    table = await partners(world)
    await start_game(table, time="1d")
    today = sb.now().astimezone(ZoneInfo("America/Chicago")).date()
    added = await sb.command(
        world.teacher,
        "exchange break add",
        city="Minneapolis",
        start=f"{today}",
        end=f"{today + timedelta(days=2)}",
    )
    assert "Break #1 added" in added.text, added.text
    back = datetime.combine(today + timedelta(days=3), time(0), ZoneInfo("America/Chicago"))
    await sb.advance_to(back - timedelta(hours=1))
    assert (await game_record(sb, 1)).status == "active"
    said = await sb.say(table.ali, table.space, "Enjoy your break!")
    assert said.content == "Enjoy your break!"
    await sb.advance_to(back + timedelta(days=1) - timedelta(minutes=5))
    record = await game_record(sb, 1)
    assert record.status == "active"
    assert record.deadline_at == back.astimezone(UTC) + timedelta(days=1)
    await sb.advance_to(back + timedelta(days=1, minutes=5))
    record = await game_record(sb, 1)
    assert (record.result, record.termination) == ("0-1", "timeout")


async def test_moving_a_session_onto_a_holiday_or_into_a_break_is_flagged(ex: Exchange) -> None:
    """The move preview checks the new date as the schedule preview does: November's session
    moved to Thanksgiving is flagged; with Minneapolis on break that week, so is the break."""
    sb = ex.sb
    await schedule_confirmed(ex)
    await sb.command(
        ex.world.teacher,
        "exchange break add",
        city="Minneapolis",
        start="2026-11-23",
        end="2026-11-27",
    )
    reply = await sb.command(
        ex.world.teacher,
        "session move",
        occurrence=str(int(NOV.timestamp())),
        date="2026-11-26",
        time="10:00",
    )
    assert "🎉 Minneapolis: Thu, Nov 26, 2026 is Thanksgiving Day" in reply.text, reply.text
    assert "🏖️ Minneapolis is on a school break on Thu, Nov 26, 2026" in reply.text
    calm = await sb.command(
        ex.world.teacher,
        "session move",
        occurrence=str(int(NOV.timestamp())),
        date="2026-11-05",
        time="10:00",
    )
    assert "✅ No session on a public holiday in either city." in calm.text, calm.text
    assert "🏖️" not in calm.text
