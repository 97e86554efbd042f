"""Chapter: a survey for funders — the built-in pre/post statements, sent to the pair spaces,
answered privately (Ali in Arabic, stopping half-way and coming back), and results that show
no figure for a group under five (issue 23)."""

from __future__ import annotations

import re

from bot.demo.story import DemoRun
from bot.i18n import t
from bot.sandbox.driver import Reply, iter_components
from bot.sandbox.state import Member, Message

# The chapter's heading on the demo's page (index.html).
TITLE = "Surveys for funders: what students think of the partner city"


def _scale(point: int, language: str) -> str:
    """A button of the agree scale, as the student sees it."""
    return f"{point} · {t(f'survey.scale.{point}', language)}"


def _start_label(post: Message) -> str:
    for item in iter_components(post.components):
        if str(item.get("custom_id", "")).startswith("tb:survey.start:"):
            return str(item["label"])
    raise LookupError("no Start button")


async def _answer(run: DemoRun, who: Member, post: Message, points: list[int], lang: str) -> Reply:
    step = await run.sb.click(who, post, _start_label(post))
    for point in points:
        step = await run.sb.click(who, step, _scale(point, lang))
    return step


async def chapter(run: DemoRun) -> None:
    """Ms Rivera creates and sends the pre survey; Ali and Ben answer; the results."""
    sb, story = run.sb, run.story
    teacher = run.teachers["Ms Rivera"]

    story.section("A teacher sends the built-in survey on the partner city to every pair")
    made = await sb.command(teacher, "survey create", title="Our partner city", kind="pre")
    found = re.search(r"#(\d+)", made.text)
    assert found, made.text
    survey = int(found[1])
    await sb.command(teacher, "survey send", survey=survey)

    ali, ben = run.member("Ali"), run.member("Ben")
    for who, points, lang, note in (
        (ali, [5, 3], "ar", "Ali answers privately, in Arabic, and stops after two statements"),
        (ben, [4, 4, 3, 5, 4], "en", "Ben answers all five"),
    ):
        space = next(s for s in run.pair_spaces if sb.guild.can_view(who.user.id, s.id))
        post = [m for m in sb.messages_in(space) if m.components][-1]
        story.note(note)
        await _answer(run, who, post, points, lang)
    space = next(s for s in run.pair_spaces if sb.guild.can_view(ali.user.id, s.id))
    post = [m for m in sb.messages_in(space) if m.components][-1]
    story.note("Later, Ali presses Start again: the survey goes on at the third statement")
    await _answer(run, ali, post, [4, 4, 5], "ar")

    story.section("Results per city: too few answers to show any figure yet")
    results = await sb.command(teacher, "survey results", survey=survey)
    folder = run.out / "surveys"
    folder.mkdir(parents=True, exist_ok=True)
    for attachment in results.files:
        (folder / attachment.filename).write_bytes(bytes(attachment.data))
    story.note(
        f"saved {', '.join(a.filename for a in results.files)} in {folder}/: a group (a city, "
        "a statement) under five answers shows no figure, so no student's answer can be read"
    )
