"""Rate limits in the sandbox behave as Discord's: per-route buckets shared by major parameter
with Discord's headers, the two-renames-per-ten-minutes sub-limit on the sandbox clock, and the
invalid-request count that ends in a temporary ban.

Source for every test here: discord/discord-api-docs, docs/topics/rate-limits.md ("Header
Format", "Exceeding A Rate Limit", "Invalid Request Limit aka Cloudflare bans"); the rename
limit is Discord's per-channel limit on name and topic changes (two per ten minutes).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import discord
import pytest

from bot.sandbox.driver import Sandbox, SandboxError
from bot.sandbox.ratelimit import Limits
from tests.sandbox.rest import call, raw


async def test_buckets_are_shared_by_major_parameter(sb: Sandbox) -> None:
    """One route, two channels: the same bucket hash, but each channel counts on its own."""
    other = sb.add_channel("other")
    await sb.idle()
    first = [
        await call(sb, "POST", f"/channels/{sb.general.id}/messages", {"content": f"m{i}"})
        for i in range(5)
    ]
    _, _, elsewhere = await call(sb, "POST", f"/channels/{other.id}/messages", {"content": "x"})
    assert [h["X-RateLimit-Remaining"] for _, _, h in first] == ["4", "3", "2", "1", "0"]
    assert elsewhere["X-RateLimit-Remaining"] == "4"
    assert elsewhere["X-RateLimit-Bucket"] == first[0][2]["X-RateLimit-Bucket"]
    status, answer, headers = await call(
        sb, "POST", f"/channels/{sb.general.id}/messages", {"content": "one too many"}
    )
    assert status == 429 and answer["global"] is False and 0 < answer["retry_after"] <= 5
    assert headers["X-RateLimit-Scope"] == "user" and "Retry-After" in headers


async def test_a_third_rename_within_ten_minutes_waits_for_the_window(sb: Sandbox) -> None:
    """Two name or topic changes per channel per ten minutes; the third gets a 429 of up to ten
    minutes while the route's bucket still shows room (a sub-limit). Time on the sandbox
    clock frees it."""
    path = f"/channels/{sb.general.id}"
    assert (await raw(sb, "PATCH", path, {"name": "one"}))[0] == 200
    assert (await raw(sb, "PATCH", path, {"topic": "two"}))[0] == 200
    status, answer, headers = await call(sb, "PATCH", path, {"name": "three"})
    assert status == 429 and 590 <= answer["retry_after"] <= 600
    assert int(headers["X-RateLimit-Remaining"]) > 0
    assert (await raw(sb, "PATCH", path, {"position": 3}))[0] == 200, "other changes go on"
    await sb.advance(minutes=10)
    assert (await raw(sb, "PATCH", path, {"name": "three"}))[0] == 200
    assert sb.general.name == "three"


async def test_discord_py_would_sleep_out_a_third_rename_and_the_test_says_so(
    sb: Sandbox,
) -> None:
    """Without `max_ratelimit_timeout`, discord.py sleeps through a ten-minute 429: the bot
    would sit still for minutes. The driver fails the test at once, naming the request."""
    # The bot caps its waits (bot.app sets max_ratelimit_timeout): a client that does not.
    sb.bot.http.max_ratelimit_timeout = None
    channel = sb.bot.get_channel(sb.general.id)
    assert isinstance(channel, discord.TextChannel)
    sb.typed("one", "two", "three")  # the test's own names, sent through the bot's client
    await channel.edit(name="one")
    await channel.edit(name="two")
    stuck = asyncio.get_running_loop().create_task(
        channel.edit(name="three"), name="twinbridge:rename"
    )
    with pytest.raises(SandboxError, match="stall"):
        await sb.idle()
    stuck.cancel()
    assert any("would stall" in p for p in sb.expect_problems())


async def test_with_max_ratelimit_timeout_a_third_rename_raises_at_once(sb: Sandbox) -> None:
    """A client that caps its waits gets `discord.RateLimited` at once and can say so."""
    sb.bot.http.max_ratelimit_timeout = 30.0
    channel = sb.bot.get_channel(sb.general.id)
    assert isinstance(channel, discord.TextChannel)
    sb.typed("one", "two", "three")  # the test's own names, sent through the bot's client
    await channel.edit(name="one")
    await channel.edit(name="two")
    with pytest.raises(discord.RateLimited) as waited:
        await channel.edit(name="three")
    assert waited.value.retry_after > 30
    await sb.idle()
    assert sb.general.name == "two"


async def test_invalid_requests_are_counted_for_ten_minutes(sb: Sandbox) -> None:
    """401, 403 and 429 answers count toward the invalid-request limit; the driver reports how
    many the last ten minutes saw, so a test can keep it low."""
    assert sb.invalid_requests == 0
    assert (await raw(sb, "GET", "/users/@me", auth=False))[0] == 401
    sb.set_bot_permissions(0)
    await sb.idle()
    for _ in range(2):
        status, _ = await raw(sb, "POST", f"/guilds/{sb.guild.id}/channels", {"name": "x"})
        assert status == 403
    assert (await raw(sb, "GET", f"/channels/{sb.general.id}/messages/1"))[0] == 404, "not counted"
    assert sb.invalid_requests == 3
    await sb.advance(minutes=10)
    assert sb.invalid_requests == 0
    assert sb.server.ratelimiter.invalid_total == 3


async def test_too_many_invalid_requests_get_the_address_banned(tmp_path: Path) -> None:
    """At the limit (10,000 in ten minutes; three here) Discord's edge answers every request
    429 without a JSON body or Via header, which discord.py reads as a Cloudflare ban."""
    async with Sandbox.running(tmp_path, limits=Limits(invalid_per_window=3)) as sb:
        for _ in range(3):
            assert (await raw(sb, "GET", "/users/@me", auth=False))[0] == 401
        channel = sb.bot.get_channel(sb.general.id)
        assert isinstance(channel, discord.TextChannel)
        with pytest.raises(discord.HTTPException) as banned:
            await channel.send("anyone there?")
        assert banned.value.status == 429
        assert any("bans the bot" in p for p in sb.expect_problems())
        await sb.advance(minutes=10)
        sb.typed("back")
        await channel.send("back")
        assert sb.last_message(sb.general).content == "back"
