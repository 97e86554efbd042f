"""Timed sends through the real bot: exactly once, across restarts and downtime."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.sandbox.driver import Sandbox
from bot.sandbox.permissions import Overwrite, P
from bot.store import sends

PROBE = ("cogs.about", "tests.sandbox.probe_cog")


@pytest.fixture
async def probe(tmp_path: Path) -> AsyncIterator[Sandbox]:
    async with Sandbox.running(tmp_path, extensions=PROBE) as sandbox:
        yield sandbox


async def plan(sb: Sandbox, key: str, after: timedelta, text: str) -> None:
    sb.typed(text)  # the probe posts the test's own words: data, not the bot's text
    async with sb.bot.ctx.db.transaction() as conn:
        await sends.plan(
            conn,
            key=key,
            kind="probe.say",
            due_at=sb.now() + after,
            guild_id=sb.guild.id,
            payload={"channel_id": str(sb.general.id), "text": text},
        )
    await sb.bot.ctx.scheduler.rearm()


def said(sb: Sandbox, text: str) -> int:
    return sum(1 for m in sb.messages_in(sb.general) if m.content == text)


async def test_a_send_happens_when_due_and_only_once(probe: Sandbox) -> None:
    """Nothing before its time; exactly one message after it, however far the clock moves."""
    await plan(probe, "t:1", timedelta(hours=1), "reminder")
    await probe.advance(minutes=30)
    assert said(probe, "reminder") == 0
    await probe.advance(minutes=31)
    assert said(probe, "reminder") == 1
    await probe.advance(days=3)
    assert said(probe, "reminder") == 1


async def test_planning_the_same_key_twice_sends_once(probe: Sandbox) -> None:
    """Re-planning (e.g. after a restart) never doubles a send."""
    await plan(probe, "t:dup", timedelta(minutes=5), "once")
    await plan(probe, "t:dup", timedelta(minutes=5), "once")
    await probe.advance(minutes=6)
    assert said(probe, "once") == 1


async def test_a_restart_before_the_time_still_sends_once(probe: Sandbox) -> None:
    """The schedule is rebuilt from the database at start-up."""
    await plan(probe, "t:restart", timedelta(hours=2), "after restart")
    await probe.restart_bot()
    await probe.advance(hours=3)
    assert said(probe, "after restart") == 1


async def test_downtime_within_grace_sends_late(probe: Sandbox) -> None:
    """A send due while the bot was down goes out late if within the grace window."""
    await plan(probe, "t:late", timedelta(minutes=10), "late but sent")
    await probe.restart_bot(downtime=timedelta(minutes=25))
    assert said(probe, "late but sent") == 1


async def test_downtime_beyond_grace_is_recorded_as_missed(probe: Sandbox) -> None:
    """Too late (over 30 minutes by default): not sent, recorded as missed."""
    await plan(probe, "t:missed", timedelta(minutes=10), "too late")
    await probe.restart_bot(downtime=timedelta(hours=2))
    assert said(probe, "too late") == 0
    assert await probe.bot.ctx.scheduler.status_of(["t:missed"]) == {"t:missed": "missed"}


async def test_two_wake_ups_at_once_send_once(probe: Sandbox) -> None:
    """Concurrent runs claim each send atomically."""
    await plan(probe, "t:race", timedelta(minutes=1), "raced")
    probe.clock.advance(timedelta(minutes=2))
    await asyncio.gather(*(probe.bot.ctx.scheduler.run_due() for _ in range(3)))
    await probe.idle()
    assert said(probe, "raced") == 1


async def test_a_fan_out_is_done_several_at_a_time_each_exactly_once(probe: Sandbox) -> None:
    """Sends of a fan-out kind due together run side by side; each still happens once."""
    scheduler = probe.bot.ctx.scheduler
    running = done = most = 0
    seen: list[str] = []

    async def post(send: sends.Send) -> None:
        nonlocal running, done, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.01)
        seen.append(send.key)
        running -= 1
        done += 1

    scheduler.handle("probe.fan", post, fan_out=True)
    async with probe.bot.ctx.db.transaction() as conn:
        for n in range(20):
            await sends.plan(
                conn,
                key=f"fan:{n}",
                kind="probe.fan",
                due_at=probe.now() + timedelta(minutes=1),
                guild_id=probe.guild.id,
            )
    await scheduler.rearm()
    await probe.advance(minutes=2)
    await probe.advance(days=1)
    assert sorted(seen) == sorted(f"fan:{n}" for n in range(20))
    assert 1 < most <= 8


async def test_other_kinds_stay_one_after_another(probe: Sandbox) -> None:
    """Sends of ordinary kinds due together never overlap, and go in due order."""
    scheduler = probe.bot.ctx.scheduler
    running = most = 0
    seen: list[str] = []

    async def step(send: sends.Send) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.005)
        seen.append(send.key)
        running -= 1

    scheduler.handle("probe.step", step)
    async with probe.bot.ctx.db.transaction() as conn:
        for n in range(5):
            await sends.plan(
                conn,
                key=f"step:{n}",
                kind="probe.step",
                due_at=probe.now() + timedelta(minutes=1),
                guild_id=probe.guild.id,
            )
    await scheduler.rearm()
    await probe.advance(minutes=2)
    assert seen == [f"step:{n}" for n in range(5)] and most == 1


async def test_planning_many_sends_adds_only_those_not_yet_planned(probe: Sandbox) -> None:
    """A fan-out planned again (a restart half-way) adds only the missing sends, once each."""
    due = probe.now() + timedelta(hours=1)
    async with probe.bot.ctx.db.transaction() as conn:
        await sends.plan(
            conn,
            key="many:0",
            kind="probe.say",
            due_at=due,
            guild_id=probe.guild.id,
            payload={"text": "first"},
        )
    batch = [
        sends.Planned(f"many:{n}", "probe.say", due, probe.guild.id, payload={"text": "again"})
        for n in range(3)
    ]
    async with probe.bot.ctx.db.transaction() as conn:
        added = await sends.plan_many(conn, batch)
    async with probe.bot.ctx.db.transaction() as conn:
        added_again = await sends.plan_many(conn, batch)
    async with probe.bot.ctx.db.read() as conn:
        planned = {
            s.key: s.payload["text"]
            for s in await sends.by_keys(conn, ["many:0", "many:1", "many:2"])
        }
    assert (added, added_again) == (2, 0)
    assert planned == {"many:0": "first", "many:1": "again", "many:2": "again"}


# -- late, retried and failed sends ----------------------------------------------------------------


async def plan_until(sb: Sandbox, key: str, after: timedelta, text: str, useful: timedelta) -> None:
    """A send due `after` from now that stays useful `useful` after its due time."""
    due = sb.now() + after
    sb.typed(text)
    async with sb.bot.ctx.db.transaction() as conn:
        await sends.plan(
            conn,
            key=key,
            kind="probe.say",
            due_at=due,
            guild_id=sb.guild.id,
            payload={"channel_id": str(sb.general.id), "text": text},
            expires_at=due + useful,
        )
    await sb.bot.ctx.scheduler.rearm()


async def stored(sb: Sandbox, key: str) -> sends.Send:
    async with sb.bot.ctx.db.read() as conn:
        (send,) = await sends.by_keys(conn, [key])
    return send


def posts_to(sb: Sandbox, channel_id: int) -> int:
    return sb.server.requests.count(("POST", f"/channels/{channel_id}/messages"))


async def test_a_send_useful_until_later_is_done_after_the_grace(probe: Sandbox) -> None:
    """Its own latest useful time replaces the 30-minute grace: an hour late is still done."""
    await plan_until(probe, "t:window", timedelta(minutes=10), "still useful", timedelta(hours=2))
    await probe.restart_bot(downtime=timedelta(hours=1))
    assert said(probe, "still useful") == 1
    assert (await stored(probe, "t:window")).status == "sent"


async def test_a_send_past_its_useful_time_is_missed(probe: Sandbox) -> None:
    """Down past the send's latest useful time: recorded missed, not sent."""
    await plan_until(probe, "t:gone", timedelta(minutes=10), "too late", timedelta(hours=2))
    await probe.restart_bot(downtime=timedelta(hours=3))
    assert said(probe, "too late") == 0
    assert (await stored(probe, "t:gone")).status == "missed"


async def test_a_discord_outage_is_retried_and_sent_once(probe: Sandbox) -> None:
    """Discord answers 503 twice: the send is tried again after 30 s and 1 min, then sent."""
    channel = probe.general.id
    probe.server.fail_next(
        "POST", "/channels/{channel_id}/messages", times=2, status=503, channel_id=channel
    )
    await plan(probe, "t:outage", timedelta(minutes=5), "after the outage")
    await probe.advance(minutes=5, seconds=45)
    assert said(probe, "after the outage") == 0
    await probe.advance(minutes=1)
    assert said(probe, "after the outage") == 1
    send = await stored(probe, "t:outage")
    assert (send.status, send.attempts) == ("sent", 2)
    assert send.error is not None and send.error.startswith("503")
    assert posts_to(probe, channel) == 3


async def test_a_closed_channel_fails_once_with_the_reason(probe: Sandbox) -> None:
    """A 403 is not retried: one request, recorded failed with Discord's reason."""
    probe.general.overwrites.append(Overwrite(probe.bot_role.id, 0, 0, int(P.SEND_MESSAGES)))
    await plan(probe, "t:closed", timedelta(minutes=5), "never posted")
    await probe.advance(hours=2)
    send = await stored(probe, "t:closed")
    assert send.status == "failed" and send.attempts == 0
    assert send.error is not None and "403" in send.error and "50013" in send.error
    assert posts_to(probe, probe.general.id) == 1


async def test_an_outage_longer_than_the_grace_gives_up(probe: Sandbox) -> None:
    """Retries stop at the useful time (the 30-minute grace here): failed, a few tries in all."""
    probe.server.fail_next("POST", "/channels/{channel_id}/messages", times=100, status=503)
    await plan(probe, "t:long", timedelta(minutes=5), "lost to the outage")
    await probe.advance(hours=3)
    send = await stored(probe, "t:long")
    assert send.status == "failed" and send.error is not None
    assert send.error.startswith("gave up after 7 tries")  # 30 s, 1, 2, 4, 8, 10 min
    assert posts_to(probe, probe.general.id) == 7
