"""Nothing half-done: the bot dying, or Discord failing for a moment, in the middle of a change
of several steps never leaves Discord and the database disagreeing, a post lost or doubled.

Each story stops the bot where it hurt before: `stall_next` holds one request to Discord and
`crash_during` kills the bot there (as kill -9 would: nothing it was doing is finished or
cleaned up), then a new bot starts on the same database. With `performed` Discord did the work
and only its answer was lost.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.sandbox.driver import Sandbox
from bot.sandbox.permissions import Overwrite, P
from bot.sandbox.state import Channel, ChannelType, Member, Message
from bot.store import pairing as pairing_store
from bot.store.schema import activity, pair_members, participants, prompt_posts
from tests.sandbox.safety_world import fill_guild, pair_spaces, six_students, space_of
from tests.sandbox.world import World, make_world

CHANNELS = "/guilds/{guild_id}/channels"
CHANNEL = "/channels/{channel_id}"
MESSAGES = "/channels/{channel_id}/messages"
THREADS = "/channels/{channel_id}/threads"
PERFORMED = pytest.mark.parametrize("performed", [False, True], ids=["not-done", "answer-lost"])


@pytest.fixture
async def world(sb: Sandbox) -> World:
    """Three students in each city, not paired yet."""
    made = await make_world(sb)
    await six_students(made)
    return made


async def paired(world: World) -> list[Channel]:
    reply = await world.sb.command(world.teacher, "pair confirm")
    assert "3 paired spaces" in reply.text, reply.text
    return pair_spaces(world.sb)


def welcomes(sb: Sandbox, space: Channel) -> list[Message]:
    """Welcome posts in a space: the bot's posts with a part per language and the people."""
    return [m for m in sb.messages_in(space) if m.author.bot and len(m.embeds) >= 2]


def greetings(sb: Sandbox, space: Channel) -> list[Message]:
    return [m for m in sb.messages_in(space) if m.author.bot and "👋" in m.content]


def cards(sb: Sandbox, space: Channel) -> list[Message]:
    return [
        m
        for m in sb.messages_in(space)
        if m.author.bot
        and any((e.get("footer") or {}).get("text", "").startswith("🔖") for e in m.embeds)
    ]


def pair_categories(sb: Sandbox) -> list[Channel]:
    return [c for c in sb.guild.channels.values() if c.type == ChannelType.CATEGORY]


async def activity_kinds(sb: Sandbox) -> list[str]:
    async with sb.bot.ctx.db.read() as conn:
        return list((await conn.scalars(select(activity.c.kind).order_by(activity.c.id))).all())


async def nothing_half_done(sb: Sandbox) -> None:
    """No change is left unfinished, and the spaces Discord has are exactly the stored ones."""
    assert await sb.bot.services.operations.left() == []
    async with sb.bot.ctx.db.read() as conn:
        exchange_id = (await conn.scalars(select(participants.c.partnership_id))).first()
        stored = await pairing_store.space_ids(conn, exchange_id) if exchange_id else set()
    assert {c.id for c in pair_spaces(sb)} == stored


def can_write(sb: Sandbox, member: Member, space: Channel) -> bool:
    return bool(sb.guild.permissions_in(member.user.id, space.id) & P.SEND_MESSAGES)


# -- /pair confirm ---------------------------------------------------------------------------------


@PERFORMED
async def test_a_restart_in_the_middle_of_confirm_leaves_no_space_nobody_knows(
    world: World, performed: bool
) -> None:
    """The bot dies creating the second of three channels: at the next start the spaces it
    made are gone (the one whose answer was lost too), no student sees a space the database
    does not know, and confirming again makes pair-001 to pair-003 once, each welcomed once."""
    sb = world.sb
    # The category, then pair-001; pair-002 is held.
    stall = sb.server.stall_next("POST", CHANNELS, skip=2, performed=performed)
    await sb.crash_during(sb.prepare_command(world.teacher, "pair confirm"), stall)
    assert pair_spaces(sb) == [] and pair_categories(sb) == []
    for member in world.students.values():
        assert not [c for c in sb.visible_channels(member) if c.name.startswith("pair-")]
    assert "pairing.undone" in await activity_kinds(sb)
    await nothing_half_done(sb)
    spaces = await paired(world)
    assert sorted(c.name for c in spaces) == ["pair-001", "pair-002", "pair-003"]
    assert [len(welcomes(sb, s)) for s in spaces] == [1, 1, 1]
    await nothing_half_done(sb)


async def test_a_restart_while_a_new_round_archives_the_old_one_reopens_it(world: World) -> None:
    """Second round: the bot dies archiving the first round's spaces. At the next start the
    new spaces are gone and the old ones are writable again, as the database still says."""
    sb = world.sb
    first = await paired(world)
    # Three new channels (no new category: the first has room), then the archiving edits.
    stall = sb.server.stall_next("PATCH", CHANNEL, skip=1)
    await sb.crash_during(sb.prepare_command(world.teacher, "pair confirm"), stall)
    assert pair_spaces(sb) == first
    for name, member in world.students.items():
        space = space_of(sb, member)
        assert not space.name.startswith("archived-") and can_write(sb, member, space), name
    async with sb.bot.ctx.db.read() as conn:
        assert len(await pairing_store.live_pairs(conn, world.exchange_id)) == 3
    await nothing_half_done(sb)


async def test_confirming_in_a_full_server_survives_a_restart_too(world: World) -> None:
    """Private threads (a full server): the bot dies creating the second thread; at the next
    start the first is gone, and a new confirmation makes three threads, each welcomed once."""
    sb = world.sb
    await fill_guild(sb)
    stall = sb.server.stall_next("POST", THREADS, skip=1)
    await sb.crash_during(sb.prepare_command(world.teacher, "pair confirm"), stall)
    assert pair_spaces(sb) == []
    await nothing_half_done(sb)
    spaces = await paired(world)
    assert {s.type for s in spaces} == {ChannelType.PRIVATE_THREAD}
    assert [len(welcomes(sb, s)) for s in spaces] == [1, 1, 1]


# -- welcomes --------------------------------------------------------------------------------------


async def test_a_welcome_discord_fails_is_posted_shortly_and_the_teacher_is_told(
    world: World,
) -> None:
    """Discord answers 503 to the first welcome: the round exists and the teacher is told one
    welcome is still to come (not a generic failure); 30 s later every space has one."""
    sb = world.sb
    sb.server.fail_next("POST", MESSAGES, status=503)
    reply = await sb.command(world.teacher, "pair confirm")
    assert "Done: 3 paired spaces" in reply.text
    assert "1 welcome post is not out yet" in reply.text
    assert sorted(len(welcomes(sb, s)) for s in pair_spaces(sb)) == [0, 1, 1]
    await sb.advance(seconds=31)
    assert [len(welcomes(sb, s)) for s in pair_spaces(sb)] == [1, 1, 1]


@PERFORMED
async def test_a_restart_while_welcoming_loses_no_welcome_and_doubles_none(
    world: World, performed: bool
) -> None:
    """The bot dies posting the second welcome (Discord got it or not): after the restart
    every space has exactly one welcome, with the partner's introduction."""
    sb = world.sb
    stall = sb.server.stall_next("POST", MESSAGES, skip=1, performed=performed)
    await sb.crash_during(sb.prepare_command(world.teacher, "pair confirm"), stall)
    spaces = pair_spaces(sb)
    assert [len(welcomes(sb, s)) for s in spaces] == [1, 1, 1]
    for space in spaces:
        assert "Hello!" in str(welcomes(sb, space)[0].embeds)
    await nothing_half_done(sb)


# -- /prompt now -----------------------------------------------------------------------------------


async def test_a_prompt_discord_fails_for_a_moment_is_posted_shortly(world: World) -> None:
    """A 503 in one space is not "could not be reached": the teacher hears it comes shortly,
    and 30 s later that pair has its prompt, once."""
    sb = world.sb
    spaces = await paired(world)
    sb.server.fail_next("POST", MESSAGES, status=503, channel_id=spaces[1].id)
    reply = await sb.command(world.teacher, "prompt now")
    assert "Posted the next prompt in 2 paired spaces" in reply.text
    assert "1 space gets its prompt shortly" in reply.text
    assert "could not be reached" not in reply.text
    assert [len(cards(sb, s)) for s in spaces] == [1, 0, 1]
    await sb.advance(seconds=31)
    assert [len(cards(sb, s)) for s in spaces] == [1, 1, 1]


@PERFORMED
async def test_a_restart_in_the_middle_of_prompt_now_still_reaches_every_pair_once(
    world: World, performed: bool
) -> None:
    """The bot dies posting the second pair's prompt: after the restart every pair has that
    delivery's prompt exactly once, and each post is recorded with its message."""
    sb = world.sb
    spaces = await paired(world)
    stall = sb.server.stall_next("POST", MESSAGES, skip=1, performed=performed)
    await sb.crash_during(sb.prepare_command(world.teacher, "prompt now"), stall)
    assert [len(cards(sb, s)) for s in spaces] == [1, 1, 1]
    async with sb.bot.ctx.db.read() as conn:
        messages = (await conn.scalars(select(prompt_posts.c.message_id))).all()
    assert len(messages) == 3 and None not in messages


# -- swaps, removals, the end of an exchange, erasure ----------------------------------------------


async def test_a_restart_in_the_middle_of_a_swap_puts_both_students_back(world: World) -> None:
    """The bot dies between the two spaces of a swap: at the next start both students are
    back where the database says they are; swapping again works and greets each once."""
    sb = world.sb
    await paired(world)
    ben, maya = world.students["Ben"], world.students["Maya"]
    ben_space, maya_space = space_of(sb, ben), space_of(sb, maya)
    stall = sb.server.stall_next("PATCH", CHANNEL, skip=1)
    swap = sb.prepare_command(world.teacher, "pair swap", first=ben, second=maya)
    await sb.crash_during(swap, stall)
    assert space_of(sb, ben) == ben_space and space_of(sb, maya) == maya_space
    async with sb.bot.ctx.db.read() as conn:
        assert (await conn.scalars(select(pair_members.c.left_at))).all() == [None] * 6
    await nothing_half_done(sb)
    reply = await sb.command(world.teacher, "pair swap", first=ben, second=maya)
    assert "Swapped" in reply.text
    assert space_of(sb, ben) == maya_space and space_of(sb, maya) == ben_space
    assert len(greetings(sb, maya_space)) == 1 and len(greetings(sb, ben_space)) == 1


async def test_a_restart_in_the_middle_of_pair_remove_finishes_it(world: World) -> None:
    """The bot dies as it archives the space: at the next start the removal is finished, in
    Discord and in the database, logged as the teacher's."""
    sb = world.sb
    await paired(world)
    ali = world.students["Ali"]
    space = space_of(sb, ali)
    stall = sb.server.stall_next("PATCH", CHANNEL, channel_id=space.id)
    await sb.crash_during(sb.prepare_command(world.teacher, "pair remove", student=ali), stall)
    assert space.name.startswith("archived-") and not can_write(sb, ali, space)
    async with sb.bot.ctx.db.read() as conn:
        assert len(await pairing_store.live_pairs(conn, world.exchange_id)) == 2
        actor = await conn.scalar(
            select(activity.c.actor_id).where(activity.c.kind == "pairing.removed")
        )
    assert actor == world.teacher.user.id
    await nothing_half_done(sb)


async def test_a_restart_in_the_middle_of_ending_an_exchange_finishes_it(world: World) -> None:
    """The bot dies after archiving one of three spaces: at the next start every space is
    read-only and the exchange is ended."""
    sb = world.sb
    spaces = await paired(world)
    ask = await sb.command(world.coordinator, "exchange end")
    stall = sb.server.stall_next("PATCH", CHANNEL, skip=1)
    await sb.crash_during(sb.prepare_click(world.coordinator, ask, "End the exchange"), stall)
    assert all(s.name.startswith("archived-") for s in spaces)
    for member in world.students.values():
        assert not can_write(sb, member, space_of(sb, member))
    assert "exchange.ended" in await activity_kinds(sb)
    await nothing_half_done(sb)


async def test_a_restart_in_the_middle_of_an_erasure_finishes_it(world: World) -> None:
    """The bot dies taking Ali out of his space: at the next start Ali is out of it and
    erased, as the coordinator confirmed."""
    sb = world.sb
    await paired(world)
    ali = world.students["Ali"]
    space = space_of(sb, ali)
    ask = await sb.command(world.coordinator, "privacy erase", student=ali)
    stall = sb.server.stall_next("PATCH", CHANNEL, channel_id=space.id)
    await sb.crash_during(sb.prepare_click(world.coordinator, ask, "Erase for good"), stall)
    assert not sb.guild.can_view(ali.user.id, space.id)
    async with sb.bot.ctx.db.read() as conn:
        names = (await conn.scalars(select(participants.c.display_name))).all()
    assert "Ali" not in names
    assert "privacy.erased" in await activity_kinds(sb)
    await nothing_half_done(sb)


# -- Discord against the database ------------------------------------------------------------------


async def test_a_channel_discord_made_twice_is_removed_before_anyone_uses_it(
    world: World,
) -> None:
    """Discord makes pair-002 but answers 500, so discord.py asks again and gets a second
    one: the first, which nothing stored knows, is removed at once and logged."""
    sb = world.sb
    sb.server.fail_next("POST", CHANNELS, status=500, lost_answer=True, skip=2)
    spaces = await paired(world)
    assert sorted(c.name for c in spaces) == ["pair-001", "pair-002", "pair-003"]
    for member in world.students.values():
        assert len([c for c in sb.visible_channels(member) if c.name.startswith("pair-")]) == 1
    assert "pairing.unknown_spaces_removed" in await activity_kinds(sb)
    await nothing_half_done(sb)


async def test_a_space_the_bot_made_and_forgot_is_removed_at_start(world: World) -> None:
    """A pair channel in the exchange's category that nothing stored explains (left by an
    older version) goes at the next start; an admin's own channel there stays."""
    sb = world.sb
    spaces = await paired(world)
    category = sb.guild.channels[spaces[0].parent_id or 0]
    ben = world.students["Ben"]
    orphan = sb.add_channel("pair-004", parent=category)
    orphan.overwrites = [
        Overwrite(sb.server.bot_user.id, 1, int(P.VIEW_CHANNEL), 0),
        Overwrite(ben.user.id, 1, int(P.VIEW_CHANNEL | P.SEND_MESSAGES), 0),
    ]
    notes = sb.add_channel("teachers-notes", parent=category)
    await sb.restart_bot()
    assert orphan.id not in sb.guild.channels
    assert notes.id in sb.guild.channels
    assert "pairing.unknown_spaces_removed" in await activity_kinds(sb)
    await nothing_half_done(sb)


@pytest.mark.parametrize("mode", ["channels", "threads"])
async def test_a_pair_whose_space_was_deleted_is_flagged_once(world: World, mode: str) -> None:
    """An admin deletes a pair's channel (or the channel holding the pairs' threads) while
    the bot is down: the next start flags each pair concerned in the activity log, once
    however often the bot restarts."""
    sb = world.sb
    if mode == "threads":
        await fill_guild(sb)
    spaces = await paired(world)
    gone = sb.guild.channels[spaces[0].parent_id or 0] if mode == "threads" else spaces[0]

    async def delete_it() -> None:
        # Discord deletes a channel's threads with it.
        for channel in list(sb.guild.channels.values()):
            if channel.id == gone.id or (channel.is_thread and channel.parent_id == gone.id):
                del sb.guild.channels[channel.id]

    await sb.restart_bot(downtime=timedelta(minutes=5), meanwhile=delete_it)
    await sb.restart_bot()
    kinds = await activity_kinds(sb)
    assert kinds.count("pairing.space_missing") == (3 if mode == "threads" else 1)


async def test_a_change_left_over_is_settled_before_the_next_one_starts(world: World) -> None:
    """Discord fails to delete the space of a cut-short round at start-up and again when the
    teacher confirms: the teacher is told to try again shortly, nothing more is made; half a
    minute later the bot has settled it, and the next confirmation starts on a clean slate."""
    sb = world.sb
    stall = sb.server.stall_next("POST", CHANNELS, skip=2)
    outage = sb.server.fail_next("DELETE", CHANNEL, status=503, times=1000)
    await sb.crash_during(sb.prepare_command(world.teacher, "pair confirm"), stall)
    assert [c.name for c in pair_spaces(sb)] == ["pair-001"]
    reply = await sb.command(world.teacher, "pair confirm")
    assert "try again in a minute" in reply.text
    assert [c.name for c in pair_spaces(sb)] == ["pair-001"]
    outage.times = 0  # Discord is well again
    await sb.advance(seconds=31)
    await nothing_half_done(sb)
    assert pair_spaces(sb) == []
    spaces = await paired(world)
    assert sorted(c.name for c in spaces) == ["pair-001", "pair-002", "pair-003"]


@pytest.mark.parametrize("command", ["pair confirm", "prompt now"])
async def test_a_post_made_just_before_a_long_stop_is_not_made_again(
    world: World, command: str
) -> None:
    """Discord takes the second post and the bot dies before hearing it; it is back 20
    minutes later, beyond Discord's few minutes of nonce: it finds the post in the space
    instead of posting it twice."""
    sb = world.sb
    spaces = await paired(world) if command == "prompt now" else []
    stall = sb.server.stall_next("POST", MESSAGES, skip=1, performed=True)
    await sb.crash_during(
        sb.prepare_command(world.teacher, command), stall, downtime=timedelta(minutes=20)
    )
    posts = welcomes if command == "pair confirm" else cards
    assert [len(posts(sb, s)) for s in spaces or pair_spaces(sb)] == [1, 1, 1]
    await nothing_half_done(sb)


async def test_a_thread_discord_made_twice_is_removed_too(world: World) -> None:
    """The same in a full server: the private thread whose answer was lost goes at once."""
    sb = world.sb
    await fill_guild(sb)
    sb.server.fail_next("POST", THREADS, status=500, lost_answer=True, skip=1)
    spaces = await paired(world)
    assert sorted(c.name for c in spaces) == ["pair-001", "pair-002", "pair-003"]
    assert "pairing.unknown_spaces_removed" in await activity_kinds(sb)
    await nothing_half_done(sb)


async def test_a_cut_short_space_someone_wrote_in_is_kept_for_staff(world: World) -> None:
    """The bot is down two hours after dying mid-round, and a student found the first new
    space and wrote there: at the next start it is closed to students, not deleted, so the
    teachers can still read what was said; the next round starts clean."""
    sb = world.sb
    stall = sb.server.stall_next("POST", CHANNELS, skip=3)

    first_space: list[Channel] = []

    async def a_student_writes() -> None:
        (space,) = [c for c in pair_spaces(sb) if c.name == "pair-001"]
        first_space.append(space)
        member = next(m for m in world.students.values() if sb.guild.can_view(m.user.id, space.id))
        await sb.say(member, space, "Hi! Is anyone here?")

    await sb.crash_during(
        sb.prepare_command(world.teacher, "pair confirm"),
        stall,
        downtime=timedelta(hours=2),
        meanwhile=a_student_writes,
    )
    (kept,) = first_space
    assert kept.id in sb.guild.channels and kept.name == "closed-pair-001"
    assert not any(sb.guild.can_view(m.user.id, kept.id) for m in world.students.values())
    assert sb.guild.can_view(world.teacher.user.id, kept.id)
    assert any("Is anyone here?" in m.content for m in sb.messages_in(kept))
    await nothing_half_done(sb)
    spaces = await paired(world)
    assert sorted(c.name for c in spaces) == ["pair-001", "pair-002", "pair-003"]
