"""Interactions and uploads in the sandbox behave as Discord's: locales only from Discord's list,
a deferred answer's first follow-up replacing the "thinking…" message, and Discord's file sizes.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import discord
import pytest

from bot.limits import FILE_BYTES, LOCALES, REQUEST_BYTES
from bot.sandbox.driver import EPHEMERAL, Sandbox, SandboxError
from tests.sandbox.rest import raw

PROBE = ("cogs.about", "tests.sandbox.probe_cog")


@pytest.fixture
async def probe(tmp_path: Path) -> AsyncIterator[Sandbox]:
    """A sandbox whose bot also loads the probe extension."""
    async with Sandbox.running(tmp_path, extensions=PROBE) as sandbox:
        yield sandbox


# -- locales -------------------------------------------------------------------------------------


async def test_a_member_cannot_have_a_locale_discord_lacks(sb: Sandbox) -> None:
    """An interaction's `locale` is one of reference.md's Locales; Discord has no Arabic, so no
    member's client can say "ar"."""
    assert "ar" not in LOCALES and "es-419" in LOCALES
    with pytest.raises(SandboxError, match="not a Discord locale"):
        sb.add_member("Ali", locale="ar")
    ali = sb.add_member("Ali", locale="fr")
    ali.locale = "ar"  # as a test that bypassed add_member would
    with pytest.raises(SandboxError, match="not a Discord locale"):
        await sb.command(ali, "about")


async def test_every_discord_locale_reaches_the_bot(sb: Sandbox) -> None:
    """Each of Discord's locales arrives as `interaction.locale` (discord.py knows them all)."""
    seen: list[str] = []

    async def on_interaction(interaction: discord.Interaction) -> None:
        seen.append(str(interaction.locale))

    sb.bot.add_listener(on_interaction)
    for locale in sorted(LOCALES):
        await sb.command(sb.add_member(f"M {locale}", locale=locale), "about")
    assert sorted(seen) == sorted(LOCALES)


# -- a deferred answer and its follow-ups ----------------------------------------------------------


async def test_the_first_follow_up_after_a_defer_replaces_the_thinking_message(
    probe: Sandbox,
) -> None:
    """receiving-and-responding.md, Create Followup Message: right after a deferred (type 5)
    answer a follow-up edits the loading message; "the ephemeral flag will be ignored, and the
    value you provided in the initial defer response will be preserved". /probe slow defers
    privately and follows up without the flag: the answer stays private, in one message."""
    reply = await probe.command(probe.owner, "probe slow")
    assert reply.deferred and reply.message is not None
    assert [m.id for m in reply.messages] == [reply.message.id]
    assert reply.followups == [reply.message]
    assert reply.message.content == "done" and reply.message.flags & EPHEMERAL
    assert reply.file("t.csv").data == b"a,b\n1,2\n"
    assert probe.messages_in(probe.general) == [], "nothing was posted for all to see"


async def test_later_follow_ups_are_messages_of_their_own(probe: Sandbox) -> None:
    """Once the loading message is answered, each follow-up is a new message with its own
    flags (here a public one after a private defer)."""
    data = probe._command_data(probe.owner, "probe echo", {"text": "x"})
    interaction, _ = probe._interaction(probe.owner, probe.general, 2, data)
    callback = f"/interactions/{interaction.id}/{interaction.token}/callback"
    assert (await raw(probe, "POST", callback, {"type": 5, "data": {"flags": EPHEMERAL}}))[0] == 204
    hook = f"/webhooks/{probe.server.application_id}/{interaction.token}"
    _, first = await raw(probe, "POST", hook, {"content": "first", "flags": 0})
    _, second = await raw(probe, "POST", hook, {"content": "second", "flags": 0})
    loading = interaction.response_message
    assert loading is not None and first["id"] == str(loading.id)
    assert first["flags"] & EPHEMERAL, "the defer's privacy stands"
    assert second["id"] != first["id"] and not second["flags"] & EPHEMERAL
    assert [m.content for m in probe.messages_in(probe.general)] == ["second"]


# -- files ---------------------------------------------------------------------------------------


def _file(size: int, name: str) -> discord.File:
    return discord.File(io.BytesIO(b"x" * size), filename=name)


async def test_a_file_over_ten_mib_is_refused_with_40005(sb: Sandbox) -> None:
    """10 MiB per file in a server without boosts; above it Discord answers 413, 40005 Request
    entity too large (topics/opcodes-and-status-codes.md, JSON error codes)."""
    channel = sb.bot.get_channel(sb.general.id)
    assert isinstance(channel, discord.TextChannel)
    await channel.send(file=_file(FILE_BYTES, "exactly.csv"))
    with pytest.raises(discord.HTTPException) as refused:
        await channel.send(file=_file(FILE_BYTES + 1, "export.csv"))
    assert (refused.value.status, refused.value.code) == (413, 40005)
    assert [a.filename for m in sb.messages_in(sb.general) for a in m.attachments] == [
        "exactly.csv"
    ]
    assert any("export.csv" in p for p in sb.expect_problems())


async def test_files_over_twenty_five_mib_together_are_refused(sb: Sandbox) -> None:
    """25 MiB per request, however the files are split."""
    channel = sb.bot.get_channel(sb.general.id)
    assert isinstance(channel, discord.TextChannel)
    each = REQUEST_BYTES // 3 + 1
    assert each <= FILE_BYTES
    with pytest.raises(discord.HTTPException) as refused:
        await channel.send(files=[_file(each, f"part{i}.csv") for i in range(3)])
    assert refused.value.code == 40005
    assert sb.messages_in(sb.general) == []
    assert sb.expect_problems()


async def test_interactions_tell_the_bot_the_servers_upload_limit(sb: Sandbox) -> None:
    """`attachment_size_limit` (receiving-and-responding.md, Interaction Object; discord.py's
    `Interaction.filesize_limit`) is the 10 MiB of a server without boosts, which the bot can
    check an export against."""
    limits: list[int] = []

    async def on_interaction(interaction: discord.Interaction) -> None:
        limits.append(interaction.filesize_limit)

    sb.bot.add_listener(on_interaction)
    await sb.command(sb.owner, "about")
    assert limits == [FILE_BYTES]
