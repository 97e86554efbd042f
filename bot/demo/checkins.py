"""Chapter: "did you meet?" — a week after the round, each pair is asked privately; one
student answers, another changes their mind (issue 23)."""

from __future__ import annotations

from datetime import timedelta

from bot.demo.story import DemoRun
from bot.i18n import t
from bot.sandbox.state import Channel

# The chapter's heading on the demo's page (index.html).
TITLE = "Did you meet? A check-in a week after pairing"


async def chapter(run: DemoRun) -> None:
    """Teachers turn check-ins on; a week later Ali's partner answers, Ali answers then
    changes it."""
    sb, story = run.sb, run.story
    teacher = run.teachers["Ms Rivera"]

    story.section("Teachers ask each pair, a week after the round, whether they talked")
    await sb.command(teacher, "checkins", days=7)
    with story.quietly():
        await sb.advance(timedelta(days=7, hours=1))
    ali = run.member("Ali")
    space = next(s for s in run.pair_spaces if sb.guild.can_view(ali.user.id, s.id))
    partners = [
        m for n, m in run.students.items() if n != "Ali" and sb.guild.can_view(m.user.id, space.id)
    ]
    post = [m for m in sb.messages_in(space) if m.components][-1]
    story.note(f"#{space.name} gets the check-in, in each member's language")
    await sb.click(partners[0], post, _label(run, space, "yes"))
    await sb.click(ali, post, _label(run, space, "not_yet"))
    story.note("Ali had answered too soon: they did talk, so Ali changes the answer")
    await sb.click(ali, post, _label(run, space, "yes"))


def _label(run: DemoRun, space: Channel, answer: str) -> str:
    """The button's label: the answer in each language of the space's members."""
    post = [m for m in run.sb.messages_in(space) if m.components][-1]
    wanted = {t(f"meet.button.{answer}", lang) for lang in ("en", "ar", "es", run.speaks("en"))}
    for row in post.components:
        for item in row.get("components", []):
            label = str(item.get("label", ""))
            if wanted & set(label.split(" · ")):
                return label
    raise LookupError(answer)
