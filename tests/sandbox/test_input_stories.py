"""Issue 17's examples as stories: what careless or hostile input crashed or froze before, and
the clear answer it gets now. The sandbox watches the event loop (a block over 100 ms fails)."""

from __future__ import annotations

import csv
import importlib
import io
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.i18n import t, weekday_name
from bot.sandbox.driver import Sandbox, Upload
from bot.sandbox.looplag import LIMIT
from bot.store.schema import participants, partnerships, sessions
from tests.sandbox.calendar_check import calendars_agree
from tests.sandbox.sessions_helpers import (
    MONTHS_IN_SECONDS,
    Exchange,
    count,
    nothing_scheduled,
    paired_exchange,
    preview_of,
    schedule,
)

HEADER = "user,city,grade_band,languages,interests,intro,language"

# The range of days, written as people read them (CLDR), not as they type them.
RANGE = t("error.day_range", "en", first="January 1, 2000", last="December 31, 2999")


@pytest.fixture
async def sb(tmp_path: Path) -> AsyncIterator[Sandbox]:
    async with Sandbox.running(tmp_path, limits=MONTHS_IN_SECONDS, loop_lag=LIMIT) as sandbox:
        yield sandbox
        await calendars_agree(sandbox)


@pytest.fixture
async def ex(sb: Sandbox) -> Exchange:
    return await paired_exchange(sb)


def upload(*rows: str, header: str = HEADER) -> Upload:
    return Upload("class.csv", ("\n".join([header, *rows]) + "\n").encode("utf-8"))


async def exchanges(sb: Sandbox) -> int:
    return await count(sb, partnerships)


# -- every input answered --------------------------------------------------------------------------


@pytest.mark.parametrize("zone", ["America/Argentina", "America/Indiana", "Asia"])
async def test_a_folder_of_tzdata_is_refused_as_a_zone(ex: Exchange, zone: str) -> None:
    """Before: "America/Argentina" (a folder of tzdata) crashed /exchange create and /session
    schedule with the generic failure."""
    sb = ex.sb
    before = await exchanges(sb)
    reply = await sb.command(
        ex.world.coordinator,
        "exchange create",
        name="Rosario–Minneapolis",
        city_a="Rosario",
        zone_a=zone,
        languages_a="es",
        city_b="St Paul",
        zone_b="America/Chicago",
        languages_b="en",
    )
    assert t("error.unknown_zone", "en", zone=zone) in reply.text
    assert await exchanges(sb) == before
    reply = await schedule(ex, zone=zone)
    assert t("error.unknown_zone", "en", zone=zone) in reply.text
    assert await nothing_scheduled(sb)


@pytest.mark.parametrize(
    "options",
    [
        {"start": "0001-01-01"},
        {"start": "9999-12-31"},
        {"count": None, "until": "9999-12-31"},
        {"count": None, "until": "0001-01-01"},
    ],
)
async def test_days_at_the_ends_of_the_calendar_are_refused_in_sessions(
    ex: Exchange, options: dict[str, object]
) -> None:
    """Before: year 9999 overflowed when its zone was added, year 1 when days were taken off."""
    reply = await schedule(ex, **options)
    assert RANGE in reply.text
    assert await nothing_scheduled(ex.sb)
    assert await count(ex.sb, sessions) == 0


@pytest.mark.parametrize(
    "options",
    [{"from": "0001-01-01"}, {"to": "9999-12-31"}, {"from": "9999-12-30", "to": "9999-12-31"}],
)
async def test_days_at_the_ends_of_the_calendar_are_refused_in_reports(
    ex: Exchange, options: dict[str, object]
) -> None:
    reply = await ex.sb.command(ex.world.coordinator, "report attendance", **options)
    assert RANGE in reply.text
    assert not reply.files


@pytest.mark.parametrize("user_id", ["99999999999999999999", "18446744073709551616"])
async def test_a_user_id_past_64_bits_is_refused(ex: Exchange, user_id: str) -> None:
    """Before: the id reached SQLite, which cannot hold it: the generic failure."""
    for path in ("privacy export", "privacy erase"):
        reply = await ex.sb.command(ex.world.coordinator, path, user_id=user_id)
        assert t("error.bad_user_id", "en", value=user_id) in reply.text
    reply = await ex.sb.command(
        ex.world.teacher, "roster import", file=upload(f"{user_id},Najaf,13-15,ar,,,")
    )
    assert "line 2" in reply.text
    assert t("error.bad_user_id", "en", value=user_id) in reply.text


async def test_a_rule_that_cannot_be_expanded_is_refused(ex: Exchange) -> None:
    """Before: accepted by the parser, then crashing as its sessions were listed."""
    reply = await schedule(ex, repeat="FREQ=MONTHLY;BYDAY=13FR", count=None)
    assert t("error.session_rule", "en", rule="FREQ=MONTHLY;BYDAY=13FR") in reply.text
    assert await nothing_scheduled(ex.sb)


async def test_a_rule_that_almost_never_matches_freezes_nobody(ex: Exchange) -> None:
    """Before: dateutil searched up to year 9999 on the event loop, 4–7 s in which every other
    interaction failed. Now the teacher is answered at once, and so is everyone else (the
    sandbox's loop-lag monitor fails the test on a block over 100 ms)."""
    sb = ex.sb
    rule = "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"
    teacher = sb.prepare_command(
        ex.world.teacher,
        "session schedule",
        start="2026-10-06",
        time="15:00",
        repeat=rule,
        count=3,
    )
    others = [sb.prepare_command(ex.student(name), "about") for name in ("Ali", "Ben", "Maya")]
    replies = await sb.at_once([teacher, *others])
    assert t("error.session_no_occurrence", "en") in replies[0].text
    for reply in replies:
        seconds = reply.interaction.ack_seconds
        assert seconds is not None and seconds < 3
    rare = "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29"  # leap days: four years apart
    reply = await schedule(ex, start="2027-02-01", repeat=rare, count=None)
    assert t("error.session_rare", "en", years=2) in reply.text
    assert await nothing_scheduled(sb)


async def test_a_first_session_more_than_a_year_ahead_is_refused_before_anything_is_saved(
    ex: Exchange,
) -> None:
    """Before: saved, then crashed; the series had no answer, and a retry made a second active
    series (every reminder twice). Now it is refused before anything is stored, every time."""
    sb = ex.sb
    far = (sb.now() + timedelta(days=500)).date().isoformat()
    for _ in range(2):
        reply = await schedule(ex, start=far)
        assert t("error.session_too_far", "en", days=366) in reply.text
        assert not any(c.get("type") == 2 for row in reply.components for c in row["components"])
    assert await count(sb, sessions) == 0
    assert await nothing_scheduled(sb)
    # Within the year, it is scheduled once, with its answer.
    near = (sb.now() + timedelta(days=360)).date().isoformat()
    reply = await schedule(ex, start=near)
    done = await sb.click(ex.world.teacher, preview_of(reply), "Schedule")
    assert "Scheduled" in done.text or "scheduled" in done.text
    assert await count(sb, sessions, sessions.c.status == "active") == 1


async def test_the_second_to_last_friday_is_not_the_last_in_any_language(ex: Exchange) -> None:
    """A rule is described exactly: BYDAY=-2FR is the second Friday from the end of the month,
    in English, Arabic and Spanish, and no catalogue key is shown raw."""
    sb = ex.sb
    for language in ("en", "ar", "es"):
        teacher = sb.add_member(f"Teacher {language}", roles=[ex.world.teachers_role])
        await sb.command(teacher, "join", city="Minneapolis", language=language)
        reply = await schedule(ex, member=teacher, repeat="FREQ=MONTHLY;BYDAY=-2FR", count=3)
        weekday = weekday_name(5, language)
        nth = t("session.nth_2", language)
        expected = t("session.rule_monthly_nth_from_end", language, nth=nth, weekday=weekday)
        assert expected in reply.text
        last = t(
            "session.rule_monthly_nth",
            language,
            nth=t("session.nth_last", language),
            weekday=weekday,
        )
        assert last not in reply.text
        assert "session." not in reply.text


async def test_a_session_in_the_hour_the_clocks_skip_shows_its_real_local_time(
    ex: Exchange,
) -> None:
    """02:30 on 14 March 2027 does not exist in Chicago: the preview lists 03:30 and says why."""
    reply = await schedule(
        ex, start="2027-03-14", time="02:30", repeat="weekly", count=3, zone="America/Chicago"
    )
    text = reply.text
    assert "Sun, Mar 14, 2027 3:30\u202fAM–4:30\u202fAM" in text
    assert "Sun, Mar 21, 2027 2:30\u202fAM–3:30\u202fAM" in text
    assert (
        t(
            "session.warn_gap",
            "en",
            example="March 14, 2027",
            before="2:30\u202fAM",
            city="America/Chicago",
            after="3:30\u202fAM",
        )
        in text
    )


async def test_a_session_in_the_hour_the_clocks_repeat_names_its_offset(ex: Exchange) -> None:
    reply = await schedule(ex, start="2026-11-01", time="01:30", repeat="once", count=None)
    # 01:30 daylight time to 01:30 standard time: one hour, each end with its offset.
    assert "Sun, Nov 1, 2026 1:30\u202fAM (UTC−05:00)–1:30\u202fAM (UTC−06:00)" in reply.text


async def test_an_invisible_character_does_not_make_another_city(ex: Exchange) -> None:
    """ "Minneapolis" and "Minneapolis" + a zero-width space are one city."""
    sb = ex.sb
    reply = await sb.command(
        ex.world.coordinator,
        "exchange create",
        name="Twin",
        city_a="Minneapolis",
        zone_a="America/Chicago",
        languages_a="en",
        city_b="Minneapolis\u200b",
        zone_b="America/Chicago",
        languages_b="en",
    )
    assert t("error.same_city", "en", city="Minneapolis") in reply.text
    student = sb.add_member("Newcomer", roles=[ex.world.students_role])
    panel = await sb.command(student, "join", city="Najaf\u200b")
    assert "Najaf" in panel.text and "\u200b" not in panel.text
    listed = await sb.command(ex.world.teacher, "roster list", city="\u202bNajaf")
    assert "Ali" in listed.text


async def test_digits_of_other_scripts_are_read_in_every_field(ex: Exchange) -> None:
    """A teacher on an Arabic keyboard: dates, times, counts and repeats in Arabic-Indic
    digits read the same as ASCII ones."""
    reply = await schedule(ex, start="٢٠٢٦-١٠-٠٦", time="١٥:٠٠", repeat="every ٢ weeks")
    assert "Tue, Oct 6, 2026 3:00\u202fPM–4:00\u202fPM" in reply.text
    assert "Every 2 weeks on Tuesday" in reply.text
    reminders = await ex.sb.command(ex.world.teacher, "session reminders", before="٢٤h, ١h")
    assert "24 h" in reminders.text and "1 h" in reminders.text
    report = await ex.sb.command(
        ex.world.coordinator, "report attendance", **{"from": "٢٠٢٦-٠٨-٠١"}
    )
    assert "August 1, 2026" in report.text


async def test_names_are_shown_literally_never_as_markdown_or_mentions(ex: Exchange) -> None:
    """A name with markdown, a link or a mention shows as typed: never bold, a link or a ping."""
    sb = ex.sb
    sly = "**Sly** [win](https://evil.example) <@&1234567890123456789> @everyone"
    await ex.world.add_student(sly, 0)
    listed = await sb.command(ex.world.teacher, "roster list")
    assert "\\*\\*Sly\\*\\*" in listed.text
    assert "<@&1234567890123456789>" not in listed.text
    assert "@everyone" not in listed.text
    reply = await schedule(ex, title="__Big__ session <@1234567890123456789>")
    assert "\\_\\_Big\\_\\_ session" in reply.text
    assert "<@1234567890123456789>" not in reply.text


# -- files in and out ------------------------------------------------------------------------------


async def test_an_unterminated_quote_costs_one_row_and_carries_no_other_row(
    ex: Exchange,
) -> None:
    """Before: Ali's intro swallowed the next rows (Ben's phone number) and was shown to his
    partner. Now line 2 is reported, Ben and Cara are imported with their own words."""
    sb = ex.sb
    for name in ("ali_q", "ben_q", "cara_q"):
        sb.add_member(name, roles=[ex.world.students_role])
    reply = await sb.command(
        ex.world.teacher,
        "roster import",
        file=upload(
            'ali_q,Najaf,13-15,ar,chess,"I like chess,ar',
            "ben_q,Minneapolis,13-15,en,music,call me on +1 555 0100,en",
            "cara_q,Minneapolis,16-18,en,,Hi!,en",
        ),
    )
    assert "2 students imported" in reply.text
    assert "line 2" in reply.text
    async with sb.bot.ctx.db.read() as conn:
        intros = dict(
            (await conn.execute(select(participants.c.display_name, participants.c.intro))).all()
        )
    assert intros["ben_q"] == "call me on +1 555 0100"
    assert intros["cara_q"] == "Hi!"
    assert "ali_q" not in intros
    assert not any("cara_q" in (intro or "") or "\n" in (intro or "") for intro in intros.values())


async def test_every_csv_the_bot_writes_shows_formulas_as_text(ex: Exchange) -> None:
    """A student named like a formula (=, +, -, @, or their full-width forms) is a name in the
    attendance CSV, never a formula a coordinator's spreadsheet would run."""
    sb = ex.sb
    names = ['=HYPERLINK("http://evil","x")', "+cmd", "-2+3", "@SUM(A1)", "＝1+1"]
    for name in names:
        await ex.world.add_student(name, 0)
    reply = await sb.command(ex.world.coordinator, "report attendance")
    (sheet,) = [f for f in reply.files if f.filename.endswith(".csv")]
    cells = [
        cell for row in csv.reader(io.StringIO(sheet.data.decode("utf-8-sig"))) for cell in row
    ]
    for name in names:
        assert "'" + name in cells, name
        assert name not in cells


async def test_a_big_class_is_looked_up_in_a_few_searches_with_progress(
    ex: Exchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: one gateway request per name (~110 a minute). Now a search per first letter,
    and the teacher sees how far the lookup got."""
    sb = ex.sb
    # The class the running bot loaded (discord.py loads extensions afresh for each bot).
    loaded = importlib.import_module("cogs.roster.importing").ImportProgress
    monkeypatch.setattr(loaded, "EVERY", 0.0)
    rows = []
    for i in range(300):
        name = f"{'abcdefghij'[i % 10]}pupil{i:03d}"
        sb.add_member(name, roles=[ex.world.students_role])
        rows.append(f"{name},{'Najaf' if i % 2 else 'Minneapolis'},13-15,en,,,")
    await sb.idle()
    before = len(sb.server.requests)
    reply = await sb.command(ex.world.teacher, "roster import", file=upload(*rows))
    assert "300 students imported" in reply.text
    made = sb.server.requests[before:]
    searches = [p for _, p in made if p.endswith("/members/search")]
    assert len(searches) <= 10
    edits = [p for m, p in made if m == "PATCH" and p.endswith("/messages/@original")]
    assert len(edits) >= 2  # progress, then the answer
    assert "300 of 300" not in reply.text  # the answer replaced the progress


async def test_a_preview_whose_first_date_is_beyond_the_horizon_is_not_confirmed(
    ex: Exchange,
) -> None:
    """A preview made before the first date was limited (by an older bot) that lies more than
    a year ahead: confirming refuses it while it is still a preview, twice alike, instead of
    saving a live series and then failing (the crash that left a series without answer)."""
    sb = ex.sb
    reply = await schedule(ex)
    far = sb.now() + timedelta(days=500)
    async with sb.bot.ctx.db.transaction() as conn:
        await conn.execute(
            sessions.update().values(
                starts_at=far, first_local=far.replace(tzinfo=None).isoformat(timespec="minutes")
            )
        )
    for _ in range(2):
        done = await sb.click(ex.world.teacher, preview_of(reply), "Schedule")
        assert t("error.session_too_far", "en", days=366) in done.text
    assert await count(sb, sessions, sessions.c.status == "active") == 0
    assert await nothing_scheduled(sb)
