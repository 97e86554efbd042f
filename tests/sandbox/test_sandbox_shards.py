"""The sandbox serves several shards as Discord does: a gateway connection per shard, each
given only the servers `(guild_id >> 22) % shard_count` routes to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.app import ShardedTwinbridge
from bot.domain.shards import shard_of
from bot.sandbox.driver import Sandbox

GLOBAL = {"dev_guild_id": None}


@pytest.fixture
async def sharded(tmp_path: Path) -> AsyncIterator[Sandbox]:
    """One bot process holding both of two shards."""
    async with Sandbox.running(tmp_path, settings={**GLOBAL, "shard_count": 2}) as sandbox:
        yield sandbox


def sessions_by_shard(sb: Sandbox) -> dict[int, int]:
    """Shard id → how many live gateway sessions identified with it."""
    found: dict[int, int] = {}
    for session in sb.server.gateway.sessions.values():
        if session.valid:
            found[session.shard[0]] = found.get(session.shard[0], 0) + 1
    return found


async def test_one_process_holds_both_shards(sharded: Sandbox) -> None:
    """Two connections (IDENTIFY with shard [0, 2] and [1, 2]); servers on either shard are
    in the bot's cache and answered through their own shard."""
    bot = sharded.bot
    assert isinstance(bot, ShardedTwinbridge)
    assert sorted(bot.shards) == [0, 1]
    assert sessions_by_shard(sharded) == {0: 1, 1: 1}
    zero = await sharded.add_guild("Najaf School", shard=(0, 2))
    one = await sharded.add_guild("Minneapolis School", shard=(1, 2))
    assert (shard_of(zero.id, 2), shard_of(one.id, 2)) == (0, 1)
    for guild in (zero, one, sharded.guild):
        cached = bot.get_guild(guild.id)
        assert cached is not None and cached.shard_id == shard_of(guild.id, 2)
        reply = await sharded.command(sharded.owner_of(guild), "about")
        assert reply.interaction.guild_id == guild.id and reply.message is not None
    assert (await bot.gateway_check()).ok


async def test_each_process_gets_only_its_shards_servers(tmp_path: Path) -> None:
    """Two processes, one shard each: GUILD_CREATE (at IDENTIFY and for a server added later)
    and every guild event reach only the process whose shard serves that server."""
    settings = {**GLOBAL, "shard_count": 2, "shard_ids": [0]}
    async with Sandbox.running(tmp_path, settings=settings) as sb:
        zero = await sb.add_guild("Najaf School", shard=(0, 2))
        other = await sb.start_peer({"shard_ids": [1]})
        assert sessions_by_shard(sb) == {0: 1, 1: 1}
        one = await sb.add_guild("Minneapolis School", shard=(1, 2))
        first, second = sb.bot, other
        assert first.get_guild(zero.id) is not None and first.get_guild(one.id) is None
        assert second.get_guild(one.id) is not None and second.get_guild(zero.id) is None
        seed = sb.guild.id
        holder = first if shard_of(seed, 2) == 0 else second
        assert {g.id for g in holder.guilds} >= {seed}
        # A channel created in a server is known only to the process of its shard.
        channel = sb.add_channel("announcements", guild=one)
        await sb.idle()
        assert second.get_channel(channel.id) is not None
        assert first.get_channel(channel.id) is None
        # Commands of both servers are answered, each by its own process.
        for guild in (zero, one):
            reply = await sb.command(sb.owner_of(guild), "about")
            assert reply.message is not None and reply.interaction.guild_id == guild.id


async def test_gateway_bot_tells_the_shard_count(sharded: Sandbox) -> None:
    """`GET /gateway/bot` recommends the sandbox's shard count (what discord.py uses when
    SHARD_COUNT is not given)."""
    sharded.server.shard_count = 3
    headers = {"Authorization": f"Bot {sharded.server.token}"}
    async with (
        aiohttp.ClientSession() as http,
        http.get(sharded.server.base_url + "/api/v10/gateway/bot", headers=headers) as answer,
    ):
        body = await answer.json()
    assert body["shards"] == 3
    assert body["url"] == sharded.server.gateway_url
