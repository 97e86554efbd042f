"""Chapter 1: a coordinator sets up Minneapolis ↔ Najaf, students join, teachers pair them."""

from __future__ import annotations

from bot.demo.story import DemoRun
from bot.domain.exchange import Role
from bot.store import roster

# (name, city index, languages, interests, intro); three in Minneapolis and two in Najaf, so
# one pair becomes a trio and nobody is left out.
STUDENTS = (
    ("Ben", 0, ("en",), ("chess", "music"), "I play the trumpet and love chess."),
    ("Maya", 0, ("en", "es"), ("football", "drawing"), "Striker on my school team!"),
    ("Sofia", 0, ("es", "en"), ("cooking", "music"), "My grandmother taught me to cook tamales."),
    ("Ali", 1, ("ar", "en"), ("chess", "football"), "أحب الشطرنج وكرة القدم."),
    ("Zainab", 1, ("ar",), ("drawing", "cooking"), "أرسم كل يوم بعد المدرسة."),
)


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
    run.coordinator = sb.add_member("Dr Baker", roles=[run.roles["coordinator"]])
    reply = await sb.command(
        run.coordinator,
        "exchange create",
        name="Minneapolis–Najaf",
        city_a="Minneapolis",
        zone_a="America/Chicago",
        languages_a="en, es",
        city_b="Najaf",
        zone_b="Asia/Baghdad",
        languages_b="ar, en",
        weekend_b="fri,sat",
    )
    run.exchange_id = int(reply.embeds[0]["footer"]["text"].rsplit("#", 1)[1])
    run.teachers["Ms Rivera"] = sb.add_member("Ms Rivera", roles=[run.roles["teacher"]])
    run.teachers["Ustadh Kareem"] = sb.add_member(
        "Ustadh Kareem", roles=[run.roles["teacher"]], locale="ar"
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

    story.section("Students of both cities join")
    exchange = await _exchange_cities(run)
    for name, city, languages, interests, intro in STUDENTS:
        member = sb.add_member(name, roles=[run.roles["student"]])
        run.students[name] = member
        # Until /join lands, profiles are recorded as /join would record them.
        async with sb.bot.ctx.db.transaction() as conn:
            await roster.add(
                conn,
                guild_id=sb.guild.id,
                exchange_id=run.exchange_id,
                user_id=member.user.id,
                role=Role.STUDENT,
                display_name=name,
                city_id=exchange[city],
                now=sb.now(),
                grade_band="13-15",
                languages=languages,
                interests=interests,
                intro=intro,
            )
        story.note(f"{name} joined from {('Minneapolis', 'Najaf')[city]}")

    story.section("Teachers preview and confirm the pairs")
    teacher = run.teachers["Ms Rivera"]
    await sb.command(teacher, "pair preview")
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


async def _exchange_cities(run: DemoRun) -> tuple[int, int]:
    from bot.store.exchanges import get_exchange

    async with run.sb.bot.ctx.db.read() as conn:
        exchange = await get_exchange(conn, run.sb.guild.id, run.exchange_id)
    assert exchange is not None
    return exchange.cities[0].id, exchange.cities[1].id
