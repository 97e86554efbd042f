"""The teachers' /roster through the bot: pages, removals, moves, pauses, CSV, keep-apart."""

from __future__ import annotations

import pytest

from bot.domain.exchange import Role
from bot.i18n import t
from bot.sandbox.driver import Reply, Sandbox, Upload, iter_components
from bot.sandbox.permissions import P
from bot.sandbox.state import Channel, Member
from bot.store import roster
from tests.sandbox.roster_steps import (
    activity_details,
    activity_kinds,
    on_roster,
    participant_count,
)
from tests.sandbox.world import World, make_world

HEADER = "user,city,grade_band,languages,interests,intro"


@pytest.fixture
async def world(sb: Sandbox) -> World:
    return await make_world(sb)


def pair_spaces(sb: Sandbox) -> list[Channel]:
    return [c for c in sb.guild.channels.values() if c.name.startswith("pair-")]


def space_of(sb: Sandbox, member: Member) -> Channel:
    (space,) = [c for c in pair_spaces(sb) if c in sb.visible_channels(member)]
    return space


def labels(reply_components: list[dict[str, object]]) -> dict[str, bool]:
    """Button label -> whether it is enabled."""
    return {
        str(c["label"]): not c.get("disabled")
        for c in iter_components(reply_components)  # type: ignore[arg-type]
        if c.get("type") == 2
    }


# -- listing --------------------------------------------------------------------------------------


async def test_a_student_cannot_see_the_roster(world: World) -> None:
    """A student running /roster list is told only teachers can."""
    ali = await world.add_student("Ali", 1)
    reply = await world.sb.command(ali, "roster list")
    assert reply.ephemeral and "Only teachers can do that." in reply.text
    assert "Ali ·" not in reply.text


async def test_the_roster_shows_each_student_with_city_band_status_and_space(world: World) -> None:
    """One line per student: name, city, age band, languages, status, their paired space."""
    sb = world.sb
    await world.add_student("Ali", 1, languages=("ar", "en"))
    await world.add_student("Ben", 0, grade_band="16-18")
    await world.add_student("Omar", 1, status="paused")
    await sb.command(world.teacher, "pair confirm")
    reply = await sb.command(world.teacher, "roster list")
    text = reply.text
    assert reply.ephemeral
    assert "**Minneapolis**: 1 active · 0 paused" in text
    assert "**Najaf**: 1 active · 1 paused" in text
    space = space_of(sb, world.students["Ali"])
    assert f"**Ali** · Najaf · Age 13–15 · العربية and English · <#{space.id}>" in text
    assert "**Ben** · Minneapolis · Age 16–18 · English" in text
    assert "**Omar** · Najaf · Age 13–15 · English · ⏸️ paused" in text


@pytest.mark.parametrize(
    ("filters", "shown", "hidden"),
    [
        ({"city": "Najaf"}, ["Ali", "Omar"], ["Ben"]),
        ({"status": "paused"}, ["Omar"], ["Ali", "Ben"]),
        ({"grade_band": "16-18"}, ["Ben"], ["Ali", "Omar"]),
        ({"city": "Najaf", "status": "active"}, ["Ali"], ["Ben", "Omar"]),
    ],
)
async def test_the_roster_filters(
    world: World, filters: dict[str, str], shown: list[str], hidden: list[str]
) -> None:
    """City, status and age band narrow the list."""
    await world.add_student("Ali", 1)
    await world.add_student("Ben", 0, grade_band="16-18")
    await world.add_student("Omar", 1, status="paused")
    text = (await world.sb.command(world.teacher, "roster list", **filters)).text
    for name in shown:
        assert f"**{name}**" in text
    for name in hidden:
        assert f"**{name}**" not in text


async def test_a_long_roster_pages_with_buttons(world: World) -> None:
    """30 students: 25 on page one, ▶ shows the other 5; the buttons survive a restart."""
    sb = world.sb
    for i in range(30):
        await world.add_student(f"Student {i:02d}", i % 2)
    first = await sb.command(world.teacher, "roster list")
    assert first.text.count("**Student") == 25
    assert "Page 1 of 2 · 30 people" in first.text
    assert labels(first.components) == {"◀": False, "▶": True}
    await sb.click(world.teacher, first, "▶")
    assert first.text.count("**Student") == 5
    assert "**Student 29**" in first.text and "Page 2 of 2" in first.text
    await sb.restart_bot()
    await sb.click(world.teacher, first, "◀")
    assert "**Student 00**" in first.text and "Page 1 of 2" in first.text


def posted_before(reply: Reply, label: str, custom_id: str) -> None:
    """Give a button the custom_id an earlier version of the bot posted it with."""
    (button,) = [c for c in iter_components(reply.components) if c.get("label") == label]
    button["custom_id"] = custom_id


@pytest.mark.parametrize(
    ("old_id", "shown", "footer"),
    [
        # Page 2 of the default list: both cities, active and paused, every band, students.
        ("roster:list:{ex}:0:c:-:s:2", ["Student 23", "Student 29"], "Page 2 of 2 · 32 people"),
        # Najaf only, paused only, ages 13–15 (the second band), students, page 1.
        ("roster:list:{ex}:{najaf}:p:1:s:1", ["Omar"], "Page 1 of 1 · 1 person"),
    ],
)
async def test_a_roster_page_button_posted_by_the_old_bot_still_works(
    world: World, old_id: str, shown: list[str], footer: str
) -> None:
    """A ◀ ▶ button with the custom_id form of before (`roster:list:…`) shows its page."""
    sb = world.sb
    for i in range(30):
        await world.add_student(f"Student {i:02d}", i % 2)
    await world.add_student("Omar", 1, status="paused")
    await world.add_student("Layla", 1, status="paused", grade_band="16-18")
    page = await sb.command(world.teacher, "roster list")
    posted_before(page, "▶", old_id.format(ex=world.exchange_id, najaf=world.city_ids[1]))
    await sb.restart_bot()
    await sb.click(world.teacher, page, "▶")
    assert footer in page.text
    for name in shown:
        assert f"**{name}**" in page.text
    assert "**Layla**" not in page.text
    ids = [c["custom_id"] for c in iter_components(page.components)]
    assert all(i.startswith("tb:roster.list:") for i in ids), ids


async def test_a_keep_apart_page_button_posted_by_the_old_bot_still_works(world: World) -> None:
    """A ◀ ▶ button of the keep-apart list in its old form (`roster:apart:…`) shows its page."""
    sb = world.sb
    people = [await world.add_student(f"Pupil {i}", i % 2) for i in range(8)]
    # 7 + 6 + 5 + 4 = 22 marks: two pages of twenty.
    for gap in range(1, 5):
        for first, second in zip(people, people[gap:], strict=False):
            await sb.command(world.teacher, "roster keep-apart add", first=first, second=second)
    listing = await sb.command(world.teacher, "roster keep-apart list")
    assert "Page 1 of 2" in listing.text
    posted_before(listing, "▶", f"roster:apart:{world.exchange_id}:2")
    await sb.click(world.teacher, listing, "▶")
    assert "Page 2 of 2" in listing.text and listing.text.count("↔") == 2


async def test_a_student_cannot_page_a_teachers_roster(world: World) -> None:
    """The page buttons check who presses them, as the command does."""
    sb = world.sb
    for i in range(30):
        await world.add_student(f"Student {i:02d}", i % 2)
    page = await sb.command(world.teacher, "roster list")
    student = world.students["Student 00"]
    refused = await sb.click(student, page, "▶")
    assert "Only teachers can do that." in refused.text
    assert "Page 1 of 2" in page.text


async def test_the_roster_lists_each_citys_teachers(world: World) -> None:
    """people:teachers lists the teachers who registered (with /join), with their city."""
    sb = world.sb
    text = (await sb.command(world.teacher, "roster list", people="teacher")).text
    assert "**Ms Rivera** · Minneapolis" in text
    assert "**Ustadh Kareem** · Najaf" in text


# -- removing -------------------------------------------------------------------------------------


async def test_removing_asks_first_and_cancel_changes_nothing(world: World) -> None:
    """The teacher sees what removal would do; Cancel leaves the student as they were."""
    sb = world.sb
    ali = await world.add_student("Ali", 1)
    question = await sb.command(world.teacher, "roster remove", student=ali)
    assert question.ephemeral and "Remove **Ali** from Minneapolis–Najaf?" in question.text
    await sb.click(world.teacher, question, t("roster.cancel", "en"))
    me = await on_roster(sb, world.exchange_id, ali)
    assert me is not None and me.status == "active"
    assert "roster.removed" not in await activity_kinds(sb)


async def test_a_removed_student_loses_their_space_and_the_pair_ends(world: World) -> None:
    """Removal takes the student out of their space at once; their partner's space is archived."""
    sb = world.sb
    ali = await world.add_student("Ali", 1)
    ben = await world.add_student("Ben", 0)
    await sb.command(world.teacher, "pair confirm")
    space = space_of(sb, ali)
    question = await sb.command(world.teacher, "roster remove", student=ali)
    assert "the pair ends" in question.text
    done = await sb.click(world.teacher, question, t("roster.remove_yes", "en"))
    assert "**Ali** is off the roster" in done.text and "Ben will be paired" in done.text
    assert space not in sb.visible_channels(ali)
    assert space in sb.visible_channels(ben)
    assert not sb.guild.permissions_in(ben.user.id, space.id) & P.SEND_MESSAGES
    assert space.id in sb.guild.channels, "nothing is deleted"
    me = await on_roster(sb, world.exchange_id, ali)
    assert me is not None and me.status == "removed"
    (details,) = await activity_details(sb, "roster.removed")
    assert '"pair_ended": true' in details


async def test_a_removal_confirmed_after_a_restart_is_done(world: World) -> None:
    """The question asked before a restart still takes the answer after it."""
    sb = world.sb
    ali = await world.add_student("Ali", 1)
    question = await sb.command(world.teacher, "roster remove", student=ali)
    await sb.restart_bot()
    done = await sb.click(world.teacher, question, t("roster.remove_yes", "en"))
    assert "**Ali** is off the roster" in done.text
    me = await on_roster(sb, world.exchange_id, ali)
    assert me is not None and me.status == "removed"


async def test_removing_one_of_a_trio_leaves_the_others_paired(world: World) -> None:
    """From a trio of two Minneapolis students and one from Najaf, one Minneapolis student
    leaves: the other two go on in their space."""
    sb = world.sb
    await world.add_student("Ali", 1)
    await world.add_student("Zainab", 1)
    for name in ("Ben", "Maya", "Sofia"):
        await world.add_student(name, 0)
    await sb.command(world.teacher, "pair confirm")
    trio = next(c for c in pair_spaces(sb) if len(sb.messages_in(c)[0].mentions) == 3)
    inside = [m for m in world.students.values() if trio in sb.visible_channels(m)]
    leaving = next(m for m in inside if m.user.global_name in ("Ben", "Maya", "Sofia"))
    staying = [m for m in inside if m is not leaving]
    question = await sb.command(world.teacher, "roster remove", student=leaving)
    assert "go on as a pair" in question.text
    await sb.click(world.teacher, question, t("roster.remove_yes", "en"))
    assert trio not in sb.visible_channels(leaving)
    for member in staying:
        assert sb.guild.permissions_in(member.user.id, trio.id) & P.SEND_MESSAGES
    history = await sb.command(world.teacher, "pair history")
    assert f"~~{leaving.user.global_name}~~" in history.text


async def test_a_removed_student_is_not_paired_again(world: World) -> None:
    """The next round leaves a removed student out."""
    sb = world.sb
    ali = await world.add_student("Ali", 1)
    await world.add_student("Zainab", 1)
    await world.add_student("Ben", 0)
    question = await sb.command(world.teacher, "roster remove", student=ali)
    await sb.click(world.teacher, question, t("roster.remove_yes", "en"))
    preview = await sb.command(world.teacher, "pair preview")
    assert "Ali" not in preview.text and "Zainab" in preview.text


async def test_removing_someone_not_on_the_roster_is_refused(world: World) -> None:
    """A member who never joined is not a student of the exchange."""
    visitor = world.sb.add_member("Visitor")
    reply = await world.sb.command(world.teacher, "roster remove", student=visitor)
    assert "not a student of this exchange" in reply.text


# -- moving, pausing ------------------------------------------------------------------------------


async def test_a_student_moves_to_the_other_city(world: World) -> None:
    """A wrong city at /join is corrected; the move is logged."""
    sb = world.sb
    ali = await world.add_student("Ali", 0)
    reply = await sb.command(world.teacher, "roster move", student=ali, city="Najaf")
    assert "**Ali** now belongs to Najaf" in reply.text
    me = await on_roster(sb, world.exchange_id, ali)
    assert me is not None and me.city_id == world.city_ids[1]
    assert "roster.moved" in await activity_kinds(sb)


@pytest.mark.parametrize(
    ("city", "paired", "expected"),
    [
        ("Minneapolis", False, "Ali is already in Minneapolis"),
        ("Basra", False, "“Basra” is not a city of this exchange"),
        ("Najaf", True, "End that pair with /pair remove first"),
    ],
)
async def test_moves_that_make_no_sense_are_refused(
    world: World, city: str, paired: bool, expected: str
) -> None:
    """Same city, unknown city, or a paired student: a clear answer and no change."""
    sb = world.sb
    ali = await world.add_student("Ali", 0)
    await world.add_student("Zainab", 1)
    if paired:
        await sb.command(world.teacher, "pair confirm")
    reply = await sb.command(world.teacher, "roster move", student=ali, city=city)
    assert reply.ephemeral and expected in reply.text
    me = await on_roster(sb, world.exchange_id, ali)
    assert me is not None and me.city_id == world.city_ids[0]


async def test_a_student_cannot_move_anyone(world: World) -> None:
    """Moving is for teachers: the student is told so and stays where they were."""
    ali = await world.add_student("Ali", 0)
    reply = await world.sb.command(ali, "roster move", student=ali, city="Najaf")
    assert reply.ephemeral and "Only teachers can do that." in reply.text
    me = await on_roster(world.sb, world.exchange_id, ali)
    assert me is not None and me.city_id == world.city_ids[0]
    assert "roster.moved" not in await activity_kinds(world.sb)


@pytest.mark.parametrize("command", ["roster pause", "roster resume", "roster remove"])
async def test_a_student_cannot_change_anyones_status(world: World, command: str) -> None:
    """Pausing, resuming and removing others are for teachers; nothing changes."""
    ali = await world.add_student("Ali", 0)
    ben = await world.add_student("Ben", 0, status="paused")
    for target, status in ((ali, "active"), (ben, "paused")):
        reply = await world.sb.command(ali, command, student=target)
        assert reply.ephemeral and "Only teachers can do that." in reply.text
        me = await on_roster(world.sb, world.exchange_id, target)
        assert me is not None and me.status == status


async def test_a_teacher_pauses_and_resumes_a_student(world: World) -> None:
    """A student away for a while is paused by their teacher, then comes back."""
    sb = world.sb
    ali = await world.add_student("Ali", 1)
    paused = await sb.command(world.teacher, "roster pause", student=ali)
    assert "**Ali** is paused" in paused.text
    me = await on_roster(sb, world.exchange_id, ali)
    assert me is not None and me.status == "paused"
    again = await sb.command(world.teacher, "roster pause", student=ali)
    assert "already paused" in again.text
    back = await sb.command(world.teacher, "roster resume", student=ali)
    assert "taking part again" in back.text
    me = await on_roster(sb, world.exchange_id, ali)
    assert me is not None and me.status == "active"


async def test_resume_brings_back_a_removed_student(world: World) -> None:
    """A removal by mistake is undone with /roster resume."""
    sb = world.sb
    ali = await world.add_student("Ali", 1)
    question = await sb.command(world.teacher, "roster remove", student=ali)
    await sb.click(world.teacher, question, t("roster.remove_yes", "en"))
    back = await sb.command(world.teacher, "roster resume", student=ali)
    assert "back on the roster" in back.text
    me = await on_roster(sb, world.exchange_id, ali)
    assert me is not None and me.status == "active"
    assert "roster.restored" in await activity_kinds(sb)


# -- importing a CSV ----------------------------------------------------------------------------


def csv_file(*rows: str, header: str = HEADER, name: str = "class.csv") -> Upload:
    return Upload(name, ("\n".join([header, *rows]) + "\n").encode("utf-8"))


async def test_import_adds_good_rows_and_reports_bad_ones_by_line(world: World) -> None:
    """Good rows are imported; each bad row is named with its line and the reason."""
    sb = world.sb
    ali = sb.add_member("Ali Hassan", roles=[world.students_role])
    ben = sb.add_member("Ben", roles=[world.students_role])
    sb.add_member("Norole")
    upload = csv_file(
        'ali_hassan,Najaf,13-15,"ar, en","chess; football",أحب الشطرنج',
        f"<@{ben.user.id}>,minneapolis,13–15,English,music,",
        "ghost,Najaf,13-15,ar,,",
        "norole,Najaf,13-15,ar,,",
        "ali_hassan,Najaf,13-15,ar,,",
        "someone,Basra,13-15,ar,,",
        f"someone_else,Najaf,13-15,ar,,{'x' * 3000}",
    )
    joined_before = (await activity_kinds(sb)).count("roster.joined")  # the teachers'
    reply = await sb.command(world.teacher, "roster import", file=upload)
    text = reply.text
    assert reply.ephemeral and reply.deferred
    assert "2 students imported from 7 rows." in text
    assert "Minneapolis: 1 · Najaf: 1" in text
    assert "line 4: Nobody in this server has the username or user ID “ghost”" in text
    assert "line 5: Norole doesn't have the student role yet" in text
    assert "line 6: The same student is already on line 2." in text
    assert "line 7: “Basra” is not a city of this exchange" in text
    assert "line 8: Your introduction is too long: 3,000 characters" in text
    me = await on_roster(sb, world.exchange_id, ali)
    assert me is not None
    assert (me.city_id, me.grade_band, me.languages) == (world.city_ids[1], "13-15", ("ar", "en"))
    assert me.interests == ("chess", "football") and me.intro == "أحب الشطرنج"
    assert me.language == "ar"
    other = await on_roster(sb, world.exchange_id, ben)
    assert other is not None and other.city_id == world.city_ids[0]
    kinds = await activity_kinds(sb)
    assert kinds.count("roster.joined") == joined_before + 2 and "roster.imported" in kinds


async def test_import_leaves_existing_profiles_alone(world: World) -> None:
    """A student already on the roster keeps their own profile; the row says so."""
    sb = world.sb
    ali = await world.add_student("Ali", 1, intro="My own words")
    reply = await sb.command(
        world.teacher, "roster import", file=csv_file("ali,Najaf,16-18,ar,,Teacher's words")
    )
    assert "line 2: Ali is already on the roster; their own profile is kept." in reply.text
    me = await on_roster(sb, world.exchange_id, ali)
    assert me is not None and me.intro == "My own words" and me.grade_band == "13-15"


async def test_import_refuses_teachers_and_bots(world: World) -> None:
    """Rows naming a teacher or the bot itself are not imported as students."""
    sb = world.sb
    bot_id = sb.server.bot_user.id
    upload = csv_file("ms_rivera,Minneapolis,13-15,en,,", f"{bot_id},Najaf,13-15,ar,,")
    before = await participant_count(sb)  # the two teachers who joined
    reply = await sb.command(world.teacher, "roster import", file=upload)
    assert "line 2: Ms Rivera has the teacher or coordinator role" in reply.text
    assert "is a bot" in reply.text
    assert await participant_count(sb) == before


async def test_import_reads_semicolons_and_utf16_from_spreadsheets(world: World) -> None:
    """A European Excel export (semicolons, UTF-16) imports like any other."""
    sb = world.sb
    zainab = sb.add_member("Zainab", roles=[world.students_role])
    text = "user;city;grade_band;languages\nzainab;Najaf;13-15;ar\n"
    upload = Upload("export.csv", text.encode("utf-16"))
    reply = await sb.command(world.teacher, "roster import", file=upload)
    assert "1 student imported" in reply.text
    assert await on_roster(sb, world.exchange_id, zainab) is not None


async def test_import_with_many_problems_attaches_them_all(world: World) -> None:
    """Beyond fifteen, the problems come as a CSV file the teacher can fix."""
    sb = world.sb
    rows = [f"ghost{i},Najaf,13-15,ar,," for i in range(20)]
    reply = await sb.command(world.teacher, "roster import", file=csv_file(*rows))
    assert "…and 5 more" in reply.text
    problems = reply.file("import-problems.csv").data.decode("utf-8-sig").splitlines()
    assert problems[0] == "line,reason"
    assert len(problems) == 21 and problems[-1].startswith("21,")


@pytest.mark.pseudo_locale  # always in the pseudo-locale: no text past the catalogue
@pytest.mark.parametrize(
    ("upload", "expected"),
    [
        (Upload("x.csv", b"name,city\nAli,Najaf\n"), "missing: `user`, `grade_band`, `languages`"),
        (Upload("x.csv", b""), "That file is empty."),
        # A Windows-1252 export: "élève" is not UTF-8.
        (
            Upload("x.csv", "user,city,grade_band,languages\nélève,Najaf\n".encode("cp1252")),
            "CSV UTF-8",
        ),
        (Upload("x.csv", b"user,city\n" + b"a" * 1_100_000), "too big"),
    ],
)
async def test_a_file_that_cannot_be_read_changes_nothing(
    world: World, upload: Upload, expected: str
) -> None:
    """Wrong columns, an empty file, unreadable text or a huge file: a clear answer, no change."""
    sb = world.sb
    sb.add_member("Ali", roles=[world.students_role])
    before = await participant_count(sb)  # the two teachers who joined
    reply = await sb.command(world.teacher, "roster import", file=upload)
    assert reply.ephemeral and expected in reply.text
    assert await participant_count(sb) == before
    assert "roster.imported" not in await activity_kinds(sb)


async def test_a_student_cannot_import(world: World) -> None:
    """Importing is for teachers; nothing is stored."""
    sb = world.sb
    ali = sb.add_member("Ali", roles=[world.students_role])
    before = await participant_count(sb)  # the two teachers who joined
    reply = await sb.command(ali, "roster import", file=csv_file("ali,Najaf,13-15,ar,,"))
    assert "Only teachers can do that." in reply.text
    assert await participant_count(sb) == before


async def test_import_brings_back_a_removed_student(world: World) -> None:
    """A student removed earlier comes back with the file's values."""
    sb = world.sb
    ali = await world.add_student("Ali", 1)
    question = await sb.command(world.teacher, "roster remove", student=ali)
    await sb.click(world.teacher, question, t("roster.remove_yes", "en"))
    reply = await sb.command(
        world.teacher, "roster import", file=csv_file("ali,Najaf,16-18,ar,,Back again")
    )
    assert "1 of them had been removed earlier and is back" in reply.text
    me = await on_roster(sb, world.exchange_id, ali)
    assert me is not None and (me.status, me.grade_band) == ("active", "16-18")


# -- keep-apart ---------------------------------------------------------------------------------


async def test_keep_apart_is_marked_listed_and_lifted_by_teachers(world: World) -> None:
    """A teacher marks two students, sees the mark in the list, then lifts it."""
    sb = world.sb
    ali = await world.add_student("Ali", 1)
    ben = await world.add_student("Ben", 0)
    added = await sb.command(world.teacher, "roster keep-apart add", first=ali, second=ben)
    assert added.ephemeral and "**Ali** and **Ben** will never be paired together" in added.text
    again = await sb.command(world.teacher, "roster keep-apart add", first=ben, second=ali)
    assert "already kept apart" in again.text
    await world.partner_teacher_reads_arabic()
    listing = await sb.command(world.partner_teacher, "roster keep-apart list")
    assert "**Ali** ↔ **Ben**" in listing.text  # the partner teacher reads it in Arabic
    assert t("roster.marks_footer", "ar", count=1) in listing.text
    lifted = await sb.command(world.teacher, "roster keep-apart remove", first=ali, second=ben)
    assert "may be paired again" in lifted.text
    async with sb.bot.ctx.db.read() as conn:
        assert await roster.keep_apart_pairs(conn, world.exchange_id) == []
    assert (await activity_kinds(sb)).count("roster.keep_apart_added") == 1


async def test_students_never_see_keep_apart_marks(world: World) -> None:
    """A student cannot list or add marks; the marks stay as they were."""
    sb = world.sb
    ali = await world.add_student("Ali", 1)
    ben = await world.add_student("Ben", 0)
    await sb.command(world.teacher, "roster keep-apart add", first=ali, second=ben)
    listing = await sb.command(ali, "roster keep-apart list")
    assert "Only teachers can do that." in listing.text and "Ben" not in listing.text
    lifted = await sb.command(ali, "roster keep-apart remove", first=ali, second=ben)
    assert "Only teachers can do that." in lifted.text
    async with sb.bot.ctx.db.read() as conn:
        assert len(await roster.keep_apart_pairs(conn, world.exchange_id)) == 1


async def test_keep_apart_holds_when_pairing(world: World) -> None:
    """Marked through the command, the two best-matched students are never paired."""
    sb = world.sb
    ali = await world.add_student("Ali", 1, interests=("chess", "music"))
    await world.add_student("Zainab", 1, interests=("cooking",))
    ben = await world.add_student("Ben", 0, interests=("chess", "music"))
    await world.add_student("Maya", 0, interests=("cooking",))
    await sb.command(world.teacher, "roster keep-apart add", first=ali, second=ben)
    await sb.command(world.teacher, "pair confirm")
    assert space_of(sb, ali) is not space_of(sb, ben)


async def test_keep_apart_warns_when_the_two_share_a_space(world: World) -> None:
    """Marking two students who are paired right now says so and how to fix it."""
    sb = world.sb
    ali = await world.add_student("Ali", 1)
    ben = await world.add_student("Ben", 0)
    await sb.command(world.teacher, "pair confirm")
    reply = await sb.command(world.teacher, "roster keep-apart add", first=ali, second=ben)
    assert f"They share <#{space_of(sb, ali).id}> right now" in reply.text


async def test_keep_apart_needs_two_students(world: World) -> None:
    """The same student twice, or someone not on the roster, is refused."""
    sb = world.sb
    ali = await world.add_student("Ali", 1)
    same = await sb.command(world.teacher, "roster keep-apart add", first=ali, second=ali)
    assert "Choose two different students." in same.text
    visitor = sb.add_member("Visitor")
    other = await sb.command(world.teacher, "roster keep-apart add", first=ali, second=visitor)
    assert "not a student of this exchange" in other.text
    async with sb.bot.ctx.db.read() as conn:
        assert await roster.keep_apart_pairs(conn, world.exchange_id) == []


async def test_roster_role_of_teachers_is_kept_apart_from_students(world: World) -> None:
    """Teachers are listed only when asked: the default list is students."""
    sb = world.sb
    await world.add_student("Ali", 1)
    text = (await sb.command(world.teacher, "roster list")).text
    assert "**Ali**" in text and "Ms Rivera" not in text and "Ustadh Kareem" not in text
    async with sb.bot.ctx.db.read() as conn:
        teachers = await roster.listing(conn, world.exchange_id, role=Role.TEACHER)
    assert [p.display_name for p in teachers] == ["Ms Rivera", "Ustadh Kareem"]
