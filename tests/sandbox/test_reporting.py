"""/report attendance|exchange|student, played through the real bot on a three-month story
(tests/sandbox/reporting_story.py has the story and the figures computed by hand)."""

from __future__ import annotations

import csv
import io
import json
import os
import struct
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import func, select

from bot import pseudo
from bot.domain.exchange import Role
from bot.i18n import t, unisolated
from bot.sandbox.driver import Reply, Sandbox
from bot.sandbox.server import EPHEMERAL
from bot.sandbox.state import Member
from bot.store import exchanges as exchange_store
from bot.store import roster
from bot.store.schema import activity
from tests.sandbox.reporting_story import PERIOD, Story, three_months
from tests.sandbox.sessions_helpers import compressed_time
from tests.sandbox.world import World, make_world


@pytest.fixture
async def sb(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Sandbox]:
    async with compressed_time(tmp_path, request) as sandbox:
        yield sandbox


@pytest.fixture
async def story(sb: Sandbox) -> Story:
    return await three_months(sb)


def embed(reply: Reply) -> dict[str, Any]:
    """The report's embed (sent as the follow-up of the deferred answer)."""
    (found,) = [e for m in reply.messages for e in m.embeds]
    return found


def private(reply: Reply) -> bool:
    """Every message of the answer is ephemeral: only the asker sees it."""
    return bool(reply.messages) and all(m.flags & EPHEMERAL for m in reply.messages)


def fields(reply: Reply) -> dict[str, str]:
    return {f["name"]: f["value"] for f in embed(reply)["fields"]}


def csv_rows(reply: Reply) -> list[dict[str, str]]:
    (attachment,) = [a for a in reply.files if a.filename.endswith(".csv")]
    data = bytes(attachment.data)
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM, for spreadsheets"
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


async def viewed(sb: Sandbox) -> int:
    """How many report views are in the log."""
    async with sb.bot.ctx.db.read() as conn:
        query = select(func.count()).where(activity.c.kind == "report.viewed")
        return int(await conn.scalar(query) or 0)


# -- the story, by hand ----------------------------------------------------------------------------


async def test_attendance_matches_the_figures_computed_by_hand(story: Story) -> None:
    """67% in Minneapolis, 33% in Najaf, three sessions held, Ali and Maya missed two."""
    reply = await story.sb.command(story.ex.world.coordinator, "report attendance", **PERIOD)
    assert private(reply) and reply.deferred
    found = fields(reply)
    assert found["Minneapolis"].startswith("**67%** · 4 of 6")
    assert "Live minutes: 240" in found["Minneapolis"]
    assert found["Najaf"].startswith("**33%** · 2 of 6")
    assert "Live minutes: 120" in found["Najaf"]
    description = embed(reply)["description"]
    assert "Sessions: 3 ended, 3 held" in description
    assert "Attendance: **50%** (6 of 12 expected)" in description
    assert found["Missed two sessions in a row"] == (
        "Ali (Najaf) — missed the last 2 sessions\nMaya (Minneapolis) — missed the last 2 sessions"
    )
    assert (
        "Oct 6, 2026 · Exchange session — ✅ held: Minneapolis 2/2 · Najaf 1/2"
        in (found["Sessions"])
    )


async def test_a_report_in_french_writes_days_rates_and_lists_the_french_way(
    story: Story,
) -> None:
    """Days (CLDR, not ISO), percentages ("33 %") and counts in the reader's language."""
    world = story.ex.world
    teacher = story.sb.add_member("Mme Diallo", roles=[world.teachers_role], locale="fr")
    await story.sb.command(teacher, "join", city="Najaf", language="fr")
    reply = await story.sb.command(
        teacher, "report attendance", **{"from": "2026-10-01", "to": "2026-12-06"}
    )
    description = embed(reply)["description"]
    assert "1 octobre 2026 → 6 décembre 2026" in description, description
    assert "2026-1" not in description
    assert fields(reply)["Najaf"].startswith("**33\xa0%** · 2 sur 6"), fields(reply)
    assert "6 oct. 2026 · " in fields(reply)["Séances"]


@pytest.mark.pseudo_locale  # always in the pseudo-locale: no text past the catalogue
async def test_the_charts_title_and_axis_are_in_the_readers_language(
    story: Story, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Turkish teacher's chart: its title names the period the Turkish way; its dates and
    percentages are drawn Turkish too."""
    drawn: list[tuple[Any, ...]] = []
    cog = sys.modules["cogs.reporting.cog"]
    draw = cog.attendance_chart  # type: ignore[attr-defined]

    def recorded(*args: Any) -> bytes:
        drawn.append(args)
        return bytes(draw(*args))

    monkeypatch.setattr(cog, "attendance_chart", recorded)
    world = story.ex.world
    teacher = story.sb.add_member("Ayşe Öğretmen", roles=[world.teachers_role], locale="tr")
    await story.sb.command(teacher, "join", city="Najaf", language="tr")
    reply = await story.sb.command(teacher, "report attendance", **PERIOD)
    assert any(a.filename.endswith(".png") for a in reply.files)
    ((_, title, _, language),) = drawn
    assert language == "tr"
    title = pseudo.unmarked(title)  # drawn, not sent: in the pseudo-locale it still has marks
    assert title.endswith("1 Eki\u2009–\u200931 Ara 2026"), title
    assert "2026-" not in title


async def test_pausing_or_removing_a_student_later_leaves_past_attendance_alone(
    story: Story,
) -> None:
    """After the term Maya is paused and Ali taken off the roster: the term's report is the
    same, both still missed their last two sessions (they were on the roster then)."""
    sb, world = story.sb, story.ex.world
    before = fields(await sb.command(world.coordinator, "report attendance", **PERIOD))
    paused = await sb.command(world.teacher, "roster pause", student=story.student("Maya"))
    assert not paused.text.startswith("⚠️"), paused.text
    question = await sb.command(
        world.partner_teacher, "roster remove", student=story.student("Ali")
    )
    await sb.click(world.partner_teacher, question, t("roster.remove_yes", "ar"))
    after = fields(await sb.command(world.coordinator, "report attendance", **PERIOD))
    assert after == before
    assert after["Minneapolis"].startswith("**67%** · 4 of 6")
    assert after["Najaf"].startswith("**33%** · 2 of 6")


async def test_the_attendance_csv_parses_and_agrees_with_the_embed(story: Story) -> None:
    """Each city's CSV row shows the embed's figures; students' rows add up to them."""
    reply = await story.sb.command(story.ex.world.coordinator, "report attendance", **PERIOD)
    rows = csv_rows(reply)
    found = fields(reply)
    for city in ("Minneapolis", "Najaf"):
        (row,) = [r for r in rows if r["level"] == "city" and r["city"] == city]
        rate = f"{float(row['rate']):.0%}"
        assert found[city].startswith(f"**{rate}** · {row['attended']} of {row['expected']}")
        assert f"Live minutes: {row['live_minutes']}" in found[city]
        students = [r for r in rows if r["level"] == "student" and r["city"] == city]
        assert sum(int(r["attended"]) for r in students) == int(row["attended"])
        assert sum(int(r["expected"]) for r in students) == int(row["expected"])
    by_name = {r["student"]: r for r in rows if r["level"] == "student"}
    assert sorted(by_name) == ["Ali", "Ben", "Maya", "Zainab"], "students only, no teacher"
    assert (by_name["Ben"]["attended"], by_name["Ben"]["expected"]) == ("3", "3")
    assert by_name["Maya"]["missed_lately"] == "2" and by_name["Zainab"]["missed_lately"] == "1"
    flagged = {name for name, r in by_name.items() if int(r["longest_missed_run"]) >= 2}
    shown = {line.split(" (")[0] for line in found["Missed two sessions in a row"].split("\n")}
    assert flagged == shown == {"Ali", "Maya"}


async def test_the_attendance_chart_is_a_png_of_the_expected_size(story: Story) -> None:
    """A 1200×600 PNG attached and shown in the embed."""
    reply = await story.sb.command(story.ex.world.coordinator, "report attendance", **PERIOD)
    (chart,) = [a for a in reply.files if a.filename.endswith(".png")]
    data = bytes(chart.data)
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    assert struct.unpack(">II", data[16:24]) == (1200, 600)
    assert Image.open(io.BytesIO(data)).size == (1200, 600)
    assert embed(reply)["image"]["url"] == f"attachment://{chart.filename}"


async def test_a_teacher_sees_only_their_own_citys_attendance(story: Story) -> None:
    """Ustadh Kareem (Najaf) gets Najaf's figures and students, none of Minneapolis."""
    reply = await story.sb.command(story.ex.world.partner_teacher, "report attendance", **PERIOD)
    assert list(fields(reply)) == ["Najaf", "الجلسات", "غابوا عن جلستين متتاليتين"]
    assert "**33%** · 2 من 6" in unisolated(fields(reply)["Najaf"])
    rows = csv_rows(reply)
    assert {r["city"] for r in rows} == {"Najaf"}
    assert sorted(r["student"] for r in rows if r["level"] == "student") == ["Ali", "Zainab"]


async def test_the_exchange_figures_match_the_story(story: Story) -> None:
    """Youth only: 2 and 2 students, messages 2 and 1, chess 1 – 0, one pair to nudge."""
    reply = await story.sb.command(story.ex.world.teacher, "report exchange", **PERIOD)
    assert private(reply) and reply.deferred
    found = fields(reply)
    assert found["Minneapolis"] == (
        "Students: 2 enrolled · 2 took part\nAttendance: **67%** (4 of 6)\n"
        "Sessions its students came to: 3\nLive minutes: 240\nPrompt answers: 1\n"
        "Messages: 2\nChess points: 1"
    )
    assert "Messages: 1\nChess points: 0" in found["Najaf"]
    whole = found["The whole exchange"]
    assert "Sessions held: 3 of 3 ended" in whole
    # Three sessions' own prompts to both pairs, then the teacher's prompt to both.
    assert "Prompts posted to pairs: 8 · answers: 2" in whole
    assert "Messages between partners: 3" in whole
    assert "Chess games: 1 · Minneapolis 1 – 0 Najaf" in whole
    assert "Active pairs: 1 of 2" in whole
    maya, partner = story.quiet_pair
    assert found["Pairs to nudge (1)"] == f"{maya} & {partner} — no message yet"
    async with story.sb.bot.ctx.db.read() as conn:
        logged = await conn.scalar(select(func.count()).where(activity.c.kind == "pair.message"))
    assert logged == 4, "the teacher's message is in the log, not in the partners' count"


async def test_the_exchange_csv_agrees_with_the_embed(story: Story) -> None:
    """Every per-city figure in the embed is the CSV's, and the totals add up."""
    reply = await story.sb.command(story.ex.world.coordinator, "report exchange", **PERIOD)
    rows = {r["metric"]: r for r in csv_rows(reply)}
    found = fields(reply)
    for city in ("Minneapolis", "Najaf"):
        for metric, label in (
            ("messages", "Messages"),
            ("prompt_answers", "Prompt answers"),
            ("live_minutes", "Live minutes"),
        ):
            assert f"{label}: {rows[metric][city]}" in found[city]
    assert rows["messages"]["total"] == "3" and rows["chess_games"]["total"] == "1"
    assert rows["pairs_dormant"]["total"] == "1"
    assert rows["students_enrolled"]["total"] == "4"


async def test_one_students_participation_over_time(story: Story) -> None:
    """Ben: every session, one prompt answer, two messages and a won game in December."""
    sb = story.sb
    ben = story.student("Ben")
    reply = await sb.command(story.ex.world.teacher, "report student", student=ben, **PERIOD)
    assert private(reply)
    found = fields(reply)
    assert embed(reply)["title"] == "🧑‍🎓 Ben · Minneapolis"
    # Every report says how many a teacher marked at roll call (none in this story).
    assert (
        found["Sessions"]
        == "Came to 3 of 3 (100%)\nMarked by teachers at roll call: 0 (excused: 0)"
    )
    assert (found["Prompt answers"], found["Messages"]) == ("1", "2")
    assert found["Chess"] == "Games: 1 · points: 1"
    assert found["Month by month"].split("\n") == [
        "October 2026: sessions 1/1 · prompts 0 · messages 0 · chess 0",
        "November 2026: sessions 1/1 · prompts 0 · messages 0 · chess 0",
        "December 2026: sessions 1/1 · prompts 1 · messages 2 · chess 1",
    ]
    maya = await sb.command(
        story.ex.world.teacher, "report student", student=story.student("Maya"), **PERIOD
    )
    assert "Came to 1 of 3 (33%)\n⚠️ Missed the last 2 in a row" in fields(maya)["Sessions"]


async def test_the_command_line_gives_the_same_csv_as_discord(story: Story, tmp_path: Path) -> None:
    """`python -m bot report attendance --format csv` prints exactly the attached CSV."""
    reply = await story.sb.command(story.ex.world.coordinator, "report attendance", **PERIOD)
    (attachment,) = [a for a in reply.files if a.filename.endswith(".csv")]
    exchange = await story.sb.command(story.ex.world.coordinator, "report exchange", **PERIOD)
    (figures,) = exchange.files
    url = story.sb.bot.ctx.settings.database_url
    for kind, expected in (("attendance", attachment), ("exchange", figures)):
        result = run_cli(
            "report", kind, "--from", "2026-10-01", "--to", "2026-12-31", url=url, cwd=tmp_path
        )
        assert result.returncode == 0, result.stderr
        printed = result.stdout.decode("utf-8")
        # The command line speaks outside the pseudo-locale: the same file, without its marks.
        attached = pseudo.unmarked(bytes(expected.data).decode("utf-8-sig"))
        if kind == "attendance":
            assert printed == attached
        else:  # the pairs' 14-day window is counted from the real clock, not the story's
            assert [
                r for r in csv.DictReader(io.StringIO(printed)) if "pairs" not in r["metric"]
            ] == [r for r in csv.DictReader(io.StringIO(attached)) if "pairs" not in r["metric"]]


async def test_the_command_line_writes_json_and_one_citys_file(
    story: Story, tmp_path: Path
) -> None:
    """`--format json` has the embed's figures; `--city … --output` writes a spreadsheet file."""
    url = story.sb.bot.ctx.settings.database_url
    result = run_cli("report", "attendance", "--format", "json", *DATES, url=url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert (document["sessions_ended"], document["sessions_held"]) == (3, 3)
    assert [s["student"] for s in document["missed_two_in_a_row"]] == ["Ali", "Maya"]
    najaf = tmp_path / "najaf.csv"
    args = ("report", "attendance", "--city", "najaf", "--output", str(najaf), *DATES)
    assert run_cli(*args, url=url, cwd=tmp_path).returncode == 0
    data = najaf.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert {r["city"] for r in rows} == {"Najaf"}
    # `--format xlsx`: the same figures as a workbook, a sheet per level.
    book_path = tmp_path / "attendance.xlsx"
    args = ("report", "attendance", "--format", "xlsx", "--output", str(book_path), *DATES)
    assert run_cli(*args, url=url, cwd=tmp_path).returncode == 0
    book = load_workbook(book_path)
    assert book.sheetnames == ["cities", "sessions", "students"]
    names = [r[1] for r in book["students"].iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == ["Ali", "Ben", "Maya", "Zainab"]


async def test_a_report_on_the_command_line_is_in_the_activity_log(
    story: Story, tmp_path: Path
) -> None:
    """Children's attendance taken from the command line is audited like /report: the log
    says which report, how and by which account; a refused one leaves no entry."""
    url = story.sb.bot.ctx.settings.database_url
    taken = run_cli("report", "attendance", "--format", "json", *DATES, url=url, cwd=tmp_path)
    assert taken.returncode == 0, taken.stderr
    backwards = ("report", "exchange", "--from", "2026-12-31", "--to", "2026-10-01")
    assert run_cli(*backwards, url=url, cwd=tmp_path).returncode == 2
    async with story.sb.bot.ctx.db.read() as conn:
        rows = (
            await conn.execute(
                select(activity.c.actor_id, activity.c.details).where(
                    activity.c.kind == "report.viewed"
                )
            )
        ).all()
    via_cli = [json.loads(details) for actor, details in rows if actor is None]
    assert len(via_cli) == 1
    (entry,) = via_cli
    assert entry["report"] == "attendance" and entry["via"] == "command line"
    assert entry["operator"] and (entry["start"], entry["end"]) == ("2026-10-01", "2026-12-31")


async def test_the_command_line_refuses_bad_dates_like_discord(
    story: Story, tmp_path: Path
) -> None:
    """An end before the start: the same message, on standard error, exit status 2."""
    url = story.sb.bot.ctx.settings.database_url
    args = ("report", "exchange", "--from", "2026-12-31", "--to", "2026-10-01")
    result = run_cli(*args, url=url, cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == b""
    said = b"The last day (October 1, 2026) is before the first day (December 31, 2026)"
    assert said in result.stderr


DATES = ("--from", "2026-10-01", "--to", "2026-12-31")


def run_cli(*args: str, url: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    environment = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={**environment, "DATABASE_URL": url},
        capture_output=True,
        timeout=120,
    )


async def test_messages_counted_just_before_a_shutdown_are_not_lost(story: Story) -> None:
    """Events still queued for the batched writer are written when the bot shuts down."""
    sb = story.sb
    writer = sb.bot.ctx.activity_writer
    for _ in range(3):
        writer.log(
            at=sb.now(),
            guild_id=sb.guild.id,
            partnership_id=story.ex.world.exchange_id,
            actor_id=story.student("Ben").user.id,
            kind="pair.message",
            details={"pair": 0, "length": None},
        )
    assert writer.pending == 3
    await sb.restart_bot()
    async with sb.bot.ctx.db.read() as conn:
        logged = await conn.scalar(select(func.count()).where(activity.c.kind == "pair.message"))
    assert logged == 4 + 3


# -- who may ask -----------------------------------------------------------------------------------


async def logged(sb: Sandbox) -> int:
    async with sb.bot.ctx.db.read() as conn:
        return int(await conn.scalar(select(func.count()).select_from(activity)) or 0)


async def asked(sb: Sandbox, member: Member, path: str, **options: Any) -> str:
    """Run a report command that must be refused: the private answer's text; nothing logged."""
    before = await logged(sb)
    reply = await sb.command(member, path, **options)
    assert private(reply)
    assert not reply.files and not any(m.embeds for m in reply.messages), reply.text
    assert await logged(sb) == before, "a refused report changes nothing, not even the log"
    return reply.text.strip()


@pytest.fixture
async def world(sb: Sandbox) -> World:
    # Ms Rivera has joined, Ustadh Kareem not yet.
    world = await make_world(sb, teachers_joined=False)
    await world.add_student("Ben", 0)
    await world.add_student("Ali", 1)
    await sb.command(world.teacher, "join", city="Minneapolis")
    return world


@pytest.mark.parametrize("path", ["report attendance", "report exchange"])
async def test_a_student_asking_for_a_report_is_told_only_teachers_can(
    world: World, path: str
) -> None:
    """A student gets a private refusal, and nothing is logged."""
    text = await asked(world.sb, world.students["Ben"], path)
    assert text == "Only teachers can do that."


async def test_a_student_asking_about_another_student_is_refused(world: World) -> None:
    """Students cannot read each other's participation."""
    ben, ali = world.students["Ben"], world.students["Ali"]
    assert await asked(world.sb, ben, "report student", student=ali) == "Only teachers can do that."


async def test_a_teacher_asking_for_the_other_city_is_refused(world: World) -> None:
    """Ms Rivera (Minneapolis) may not see Najaf's attendance or its students."""
    sb, teacher = world.sb, world.teacher
    text = await asked(sb, teacher, "report attendance", city="Najaf")
    assert text == "Teachers see the reports of their own city only (Minneapolis)."
    text = await asked(sb, teacher, "report student", student=world.students["Ali"])
    assert text == "Teachers see the reports of their own city only (Minneapolis)."


async def test_a_teacher_not_yet_registered_is_told_to_join_first(world: World) -> None:
    """Without a city on the roster, a teacher has no city to report on. With no profile yet she
    reads her Discord client's language: Spanish here (Discord has no Arabic locale, so an
    Arabic reader is one only once his profile says so)."""
    teacher = world.sb.add_member("Profesora Ruiz", roles=[world.teachers_role], locale="es-ES")
    text = await asked(world.sb, teacher, "report attendance")
    assert t("error.reporting_join_first", "es") in text


async def test_someone_not_a_student_has_no_student_report(world: World) -> None:
    """Asking for a teacher's participation is refused clearly."""
    text = await asked(world.sb, world.coordinator, "report student", student=world.teacher)
    assert text == "That person is not a student of this exchange."


@pytest.mark.parametrize(
    ("options", "answer"),
    [
        (
            {"from": "2026-11-01", "to": "2026-10-01"},
            "The last day (October 1, 2026) is before the first day (November 1, 2026)",
        ),
        ({"from": "2024-01-01", "to": "2026-06-30"}, "A report covers at most 2 years"),
        ({"from": "01/10/2026"}, "“01/10/2026” is not a date: write it as YYYY-MM-DD"),
        ({"to": "2026-02-30"}, "“2026-02-30” is not a date"),
        ({"city": "Paris"}, "This exchange has no city called “Paris”."),
    ],
)
async def test_bad_dates_and_cities_are_refused_and_change_nothing(
    world: World, options: dict[str, str], answer: str
) -> None:
    """An end before the start, over two years, a malformed date, an unknown city."""
    text = await asked(world.sb, world.coordinator, "report attendance", **options)
    assert answer in text


async def test_dates_typed_with_arabic_indic_digits_are_read(world: World) -> None:
    """A teacher on an Arabic keyboard types ٢٠٢٦-١٠-٠١: the report covers the days meant."""
    options = {"from": "٢٠٢٦-١٠-٠١", "to": "٢٠٢٦-١٠-٣١"}
    reply = await world.sb.command(world.coordinator, "report attendance", **options)
    assert "October 1, 2026 → October 31, 2026" in reply.text


async def test_the_days_offered_for_a_report_are_today_and_before(world: World) -> None:
    """A report looks back: typing its first day offers today and the weeks before it."""
    sb = world.sb
    choices = await sb.autocomplete(world.coordinator, "report attendance", "from", "")
    days = [date.fromisoformat(c["value"]) for c in choices]
    today = sb.now().date()
    assert days[0] == today and len(days) == 25
    assert days == sorted(days, reverse=True) and days[-1] == today - timedelta(days=24)


async def test_an_exchange_of_another_server_is_not_found(world: World) -> None:
    """An exchange id from another guild is answered as unknown, never reported on."""
    sb = world.sb
    async with sb.bot.ctx.db.transaction() as conn:
        elsewhere = await exchange_store.create_exchange(
            conn,
            guild_id=sb.guild.id + 1,
            name="Elsewhere",
            sides=[
                ("Winston-Salem", "America/New_York", ("en",), frozenset({6, 7})),
                ("Kumasi", "Africa/Accra", ("en",), frozenset({6, 7})),
            ],
            now=datetime(2026, 9, 1, tzinfo=UTC),
        )
        await roster.add(
            conn,
            guild_id=sb.guild.id + 1,
            exchange_id=elsewhere,
            user_id=world.students["Ben"].user.id,
            role=Role.STUDENT,
            display_name="Ben elsewhere",
            city_id=None,
            now=datetime(2026, 9, 1, tzinfo=UTC),
        )
    for path in ("report attendance", "report exchange"):
        text = await asked(sb, world.coordinator, path, exchange=elsewhere)
        assert text == "I can't find that exchange in this server."
    text = await asked(
        sb, world.coordinator, "report student", student=world.students["Ben"], exchange=elsewhere
    )
    assert text == "I can't find that exchange in this server."


async def test_a_teacher_of_another_exchange_sees_none_of_its_figures(world: World) -> None:
    """Two exchanges in one server: Ms Rivera (Minneapolis–Najaf) is refused the other
    exchange's figures, which name its pairs to nudge; its own teacher and the coordinator
    see them."""
    sb = world.sb
    other = await world.other_exchange("Maya", "Kofi")
    text = await asked(sb, world.teacher, "report exchange", exchange=other)
    assert (
        text
        == "Teachers see the reports of their own city: register with /join and your city first."
    )
    own_teacher = sb.add_member("Mr Owusu", roles=[world.teachers_role])
    await sb.command(own_teacher, "join", city="Kumasi", exchange=other)
    for reader in (own_teacher, world.coordinator):
        nudge = fields(await sb.command(reader, "report exchange", exchange=other))
        assert "Kofi" in nudge["Pairs to nudge (1)"] and "Maya" in nudge["Pairs to nudge (1)"]
    own = await sb.command(world.teacher, "report exchange", exchange=world.exchange_id)
    assert embed(own)["title"].startswith("🌍 Minneapolis–Najaf")


async def test_a_report_with_no_session_yet_says_so_and_draws_no_chart(world: World) -> None:
    """Before the first session: a clear note, the CSV, no empty chart."""
    reply = await world.sb.command(world.coordinator, "report attendance")
    assert "No session has ended in this period yet." in reply.text
    assert [a.filename.rsplit(".", 1)[1] for a in reply.files] == ["csv"]
    assert await viewed(world.sb) == 1


async def test_an_ended_exchange_can_still_be_reported_on(world: World) -> None:
    """After /exchange end the figures for funders are still there (the only exchange)."""
    sb = world.sb
    ask = await sb.command(world.coordinator, "exchange end")
    await sb.click(world.coordinator, ask, "End the exchange")
    reply = await sb.command(world.coordinator, "report exchange")
    assert embed(reply)["title"] == "🌍 Minneapolis–Najaf · figures for funders and boards"
    assert "Students: 1 enrolled" in fields(reply)["Minneapolis"]
