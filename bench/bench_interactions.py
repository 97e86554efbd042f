"""Interaction latency: from INTERACTION_CREATE to the bot's callback, with many users at once.

Discord gives a bot 3 s to acknowledge an interaction (a defer counts); the issue's target is a
p99 under 100 ms with 200 users at once. The world is seeded through the loopback Discord and
the real bot; then the same bot runs in a process of its own, started as `make run` starts it
(bench/botproc.py), while the sandbox, in this process, plays Discord and the users: it stamps
the moment it dispatches INTERACTION_CREATE and the moment the callback reaches it. "N at once"
means N distinct members whose interactions Discord delivers back to back, the worst case of a
class acting together. One unmeasured round warms connections and caches; then rounds repeat
(each waiting until the bot is done, boards posted at Discord's pace) for enough samples.

Scenarios are a table: a command not registered on this branch (e.g. `/report attendance`
before reports land) is reported as not yet measurable and measured as soon as it exists.
While measuring, the sandbox skips its OpenAPI validation of request bodies: that is Discord's
work, on Discord's machines (tests keep validating every body).
"""

from __future__ import annotations

import gc
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bench.bench_chess import _long_game
from bench.core import Figure, percentile
from bench.sandboxed import (
    Pair,
    School,
    at_once_elsewhere,
    bot_process,
    enrol,
    exchange,
    floor_process,
    pair_up,
    sandbox,
    school,
    start_games,
    unlimited,
)
from bot.sandbox.driver import Pending, Reply, Sandbox, SandboxError
from bot.sandbox.state import JSON
from bot.store import Database, create_database
from bot.store import chess as chess_store

LEVELS = (1, 50, 200)
SAMPLES = {1: 30, 50: 200, 200: 600}  # per level; 200 at once: three rounds of 200
# Absolute milliseconds do not travel between machines (the same run gave 42-60 ms p99 on one
# machine, 109-143 ms on a slower one): each p99 is also told as a ratio to the floor, a bare
# discord.py client that only acknowledges, timed through the same sandbox in the same run.
FLOOR_TARGET = 1.3
FLOOR_LEVEL = 200
PREVIEW_STUDENTS = 300  # /pair preview: an exchange of 300 students (150 per city)
MOVES = _long_game(60)  # a live game: seeded legal moves that never end it

Prepare = Callable[[int, int], Awaitable[list[Pending]]]  # (users, round) -> interactions


@dataclass(frozen=True)
class Scenario:
    """One row of the table: a command, and how to have `users` distinct members run it."""

    label: str
    command: str  # "group sub", as a user types it
    prepare: Prepare
    note: str = ""
    verify: Callable[[list[Reply]], Awaitable[None]] | None = None  # after each round


def command_node(sb: Sandbox, path: str) -> JSON | None:
    """The (sub)command as the bot registered it with Discord; None if a user cannot run it."""
    top, *rest = path.split()
    node = sb.server.find_command(sb.guild.id, top)
    for part in rest:
        if node is None:
            return None
        node = next((o for o in node.get("options", []) if o["name"] == part), None)
    return node


class NotMeasurableError(Exception):
    """A scenario cannot run on this branch (its command or options are not there)."""


class Bench:
    """The seeded world and the scenarios that run in it."""

    def __init__(self, sb: Sandbox, world: School, chess_exchange: int, preview_exchange: int):
        self.sb = sb
        self.world = world
        self.chess_exchange = chess_exchange
        self.preview_exchange = preview_exchange
        self.tables: list[tuple[Pair, int]] = []  # each pair's space and its game's ply
        self.next_table = 0
        self.games: dict[int, int] = {}  # game id by space id
        self.db: Database | None = None  # the store, read while the bot runs elsewhere

    def scenarios(self) -> list[Scenario]:
        return [
            Scenario("/about", "about", self.about),
            Scenario(
                "/chess move",
                "chess move",
                self.chess_move,
                "a live game per pair; the board is posted to the space after the callback",
                self.moves_played,
            ),
            Scenario(
                "/pair preview",
                "pair preview",
                self.pair_preview,
                f"{PREVIEW_STUDENTS} students; each of the users is a teacher",
            ),
            Scenario(
                "/report attendance",
                "report attendance",
                self.report_attendance,
                "reports (issue 8)",
            ),
        ]

    # -- how each scenario has `users` members act at once ------------------------------------

    async def about(self, users: int, round_: int) -> list[Pending]:
        students = self.world.students[self.chess_exchange]
        return [
            self.sb.prepare_command(students[(round_ * users + i) % len(students)], "about")
            for i in range(users)
        ]

    async def chess_move(self, users: int, round_: int) -> list[Pending]:
        pending = []
        for _ in range(users):
            index = self.next_table % len(self.tables)
            self.next_table += 1
            pair, ply = self.tables[index]
            mover = pair.first if ply % 2 == 0 else pair.second
            pending.append(
                self.sb.prepare_command(mover, "chess move", where=pair.space, move=MOVES[ply])
            )
            self.tables[index] = (pair, ply + 1)
        return pending

    async def pair_preview(self, users: int, round_: int) -> list[Pending]:
        return [
            self.sb.prepare_command(teacher, "pair preview", exchange=self.preview_exchange)
            for teacher in self.world.teachers[:users]
        ]

    async def report_attendance(self, users: int, round_: int) -> list[Pending]:
        # Written before the command exists: pass the exchange only if it takes one.
        node = command_node(self.sb, "report attendance") or {}
        takes = {o["name"] for o in node.get("options", [])}
        options: dict[str, Any] = {"exchange": self.preview_exchange} if "exchange" in takes else {}
        return [
            self.sb.prepare_command(teacher, "report attendance", **options)
            for teacher in self.world.teachers[:users]
        ]

    # -- measuring --------------------------------------------------------------------------

    async def measure(self, scenario: Scenario, users: int, *, verify: bool = True) -> list[float]:
        """Seconds from dispatch to callback, for SAMPLES[users] interactions."""
        rounds = math.ceil(SAMPLES[users] / users)
        samples: list[float] = []
        for round_ in range(rounds + 1):
            try:
                pending = await scenario.prepare(users, round_)
            except SandboxError as error:  # e.g. a required option the table does not know
                raise NotMeasurableError(str(error)) from error
            replies = await at_once_elsewhere(self.sb, pending)
            if verify and scenario.verify is not None:
                await scenario.verify(replies)
            if round_ == 0:
                continue  # warm-up: new connections, first queries, first renders
            for reply in replies:
                seconds = reply.interaction.ack_seconds
                assert seconds is not None
                samples.append(seconds)
        return samples

    async def moves_played(self, replies: list[Reply]) -> None:
        """Every move of the round was played: the benchmark measures moves, not refusals."""
        assert self.db is not None
        expected = {pair.space.id: ply for pair, ply in self.tables}
        async with self.db.read() as conn:
            for reply in replies:
                space_id = reply.interaction.channel_id
                game = await chess_store.get_game(conn, self.games[space_id])
                if game is None or game.ply != expected[space_id]:
                    raise SandboxError(
                        f"a move in <#{space_id}> was not played: {reply.text[:300]!r}"
                    )


async def _world(sb: Sandbox) -> Bench:
    users = max(LEVELS)
    world = await school(sb, teachers=users)
    chess_exchange = await exchange(world, "Chess club")
    await enrol(world, chess_exchange, users)
    pairs = await pair_up(world, chess_exchange)
    with unlimited(sb):
        games = await start_games(sb, pairs)
    preview_exchange = await exchange(world, "Spring exchange")
    await enrol(world, preview_exchange, PREVIEW_STUDENTS // 2)
    bench = Bench(sb, world, chess_exchange, preview_exchange)
    bench.tables = [(pair, 0) for pair in pairs]
    bench.games = games
    return bench


def _figures(scenario: Scenario, users: int, samples: list[float]) -> list[Figure]:
    p50, p99 = percentile(samples, 50) * 1000, percentile(samples, 99) * 1000
    name = f"{scenario.label}, {users} at once"
    note = f"{len(samples)} samples; worst {max(samples) * 1000:.0f} ms"
    if scenario.note:
        note += f"; {scenario.note}"
    return [
        Figure(f"{name}: p50 callback", p50, "ms", None, note),
        Figure(f"{name}: p99 callback", p99, "ms", None, "Discord allows 3 s; see the ratio"),
    ]


def _against_floor(
    scenario: Scenario, users: int, samples: list[float], floor: list[float]
) -> Figure:
    bot, bare = percentile(samples, 99) * 1000, percentile(floor, 99) * 1000
    return Figure(
        f"{scenario.label}, {users} at once: p99 ÷ the floor's p99",
        bot / bare,
        "×",
        FLOOR_TARGET if users == FLOOR_LEVEL else None,
        f"{bot:.0f} ms against {bare:.0f} ms for a bare discord.py client that only "
        "acknowledges the same interactions, same sandbox, same run",
    )


def _not_measurable(scenario: Scenario, users: int, why: str) -> Figure:
    note = f"not yet measurable: {why}" + (f" ({scenario.note})" if scenario.note else "")
    return Figure(f"{scenario.label}, {users} at once: p99 callback", None, "ms", None, note)


async def figures() -> list[Figure]:
    found: list[Figure] = []
    async with sandbox() as sb:
        bench = await _world(sb)
        bench.db = create_database(sb.bot.ctx.settings.database_url)
        validator, sb.server.spec = sb.server.spec, None
        measured: dict[tuple[str, int], list[float]] = {}
        try:
            async with bot_process(sb):
                for scenario in bench.scenarios():
                    for users in LEVELS:
                        samples = await _level(bench, scenario, users, found)
                        if samples:
                            measured[scenario.label, users] = samples
            # The same interactions, in the same sandbox, answered by a client that only
            # acknowledges: chess moves are prepared but not played, so the tables go back.
            tables, next_table = list(bench.tables), bench.next_table
            async with floor_process(sb):
                for scenario in bench.scenarios():
                    for users in LEVELS:
                        if (scenario.label, users) not in measured:
                            continue
                        print(f"  floor: {scenario.label}, {users} at once …", flush=True)
                        floor = await _timed(bench, scenario, users, verify=False)
                        bench.tables, bench.next_table = list(tables), next_table
                        found.append(
                            _against_floor(scenario, users, measured[scenario.label, users], floor)
                        )
        finally:
            gc.unfreeze()
            sb.server.spec = validator
            await bench.db.dispose()
    return found


async def _timed(
    bench: Bench, scenario: Scenario, users: int, *, verify: bool = True
) -> list[float]:
    # The sandbox's world (and what earlier rounds added to it) is Discord's side, kept in this
    # process: its full garbage collections would pause the sandbox for 100-200 ms while it
    # times the bot. The bot, in its own process, collects its own garbage as in production.
    gc.collect()
    gc.freeze()
    return await bench.measure(scenario, users, verify=verify)


async def _level(
    bench: Bench, scenario: Scenario, users: int, found: list[Figure]
) -> list[float] | None:
    if command_node(bench.sb, scenario.command) is None:
        why = f"/{scenario.command} is not registered on this branch"
        found.append(_not_measurable(scenario, users, why))
        return None
    print(f"  {scenario.label}, {users} at once …", flush=True)
    try:
        samples = await _timed(bench, scenario, users)
    except NotMeasurableError as error:
        found.append(_not_measurable(scenario, users, str(error)))
        return None
    found += _figures(scenario, users, samples)
    return samples
