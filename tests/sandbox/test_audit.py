"""Audit and abuse resistance: every staff action is logged with who did it; nothing pings.

A command added later must be listed here as a staff action (and then be shown to log), as a
read, or as open to everyone: `test_every_command_is_classified` fails until it is.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import discord
import pytest
from sqlalchemy import select

from bot.app import intents
from bot.i18n import t
from bot.sandbox.driver import Sandbox, Upload
from bot.sandbox.state import Member
from bot.store.schema import activity
from tests.sandbox.directory_world import directory_listed
from tests.sandbox.safety_world import six_students, space_of
from tests.sandbox.sessions_helpers import preview_of
from tests.sandbox.world import World, make_world, publish

Action = Callable[[World], Awaitable[Member]]


async def _paired(world: World) -> None:
    await six_students(world)
    await world.sb.command(world.teacher, "pair confirm")


async def exchange_create(world: World) -> Member:
    await world.sb.command(
        world.coordinator,
        "exchange create",
        name="Second",
        city_a="Winston-Salem",
        zone_a="America/New_York",
        languages_a="en",
        city_b="Kumasi",
        zone_b="Africa/Accra",
        languages_b="en",
    )
    return world.coordinator


async def exchange_roles(world: World) -> Member:
    sb = world.sb
    await sb.command(
        sb.owner,
        "exchange roles",
        student=world.students_role,
        teacher=world.teachers_role,
        coordinator=world.coordinators_role,
    )
    return sb.owner


async def exchange_channels(world: World) -> Member:
    await world.sb.command(
        world.coordinator,
        "exchange channels",
        announcements=world.announcements,
        teachers=world.teachers_channel,
    )
    return world.coordinator


async def exchange_holidays(world: World) -> Member:
    await world.sb.command(world.coordinator, "exchange holidays", city="Najaf", region="IQ")
    return world.coordinator


async def exchange_break(world: World) -> Member:
    await world.sb.command(
        world.teacher, "exchange break add", city="Najaf", start="2026-11-02", end="2026-11-06"
    )
    return world.teacher


async def exchange_city(world: World) -> Member:
    await world.sb.command(
        world.coordinator, "exchange city add", city="Kumasi", zone="Africa/Accra", languages="en"
    )
    return world.coordinator


async def exchange_policy(world: World) -> Member:
    await world.sb.command(world.coordinator, "exchange policy", policy="hub", hub="Minneapolis")
    return world.coordinator


async def exchange_end(world: World) -> Member:
    ask = await world.sb.command(world.coordinator, "exchange end")
    await world.sb.click(world.coordinator, ask, "End the exchange")
    return world.coordinator


async def pair_confirm(world: World) -> Member:
    await six_students(world)
    await world.sb.command(world.partner_teacher, "pair confirm")
    return world.partner_teacher


async def pair_swap(world: World) -> Member:
    await _paired(world)
    s = world.students
    await world.sb.command(world.teacher, "pair swap", first=s["Ben"], second=s["Maya"])
    return world.teacher


async def pair_remove(world: World) -> Member:
    await _paired(world)
    await world.sb.command(world.partner_teacher, "pair remove", student=world.students["Ali"])
    return world.partner_teacher


async def space_pause(world: World) -> Member:
    await _paired(world)
    await world.sb.command(world.teacher, "space pause", student=world.students["Ali"])
    return world.teacher


async def space_reopen(world: World) -> Member:
    await _paired(world)
    await world.sb.command(world.teacher, "space pause", student=world.students["Ali"])
    await world.sb.command(world.partner_teacher, "space reopen", student=world.students["Ali"])
    return world.partner_teacher


async def privacy_export(world: World) -> Member:
    await _paired(world)
    await world.sb.command(world.coordinator, "privacy export", student=world.students["Ali"])
    return world.coordinator


async def privacy_erase(world: World) -> Member:
    await _paired(world)
    ask = await world.sb.command(world.coordinator, "privacy erase", student=world.students["Ali"])
    await world.sb.click(world.coordinator, ask, "Erase for good")
    return world.coordinator


async def _scheduled(world: World) -> None:
    """A monthly session series, scheduled and confirmed by a teacher."""
    await _paired(world)
    preview = await world.sb.command(
        world.teacher, "session schedule", start="2026-10-06", time="15:00", repeat="monthly:nth"
    )
    await world.sb.click(world.teacher, preview_of(preview), "Schedule")


async def session_schedule(world: World) -> Member:
    await _scheduled(world)
    return world.teacher


async def session_cancel(world: World) -> Member:
    await _scheduled(world)
    ask = await world.sb.command(world.teacher, "session cancel")
    await world.sb.click(world.teacher, preview_of(ask), "Cancel the whole series")
    return world.teacher


async def session_skip(world: World) -> Member:
    await _scheduled(world)
    await world.sb.command(world.partner_teacher, "session skip")
    return world.partner_teacher


async def session_move(world: World) -> Member:
    await _scheduled(world)
    october = datetime(2026, 10, 6, 20, tzinfo=UTC)  # 15:00 in Chicago
    ask = await world.sb.command(
        world.teacher,
        "session move",
        occurrence=str(int(october.timestamp())),
        date="2026-10-08",
        time="09:00",
    )
    await world.sb.click(world.teacher, preview_of(ask), "Move it")
    return world.teacher


async def session_edit(world: World) -> Member:
    await _scheduled(world)
    await world.sb.command(world.teacher, "session edit", duration=90)
    return world.teacher


async def session_reminders(world: World) -> Member:
    await world.sb.command(world.teacher, "session reminders", before="2h")
    return world.teacher


async def prompt_add(world: World) -> Member:
    await world.sb.command(world.partner_teacher, "prompt add", english="What is your pet's name?")
    return world.partner_teacher


async def prompt_edit(world: World) -> Member:
    await prompt_add(world)
    await world.sb.command(world.teacher, "prompt edit", prompt="own-1", spanish="¿Tu mascota?")
    return world.teacher


async def prompt_retire(world: World) -> Member:
    await world.sb.command(world.teacher, "prompt retire", prompt="daily.morning")
    return world.teacher


async def prompt_restore(world: World) -> Member:
    await prompt_retire(world)
    await world.sb.command(world.partner_teacher, "prompt restore", prompt="daily.morning")
    return world.partner_teacher


async def prompt_now(world: World) -> Member:
    await _paired(world)
    await world.sb.command(world.teacher, "prompt now")
    return world.teacher


async def chess_limit(world: World) -> Member:
    await world.sb.command(world.teacher, "chess limit", games=2)
    return world.teacher


async def chess_league(world: World) -> Member:
    await world.sb.command(world.teacher, "chess league create")
    return world.teacher


async def roster_remove(world: World) -> Member:
    ali = await world.add_student("Ali", 1)
    ask = await world.sb.command(world.teacher, "roster remove", student=ali)
    await world.sb.click(world.teacher, ask, t("roster.remove_yes", "en"))
    return world.teacher


async def roster_move(world: World) -> Member:
    ali = await world.add_student("Ali", 0)
    await world.sb.command(world.teacher, "roster move", student=ali, city="Najaf")
    return world.teacher


async def roster_pause(world: World) -> Member:
    ali = await world.add_student("Ali", 1)
    await world.sb.command(world.partner_teacher, "roster pause", student=ali)
    return world.partner_teacher


async def roster_resume(world: World) -> Member:
    ali = await world.add_student("Ali", 1)
    await world.sb.command(world.partner_teacher, "roster pause", student=ali)
    await world.sb.command(world.teacher, "roster resume", student=ali)
    return world.teacher


async def roster_import(world: World) -> Member:
    world.sb.add_member("Noor", roles=[world.students_role])
    csv = b"user,city,grade_band,languages,interests,intro\nnoor,Najaf,13-15,ar,chess,Hi\n"
    await world.sb.command(world.partner_teacher, "roster import", file=Upload("class.csv", csv))
    return world.partner_teacher


async def roster_keep_apart(world: World) -> Member:
    ali = await world.add_student("Ali", 1)
    ben = await world.add_student("Ben", 0)
    await world.sb.command(world.teacher, "roster keep-apart add", first=ali, second=ben)
    return world.teacher


async def roster_consent(world: World) -> Member:
    ali = await world.add_student("Ali", 1, consent=None)
    await world.sb.command(world.partner_teacher, "roster consent", student=ali, on_file=True)
    return world.partner_teacher


async def roster_consent_rule(world: World) -> Member:
    await world.sb.command(world.coordinator, "roster consent-rule", required=False)
    return world.coordinator


async def roster_band(world: World) -> Member:
    ali = await world.add_student("Ali", 0, grade_band="10-12")
    await world.sb.command(world.teacher, "roster band", student=ali, grade_band="13-15")
    return world.teacher


async def checkins(world: World) -> Member:
    await world.sb.command(world.teacher, "checkins", days=5)
    return world.teacher


async def pair_cadence(world: World) -> Member:
    await world.sb.command(world.teacher, "pair cadence", every="4")
    return world.teacher


async def _survey(world: World) -> int:
    reply = await world.sb.command(world.teacher, "survey create", title="Before", kind="pre")
    found = re.search(r"Survey #(\d+)", reply.text)
    assert found, reply.text
    return int(found[1])


async def survey_create(world: World) -> Member:
    await _survey(world)
    return world.teacher


async def survey_item(world: World) -> Member:
    survey = await _survey(world)
    await world.sb.command(world.teacher, "survey item", survey=survey, kind="text", text="Why?")
    return world.teacher


async def survey_send(world: World) -> Member:
    await world.sb.command(world.teacher, "survey send", survey=await _survey(world))
    return world.teacher


async def survey_close(world: World) -> Member:
    await world.sb.command(world.teacher, "survey close", survey=await _survey(world))
    return world.teacher


async def survey_results(world: World) -> Member:
    await world.sb.command(world.teacher, "survey results", survey=await _survey(world))
    return world.teacher


async def report_attendance(world: World) -> Member:
    await world.sb.command(world.coordinator, "report attendance")
    return world.coordinator


async def report_exchange(world: World) -> Member:
    # The exchange's own teachers see its figures (Ms Rivera joined it with the world).
    await world.sb.command(world.teacher, "report exchange")
    return world.teacher


async def report_student(world: World) -> Member:
    ben = await world.add_student("Ben", 0)
    await world.sb.command(world.teacher, "report student", student=ben)
    return world.teacher


async def report_link(world: World) -> Member:
    publish(world.sb)
    await world.sb.command(world.teacher, "report link")
    return world.teacher


async def report_digest(world: World) -> Member:
    await world.sb.command(world.coordinator, "report digest", state="on")
    return world.coordinator


async def session_attendance(world: World) -> Member:
    """The session has begun: Ms Rivera marks Ben present."""
    await _scheduled(world)
    await world.sb.advance_to(datetime(2026, 10, 6, 20, 5, tzinfo=UTC))
    await world.sb.command(
        world.teacher, "session attendance", student=world.students["Ben"], mark="present"
    )
    return world.teacher


async def session_voice_minutes(world: World) -> Member:
    await world.sb.command(world.teacher, "session voice-minutes", minutes=5)
    return world.teacher


async def seek_post(world: World) -> Member:
    await directory_listed(world)
    return world.coordinator


async def seek_edit(world: World) -> Member:
    await directory_listed(world)
    await world.sb.command(world.coordinator, "seek edit", class_size=22)
    return world.coordinator


async def seek_pause(world: World) -> Member:
    await directory_listed(world)
    await world.sb.command(world.coordinator, "seek pause")
    return world.coordinator


async def seek_remove(world: World) -> Member:
    await directory_listed(world)
    await world.sb.command(world.coordinator, "seek remove")
    return world.coordinator


async def seek_introduce(world: World) -> Member:
    other = await directory_listed(world)
    await world.sb.command(world.coordinator, "seek introduce", listing=other)
    return world.coordinator


async def seek_block(world: World) -> Member:
    other = await directory_listed(world)
    await world.sb.command(world.coordinator, "seek block", listing=other)
    return world.coordinator


async def seek_report(world: World) -> Member:
    other = await directory_listed(world)
    world.sb.bot.ctx.settings.operator_channel_id = world.teachers_channel.id
    await world.sb.command(world.coordinator, "seek report", listing=other, reason="spam")
    return world.coordinator


# Every command that changes something, what it logs, and how a teacher's story runs it.
# Reports change nothing but show children's names and attendance: who looked is logged.
STAFF_ACTIONS: dict[str, tuple[str, Action]] = {
    "exchange create": ("exchange.created", exchange_create),
    "exchange roles": ("guild.roles_set", exchange_roles),
    "exchange channels": ("exchange.channels_set", exchange_channels),
    "exchange holidays": ("exchange.holidays_set", exchange_holidays),
    "exchange break": ("break.added", exchange_break),
    "exchange city": ("exchange.city_added", exchange_city),
    "exchange policy": ("exchange.policy_set", exchange_policy),
    "exchange end": ("exchange.ended", exchange_end),
    "pair confirm": ("pairing.confirmed", pair_confirm),
    "pair swap": ("pairing.swapped", pair_swap),
    "pair remove": ("pairing.removed", pair_remove),
    "pair cadence": ("pairing.cadence_set", pair_cadence),
    "space pause": ("safety.space_paused", space_pause),
    "space reopen": ("safety.space_reopened", space_reopen),
    "privacy export": ("privacy.exported", privacy_export),
    "privacy erase": ("privacy.erased", privacy_erase),
    "session schedule": ("session.scheduled", session_schedule),
    "session cancel": ("session.cancelled", session_cancel),
    "session skip": ("session.skipped", session_skip),
    "session move": ("session.moved", session_move),
    "session edit": ("session.edited", session_edit),
    "session reminders": ("session.reminders_set", session_reminders),
    "session attendance": ("session.marked", session_attendance),
    "session voice-minutes": ("session.voice_minutes_set", session_voice_minutes),
    "prompt add": ("prompt.added", prompt_add),
    "prompt edit": ("prompt.edited", prompt_edit),
    "prompt retire": ("prompt.retired", prompt_retire),
    "prompt restore": ("prompt.restored", prompt_restore),
    "prompt now": ("prompt.posted", prompt_now),
    "chess limit": ("chess.limit_set", chess_limit),
    # A group: create (logged here), round (chess.league_round), join (a student's), and the
    # standings and a match's PGN (reads), each in tests/sandbox/test_chess_league.py.
    "chess league": ("chess.league_created", chess_league),
    "roster remove": ("roster.removed", roster_remove),
    "roster move": ("roster.moved", roster_move),
    "roster pause": ("roster.paused", roster_pause),
    "roster resume": ("roster.resumed", roster_resume),
    "roster import": ("roster.imported", roster_import),
    "roster keep-apart": ("roster.keep_apart_added", roster_keep_apart),
    "roster consent": ("roster.consent", roster_consent),
    "roster consent-rule": ("roster.consent_rule", roster_consent_rule),
    "roster band": ("roster.band", roster_band),
    "checkins": ("meet.days_set", checkins),
    "survey create": ("survey.created", survey_create),
    "survey item": ("survey.item_added", survey_item),
    "survey send": ("survey.sent", survey_send),
    "survey close": ("survey.closed", survey_close),
    "survey results": ("survey.results_viewed", survey_results),
    "report attendance": ("report.viewed", report_attendance),
    "report exchange": ("report.viewed", report_exchange),
    "report student": ("report.viewed", report_student),
    "report link": ("dashboard.link_created", report_link),
    "report digest": ("digest.on", report_digest),
    "seek post": ("seek.posted", seek_post),
    "seek edit": ("seek.edited", seek_edit),
    "seek pause": ("seek.paused", seek_pause),
    "seek remove": ("seek.removed", seek_remove),
    "seek introduce": ("seek.asked", seek_introduce),
    "seek block": ("seek.blocked", seek_block),
    "seek report": ("seek.reported", seek_report),
}
# Commands that only show things (no change, nothing to audit).
READS = {
    "about",
    "exchange info",
    "pair preview",
    "pair history",
    "concerns",
    "roster list",
    "roster export",
    "session list",
    "session suggest",
    "session ics",
    "prompt list",
    "prompt stats",
    "chess board",
    "chess games",
    "chess pgn",
    "chess standings",
    "report links",
    "seek find",
    "seek mine",
}
# Commands for everyone: students join, report, ask for a prompt and play (logged too, in
# their own features' tests).
EVERYONE = {
    "concern",
    "Report to teacher",
    "join",
    "profile",
    "prompt next",
    "chess challenge",
    "chess move",
    "chess draw",
    "chess claim",
    "chess resign",
    "session calendar",  # a feed of one's own exchange; logged (feeds.created), test_feeds.py
}


def registered(sb: Sandbox) -> set[str]:
    """Every command a user of the server can run, as "group sub" paths."""
    found = set()
    for command in sb.server.guild_commands[sb.guild.id]:
        subs = [o for o in command.get("options", []) if o["type"] in (1, 2)]
        if not subs:
            found.add(command["name"])
        for sub in subs:
            found.add(f"{command['name']} {sub['name']}")
    return found


async def test_every_command_is_classified(sb: Sandbox) -> None:
    """Staff actions, reads and everyone's commands together are exactly what is registered."""
    known = set(STAFF_ACTIONS) | READS | EVERYONE
    assert registered(sb) == known, (
        f"classify in tests/sandbox/test_audit.py: {sorted(registered(sb) - known)}; "
        f"gone: {sorted(known - registered(sb))}"
    )


@pytest.mark.parametrize("path", sorted(STAFF_ACTIONS))
async def test_every_staff_action_is_logged_with_who_did_it(sb: Sandbox, path: str) -> None:
    """Running the command leaves an activity row of its kind naming the person who ran it."""
    world = await make_world(sb)
    kind, action = STAFF_ACTIONS[path]
    async with sb.bot.ctx.db.read() as conn:
        before = (await conn.scalars(select(activity.c.id).where(activity.c.kind == kind))).all()
    actor = await action(world)
    async with sb.bot.ctx.db.read() as conn:
        rows = (
            await conn.execute(
                select(activity).where(activity.c.kind == kind, activity.c.id.not_in(before))
            )
        ).all()
    assert rows, f"/{path} logged no {kind}"
    assert all(r.actor_id == actor.user.id for r in rows)


def test_the_bot_asks_for_no_privileged_intent() -> None:
    """No members, presences or message content: slash commands and components need none."""
    wanted = intents()
    assert not (wanted.members or wanted.presences or wanted.message_content)
    privileged = discord.Intents(members=True, presences=True, message_content=True)
    assert wanted.value & privileged.value == 0


async def test_an_intro_with_everyone_pings_nobody_but_the_pair(sb: Sandbox) -> None:
    """@everyone, @here and a role mention in an introduction ping nobody; the pair is pinged."""
    world = await make_world(sb)
    role = world.teachers_role
    sneaky = f"hi @everyone and @here, <@&{role.id}> look!"
    ben = await world.add_student("Ben", 0, intro=sneaky)
    ali = await world.add_student("Ali", 1, intro=f"@everyone {sneaky}")
    await sb.command(world.teacher, "pair confirm")
    welcome = sb.messages_in(space_of(sb, ben))[0]
    assert "@everyone" in str(welcome.embeds), "the intro is shown as written"
    assert not welcome.mention_everyone
    assert welcome.mention_roles == []
    assert sorted(welcome.mentions) == sorted([ben.user.id, ali.user.id])


async def test_nothing_the_bot_posts_ever_pings_everyone_or_a_role(sb: Sandbox) -> None:
    """Across a whole story (pairing, reports with sneaky words, pauses), no ping leaks."""
    world = await make_world(sb)
    await six_students(world)
    await world.add_student("Eve", 0, intro="@everyone @here")
    await sb.command(world.teacher, "pair confirm")
    ben = world.students["Ben"]
    space = space_of(sb, ben)
    message = await sb.say(ben, space, f"@everyone <@&{world.teachers_role.id}>")
    offer = await sb.context_menu(ben, "Report to teacher", message)
    done = await sb.choose(ben, offer, ["spam"])
    form = await sb.click(ben, done, "Add a few words")
    await sb.submit(ben, form, details=f"@everyone @here <@&{world.teachers_role.id}>")
    await sb.click(world.teacher, sb.last_message(world.teachers_channel), "Pause space")
    await sb.command(world.teacher, "space reopen", student=ben)
    bot_messages = [m for m in sb.server.messages.values() if m.author.bot]
    assert len(bot_messages) > 10
    for posted in bot_messages:
        assert not posted.mention_everyone, posted.content
        assert posted.mention_roles == [], posted.content
