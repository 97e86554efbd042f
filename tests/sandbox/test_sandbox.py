"""The loopback Discord behaves like Discord toward the real, unmodified discord.py client."""

from __future__ import annotations

import asyncio
import json
import time
import warnings
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import discord
import pytest

import bot.sandbox.driver as driver_module
import bot.sandbox.spec as spec_module
from bot.sandbox.driver import EPHEMERAL, Sandbox, SandboxError
from bot.sandbox.permissions import Overwrite, P
from bot.sandbox.ratelimit import Limits
from bot.sandbox.spec import SpecValidator
from bot.sandbox.state import Channel, ChannelType
from tests.sandbox.rest import raw

PROBE = ("cogs.about", "tests.sandbox.probe_cog")


@pytest.fixture
async def probe(tmp_path: Path) -> AsyncIterator[Sandbox]:
    """A sandbox whose bot also loads the probe extension."""
    async with Sandbox.running(tmp_path, extensions=PROBE) as sandbox:
        yield sandbox


# -- handshake and gateway ------------------------------------------------------------------------


async def test_bot_logs_in_and_sees_the_seeded_guild(sb: Sandbox) -> None:
    """IDENTIFY, READY and GUILD_CREATE give the bot the guild with its channels and roles."""
    guild = sb.bot.get_guild(sb.guild.id)
    assert guild is not None
    assert guild.get_channel(sb.general.id) is not None
    assert sb.bot.user is not None and sb.bot.user.id == sb.server.bot_user.id
    assert sb.server.gateway.identify_count == 1


async def test_commands_are_registered_with_the_sandbox(sb: Sandbox) -> None:
    """tree.sync registers /about in the dev guild with an id Discord assigned."""
    command = sb.server.find_command(sb.guild.id, "about")
    assert command is not None and command["id"].isdigit()


async def test_bot_identifies_without_privileged_intents(sb: Sandbox) -> None:
    """The bot asks for no privileged intent (members, presences, message content)."""
    session = next(iter(sb.server.gateway.sessions.values()))
    assert session.intents & (1 << 1 | 1 << 8 | 1 << 15) == 0


async def test_resume_after_a_cut_connection_loses_no_event(sb: Sandbox) -> None:
    """Events sent while the connection is down are replayed on RESUME."""
    await sb.server.gateway.cut()
    created = sb.add_channel("made-while-cut")
    await sb.wait_for(lambda: sb.server.gateway.resume_count == 1, "a RESUME", within=20)
    await sb.idle()
    guild = sb.bot.get_guild(sb.guild.id)
    assert guild is not None and guild.get_channel(created.id) is not None
    assert sb.server.gateway.identify_count == 1


async def test_reconnect_request_resumes_the_session(sb: Sandbox) -> None:
    """Op 7 makes the client reconnect and resume the same session."""
    await sb.server.gateway.request_reconnect()
    await sb.wait_for(lambda: sb.server.gateway.resume_count == 1, "a RESUME", within=20)
    reply = await sb.command(sb.owner, "about")
    assert reply.embeds


async def test_invalid_session_makes_the_bot_identify_again(sb: Sandbox) -> None:
    """Op 9 (not resumable) makes the client start a new session with IDENTIFY."""
    await sb.server.gateway.invalidate(resumable=False)
    await sb.wait_for(lambda: sb.server.gateway.identify_count == 2, "a new IDENTIFY", within=20)
    await sb.idle()
    reply = await sb.command(sb.owner, "about")
    assert reply.embeds


# -- the foundation's slice, end to end ------------------------------------------------------------


async def test_about_answers_with_version_and_partnership_count(sb: Sandbox) -> None:
    """/about shows the version and the number of exchanges, privately."""
    from bot import __version__

    member = sb.add_member("Amira")
    reply = await sb.command(member, "about")
    assert reply.ephemeral
    embed = reply.embeds[0]
    assert embed["title"] == "Twinbridge"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Version"] == __version__
    assert fields["Exchanges in this server"] == "0"


async def test_about_counts_partnerships_from_the_store(sb: Sandbox) -> None:
    """/about reads the count from the database, not a constant."""
    from datetime import UTC, datetime

    from bot.store.schema import partnerships

    async with sb.bot.ctx.db.transaction() as conn:
        await conn.execute(
            partnerships.insert().values(
                guild_id=sb.guild.id, name="Minneapolis–Najaf", created_at=datetime.now(UTC)
            )
        )
    reply = await sb.command(sb.owner, "about")
    fields = {f["name"]: f["value"] for f in reply.embeds[0]["fields"]}
    assert fields["Exchanges in this server"] == "1"


async def test_about_speaks_the_users_language(sb: Sandbox) -> None:
    """A member whose Discord is in Spanish reads /about in Spanish."""
    member = sb.add_member("Lucía", locale="es-ES")
    reply = await sb.command(member, "about")
    names = [f["name"] for f in reply.embeds[0]["fields"]]
    assert "Versión" in names


# -- interactions --------------------------------------------------------------------------------


async def test_slash_command_with_options_echoes(probe: Sandbox) -> None:
    """Options reach the command; ephemeral flag is set as asked."""
    member = probe.add_member("Omar")
    quiet = await probe.command(member, "probe echo", text="salaam")
    loud = await probe.command(member, "probe echo", text="hello", loud=True)
    assert (quiet.content, quiet.ephemeral) == ("salaam", True)
    assert (loud.content, loud.ephemeral) == ("hello", False)
    assert probe.last_message(probe.general).content == "hello"


async def test_autocomplete_returns_the_bots_choices(probe: Sandbox) -> None:
    """Typing into an autocompleted option shows the bot's suggestions."""
    choices = await probe.autocomplete(probe.owner, "probe echo", "text", "hel")
    assert [c["value"] for c in choices] == ["hello", "help"]


async def test_button_click_updates_the_message(probe: Sandbox) -> None:
    """Pressing a button edits the message it sits on."""
    reply = await probe.command(probe.owner, "probe widgets")
    await probe.click(probe.owner, reply, "Count")
    await probe.click(probe.owner, reply, "Count")
    assert reply.message is not None and reply.message.content == "Count: 2"


async def test_select_menu_choice_reaches_the_bot(probe: Sandbox) -> None:
    """Choosing in a select menu answers with the value chosen."""
    reply = await probe.command(probe.owner, "probe widgets")
    answer = await probe.choose(probe.owner, reply, ["fig"], placeholder="Pick a fruit")
    assert answer.content == "Picked fig"


async def test_modal_is_shown_and_submitted(probe: Sandbox) -> None:
    """A modal opens; its submitted values reach the bot."""
    reply = await probe.command(probe.owner, "probe modal")
    assert reply.modal is not None and reply.modal["title"] == "Tell us"
    answer = await probe.submit(probe.owner, reply, said="مرحبا 👋")
    assert answer.content == "You said: مرحبا 👋"


async def test_deferred_answer_with_a_file_follow_up(probe: Sandbox) -> None:
    """A deferred command's follow-up carries its file (multipart with payload_json)."""
    reply = await probe.command(probe.owner, "probe slow")
    assert reply.deferred
    assert reply.file("t.csv").data == b"a,b\n1,2\n"
    assert "done" in reply.text


async def test_user_and_role_options_are_resolved(probe: Sandbox) -> None:
    """User and role options arrive as members and roles the bot can use."""
    teachers = probe.add_role("Teachers")
    teacher = probe.add_member("Mr Hassan", roles=[teachers])
    reply = await probe.command(probe.owner, "probe who", member=teacher, role=teachers)
    assert reply.content == "Mr Hassan has Teachers: True"


async def test_a_second_acknowledgement_is_refused(probe: Sandbox) -> None:
    """An interaction can be acknowledged once; the second callback gets 40060."""
    reply = await probe.command(probe.owner, "probe echo", text="x")
    i = reply.interaction
    status, body = await raw(
        probe,
        "POST",
        f"/interactions/{i.id}/{i.token}/callback",
        {"type": 4, "data": {"content": "again"}},
        auth=False,
    )
    assert (status, body["code"]) == (400, 40060)


async def test_an_answer_after_three_seconds_is_unknown_interaction(probe: Sandbox) -> None:
    """A callback later than 3 s is refused with 10062 Unknown interaction."""
    data = probe._command_data(probe.owner, "probe echo", {"text": "late"})
    interaction, payload = probe._interaction(probe.owner, probe.general, 2, data)
    interaction.created_monotonic = time.monotonic() - 3.5
    await probe.server.gateway.dispatch("INTERACTION_CREATE", payload)
    await probe.idle()
    problems = probe.expect_problems()
    assert any("after 3 s" in p for p in problems)
    assert interaction.response_type is None


async def test_follow_ups_expire_after_fifteen_minutes(probe: Sandbox) -> None:
    """The interaction token works for follow-ups for 15 minutes, not longer."""
    reply = await probe.command(probe.owner, "probe echo", text="x")
    token = reply.interaction.token
    app = probe.server.application_id
    status, _ = await raw(
        probe, "POST", f"/webhooks/{app}/{token}", {"content": "soon"}, auth=False
    )
    assert status == 200
    await probe.advance(minutes=16)
    status, body = await raw(
        probe, "POST", f"/webhooks/{app}/{token}", {"content": "late"}, auth=False
    )
    assert (status, body["code"]) == (401, 50027)


async def test_unregistered_commands_cannot_be_run(sb: Sandbox) -> None:
    """The driver, like Discord, refuses a command the bot never registered."""
    with pytest.raises(SandboxError, match="never registered"):
        await sb.command(sb.owner, "probe echo", text="x")


async def test_member_messages_reach_the_bot_without_their_text(sb: Sandbox) -> None:
    """Without the message content intent, the bot is told a message exists but not its text."""
    seen: list[discord.Message] = []

    async def on_message(message: discord.Message) -> None:
        seen.append(message)

    sb.bot.add_listener(on_message)
    member = sb.add_member("Sami")
    await sb.say(member, sb.general, "a secret sentence")
    assert len(seen) == 1
    assert seen[0].author.id == member.user.id and seen[0].content == ""


# -- permissions ---------------------------------------------------------------------------------


async def test_bot_without_manage_channels_gets_50013(sb: Sandbox) -> None:
    """Creating a channel without Manage Channels is refused with 403 / 50013."""
    sb.set_bot_permissions(int(P.VIEW_CHANNEL | P.SEND_MESSAGES))
    await sb.idle()
    guild = sb.bot.get_guild(sb.guild.id)
    assert guild is not None
    sb.typed("pair-1")  # the test's own words, sent through the bot's client
    with pytest.raises(discord.Forbidden) as caught:
        await guild.create_text_channel("pair-1")
    assert caught.value.code == 50013
    assert not any(c.name == "pair-1" for c in sb.channels())


async def test_members_see_only_channels_they_may_view(sb: Sandbox) -> None:
    """Overwrites hide a private channel from everyone but the allowed role and member."""
    teachers = sb.add_role("Teachers")
    teacher = sb.add_member("Ms Rivera", roles=[teachers])
    student = sb.add_member("Ali")
    outsider = sb.add_member("Noor")
    private = sb.add_channel("pair-ali")
    view = int(P.VIEW_CHANNEL)
    private.overwrites = [
        Overwrite(sb.guild.id, 0, 0, view),
        Overwrite(teachers.id, 0, view, 0),
        Overwrite(student.user.id, 1, view, 0),
    ]
    assert private in sb.visible_channels(teacher)
    assert private in sb.visible_channels(student)
    assert private not in sb.visible_channels(outsider)
    with pytest.raises(SandboxError, match="cannot write"):
        await sb.say(outsider, private, "hi")


async def test_private_thread_is_visible_to_members_and_thread_managers_only(sb: Sandbox) -> None:
    """A private thread shows to its members and to Manage Threads holders only."""
    mods = sb.add_role("Teachers", int(P.MANAGE_THREADS))
    teacher = sb.add_member("Ms Rivera", roles=[mods])
    student, other = sb.add_member("Ali"), sb.add_member("Noor")
    channel = sb.bot.get_channel(sb.general.id)
    assert isinstance(channel, discord.TextChannel)
    sb.typed("pair-1", "hi")  # the test's own words, sent through the bot's client
    thread = await channel.create_thread(name="pair-1", type=discord.ChannelType.private_thread)
    await thread.add_user(discord.Object(student.user.id))
    state_thread = sb.guild.channels[thread.id]
    assert state_thread in sb.visible_channels(student)
    assert state_thread in sb.visible_channels(teacher)
    assert state_thread not in sb.visible_channels(other)


# -- limits --------------------------------------------------------------------------------------


def _channel(sb: Sandbox) -> discord.TextChannel:
    channel = sb.bot.get_channel(sb.general.id)
    assert isinstance(channel, discord.TextChannel)
    return channel


@pytest.mark.parametrize(
    "kwargs",
    [
        {"content": "x" * 2001},
        {"embed": discord.Embed(title="t" * 257)},
        {"embed": discord.Embed(description="d" * 4097)},
        {"embeds": [discord.Embed(description="d" * 4000), discord.Embed(description="d" * 2001)]},
    ],
    ids=["content-2001", "title-257", "description-4097", "embeds-total-6001"],
)
async def test_message_limits_are_enforced(sb: Sandbox, kwargs: dict[str, Any]) -> None:
    """Messages over Discord's limits are refused with 400 / 50035 and nothing is posted."""
    before = len(sb.messages_in(sb.general))
    with pytest.raises(discord.HTTPException) as caught:
        await _channel(sb).send(**kwargs)
    assert (caught.value.status, caught.value.code) == (400, 50035)
    assert len(sb.messages_in(sb.general)) == before
    assert sb.expect_problems()


async def test_twenty_six_embed_fields_are_refused(sb: Sandbox) -> None:
    """An embed may carry at most 25 fields."""
    embed = discord.Embed(title="roster")
    for i in range(26):
        embed.add_field(name=f"n{i}", value="v")
    with pytest.raises(discord.HTTPException):
        await _channel(sb).send(embed=embed)
    assert sb.expect_problems()


async def test_component_limits_are_enforced(sb: Sandbox) -> None:
    """Six action rows, a 101-char custom_id or 26 select options are refused."""
    bodies = [
        {
            "content": "x",
            "components": [
                {
                    "type": 1,
                    "components": [{"type": 2, "style": 1, "label": "b", "custom_id": f"c{i}"}],
                }
                for i in range(6)
            ],
        },
        {
            "content": "x",
            "components": [
                {
                    "type": 1,
                    "components": [{"type": 2, "style": 1, "label": "b", "custom_id": "c" * 101}],
                }
            ],
        },
        {
            "content": "x",
            "components": [
                {
                    "type": 1,
                    "components": [
                        {
                            "type": 3,
                            "custom_id": "s",
                            "options": [{"label": str(i), "value": str(i)} for i in range(26)],
                        }
                    ],
                }
            ],
        },
    ]
    for body in bodies:
        status, answer = await raw(sb, "POST", f"/channels/{sb.general.id}/messages", body)
        assert status == 400, body
        assert answer["code"] == 50035
    assert sb.messages_in(sb.general) == []
    sb.expect_problems()


def _button_row(buttons: int) -> dict[str, Any]:
    return {
        "type": 1,
        "components": [
            {"type": 2, "style": 1, "label": str(i), "custom_id": f"b{i}"} for i in range(buttons)
        ],
    }


async def test_six_buttons_in_one_row_are_refused(tmp_path: Path) -> None:
    """A row holds five buttons: the sandbox itself refuses a sixth, whatever the spec says."""
    # Only content is checked against this spec, so the refusal must come from limits.py.
    async with Sandbox.running(tmp_path, spec=SpecValidator(MESSAGE_SPEC, partial=True)) as sb:
        path = f"/channels/{sb.general.id}/messages"
        status, answer = await raw(sb, "POST", path, {"components": [_button_row(6)]})
        assert (status, answer["code"]) == (400, 50035)
        row_errors = answer["errors"]["components"]["0"]["components"]["_errors"]
        assert [e["code"] for e in row_errors] == ["COMPONENT_LAYOUT_WIDTH_EXCEEDED"]
        assert sb.messages_in(sb.general) == []
        assert len(sb.expect_problems()) == 1  # the bot would be told, and so is the test
        status, _ = await raw(sb, "POST", path, {"components": [_button_row(5)]})
        assert status == 200
        assert len(sb.messages_in(sb.general)) == 1


async def test_fifty_channels_per_category(sb: Sandbox) -> None:
    """The 51st channel in a category is refused."""
    guild = sb.bot.get_guild(sb.guild.id)
    assert guild is not None
    category = sb.add_channel("Pairs", ChannelType.CATEGORY)
    for i in range(50):
        sb.guild.channels[sb.server.ids.next()] = Channel(
            id=sb.server.ids.next(),
            guild_id=sb.guild.id,
            type=0,
            name=f"p{i}",
            parent_id=category.id,
        )
    status, body = await raw(
        sb,
        "POST",
        f"/guilds/{sb.guild.id}/channels",
        {"name": "p51", "type": 0, "parent_id": str(category.id)},
    )
    assert status == 400 and body["code"] == 50035


async def test_five_hundred_channels_per_guild(sb: Sandbox) -> None:
    """The 501st channel in a guild is refused with 30013."""
    while len([c for c in sb.guild.channels.values() if not c.is_thread]) < 500:
        cid = sb.server.ids.next()
        sb.guild.channels[cid] = Channel(id=cid, guild_id=sb.guild.id, type=0, name=f"c{cid}")
    status, body = await raw(
        sb, "POST", f"/guilds/{sb.guild.id}/channels", {"name": "one-more", "type": 0}
    )
    assert (status, body["code"]) == (400, 30013)


# -- rate limits ---------------------------------------------------------------------------------


async def test_route_rate_limit_paces_a_burst_without_loss(tmp_path: Path) -> None:
    """A burst over a channel's limit gets 429s that discord.py waits out; every message lands."""
    limits = Limits(messages_per_channel=3, messages_window=0.3)
    async with Sandbox.running(tmp_path, limits=limits) as sb:
        channel = _channel(sb)
        sb.typed(
            *(f"m{i}" for i in range(8))
        )  # the test's own words, sent through the bot's client
        await asyncio.gather(*(channel.send(f"m{i}") for i in range(8)))
        await sb.idle()
        assert sorted(m.content for m in sb.messages_in(sb.general)) == sorted(
            f"m{i}" for i in range(8)
        )


async def test_global_rate_limit_paces_a_burst_without_loss(tmp_path: Path) -> None:
    """Over the global limit the bot gets 429 global and retries; nothing is lost."""
    limits = Limits(global_per_second=5)
    async with Sandbox.running(tmp_path, limits=limits) as sb:
        channels = [sb.add_channel(f"room-{i}") for i in range(4)]
        await sb.idle()
        sends = []
        for ch in channels:
            target = sb.bot.get_channel(ch.id)
            assert isinstance(target, discord.TextChannel)
            sends += [target.send(f"{ch.name}-{i}") for i in range(2)]
        await asyncio.gather(*sends)
        await sb.idle()
        assert "global" in sb.server.ratelimiter.limited
        assert sum(len(sb.messages_in(c)) for c in channels) == 8


async def test_rate_limit_headers_are_sent(sb: Sandbox) -> None:
    """Responses carry Discord's X-RateLimit headers."""
    sb.typed("hi")  # the test's own words, sent with the bot's token
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{sb.server.base_url}/api/v10/channels/{sb.general.id}/messages",
            json={"content": "hi"},
            headers={"Authorization": f"Bot {sb.server.token}"},
        ) as r,
    ):
        assert r.headers["X-RateLimit-Limit"] == "5"
        assert r.headers["X-RateLimit-Remaining"] == "4"
        assert "X-RateLimit-Bucket" in r.headers and "X-RateLimit-Reset-After" in r.headers


# -- validation, unknown routes, recording ---------------------------------------------------------


# The part of Discord's spec the next test needs, so it runs even where the full spec is absent.
MESSAGE_SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "paths": {
        "/channels/{channel_id}/messages": {
            "post": {
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/MessageCreateRequest"}
                        }
                    }
                }
            }
        }
    },
    "components": {
        "schemas": {
            "MessageCreateRequest": {
                "type": "object",
                "properties": {"content": {"type": ["string", "null"], "maxLength": 4000}},
            }
        }
    },
}


async def test_spec_validation_catches_a_wrong_body(tmp_path: Path) -> None:
    """A body that breaks Discord's OpenAPI spec is refused and reported."""
    spec = SpecValidator(MESSAGE_SPEC, partial=True)
    async with Sandbox.running(tmp_path, spec=spec) as sb:
        status, body = await raw(sb, "POST", f"/channels/{sb.general.id}/messages", {"content": 5})
        assert (status, body["code"]) == (400, 50035)
        problems = sb.expect_problems()
        assert any("OpenAPI" in p and "content" in p for p in problems)
        assert sb.messages_in(sb.general) == []


@pytest.fixture
def no_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Discord's spec is nowhere to be found (and the driver's cached copy is forgotten)."""
    monkeypatch.delenv(spec_module.SPEC_ENV, raising=False)
    monkeypatch.setattr(spec_module, "DEFAULT_LOCATIONS", (tmp_path / "absent.json",))
    driver_module._spec.cache_clear()
    yield
    # Later tests must validate against the real spec again.
    driver_module._spec.cache_clear()


@pytest.mark.usefixtures("no_spec")
async def test_a_missing_spec_warns_once_and_skips_validation(tmp_path: Path) -> None:
    """Without the spec, one SpecMissingWarning says bodies go unchecked, and they do."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # a repeated warning would show twice
        for run in ("first", "second"):
            async with Sandbox.running(tmp_path / run) as sb:
                assert sb.server.spec is None
                path = f"/channels/{sb.general.id}/messages"
                # Against the spec, a string `tts` is wrong; unchecked, it goes through.
                status, _ = await raw(sb, "POST", path, {"content": "hi", "tts": "yes"})
                assert status == 200
                assert sb.expect_problems() == []
    missing = [w for w in caught if issubclass(w.category, spec_module.SpecMissingWarning)]
    assert len(missing) == 1
    assert "DISCORD_OPENAPI_SPEC" in str(missing[0].message)
    assert "NOT validate" in str(missing[0].message)


def test_the_real_spec_knows_discords_routes() -> None:
    """Discord's own spec, where present, resolves the routes the bot uses and catches errors."""
    spec = SpecValidator.load()
    if spec is None:
        pytest.skip("Discord's OpenAPI spec is not beside the project (see bot/sandbox/spec.py)")
    path = "/interactions/1/tok/callback"
    assert spec.template_for(path) == "/interactions/{interaction_id}/{interaction_token}/callback"
    assert spec.validate("POST", "/channels/1/messages", {"content": "hi"}) == []
    assert spec.validate("POST", "/channels/1/messages", {"content": 5})
    assert (
        spec.validate(
            "POST",
            "/guilds/1/channels",
            {
                "name": "x",
                "permission_overwrites": [{"id": 123, "type": 0, "allow": 1024, "deny": 0}],
            },
        )
        == []
    )


def _spec_of(item: dict[str, Any]) -> SpecValidator:
    """A spec of one route, POST /things, whose JSON body is an object of `item`'s fields."""
    body = {"type": "object", "properties": item}
    content = {"application/json": {"schema": body}}
    document = {"paths": {"/things": {"post": {"requestBody": {"content": content}}}}}
    return SpecValidator(document, partial=True)


def test_remembered_verdicts_tell_apart_what_the_spec_does() -> None:
    """Bodies are remembered with their snowflakes and times outlined (each test's are new),
    never so that a body the spec refuses passes for one it accepted."""
    spec = _spec_of(
        {"id": {"type": "string", "pattern": "^(0|[1-9][0-9]*)$"}, "at": {"maxLength": 20}}
    )
    assert spec.validate("POST", "/things", {"id": "123456789012345678"}) == []
    assert spec.validate("POST", "/things", {"id": "876543210987654321"}) == []
    # Not a snowflake (a leading zero): not outlined, so judged afresh.
    assert spec.validate("POST", "/things", {"id": "012345678901234567"})
    assert spec.validate("POST", "/things", {"at": "2026-12-06T20:00:00Z"}) == []
    # The same shape, two characters longer than the spec allows: lengths are kept.
    assert spec.validate("POST", "/things", {"at": "2026-12-06T20:00:00.5Z"})
    # Integers are outlined only between the spec's bounds: one past a maximum is judged.
    bounded = _spec_of({"n": {"type": "integer", "maximum": 1_500_000_000_000_000_000}})
    assert bounded.validate("POST", "/things", {"n": 1_400_000_000_000_000_000}) == []
    assert bounded.validate("POST", "/things", {"n": 1_400_000_000_000_000_001}) == []
    assert bounded.validate("POST", "/things", {"n": 1_600_000_000_000_000_000})
    # A pattern that tells two snowflakes of one length apart turns the outlining off.
    picky = _spec_of({"id": {"type": "string", "pattern": "^1[0-9]*$"}})
    assert picky.validate("POST", "/things", {"id": "123456789012345678"}) == []
    assert picky.validate("POST", "/things", {"id": "876543210987654321"})


def test_the_real_spec_tells_no_two_snowflakes_of_one_length_apart() -> None:
    """Where Discord's spec is present its patterns allow the outlining (else every body of
    every test is checked afresh: slow, never wrong)."""
    spec = SpecValidator.load()
    if spec is None:
        pytest.skip("Discord's OpenAPI spec is not beside the project (see bot/sandbox/spec.py)")
    assert spec.ids_outlined


async def test_unknown_route_is_a_loud_404(sb: Sandbox) -> None:
    """A route the sandbox does not know answers 404 and is reported, never a silent 200."""
    status, _ = await raw(sb, "GET", "/guilds/1/bans")
    assert status == 404
    assert any("unknown route" in p for p in sb.expect_problems())


async def test_record_writes_every_request_as_a_json_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SANDBOX_RECORD=path keeps each request's method, path and JSON (or payload_json) body."""
    record = tmp_path / "requests.jsonl"
    monkeypatch.setenv("SANDBOX_RECORD", str(record))
    async with Sandbox.running(tmp_path, extensions=PROBE) as sb:
        await sb.command(sb.owner, "probe slow")
    lines = [json.loads(line) for line in record.read_text().splitlines()]
    assert {"method", "path", "json"} <= set(lines[0])
    followups = [x for x in lines if x["path"].startswith("/webhooks/")]
    assert followups and followups[0]["json"]["attachments"][0]["filename"] == "t.csv"


# -- the clock, and a restart --------------------------------------------------------------------


async def test_clock_moves_only_when_told(sb: Sandbox) -> None:
    """The sandbox clock is the bot's clock, and it moves when the test says so."""
    start = sb.now()
    assert sb.bot.ctx.clock.now() == start
    await sb.advance(days=31)
    assert sb.bot.ctx.clock.now() - start == timedelta(days=31)


async def test_restart_keeps_the_database(sb: Sandbox) -> None:
    """A restarted bot logs in again and reads the same store."""
    await sb.restart_bot()
    reply = await sb.command(sb.owner, "about")
    assert reply.embeds and reply.message is not None and reply.message.flags & EPHEMERAL
    assert sb.server.gateway.identify_count == 2


async def test_scheduled_events_follow_discords_status_moves(sb: Sandbox) -> None:
    """An event goes scheduled → active → completed; skipping a step is refused, as on Discord."""
    http = sb.bot.http
    start = sb.now() + timedelta(hours=1)
    sb.typed("Session")  # the test's own words, sent through the bot's client
    created = await http.create_guild_scheduled_event(
        sb.guild.id,
        name="Session",
        privacy_level=2,
        scheduled_start_time=start.isoformat(),
        scheduled_end_time=(start + timedelta(hours=1)).isoformat(),
        entity_type=3,
        entity_metadata={"location": "#exchange"},
    )
    with pytest.raises(discord.HTTPException):
        await http.edit_scheduled_event(sb.guild.id, created["id"], status=3)
    await http.edit_scheduled_event(sb.guild.id, created["id"], status=2)
    await http.edit_scheduled_event(sb.guild.id, created["id"], status=3)
    with pytest.raises(discord.HTTPException):
        await http.edit_scheduled_event(sb.guild.id, created["id"], status=4)
    assert [e["status"] for e in sb.events()] == [3]


# -- server errors, nonces, voice at start-up ------------------------------------------------------


async def test_a_route_answers_a_server_error_the_next_n_times(sb: Sandbox) -> None:
    """`fail_next` makes one route (and channel) answer 503 twice, then work again."""
    other = sb.add_channel("other")
    await sb.idle()
    sb.server.fail_next(
        "POST", "/channels/{channel_id}/messages", times=2, status=503, channel_id=sb.general.id
    )
    path = f"/channels/{sb.general.id}/messages"
    answers = [await raw(sb, "POST", path, {"content": f"try {n}"}) for n in range(3)]
    assert [status for status, _ in answers] == [503, 503, 200]
    assert answers[0][1] == {"message": "503: Service Unavailable", "code": 0}
    status, _ = await raw(sb, "POST", f"/channels/{other.id}/messages", {"content": "hi"})
    assert status == 200
    assert [m.content for m in sb.messages_in(sb.general)] == ["try 2"]
    assert sb.expect_problems() == []


async def test_a_lost_answer_is_an_error_after_the_work_is_done(sb: Sandbox) -> None:
    """`lost_answer`: the message is posted, yet the bot hears 502, as in a gateway timeout."""
    sb.server.fail_next("POST", "/channels/{channel_id}/messages", status=502, lost_answer=True)
    path = f"/channels/{sb.general.id}/messages"
    status, answer = await raw(sb, "POST", path, {"content": "posted"})
    assert (status, answer) == (502, {"message": "502: Bad Gateway", "code": 0})
    assert [m.content for m in sb.messages_in(sb.general)] == ["posted"]
    assert sb.expect_problems() == []


async def test_discord_py_retrying_a_lost_answer_posts_once(sb: Sandbox) -> None:
    """Discord posts, answers 500; discord.py sends again a second later with the same random
    nonce it enforces, so Discord returns the first message: no double post."""
    sb.server.fail_next("POST", "/channels/{channel_id}/messages", status=500, lost_answer=True)
    channel = sb.bot.get_channel(sb.general.id)
    assert isinstance(channel, discord.TextChannel)
    sb.typed("once")  # the test's own words, sent through the bot's client
    sent = await channel.send("once")
    path = ("POST", f"/channels/{sb.general.id}/messages")
    assert sb.server.requests.count(path) == 2
    assert [m.id for m in sb.messages_in(sb.general)] == [sent.id]


def test_only_real_routes_and_server_errors_can_be_made_to_fail() -> None:
    """A typo in a route or a 4xx status is a mistake in the test, said at once."""
    from bot.sandbox.server import SandboxServer

    server = SandboxServer(spec=None)
    with pytest.raises(ValueError, match="no route"):
        server.fail_next("POST", "/channels/{channel_id}/message")
    with pytest.raises(ValueError, match="server error"):
        server.fail_next("POST", "/channels/{channel_id}/messages", status=404)


async def test_discord_py_retries_a_single_500_by_itself(sb: Sandbox) -> None:
    """One 500 never reaches the bot's code: discord.py waits a second and sends again."""
    sb.server.fail_next("POST", "/channels/{channel_id}/messages", times=1, status=500)
    channel = sb.bot.get_channel(sb.general.id)
    assert isinstance(channel, discord.TextChannel)
    sb.typed("through")  # the test's own words, sent through the bot's client
    await channel.send("through")
    assert [m.content for m in sb.messages_in(sb.general)] == ["through"]


async def test_an_enforced_nonce_returns_the_earlier_message(sb: Sandbox) -> None:
    """The same nonce within a few minutes gives the same message, not a second one."""
    path = f"/channels/{sb.general.id}/messages"
    body = {"content": "once", "nonce": "tb-send-7", "enforce_nonce": True}
    _, first = await raw(sb, "POST", path, body)
    _, again = await raw(sb, "POST", path, body)
    assert first["id"] == again["id"]
    sb.clock.advance(timedelta(minutes=6))
    _, later = await raw(sb, "POST", path, body)
    assert later["id"] != first["id"]
    assert [m.content for m in sb.messages_in(sb.general)] == ["once", "once"]


async def test_members_in_voice_arrive_with_guild_create(sb: Sandbox) -> None:
    """Without the members intent Discord still sends who is in voice: the bot sees them."""
    voice = sb.add_channel("Call", kind=ChannelType.VOICE)
    student = sb.add_member("Ali")
    bystander = sb.add_member("Sam")
    await sb.idle()
    await sb.restart_bot(meanwhile=lambda: sb.join_voice(student, voice))
    channel = sb.bot.get_channel(voice.id)
    assert isinstance(channel, discord.VoiceChannel)
    assert [m.id for m in channel.members] == [student.user.id]
    assert sb.bot.get_guild(sb.guild.id).get_member(bystander.user.id) is None  # type: ignore[union-attr]
