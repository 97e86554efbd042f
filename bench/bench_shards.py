"""Two bot processes, one shard each, against the sandbox with many servers (issue 24).

    python -m bench.bench_shards            # 200 servers, 20,000 members (a few minutes)
    python -m bench.bench_shards --full     # 2,000 servers, 200,000 members (about 10 min)
    python -m bench shards --full           # the same, its rows written to bench/RESULTS.md

Needs PostgreSQL (several processes share one database): the server of `BENCH_DATABASE_URL`
or `TEST_DATABASE_URL` (e.g. postgresql+asyncpg://twinbridge:twinbridge@localhost/twinbridge);
a database of its own is made there and dropped afterwards. Without one it says so.

The sandbox (this process) plays Discord with SHARD_COUNT=2: servers are routed to the shards
by `(guild_id >> 22) % 2`, about half each. The two bots start at once, each in a process of
its own (bench/botproc.py, production settings), and report their resident memory and the
time from process start to ready.

The fan-out: one post per server (a space each, across every server), all due at once, done
by the two processes' schedulers exactly as a session start's posts are (a fan-out kind:
FAN_OUT_WORKERS at a time, each request paced). Discord allows a bot 50 requests a second in
all, whatever the number of processes, so the ideal is spaces / 50 seconds (40 s for 2,000):
the figure is the real time from the first post to the last over that ideal (1.0 is perfect),
and the 429s the sandbox had to answer (each counts toward Discord's ban). The sandbox's clock
is not scaled: the full run waits the 40 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from bench.core import Figure
from bot.domain.shards import shard_of
from bot.pacing import GLOBAL_REQUESTS_PER_SECOND
from bot.sandbox.driver import INVITE_PERMISSIONS
from bot.sandbox.server import SandboxServer
from bot.sandbox.spec import SpecValidator
from bot.sandbox.state import Channel, ChannelType, Member, Message, User, new_guild
from bot.store import create_database, sends
from bot.store import exchanges as exchange_store
from bot.store.migrate import upgrade

SERVERS = 200
FULL_SERVERS = 2000
MEMBERS_PER_SERVER = 100
# Set (to anything) by `python -m bench --full`: the full size.
FULL_ENV = "BENCH_SHARDS_FULL"
SHARDS = 2
KIND = "bench.post"  # bench/botproc.py posts these (BOTPROC_BENCH_POSTS=1)
NOW = datetime(2026, 9, 1, 12, tzinfo=UTC)
# Seconds from seeding to the fan-out's due time: both bots must be ready by then.
START_PATIENCE = 60.0
START_PER_SERVER = 0.04


def _seed_discord(server: SandboxServer, count: int) -> list[tuple[int, int]]:
    """`count` servers, each with #general and MEMBERS_PER_SERVER members: (guild, #general)."""
    seeded = []
    for g in range(count):
        owner = User(server.ids.next(), f"owner_{g}", global_name=f"Principal {g}")
        server.users[owner.id] = owner
        guild = new_guild(server.ids, f"School {g}", owner, (g % SHARDS, SHARDS))
        server.guilds[guild.id] = guild
        role = server.add_role(guild, "Twinbridge", INVITE_PERMISSIONS, position=50)
        role.managed = True
        guild.members[server.bot_user.id] = Member(server.bot_user, roles=[role.id])
        general = Channel(
            id=server.ids.next(), guild_id=guild.id, type=ChannelType.TEXT, name="general"
        )
        guild.channels[general.id] = general
        for m in range(MEMBERS_PER_SERVER - 1):
            user = User(server.ids.next(), f"student_{g}_{m}", global_name=f"Student {g}-{m}")
            server.users[user.id] = user
            guild.members[user.id] = Member(user)
        seeded.append((guild.id, general.id))
    return seeded


async def _admin(server_url: str, sql: str) -> None:
    import asyncpg

    plain = make_url(server_url).set(drivername="postgresql")
    conn = await asyncpg.connect(plain.render_as_string(hide_password=False), timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _seed_database(url: str, guilds: list[tuple[int, int]], due: datetime) -> None:
    """An exchange per server, and the fan-out: one post per server, all due at `due`."""
    db = create_database(url)
    await upgrade(db)
    async with db.transaction() as conn:
        for guild_id, _ in guilds:
            await exchange_store.create_exchange(
                conn,
                guild_id=guild_id,
                name="Minneapolis–Najaf",
                sides=[
                    ("Minneapolis", "America/Chicago", ("en",), frozenset({6, 7})),
                    ("Najaf", "Asia/Baghdad", ("ar",), frozenset({5, 6})),
                ],
                now=NOW,
            )
        await sends.plan_many(
            conn,
            [
                sends.Planned(
                    key=f"bench:post:{guild_id}",
                    kind=KIND,
                    due_at=due,
                    guild_id=guild_id,
                    payload={"channel": channel_id},
                    expires_at=due + timedelta(hours=1),
                )
                for guild_id, channel_id in guilds
            ],
        )
    await db.dispose()


async def _bot(server: SandboxServer, url: str, folder: Path, shard: int) -> asyncio.Task[Any]:
    report = folder / f"shard-{shard}.json"
    env = {
        **os.environ,
        "BOTPROC_SERVE": "1",
        "BOTPROC_BENCH_POSTS": "1",
        "BOTPROC_SHARD_COUNT": str(SHARDS),
        "BOTPROC_SHARD_IDS": str(shard),
    }
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.botproc",
        server.base_url,
        server.gateway_url,
        server.token,
        url,
        str(report),
        env=env,
    )

    async def run() -> dict[str, Any]:
        deadline = time.monotonic() + 300
        while not report.exists():
            if child.returncode is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the bot of shard {shard} failed (exit {child.returncode})")
            await asyncio.sleep(0.2)
        found: dict[str, Any] = json.loads(report.read_text("utf-8"))
        found["child"] = child
        return found

    return asyncio.create_task(run())


async def _floors(server: SandboxServer, folder: Path) -> list[dict[str, Any]]:
    """The floor (bench/floorproc.py): a bare discord.py client per shard, both at once, in
    processes of their own against the same sandbox and servers; their time from process
    start to ready and resident memory then. Stopped before the bots start."""
    children = []
    for shard in range(SHARDS):
        report = folder / f"floor-{shard}.json"
        env = {
            **os.environ,
            "FLOORPROC_SHARD_COUNT": str(SHARDS),
            "FLOORPROC_SHARD_IDS": str(shard),
        }
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.floorproc",
            server.base_url,
            server.gateway_url,
            server.token,
            str(report),
            env=env,
        )
        children.append((child, report))
    found = []
    try:
        for child, report in children:
            deadline = time.monotonic() + 300
            while not report.exists():
                if child.returncode is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"a floor process failed (exit {child.returncode})")
                await asyncio.sleep(0.2)
            found.append(json.loads(report.read_text("utf-8")))
    finally:
        for child, _ in children:
            if child.returncode is None:
                child.terminate()
            await child.wait()
    return found


async def figures(servers: int | None = None) -> list[Figure]:
    if servers is None:
        servers = FULL_SERVERS if os.environ.get(FULL_ENV) else SERVERS
    server_url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if not server_url or not server_url.startswith("postgresql"):
        return [
            Figure(
                "shards: two processes on one database",
                None,
                "s",
                None,
                "needs PostgreSQL: set BENCH_DATABASE_URL or TEST_DATABASE_URL",
            )
        ]
    name = f"tb_bench_shards_{os.getpid()}"
    await _admin(server_url, f"DROP DATABASE IF EXISTS {name}")
    await _admin(server_url, f"CREATE DATABASE {name}")
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    posted: list[float] = []
    every = asyncio.Event()

    def watch(kind: str, message: Message) -> None:
        if kind == "new" and message.content.startswith("bench:post:"):
            posted.append(time.monotonic())
            if len(posted) == servers:
                every.set()

    reports: list[dict[str, Any]] = []
    floors: list[dict[str, Any]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="twinbridge-bench-") as folder:
            server = SandboxServer(spec=SpecValidator.load())
            guilds = _seed_discord(server, servers)
            await server.start()
            try:
                floors = await _floors(server, Path(folder))
                # Due once both processes are surely ready (they arm their timers for it at
                # start), so that both start the fan-out together, as after a session's start.
                lead = START_PATIENCE + servers * START_PER_SERVER
                due = datetime.now(UTC) + timedelta(seconds=lead)
                await _seed_database(url, guilds, due)
                due_monotonic = time.monotonic() + (due - datetime.now(UTC)).total_seconds()
                server.watchers.append(watch)
                tasks = [await _bot(server, url, Path(folder), s) for s in range(SHARDS)]
                reports = [await t for t in tasks]
                # Until well after the ideal end: a late start shows in the figure, not a hang.
                patience = 60 + 3 * servers / GLOBAL_REQUESTS_PER_SECOND
                wait = max(0.0, due_monotonic - time.monotonic()) + patience
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(every.wait(), wait)
                for report in reports:
                    report["child"].terminate()
                    await report["child"].wait()
            finally:
                await server.stop()
            invalid = server.ratelimiter.invalid_recently()
    finally:
        await _admin(server_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    members = servers * MEMBERS_PER_SERVER
    ideal = servers / GLOBAL_REQUESTS_PER_SECOND
    took = posted[-1] - posted[0] if len(posted) > 1 else None
    late = max(0.0, posted[0] - due_monotonic) if posted else 0.0
    per_shard = [sum(1 for g, _ in guilds if shard_of(g, SHARDS) == s) for s in range(SHARDS)]
    rss = [r["VmRSS"] / 1024 for r in reports]
    ready = [r["ready"] for r in reports]
    floor_rss = [f["VmRSS"] / 1024 for f in floors]
    floor_ready = [f["ready"] for f in floors]
    size = f"{servers:,} servers, {members:,} members, 2 processes"
    load = f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    floor = (
        "the floor: a bare discord.py AutoShardedClient per shard (the bot's intents, no "
        "database, no commands), same sandbox and servers, same run, just before"
    )
    return [
        Figure(
            f"shards: RSS per process after ready, {size}",
            max(rss),
            "MB",
            200.0,
            "each: " + ", ".join(f"{m:.0f} MB" for m in rss) + f"; servers per shard {per_shard}",
        ),
        Figure(
            f"shards: RSS per process ÷ the floor's, {size}",
            max(rss) / max(floor_rss),
            "×",
            None,
            f"{max(rss):.0f} MB against {max(floor_rss):.0f} MB (floors: "
            + ", ".join(f"{m:.0f} MB" for m in floor_rss)
            + f"); {floor}",
        ),
        Figure(
            f"shards: process start to ready, {size}",
            max(ready),
            "s",
            10.0,
            "each: "
            + ", ".join(
                f"{r['ready']:.1f} s (imports {r['imported']:.1f} s, set up {r['set_up']:.1f} s)"
                for r in reports
            )
            + f"; {load}",
        ),
        Figure(
            f"shards: process start to ready ÷ the floor's, {size}",
            max(ready) / max(floor_ready),
            "×",
            None,
            f"{max(ready):.1f} s against {max(floor_ready):.1f} s (floors: "
            + ", ".join(f"{r:.1f} s" for r in floor_ready)
            + f"); both include discord.py's 2 s wait after the last GUILD_CREATE; {floor}",
        ),
        Figure(
            f"shards: a fan-out to {servers:,} spaces over the ideal {ideal:.0f} s at 50/s",
            # Only a fan-out that reached every space has a time (a part is no figure).
            took / ideal if took and len(posted) == servers else None,
            "× ideal",
            1.25,
            f"{len(posted):,} of {servers:,} posted in {took or 0:.1f} s, the first "
            f"{late:.1f} s after their due time; "
            f"{invalid} answers 401/403/429 (Discord bans at 10,000 in 10 min); "
            "the sandbox's clock is real time (not scaled)",
        ),
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--full", action="store_true", help="2,000 servers, 200,000 members")
    args = parser.parse_args()
    found = asyncio.run(figures(FULL_SERVERS if args.full else SERVERS))
    for figure in found:
        shown = "—" if figure.median is None else f"{figure.median:.2f} {figure.unit}"
        print(f"{figure.name}: {shown} ({figure.note})")
