"""Chapter: "did you meet?" — a week after the round, each pair is asked privately; one
student answers, another changes their mind; and rounds on a schedule, whose preview a teacher
skips (issue 23)."""

from __future__ import annotations

from datetime import timedelta

from bot.demo.story import DemoRun
from bot.i18n import t
from bot.sandbox.state import Channel
from bot.services.rounds import DUE_KIND
from bot.store import sends

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
    await _scheduled_round(run)


async def _scheduled_round(run: DemoRun) -> None:
    """A round every four weeks from today: its preview reaches the teachers' channel, and a
    teacher skips it (the pairs are a week old); then the schedule is turned off again."""
    sb, story = run.sb, run.story
    teacher = run.teachers["Ms Rivera"]
    assert run.teachers_channel is not None
    story.section("Rounds on a schedule: nobody is re-paired without a teacher's click")
    await sb.command(teacher, "pair cadence", every="4")
    async with sb.bot.ctx.db.read() as conn:
        due = [
            s.due_at
            for s in await sends.with_prefix(conn, f"{DUE_KIND}:{run.exchange_id}:")
            if s.status is sends.SendStatus.PENDING
        ]
    if due and min(due) > sb.now():
        with story.quietly():
            await sb.advance_to(min(due) + timedelta(minutes=1))
    await sb.idle()
    # The label holds "Skip this round" in each of the exchange's languages (the demo's may
    # be any of the bot's).
    skips = {t("rounds.button.skip", lang) for lang in ("en", "ar", "es", "fr", "tr")}

    def skipping(component: dict[str, object]) -> bool:
        return bool(skips & set(str(component.get("label", "")).split(" · ")))

    post = next(
        m
        for m in reversed(sb.messages_in(run.teachers_channel))
        if any(skipping(c) for row in m.components for c in row["components"])
    )
    story.note("The teachers' channel gets the round's preview with Confirm and Skip this round")
    label = next(
        str(c["label"]) for row in post.components for c in row["components"] if skipping(c)
    )
    await sb.click(run.teachers["Ustadh Kareem"], post, label)
    await sb.command(teacher, "pair cadence", every="off")


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
