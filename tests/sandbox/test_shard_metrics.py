"""`/metrics` with several processes: each counts the scheduled sends it does (its shards'
servers, and work of no server while it leads), so the deployment's figure is their sum; the
deployment's own figures (the database's size, the newest backup's age) come only from the
lead; and each shard's gateway connection is a sample labelled with its number."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.app import Twinbridge
from bot.domain.shards import NO_GUILD
from bot.sandbox.driver import Sandbox
from bot.sandbox.state import Guild
from bot.store import sends
from tests.databases import ON_POSTGRESQL

KIND = "test.metrics"
PENDING = "twinbridge_scheduled_sends_pending"


async def samples(bot: Twinbridge) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """What this process's /metrics answers (the same rendering), parsed."""
    await bot.refresh_metrics()
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(bot.ctx.metrics.render().decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def names(found: dict[tuple[str, tuple[tuple[str, str], ...]], float]) -> set[str]:
    return {name for name, _ in found}


async def plan(sb: Sandbox, guilds: dict[str, Guild]) -> None:
    """Pending sends tomorrow: two for the server on shard 0, three on shard 1, one of no
    server."""
    due = sb.now() + timedelta(days=1)
    count = {"zero": 2, "one": 3}
    planned = [
        sends.Planned(key=f"m:{name}:{n}", kind=KIND, due_at=due, guild_id=guild.id)
        for name, guild in guilds.items()
        for n in range(count[name])
    ]
    planned.append(sends.Planned(key="m:none", kind=KIND, due_at=due, guild_id=NO_GUILD))
    async with sb.bot.ctx.db.transaction() as conn:
        await sends.plan_many(conn, planned)


async def test_one_process_of_two_shards_counts_its_own_sends(tmp_path: Path) -> None:
    """SQLite: the process holding shard 0 (it leads: the only one) counts shard 0's sends and
    those of no server, exports the database's size, and its one shard as connected."""
    settings: dict[str, Any] = {"dev_guild_id": None, "shard_count": 2, "shard_ids": [0]}
    async with Sandbox.running(tmp_path, settings=settings) as sb:
        guilds = {
            "zero": await sb.add_guild("Najaf School", shard=(0, 2)),
            "one": await sb.add_guild("Minneapolis School", shard=(1, 2)),
        }
        before = (await samples(sb.bot))[(PENDING, ())]
        await plan(sb, guilds)
        found = await samples(sb.bot)
        assert found[(PENDING, ())] - before == 2 + 1
        assert found[("twinbridge_lead", ())] == 1
        assert "twinbridge_database_bytes" in names(found)
        assert found[("twinbridge_shard_connected", (("shard", "0"),))] == 1
        assert ("twinbridge_shard_connected", (("shard", "1"),)) not in found


async def test_an_unsharded_process_leads_and_labels_no_shard(sb: Sandbox) -> None:
    found = await samples(sb.bot)
    assert found[("twinbridge_lead", ())] == 1
    assert "twinbridge_database_bytes" in names(found)
    assert "twinbridge_shard_connected" not in names(found)


@pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="several processes share one database only on PostgreSQL (TEST_DATABASE_URL="
    "postgresql+asyncpg://…); SQLite: the tests above",
)
async def test_two_processes_sum_to_the_deployment(tmp_path: Path) -> None:
    """Two processes, one shard each: their pending sends add up to the deployment's, each
    counted once; the database's size and the backup's age come from the lead alone."""
    settings: dict[str, Any] = {"dev_guild_id": None, "shard_count": 2, "shard_ids": [0]}
    async with Sandbox.running(tmp_path, settings=settings) as sb:
        guilds = {
            "zero": await sb.add_guild("Najaf School", shard=(0, 2)),
            "one": await sb.add_guild("Minneapolis School", shard=(1, 2)),
        }
        second = await sb.start_peer({"shard_ids": [1]})
        first = sb.bot
        await plan(sb, guilds)
        async with first.ctx.db.read() as conn:
            everything = await sends.pending_count(conn)
        lead, other = await samples(first), await samples(second)
        assert lead[(PENDING, ())] + other[(PENDING, ())] == everything
        assert other[(PENDING, ())] == 3  # shard 1's only
        assert (lead[("twinbridge_lead", ())], other[("twinbridge_lead", ())]) == (1, 0)
        for deployment in ("twinbridge_database_bytes", "twinbridge_last_backup_age_seconds"):
            assert deployment in names(lead)
            assert deployment not in names(other)
        assert lead[("twinbridge_shard_connected", (("shard", "0"),))] == 1
        assert other[("twinbridge_shard_connected", (("shard", "1"),))] == 1
        assert ("twinbridge_shard_connected", (("shard", "0"),)) not in other
