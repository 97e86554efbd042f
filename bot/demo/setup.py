"""Chapter 1: a coordinator sets up Minneapolis ↔ Najaf, students join, teachers pair them."""

from __future__ import annotations

from dataclasses import dataclass

from bot.demo.story import DemoRun, footer_number
from bot.domain.exchange import MAX_INTERESTS
from bot.i18n import t

# The chapter's heading on the demo's page (index.html).
TITLE = "Setting up: an exchange, its people, their pairs"


@dataclass(frozen=True, slots=True)
class Newcomer:
    """A student of the story and what they choose when they run /join."""

    name: str
    city: str
    language: str  # the language the bot speaks to them
    speaks: tuple[str, ...]
    interests: tuple[str, ...]
    intro: str


# Three in Minneapolis and two in Najaf, so one pair becomes a trio and nobody is left out.
STUDENTS = (
    Newcomer("Ali", "Najaf", "ar", ("ar", "en"), ("chess", "football"), "أحب الشطرنج وكرة القدم."),
    Newcomer(
        "Ben",
        "Minneapolis",
        "en",
        ("en",),
        ("chess", "music"),
        "I play the trumpet and love chess.",
    ),
    Newcomer(
        "Maya",
        "Minneapolis",
        "en",
        ("en", "es"),
        ("football", "drawing"),
        "Striker on my school team!",
    ),
    Newcomer(
        "Sofia",
        "Minneapolis",
        "es",
        ("es", "en"),
        ("cooking", "music"),
        "Mi abuela me enseñó a cocinar tamales.",
    ),
    Newcomer("Zainab", "Najaf", "ar", ("ar",), ("drawing", "cooking"), "أرسم كل يوم بعد المدرسة."),
)
SHOWN_IN_FULL = 2  # the first two joins are told step by step; the others join the same way


async def chapter(run: DemoRun) -> None:
    """Roles, the exchange, its channels, five students, and the pairs in private spaces."""
    sb, story = run.sb, run.story
    story.section("Twinbridge, offline: the real bot in a loopback Discord")
    story.note(f"server '{sb.guild.name}', bot logged in as {sb.server.bot_user.username}")
    await sb.command(sb.owner, "about")

    story.section("A coordinator sets up Minneapolis ↔ Najaf")
    run.roles = {
        "student": sb.add_role("Students"),
        "teacher": sb.add_role("Teachers"),
        "coordinator": sb.add_role("Coordinators"),
    }
    await sb.command(
        sb.owner,
        "exchange roles",
        student=run.roles["student"],
        teacher=run.roles["teacher"],
        coordinator=run.roles["coordinator"],
    )
    run.coordinator = sb.add_member(
        "Dr Baker", roles=[run.roles["coordinator"]], locale=run.client_locale
    )
    reply = await sb.command(
        run.coordinator,
        "exchange create",
        name="Minneapolis–Najaf",
        city_a="Minneapolis",
        zone_a="America/Chicago",
        languages_a=run.language or "en, es",
        city_b="Najaf",
        zone_b="Asia/Baghdad",
        languages_b=run.language or "ar, en",
        weekend_b="fri,sat",
    )
    run.exchange_id = footer_number(reply)
    run.teachers["Ms Rivera"] = sb.add_member(
        "Ms Rivera", roles=[run.roles["teacher"]], locale=run.client_locale
    )
    # Discord has no Arabic: his client is in English, his profile (below) says Arabic.
    run.teachers["Ustadh Kareem"] = sb.add_member(
        "Ustadh Kareem", roles=[run.roles["teacher"]], locale=run.client_locale
    )
    run.announcements = sb.add_channel("exchange")
    run.teachers_channel = sb.add_channel(
        "teachers", private_to=[run.roles["teacher"], run.roles["coordinator"]]
    )
    await sb.command(
        run.coordinator,
        "exchange channels",
        announcements=run.announcements,
        teachers=run.teachers_channel,
    )

    story.section("Teachers register with their city")
    await sb.command(
        run.teachers["Ms Rivera"], "join", city="Minneapolis", language=run.speaks("en")
    )
    await sb.command(run.teachers["Ustadh Kareem"], "join", city="Najaf", language=run.speaks("ar"))

    story.section("Students of both cities join with /join")
    for number, newcomer in enumerate(STUDENTS):
        if number < SHOWN_IN_FULL:
            await _join(run, newcomer)
        else:
            with story.quietly():
                await _join(run, newcomer)
            story.note(
                f"{newcomer.name} joins from {newcomer.city} the same way "
                f"({', '.join(newcomer.interests)})"
            )

    story.section("Teachers record each student's guardian consent (needed before pairing)")
    # Each teacher records it for their own city's students only; Zainab's form comes later.
    teacher_of = {"Minneapolis": "Ms Rivera", "Najaf": "Ustadh Kareem"}
    for number, newcomer in enumerate(STUDENTS):
        if newcomer.name == "Zainab":
            continue
        student = run.students[newcomer.name]
        teacher = run.teachers[teacher_of[newcomer.city]]
        if number < SHOWN_IN_FULL:
            await sb.command(teacher, "roster consent", student=student, on_file=True)
        else:
            with story.quietly():
                await sb.command(teacher, "roster consent", student=student, on_file=True)

    story.section("A teacher checks the roster")
    await sb.command(run.teachers["Ms Rivera"], "roster list")

    story.section("Teachers preview and confirm the pairs")
    teacher = run.teachers["Ms Rivera"]
    story.note("the preview names Zainab: she waits for her guardian's consent")
    await sb.command(teacher, "pair preview")
    story.note("Zainab's form arrives: Ustadh Kareem records it, and she is in the round")
    await sb.command(
        run.teachers["Ustadh Kareem"],
        "roster consent",
        student=run.students["Zainab"],
        on_file=True,
    )
    await sb.command(teacher, "pair confirm")
    run.pair_spaces = sorted(
        (c for c in sb.guild.channels.values() if c.name.startswith("pair-")), key=lambda c: c.name
    )
    for space in run.pair_spaces:
        viewers = [
            m.user.global_name
            for m in run.students.values()
            if sb.guild.can_view(m.user.id, space.id)
        ]
        story.note(
            f"#{space.name} is private to {', '.join(v or '?' for v in viewers)} and the teachers"
        )


async def _join(run: DemoRun, who: Newcomer) -> None:
    """The student runs /join, picks in the panel's menus and sends the introduction form."""
    sb, lang = run.sb, run.speaks(who.language)
    member = sb.add_member(who.name, roles=[run.roles["student"]], locale=run.client_locale)
    run.students[who.name] = member
    panel = await sb.command(member, "join", city=who.city, language=lang)
    await sb.choose(member, panel, ["13-15"], placeholder=t("roster.pick_band", lang))
    await sb.choose(member, panel, list(who.speaks), placeholder=t("roster.pick_languages", lang))
    await sb.choose(
        member,
        panel,
        list(who.interests),
        placeholder=t("roster.pick_interests", lang, limit=MAX_INTERESTS),
    )
    form = await sb.click(member, panel, t("roster.continue", lang))
    run.story.note(f"{who.name} writes in the form: “{who.intro}”")
    await sb.submit(member, form, intro=who.intro)
