"""The bot as an operator runs it: command registration, shutdown, translations, log context."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from discord import app_commands
from sqlalchemy import text

from bot.i18n import lookup
from bot.logs import ContextFilter
from bot.sandbox.driver import Sandbox
from bot.sandbox.server import SandboxServer
from bot.sandbox.spec import SpecValidator
from bot.sandbox.state import JSON
from bot.translator import (
    choice_key,
    command_key,
    context_menus,
    describe_options,
    menu_key,
    option_key,
    walk,
)

COMMANDS_EN = Path(__file__).resolve().parents[2] / "bot" / "locales" / "en" / "commands.json"


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


# -- commands in the reader's language -----------------------------------------------------------

SPANISH = ("es-ES", "es-419")


def registered_items(sb: Sandbox) -> Iterator[tuple[str, JSON]]:
    """Every registered slash command, group, subcommand and option, with its path."""

    def walk(item: JSON, path: str) -> Iterator[tuple[str, JSON]]:
        yield path, item
        for option in item.get("options") or []:
            yield from walk(option, f"{path}.{option['name']}")

    for command in sb.server.guild_commands[sb.guild.id]:
        if command["type"] == 1:
            yield from walk(command, command["name"])


async def test_spanish_clients_get_every_description_in_spanish(sb: Sandbox) -> None:
    """Each command, group and option is registered with its Spanish description."""
    items = list(registered_items(sb))
    assert len(items) > 200
    for path, item in items:
        localised = item.get("description_localizations") or {}
        # Spanish, and the other client languages the bot speaks (French, Turkish).
        assert set(localised) == set(SPANISH) | {"fr", "tr"}, path
        assert localised["es-ES"] == localised["es-419"] != item["description"], path
        assert localised["fr"] != item["description"] != localised["tr"], path
    swap = dict(items)["pair.swap"]
    assert swap["description_localizations"]["es-ES"] == (
        "Intercambia a dos estudiantes de la misma ciudad entre sus parejas"
    )


async def test_command_and_option_names_stay_english(sb: Sandbox) -> None:
    """Names are what the bot's messages and guides mention, so no client sees others."""
    for path, item in registered_items(sb):
        assert not item.get("name_localizations"), path


async def test_choices_and_the_report_menu_are_registered_in_spanish(sb: Sandbox) -> None:
    """Choice names, and the Report to teacher menu, read in Spanish in a Spanish client."""
    colour = dict(registered_items(sb))["chess.challenge.colour"]
    names = {c["value"]: c["name_localizations"]["es-419"] for c in colour["choices"]}
    assert names == {"random": "Al azar", "white": "Blancas", "black": "Negras"}
    menu = sb.server.find_command(sb.guild.id, "Report to teacher", kind=3)
    assert menu is not None
    assert menu["name_localizations"] == {
        "es-ES": "Avisar al docente",
        "es-419": "Avisar al docente",
        "fr": "Signaler à un enseignant",
        "tr": "Öğretmene bildir",
    }


async def test_options_declared_without_a_description_get_one(sb: Sandbox) -> None:
    """No option shows discord.py's bare "…": the English catalogue describes it."""
    items = dict(registered_items(sb))
    assert all(item["description"] != "…" for item in items.values())
    assert items["pair.swap.first"]["description"] == "A student in one pair"
    assert items["pair.swap.first"]["description_localizations"]["es-ES"] == (
        "Un estudiante de una pareja"
    )


async def test_every_command_text_is_in_every_catalogue_and_english_matches_the_code(
    sb: Sandbox,
) -> None:
    """The English catalogue says what the code declares; Spanish and Arabic translate it all."""
    tree = sb.bot.tree
    texts: dict[str, str] = {}
    for command in walk(tree):
        texts[command_key(command)] = str(command.description)
        if isinstance(command, app_commands.Command):
            for parameter in command.parameters:
                texts[option_key(command, parameter.display_name)] = str(parameter.description)
                for choice in parameter.choices:
                    texts[choice_key(parameter.display_name, choice.value)] = choice.name
    for menu in context_menus(tree):
        texts[menu_key(menu.name)] = menu.name
    assert describe_options(tree) == []
    for key, english in texts.items():
        assert lookup(key, "en") == english, f"bot/locales/en/commands.json: {key}"
        for language in ("es", "ar", "fr", "tr"):
            assert lookup(key, language), f"bot/locales/{language}/commands.json lacks {key}"
    stale = {k for k in json.loads(COMMANDS_EN.read_text("utf-8")) if k not in texts}
    assert stale == set(), "entries of commands.json no command has any more"


# -- log records say which guild, user and command or component they are about ------------------


class Tags(logging.Handler):
    """Collects (message, guild, user, command) of the probe's log records."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.addFilter(ContextFilter())
        self.seen: dict[str, tuple[object, object, object]] = {}

    def emit(self, record: logging.LogRecord) -> None:
        tags = (record.guild, record.user, record.command)  # type: ignore[attr-defined]
        self.seen[record.getMessage()] = tags


@pytest.fixture
async def probe(tmp_path: Path) -> AsyncIterator[tuple[Sandbox, Tags]]:
    """A sandbox whose bot has the probe extension, with its log records collected."""
    tags = Tags()
    logger = logging.getLogger("tests.probe")
    logger.addHandler(tags)
    logger.setLevel(logging.INFO)
    try:
        async with Sandbox.running(tmp_path, extensions=PROBE) as sandbox:
            yield sandbox, tags
    finally:
        logger.removeHandler(tags)


PROBE = ("cogs.about", "tests.sandbox.probe_cog")


async def test_a_slash_commands_log_lines_name_guild_user_and_command(
    probe: tuple[Sandbox, Tags],
) -> None:
    """What a command logs carries its server, its user and its full name."""
    sb, tags = probe
    member = sb.add_member("Omar")
    await sb.command(member, "probe echo", text="salaam")
    assert tags.seen["echo run"] == (sb.guild.id, member.user.id, "probe echo")


async def test_a_buttons_and_a_selects_log_lines_name_their_custom_id(
    probe: tuple[Sandbox, Tags],
) -> None:
    """Button and select handlers log with the guild, the user and the custom_id's prefix."""
    sb, tags = probe
    reply = await sb.command(sb.owner, "probe widgets")
    member = sb.add_member("Lucía")
    await sb.click(member, reply, "Count")
    await sb.choose(member, reply, ["fig"], placeholder="Pick a fruit")
    assert tags.seen["count pressed"] == (sb.guild.id, member.user.id, "probe:count")
    assert tags.seen["fruit picked"] == (sb.guild.id, member.user.id, "probe:pick")


async def test_a_modals_log_lines_name_guild_and_user(probe: tuple[Sandbox, Tags]) -> None:
    """A modal whose id names nothing (discord.py's random id) is logged as "modal"."""
    sb, tags = probe
    member = sb.add_member("Amira")
    reply = await sb.command(member, "probe modal")
    await sb.submit(member, reply, said="hello")
    assert tags.seen["modal submitted"] == (sb.guild.id, member.user.id, "modal")


# -- closing -------------------------------------------------------------------------------------


async def test_closing_lets_start_up_work_finish_before_the_database_closes(sb: Sandbox) -> None:
    """Work the bot started (scheduler start, chess sweep) is not cut off mid-query."""
    order: list[str] = []
    db = sb.bot.ctx.db
    dispose = db.dispose

    async def disposing() -> None:
        order.append("database closed")
        await dispose()

    async def start_up_work() -> None:
        await asyncio.sleep(0.2)  # still busy when the stop comes
        async with db.read() as conn:
            await conn.execute(text("select 1"))
        order.append("work done")

    db.dispose = disposing  # type: ignore[method-assign]
    asyncio.get_running_loop().create_task(start_up_work(), name="twinbridge:test-work")
    await sb.stop_bot()
    assert order == ["work done", "database closed"]


async def test_closing_cancels_start_up_work_that_outlasts_the_grace(sb: Sandbox) -> None:
    """A stop is not held up for ever by work that does not end."""
    hung = asyncio.get_running_loop().create_task(asyncio.sleep(3600), name="twinbridge:hung")
    await sb.bot._settle_background_work(grace=0.01)
    assert hung.cancelled()


# -- the real command line, stopped as systemd and docker stop it ---------------------------------

CLI_BOT = Path(__file__).with_name("cli_bot.py")


@dataclass
class Stopped:
    """How a `twinbridge run` process ended."""

    returncode: int | None
    stderr: str


@pytest.fixture
async def discord_server() -> AsyncIterator[SandboxServer]:
    """A loopback Discord for a bot in another process (no guild: commands go global)."""
    server = SandboxServer(spec=SpecValidator.load())
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
    assert server.problems == []


async def run_then_stop(
    server: SandboxServer, folder: Path, *args: str, stop: signal.Signals = signal.SIGTERM
) -> Stopped:
    """Start `twinbridge run ARGS` against `server`, wait until it is ready, send `stop`."""
    env = {k: v for k, v in os.environ.items() if k not in {"DEV_GUILD_ID", "PYTHONPATH"}}
    env |= {
        "DISCORD_TOKEN": server.token,
        "DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'bot.db'}",
        "LOG_LEVEL": "INFO",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(CLI_BOT),
        server.base_url + "/api/v10",
        server.gateway_url,
        "run",
        *args,
        cwd=folder,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    try:
        ready = await asyncio.wait_for(process.stdout.readline(), 60)
        if ready != b"READY\n":
            raise AssertionError((await process.stderr.read()).decode())
        process.send_signal(stop)
        _, err = await asyncio.wait_for(process.communicate(), 60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return Stopped(process.returncode, err.decode())


def activity_kinds(folder: Path) -> list[str]:
    with sqlite3.connect(folder / "bot.db") as conn:
        return [row[0] for row in conn.execute("select kind from activity order by id")]


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
async def test_a_stopped_bot_writes_what_it_queued_and_exits_0(
    discord_server: SandboxServer, tmp_path: Path, stop: signal.Signals
) -> None:
    """SIGTERM (systemd, docker) or Ctrl-C closes the bot cleanly: queued activity is written."""
    stopped = await run_then_stop(discord_server, tmp_path, stop=stop)
    assert stopped.returncode == 0, stopped.stderr
    assert "Traceback" not in stopped.stderr
    assert f"{stop.name} received: shutting down" in stopped.stderr
    assert "stopped cleanly" in stopped.stderr
    assert activity_kinds(tmp_path) == ["test.queued"]


async def test_the_command_line_registers_commands_once_unless_told(
    discord_server: SandboxServer, tmp_path: Path
) -> None:
    """Across real restarts, `run` registers an unchanged tree once; `run --sync` forces it."""

    def registrations() -> int:
        return sum(1 for method, path in discord_server.requests if method == "PUT")

    assert (await run_then_stop(discord_server, tmp_path)).returncode == 0
    assert registrations() == 1
    second = await run_then_stop(discord_server, tmp_path)
    assert second.returncode == 0
    assert registrations() == 1
    assert "not sending them again" in second.stderr
    assert (await run_then_stop(discord_server, tmp_path, "--sync")).returncode == 0
    assert registrations() == 2
