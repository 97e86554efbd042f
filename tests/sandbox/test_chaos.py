"""A month of an exchange with the bot killed at random moments and Discord failing at random.

Deterministic (seeded): students join, are paired, get prompts, meet in weekly sessions, play
chess; a teacher swaps two students, ends a pair, pairs again, takes a student off the roster;
a coordinator erases one and ends the exchange. Each teacher's action may meet the bot dying
at one of its requests to Discord (Discord did it or not), a 503 or an answer lost after the
work was done; the bot also restarts between actions. Like a teacher, the script runs an action
again when its effect is not there. After every action and at the end: nothing is left
half-done, Discord's paired spaces are exactly the stored ones (and open to exactly the stored
members), every space was welcomed once, every pair got each /prompt now once, and nothing the
bot posted is there twice.
"""

from __future__ import annotations

import json
import os
import random
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.domain.pairing import PairStatus
from bot.i18n import t
from bot.sandbox.driver import Pending, Sandbox, iter_components, message_text
from bot.sandbox.permissions import P
from bot.sandbox.state import Channel, Member, Message
from bot.store import pairing as pairing_store
from bot.store import roster
from bot.store.schema import (
    activity,
    pairing_rounds,
    participants,
    partnerships,
    prompt_posts,
    scheduled_sends,
)
from tests.sandbox.sessions_helpers import compressed_time, preview_of
from tests.sandbox.world import World, make_world

CHANNELS = ("POST", "/guilds/{guild_id}/channels")
CHANNEL = ("PATCH", "/channels/{channel_id}")
MESSAGES = ("POST", "/channels/{channel_id}/messages")
# Posts the script checks are never lost nor doubled (sessions' own posts: never doubled).
DURABLE = ("pairing.welcome", "pairing.greet", "prompt.now")
# Two months in `make test`; CHAOS_SEEDS=1-50 (or 3,8,13) runs more of them.
SEEDS = (7, 2026)


def seeds() -> list[int]:
    wanted = os.environ.get("CHAOS_SEEDS", "")
    if not wanted:
        return list(SEEDS)
    if "-" in wanted:
        first, last = wanted.split("-")
        return list(range(int(first), int(last) + 1))
    return [int(s) for s in wanted.split(",")]


@pytest.fixture
async def sb(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Sandbox]:
    async with compressed_time(tmp_path, request) as sandbox:
        yield sandbox


@dataclass
class Chaos:
    """The script's dice, what it did to the bot, and the checks after each action."""

    world: World
    rng: random.Random
    story: list[str] = field(default_factory=list)
    crashes: int = 0
    faults: int = 0
    restarts: int = 0

    @property
    def sb(self) -> Sandbox:
        return self.world.sb

    def note(self, what: str) -> None:
        self.story.append(f"{self.sb.now():%d %H:%M} {what}")

    async def act(
        self,
        name: str,
        make: Callable[[], Awaitable[Pending]],
        done: Callable[[], Awaitable[bool]],
        routes: Sequence[tuple[str, str]] = (),
    ) -> None:
        """Run an action with a random fault, then again (without one) while its effect is
        missing, as a teacher whose command failed would."""
        sb, rng = self.sb, self.rng
        roll = rng.random()
        pending = await make()
        if roll < 0.35:
            performed = rng.random() < 0.5
            stall = sb.server.stall_next(skip=rng.randrange(6), performed=performed)
            downtime = timedelta(minutes=rng.choice((0, 1, 20)))
            if await sb.crash_if_reached(pending, stall, downtime=downtime):
                self.crashes += 1
                self.note(f"{name}: the bot died at {stall.request} (done: {performed})")
            else:
                self.note(f"{name}: done before the bot could die")
        else:
            if roll < 0.65 and routes:
                method, template = rng.choice(routes)
                lost = rng.random() < 0.5
                sb.server.fail_next(
                    method,
                    template,
                    status=500 if lost else 503,
                    lost_answer=lost,
                    skip=rng.randrange(3),
                )
                self.faults += 1
                self.note(f"{name}: Discord fails {method} {template} (lost answer: {lost})")
            else:
                self.note(name)
            reply = (await sb.at_once([pending]))[0]
            self.note(f"  → {reply.text[:120]}")
            sb.server.outages.clear()
        await sb.advance(minutes=2)  # retries of posts Discord failed (30 s, 1 min)
        if not await done():
            self.note(f"{name}: not done, run again")
            reply = (await sb.at_once([await make()]))[0]
            self.note(f"  → {reply.text[:120]}")
            await sb.advance(minutes=2)
        assert await done(), f"{name} never took effect"
        await self.check()

    async def maybe_restart(self) -> None:
        if self.rng.random() < 0.4:
            downtime = timedelta(minutes=self.rng.choice((0, 5, 25)))
            self.restarts += 1
            self.note(f"restart, down {downtime}")
            await self.sb.restart_bot(downtime=downtime)
            await self.check()

    async def live(self, days: float) -> None:
        """Time passes (sessions happen), with a restart somewhere in it."""
        half = timedelta(days=days / 2)
        await self.sb.advance(half)
        await self.maybe_restart()
        await self.sb.advance(half)

    async def check(self) -> None:
        await nothing_half_done(self.sb)


# -- what must hold ------------------------------------------------------------------------------


def spaces_in_discord(sb: Sandbox) -> dict[int, Channel]:
    return {
        c.id: c
        for c in sb.guild.channels.values()
        if c.name.startswith(("pair-", "archived-pair-"))
    }


def welcomes(sb: Sandbox, space: Channel) -> list[Message]:
    return [m for m in sb.messages_in(space) if m.author.bot and len(m.embeds) >= 2]


def cards(sb: Sandbox, space: Channel) -> list[Message]:
    return [
        m
        for m in sb.messages_in(space)
        if m.author.bot
        and any((e.get("footer") or {}).get("text", "").startswith("🔖") for e in m.embeds)
    ]


async def nothing_half_done(sb: Sandbox) -> None:
    """After an action: no change left over; Discord's spaces are the stored ones, open to
    exactly their stored members (read-only once archived), each welcomed once."""
    assert await sb.bot.services.operations.left() == []
    in_discord = spaces_in_discord(sb)
    async with sb.bot.ctx.db.read() as conn:
        exchange_id = int(await conn.scalar(select(partnerships.c.id)) or 0)
        every = await pairing_store.all_pairs(conn, exchange_id)
        people = {
            p.id: p for p in await roster.by_ids(conn, [m for p in every for m in p.everyone])
        }
    assert set(in_discord) == {p.space_id for p in every}, "Discord and the database disagree"
    for pair in every:
        assert pair.space_id is not None
        space = in_discord[pair.space_id]
        assert len(welcomes(sb, space)) == 1, f"{space.name}: {len(welcomes(sb, space))} welcomes"
        for member_id in pair.everyone:
            user_id = people[member_id].user_id
            if user_id < 0:
                continue  # erased: the row holds a pseudonym (Discord's side is checked apart)
            sees = sb.guild.can_view(user_id, space.id)
            writes = bool(sb.guild.permissions_in(user_id, space.id) & P.SEND_MESSAGES)
            who = f"{people[member_id].display_name} in {space.name}"
            current = member_id in pair.members and people[member_id].status != "removed"
            if pair.status is PairStatus.ARCHIVED:
                assert not writes, f"{who}: still writes in an ended pair"
            elif not current:
                assert not sees, f"{who}: still sees a pair they left"
            elif pair.status is PairStatus.ACTIVE:
                assert sees and writes, f"{who}: locked out"
            else:
                assert sees and not writes, f"{who}: writes while paused"


async def nothing_lost_nothing_doubled(sb: Sandbox, exchange_id: int) -> None:
    """At the end: every /prompt now reached each pair it was meant for once, every post that
    matters went out, and no channel holds the same post of the bot twice."""
    async with sb.bot.ctx.db.read() as conn:
        deliveries = [
            json.loads(d)
            for d in (
                await conn.scalars(
                    select(activity.c.details).where(activity.c.kind == "prompt.requested_now")
                )
            ).all()
        ]
        posts = (await conn.execute(select(prompt_posts))).all()
        durable = (
            await conn.execute(
                select(scheduled_sends.c.key, scheduled_sends.c.status).where(
                    scheduled_sends.c.kind.in_(DURABLE)
                )
            )
        ).all()
        every = await pairing_store.all_pairs(conn, exchange_id)
        spaces = {p.id: p.space_id or 0 for p in every}
    assert deliveries, "the month had teachers' prompts"
    per_batch = Counter(p.session_key for p in posts)
    for delivery in deliveries:
        assert per_batch[delivery["batch"]] == delivery["pairs"], delivery
    assert all(p.message_id is not None for p in posts), "a prompt recorded but not posted"
    assert {status for _, status in durable} == {"sent"}, sorted(durable)
    for pair_id, space_id in spaces.items():
        space = sb.guild.channels[space_id]
        posted = sorted(m.id for m in cards(sb, space))
        recorded = sorted(p.message_id for p in posts if p.pair_id == pair_id)
        assert posted == recorded, f"{space.name}: cards {posted}, recorded {recorded}"
    for channel in sb.guild.channels.values():
        seen = Counter(
            (message_text(m), json.dumps(m.embeds, sort_keys=True))
            for m in sb.messages_in(channel)
            if m.author.bot and not m.ephemeral and m.interaction_id is None
        )
        doubled = [text[:80] for (text, _), n in seen.items() if n > 1]
        assert not doubled, f"#{channel.name} has twice: {doubled}"


# -- the month -----------------------------------------------------------------------------------

STUDENTS = (
    ("Ben", 0, ("en",), ("chess", "music")),
    ("Maya", 0, ("en", "es"), ("football", "drawing")),
    ("Sofia", 0, ("es", "en"), ("cooking", "music")),
    ("Liam", 0, ("en",), ("science", "chess")),
    ("Ali", 1, ("ar", "en"), ("chess", "music")),
    ("Zainab", 1, ("ar",), ("football", "drawing")),
    ("Omar", 1, ("ar", "en"), ("cooking", "science")),
    ("Noor", 1, ("ar",), ("music", "drawing")),
)


async def rounds(sb: Sandbox) -> int:
    async with sb.bot.ctx.db.read() as conn:
        return len((await conn.scalars(select(pairing_rounds.c.id))).all())


async def live_pair_of(world: World, name: str) -> pairing_store.PairRecord | None:
    async with world.sb.bot.ctx.db.read() as conn:
        person = await roster.find(conn, world.exchange_id, world.students[name].user.id)
        assert person is not None
        return await pairing_store.live_pair_of(conn, person.id)


async def status_of(world: World, name: str) -> str | None:
    async with world.sb.bot.ctx.db.read() as conn:
        return await conn.scalar(
            select(participants.c.status).where(
                participants.c.user_id == world.students[name].user.id
            )
        )


def space_seen_by(sb: Sandbox, member: Member) -> Channel:
    (space,) = [
        c
        for c in spaces_in_discord(sb).values()
        if not c.name.startswith("archived-") and sb.guild.can_view(member.user.id, c.id)
    ]
    return space


async def month(chaos: Chaos) -> None:
    world, sb = chaos.world, chaos.sb
    for name, city, languages, interests in STUDENTS:
        await world.add_student(name, city, languages=languages, interests=interests)
    teacher, coordinator = world.teacher, world.coordinator

    async def confirm() -> Pending:
        return sb.prepare_command(teacher, "pair confirm")

    before = await rounds(sb)

    async def one_more_round() -> bool:
        return await rounds(sb) == before + 1

    await chaos.act("pair confirm", confirm, one_more_round, (CHANNELS, MESSAGES))

    async def prompt_now() -> Pending:
        return sb.prepare_command(teacher, "prompt now")

    async def posted() -> bool:
        return True  # a /prompt now cut short is finished by its sends, never run again

    await chaos.act("prompt now", prompt_now, posted, (MESSAGES,))
    preview = await sb.command(
        teacher, "session schedule", start="2026-09-08", time="15:00", repeat="weekly", count=4
    )
    await sb.click(teacher, preview_of(preview), "Schedule")

    # Two partners play a correspondence game.
    ben = world.students["Ben"]
    table = space_seen_by(sb, ben)
    partner = next(
        m
        for n, m in world.students.items()
        if n != "Ben" and sb.guild.can_view(m.user.id, table.id)
    )
    await sb.command(
        ben, "chess challenge", where=table, opponent=partner, colour="white", time="2d"
    )
    offer = sb.messages_in(table)[-1]
    accept = next(
        c["custom_id"] for c in iter_components(offer.components) if "accept" in c["custom_id"]
    )
    await sb.click(partner, offer, custom_id=accept)
    await sb.command(ben, "chess move", where=table, move="e4")
    await chaos.live(days=7)

    # A swap of two Minneapolis students in different pairs.
    first = "Ben"
    ben_pair = await live_pair_of(world, first)
    others = [n for n in ("Maya", "Sofia", "Liam") if await live_pair_of(world, n) != ben_pair]
    second = others[0]
    second_pair = await live_pair_of(world, second)

    async def swap() -> Pending:
        return sb.prepare_command(
            teacher, "pair swap", first=world.students[first], second=world.students[second]
        )

    async def swapped() -> bool:
        now = await live_pair_of(world, first)
        return now is not None and second_pair is not None and now.id == second_pair.id

    await chaos.act("pair swap", swap, swapped, (CHANNEL, MESSAGES))
    await chaos.act("prompt now", prompt_now, posted, (MESSAGES,))
    await chaos.live(days=7)

    async def remove_zainab() -> Pending:
        return sb.prepare_command(teacher, "pair remove", student=world.students["Zainab"])

    async def zainab_unpaired() -> bool:
        return await live_pair_of(world, "Zainab") is None

    await chaos.act("pair remove", remove_zainab, zainab_unpaired, (CHANNEL,))
    before = await rounds(sb)
    await chaos.act("pair confirm (second round)", confirm, one_more_round, (CHANNELS, CHANNEL))
    await chaos.live(days=6)

    async def roster_remove() -> Pending:
        ask = await sb.command(teacher, "roster remove", student=world.students["Omar"])
        return sb.prepare_click(teacher, ask, t("roster.remove_yes", "en"))

    async def omar_removed() -> bool:
        return await status_of(world, "Omar") == "removed"

    await chaos.act("roster remove", roster_remove, omar_removed, (CHANNEL,))

    async def erase() -> Pending:
        ask = await sb.command(coordinator, "privacy erase", student=world.students["Noor"])
        return sb.prepare_click(coordinator, ask, "Erase for good")

    async def noor_erased() -> bool:
        noor = world.students["Noor"].user.id
        sees = [c for c in spaces_in_discord(sb).values() if sb.guild.can_view(noor, c.id)]
        return await status_of(world, "Noor") is None and all(
            c.name.startswith("archived-") for c in sees
        )

    await chaos.act("privacy erase", erase, noor_erased, (CHANNEL,))
    await chaos.act("prompt now", prompt_now, posted, (MESSAGES,))
    await chaos.live(days=8)

    async def end() -> Pending:
        ask = await sb.command(coordinator, "exchange end")
        return sb.prepare_click(coordinator, ask, "End the exchange")

    async def ended() -> bool:
        async with sb.bot.ctx.db.read() as conn:
            return await conn.scalar(select(partnerships.c.status)) == "ended"

    await chaos.act("exchange end", end, ended, (CHANNEL,))


@pytest.mark.parametrize("seed", seeds())
async def test_a_month_of_restarts_and_failures_loses_nothing_and_doubles_nothing(
    sb: Sandbox, seed: int
) -> None:
    """The month's story runs to its end whatever the dice: see the module's docstring."""
    chaos = Chaos(await make_world(sb), random.Random(seed))
    try:
        await month(chaos)
        await nothing_half_done(sb)
        await nothing_lost_nothing_doubled(sb, chaos.world.exchange_id)
    finally:
        print(f"seed {seed}:", *chaos.story, sep="\n")
    assert chaos.crashes >= 1 and chaos.faults + chaos.restarts >= 1, chaos.story
