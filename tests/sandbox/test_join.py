"""Students and teachers join an exchange, and students keep their own profile, through the bot."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.domain.exchange import MAX_INTERESTS, Role
from bot.i18n import t, unisolated
from bot.sandbox.driver import Sandbox, SandboxError
from bot.sandbox.permissions import P
from bot.sandbox.state import Member
from bot.store import roster
from bot.store.schema import profile_drafts
from tests.sandbox.roster_steps import (
    activity_details,
    activity_kinds,
    choose_profile,
    chosen,
    form_values,
    join,
    on_roster,
    participant_count,
)
from tests.sandbox.world import World, make_world


@pytest.fixture
async def world(sb: Sandbox) -> World:
    return await make_world(sb)


@pytest.fixture
async def newcomers(sb: Sandbox) -> World:
    """The world before its teachers joined: whoever joins here is the first on the roster."""
    return await make_world(sb, teachers_joined=False)


@pytest.mark.pseudo_locale  # always in the pseudo-locale: no text past the catalogue
@pytest.mark.parametrize(
    ("city", "language", "speaks", "intro"),
    [
        ("Najaf", "ar", ("ar", "en"), "أحب الشطرنج وكرة القدم 🙂"),
        ("Minneapolis", "es", ("es", "en"), "Me encanta el ajedrez."),
        ("Minneapolis", "en", ("en",), "I play the trumpet."),
    ],
)
async def test_a_student_joins_from_either_city(
    world: World, city: str, language: str, speaks: tuple[str, ...], intro: str
) -> None:
    """The same /join works in both cities; the profile is stored as chosen and typed."""
    sb = world.sb
    student = sb.add_member("Sam", roles=[world.students_role])
    done = await join(
        sb,
        student,
        city,
        language=language,
        band="16-18",
        languages=speaks,
        interests=("chess", "music"),
        intro=intro,
        other="falconry, Poetry",
    )
    assert done.ephemeral
    assert t("roster.joined", language, exchange="Minneapolis–Najaf") in done.text
    me = await on_roster(sb, world.exchange_id, student)
    assert me is not None
    assert me.role is Role.STUDENT and me.status == "active"
    assert me.city_id == world.city_ids[0 if city == "Minneapolis" else 1]
    assert me.grade_band == "16-18"
    assert me.languages == speaks
    assert me.interests == ("chess", "music", "falconry", "poetry")
    assert me.intro == intro
    assert me.language == language
    # The profile card lists in the reader's own way (CLDR): "العربية وEnglish" in Arabic,
    # "Español y English" in Spanish.
    joined = {"ar": "العربية وEnglish", "es": "Español y English", "en": "English and Español"}
    if len(speaks) > 1:
        assert joined[language] in unisolated(done.text)


async def test_the_panel_speaks_the_language_the_student_picks(world: World) -> None:
    """Picking العربية redraws the panel in Arabic, before anything is saved."""
    sb = world.sb
    ali = sb.add_member("Ali", roles=[world.students_role])
    panel = await sb.command(ali, "join", city="Najaf")
    assert t("roster.pick_band", "en") in str(panel.components)
    await sb.choose(ali, panel, ["ar"], placeholder=t("roster.pick_bot_language", "en"))
    assert t("roster.pick_band", "ar") in str(panel.components)
    assert t("roster.join_title", "ar", exchange="Minneapolis–Najaf", city="Najaf") in panel.text
    assert await on_roster(sb, world.exchange_id, ali) is None


async def test_joining_is_logged_without_the_intro(newcomers: World) -> None:
    """The activity log records the join (who, city, band) but never the student's words."""
    world = newcomers
    sb = world.sb
    ali = sb.add_member("Ali", roles=[world.students_role])
    await join(sb, ali, "Najaf", intro="My secret hobby is origami")
    assert "roster.joined" in await activity_kinds(sb)
    (details,) = await activity_details(sb, "roster.joined")
    assert '"via": "join"' in details and "origami" not in details


async def test_the_bot_then_speaks_the_students_language(world: World) -> None:
    """After joining in Arabic, the bot's refusals come in Arabic (Discord has no Arabic)."""
    sb = world.sb
    ali = sb.add_member("Ali", roles=[world.students_role])
    await join(sb, ali, "Najaf", language="ar", languages=("ar",))
    reply = await sb.command(ali, "pair preview")
    assert t("error.only_teacher", "ar") in reply.text


async def test_joining_twice_is_refused_and_changes_nothing(world: World) -> None:
    """A second /join says where the student already is and stores nothing new."""
    sb = world.sb
    ali = sb.add_member("Ali", roles=[world.students_role])
    await join(sb, ali, "Najaf", intro="First intro")
    before = (await participant_count(sb), await activity_kinds(sb))
    reply = await sb.command(ali, "join", city="Minneapolis")
    assert reply.ephemeral
    assert "You already joined Minneapolis–Najaf (from Najaf)" in reply.text
    assert "/profile" in reply.text
    assert (await participant_count(sb), await activity_kinds(sb)) == before
    me = await on_roster(sb, world.exchange_id, ali)
    assert me is not None and me.intro == "First intro"


async def test_a_second_panel_cannot_join_twice(newcomers: World) -> None:
    """Two panels opened before joining: the second one's form is refused on the panel."""
    world = newcomers
    sb = world.sb
    ali = sb.add_member("Ali", roles=[world.students_role])
    first = await sb.command(ali, "join", city="Najaf")
    second = await sb.command(ali, "join", city="Najaf")
    for panel in (first, second):
        await choose_profile(sb, ali, panel, "en", "13-15", ("ar",), ("chess",))
    form = await sb.click(ali, first, t("roster.continue", "en"))
    await sb.submit(ali, form, intro="Hello")
    form = await sb.click(ali, second, t("roster.continue", "en"))
    refused = await sb.submit(ali, form, intro="Hello again")
    assert "You already joined" in refused.text
    assert await participant_count(sb) == 1


async def test_a_3000_character_intro_is_refused_and_kept_for_fixing(newcomers: World) -> None:
    """An over-long intro is refused on the panel; nothing is stored; the form reopens with it."""
    world = newcomers
    sb = world.sb
    ali = sb.add_member("Ali", roles=[world.students_role])
    panel = await sb.command(ali, "join", city="Najaf")
    await choose_profile(sb, ali, panel, "en", "13-15", ("ar", "en"), ("chess",))
    form = await sb.click(ali, panel, t("roster.continue", "en"))
    long_intro = "أ" * 3000
    refused = await sb.submit(ali, form, intro=long_intro)
    assert refused.ephemeral
    assert "Your introduction is too long: 3,000 characters, the limit is 500." in refused.text
    assert await on_roster(sb, world.exchange_id, ali) is None
    assert "roster.joined" not in await activity_kinds(sb)
    again = await sb.click(ali, panel, t("roster.continue", "en"))
    assert form_values(again)["intro"] == long_intro
    done = await sb.submit(ali, again, intro=long_intro[:500])
    assert "Welcome to Minneapolis–Najaf" in done.text
    me = await on_roster(sb, world.exchange_id, ali)
    assert me is not None and len(me.intro) == 500


async def test_continue_without_an_age_band_asks_for_it(world: World) -> None:
    """Pressing Continue before choosing an age band explains what is missing; no form opens."""
    sb = world.sb
    ali = sb.add_member("Ali", roles=[world.students_role])
    panel = await sb.command(ali, "join", city="Najaf")
    await choose_profile(sb, ali, panel, "en", None, ("ar",), ())
    reply = await sb.click(ali, panel, t("roster.continue", "en"))
    assert reply.modal is None
    assert t("error.choose_grade_band", "en") in reply.text
    assert await on_roster(sb, world.exchange_id, ali) is None


async def test_cancel_leaves_nothing_behind(newcomers: World) -> None:
    """A student who cancels the panel is not on the roster."""
    world = newcomers
    sb = world.sb
    ali = sb.add_member("Ali", roles=[world.students_role])
    panel = await sb.command(ali, "join", city="Najaf")
    reply = await sb.click(ali, panel, t("roster.cancel", "en"))
    assert "Nothing was saved" in reply.text
    assert await participant_count(sb) == 0


async def test_an_unknown_city_is_refused(newcomers: World) -> None:
    """A city not in the exchange is named back with the two choices; nothing is stored."""
    world = newcomers
    sb = world.sb
    ali = sb.add_member("Ali", roles=[world.students_role])
    reply = await sb.command(ali, "join", city="Basra")
    assert reply.ephemeral
    assert "“Basra” is not a city of this exchange. Choose Minneapolis / Najaf." in reply.text
    assert await participant_count(sb) == 0


async def test_only_members_with_an_exchange_role_can_join(newcomers: World) -> None:
    """Someone without the student role is told to ask for it; nothing is stored."""
    world = newcomers
    sb = world.sb
    visitor = sb.add_member("Visitor")
    reply = await sb.command(visitor, "join", city="Najaf")
    assert reply.ephemeral and "Ask your teacher to give you the student role" in reply.text
    assert await participant_count(sb) == 0


async def test_joining_before_roles_are_chosen_says_so(sb: Sandbox) -> None:
    """A server that has not run /exchange roles yet gets a clear answer."""
    student = sb.add_member("Ali")
    reply = await sb.command(student, "join", city="Najaf")
    assert "has not chosen its student and teacher roles yet" in reply.text


async def test_city_autocomplete_offers_the_exchanges_cities(world: World) -> None:
    """Typing in the city option suggests the exchange's cities."""
    sb = world.sb
    ali = sb.add_member("Ali", roles=[world.students_role])
    choices = await sb.autocomplete(ali, "join", "city", "na")
    assert [c["value"] for c in choices] == ["Najaf"]
    every = await sb.autocomplete(ali, "join", "city", "")
    assert [c["value"] for c in every] == ["Minneapolis", "Najaf"]


async def test_a_teacher_joins_as_a_teacher_of_their_city(newcomers: World) -> None:
    """A teacher's /join registers them with their city at once, so each city knows its teachers."""
    world = newcomers
    sb = world.sb
    reply = await sb.command(world.partner_teacher, "join", city="Najaf", language="ar")
    assert reply.ephemeral
    assert (
        t("roster.joined_teacher", "ar", city="Najaf", exchange="Minneapolis–Najaf") in reply.text
    )
    async with sb.bot.ctx.db.read() as conn:
        najaf = await roster.listing(
            conn, world.exchange_id, role=Role.TEACHER, city_id=world.city_ids[1]
        )
        minneapolis = await roster.listing(
            conn, world.exchange_id, role=Role.TEACHER, city_id=world.city_ids[0]
        )
    assert [p.user_id for p in najaf] == [world.partner_teacher.user.id]
    assert minneapolis == []
    assert najaf[0].language == "ar"


async def test_a_coordinator_joins_as_a_coordinator(world: World) -> None:
    """Coordinators register too, with the city they work from."""
    sb = world.sb
    await sb.command(world.coordinator, "join", city="Minneapolis")
    me = await on_roster(sb, world.exchange_id, world.coordinator)
    assert me is not None and me.role is Role.COORDINATOR
    assert me.city_id == world.city_ids[0]


async def test_exchange_info_counts_registered_teachers(world: World) -> None:
    """After teachers join, /exchange info shows one teacher per city."""
    sb = world.sb
    await sb.command(world.teacher, "join", city="Minneapolis")
    await sb.command(world.partner_teacher, "join", city="Najaf")
    info = await sb.command(world.coordinator, "exchange info")
    assert info.text.count("0 students · 👩‍🏫 1 teacher") == 2


# -- /profile ---------------------------------------------------------------------------------


async def test_profile_before_joining_points_to_join(world: World) -> None:
    """/profile without a profile says how to start."""
    sb = world.sb
    ali = sb.add_member("Ali", roles=[world.students_role])
    reply = await sb.command(ali, "profile")
    assert reply.ephemeral and "/join" in reply.text


async def test_profile_shows_what_the_student_chose(world: World) -> None:
    """/profile shows city, age band, languages, interests in the student's language, intro."""
    sb = world.sb
    ali = sb.add_member("Ali", roles=[world.students_role])
    await join(sb, ali, "Najaf", language="ar", languages=("ar", "en"), interests=("chess",))
    reply = await sb.command(ali, "profile")
    text = unisolated(reply.text)  # what the reader sees; the isolates are tested on their own
    assert reply.ephemeral
    assert "Najaf" in text and "العمر 13–15" in text
    assert "العربية وEnglish" in text  # CLDR's Arabic list: "و" joined to the next item
    assert "الشطرنج" in text  # "chess", in Arabic
    assert "Hello!" in text


async def test_a_student_edits_their_profile(world: World) -> None:
    """Edit reopens the panel with the student's choices; saving logs which fields changed."""
    sb = world.sb
    ben = sb.add_member("Ben", roles=[world.students_role])
    await join(sb, ben, "Minneapolis", interests=("chess",), intro="Old intro")
    card = await sb.command(ben, "profile")
    await sb.click(ben, card, t("roster.edit", "en"))
    assert chosen(card, t("roster.pick_interests", "en", limit=8)) == ["chess"]
    assert chosen(card, t("roster.pick_band", "en")) == ["13-15"]
    await sb.choose(
        ben, card, ["music", "cooking"], placeholder=t("roster.pick_interests", "en", limit=8)
    )
    form = await sb.click(ben, card, t("roster.continue", "en"))
    assert form_values(form)["intro"] == "Old intro"
    saved = await sb.submit(ben, form, intro="New intro, with emoji 🎺")
    assert t("roster.saved", "en") in saved.text
    me = await on_roster(sb, world.exchange_id, ben)
    assert me is not None
    assert me.interests == ("music", "cooking") and me.intro == "New intro, with emoji 🎺"
    (details,) = await activity_details(sb, "roster.profile_changed")
    assert '"fields": ["interests", "intro"]' in details
    assert "New intro" not in details


async def test_a_teacher_changes_only_their_language(newcomers: World) -> None:
    """A teacher's profile panel has just the language menu; saving switches the bot's language."""
    world = newcomers
    sb = world.sb
    await sb.command(world.partner_teacher, "join", city="Najaf", language="en")
    card = await sb.command(world.partner_teacher, "profile")
    await sb.click(world.partner_teacher, card, t("roster.edit", "en"))
    assert t("roster.pick_band", "en") not in str(card.components)
    await sb.choose(
        world.partner_teacher, card, ["ar"], placeholder=t("roster.pick_bot_language", "en")
    )
    saved = await sb.click(world.partner_teacher, card, t("roster.save", "ar"))
    assert t("roster.saved", "ar") in saved.text
    me = await on_roster(sb, world.exchange_id, world.partner_teacher)
    assert me is not None and me.language == "ar"


async def test_a_student_pauses_and_is_left_out_of_pairing(world: World) -> None:
    """Pause holds: a paused student is not in any pair the teacher confirms."""
    sb = world.sb
    ali = sb.add_member("Ali", roles=[world.students_role])
    await join(sb, ali, "Najaf")
    await world.add_student("Zainab", 1)
    await world.add_student("Ben", 0)
    card = await sb.command(ali, "profile")
    paused = await sb.click(ali, card, t("roster.pause", "en"))
    assert t("roster.paused_now", "en") in paused.text
    me = await on_roster(sb, world.exchange_id, ali)
    assert me is not None and me.status == "paused"
    preview = await sb.command(world.teacher, "pair preview")
    assert "Ali" not in preview.text and "1 paused student is left out" in preview.text
    await sb.command(world.teacher, "pair confirm")
    spaces = [c for c in sb.guild.channels.values() if c.name.startswith("pair-")]
    assert len(spaces) == 1
    assert spaces[0] not in sb.visible_channels(ali)
    assert [k for k in await activity_kinds(sb) if k == "roster.paused"] == ["roster.paused"]


async def test_a_paused_student_comes_back(world: World) -> None:
    """Resume makes the student active again and they are paired in the next round."""
    sb = world.sb
    ali = sb.add_member("Ali", roles=[world.students_role])
    await join(sb, ali, "Najaf")
    await world.add_student("Ben", 0)
    card = await sb.command(ali, "profile")
    await sb.click(ali, card, t("roster.pause", "en"))
    back = await sb.click(ali, card, t("roster.resume", "en"))
    assert t("roster.resumed_now", "en") in back.text
    # Pairing needs a guardian's consent on file (issue 23): her teacher records it.
    await sb.command(world.partner_teacher, "roster consent", student=ali, on_file=True)
    await sb.command(world.teacher, "pair confirm")
    assert any(c.name.startswith("pair-") for c in sb.visible_channels(ali))


async def test_a_removed_student_cannot_rejoin_alone(world: World) -> None:
    """A student a teacher removed is told to ask the teacher; /join stores nothing."""
    sb = world.sb
    ali = sb.add_member("Ali", roles=[world.students_role])
    await join(sb, ali, "Najaf")
    confirm = await sb.command(world.teacher, "roster remove", student=ali)
    await sb.click(world.teacher, confirm, t("roster.remove_yes", "en"))
    reply = await sb.command(ali, "join", city="Najaf")
    assert "took you off the roster" in reply.text
    me = await on_roster(sb, world.exchange_id, ali)
    assert me is not None and me.status == "removed"


async def test_an_overlong_other_interest_is_refused_by_the_form(world: World) -> None:
    """Discord's own form refuses more text than the field allows; the bot never sees it."""
    sb = world.sb
    ali = sb.add_member("Ali", roles=[world.students_role])
    panel = await sb.command(ali, "join", city="Najaf")
    await choose_profile(sb, ali, panel, "en", "13-15", ("ar",), ())
    form = await sb.click(ali, panel, t("roster.continue", "en"))
    with pytest.raises(SandboxError, match="longer than"):
        await sb.submit(ali, form, intro="Hi", other_interests="x" * 2000)


async def test_too_many_interests_are_refused_on_the_panel(world: World) -> None:
    """Eight from the list plus typed ones exceed the limit: refused, nothing stored."""
    sb = world.sb
    ali = sb.add_member("Ali", roles=[world.students_role])
    eight = ("football", "basketball", "chess", "music", "drawing", "reading", "cooking", "films")
    done = await join(sb, ali, "Najaf", interests=eight, other="kites")
    assert "Pick at most 8 interests" in done.text
    assert await on_roster(sb, world.exchange_id, ali) is None


async def test_the_bot_needs_no_extra_permission_to_join(world: World) -> None:
    """Joining only answers the student: it works with the bot's minimum permissions."""
    sb = world.sb
    sb.set_bot_permissions(int(P.VIEW_CHANNEL | P.SEND_MESSAGES))
    ali = sb.add_member("Ali", roles=[world.students_role])
    done = await join(sb, ali, "Najaf")
    assert "Welcome to Minneapolis–Najaf" in done.text


# -- panels that outlive the bot --------------------------------------------------------------


async def drafts_of(sb: Sandbox, member: Member) -> list[str]:
    """The intros of the member's open panels' drafts (what the database holds for them)."""
    async with sb.bot.ctx.db.read() as conn:
        rows = await conn.execute(
            select(profile_drafts.c.intro).where(profile_drafts.c.user_id == member.user.id)
        )
        return [r.intro for r in rows]


async def test_a_student_finishes_joining_in_the_panel_opened_before_a_restart(
    world: World,
) -> None:
    """The panel's picks are kept across restarts, and the form sent after one is received."""
    sb = world.sb
    ali = sb.add_member("Ali", roles=[world.students_role])
    panel = await sb.command(ali, "join", city="Najaf", language="ar")
    await sb.choose(ali, panel, ["16-18"], placeholder=t("roster.pick_band", "ar"))
    await sb.restart_bot()
    await sb.choose(ali, panel, ["ar", "en"], placeholder=t("roster.pick_languages", "ar"))
    await sb.choose(
        ali, panel, ["chess"], placeholder=t("roster.pick_interests", "ar", limit=MAX_INTERESTS)
    )
    form = await sb.click(ali, panel, t("roster.continue", "ar"))
    assert await on_roster(sb, world.exchange_id, ali) is None
    await sb.restart_bot()
    done = await sb.submit(ali, form, intro="مرحبا", other_interests="falconry")
    assert t("roster.joined", "ar", exchange="Minneapolis–Najaf") in done.text
    me = await on_roster(sb, world.exchange_id, ali)
    assert me is not None
    assert (me.grade_band, me.languages, me.language) == ("16-18", ("ar", "en"), "ar")
    assert (me.interests, me.intro) == (("chess", "falconry"), "مرحبا")
    assert await drafts_of(sb, ali) == [], "the sent panel's draft is gone"


async def test_a_refused_intro_is_kept_across_a_restart(world: World) -> None:
    """What a student typed, refused, is still there to fix after the bot restarted."""
    sb = world.sb
    ali = sb.add_member("Ali", roles=[world.students_role])
    panel = await sb.command(ali, "join", city="Najaf")
    await choose_profile(sb, ali, panel, "en", "13-15", ("ar",), ())
    form = await sb.click(ali, panel, t("roster.continue", "en"))
    refused = await sb.submit(ali, form, intro="x" * 600)
    assert t("roster.typed_text_kept", "en") in refused.text
    await sb.restart_bot()
    again = await sb.click(ali, panel, t("roster.continue", "en"))
    assert form_values(again)["intro"] == "x" * 600
    done = await sb.submit(ali, again, intro="x" * 500)
    assert "Welcome to Minneapolis–Najaf" in done.text


async def test_the_profile_card_works_after_a_restart(world: World) -> None:
    """Pause, Resume and Edit on a card shown before a restart."""
    sb = world.sb
    ben = sb.add_member("Ben", roles=[world.students_role])
    await join(sb, ben, "Minneapolis", intro="Old intro")
    card = await sb.command(ben, "profile")
    await sb.restart_bot()
    await sb.click(ben, card, t("roster.pause", "en"))
    me = await on_roster(sb, world.exchange_id, ben)
    assert me is not None and me.status == "paused"
    await sb.restart_bot()
    await sb.click(ben, card, t("roster.resume", "en"))
    await sb.click(ben, card, t("roster.edit", "en"))
    await sb.restart_bot()
    form = await sb.click(ben, card, t("roster.continue", "en"))
    assert form_values(form)["intro"] == "Old intro"
    saved = await sb.submit(ben, form, intro="New intro")
    assert t("roster.saved", "en") in saved.text
    me = await on_roster(sb, world.exchange_id, ben)
    assert me is not None and (me.status, me.intro) == ("active", "New intro")


async def test_a_panel_left_for_a_day_is_closed_and_its_draft_deleted(world: World) -> None:
    """An untouched panel's picks are not kept past a day: its buttons say to start again."""
    sb = world.sb
    ali = sb.add_member("Ali", roles=[world.students_role])
    panel = await sb.command(ali, "join", city="Najaf")
    await choose_profile(sb, ali, panel, "en", "13-15", ("ar",), ())
    await sb.advance(hours=25)
    reply = await sb.click(ali, panel, t("roster.continue", "en"))
    assert reply.modal is None and t("error.panel_closed", "en") in reply.text
    await sb.restart_bot()
    assert await drafts_of(sb, ali) == []
    await join(sb, ali, "Najaf")
    assert await on_roster(sb, world.exchange_id, ali) is not None


async def test_cancel_deletes_what_the_panel_held(world: World) -> None:
    """Cancel leaves no draft behind, and the cancelled panel's buttons say it is closed."""
    sb = world.sb
    ali = sb.add_member("Ali", roles=[world.students_role])
    await join(sb, ali, "Najaf", intro="First")
    card = await sb.command(ali, "profile")
    await sb.click(ali, card, t("roster.edit", "en"))
    assert await drafts_of(sb, ali) == ["First"]
    other = await sb.command(ali, "profile")
    await sb.click(ali, other, t("roster.edit", "en"))
    await sb.click(ali, other, t("roster.cancel", "en"))
    assert await drafts_of(sb, ali) == ["First"], "only the cancelled panel's draft goes"
    await sb.click(ali, card, t("roster.cancel", "en"))
    assert await drafts_of(sb, ali) == []


async def test_an_open_panel_is_erased_with_the_student(world: World) -> None:
    """/privacy erase deletes what a student's open panel holds, and the panel closes."""
    sb = world.sb
    ali = sb.add_member("Ali", roles=[world.students_role])
    await join(sb, ali, "Najaf", intro="My own words")
    card = await sb.command(ali, "profile")
    await sb.click(ali, card, t("roster.edit", "en"))
    ask = await sb.command(world.coordinator, "privacy erase", student=ali)
    assert "`profile_drafts`: 1" in ask.text
    await sb.click(world.coordinator, ask, "Erase for good")
    assert await drafts_of(sb, ali) == []
    reply = await sb.click(ali, card, t("roster.continue", "en"))
    assert reply.modal is None and t("error.panel_closed", "en") in reply.text
