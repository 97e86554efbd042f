"""Several bot processes, each holding some shards: a server's scheduled work is done only by
the process holding its shard, work of no server by exactly one process (the lead), and a
killed process's shards are taken over by its restart with nothing lost or doubled.

The scheduled work here is a test kind of send (one post in the server's #general per send,
through the bot's own client: a process without the server in its cache could not post),
planned for every day of a month in two servers on two shards and for no server. The real
features plan their sends the same way (`scheduled_sends.guild_id`), so which process does a
session reminder or a fan-out is decided exactly as for these.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import discord
import pytest
from sqlalchemy import text

from bot.app import Twinbridge
from bot.domain.shards import NO_GUILD, shard_of
from bot.sandbox.driver import Sandbox
from bot.sandbox.state import Guild
from bot.store import sends
from bot.store.leases import ShardHeldError
from tests.databases import ON_POSTGRESQL
from tests.sandbox.sessions_helpers import MONTHS_IN_SECONDS

KIND = "test.shard-post"
DAYS = 30
# Sends stay useful for a day: a process down for hours still does its shards' sends late.
USEFUL = timedelta(days=1)


def record(bot: Twinbridge, done: list[tuple[str, str]], name: str) -> None:
    """`bot` does KIND sends: posts the key in the server's #general (none for no server)."""

    async def post(send: sends.Send) -> None:
        done.append((name, send.key))
        channel_id = send.payload.get("channel")
        if channel_id is None:
            return
        channel = bot.get_channel(int(channel_id))
        assert isinstance(channel, discord.TextChannel), f"{name} cannot see {channel_id}"
        await channel.send(send.key)

    bot.ctx.scheduler.handle(KIND, post)


async def plan_month(sb: Sandbox, guilds: dict[str, Guild]) -> list[str]:
    """A send a day at 09:00 for each server and for no server; their keys."""
    start = sb.now().replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(days=1)
    planned: list[sends.Planned] = []
    for day in range(DAYS):
        due = start + timedelta(days=day)
        for name, guild in guilds.items():
            channel = sb.general_of(sb.owner_of(guild)).id
            planned.append(
                sends.Planned(
                    key=f"shard-post:{name}:{day}",
                    kind=KIND,
                    due_at=due,
                    guild_id=guild.id,
                    payload={"channel": channel},
                    expires_at=due + USEFUL,
                )
            )
        planned.append(
            sends.Planned(
                key=f"shard-post:none:{day}",
                kind=KIND,
                due_at=due,
                guild_id=NO_GUILD,
                expires_at=due + USEFUL,
            )
        )
    async with sb.bot.ctx.db.transaction() as conn:
        await sends.plan_many(conn, planned)
    sb.typed(*(p.key for p in planned))  # each send posts its key: the test's own words
    return [p.key for p in planned]


def posted(sb: Sandbox, guild: Guild) -> Counter[str]:
    channel = sb.general_of(sb.owner_of(guild))
    return Counter(m.content for m in sb.messages_in(channel) if m.content.startswith("shard-"))


async def statuses(sb: Sandbox, keys: list[str]) -> dict[str, str]:
    async with sb.bot.ctx.db.read() as conn:
        return {s.key: s.status for s in await sends.by_keys(conn, keys)}


async def rearm_all(*bots: Twinbridge) -> None:
    for bot in bots:
        await bot.ctx.scheduler.rearm()


async def test_one_process_on_sqlite_leaves_other_shards_alone(tmp_path: Path) -> None:
    """SQLite variant: one process holding shard 0 of 2 does that shard's servers' sends and
    those of no server (it is the only process: it leads), and leaves shard 1's pending."""
    settings = {"dev_guild_id": None, "shard_count": 2, "shard_ids": [0]}
    async with Sandbox.running(tmp_path, settings=settings, limits=MONTHS_IN_SECONDS) as sb:
        guilds = {
            "zero": await sb.add_guild("Najaf School", shard=(0, 2)),
            "one": await sb.add_guild("Minneapolis School", shard=(1, 2)),
        }
        done: list[tuple[str, str]] = []
        record(sb.bot, done, "first")
        keys = await plan_month(sb, guilds)
        await rearm_all(sb.bot)
        await sb.advance(days=DAYS + 2)
        found = await statuses(sb, keys)
        for key, status in found.items():
            expected = "pending" if ":one:" in key else "sent"
            assert status == expected, (key, status)
        assert posted(sb, guilds["zero"]) == Counter(
            {f"shard-post:zero:{d}": 1 for d in range(DAYS)}
        )
        assert posted(sb, guilds["one"]) == Counter()
        assert Counter(key for _, key in done) == Counter(k for k in keys if ":one:" not in k)
        # Its health reports its own sends: shard 1's, overdue, are another process's.
        report = await sb.bot.ctx.health.run()
        assert report.checks["scheduler"].ok, report.checks["scheduler"]


@pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="several processes share one database only on PostgreSQL (TEST_DATABASE_URL="
    "postgresql+asyncpg://…; CI runs the PostgreSQL suite); SQLite: the test above",
)
async def test_two_processes_a_month_each_send_once_through_a_kill(tmp_path: Path) -> None:
    """Two processes on one PostgreSQL database, shard 0 and shard 1 of 2, servers on both,
    a month of daily sends. Mid-month the first process (the lead) is killed: the second
    takes the lead, and the first's restart takes shard 0 back. Later the second is killed
    and restarted. Every send is done exactly once, each by the process of its shard."""
    settings: dict[str, Any] = {"dev_guild_id": None, "shard_count": 2, "shard_ids": [0]}
    async with Sandbox.running(tmp_path, settings=settings, limits=MONTHS_IN_SECONDS) as sb:
        guilds = {
            "zero": await sb.add_guild("Najaf School", shard=(0, 2)),
            "one": await sb.add_guild("Minneapolis School", shard=(1, 2)),
        }
        assert shard_of(guilds["one"].id, 2) == 1
        done: list[tuple[str, str]] = []
        record(sb.bot, done, "first")
        second = await sb.start_peer({"shard_ids": [1]})
        record(second, done, "second")
        # A third process for shard 1 refuses to start while the second holds it.
        with pytest.raises(ShardHeldError, match="shard 1 is held by another"):
            await sb.start_peer({"shard_ids": [1]})
        assert sb.bot.ctx.leases.leading and not second.ctx.leases.leading
        keys = await plan_month(sb, guilds)
        await rearm_all(sb.bot, second)
        await sb.advance(days=10)

        async def second_takes_the_lead() -> None:
            await second.ctx.scheduler.rearm()
            assert second.ctx.leases.leading

        await sb.crash_bot(timedelta(hours=5), meanwhile=second_takes_the_lead)
        first = sb.bot
        record(first, done, "first")
        await rearm_all(first)
        assert not first.ctx.leases.leading
        await sb.advance(days=10)
        await sb.kill_peer(second)
        sb.expect_problems()
        sb.clock.advance(timedelta(hours=5))
        third = await sb.start_peer({"shard_ids": [1]})
        record(third, done, "third")
        await rearm_all(third, first)
        await sb.advance(days=DAYS - 20 + 2)

        found = await statuses(sb, keys)
        assert set(found.values()) == {"sent"}, Counter(found.values())
        assert Counter(key for _, key in done) == Counter(keys)  # each exactly once
        for name, guild in guilds.items():
            assert posted(sb, guild) == Counter({f"shard-post:{name}:{d}": 1 for d in range(DAYS)})
        by = {key: who for who, key in done}
        assert all(by[k] == "first" for k in keys if ":zero:" in k)
        assert all(by[k] in ("second", "third") for k in keys if ":one:" in k)
        # No-server work: the first process until it was killed, the second after.
        leaders = [by[f"shard-post:none:{d}"] for d in range(DAYS)]
        assert leaders[0] == "first" and "second" in leaders


@pytest.mark.skipif(not ON_POSTGRESQL, reason="shard leases are PostgreSQL sessions")
async def test_a_process_that_lost_its_shards_session_stops(tmp_path: Path) -> None:
    """PostgreSQL ends the session holding the shard locks (a server restart, an operator's
    pg_terminate_backend): the locks are free for another process, so this one stops rather
    than do the same servers' work beside it, and says it did not stop cleanly."""
    settings = {"dev_guild_id": None, "shard_count": 2}
    async with Sandbox.running(tmp_path, settings=settings) as sb:
        bot = sb.bot
        assert await bot.check_leases()
        session = await bot.ctx.leases._session()
        pid = await session.scalar(text("SELECT pg_backend_pid()"))
        async with bot.ctx.db.read() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        assert not await bot.check_leases()
        assert bot.leases_lost
        await sb.wait_for(bot.is_closed, "the bot to stop")
        # Its shards are free: another process takes them.
        other = await sb.start_peer({})
        assert other.ctx.leases.shards == (0, 1)
