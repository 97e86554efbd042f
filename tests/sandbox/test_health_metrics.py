"""`/healthz` and `/metrics`, served by the bot's own HTTP server while it runs.

The story: the volunteer points an uptime monitor at /healthz and Prometheus at /metrics.
Discord's gateway goes away for a while, the database file is moved under the running bot,
and the monitor must say so, then say all is well again when it is.
"""

from __future__ import annotations

import json
import logging
import re
import socket
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.sandbox.driver import Sandbox
from bot.store import sends
from tests.databases import sqlite_only
from tests.sandbox.world import make_world


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Sandbox]:
    """A bot serving health and metrics on a free port of 127.0.0.1."""
    async with Sandbox.running(tmp_path, settings={"http_port": 0}) as sandbox:
        yield sandbox


def url(sb: Sandbox, path: str) -> str:
    assert sb.bot.web is not None and sb.bot.web.port
    return f"http://127.0.0.1:{sb.bot.web.port}{path}"


async def healthz(sb: Sandbox) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as session, session.get(url(sb, "/healthz")) as answer:
        assert answer.content_type == "application/json"
        return answer.status, json.loads(await answer.text())


async def metrics(sb: Sandbox) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics, parsed by prometheus-client's own parser."""
    async with aiohttp.ClientSession() as session, session.get(url(sb, "/metrics")) as answer:
        assert answer.status == 200
        assert answer.headers["Content-Type"].startswith("text/plain")
        text = await answer.text()
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_healthz_is_200_with_every_check_when_all_is_well(served: Sandbox) -> None:
    status, body = await healthz(served)
    assert status == 200, body
    assert body["status"] == "ok" and body["failing"] == []
    assert set(body["checks"]) >= {"gateway", "database", "scheduler", "backup"}
    assert body["checks"]["backup"]["detail"].startswith("off")


async def test_a_gateway_outage_turns_healthz_to_503_and_back(
    served: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    """Discord's gateway is unreachable: 503 naming the gateway; back: 200, one reconnect."""
    sb = served
    before = value(await metrics(sb), "twinbridge_gateway_reconnects_total")
    await sb.gateway_down()
    status, body = await healthz(sb)
    assert status == 503
    assert body["status"] == "failing" and body["failing"] == ["gateway"]
    assert "disconnected" in body["checks"]["gateway"]["detail"]
    assert value(await metrics(sb), "twinbridge_gateway_connected") == 0
    assert any("gateway is failing" in r.getMessage() for r in caplog.records)

    await sb.gateway_up()
    status, body = await healthz(sb)
    assert status == 200, body
    samples = await metrics(sb)
    assert value(samples, "twinbridge_gateway_reconnects_total") == before + 1
    assert value(samples, "twinbridge_gateway_connected") == 1
    # And the bot answers again.
    reply = await sb.command(sb.owner, "about")
    assert "Version" in reply.text


@sqlite_only("a PostgreSQL database has no file to move")
async def test_a_database_file_moved_under_the_bot_turns_healthz_to_503_and_back(
    served: Sandbox,
) -> None:
    """The file the bot opened disappears (moved, deleted, replaced): 503 naming the
    database; once the same file is back, 200."""
    sb = served
    path = sb.bot.ctx.settings.sqlite_path()
    assert path is not None
    moved = path.with_name("moved.db")
    path.rename(moved)
    status, body = await healthz(sb)
    # The scheduler fails with it: it may not read a database that is not the one opened.
    assert status == 503 and set(body["failing"]) <= {"database", "scheduler"}
    assert "database" in body["failing"]
    assert "deleted or moved" in body["checks"]["database"]["detail"]

    # Another file in its place is no better: the bot still writes to the one it opened.
    path.write_bytes(b"")
    status, body = await healthz(sb)
    assert status == 503 and "replaced" in body["checks"]["database"]["detail"]

    path.unlink()
    moved.rename(path)
    status, body = await healthz(sb)
    assert status == 200, body


async def test_a_scheduler_that_falls_behind_turns_healthz_to_503(served: Sandbox) -> None:
    """A send long overdue and still pending means the scheduler is not keeping up."""
    sb = served
    # The scheduler's timer stops (as if its task had died); it still counts as started.
    await sb.bot.ctx.scheduler.stop()
    async with sb.bot.ctx.db.transaction() as conn:
        await sends.plan(
            conn, key="test:late", kind="test.late", due_at=sb.now(), guild_id=sb.guild.id
        )
    sb.clock.advance(timedelta(minutes=10))
    status, body = await healthz(sb)
    assert status == 503 and body["failing"] == ["scheduler"]
    assert "behind" in body["checks"]["scheduler"]["detail"]
    samples = await metrics(sb)
    assert value(samples, "twinbridge_scheduled_sends_pending") >= 1
    assert value(samples, "twinbridge_scheduled_sends_overdue_seconds") >= 600
    async with sb.bot.ctx.db.transaction() as conn:
        await sends.cancel_matching(conn, "test:late", sb.now())


async def test_metrics_parse_and_move_when_commands_run(served: Sandbox) -> None:
    """Interactions are counted by command and outcome, with their acknowledgement time;
    nothing in a label names a person."""
    sb = served
    world = await make_world(sb)
    before = await metrics(sb)
    await sb.command(world.teacher, "about")
    refused = await sb.command(world.teacher, "privacy export", student=world.coordinator)
    assert "Only coordinators" in refused.text
    after = await metrics(sb)

    ok = ("twinbridge_interactions_total", {"command": "about", "outcome": "ok"})
    assert value(after, ok[0], **ok[1]) == value(before, ok[0], **ok[1]) + 1
    denied = {"command": "privacy export", "outcome": "refused"}
    assert value(after, "twinbridge_interactions_total", **denied) == 1 + value(
        before, "twinbridge_interactions_total", **denied
    )
    acks = "twinbridge_ack_latency_seconds_count"
    assert value(after, acks) >= value(before, acks) + 2
    assert value(after, "twinbridge_database_bytes") > 0
    assert "twinbridge_scheduled_sends_pending" in {name for name, _ in after}
    names = [m.user.username for m in (world.teacher, world.coordinator, sb.owner)]
    for _name, labels in after:
        for _label, text in labels:
            assert not re.search(r"\d{15,}", text), text  # no Discord id
            assert not any(n in text for n in names), text


async def test_a_port_in_use_costs_only_the_http_server(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """HTTP_PORT taken by another program: one clear log line; the bot still serves Discord."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with caplog.at_level(logging.ERROR, logger="bot.web.server"):
            async with Sandbox.running(tmp_path, settings={"http_port": port}) as sb:
                assert sb.bot.web is None
                reply = await sb.command(sb.owner, "about")
                assert "Version" in reply.text
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.web.server"]
    assert len(lines) == 1
    assert f"HTTP_PORT {port}" in lines[0] and "already in use" in lines[0]
    assert "\n" not in lines[0]


async def test_no_server_without_http_port(sb: Sandbox) -> None:
    """HTTP_PORT empty (the default): nothing listens."""
    assert sb.bot.ctx.settings.http_port is None
    assert sb.bot.web is None
