"""Start-up work with several processes: each process's start-up (the day's consent notices,
the due pairing rounds, the check-ins and their daily sweep, the chess sweep, unfinished
operations) does only the servers of its own shards, so two processes starting on one database
never both plan, settle or post the same server's work.

Two exchanges on two shards: the world's (Minneapolis ↔ Najaf, in the sandbox's first server)
and Winston-Salem ↔ Kumasi, made in the same server by commands and then moved to a server on
the other shard (as if it had been made there), with its own teachers' channel there. Each has
a cadence, check-ins, live pairs and a student of the old "10-12" band (a notice at start-up).
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update

from bot.domain.exchange import Role
from bot.domain.shards import NO_GUILD, shard_of
from bot.sandbox.driver import Sandbox
from bot.sandbox.state import Channel, Guild
from bot.services.consent import NOTICE_KIND
from bot.services.meet import CHECKIN_KIND, SWEEP_KIND
from bot.services.operations import RECOVER_KIND
from bot.services.rounds import DUE_KIND
from bot.store import operations, roster
from bot.store.exchanges import get_exchange
from bot.store.schema import exchange_spaces, participants, partnerships, scheduled_sends
from tests.databases import ON_POSTGRESQL
from tests.sandbox.world import World, make_world

SHARDS = {"dev_guild_id": None, "shard_count": 2}
PLANNED_AT_START = {NOTICE_KIND, DUE_KIND, CHECKIN_KIND}


def notices(sb: Sandbox, channel: Channel) -> list[str]:
    return [m.content for m in sb.messages_in(channel) if "10–12" in m.content]


async def two_servers(sb: Sandbox) -> tuple[World, int, Guild, Channel]:
    """The world's exchange in the first server and another moved to a server on the other
    shard; (world, the other exchange, its server, its teachers' channel)."""
    world = await make_world(sb)
    for name, city in (("Ben", 0), ("Ali", 1), ("Maya", 0), ("Zainab", 1)):
        await world.add_student(name, city)
    await world.add_student("Sam", 0, grade_band="10-12")
    other = await world.other_exchange("Kofi", "Ama")
    await sb.command(world.coordinator, "pair confirm", exchange=world.exchange_id)
    start = (sb.now().date() + timedelta(days=7)).isoformat()
    for exchange in (world.exchange_id, other):
        await sb.command(
            world.coordinator, "pair cadence", every="2", start=start, exchange=exchange
        )
        await sb.command(world.coordinator, "checkins", days=7, exchange=exchange)
    own = shard_of(sb.guild.id, 2)
    far = await sb.add_guild("Kumasi School", shard=(1 - own, 2))
    far_teachers = sb.add_channel("teachers", guild=far)
    async with sb.bot.ctx.db.transaction() as conn:
        found = await get_exchange(conn, sb.guild.id, other)
        assert found is not None
        await roster.add(
            conn,
            guild_id=sb.guild.id,
            exchange_id=other,
            user_id=sb.add_member("Efua", roles=[world.students_role]).user.id,
            role=Role.STUDENT,
            display_name="Efua",
            city_id=found.cities[1].id,
            now=sb.now(),
            grade_band="10-12",
        )
        await conn.execute(
            update(partnerships).where(partnerships.c.id == other).values(guild_id=far.id)
        )
        await conn.execute(
            update(participants)
            .where(participants.c.partnership_id == other)
            .values(guild_id=far.id)
        )
        await conn.execute(
            update(exchange_spaces)
            .where(exchange_spaces.c.partnership_id == other)
            .values(teachers_channel_id=far_teachers.id)
        )
        # What start-up plans is planned afresh: the commands' plans are forgotten.
        await conn.execute(delete(scheduled_sends).where(scheduled_sends.c.status == "pending"))
    return world, other, far, far_teachers


async def planned(sb: Sandbox, exchange_id: int | None) -> Counter[str]:
    """The kinds of sends start-up plans, planned for an exchange (None: of no server), by
    how many (the welcomes the commands posted are not start-up's)."""
    where = (
        scheduled_sends.c.guild_id == NO_GUILD
        if exchange_id is None
        else scheduled_sends.c.partnership_id == exchange_id
    )
    async with sb.bot.ctx.db.read() as conn:
        kinds = scheduled_sends.c.kind.in_([*PLANNED_AT_START, SWEEP_KIND])
        rows = (await conn.execute(select(scheduled_sends.c.kind).where(where, kinds))).all()
    return Counter(row.kind for row in rows)


async def test_a_process_plans_at_start_up_only_its_own_servers_work(tmp_path: Path) -> None:
    """One process holding the first server's shard of two (SQLite: it is the only one, and
    leads): its start-up plans that server's notice, due round and check-ins, and the
    check-ins' daily sweep (work of no server); nothing of the server on the other shard, and
    it leaves alone an operation the other shard's process has under way there."""
    async with Sandbox.running(tmp_path, settings=SHARDS) as sb:
        world, other, far, far_teachers = await two_servers(sb)
        async with sb.bot.ctx.db.transaction() as conn:
            under_way = await operations.begin(
                conn,
                guild_id=far.id,
                exchange_id=other,
                kind="pairing.confirmed",
                owner="the-other-process",
                actor_id=None,
                plan={},
                now=sb.now(),
            )
        await sb.restart_bot(settings={"shard_ids": [shard_of(sb.guild.id, 2)]})
        await sb.idle()
        async with sb.bot.ctx.db.read() as conn:
            still = await operations.get(conn, under_way)
            recoveries = await conn.scalar(
                select(func.count()).where(scheduled_sends.c.kind == RECOVER_KIND)
            )
        assert still is not None and still.status == operations.OperationStatus.RUNNING
        assert recoveries == 0, "not this process's operation to settle or retry"
        assert sb.bot.ctx.leases.leading
        assert set(await planned(sb, world.exchange_id)) >= PLANNED_AT_START
        assert await planned(sb, other) == Counter(), "the other shard's process plans those"
        assert SWEEP_KIND in await planned(sb, None)
        assert len(notices(sb, world.teachers_channel)) == 1
        assert notices(sb, far_teachers) == []


@pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="several processes share one database only on PostgreSQL (TEST_DATABASE_URL="
    "postgresql+asyncpg://…); SQLite: the test above",
)
async def test_two_processes_start_up_each_its_own_servers_once(tmp_path: Path) -> None:
    """Two processes on one PostgreSQL database, one shard each: the first's start-up plans
    only its server's work; the second's start-up then its own. Each server's consent notice
    is posted once, by the process of its shard, and restarting both the same day posts none
    again; the daily sweep (work of no server) is planned once."""
    async with Sandbox.running(tmp_path, settings=SHARDS) as sb:
        world, other, _, far_teachers = await two_servers(sb)
        own = shard_of(sb.guild.id, 2)
        await sb.restart_bot(settings={"shard_ids": [own]})
        await sb.idle()
        assert await planned(sb, other) == Counter(), "not the first process's server"
        second = await sb.start_peer({"shard_ids": [1 - own]})
        await sb.idle()
        for exchange in (world.exchange_id, other):
            kinds = await planned(sb, exchange)
            assert set(kinds) >= PLANNED_AT_START, (exchange, kinds)
            assert kinds[NOTICE_KIND] == 1
        assert (await planned(sb, None))[SWEEP_KIND] == 1
        assert len(notices(sb, world.teachers_channel)) == 1
        assert len(notices(sb, far_teachers)) == 1
        # Both restart the same day: the notices are the day's, posted already.
        await sb.stop_peer(second)
        await sb.restart_bot()
        await sb.start_peer({"shard_ids": [1 - own]})
        await sb.idle()
        assert len(notices(sb, world.teachers_channel)) == 1
        assert len(notices(sb, far_teachers)) == 1
