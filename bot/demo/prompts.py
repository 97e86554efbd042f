"""Chapter: discussion prompts get the pairs talking, and teachers see who answered."""

from __future__ import annotations

from bot.demo.story import DemoRun
from bot.sandbox.state import Channel, Member

# The chapter's heading on the demo's page (index.html).
TITLE = "Discussion prompts"


def _space_and_members(run: DemoRun, student: str) -> tuple[Channel, list[Member]]:
    """A student's paired space and the students in it."""
    me = run.students[student]
    space = next(s for s in run.pair_spaces if run.sb.guild.can_view(me.user.id, s.id))
    members = [m for m in run.students.values() if run.sb.guild.can_view(m.user.id, space.id)]
    return space, members


async def chapter(run: DemoRun) -> None:
    """A teacher adds a prompt and posts it; a pair answers; teachers view response rates."""
    sb, story = run.sb, run.story
    teacher, kareem = run.teachers["Ms Rivera"], run.teachers["Ustadh Kareem"]

    story.section("Teachers add their own prompt and post it to every pair")
    story.note(
        "79 built-in prompts ship in English, Arabic and Spanish; an exchange adds its own, "
        "and they come up first"
    )
    await sb.command(
        kareem,
        "prompt add",
        arabic="لو جاء شريكك إلى مدينتك غدًا، فما أكلة الشارع التي ستشتريها له أولًا؟",
        english="If your partner came to your city tomorrow, which street food would you buy "
        "them first?",
        theme="food",
    )
    story.note("translations are optional; Ms Rivera adds the Spanish one for her students")
    await sb.command(
        teacher,
        "prompt edit",
        prompt="own-1",
        spanish="Si tu compañero/a viniera mañana a tu ciudad, ¿qué comida callejera le "
        "comprarías primero?",
    )
    await sb.command(teacher, "prompt now")

    story.section("A pair answers in its space, each in their own language")
    space, members = _space_and_members(run, "Ali")
    ali = run.students["Ali"]
    partner = next(m for m in members if m is not ali)
    await sb.say(ali, space, "الفلافل من السوق الكبير، مع عصير الرمان! 🥙")
    await sb.say(partner, space, "Walleye on a stick at the State Fair 😄 Have you tried it?")
    story.note("the bot keeps who answered, when and which prompt; never what they wrote")
    story.note("a pair may ask for one more prompt a day; too soon, it is told when")
    await sb.command(partner, "prompt next", where=space)

    story.section("Teachers see which prompts got answers")
    await sb.command(teacher, "prompt stats")
