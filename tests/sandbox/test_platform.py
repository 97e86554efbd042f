"""The bot as an operator runs it: command registration, shutdown, translations, log context."""

from __future__ import annotations

from bot.sandbox.driver import Sandbox


def command_registrations(sb: Sandbox) -> int:
    """How many times the bot sent Discord its slash commands (a PUT of the whole list)."""
    return sum(
        1 for method, path in sb.server.requests if method == "PUT" and path.endswith("/commands")
    )


# -- registering commands only when they change ---------------------------------------------------


async def test_a_restart_with_the_same_commands_registers_nothing(sb: Sandbox) -> None:
    """Discord allows 200 command creations a day: an unchanged tree is not sent again."""
    assert command_registrations(sb) == 1
    await sb.restart_bot()
    await sb.restart_bot()
    assert command_registrations(sb) == 1
    reply = await sb.command(sb.add_member("Amira"), "about")
    assert reply.embeds[0]["title"] == "Twinbridge"


async def test_a_changed_command_tree_is_registered_at_the_next_start(sb: Sandbox) -> None:
    """A start with different commands (a new version, say) registers them."""
    url = sb.bot.ctx.settings.database_url
    await sb.stop_bot()
    await sb.start_bot(url, extensions=("cogs.about",))
    assert command_registrations(sb) == 2
    assert [c["name"] for c in sb.server.guild_commands[sb.guild.id]] == ["about"]
    await sb.stop_bot()
    await sb.start_bot(url, extensions=("cogs.about", "cogs.exchange"))
    assert command_registrations(sb) == 3
    assert sb.server.find_command(sb.guild.id, "exchange") is not None


async def test_forcing_a_sync_registers_unchanged_commands(sb: Sandbox) -> None:
    """`run --sync` (force) sends the commands even though nothing changed."""
    assert await sb.bot.sync_commands(force=True)
    assert command_registrations(sb) == 2
    assert not await sb.bot.sync_commands()
    assert command_registrations(sb) == 2
