"""Memory and start-up: the bot in 50 servers with 10,000 members, in a process of its own.

The sandbox (in this process) holds 50 guilds, each an exchange of 200 students with their
paired channels, 10,000 members in all; the database holds the same rosters. The bot starts in a
child process (bench/botproc.py) exactly as `make run` starts it: production settings, commands
registered globally, discord.py's default wait for late GUILD_CREATEs. Twinbridge asks for no
members intent, so Discord sends it no member lists and it caches few members: that is the
design (slash commands carry the member who acts), and it is what is measured.

Start-up targets: our own work (imports, database checked and migrated, extensions loaded,
commands registered) within 3 s, so a restart is over before anyone notices; ready within 5 s,
which includes discord.py's fixed 2 s wait after the last GUILD_CREATE (`guild_ready_timeout`).
Until ready, users' commands fail with "This interaction failed".
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.core import Figure
from bot.domain.exchange import Role as ExchangeRole
from bot.sandbox.driver import INVITE_PERMISSIONS
from bot.sandbox.permissions import Overwrite, P
from bot.sandbox.server import SandboxServer
from bot.sandbox.spec import SpecValidator
from bot.sandbox.state import Channel, ChannelType, Member, User, new_guild
from bot.store import create_database, roster
from bot.store import exchanges as exchange_store
from bot.store.migrate import upgrade

GUILDS = 50
MEMBERS_PER_GUILD = 200  # 10,000 in all
RUNS = 3
NOW = datetime(2026, 9, 1, 12, tzinfo=UTC)


def _seed_discord(server: SandboxServer) -> list[tuple[int, list[int]]]:
    """50 guilds: roles, a few channels, 200 students in 100 private paired channels."""
    seeded = []
    for g in range(GUILDS):
        owner = User(server.ids.next(), f"owner_{g}", global_name=f"Principal {g}")
        server.users[owner.id] = owner
        guild = new_guild(server.ids, f"School {g}", owner)
        server.guilds[guild.id] = guild
        bot_role = server.add_role(guild, "Twinbridge", INVITE_PERMISSIONS, position=50)
        bot_role.managed = True
        guild.members[server.bot_user.id] = Member(server.bot_user, roles=[bot_role.id])
        students = server.add_role(guild, "Students")
        server.add_role(guild, "Teachers")
        for name in ("general", "exchange", "teachers", "announcements"):
            _channel(server, guild.id, guild.channels, name)
        users = []
        for m in range(MEMBERS_PER_GUILD):
            user = User(server.ids.next(), f"student_{g}_{m}", global_name=f"Student {g}-{m}")
            server.users[user.id] = user
            guild.members[user.id] = Member(user, roles=[students.id])
            users.append(user.id)
        categories = [
            _channel(server, guild.id, guild.channels, f"Pairs {c}", ChannelType.CATEGORY)
            for c in range(2)
        ]
        hidden = Overwrite(guild.id, 0, 0, int(P.VIEW_CHANNEL))
        for p in range(MEMBERS_PER_GUILD // 2):
            space = _channel(
                server, guild.id, guild.channels, f"pair-{p}", parent=categories[p % 2]
            )
            space.overwrites = [hidden] + [
                Overwrite(u, 1, int(P.VIEW_CHANNEL | P.SEND_MESSAGES), 0)
                for u in users[2 * p : 2 * p + 2]
            ]
        seeded.append((guild.id, users))
    return seeded


def _channel(
    server: SandboxServer,
    guild_id: int,
    channels: dict[int, Channel],
    name: str,
    kind: int = ChannelType.TEXT,
    parent: Channel | None = None,
) -> Channel:
    channel = Channel(
        id=server.ids.next(),
        guild_id=guild_id,
        type=kind,
        name=name,
        position=len(channels),
        parent_id=parent.id if parent else None,
    )
    channels[channel.id] = channel
    return channel


async def _seed_database(url: str, guilds: list[tuple[int, list[int]]]) -> None:
    """The same schools in the store: an exchange per guild, its students on the roster."""
    db = create_database(url)
    await upgrade(db)
    async with db.transaction() as conn:
        for guild_id, users in guilds:
            exchange_id = await exchange_store.create_exchange(
                conn,
                guild_id=guild_id,
                name="Minneapolis–Najaf",
                sides=[
                    ("Minneapolis", "America/Chicago", ("en",), frozenset({6, 7})),
                    ("Najaf", "Asia/Baghdad", ("ar",), frozenset({5, 6})),
                ],
                now=NOW,
            )
            for index, user_id in enumerate(users):
                await roster.add(
                    conn,
                    guild_id=guild_id,
                    exchange_id=exchange_id,
                    user_id=user_id,
                    role=ExchangeRole.STUDENT,
                    display_name=f"Student {index}",
                    city_id=None,
                    now=NOW,
                    grade_band="13-15",
                    languages=("en",),
                )
    await db.dispose()


async def _start_bot(server: SandboxServer, url: str, folder: Path, run: int) -> dict[str, Any]:
    report = folder / f"report-{run}.json"
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.botproc",
        server.base_url,
        server.gateway_url,
        server.token,
        url,
        str(report),
    )
    # The sandbox serves the child from this event loop while we wait.
    if await asyncio.wait_for(child.wait(), timeout=120) != 0 or not report.exists():
        raise RuntimeError(f"the bot process failed (exit {child.returncode})")
    found: dict[str, Any] = json.loads(report.read_text("utf-8"))
    return found


async def figures() -> list[Figure]:
    reports = []
    with tempfile.TemporaryDirectory(prefix="twinbridge-bench-") as folder:
        server = SandboxServer(spec=SpecValidator.load())
        guilds = _seed_discord(server)
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        await _seed_database(url, guilds)
        await server.start()
        try:
            for run in range(RUNS):
                reports.append(await _start_bot(server, url, Path(folder), run))
        finally:
            await server.stop()
        if server.problems:
            raise RuntimeError(f"the sandbox saw problems: {server.problems[:3]}")
    members = sum(len(users) for _, users in guilds)

    def median(key: str) -> float:
        return statistics.median(float(r[key]) for r in reports)

    last = reports[-1]
    cache = (
        f"{last['guilds']} guilds, {last['channels']:,} channels and {last['cached_members']} "
        f"members cached of {members:,}"
    )
    return [
        Figure(
            f"memory: the bot's RSS after ready, {GUILDS} servers, {members:,} members",
            median("VmRSS") / 1024,
            "MB",
            200.0,
            f"{cache}; peak {median('VmHWM') / 1024:.0f} MB; the bot in its own process",
        ),
        Figure(
            "start-up: imports, database migrated, extensions loaded, commands registered",
            median("set_up"),
            "s",
            3.0,
            f"imports alone {median('imported'):.2f} s; a restart on a migrated database",
        ),
        Figure(
            f"start-up: process start to ready in {GUILDS} servers",
            median("ready"),
            "s",
            5.0,
            "includes discord.py's fixed 2 s wait after the last GUILD_CREATE",
        ),
    ]
