"""What the sandbox answers is shaped like Discord's answers.

Every answer of every test is checked as it leaves against the response schema of Discord's
official OpenAPI spec for its route and status (a mismatch is a sandbox problem that fails the
test). `SANDBOX_RECORD` lines carry each answer too, and the tests here re-check a whole
recorded run line by line.

Source: discord/discord-api-specs (the spec at shared/discord-api-spec/openapi.json), its
`responses` for each operation.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.sandbox.driver import Sandbox
from bot.sandbox.spec import SpecValidator, outline
from bot.sandbox.state import ChannelType
from tests.sandbox.rest import raw

PROBE = ("cogs.about", "tests.sandbox.probe_cog")


@pytest.fixture
def spec() -> SpecValidator:
    found = SpecValidator.load()
    if found is None:
        pytest.skip("Discord's OpenAPI spec is not beside the project (see bot/sandbox/spec.py)")
    return found


async def _a_busy_day(sb: Sandbox) -> None:
    """Commands, components, a modal, a deferred answer, threads, an event and some refusals."""
    member = sb.add_member("Omar")
    await sb.command(member, "probe echo", text="salaam", loud=True)
    await sb.autocomplete(member, "probe echo", "text", "he")
    widgets = await sb.command(member, "probe widgets")
    await sb.click(member, widgets, "Count")
    await sb.choose(member, widgets, ["fig"], placeholder="Pick a fruit")
    form = await sb.command(member, "probe modal")
    await sb.submit(member, form, said="hi")
    await sb.command(member, "probe slow")
    await sb.command(member, "about")
    parent = sb.bot.get_channel(sb.general.id)
    assert isinstance(parent, discord.TextChannel)
    # The test's own words, sent through the bot's client (pseudo-locale: data, not text).
    sb.typed("pair", "welcome", "welcome!", "Session")
    thread = await parent.create_thread(name="pair", type=discord.ChannelType.private_thread)
    await thread.add_user(discord.Object(member.user.id))
    sent = await thread.send("welcome")
    await sent.edit(content="welcome!")
    await thread.edit(locked=True)
    voice = sb.add_channel("Call", kind=ChannelType.VOICE)
    await sb.idle()
    start = sb.now() + timedelta(hours=1)
    created = await sb.bot.http.create_guild_scheduled_event(
        sb.guild.id,
        name="Session",
        privacy_level=2,
        scheduled_start_time=start.isoformat(),
        scheduled_end_time=(start + timedelta(hours=1)).isoformat(),
        entity_type=2,
        channel_id=voice.id,
    )
    await sb.bot.http.edit_scheduled_event(sb.guild.id, created["id"], name="Session 1")
    await sb.bot.http.get_scheduled_event(sb.guild.id, created["id"], with_user_count=False)
    await sb.bot.http.delete_scheduled_event(sb.guild.id, created["id"])
    await sent.delete()
    # Refusals answer in Discord's error shape: unknown, forbidden, archived, rate limited.
    await raw(sb, "GET", f"/channels/{sb.general.id}/messages/1")
    await raw(sb, "GET", "/users/@me", auth=False)
    await sb.advance(days=2)
    await raw(sb, "PATCH", f"/channels/{thread.id}", {"name": "x"})
    for name in ("a", "b", "c"):
        await raw(sb, "PATCH", f"/channels/{sb.general.id}", {"name": name})


async def test_a_recorded_line_carries_the_status_and_the_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SANDBOX_RECORD=path: each line has method, path, request JSON, status and answer JSON."""
    record = tmp_path / "requests.jsonl"
    monkeypatch.setenv("SANDBOX_RECORD", str(record))
    async with Sandbox.running(tmp_path, extensions=PROBE) as sb:
        await sb.command(sb.owner, "probe slow")
        await raw(sb, "GET", f"/channels/{sb.general.id}/messages/1")
    lines = [json.loads(line) for line in record.read_text().splitlines()]
    assert all({"method", "path", "json", "status", "response"} <= set(x) for x in lines)
    callback = next(x for x in lines if x["path"].endswith("/callback"))
    assert callback["status"] in (200, 204)
    follow_up = next(
        x for x in lines if x["method"] == "POST" and x["path"].startswith("/webhooks")
    )
    assert follow_up["status"] == 200 and follow_up["response"]["content"] == "done"
    missing = lines[-1]
    assert (missing["status"], missing["response"]["code"]) == (404, 10008)


async def test_every_answer_of_a_busy_day_matches_discords_spec(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spec: SpecValidator
) -> None:
    """Every recorded answer of a busy run validates against the spec's response schema."""
    record = tmp_path / "requests.jsonl"
    monkeypatch.setenv("SANDBOX_RECORD", str(record))
    async with Sandbox.running(tmp_path, extensions=PROBE) as sb:
        await _a_busy_day(sb)
    lines = [json.loads(line) for line in record.read_text().splitlines()]
    statuses = {x["status"] for x in lines}
    assert {200, 204, 400, 401, 404, 429} <= statuses, statuses
    wrong = {
        f"{x['method']} {x['path']} {x['status']}": found
        for x in lines
        if x["status"] < 500
        and (found := spec.validate_response(x["method"], x["path"], x["status"], x["response"]))
    }
    assert wrong == {}


async def test_an_answer_unlike_discords_is_a_problem(sb: Sandbox, spec: SpecValidator) -> None:
    """Were the sandbox to answer in a shape Discord never uses, the test would fail naming it."""
    # The check needs the spec (the `spec` fixture skips where it is not beside the project).
    assert sb.server.spec is not None

    async def wrong_me(req: Any) -> dict[str, Any]:
        return {"id": "1", "username": 5}

    sb.server._routes = [
        (m, t, p, wrong_me if t == "/users/@me" else h) for m, t, p, h in sb.server._routes
    ]
    status, _ = await raw(sb, "GET", "/users/@me")
    assert status == 200
    problems = sb.expect_problems()
    assert any("answer to GET /users/@me breaks Discord's OpenAPI spec" in p for p in problems)


def test_outlining_an_answer_hides_only_ids_and_times() -> None:
    """Answers are remembered by their text with ids and timestamps outlined: keys, text that
    merely holds digits, and other values stay, so differently shaped answers never meet."""
    one = {
        "id": "1234567890123456789",
        "name": 'say "123"',
        "123": 1,
        "ids": ["1", "22"],
        "at": "2026-12-06T17:00:00+00:00",
    }
    other = one | {"id": "987", "ids": ["5", "66"], "at": "2027-01-01T00:00:00.5+00:00"}
    text = outline(json.dumps(one).encode())
    assert text == outline(json.dumps(other).encode())
    assert b'"id": #' in text and b'"ids": [#, #]' in text and b'"at": #' in text
    assert b'"123": 1' in text and b'"name": "say \\"123\\""' in text
    assert text != outline(json.dumps(one | {"name": "x"}).encode())
    assert text != outline(json.dumps(one | {"123": 2}).encode())


def test_a_verdict_remembered_by_text_is_the_verdict_of_that_answer(spec: SpecValidator) -> None:
    """A wrong answer stays wrong and a right one right, however often each comes."""
    right = {
        "id": "1",
        "username": "omar",
        "discriminator": "0",
        "avatar": None,
        "public_flags": 0,
        "flags": 0,
        "global_name": None,
        "mfa_enabled": False,
        "locale": "en-US",
    }
    wrong = {"id": "1", "username": 5}
    for _ in range(2):
        for body in (right, wrong, right | {"id": "22"}, wrong | {"id": "22"}):
            found = spec.response_verdict("GET", "/users/@me", 200, body, json.dumps(body).encode())
            assert bool(found) == (body["username"] == 5), (body, found)
            assert found == spec.validate_response("GET", "/users/@me", 200, body)
