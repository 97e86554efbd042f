"""Pairing through the real bot: previews, confirmed pairs in private spaces, swaps, history."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.i18n import t, unisolated
from bot.sandbox.driver import Sandbox, message_text
from bot.sandbox.permissions import P
from bot.sandbox.state import Channel, ChannelType
from bot.services.pairing import Welcome, WelcomeMember
from bot.store import roster
from bot.store.schema import activity, pairing_rounds, pairs
from cogs.adapters.spaces import welcome_embeds
from tests.sandbox.world import World, make_world


@pytest.fixture
async def world(sb: Sandbox) -> World:
    return await make_world(sb)


async def count(sb: Sandbox, table: object) -> int:
    async with sb.bot.ctx.db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())  # type: ignore[arg-type]


async def four_students(world: World) -> None:
    await world.add_student("Ali", 1, interests=("chess", "music"), languages=("ar", "en"))
    await world.add_student("Zainab", 1, interests=("football",), languages=("ar",))
    await world.add_student("Ben", 0, interests=("chess", "music"), languages=("en",))
    await world.add_student("Maya", 0, interests=("football", "drawing"), languages=("en", "es"))


def pair_spaces(sb: Sandbox) -> list[Channel]:
    return [c for c in sb.guild.channels.values() if c.name.startswith("pair-")]


async def test_preview_shows_pairs_with_reasons_and_creates_nothing(world: World) -> None:
    """A teacher sees who would be paired and why; nothing is created yet."""
    await four_students(world)
    reply = await world.sb.command(world.teacher, "pair preview")
    assert reply.ephemeral
    text = reply.text
    assert "Ali (Najaf) · Ben (Minneapolis)" in text or "Ben (Minneapolis) · Ali (Najaf)" in text
    assert "shared: chess and music" in text
    assert "/pair confirm" in text
    assert pair_spaces(world.sb) == []
    assert await count(world.sb, pairing_rounds) == 0


async def test_student_cannot_preview_pairs(world: World) -> None:
    """A student running /pair preview is told only teachers can; nothing happens."""
    await four_students(world)
    reply = await world.sb.command(world.students["Ben"], "pair preview")
    assert reply.ephemeral and "Only teachers" in reply.text
    assert await count(world.sb, pairing_rounds) == 0


async def test_a_student_is_answered_in_their_profiles_language(world: World) -> None:
    """Ali's profile says Arabic, which Discord's locales lack: the refusal comes in Arabic."""
    await four_students(world)
    reply = await world.sb.command(world.students["Ali"], "pair preview")
    assert reply.ephemeral and t("error.only_teacher", "ar") in reply.text


@pytest.mark.parametrize("command", ["pair preview", "pair confirm"])
@pytest.mark.parametrize(
    ("setup", "expected"),
    [("one", "at least two active students"), ("same-city", "All active students are in one city")],
)
async def test_pairing_needs_two_cities_and_two_students(
    world: World, setup: str, expected: str, command: str
) -> None:
    """Too few students, or all in one city, gets a clear answer and nothing is created."""
    await world.add_student("Ali", 1)
    if setup == "same-city":
        await world.add_student("Zainab", 1)
    reply = await world.sb.command(world.teacher, command)
    assert reply.ephemeral and expected in reply.text
    assert await count(world.sb, pairing_rounds) == 0
    assert pair_spaces(world.sb) == []


@pytest.mark.pseudo_locale  # always in the pseudo-locale: no text past the catalogue
async def test_confirm_creates_private_channels_with_a_welcome(world: World) -> None:
    """Each pair gets a private channel that only it, the teachers and coordinators can see."""
    sb = world.sb
    await four_students(world)
    reply = await sb.command(world.teacher, "pair confirm")
    assert "2 paired spaces created as private channels" in reply.text
    spaces = pair_spaces(sb)
    assert len(spaces) == 2
    category = sb.guild.channels[spaces[0].parent_id or 0]
    assert category.type == ChannelType.CATEGORY
    for name, student in world.students.items():
        visible = [c for c in spaces if c in sb.visible_channels(student)]
        assert len(visible) == 1, name
    for staff in (world.teacher, world.partner_teacher, world.coordinator):
        assert all(c in sb.visible_channels(staff) for c in spaces)
    outsider = sb.add_member("Visitor")
    assert not any(c in sb.visible_channels(outsider) for c in spaces)
    ali_space = next(c for c in spaces if c in sb.visible_channels(world.students["Ali"]))
    welcome = sb.messages_in(ali_space)
    assert len(welcome) == 1, "one welcome post"
    first = welcome[0]
    assert {world.students["Ali"].user.id, world.students["Ben"].user.id} == set(first.mentions)
    assert not first.mention_everyone
    assert "In common: chess and music" in message_text(first)


async def test_confirm_is_recorded_in_the_activity_log(world: World) -> None:
    """The round, its pairs and who confirmed them are stored."""
    await four_students(world)
    await world.sb.command(world.teacher, "pair confirm")
    assert await count(world.sb, pairing_rounds) == 1
    assert await count(world.sb, pairs) == 2
    async with world.sb.bot.ctx.db.read() as conn:
        row = (
            await conn.execute(select(activity).where(activity.c.kind == "pairing.confirmed"))
        ).one()
    assert row.actor_id == world.teacher.user.id


async def test_uneven_counts_make_a_trio_and_say_why(world: World) -> None:
    """Three students in one city and two in the other: nobody is left out."""
    await four_students(world)
    await world.add_student("Sara", 0, interests=("chess",))
    preview = await world.sb.command(world.teacher, "pair preview")
    assert "of three or more (for uneven numbers): 1" in preview.text
    await world.sb.command(world.teacher, "pair confirm")
    spaces = pair_spaces(world.sb)
    assert len(spaces) == 2
    trio_space = next(c for c in spaces if len(world.sb.messages_in(c)[0].mentions) == 3)
    welcome = message_text(world.sb.messages_in(trio_space)[0])
    assert "Why 3? In this round Minneapolis has 3 students and Najaf has 2" in welcome


async def test_a_city_with_over_twice_the_students_makes_groups_of_four(world: World) -> None:
    """Six in Minneapolis, two in Najaf: two groups of four, each told why they are four."""
    sb = world.sb
    for i in range(6):
        await world.add_student(f"M{i}", 0)
    for i in range(2):
        await world.add_student(f"N{i}", 1)
    await sb.command(world.teacher, "pair confirm")
    spaces = pair_spaces(sb)
    assert len(spaces) == 2
    for space in spaces:
        (post,) = sb.messages_in(space)
        assert len(post.mentions) == 4
        text = message_text(post)
        assert "just for the 4 of you" in text
        assert "Why 4? In this round Minneapolis has 6 students and Najaf has 2" in text


async def test_paused_students_are_not_paired(world: World) -> None:
    """A paused student stays out of the round."""
    await four_students(world)
    await world.add_student("Omar", 1, status="paused")
    reply = await world.sb.command(world.teacher, "pair preview")
    assert "Omar" not in reply.text
    assert "1 paused student is left out" in reply.text


async def test_keep_apart_is_never_violated(world: World) -> None:
    """Two students marked keep-apart never share a space, even when they match best."""
    sb = world.sb
    await four_students(world)
    async with sb.bot.ctx.db.transaction() as conn:
        ali = await roster.find(conn, world.exchange_id, world.students["Ali"].user.id)
        ben = await roster.find(conn, world.exchange_id, world.students["Ben"].user.id)
        assert ali and ben
        await roster.add_keep_apart(
            conn, world.exchange_id, ali.id, ben.id, world.teacher.user.id, sb.now()
        )
    await sb.command(world.teacher, "pair confirm")
    for space in pair_spaces(sb):
        seen = {m.user.id for m in world.students.values() if space in sb.visible_channels(m)}
        assert not {world.students["Ali"].user.id, world.students["Ben"].user.id} <= seen


async def test_next_round_avoids_repeats_and_archives_old_spaces(world: World) -> None:
    """A second round pairs new partners; the old spaces become read-only, not deleted."""
    sb = world.sb
    await four_students(world)
    await sb.command(world.teacher, "pair confirm")
    first_spaces = pair_spaces(sb)
    ali = world.students["Ali"]
    first_partner = next(
        m
        for n, m in world.students.items()
        if n != "Ali"
        and any(c in sb.visible_channels(m) and c in sb.visible_channels(ali) for c in first_spaces)
    )
    reply = await sb.command(world.teacher, "pair confirm")
    assert "2 earlier pairs archived" in reply.text
    for old in first_spaces:
        assert old.name.startswith("archived-")
        assert old.id in sb.guild.channels
        assert not sb.guild.permissions_in(
            ali.user.id, old.id
        ) & P.SEND_MESSAGES or old not in sb.visible_channels(ali)
    new_spaces = [c for c in pair_spaces(sb) if c not in first_spaces]
    ali_new = next(c for c in new_spaces if c in sb.visible_channels(ali))
    assert ali_new not in sb.visible_channels(first_partner)


async def test_missing_manage_channels_is_named_and_nothing_is_created(world: World) -> None:
    """Without Manage Channels the teacher is told which permission is missing."""
    sb = world.sb
    await four_students(world)
    sb.set_bot_permissions(int(P.VIEW_CHANNEL | P.SEND_MESSAGES | P.MANAGE_ROLES))
    reply = await sb.command(world.teacher, "pair confirm")
    assert "I need the **Manage Channels and Create Private Threads** permissions" in reply.text
    assert pair_spaces(sb) == []
    assert await count(sb, pairing_rounds) == 0


async def test_missing_manage_roles_is_named_and_nothing_is_created(world: World) -> None:
    """Private channels need Manage Roles (permission overwrites): the teacher is told so, with
    every other permission the overwrites set that the bot lacks."""
    sb = world.sb
    await four_students(world)
    sb.set_bot_permissions(int(P.VIEW_CHANNEL | P.SEND_MESSAGES | P.MANAGE_CHANNELS))
    reply = await sb.command(world.teacher, "pair confirm")
    assert reply.ephemeral
    assert (
        "I need the **Manage Roles and Create Private Threads** permissions for that." in reply.text
    )
    assert pair_spaces(sb) == []
    assert await count(sb, pairing_rounds) == 0


async def test_preview_says_how_long_each_pair_is_awake_together(world: World) -> None:
    """Waking hours come from each city's zone on the pairing day (CDT in September: 6 h)."""
    await four_students(world)
    reply = await world.sb.command(world.teacher, "pair preview")
    assert reply.text.count("🕒 6 h awake together") == 2
    assert "Waking hours shared by the two cities today: 6 h" in reply.text


async def test_the_welcome_speaks_each_students_language_with_local_times(world: World) -> None:
    """One post: a part in Arabic for Ali and in English for Ben, each one's local time, the
    stretch both are awake as Discord timestamps, and both introductions."""
    sb = world.sb
    ali = await world.add_student(
        "Ali", 1, languages=("ar", "en"), interests=("chess",), intro="أحب الشطرنج"
    )
    await world.add_student("Ben", 0, interests=("chess",), intro="I play chess.")
    await sb.command(world.teacher, "pair confirm")
    space = next(c for c in pair_spaces(sb) if c in sb.visible_channels(ali))
    (post,) = sb.messages_in(space)
    titles = [e["title"] for e in post.embeds]
    assert t("pair.welcome_title", "ar", exchange="Minneapolis–Najaf") in titles
    assert t("pair.welcome_title", "en", exchange="Minneapolis–Najaf") in titles
    text = message_text(post)
    assert "🎯 اهتمامات مشتركة: الشطرنج" in unisolated(text) and "🎯 In common: chess" in text

    def stamp(day: int, hour: int) -> str:
        return f"<t:{int(datetime(2026, 9, day, hour, tzinfo=UTC).timestamp())}:t>"

    # 12:00 UTC on 1 September: 07:00 in Minneapolis (CDT), 15:00 in Najaf. Each one's
    # 07:00-21:00 day, and the stretch both are awake, render in the reader's own time.
    # Their clocks as each reader writes a time: Arabic (Latin digits), then English.
    assert f"🕒 7:00 ص / 7:00\u202fAM · ☀️ {stamp(1, 12)}–{stamp(2, 2)}\n🌍 America/Chicago" in text
    assert f"🕒 3:00 م / 3:00\u202fPM · ☀️ {stamp(1, 4)}–{stamp(1, 18)}\n🌍 Asia/Baghdad" in text
    assert f"between {stamp(1, 12)} and {stamp(1, 18)}" in text
    assert t("pair.welcome_legend", "ar") in text
    assert "أحب الشطرنج" in text and "I play chess." in text
    assert "Why 2?" not in text and "Why" not in text


async def test_the_fullest_welcome_stays_within_discords_limits(world: World) -> None:
    """A trio in three languages, with 500-character intros and eight long shared interests,
    still gets its one welcome post (Discord allows 6000 characters over its embeds)."""
    sb = world.sb
    long_interests = tuple(f"{word} " * 19 + str(i) for i, word in enumerate("abcdefgh"))
    for name, city, speaks in (
        ("A" * 32, 1, ("ar",)),
        ("B" * 32, 0, ("en",)),
        ("C" * 32, 0, ("es",)),
    ):
        await world.add_student(
            name, city, languages=speaks, interests=long_interests, intro="ق" * 500
        )
    await sb.command(world.teacher, "pair confirm")
    (space,) = pair_spaces(sb)
    (post,) = sb.messages_in(space)
    assert len(post.embeds) == 4  # Arabic, English, Spanish, then the three introductions
    intros = [f["value"] for f in post.embeds[-1]["fields"]]
    assert all("ققق" in intro for intro in intros)


async def test_a_large_exchange_previews_in_pages(world: World) -> None:
    """300 students: the answer is deferred, ten groups a page within Discord's limits, ▶ turns."""
    sb = world.sb
    for i in range(300):
        await world.add_student(f"S{i:03d}", i % 2, interests=("chess",) if i % 3 else ("music",))
    reply = await sb.command(world.teacher, "pair preview")
    assert reply.deferred
    assert "Groups: 150" in reply.text and "Page 1 of 15" in reply.text
    assert reply.text.count("🕒") == 10
    await sb.click(world.teacher, reply, "▶")
    assert "Page 2 of 15" in reply.text and "11. " in reply.text
    assert await count(sb, pairing_rounds) == 0


async def test_many_pairs_overflow_into_a_second_category(world: World) -> None:
    """51 pairs do not fit one category's 50 channels: a second category holds the rest."""
    sb = world.sb
    for i in range(102):
        await world.add_student(f"S{i:03d}", i % 2)
    reply = await sb.command(world.teacher, "pair confirm")
    assert reply.deferred and "51 paired spaces created as private channels" in reply.text
    parents = {c.parent_id for c in pair_spaces(sb)}
    assert len(parents) == 2
    sizes = sorted(len(sb.channels(parent=sb.guild.channels[p or 0])) for p in parents)
    assert sizes == [1, 50]


async def test_exchange_too_big_for_channels_uses_private_threads(world: World) -> None:
    """When the guild cannot hold more channels, pairs get private threads; the reply says so."""
    sb = world.sb
    await four_students(world)
    for i in range(498 - len(sb.guild.channels)):
        sb.add_channel(f"club-{i}")
    await sb.idle()
    preview = await sb.command(world.teacher, "pair preview")
    assert "Spaces: private threads (the server is too full for channels)" in preview.text
    reply = await sb.command(world.teacher, "pair confirm")
    assert "private threads" in reply.text
    threads = [c for c in sb.guild.channels.values() if c.type == ChannelType.PRIVATE_THREAD]
    assert len(threads) == 2
    for thread in threads:
        members = [m for m in world.students.values() if thread in sb.visible_channels(m)]
        assert len(members) == 2
        assert thread in sb.visible_channels(world.teacher)
        assert thread in sb.visible_channels(world.coordinator)


async def test_swap_moves_two_students_between_pairs(world: World) -> None:
    """Swapping two same-city students changes who sees which space."""
    sb = world.sb
    await four_students(world)
    await sb.command(world.teacher, "pair confirm")
    ali, zainab = world.students["Ali"], world.students["Zainab"]
    ali_before = next(c for c in pair_spaces(sb) if c in sb.visible_channels(ali))
    reply = await sb.command(world.teacher, "pair swap", first=ali, second=zainab)
    assert "Swapped" in reply.text
    assert ali_before not in sb.visible_channels(ali)
    assert ali_before in sb.visible_channels(zainab)


async def test_swap_across_cities_is_refused(world: World) -> None:
    """Swapping students of different cities would break cross-city pairs: refused."""
    await four_students(world)
    await world.sb.command(world.teacher, "pair confirm")
    reply = await world.sb.command(
        world.teacher, "pair swap", first=world.students["Ali"], second=world.students["Ben"]
    )
    assert "same city" in reply.text


async def test_remove_archives_the_pair_space(world: World) -> None:
    """Removing a pair makes its space read-only and keeps it."""
    sb = world.sb
    await four_students(world)
    await sb.command(world.teacher, "pair confirm")
    ali = world.students["Ali"]
    space = next(c for c in pair_spaces(sb) if c in sb.visible_channels(ali))
    reply = await sb.command(world.teacher, "pair remove", student=ali)
    assert "read-only" in reply.text
    assert space.name.startswith("archived-")
    assert not sb.guild.permissions_in(ali.user.id, space.id) & P.SEND_MESSAGES


async def test_history_lists_rounds(world: World) -> None:
    """/pair history shows each round and its groups."""
    await four_students(world)
    await world.sb.command(world.teacher, "pair confirm")
    reply = await world.sb.command(world.teacher, "pair history")
    assert "Round 1" in reply.text and "Ali" in reply.text


def test_the_welcome_never_passes_6000_characters() -> None:
    """Even with intros longer than today's limit (older data), the welcome's embeds share
    Discord's 6000 characters: the intros are clipped alike, everything else is kept."""
    now = datetime(2026, 9, 1, 12, tzinfo=UTC)
    interests = tuple(f"{letter} " * 19 + letter for letter in "abcdefgh")
    members = tuple(
        WelcomeMember(
            user_id=i,
            name=name * 32,
            city="C" * 100,
            timezone="America/Argentina/ComodRivadavia",
            intro="ق" * 4000,
            languages=("ar", "en", "es"),
            language=language,
            local_time=now,
            awake=(now, now),
        )
        for i, (name, language) in enumerate((("A", "ar"), ("B", "en"), ("C", "es")))
    )
    welcome = Welcome("E" * 100, members, interests, ("en",), (now, now), (("C" * 100, 2),) * 2)
    embeds = welcome_embeds(welcome)
    assert sum(len(e) for e in embeds) <= 6000
    assert all(len(f.value or "") <= 1024 for e in embeds for f in e.fields)
    assert all("ققق" in (f.value or "") for f in embeds[-1].fields)
