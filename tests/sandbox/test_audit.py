"""Audit and abuse resistance: every staff action is logged with who did it; nothing pings.

A command added later must be listed here as a staff action (and then be shown to log), as a
read, or as open to everyone: `test_every_command_is_classified` fails until it is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import discord
import pytest
from sqlalchemy import select

from bot.app import intents
from bot.sandbox.driver import Sandbox
from bot.sandbox.state import Member
from bot.store.schema import activity
from tests.sandbox.safety_world import six_students, space_of
from tests.sandbox.world import World, make_world

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


# Every command that changes something, what it logs, and how a teacher's story runs it.
STAFF_ACTIONS: dict[str, tuple[str, Action]] = {
    "exchange create": ("exchange.created", exchange_create),
    "exchange roles": ("guild.roles_set", exchange_roles),
    "exchange channels": ("exchange.channels_set", exchange_channels),
    "exchange end": ("exchange.ended", exchange_end),
    "pair confirm": ("pairing.confirmed", pair_confirm),
    "pair swap": ("pairing.swapped", pair_swap),
    "pair remove": ("pairing.removed", pair_remove),
    "space pause": ("safety.space_paused", space_pause),
    "space reopen": ("safety.space_reopened", space_reopen),
    "privacy export": ("privacy.exported", privacy_export),
    "privacy erase": ("privacy.erased", privacy_erase),
}
# Commands that only show things (no change, nothing to audit).
READS = {"about", "exchange info", "pair preview", "pair history", "reports"}
# Commands for everyone (students report; they are logged too, see test_reports).
EVERYONE = {"concern", "Report to teacher"}


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
