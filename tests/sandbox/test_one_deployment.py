"""One deployment per database: a process without SHARD_COUNT believes every server is its
own, so it runs alone. A second unsharded process, an unsharded one beside sharded ones, a
sharded one beside an unsharded one, and sharded ones with another SHARD_COUNT are refused at
start-up, with one line saying what runs and what to do (bot/store/leases.py). On SQLite the
database file's lock refuses any second process (tests/test_cli_second_process.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.sandbox.driver import Sandbox
from bot.store.leases import InUseError
from tests.databases import ON_POSTGRESQL

pytestmark = pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="several processes share one database only on PostgreSQL (TEST_DATABASE_URL="
    "postgresql+asyncpg://…); SQLite: tests/test_cli_second_process.py",
)

UNSHARDED = {"shard_count": None, "shard_ids": None}
GLOBAL = {"dev_guild_id": None}


async def test_an_unsharded_process_runs_alone(tmp_path: Path) -> None:
    async with Sandbox.running(tmp_path, settings=GLOBAL) as sb:
        assert sb.bot.ctx.leases.alone
        with pytest.raises(InUseError, match="without SHARD_COUNT is running on this database"):
            await sb.start_peer({})
        with pytest.raises(InUseError, match="without SHARD_COUNT is running on this database"):
            await sb.start_peer({"shard_count": 2, "shard_ids": [1]})
        # Refused before anything: the running process still does every server's work.
        reply = await sb.command(sb.owner, "about")
        assert reply.ephemeral
        # Once it stops, sharded processes may start.
        await sb.stop_bot()
        one = await sb.start_peer({"shard_count": 2, "shard_ids": [1]})
        assert one.ctx.leases.shards == (1,)


async def test_sharded_processes_refuse_an_unsharded_one_and_another_shard_count(
    tmp_path: Path,
) -> None:
    settings = {**GLOBAL, "shard_count": 2, "shard_ids": [0]}
    async with Sandbox.running(tmp_path, settings=settings) as sb:
        assert not sb.bot.ctx.leases.alone
        with pytest.raises(InUseError, match=r"sharded Twinbridge processes \(SHARD_COUNT\)"):
            await sb.start_peer(UNSHARDED)
        with pytest.raises(InUseError, match=r"SHARD_COUNT=2 are running .* SHARD_COUNT=4"):
            await sb.start_peer({"shard_count": 4, "shard_ids": [1]})
        second = await sb.start_peer({"shard_ids": [1]})
        assert second.ctx.leases.shards == (1,)
        # The refused ones held nothing: once both stop, an unsharded process starts.
        await sb.stop_peer(second)
        await sb.stop_bot()
        alone = await sb.start_peer(UNSHARDED)
        assert alone.ctx.leases.alone
