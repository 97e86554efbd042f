"""The sandbox serves several servers at once, as Discord does for a bot added to many."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.sandbox.driver import Sandbox, SandboxError


@pytest.fixture
async def sb2(tmp_path: Path) -> AsyncIterator[Sandbox]:
    """Commands registered globally (production), so every server the bot is in has them."""
    async with Sandbox.running(tmp_path, settings={"dev_guild_id": None}) as sandbox:
        yield sandbox


async def test_a_second_server_has_the_commands_and_its_own_people(sb2: Sandbox) -> None:
    other = await sb2.add_guild("Kumasi Academy", owner="Mrs Mensah")
    owner = sb2.owner_of(other)
    assert sb2.bot.get_guild(other.id) is not None
    roles = {
        kind: sb2.add_role(kind.title(), guild=other)
        for kind in ("student", "teacher", "coordinator")
    }
    reply = await sb2.command(owner, "exchange roles", **roles)
    assert reply.ephemeral and reply.message is not None
    assert reply.interaction.guild_id == other.id
    # Its #general is its own, and its people are not in the first server.
    assert sb2.general_of(owner).guild_id == other.id
    with pytest.raises(SandboxError, match="not in the server"):
        await sb2.command(owner, "about", where=sb2.general)
    # The first server's roles were not touched by the second's owner.
    reply = await sb2.command(sb2.owner, "about")
    assert reply.interaction.guild_id == sb2.guild.id
