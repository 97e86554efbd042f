""" "Did you meet?" check-ins through the real bot (issue 23): posted in each pair's space some
days after a round or a session, answered with restart-proof buttons, "we need help" in the
teachers' channel, counted in `/report exchange`."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.i18n import t
from bot.sandbox.driver import Sandbox
from bot.sandbox.state import Channel, Member, Message
from tests.sandbox.world import World, make_world

YES = t("meet.button.yes", "en")
NOT_YET = t("meet.button.not_yet", "en")
HELP = t("meet.button.help", "en")


@pytest.fixture
async def world(sb: Sandbox) -> World:
    found = await make_world(sb)
    for name, city in (("Ben", 0), ("Ali", 1), ("Maya", 0), ("Zainab", 1)):
        await found.add_student(name, city)
    return found


def space_of(sb: Sandbox, member: Member) -> Channel:
    (space,) = [
        c
        for c in sb.guild.channels.values()
        if c.name.startswith("pair-") and sb.guild.can_view(member.user.id, c.id)
    ]
    return space


def checkins(sb: Sandbox, space: Channel) -> list[Message]:
    return [m for m in sb.messages_in(space) if "Did you talk with your partner" in m.content]


async def paired_and_asked(world: World) -> None:
    """Check-ins a week after a round; the round, and the week."""
    sb = world.sb
    reply = await sb.command(world.teacher, "checkins", days=7)
    assert "7 days after a pairing round or a session" in reply.text
    await sb.command(world.teacher, "pair confirm")
    await sb.advance(timedelta(days=6))
    await sb.idle()
    assert not checkins(sb, space_of(sb, world.students["Ben"])), "not before the week is out"
    await sb.advance(timedelta(days=1, hours=1))
    await sb.idle()


async def test_each_pair_is_asked_in_its_space_a_week_after_the_round(world: World) -> None:
    sb = world.sb
    await paired_and_asked(world)
    for name in ("Ben", "Maya"):
        (post,) = checkins(sb, space_of(sb, world.students[name]))
        assert f"<@{world.students[name].user.id}>" in post.content
    # A restart re-derives the schedule from the database: nobody is asked twice.
    await sb.restart_bot()
    await sb.idle()
    assert len(checkins(sb, space_of(sb, world.students["Ben"]))) == 1


async def test_an_answer_is_kept_per_student_and_changeable_even_after_a_restart(
    world: World,
) -> None:
    sb = world.sb
    await paired_and_asked(world)
    ben = world.students["Ben"]
    (post,) = checkins(sb, space_of(sb, ben))
    first = await sb.click(ben, post, NOT_YET)
    assert first.ephemeral and "Your answer: Not yet" in first.text
    await sb.restart_bot()
    again = await sb.click(ben, post, YES)
    assert "Your answer is now: Yes (it replaces the one you gave)" in again.text
    report = await sb.command(world.coordinator, "report exchange")
    field = next(f for f in report.embeds[0]["fields"] if f["name"] == t("meet.report_title", "en"))
    assert "Yes: 1 · Not yet: 0 · We need help: 0" in field["value"]


async def test_someone_outside_the_pair_cannot_answer_for_it(world: World) -> None:
    """A teacher sees every space, but the check-in is the students' to answer."""
    sb = world.sb
    await paired_and_asked(world)
    (post,) = checkins(sb, space_of(sb, world.students["Ben"]))
    reply = await sb.click(world.teacher, post, YES)
    assert t("meet.error.not_yours", "en") in reply.text
    report = await sb.command(world.coordinator, "report exchange")
    field = next(f for f in report.embeds[0]["fields"] if f["name"] == t("meet.report_title", "en"))
    assert "Yes: 0 · Not yet: 0 · We need help: 0" in field["value"]


async def test_we_need_help_reaches_the_teachers_channel(world: World) -> None:
    sb = world.sb
    await paired_and_asked(world)
    ben = world.students["Ben"]
    space = space_of(sb, ben)
    (post,) = checkins(sb, space)
    before = len(sb.messages_in(world.teachers_channel))
    await sb.click(ben, post, HELP)
    await sb.idle()
    posted = sb.messages_in(world.teachers_channel)[before:]
    assert len(posted) == 1
    assert "we need help" in posted[0].content and f"<#{space.id}>" in posted[0].content
    assert "Ben" in posted[0].content
    assert not posted[0].mention_everyone and posted[0].mention_roles == []
    # It is a concern like any other: its post has the report's buttons.
    assert t("report.reason.checkin_help", "en") in posted[0].embeds[0]["title"]


async def test_we_need_help_is_listed_in_concerns_once_per_student(world: World) -> None:
    """A concern teachers find in /concerns (and resolve there); changing the answer away and
    back files nothing new."""
    sb = world.sb
    await paired_and_asked(world)
    ben = world.students["Ben"]
    (post,) = checkins(sb, space_of(sb, ben))
    await sb.click(ben, post, HELP)
    await sb.click(ben, post, YES)
    await sb.click(ben, post, HELP)
    await sb.idle()
    listed = await sb.command(world.teacher, "concerns")
    assert t("report.reason.checkin_help", "en") in listed.text
    assert "Ben" in listed.text
    assert listed.text.count(t("report.reason.checkin_help", "en")) == 1
    posts = [m for m in sb.messages_in(world.teachers_channel) if "we need help" in m.content]
    assert len(posts) == 1


async def test_we_need_help_is_posted_even_when_discord_fails_for_a_moment(
    world: World,
) -> None:
    """The teachers' post is a scheduled send: Discord's 503 is tried again, a restart in
    between loses nothing, and it is posted once."""
    sb = world.sb
    await paired_and_asked(world)
    ben = world.students["Ben"]
    (post,) = checkins(sb, space_of(sb, ben))
    sb.server.fail_next(
        "POST",
        "/channels/{channel_id}/messages",
        status=503,
        channel_id=world.teachers_channel.id,
    )
    answered = await sb.click(ben, post, HELP)
    assert "We need help" in answered.text
    await sb.idle()
    assert not [m for m in sb.messages_in(world.teachers_channel) if "we need help" in m.content]
    await sb.restart_bot()
    await sb.advance(timedelta(minutes=1))
    await sb.idle()
    posts = [m for m in sb.messages_in(world.teachers_channel) if "we need help" in m.content]
    assert len(posts) == 1
    listed = await sb.command(world.teacher, "concerns")
    assert "/channels/" in listed.text, "the listing links to the post"


async def test_not_yet_at_two_check_ins_in_a_row_is_shown_to_teachers(world: World) -> None:
    """A session held after the round is a new occasion: a second check-in a week later."""
    sb = world.sb
    await paired_and_asked(world)
    ben = world.students["Ben"]
    (first,) = checkins(sb, space_of(sb, ben))
    await sb.click(ben, first, NOT_YET)
    schedule = await sb.command(
        world.teacher, "session schedule", start="2026-10-20", time="15:00", repeat="once"
    )
    confirm = schedule.followups[-1] if schedule.followups else schedule
    label = "Schedule anyway" if "Overlaps" in schedule.text else "Schedule"
    await sb.click(world.teacher, confirm, label)
    # Past the session, past the daily sweep that notices it, and a week on.
    await sb.advance_to(sb.now().replace(month=10, day=20) + timedelta(days=8, hours=6))
    await sb.idle()
    posts = checkins(sb, space_of(sb, ben))
    assert len(posts) == 2
    closed = await sb.click(ben, posts[0], YES)
    assert t("meet.error.closed", "en") in closed.text
    # They wrote a moment ago: by its messages the pair is active...
    await sb.say(ben, space_of(sb, ben), "Hello!")
    report = await sb.command(world.coordinator, "report exchange")
    nudge = {f["name"]: f["value"] for f in report.embeds[0]["fields"]}
    assert "Pairs to nudge (1)" in nudge, "only the other pair, which never wrote"
    assert "Ben" not in nudge["Pairs to nudge (1)"]
    # ...but its second "not yet" in a row puts it among the pairs teachers nudge.
    await sb.click(ben, posts[1], NOT_YET)
    report = await sb.command(world.coordinator, "report exchange")
    field = next(f for f in report.embeds[0]["fields"] if f["name"] == t("meet.report_title", "en"))
    assert "Said “not yet” twice in a row: Ben" in field["value"]
    nudge = {f["name"]: f["value"] for f in report.embeds[0]["fields"]}
    assert "Ben" in nudge["Pairs to nudge (2)"]
    assert "said “not yet” at two check-ins in a row" in nudge["Pairs to nudge (2)"]


async def test_check_ins_are_off_unless_a_teacher_turns_them_on(sb: Sandbox) -> None:
    world = await make_world(sb)
    await world.add_student("Ben", 0)
    await world.add_student("Ali", 1)
    await sb.command(world.teacher, "pair confirm")
    await sb.advance(timedelta(days=30))
    await sb.idle()
    assert not checkins(sb, space_of(sb, world.students["Ben"]))
