"""Benchmarks through the loopback Discord: the real bot, a world seeded quickly, real limits.

Seeding is not what is measured, so it may run with the sandbox's rate limits lifted (`unlimited`);
every measurement then runs under Discord's own limits again (per-route buckets, 50 requests/s
globally), through the unmodified discord.py client.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from bot.clock import ManualClock
from bot.domain.exchange import GRADE_BANDS, INTERESTS
from bot.domain.exchange import Role as ExchangeRole
from bot.pacing import GlobalPacer
from bot.sandbox.driver import Pending, Reply, Sandbox, SandboxError, iter_components
from bot.sandbox.ratelimit import Limits, RateLimiter
from bot.sandbox.state import Channel, Member, Role
from bot.store import pairing as pairing_store
from bot.store import roster
from bot.store.exchanges import get_exchange
from bot.store.schema import chess_games

# Limits no seeding reaches; measurements run under `Limits()`, Discord's documented figures.
UNLIMITED = Limits(global_per_second=10**9, messages_per_channel=10**9, route_per_window=10**9)


@asynccontextmanager
async def sandbox() -> AsyncIterator[Sandbox]:
    """The loopback Discord and the real bot, on a temporary SQLite file.

    The sandbox's clock starts at the real time, so that a bot started later in a process of
    its own (on the system clock, see `bot_process`) finds the world as it was seeded.
    """
    with tempfile.TemporaryDirectory(prefix="twinbridge-bench-") as folder:
        clock = ManualClock(datetime.now(UTC))
        async with Sandbox.running(Path(folder), clock=clock) as sb:
            yield sb


@asynccontextmanager
async def bot_process(sb: Sandbox) -> AsyncIterator[None]:
    """The in-process bot stops; the same bot, on the same database, runs in its own process.

    Measured that way, the sandbox (Discord's side) does not share the bot's CPU: it stamps
    the bot's answers when they arrive, not when the bot's own work lets it look.
    """
    url = sb.bot.ctx.settings.database_url
    await sb.stop_bot()
    async with _process(
        "bench.botproc", sb, url, extra=(str(sb.guild.id),), env={"BOTPROC_SERVE": "1"}
    ):
        yield


@asynccontextmanager
async def floor_process(sb: Sandbox) -> AsyncIterator[None]:
    """The floor (bench/floorproc.py): a bare discord.py client that only acknowledges, logged
    in as the bot, in a process of its own, for figures told as a ratio to it."""
    await sb.stop_bot()  # the in-process bot, if it still runs, would answer too
    async with _process("bench.floorproc", sb):
        yield


@asynccontextmanager
async def _process(
    module: str,
    sb: Sandbox,
    *args: str,
    extra: Sequence[str] = (),
    env: dict[str, str] | None = None,
) -> AsyncIterator[None]:
    """`python -m module BASE GATEWAY TOKEN *args REPORT *extra` until it reports it is ready."""
    with tempfile.TemporaryDirectory(prefix="twinbridge-proc-") as folder:
        report = Path(folder) / "started.json"
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            module,
            sb.server.base_url,
            sb.server.gateway_url,
            sb.server.token,
            *args,
            str(report),
            *extra,
            env={**os.environ, **(env or {})},
        )
        try:
            deadline = time.monotonic() + 120
            while not await asyncio.to_thread(report.exists):
                if child.returncode is not None or time.monotonic() > deadline:
                    raise SandboxError(f"{module} did not start ({child.returncode})")
                await asyncio.sleep(0.05)
            yield
        finally:
            if child.returncode is None:
                child.send_signal(signal.SIGTERM)
            await child.wait()


async def at_once_elsewhere(
    sb: Sandbox, pending: Sequence[Pending], *, within: float = 300.0
) -> list[Reply]:
    """`Sandbox.at_once` for a bot in another process: every interaction finally answered
    (text in its response or a follow-up, not just a defer), then no request for a moment.

    The sandbox cannot see that bot's tasks; the commands benchmarked post what they post
    before their final answer, so that answer marks the end of each one's work.
    """
    for item in pending:
        item.interaction.dispatched_monotonic = time.monotonic()
        await sb.server.gateway.dispatch("INTERACTION_CREATE", item.payload)
    replies = [Reply(item.interaction, sb.server) for item in pending]
    deadline = time.monotonic() + within
    seen, since = len(sb.server.requests), time.monotonic()
    while True:
        await asyncio.sleep(0.01)
        if len(sb.server.requests) != seen or sb.server.in_flight:
            seen, since = len(sb.server.requests), time.monotonic()
        if all(reply.text for reply in replies) and time.monotonic() - since >= 0.15:
            break
        if time.monotonic() > deadline:
            raise SandboxError("the bot did not answer everyone in time")
    sb.check()
    return replies


@contextmanager
def unlimited(sb: Sandbox) -> Iterator[None]:
    """Lift the rate limits (Discord's and the bot's own pacing) while seeding.

    Discord's come back afterwards with fresh windows, and so does the bot's pacer.
    """
    sb.server.ratelimiter = RateLimiter(UNLIMITED)
    sb.bot.pacer = GlobalPacer(limit=10**9)
    try:
        yield
    finally:
        sb.server.ratelimiter = RateLimiter(Limits())
        sb.bot.pacer = GlobalPacer()


@dataclass
class Pair:
    """Two partners and their paired space."""

    first: Member  # the first city's student
    second: Member
    space: Channel


@dataclass
class School:
    """A server with Twinbridge's roles chosen, a coordinator and many teachers."""

    sb: Sandbox
    students_role: Role
    teachers_role: Role
    coordinator: Member
    teachers: list[Member]
    exchanges: dict[str, int] = field(default_factory=dict)
    students: dict[int, list[Member]] = field(default_factory=dict)  # by exchange id


async def school(sb: Sandbox, *, teachers: int) -> School:
    """Roles chosen with `/exchange roles`, a coordinator, and `teachers` teachers."""
    students_role = sb.add_role("Students")
    teachers_role = sb.add_role("Teachers")
    coordinators_role = sb.add_role("Coordinators")
    await sb.command(
        sb.owner,
        "exchange roles",
        student=students_role,
        teacher=teachers_role,
        coordinator=coordinators_role,
    )
    return School(
        sb=sb,
        students_role=students_role,
        teachers_role=teachers_role,
        coordinator=sb.add_member("Dr Baker", roles=[coordinators_role]),
        teachers=[sb.add_member(f"Teacher {i}", roles=[teachers_role]) for i in range(teachers)],
    )


async def exchange(school: School, name: str) -> int:
    """A Minneapolis ↔ Najaf exchange created with `/exchange create`; returns its id."""
    reply = await school.sb.command(
        school.coordinator,
        "exchange create",
        name=name,
        city_a="Minneapolis",
        zone_a="America/Chicago",
        languages_a="en, es",
        city_b="Najaf",
        zone_b="Asia/Baghdad",
        languages_b="ar, en",
        weekend_b="fri,sat",
    )
    exchange_id = int(reply.embeds[0]["footer"]["text"].rsplit("#", 1)[1])
    school.exchanges[name] = exchange_id
    # Staff act only in the exchanges they joined (as /join records a teacher).
    sb = school.sb
    async with sb.bot.ctx.db.read() as conn:
        found = await get_exchange(conn, sb.guild.id, exchange_id)
    assert found is not None
    async with sb.bot.ctx.db.transaction() as conn:
        for teacher in school.teachers:
            await roster.add(
                conn,
                guild_id=sb.guild.id,
                exchange_id=exchange_id,
                user_id=teacher.user.id,
                role=ExchangeRole.TEACHER,
                display_name=teacher.user.username,
                city_id=found.cities[0].id,
                now=sb.now(),
                languages=("en",),
            )
    return exchange_id


async def enrol(school: School, exchange_id: int, per_city: int) -> list[Member]:
    """`per_city` students in each city join the server and the roster (as `/join` records)."""
    sb = school.sb
    async with sb.bot.ctx.db.read() as conn:
        found = await get_exchange(conn, sb.guild.id, exchange_id)
    assert found is not None
    members = []
    async with sb.bot.ctx.db.transaction() as conn:
        for index in range(2 * per_city):
            city = index % 2
            name = f"Student {exchange_id}-{index}"
            member = sb.add_member(name, roles=[school.students_role])
            await roster.add(
                conn,
                guild_id=sb.guild.id,
                exchange_id=exchange_id,
                user_id=member.user.id,
                role=ExchangeRole.STUDENT,
                display_name=name,
                city_id=found.cities[city].id,
                now=sb.now(),
                grade_band=GRADE_BANDS[index % len(GRADE_BANDS)],
                languages=("en",) if city == 0 else ("ar", "en"),
                interests=(INTERESTS[index % len(INTERESTS)], INTERESTS[index % 7]),
                intro="Hello!",
            )
            members.append(member)
    await sb.idle()
    school.students[exchange_id] = members
    return members


async def pair_up(school: School, exchange_id: int) -> list[Pair]:
    """A teacher runs `/pair confirm` (limits lifted): every student gets a paired space."""
    sb = school.sb
    with unlimited(sb):
        pending = sb.prepare_command(school.teachers[0], "pair confirm", exchange=exchange_id)
        await sb.at_once([pending], within=600)
    by_user = {m.user.id: m for m in school.students[exchange_id]}
    async with sb.bot.ctx.db.read() as conn:
        live = await pairing_store.live_pairs(conn, exchange_id)
        people = {p.id: p for p in await roster.by_ids(conn, [m for p in live for m in p.members])}
    pairs = []
    for pair in live:
        assert pair.space_id is not None
        first, second = (by_user[people[m].user_id] for m in pair.members[:2])
        pairs.append(Pair(first, second, sb.guild.channels[pair.space_id]))
    return pairs


async def start_games(sb: Sandbox, pairs: Sequence[Pair]) -> dict[int, int]:
    """In each space the first student challenges the other with White (two days a move);
    the other accepts. Returns the game id of each space."""
    for pair in pairs:
        await sb.command(
            pair.first, "chess challenge", where=pair.space, opponent=pair.second, colour="white"
        )
        offer = sb.last_message(pair.space)
        accept = next(
            c["custom_id"]
            for c in iter_components(offer.components)
            if c.get("custom_id", "").startswith("tb:chess.accept:")
        )
        await sb.click(pair.second, offer, custom_id=accept)
    async with sb.bot.ctx.db.read() as conn:
        rows = await conn.execute(select(chess_games.c.space_id, chess_games.c.id))
    return {space_id: game_id for space_id, game_id in rows}
