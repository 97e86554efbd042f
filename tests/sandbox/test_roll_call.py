"""Roll call: the teacher has the last word on attendance.

Minneapolis is a school lab: Ben and Maya plus 25 classmates (27 students, two pages of the
roll call), who share two computers and never press check-in but Ben. In Najaf, Ali is in the
session's voice channel for 3 minutes, Zainab for the whole hour. After October's session Ms
Rivera opens the roll call from the button under the teachers' summary, marks the rest of the
first page present, Maya late, one classmate excused (with a reason) and one absent.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.errors import NotAllowedError, UserError
from bot.i18n import t
from bot.sandbox.driver import Reply, Sandbox, iter_components
from bot.sandbox.state import Member, Message
from bot.services.access import Actor
from bot.store.schema import activity, participants, session_marks
from tests.sandbox.sessions_helpers import (
    MONTHS_IN_SECONDS,
    OCT,
    Exchange,
    compressed_time,
    paired_exchange,
    schedule_confirmed,
    started_post,
)
from tests.sandbox.test_dashboard import fetch, make_link
from tests.sandbox.test_reporting import run_cli

CHECK_IN = "Check in · تسجيل الحضور"
OCTOBER = {"from": "2026-10-01", "to": "2026-10-31"}
CLASSMATES = [f"Student {n:02d}" for n in range(1, 26)]


@pytest.fixture
async def sb(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Sandbox]:
    async with compressed_time(tmp_path, request) as sandbox:
        yield sandbox


async def october(sb: Sandbox) -> Exchange:
    """The class of 27, October's session played to its end (summaries posted)."""
    ex = await paired_exchange(sb)
    for name in CLASSMATES:
        await ex.world.add_student(name, 0)
    await sb.command(ex.world.teacher, "session reminders", before="off")
    await schedule_confirmed(ex)
    await sb.advance_to(OCT + timedelta(minutes=5))
    await sb.click(ex.student("Ben"), started_post(ex), CHECK_IN)
    await sb.join_voice(ex.student("Ali"), ex.voice)
    await sb.join_voice(ex.student("Zainab"), ex.voice)
    await sb.advance_to(OCT + timedelta(minutes=8))
    await sb.join_voice(ex.student("Ali"), None)  # 3 minutes: less than 10
    await sb.advance_to(OCT + timedelta(hours=2))
    return ex


@pytest.fixture
async def ex(sb: Sandbox) -> Exchange:
    return await october(sb)


def panel(reply: Reply) -> Message:
    """The roll call page: the acknowledged answer (or the message a component edited)."""
    for message in reversed(reply.messages):
        if message.embeds:
            return message
    raise AssertionError(f"no roll call in {reply.text!r}")


def custom_ids(message: Message, prefix: str) -> list[str]:
    return [
        c["custom_id"]
        for c in iter_components(message.components)
        if str(c.get("custom_id", "")).startswith(prefix)
    ]


def select_of(message: Message, mark: str) -> str:
    (found,) = [i for i in custom_ids(message, "tb:rollcall.mark:") if i.endswith(f":{mark}")]
    return found


def option_values(message: Message, custom_id: str) -> dict[str, str]:
    """Label → value of a select menu's options."""
    for component in iter_components(message.components):
        if component.get("custom_id") == custom_id:
            return {o["label"]: o["value"] for o in component["options"]}
    raise AssertionError(custom_id)


async def open_from_summary(ex: Exchange, member: Member) -> Reply:
    """`member` presses "Roll call" under the teachers' summary of the last session."""
    summary = [m for m in ex.sb.messages_in(ex.world.teachers_channel) if m.embeds][-1]
    (button,) = custom_ids(summary, "tb:rollcall.open:")
    return await ex.sb.click(member, summary, custom_id=button)


async def marks(sb: Sandbox) -> dict[str, tuple[str, str | None]]:
    """Student name → (mark, reason) of every stored mark."""
    async with sb.bot.ctx.db.read() as conn:
        rows = await conn.execute(
            select(participants.c.display_name, session_marks.c.mark, session_marks.c.reason).join(
                participants, participants.c.id == session_marks.c.participant_id
            )
        )
        return {r[0]: (r[1], r[2]) for r in rows}


async def logged(sb: Sandbox, kind: str) -> list[tuple[int | None, dict[str, Any]]]:
    """(actor id, details) of each activity row of this kind."""
    async with sb.bot.ctx.db.read() as conn:
        rows = (await conn.execute(select(activity).where(activity.c.kind == kind))).all()
    return [(r.actor_id, json.loads(r.details)) for r in rows]


def csv_rows(reply: Reply) -> list[dict[str, str]]:
    (found,) = [a for a in reply.files if a.filename.endswith(".csv")]
    return list(csv.DictReader(io.StringIO(bytes(found.data).decode("utf-8-sig"))))


async def take_the_roll(ex: Exchange) -> None:
    """Ms Rivera's roll call, as the module docstring tells it."""
    sb, teacher = ex.sb, ex.world.teacher
    page = panel(await open_from_summary(ex, teacher))
    (rest,) = custom_ids(page, "tb:rollcall.rest:")
    page = panel(await sb.click(teacher, page, custom_id=rest))
    late = select_of(page, "late")
    page = panel(
        await sb.choose(teacher, page, [option_values(page, late)["Maya"]], custom_id=late)
    )
    *_back, forward = custom_ids(page, "tb:rollcall.page:")  # ◀ ▶: the teacher's city only
    assert forward.endswith(":1")
    page = panel(await sb.click(teacher, page, custom_id=forward))
    absent = select_of(page, "absent")
    value = option_values(page, absent)["Student 25"]
    await sb.choose(teacher, page, [value], custom_id=absent)
    await sb.command(
        teacher,
        "session attendance",
        student=ex.student("Student 24"),
        mark="excused",
        reason="Dentist appointment",
    )


@pytest.mark.pseudo_locale  # always in the pseudo-locale: no text past the catalogue
async def test_a_teacher_takes_the_roll_of_a_whole_class_in_a_few_clicks(ex: Exchange) -> None:
    """The summary's button opens Minneapolis' roll call (two pages within Discord's limits);
    "the rest present", one select, a page, one select and one command mark 27 students."""
    sb = ex.sb
    reply = await open_from_summary(ex, ex.world.teacher)
    assert reply.ephemeral
    page = panel(reply)
    text = page.embeds[0]["description"]
    assert "Ben" in text and "checked in at" in text
    assert "Ali" not in text, "a teacher sees their own city's students"
    assert page.embeds[0]["footer"]["text"] == "Marked by a teacher: 0 of 27 · page 1/2"
    assert len(page.components) <= 5
    for component in iter_components(page.components):
        assert len(component.get("options", [])) <= 25

    await take_the_roll(ex)

    found = await marks(sb)
    assert len(found) == 27
    assert found["Ben"] == ("present", None) and found["Maya"] == ("late", None)
    assert found["Student 24"] == ("excused", "Dentist appointment")
    assert found["Student 25"] == ("absent", None)
    assert sum(1 for mark, _ in found.values() if mark == "present") == 24


async def test_every_mark_and_change_is_logged_with_the_teacher(ex: Exchange) -> None:
    """27 marks and Maya's change from present to late: 28 rows, all Ms Rivera's; the
    excuse's words stay out of the log."""
    await take_the_roll(ex)
    rows = await logged(ex.sb, "session.marked")
    assert len(rows) == 28
    assert {actor for actor, _ in rows} == {ex.world.teacher.user.id}
    changes = [d for _, d in rows if d["was"] is not None]
    assert [(c["was"], c["mark"]) for c in changes] == [("present", "late")]
    assert "Dentist" not in str(rows)


@pytest.mark.pseudo_locale  # always in the pseudo-locale: no text past the catalogue
async def test_reports_use_the_marks_and_say_how_many_teachers_marked(ex: Exchange) -> None:
    """Minneapolis: 25 of 26 expected (Student 24 excused is not expected), all 27 marked;
    Najaf: Zainab's hour counts, Ali's 3 minutes do not. The embed says it too."""
    await take_the_roll(ex)
    reply = await ex.sb.command(ex.world.coordinator, "report attendance", **OCTOBER)
    rows = csv_rows(reply)
    mpls = next(r for r in rows if r["level"] == "city" and r["city"] == "Minneapolis")
    assert (mpls["expected"], mpls["attended"], mpls["excused"]) == ("26", "25", "1")
    assert mpls["marked_by_teacher"] == "27"
    najaf = next(r for r in rows if r["level"] == "city" and r["city"] == "Najaf")
    assert (najaf["expected"], najaf["attended"], najaf["marked_by_teacher"]) == ("2", "1", "0")
    assert t("reporting.marked_by_teachers", "en", marked=27, excused=1) in reply.text

    excused = await ex.sb.command(
        ex.world.coordinator, "report student", student=ex.student("Student 24"), **OCTOBER
    )
    assert "Came to 0 of 0" in excused.text, "an excused session is not expected"
    assert t("reporting.marked_by_teachers", "en", marked=1, excused=1) in excused.text

    figures = await ex.sb.command(ex.world.coordinator, "report exchange", **OCTOBER)
    assert "27" in figures.text
    assert t("reporting.marked_by_teachers", "en", marked=27, excused=1) in figures.text


async def test_a_teacher_cannot_mark_another_citys_students(ex: Exchange) -> None:
    """Ustadh Kareem (Najaf) marking Ben: a clear ephemeral refusal, nothing stored."""
    reply = await ex.sb.command(
        ex.world.partner_teacher, "session attendance", student=ex.student("Ben"), mark="present"
    )
    assert reply.ephemeral or all(m.flags for m in reply.messages)
    assert t("error.rollcall_own_city", "ar", city="Najaf") in reply.text
    assert await marks(ex.sb) == {}
    # The summary's button gives him his own city's roll call.
    page = panel(await open_from_summary(ex, ex.world.partner_teacher))
    text = page.embeds[0]["description"]
    assert "Ali" in text and "Zainab" in text and "Ben" not in text


async def test_a_forged_component_for_another_city_changes_nothing(ex: Exchange) -> None:
    """A custom_id naming Minneapolis pressed by Najaf's teacher, and Najaf's panel given
    Ben's id: both refused by the service that every component goes through."""
    sb = ex.sb
    async with sb.bot.ctx.db.read() as conn:
        ben = (
            await conn.execute(
                select(participants.c.id).where(participants.c.display_name == "Ben")
            )
        ).scalar_one()
    page = panel(await open_from_summary(ex, ex.world.teacher))
    occurrence = int(select_of(page, "present").split(":")[2])  # tb:rollcall.mark:<occurrence>
    kareem = Actor(
        sb.guild.id,
        ex.world.partner_teacher.user.id,
        frozenset({ex.world.teachers_role.id}),
        False,
    )
    service = sb.bot.services.roll_call
    with pytest.raises(NotAllowedError) as refused:
        await service.mark(kareem, occurrence, ex.world.city_ids[0], [ben], "present")
    assert refused.value.key == "error.rollcall_own_city"
    with pytest.raises(NotAllowedError) as refused:
        await service.mark(kareem, occurrence, ex.world.city_ids[1], [ben], "present")
    assert refused.value.key == "error.rollcall_other_city"
    assert await marks(sb) == {}


async def test_a_student_not_on_the_sessions_roster_is_refused(ex: Exchange) -> None:
    """Someone who joined after the session, and a reason with "present": refused, nothing
    changed."""
    sb = ex.sb
    late_joiner = await ex.world.add_student("Noor", 0)
    reply = await sb.command(
        ex.world.teacher, "session attendance", student=late_joiner, mark="present"
    )
    assert t("error.rollcall_not_on_roster", "en") in reply.text
    reply = await sb.command(
        ex.world.teacher,
        "session attendance",
        student=ex.student("Maya"),
        mark="present",
        reason="Bus",
    )
    assert t("error.rollcall_reason_excused_only", "en") in reply.text
    assert await marks(sb) == {}
    with pytest.raises(UserError):
        await sb.bot.services.roll_call.mark_student(
            Actor(
                sb.guild.id, ex.world.teacher.user.id, frozenset({ex.world.teachers_role.id}), False
            ),
            10_000,
            late_joiner.user.id,
            "present",
        )


async def test_a_session_not_yet_begun_has_no_roll_call(ex: Exchange) -> None:
    """November's session, asked for in October: a clear answer."""
    reply = await ex.sb.command(ex.world.teacher, "session attendance", day="2026-11-03")
    assert t("error.rollcall_no_session_on", "en", day="November 3, 2026") in reply.text


async def test_voice_counts_minutes_from_a_share_the_exchange_sets(ex: Exchange) -> None:
    """Ali's 3 minutes are not enough by default (10 minutes or half the session); with the
    exchange's own 2 minutes they are. The change is logged."""
    sb = ex.sb
    page = panel(await open_from_summary(ex, ex.world.partner_teacher))
    text = page.embeds[0]["description"]  # Ustadh Kareem reads Arabic
    assert f"⬜ Ali\n  {t('rollcall.voice', 'ar', minutes=3)}" in text
    assert f"☑️ Zainab\n  {t('rollcall.voice', 'ar', minutes=55)}" in text
    before = await sb.command(ex.world.coordinator, "report attendance", **OCTOBER)
    najaf = next(r for r in csv_rows(before) if r["level"] == "city" and r["city"] == "Najaf")
    assert najaf["attended"] == "1"
    await sb.command(ex.world.teacher, "session voice-minutes", minutes=2)
    after = await sb.command(ex.world.coordinator, "report attendance", **OCTOBER)
    najaf = next(r for r in csv_rows(after) if r["level"] == "city" and r["city"] == "Najaf")
    assert najaf["attended"] == "2"
    assert await logged(sb, "session.voice_minutes_set") == [
        (ex.world.teacher.user.id, {"minutes": 2})
    ]


async def test_the_dashboard_shows_how_many_teachers_marked(tmp_path: Path) -> None:
    """The read-only pages: the overview's figures and the attendance page's cities say how
    many a teacher marked (and excused), as /report does."""
    async with Sandbox.running(tmp_path, settings={"http_port": 0}, limits=MONTHS_IN_SECONDS) as sb:
        sb.bot.outside.guard.pause = 0.01  # type: ignore[union-attr]
        ex = await october(sb)
        await take_the_roll(ex)
        url = await make_link(sb, ex.world.coordinator)
        query = f"?from={OCTOBER['from']}&to={OCTOBER['to']}"
        status, overview, _ = await fetch(url + query)
        assert status == 200, overview
        label = t("dashboard.marked_by_teachers", "en")
        assert re.search(rf"{label}</th>\s*<td>27</td><td>0</td>\s*<td>27</td>", overview)
        status, page, _ = await fetch(url + "attendance" + query)
        assert status == 200, page
        assert "<td>1</td><td>27</td></tr>" in page  # Minneapolis: 1 excused, 27 marked
        assert "<td>0</td><td>0</td></tr>" in page  # Najaf: none


async def test_the_command_line_reports_use_the_marks(ex: Exchange, tmp_path: Path) -> None:
    """`python -m bot report`: the JSON says how many a teacher marked; the funders' CSV has
    the marked and excused counts per city."""
    await take_the_roll(ex)
    url = ex.sb.bot.ctx.settings.database_url
    dates = ("--from", OCTOBER["from"], "--to", OCTOBER["to"])
    result = run_cli("report", "attendance", "--format", "json", *dates, url=url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert (document["marked_by_teachers"], document["excused"]) == (27, 1)
    result = run_cli("report", "exchange", *dates, url=url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = {r["metric"]: r for r in csv.DictReader(io.StringIO(result.stdout.decode("utf-8-sig")))}
    marked = rows["attendance_marked_by_teachers"]
    assert (marked["Minneapolis"], marked["Najaf"], marked["total"]) == ("27", "0", "27")
    assert rows["attendance_excused"]["total"] == "1"
    assert rows["attendance_attended"]["Minneapolis"] == "25"


async def test_a_stay_that_ended_while_the_bot_was_down_stops_at_the_restart(sb: Sandbox) -> None:
    """Ali joins the call, the bot restarts two minutes later, and he left meanwhile: his
    minutes stop at the restart (2), not at the session's end (55)."""
    ex = await paired_exchange(sb)
    await sb.command(ex.world.teacher, "session reminders", before="off")
    await schedule_confirmed(ex)
    await sb.advance_to(OCT + timedelta(minutes=5))
    ali = ex.student("Ali")
    await sb.join_voice(ali, ex.voice)

    async def leaves() -> None:
        await sb.join_voice(ali, None)

    await sb.restart_bot(timedelta(minutes=2), meanwhile=leaves)
    await sb.advance_to(OCT + timedelta(hours=2))
    text = panel(await open_from_summary(ex, ex.world.partner_teacher)).embeds[0]["description"]
    assert f"⬜ Ali\n  {t('rollcall.voice', 'ar', minutes=2)}" in text


async def test_a_coordinator_takes_either_citys_roll_call(ex: Exchange) -> None:
    """Dr Baker names Najaf, marks Ali present, and switches to Minneapolis with a button."""
    sb, coordinator = ex.sb, ex.world.coordinator
    page = panel(await sb.command(coordinator, "session attendance", city="Najaf"))
    assert page.embeds[0]["title"] == "Roll call · Exchange session · Najaf"
    present = select_of(page, "present")
    page = panel(
        await sb.choose(coordinator, page, [option_values(page, present)["Ali"]], custom_id=present)
    )
    assert "✅ **Ali** — present" in page.embeds[0]["description"]
    (other,) = [
        c["custom_id"]
        for c in iter_components(page.components)
        if c.get("label") == "Minneapolis's roll call"
    ]
    page = panel(await sb.click(coordinator, page, custom_id=other))
    assert page.embeds[0]["title"] == "Roll call · Exchange session · Minneapolis"
    assert await marks(sb) == {"Ali": ("present", None)}
