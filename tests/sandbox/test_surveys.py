"""Surveys through the real bot (issue 23): a teacher creates the pre survey from the template
and sends it; students answer privately, stop and come back after a restart, answer twice
(replaced); the survey closes and refuses answers; results show no figure for a group under
five; files carry no names unless the survey is named; students and other exchanges' teachers
are refused."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pytest
from sqlalchemy import select

from bot.i18n import t
from bot.sandbox.driver import Reply, Sandbox
from bot.sandbox.state import Channel, Member, Message
from bot.store.schema import survey_answers
from cogs.survey.answering import scale_label
from tests.sandbox.world import World, make_world

FIRST = ("Ben", "Maya", "Omar", "Lena", "Tom")
SECOND = ("Ali", "Zainab", "Hassan", "Noor", "Sara")
START = t("survey.start", "en")


@pytest.fixture
async def world(sb: Sandbox) -> World:
    found = await make_world(sb)
    for first, second in zip(FIRST, SECOND, strict=True):
        await found.add_student(first, 0)
        await found.add_student(second, 1)
    await sb.command(found.teacher, "pair confirm")
    return found


def space_of(sb: Sandbox, member: Member) -> Channel:
    (space,) = [
        c
        for c in sb.guild.channels.values()
        if c.name.startswith("pair-") and sb.guild.can_view(member.user.id, c.id)
    ]
    return space


def start_posts(sb: Sandbox, member: Member) -> list[Message]:
    return [m for m in sb.messages_in(space_of(sb, member)) if "A short survey" in m.content]


async def created(world: World, **options: Any) -> int:
    reply = await world.sb.command(world.teacher, "survey create", **options)
    found = re.search(r"Survey #(\d+)", reply.text)
    assert found, reply.text
    return int(found[1])


async def answer_all(sb: Sandbox, member: Member, points: list[int]) -> Reply:
    """The student presses Start and answers each item on the scale, one by one."""
    (post,) = start_posts(sb, member)
    step = await sb.click(member, post, START)
    for point in points:
        step = await sb.click(member, step, scale_label(point, "en"))
    return step


async def test_the_pre_survey_is_sent_answered_resumed_replaced_closed_and_counted(
    world: World,
) -> None:
    sb = world.sb
    survey = await created(world, title="Before the exchange", kind="pre")
    sent = await sb.command(world.teacher, "survey send", survey=survey)
    assert "goes to 10 students: posted in 5 pair spaces" in sent.text
    ben, ali = world.students["Ben"], world.students["Ali"]
    (post,) = start_posts(sb, ben)
    assert f"<@{ben.user.id}>" in post.content
    assert not post.mention_everyone and post.mention_roles == []

    # Ben answers two statements and stops; the bot restarts; Start resumes at the third.
    step = await sb.click(ben, post, START)
    assert step.ephemeral and "question 1 of 5" in step.text
    assert t("survey.template.curious", "en") in step.text
    step = await sb.click(ben, step, scale_label(4, "en"))
    assert "Saved." in step.text and "question 2 of 5" in step.text
    await sb.click(ben, step, scale_label(2, "en"))
    await sb.restart_bot()
    step = await sb.click(ben, post, START)
    assert "question 3 of 5" in step.text
    for point in (3, 5, 4):
        step = await sb.click(ben, step, scale_label(point, "en"))
    assert "you answered all 5 questions" in step.text

    # A second answer to the same statement replaces the first, and Ben is told so.
    (item_one,) = [
        o["value"] for c in step.components for i in c["components"] for o in i.get("options", [])
    ][:1]
    again = await sb.choose(ben, step, [item_one])
    assert "question 1 of 5" in again.text and "a new answer replaces it" in again.text
    replaced = await sb.click(ben, again, scale_label(1, "en"))
    assert t("survey.replaced", "en") in replaced.text

    # Two students: a count, never a figure.
    await answer_all(sb, ali, [2, 2, 2, 2, 2])
    few = await sb.command(world.teacher, "survey results", survey=survey)
    assert "too few to show (1 answer; at least 5 are needed)" in few.text
    assert "mean" not in few.text
    assert few.file(f"survey-{survey}.png").data.startswith(b"\x89PNG")

    # Five in each city: figures per city.
    for name in FIRST[1:]:
        await answer_all(sb, world.students[name], [4, 4, 5, 3, 4])
    for name in SECOND[1:]:
        await answer_all(sb, world.students[name], [3, 3, 3, 3, 3])
    full = await sb.command(world.teacher, "survey results", survey=survey)
    fields = {f["name"]: f["value"] for e in full.embeds for f in e["fields"]}
    curious = t("survey.template.curious", "en")
    # Minneapolis, statement 1: Ben's replaced answer (1) and four 4s.
    assert (
        "mean 3.40 of 5 · 5 answers · 1:1 2:0 3:0 4:4 5:0"
        in fields[f"Q1 · Minneapolis — {curious}"]
    )
    assert "mean 2.80 of 5 · 5 answers" in fields[f"Q1 · Najaf — {curious}"]
    rows = list(
        csv.DictReader(io.StringIO(full.file(f"survey-{survey}.csv").data.decode("utf-8-sig")))
    )
    assert len(rows) == 10 and {r["shown"] for r in rows} == {"True"}

    # Closed: an answer after it is refused, saying when it closed.
    closing = int(sb.now().timestamp())
    closed = await sb.command(world.teacher, "survey close", survey=survey)
    assert "10 students answered" in closed.text
    late = await sb.click(world.students["Maya"], start_posts(sb, world.students["Maya"])[0], START)
    # The moment as a Discord timestamp: each reader's own day, language and zone.
    stamp = re.search(r"This survey closed on <t:(\d+):f>", late.text)
    assert stamp is not None and closing <= int(stamp[1]) <= sb.now().timestamp()
    # Changing an answer from the private message is refused too.
    refused = await sb.choose(ben, replaced, [item_one])
    assert "This survey closed on" in refused.text


async def test_text_answers_are_anonymous_unless_the_survey_is_named(world: World) -> None:
    sb = world.sb
    for named in (False, True):
        survey = await created(
            world, title=f"Own items {named}", kind="single", template=False, named=named
        )
        empty = await sb.command(world.teacher, "survey send", survey=survey)
        assert "has no items yet" in empty.text
        await sb.command(
            world.teacher, "survey item", survey=survey, kind="text", text="What surprised you?"
        )
        await sb.command(
            world.teacher,
            "survey item",
            survey=survey,
            kind="choice",
            text="Best way to talk?",
            choices="text; voice; video",
        )
        await sb.command(world.teacher, "survey send", survey=survey, city="Minneapolis")
        for name in FIRST:
            student = world.students[name]
            post = start_posts(sb, student)[-1]
            step = await sb.click(student, post, START)
            form = await sb.click(student, step, t("survey.write", "en"))
            step = await sb.submit(student, form, answer=f"the food, says {name}")
            assert "question 2 of 2" in step.text
            step = await sb.choose(student, step, ["2"])
            assert "you answered all 2 questions" in step.text
        # The other city was not asked: its student cannot answer.
        ali = world.students["Ali"]
        refused = await sb.click(ali, start_posts(sb, ali)[-1], START)
        assert t("survey.error.not_for_you", "en") in refused.text
        found = await sb.command(world.teacher, "survey results", survey=survey)
        assert "voice: 5" in found.text and "Najaf" not in found.text
        texts = found.file(f"survey-{survey}-answers.csv").data.decode("utf-8-sig")
        everything = (
            found.text + texts + found.file(f"survey-{survey}.csv").data.decode("utf-8-sig")
        )
        assert "the food, says Ben" in texts
        for name in FIRST:
            assert (f"{name}:" in everything) is named and (f",{name}\r" in texts) is named
        book = await sb.command(world.teacher, "survey results", survey=survey, file="xlsx")
        assert book.file(f"survey-{survey}.xlsx").data.startswith(b"PK")


@pytest.mark.pseudo_locale  # always in the pseudo-locale: no text past the catalogue
async def test_the_survey_picker_names_kind_and_status_in_the_teachers_language(
    world: World,
) -> None:
    """Autocomplete offers "#1 Term start (Pre, not sent yet)": words, never the codes."""
    sb = world.sb
    survey = await created(world, title="Term start", kind="pre")
    found = await sb.autocomplete(world.teacher, "survey send", "survey", "")
    kind, status = t("survey.kind.pre", "en"), t("survey.status.draft", "en")
    assert [c["name"] for c in found] == [f"#{survey} Term start ({kind}, {status})"]


async def test_bad_input_is_refused_with_the_reason(world: World) -> None:
    sb = world.sb
    survey = await created(world, title="Many", kind="single", template=False)
    for n in range(20):
        await sb.command(world.teacher, "survey item", survey=survey, kind="scale", text=f"S{n}")
    more = await sb.command(world.teacher, "survey item", survey=survey, kind="scale", text="x")
    assert "at most 20 items" in more.text
    choice = await sb.command(
        world.teacher, "survey item", survey=survey, kind="choice", text="Q", choices="one"
    )
    assert "2 to 10 options" in choice.text
    student = await sb.command(world.students["Ben"], "survey create", title="Mine", kind="pre")
    assert t("error.only_teacher", "en") in student.text


async def test_a_teacher_of_another_exchange_cannot_send_close_or_read(world: World) -> None:
    sb = world.sb
    survey = await created(world, title="Ours", kind="pre")
    other = await world.other_exchange("Kofi", "Ama")
    owusu = sb.add_member("Mr Owusu", roles=[world.teachers_role])
    await sb.command(owusu, "join", city="Kumasi", exchange=other)
    for path in ("survey send", "survey close", "survey results"):
        reply = await sb.command(owusu, path, survey=survey)
        assert t("error.not_staff_here", "en") in reply.text, path
    add = await sb.command(owusu, "survey item", survey=survey, kind="text", text="Sneaky?")
    assert t("error.not_staff_here", "en") in add.text
    # Nothing was sent, and the teacher of the exchange still can.
    assert not start_posts(sb, world.students["Ben"])
    sent = await sb.command(world.teacher, "survey send", survey=survey)
    assert "posted in 5 pair spaces" in sent.text


async def test_privacy_export_and_erasure_cover_survey_answers(world: World) -> None:
    """A student's answers are in their export; erasure clears their text, keeps the count."""
    sb = world.sb
    survey = await created(world, title="Words", kind="single", template=False)
    await sb.command(world.teacher, "survey item", survey=survey, kind="text", text="One word?")
    await sb.command(world.teacher, "survey send", survey=survey)
    ben = world.students["Ben"]
    step = await sb.click(ben, start_posts(sb, ben)[-1], START)
    form = await sb.click(ben, step, t("survey.write", "en"))
    await sb.submit(ben, form, answer="Curious")
    reply = await sb.command(world.coordinator, "privacy export", student=ben)
    document: dict[str, Any] = json.loads(reply.files[0].data)
    (row,) = document["tables"]["survey_answers"]
    assert row["text"] == "Curious"
    ask = await sb.command(world.coordinator, "privacy erase", student=ben)
    await sb.click(world.coordinator, ask, t("privacy.erase_button", "en"))
    await sb.idle()
    async with sb.bot.ctx.db.read() as conn:
        rows = (await conn.execute(select(survey_answers))).all()
    assert [(r.text, r.choice) for r in rows] == [(None, None)]


async def test_a_post_survey_shows_its_pre_survey_beside_it(world: World) -> None:
    """The post survey is compared with the pre one: both figures, per city, side by side."""
    sb = world.sb
    pre = await created(world, title="Before", kind="pre")
    await sb.command(world.teacher, "survey send", survey=pre, city="Minneapolis")
    for name in FIRST:
        await answer_all(sb, world.students[name], [2, 2, 3, 3, 2])
    await sb.command(world.teacher, "survey close", survey=pre)
    made = await sb.command(world.teacher, "survey create", title="After", kind="post")
    assert "Compared with the pre survey “Before”" in made.text
    post = int(re.search(r"Survey #(\d+)", made.text)[1])  # type: ignore[index]
    await sb.command(world.teacher, "survey send", survey=post, city="Minneapolis")
    for name in FIRST:
        student = world.students[name]
        step = await sb.click(student, start_posts(sb, student)[-1], START)
        for point in (4, 4, 5, 5, 4):
            step = await sb.click(student, step, scale_label(point, "en"))
    for survey in (pre, post):
        found = await sb.command(world.teacher, "survey results", survey=survey)
        fields = {f["name"]: f["value"] for e in found.embeds for f in e["fields"]}
        value = fields[f"Q1 · Minneapolis — {t('survey.template.curious', 'en')}"]
        assert value.splitlines() == [
            "Pre: mean 2.00 of 5 · 5 answers · 1:0 2:5 3:0 4:0 5:0",
            "Post: mean 4.00 of 5 · 5 answers · 1:0 2:0 3:0 4:5 5:0",
        ]
        assert not any(name.startswith("Q1 · Najaf") for name in fields)
