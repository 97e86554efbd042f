"""The driver: runs the sandbox and the real bot in one loop, and plays the users.

A test reads like what people do::

    async with Sandbox.running(tmp_path) as sb:
        teacher = sb.add_member("Ms Rivera")
        reply = await sb.command(teacher, "about")
        assert reply.ephemeral and "Version" in reply.text
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import copy
import importlib.abc
import logging
import os
import secrets
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import discord
import discord.gateway
import discord.http
import yarl
from discord import app_commands

from bot import pseudo
from bot.app import Context, ShardedTwinbridge, Twinbridge, make_bot
from bot.clock import ManualClock
from bot.config import Settings
from bot.domain.exchange import NATIVE_NAMES
from bot.domain.prompts import builtin_prompts
from bot.domain.spaces import is_pair_space_name
from bot.errors import UserError
from bot.limits import FILE_BYTES, LOCALES
from bot.sandbox import databases
from bot.sandbox.leaks import LeakCheck
from bot.sandbox.looplag import LoopWatch
from bot.sandbox.permissions import ALL, Overwrite, P
from bot.sandbox.ratelimit import Limits
from bot.sandbox.server import EPHEMERAL, HttpError, Interaction, SandboxServer, Stall
from bot.sandbox.spec import SpecValidator
from bot.sandbox.state import (
    JSON,
    Attachment,
    Channel,
    ChannelType,
    Guild,
    Member,
    Message,
    Role,
    User,
    VoiceState,
    new_guild,
)
from bot.services.scheduler import clock_aware_apscheduler
from bot.store import Database, create_database, sends

log = logging.getLogger("bot.sandbox")

T = TypeVar("T")

RECORD_ENV = "SANDBOX_RECORD"
# "1": every sandbox runs the bot in the pseudo-locale and fails on text that skipped the
# catalogue (bot.sandbox.leaks); `pytest --pseudo-locale` sets it.
PSEUDO_ENV = "TWINBRIDGE_PSEUDO"


def pseudo_by_default() -> bool:
    """Whether sandboxes run in the pseudo-locale unless told otherwise (TWINBRIDGE_PSEUDO)."""
    return os.environ.get(PSEUDO_ENV, "").strip().lower() in ("1", "true", "yes", "on")


# What the README's invite link grants the bot. Add Reactions and Create Public Threads are
# never used by the bot itself: paired spaces deny them to students, and Discord lets a bot
# deny only what it holds (a locked-down @everyone does not lend them). Connect, Mute Members
# and Move Members are what Discord asks in a session's voice or stage channel for its event
# (cogs/sessions/adapter.py EVENT_CHANNEL_PERMISSIONS, which a test compares with this).
INVITE_PERMISSIONS = int(
    P.VIEW_CHANNEL
    | P.SEND_MESSAGES
    | P.SEND_MESSAGES_IN_THREADS
    | P.EMBED_LINKS
    | P.ATTACH_FILES
    | P.READ_MESSAGE_HISTORY
    | P.ADD_REACTIONS
    | P.MANAGE_CHANNELS
    | P.MANAGE_ROLES
    | P.MANAGE_THREADS
    | P.CREATE_PUBLIC_THREADS
    | P.CREATE_PRIVATE_THREADS
    | P.MANAGE_EVENTS
    | P.CREATE_EVENTS
    | P.CONNECT
    | P.MUTE_MEMBERS
    | P.MOVE_MEMBERS
)

# Tasks that mean "the bot is still working on something".
_BUSY_TASK_PREFIXES = (
    "discord.py: ",
    "CommandTree-invoker",
    "discord-ui-view-dispatch",
    "discord-ui-dynamic-item",  # DynamicItem callbacks (buttons that survive restarts)
    "discord-ui-modal-dispatch",
    "sandbox-dispatch",
    "twinbridge:",
)

OPTION_TYPES = {
    "sub_command": 1,
    "group": 2,
    "string": 3,
    "integer": 4,
    "boolean": 5,
    "user": 6,
    "channel": 7,
    "role": 8,
    "mentionable": 9,
    "number": 10,
    "attachment": 11,
}


class SandboxError(AssertionError):
    """A test did something a Discord user could not, or the bot misbehaved."""


class _ProblemHandler(logging.Handler):
    """Turns errors that discord.py logs (and swallows) into sandbox problems."""

    def __init__(self, server: SandboxServer) -> None:
        super().__init__(logging.ERROR)
        self.server = server

    def emit(self, record: logging.LogRecord) -> None:
        cause = f": {record.exc_info[1]!r}" if record.exc_info else ""
        self.server.problem(f"discord.py logged an error: {record.getMessage()}{cause}")


class _AlreadyRun(importlib.abc.Loader):
    """The loader of a module this process has already run: importing it again (discord.py's
    `load_extension` does, through `importlib`) gives back that module instead of reading and
    running its file once more. Everything else is its first loader's (`get_source`...)."""

    def __init__(self, module: ModuleType, first: Any) -> None:
        self.module = module
        self.first = first

    def create_module(self, spec: ModuleSpec) -> ModuleType:
        return self.module

    def exec_module(self, module: ModuleType) -> None:
        """Already run: its classes, commands and `setup` are those of the first bot."""

    def __getattr__(self, name: str) -> Any:
        return getattr(self.first, name)


@contextmanager
def _modules_kept() -> Iterator[None]:
    """Closing a bot unloads its extensions, and discord.py then drops every module of theirs
    from `sys.modules`, so the next bot (each test starts one) would import and compile each
    feature package again, and `load_extension` would run each extension's file again.

    Their modules hold no state, so they are kept for the next bot, and each extension's
    module is given back to `load_extension` as it is (`_AlreadyRun`) rather than run again:
    as in production, where a process runs each module once. The next bot still goes
    through `load_extension`, each extension's `setup`, and `unload_extension` at its close.
    """
    loaded = {
        name: module
        for name, module in sys.modules.items()
        if name.startswith(_KEPT_MODULES) and module is not None
    }
    try:
        yield
    finally:
        for name, module in loaded.items():
            sys.modules.setdefault(name, module)
            spec = getattr(module, "__spec__", None)
            if spec is not None and not isinstance(spec.loader, _AlreadyRun):
                again = copy.copy(spec)
                again.loader = _AlreadyRun(module, spec.loader)
                module.__spec__ = again


# Packages of extensions, their own modules and their submodules.
_KEPT_MODULES = ("cogs.",)


@cache
def _spec() -> SpecValidator | None:
    # Loading and indexing the 1 MB spec once per process keeps each test start fast.
    return SpecValidator.load()


@dataclass
class Upload:
    """A file a user attaches to a command option."""

    filename: str
    data: bytes
    content_type: str = "text/csv"


@dataclass(frozen=True)
class Pending:
    """An interaction prepared for a user but not yet delivered to the bot."""

    interaction: Interaction
    payload: JSON


@dataclass
class Reply:
    """What the bot answered to one interaction, as the user sees it."""

    interaction: Interaction
    server: SandboxServer

    @property
    def message(self) -> Message | None:
        return self.interaction.response_message

    @property
    def acknowledged(self) -> bool:
        return self.interaction.response_type is not None

    @property
    def deferred(self) -> bool:
        return self.interaction.response_type in (5, 6)

    @property
    def content(self) -> str:
        return self.message.content if self.message else ""

    @property
    def embeds(self) -> list[JSON]:
        return self.message.embeds if self.message else []

    @property
    def components(self) -> list[JSON]:
        return self.message.components if self.message else []

    @property
    def files(self) -> list[Attachment]:
        found: list[Attachment] = []
        for message in self.messages:
            found.extend(message.attachments)
        return found

    @property
    def ephemeral(self) -> bool:
        return bool(self.message and self.message.flags & EPHEMERAL)

    @property
    def modal(self) -> JSON | None:
        return self.interaction.modal

    @property
    def choices(self) -> list[JSON]:
        return self.interaction.choices or []

    @property
    def followups(self) -> list[Message]:
        """What each follow-up the bot sent gave: a new message, or (the first one after a
        deferred answer) the "thinking…" message it replaced, as Discord answers it."""
        return self.interaction.followups

    @property
    def messages(self) -> list[Message]:
        """The response and every follow-up, in order, each message once."""
        first = [self.message] if self.message else []
        return first + [m for m in self.interaction.followups if m is not self.message]

    @property
    def text(self) -> str:
        """All the text the user sees: content and embeds of the response and follow-ups."""
        return "\n".join(message_text(m) for m in self.messages)

    def file(self, filename: str) -> Attachment:
        for attachment in self.files:
            if attachment.filename == filename:
                return attachment
        raise SandboxError(f"no file {filename!r} in the reply: {[a.filename for a in self.files]}")


def _sockets(bot: Twinbridge) -> list[Any]:
    """The bot's gateway websockets: one per shard it holds, or its only one."""
    if isinstance(bot, ShardedTwinbridge):
        # ShardInfo keeps its Shard (and that the websocket of the moment) as `_parent`.
        return [info._parent.ws for info in bot.shards.values()]
    return [getattr(bot, "ws", None)]


def _cut_off(db: Database) -> None:
    """A dead process's database handle: every new transaction or read fails (one under way
    is never committed: its task fails at its next step)."""

    @asynccontextmanager
    async def dead() -> AsyncIterator[Any]:
        raise ConnectionError("the process that used this database is dead")
        yield  # pragma: no cover

    db.transaction = dead  # type: ignore[method-assign]
    db.read = dead  # type: ignore[method-assign]


def _shown(value: Any) -> str:
    if isinstance(value, Member):
        return "@" + (value.user.global_name or value.user.username)
    if isinstance(value, (Role, Channel)):
        return value.name
    if isinstance(value, Upload):
        return value.filename
    return repr(value) if isinstance(value, str) and " " in value else str(value)


def _check_constraints(definition: JSON, value: Any) -> None:
    """What Discord's client enforces before a command is ever sent."""
    name = definition["name"]
    if isinstance(value, str) and definition["type"] == 3:
        if len(value) > definition.get("max_length", 6000):
            raise SandboxError(f"Discord refuses {name!r}: longer than {definition['max_length']}")
        if len(value) < definition.get("min_length", 0):
            raise SandboxError(f"Discord refuses {name!r}: shorter than {definition['min_length']}")
    if isinstance(value, (int, float)) and definition["type"] in (4, 10):
        if "min_value" in definition and value < definition["min_value"]:
            raise SandboxError(f"Discord refuses {name!r}: below {definition['min_value']}")
        if "max_value" in definition and value > definition["max_value"]:
            raise SandboxError(f"Discord refuses {name!r}: above {definition['max_value']}")


def _check_locale(locale: str) -> None:
    """Discord's clients speak only the languages of reference.md's Locales list: no Arabic."""
    if locale not in LOCALES:
        raise SandboxError(
            f"{locale!r} is not a Discord locale, so no interaction carries it (Discord has no "
            "Arabic: a person reads Arabic through their Twinbridge profile). One of "
            f"{sorted(LOCALES)}"
        )


def message_text(message: Message) -> str:
    """A message's content plus its embeds' titles, descriptions, fields and footers."""
    parts = [message.content]
    for embed in message.embeds:
        parts += [embed.get("title", ""), embed.get("description", "")]
        for field in embed.get("fields", []):
            parts += [field.get("name", ""), field.get("value", "")]
        parts.append((embed.get("footer") or {}).get("text", ""))
    return "\n".join(p for p in parts if p)


def iter_components(components: Iterable[JSON]) -> Iterable[JSON]:
    """Every interactive component in a message's rows (and containers)."""
    for component in components:
        children = component.get("components")
        if children:
            yield from iter_components(children)
        elif component.get("component"):
            yield from iter_components([component["component"]])
        else:
            yield component


class Sandbox:
    """The loopback Discord plus the real bot, and the users who drive them."""

    def __init__(self, server: SandboxServer, clock: ManualClock) -> None:
        self.server = server
        self.clock = clock
        self.bot: Twinbridge
        self.guild: Guild
        self.owner: Member
        self.bot_role: Role
        self.general: Channel
        # Servers beyond the first (`add_guild`): their own #general and the bot's role there.
        self._generals: dict[int, Channel] = {}
        self._bot_roles: dict[int, Role] = {}
        self._task: asyncio.Task[None] | None = None
        # Further bot processes on the same database (`start_peer`): bot → its client task.
        self.peers: dict[Twinbridge, asyncio.Task[None]] = {}
        self._starting: Twinbridge | None = None
        self._checked_problems = 0
        self._checked_waits = 0
        self._extensions: tuple[str, ...] | None = None
        self._settings: dict[str, Any] = {}
        # The demo's transcript listens here for what users do.
        self.narrator: Callable[[str], None] | None = None
        self.loop_watch: LoopWatch | None = None
        self.pseudo_locale = False

    # -- lifecycle -----------------------------------------------------------------------------

    @classmethod
    @asynccontextmanager
    async def running(
        cls,
        folder: Path,
        *,
        clock: ManualClock | None = None,
        bot_permissions: int = INVITE_PERMISSIONS,
        everyone_permissions: int | None = None,
        limits: Limits | None = None,
        record_path: Path | None = None,
        extensions: Sequence[str] | None = None,
        database_url: str | None = None,
        spec: SpecValidator | None = None,
        privileged_intents: int = 0,
        settings: dict[str, Any] | None = None,
        loop_lag: float | None = None,
        pseudo_locale: bool | None = None,
    ) -> AsyncIterator[Sandbox]:
        """Start the sandbox, seed a guild, start the bot against it; stop both afterwards.

        `spec` replaces Discord's OpenAPI spec (found as `bot.sandbox.spec` describes).
        `record_path` (or the `SANDBOX_RECORD` environment variable) names a file that gets
        every REST request as a JSON line: method, path, request JSON, and the answer's
        `status` and JSON `response` (each answer is also checked against the spec's response
        schema as it leaves). `privileged_intents` are the bits the application
        is approved for in the Developer Portal (none by default, as the README asks);
        `settings` overrides the bot's settings (e.g. `{"message_content_intent": True}`).
        `everyone_permissions` replaces the @everyone role's (Discord's defaults for a new
        server otherwise), e.g. a school server's locked-down View Channels, Send Messages,
        Read Message History and Use Application Commands.
        `loop_lag` (seconds) makes it a problem that fails the test when the event loop is
        blocked for longer once the bot is ready (`bot.sandbox.looplag`).
        `pseudo_locale` (default: the TWINBRIDGE_PSEUDO environment variable) runs the bot with
        its catalogue texts marked, and makes any text it sends unmarked a problem
        (`bot.sandbox.leaks`); the marks are gone before anything else sees the text.
        """
        clock = clock or ManualClock()
        if record_path is None and os.environ.get(RECORD_ENV):
            record_path = Path(os.environ[RECORD_ENV])
        server = SandboxServer(
            spec=spec or _spec(),
            limits=limits,
            record_path=record_path,
            now=clock.now,
            privileged_intents=privileged_intents,
        )
        sandbox = cls(server, clock)
        sandbox._settings = dict(settings or {})
        if pseudo_locale if pseudo_locale is not None else pseudo_by_default():
            sandbox.pseudo_locale = True
            # The bot's ids for paired spaces, archived or closed ("closed-pair-001").
            server.leak_check = LeakCheck(
                identifiers=lambda name: is_pair_space_name(name.removeprefix("closed-"))
            )
            # A language's own name ("Español" in every reader's picker) is shown as its
            # speakers write it, on purpose: data, not text to translate.
            server.leak_check.learn(list(NATIVE_NAMES.values()))
            # The prompt bank's ids, shown under each prompt ("🔖 daily.morning").
            server.leak_check.learn([p.key for p in builtin_prompts()])
        await server.start()
        sandbox._seed(bot_permissions, everyone_permissions)
        saved = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
        discord.http.Route.BASE = server.base_url + "/api/v10"
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(server.gateway_url)
        loop = asyncio.get_running_loop()
        previous_handler = loop.get_exception_handler()
        loop.set_exception_handler(sandbox._loop_exception)
        # discord.py only logs failures in autocomplete, views and modals: make them fail tests.
        library_errors = _ProblemHandler(server)
        logging.getLogger("discord").addHandler(library_errors)
        undo_clock = clock_aware_apscheduler(clock)
        made: str | None = None
        try:
            if database_url is None:
                # A copy of one migrated database per process (a file on SQLite, a database
                # made from a template on PostgreSQL): each test's bot finds its schema ready
                # instead of running every migration again.
                database_url = made = await databases.current().fresh(folder)
            await sandbox.start_bot(database_url, extensions)
            # A test's own extension (a probe) says what it sends in its module's WORDS:
            # the test's words, not text for the catalogue.
            for name in extensions or ():
                sandbox.typed(*getattr(sys.modules.get(name), "WORDS", ()))
            if loop_lag is not None:
                sandbox.loop_watch = LoopWatch(server.problem, loop_lag)
                sandbox.loop_watch.start()
            yield sandbox
            await sandbox.idle()
            sandbox.check()
        finally:
            if sandbox.loop_watch is not None:
                await sandbox.loop_watch.stop()
            for peer in list(sandbox.peers):
                await sandbox.stop_peer(peer)
            await sandbox.stop_bot()
            if made is not None:
                await databases.current().release(made)
            await server.stop()
            loop.set_exception_handler(previous_handler)
            logging.getLogger("discord").removeHandler(library_errors)
            undo_clock()
            discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved

    def _seed(self, bot_permissions: int, everyone_permissions: int | None = None) -> None:
        owner_user = self._new_user("Principal Okafor")
        self.guild = new_guild(self.server.ids, "Twinbridge Exchange", owner_user)
        if everyone_permissions is not None:
            self.guild.roles[self.guild.id].permissions = everyone_permissions
        self.server.guilds[self.guild.id] = self.guild
        self.owner = self.guild.members[owner_user.id]
        self.bot_role = self.server.add_role(self.guild, "Twinbridge", bot_permissions, position=50)
        self.bot_role.managed = True
        self.guild.members[self.server.bot_user.id] = Member(
            self.server.bot_user, roles=[self.bot_role.id]
        )
        self.general = self.add_channel("general")
        self._generals[self.guild.id] = self.general
        self._bot_roles[self.guild.id] = self.bot_role

    async def start_bot(self, database_url: str, extensions: Sequence[str] | None = None) -> None:
        """Start (or restart) the bot process against the same database."""
        if extensions is not None:
            self._extensions = tuple(extensions)
        await self._launch(database_url, self._settings, main=True)

    async def _launch(
        self, database_url: str, overrides: dict[str, Any], *, main: bool = False
    ) -> tuple[Twinbridge, asyncio.Task[None]]:
        """A bot (sharded when the settings say so) logged in, connected and ready; `main`:
        it is `self.bot` from now on (the one tests drive)."""
        settings = Settings(
            _env_file=None,
            **{
                # Commands go to the first server at once, as in development; a test of
                # several servers passes `settings={"dev_guild_id": None}` to register them
                # globally, as in production.
                "dev_guild_id": self.guild.id,
                **overrides,
                "discord_token": self.server.token,
                "database_url": database_url,
            },
        )
        context = Context(settings=settings, db=create_database(database_url), clock=self.clock)
        options: dict[str, Any] = {"guild_ready_timeout": 0.01}
        if self._extensions is not None:
            bot = make_bot(context, extensions=self._extensions, client_options=options)
        else:
            bot = make_bot(context, client_options=options)
        if isinstance(bot, ShardedTwinbridge):
            bot.identify_pause = 0.0  # the sandbox has no IDENTIFY rate limit
        if main:
            self.bot = bot
        bot.on_error = self._on_bot_error  # type: ignore[method-assign]
        bot.add_listener(self._on_command_error, "on_twinbridge_command_error")
        self.server.gateway.identified.clear()
        self._starting = bot
        try:
            try:
                # The bot's own tasks (setup_hook's, the gateway's, the handlers') mark their
                # texts in the pseudo-locale; the test's own `t()` does not.
                await asyncio.create_task(bot.login(self.server.token), context=self.bot_context())
            except BaseException:
                await bot.close()  # refused at start-up (its shards are held): nothing left
                raise
            task = asyncio.create_task(
                bot.connect(reconnect=True), name="sandbox-bot", context=self.bot_context()
            )
            task.add_done_callback(self._bot_task_done)
            if main:
                self._task = task
            await self.wait_for(bot.is_ready, "the bot to be ready")
            await self.idle()
        finally:
            self._starting = None
        return bot, task

    def _bots(self) -> list[Twinbridge]:
        """Every bot process running (or starting) against the sandbox."""
        bots = [getattr(self, "bot", None), *self.peers, self._starting]
        return list(dict.fromkeys(b for b in bots if b is not None))

    async def start_peer(self, settings: dict[str, Any]) -> Twinbridge:
        """Another bot process (the same code, its own settings, e.g. other SHARD_IDS) on the
        bot's database and clock, as a second process of one deployment would be."""
        url = self.bot.ctx.settings.database_url
        bot, task = await self._launch(url, {**self._settings, **settings})
        self.peers[bot] = task
        return bot

    async def stop_peer(self, bot: Twinbridge) -> None:
        """Stop a peer cleanly (as a shutdown would)."""
        task = self.peers.pop(bot)
        with _modules_kept():
            await bot.close()
        try:
            await asyncio.wait_for(task, 5)
        except (TimeoutError, asyncio.CancelledError):
            task.cancel()

    async def kill_peer(self, bot: Twinbridge) -> None:
        """A peer's process dies at this instant (kill -9): nothing it was doing is finished,
        its gateway connections drop, and its database session ends (what it held, e.g.
        PostgreSQL advisory locks, is freed as the server notices the closed connection)."""
        task = self.peers.pop(bot)
        await self._kill(bot, task)

    async def _kill(self, bot: Twinbridge, task: asyncio.Task[None] | None) -> None:
        # Only this process's connections drop (another process's stay up).
        own = {ws.session_id for ws in _sockets(bot) if ws is not None} if self.peers else None
        _cut_off(bot.ctx.db)
        writer = bot.ctx.activity_writer
        writer_task = getattr(writer, "_task", None)
        if writer_task is not None:
            writer_task.cancel()
        await bot.ctx.scheduler.stop()
        await bot.ctx.leases.abandon()  # its database session ends: its locks are freed
        await bot.http.close()  # also ends a held request: the dead process gets no answer
        self.server.release_stalls()
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await self.server.gateway.cut(own)
        await self._wait_for_the_dead()
        await bot.ctx.db.engine.dispose()

    def bot_context(self) -> contextvars.Context:
        """A context for the bot's work: marking its texts when in the pseudo-locale."""
        context = contextvars.copy_context()
        context.run(pseudo.set_marking, self.pseudo_locale)
        return context

    async def as_bot(self, work: Awaitable[T]) -> T:
        """Run `work` as the bot's own (a test calling a service or a port directly): in the
        pseudo-locale its texts are marked, as they are when a handler or a job runs it."""

        async def run() -> T:
            return await work

        return await asyncio.create_task(run(), context=self.bot_context())

    def wake_scheduler(self) -> None:
        """Let the scheduler look for due jobs now; they run as the bot's own work."""
        # APScheduler runs the jobs in the context of whoever woke it. Every process's
        # scheduler: each does the work of its own shards.
        for bot in self._bots():
            self.bot_context().run(bot.ctx.scheduler.wakeup)

    def typed(self, *values: object) -> None:
        """Strings people wrote that a test put in the database itself (an introduction): data
        the bot may repeat, not text that skipped the catalogue (pseudo-locale)."""
        if self.server.leak_check is not None:
            self.server.leak_check.learn(list(values))

    async def stop_bot(self) -> None:
        """Stop the bot cleanly (as a shutdown would)."""
        if self._task is None:
            return
        with _modules_kept():
            await self.bot.close()
        task, self._task = self._task, None
        try:
            await asyncio.wait_for(task, 5)
        except (TimeoutError, asyncio.CancelledError):
            task.cancel()

    async def restart_bot(
        self,
        downtime: timedelta = timedelta(0),
        *,
        meanwhile: Callable[[], Awaitable[object]] | None = None,
        settings: dict[str, Any] | None = None,
    ) -> None:
        """Stop the bot, let `downtime` pass, and start a new one on the same database.

        `meanwhile` runs while the bot is down, at the end of the downtime (people keep using
        Discord: e.g. a student joins the session's voice channel). `settings` change the
        bot's settings from this start on (e.g. other SHARD_IDS).
        """
        self._settings.update(settings or {})
        url = self.bot.ctx.settings.database_url
        with self.loop_watch.pause() if self.loop_watch else contextlib.nullcontext():
            await self.stop_bot()
            self.clock.advance(downtime)
            # Discord carried on meanwhile: idle threads archived, events started or ended.
            await self.server.catch_up()
            if meanwhile is not None:
                await meanwhile()
            await self.start_bot(url)

    async def crash_bot(
        self,
        downtime: timedelta = timedelta(0),
        *,
        meanwhile: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        """The bot's process dies at this instant (kill -9, a power cut), and a new one starts
        on the same database after `downtime` (`meanwhile` runs while it is down, at its end).

        Nothing the dead process was doing is finished or cleaned up: from now on none of its
        requests reaches Discord (a request `stall_next` holds included), none of its
        transactions commits, its timers never fire and the activity it held in memory is
        lost. What it was doing fails inside it, unseen, as in the real world: problems it
        causes while dying are not the test's (those before are checked first).
        """
        self.check()
        bot, task = self.bot, self._task
        url = bot.ctx.settings.database_url
        self._task = None
        await self._kill(bot, task)
        self.expect_problems()
        self.clock.advance(downtime)
        if meanwhile is not None:
            await meanwhile()
        await self.start_bot(url)

    async def _wait_for_the_dead(self, within: float = 10.0) -> None:
        """Let what the dead process was running fail on its own."""
        deadline = time.monotonic() + within
        current = asyncio.current_task()
        while True:
            running = [
                t
                for t in asyncio.all_tasks()
                if t is not current
                and not t.done()
                and t.get_name().startswith(_BUSY_TASK_PREFIXES)
                and not t.get_name().startswith("sandbox-")
            ]
            if not running or time.monotonic() > deadline:
                return
            await asyncio.wait(running, timeout=max(0.0, deadline - time.monotonic()))

    async def dispatch(self, pending: Pending) -> None:
        """Deliver an interaction without waiting for its answer (to stop the bot during it)."""
        await self.server.catch_up()
        pending.interaction.dispatched_monotonic = time.monotonic()
        await self.server.gateway.dispatch("INTERACTION_CREATE", pending.payload)

    async def crash_during(
        self,
        pending: Pending | None,
        stall: Stall,
        *,
        downtime: timedelta = timedelta(0),
        meanwhile: Callable[[], Awaitable[object]] | None = None,
        within: float = 15.0,
    ) -> None:
        """Run `pending` (or let the bot's own timed work run) until it makes the request
        `stall` holds, then kill the bot there (`crash_bot`) and start a new one."""
        if pending is not None:
            await self.dispatch(pending)
        try:
            await asyncio.wait_for(stall.reached.wait(), within)
        except TimeoutError:
            self.server.release_stalls()
            raise SandboxError(
                f"the bot never made the request a stall waits for: {stall}"
            ) from None
        await self.crash_bot(downtime, meanwhile=meanwhile)

    async def crash_if_reached(
        self,
        pending: Pending,
        stall: Stall,
        *,
        downtime: timedelta = timedelta(0),
        within: float = 15.0,
    ) -> bool:
        """Run `pending`: if it makes the request `stall` holds, kill the bot there and start a
        new one (True); if it finishes first, withdraw the stall (False)."""
        await self.dispatch(pending)
        idle = asyncio.ensure_future(self.idle(within))
        reached = asyncio.ensure_future(stall.reached.wait())
        done, _ = await asyncio.wait({idle, reached}, return_when=asyncio.FIRST_COMPLETED)
        if reached in done:
            idle.cancel()
            await asyncio.gather(idle, return_exceptions=True)
            await self.crash_bot(downtime)
            return True
        reached.cancel()
        await asyncio.gather(reached, return_exceptions=True)
        self.server.withdraw(stall)
        idle.result()
        self.check()
        return False

    async def guild_outage(self) -> None:
        """Discord loses the server for a while (GUILD_DELETE with `unavailable`)."""
        await self.server.gateway.dispatch(
            "GUILD_DELETE", {"id": str(self.guild.id), "unavailable": True}
        )
        await self.idle()

    async def guild_back(self) -> None:
        """The server is available again: each gateway session gets its GUILD_CREATE."""
        for session in self.server.gateway.sessions_for(self.guild.id):
            await self.server.gateway.send_to(
                session, "GUILD_CREATE", self.server.guild_create(self.guild, session)
            )
        await self.idle()

    async def bot_leaves(self, guild: Guild, *, told: bool = True) -> None:
        """The bot is removed from a server (kicked, or it left): for the bot the server is
        gone (its routes answer Unknown Guild, a new gateway session does not list it) and
        each session gets GUILD_DELETE without `unavailable`. `told=False`: the bot was down
        and never got the event (only the state changes)."""
        self.server.guilds.pop(guild.id, None)
        guild.members.pop(self.server.bot_user.id, None)
        if told:
            await self.server.gateway.dispatch("GUILD_DELETE", {"id": str(guild.id)})
            await self.idle()

    async def bot_invited_back(self, guild: Guild, *, told: bool = True) -> None:
        """A server the bot left invites it again: its role back, a GUILD_CREATE per session
        (`told=False`: the bot was down; a new gateway session lists the server)."""
        role = self._bot_roles.get(guild.id, self.bot_role)
        guild.members[self.server.bot_user.id] = Member(self.server.bot_user, roles=[role.id])
        self.server.guilds[guild.id] = guild
        if told:
            await self._joined(guild)
            await self.idle()

    async def _joined(self, guild: Guild) -> None:
        """GUILD_CREATE of a server the bot joins, on every session: without `unavailable`,
        which marks one coming back from an outage (discord.py then says `guild_join`)."""
        for session in self.server.gateway.sessions_for(guild.id):  # its shard's only
            payload = self.server.guild_create(guild, session)
            payload.pop("unavailable", None)
            await self.server.gateway.send_to(session, "GUILD_CREATE", payload)

    async def gateway_down(self) -> None:
        """Discord's gateway goes away: the connection drops and reconnecting fails until
        `gateway_up` (the session stays resumable, as after a short outage)."""
        self.server.gateway.refusing = True
        await self.server.gateway.cut()
        await self.wait_for(lambda: not self.bot.gateway_up, "the bot to notice the outage")

    async def gateway_up(self, within: float = 30.0) -> None:
        """The gateway is back; returns once the bot has reconnected (after its back-off)."""
        self.server.gateway.refusing = False
        await self.wait_for(lambda: self.bot.gateway_up, "the bot to reconnect", within=within)
        await self.idle()
        # discord.py logs each refused reconnect as an error: expected during an outage.
        other = [p for p in self.expect_problems() if "Attempting a reconnect" not in p]
        if other:
            raise SandboxError("sandbox problems:\n- " + "\n- ".join(other))

    def _bot_task_done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            self.server.problem(f"the bot's client task died: {task.exception()!r}")

    async def _on_bot_error(self, event: str, *args: Any, **kwargs: Any) -> None:
        import traceback

        self.server.problem(f"the bot failed in {event}: {traceback.format_exc()}")

    async def _on_command_error(
        self, interaction: discord.Interaction[Any], error: Exception
    ) -> None:
        expected = (UserError, app_commands.CheckFailure, app_commands.CommandOnCooldown)
        if not isinstance(error, expected):
            self.server.problem(f"command error: {error!r}")

    def _loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        self.server.problem(
            f"unhandled in the event loop: {context.get('message')} {context.get('exception')!r}"
        )
        loop.default_exception_handler(context)

    def check(self) -> None:
        """Fail with every problem seen since the last check (spec violations, bot errors…)."""
        fresh = self.server.problems[self._checked_problems :]
        self._checked_problems = len(self.server.problems)
        if fresh:
            raise SandboxError("sandbox problems:\n- " + "\n- ".join(fresh))

    def expect_problems(self) -> list[str]:
        """Take the problems seen so far without failing (for tests that provoke them)."""
        fresh = self.server.problems[self._checked_problems :]
        self._checked_problems = len(self.server.problems)
        return fresh

    # -- waiting -------------------------------------------------------------------------------

    def _activity_waiting(self) -> int:
        """Activity events the bot queued for its batched writer and has not written yet."""
        context = getattr(getattr(self, "bot", None), "ctx", None)
        writer = getattr(context, "activity_writer", None)
        return int(writer.pending) if writer is not None else 0

    def busy(self) -> bool:
        """Whether the bot or the sandbox still has work in flight."""
        if self.server.in_flight or self._activity_waiting():
            return True
        seen = {
            ws.session_id: ws.sequence
            for bot in self._bots()
            for ws in _sockets(bot)
            if ws is not None
        }
        for session in self.server.gateway.sessions.values():
            if session.socket is not None and seen.get(session.id, session.seq) != session.seq:
                return True
        current = asyncio.current_task()
        for task in asyncio.all_tasks():
            if task is current or task.done():
                continue
            if task.get_name().startswith(_BUSY_TASK_PREFIXES):
                return True
        return False

    async def idle(self, within: float = 15.0) -> None:
        """Wait until nothing is in flight: no request, no event being handled, no job running."""
        deadline = time.monotonic() + within
        quiet = 0
        pause = 0.0
        while quiet < 3:
            # Back off while the bot works: a hot poll would hold the GIL and starve the
            # database's worker threads (aiosqlite), slowing the very work being waited for.
            await asyncio.sleep(0.001 if quiet else pause)
            if self._activity_waiting() and not self.server.in_flight:
                # The writer would write within a fraction of a second anyway; a test reads
                # the log right after an action, so write now rather than sleep on its timer.
                await self.bot.ctx.activity_writer.flush()
            self._check_stalls()
            if self.busy():
                pause = min(0.002, pause + 0.0005)
                quiet = 0
                if time.monotonic() > deadline:
                    raise SandboxError("the bot did not become idle in time")
            else:
                quiet += 1

    def _check_stalls(self) -> None:
        """Fail at once when discord.py sleeps out a long 429 (a third rename within ten
        minutes, say): on Discord the bot would sit still for minutes, past what an
        interaction can wait. A bot that sets `max_ratelimit_timeout` below the wait gets
        `discord.RateLimited` at once instead, and must handle it."""
        waits = self.server.long_waits[self._checked_waits :]
        if not waits:
            return
        self._checked_waits = len(self.server.long_waits)
        task = getattr(self, "bot", None)
        limit = task.http.max_ratelimit_timeout if task is not None else None
        stalls = [(what, wait) for what, wait in waits if limit is None or wait <= limit]
        if stalls:
            said = "; ".join(f"{what} answered 429 for {wait:.0f} s" for what, wait in stalls)
            problem = f"the bot would stall: {said} (discord.py sleeps it out)"
            self.server.problem(problem)
            raise SandboxError(problem)

    @property
    def invalid_requests(self) -> int:
        """401, 403 and 429 answers of the last ten minutes: Discord bans at 10,000."""
        return self.server.ratelimiter.invalid_recently()

    async def wait_for(self, condition: Any, what: str, within: float = 15.0) -> None:
        deadline = time.monotonic() + within
        while not condition():
            if time.monotonic() > deadline:
                raise SandboxError(f"timed out waiting for {what}")
            await asyncio.sleep(0.005)

    # -- building the world --------------------------------------------------------------------

    def _new_user(self, name: str) -> User:
        user = User(self.server.ids.next(), name.lower().replace(" ", "_")[:32], global_name=name)
        self.server.users[user.id] = user
        return user

    def add_role(self, name: str, permissions: int = 0, *, guild: Guild | None = None) -> Role:
        """A role below the bot's, as a server admin would create it (in `guild`, else the
        first server)."""
        guild = guild or self.guild
        role = self.server.add_role(guild, name, permissions)
        self._dispatch("GUILD_ROLE_CREATE", {"guild_id": str(guild.id), "role": role.to_payload()})
        return role

    def add_member(
        self,
        name: str,
        roles: Sequence[Role] = (),
        locale: str = "en-US",
        *,
        guild: Guild | None = None,
    ) -> Member:
        """A person joins the server (`guild`, else the first; Discord client language
        `locale`, one of Discord's)."""
        _check_locale(locale)
        guild = guild or self.guild
        member = Member(self._new_user(name), roles=[r.id for r in roles], locale=locale)
        guild.members[member.user.id] = member
        self._dispatch("GUILD_MEMBER_ADD", {"guild_id": str(guild.id), **member.to_payload()})
        return member

    def give_role(self, member: Member, role: Role) -> None:
        """A server admin gives a member a role."""
        if role.id not in member.roles:
            member.roles.append(role.id)
        self._dispatch(
            "GUILD_MEMBER_UPDATE",
            {"guild_id": str(self.guild_of(member).id), **member.to_payload()},
        )

    async def add_guild(
        self, name: str, owner: str = "Server Owner", *, shard: tuple[int, int] | None = None
    ) -> Guild:
        """Another server adds the bot: it gets a #general, the bot's managed role (the same
        permissions as in the first server) and a GUILD_CREATE on the gateway session of its
        shard. `shard` (id, count) picks an id Discord routes to that shard."""
        owner_user = self._new_user(owner)
        guild = new_guild(self.server.ids, name, owner_user, shard)
        self.server.guilds[guild.id] = guild
        role = self.server.add_role(guild, "Twinbridge", self.bot_role.permissions, position=50)
        role.managed = True
        guild.members[self.server.bot_user.id] = Member(self.server.bot_user, roles=[role.id])
        self._bot_roles[guild.id] = role
        await self._joined(guild)
        self._generals[guild.id] = self.add_channel("general", guild=guild)
        await self.idle()
        return guild

    def guild_of(self, member: Member) -> Guild:
        """The server a member belongs to (each Member object is one server's member)."""
        for guild in self.server.guilds.values():
            if guild.members.get(member.user.id) is member:
                return guild
        return self.guild

    def owner_of(self, guild: Guild) -> Member:
        """The member who owns `guild`."""
        return guild.members[guild.owner_id]

    def general_of(self, member: Member) -> Channel:
        """#general of the member's server."""
        return self._generals.get(self.guild_of(member).id, self.general)

    def channel_by_id(self, channel_id: int) -> Channel:
        """A channel or thread of any server, by id."""
        for guild in self.server.guilds.values():
            found = guild.channels.get(channel_id)
            if found is not None:
                return found
        raise SandboxError(f"no channel {channel_id}")

    def add_channel(
        self,
        name: str,
        kind: int = ChannelType.TEXT,
        parent: Channel | None = None,
        *,
        private_to: Sequence[Role] = (),
        guild: Guild | None = None,
    ) -> Channel:
        """A channel created by a server admin (in `guild`, else the first server);
        `private_to` hides it from everyone else."""
        guild = guild or self.guild
        overwrites: list[Overwrite] = []
        if private_to:
            view = int(P.VIEW_CHANNEL)
            bot_role = self._bot_roles.get(guild.id, self.bot_role)
            overwrites.append(Overwrite(guild.id, 0, 0, view))
            overwrites += [Overwrite(r.id, 0, view, 0) for r in (*private_to, bot_role)]
        channel = Channel(
            id=self.server.ids.next(),
            guild_id=guild.id,
            type=kind,
            name=name,
            position=len(guild.channels),
            parent_id=parent.id if parent else None,
            overwrites=overwrites,
        )
        guild.channels[channel.id] = channel
        self._dispatch("CHANNEL_CREATE", channel.to_payload())
        return channel

    def set_bot_permissions(self, permissions: int) -> None:
        """A server admin changes the bot's role permissions."""
        self.bot_role.permissions = permissions
        self._dispatch(
            "GUILD_ROLE_UPDATE",
            {"guild_id": str(self.guild.id), "role": self.bot_role.to_payload()},
        )

    def _dispatch(self, event: str, data: JSON) -> None:
        asyncio.get_running_loop().create_task(
            self.server.gateway.dispatch(event, data), name="sandbox-dispatch"
        )

    # -- observing -----------------------------------------------------------------------------

    def channel_named(self, name: str) -> Channel:
        for channel in self.guild.channels.values():
            if channel.name == name:
                return channel
        raise SandboxError(
            f"no channel named {name!r}: {[c.name for c in self.guild.channels.values()]}"
        )

    def channels(self, kind: int | None = None, parent: Channel | None = None) -> list[Channel]:
        return [
            c
            for c in self.guild.channels.values()
            if (kind is None or c.type == kind) and (parent is None or c.parent_id == parent.id)
        ]

    def visible_channels(self, member: Member) -> list[Channel]:
        """The channels and threads this member can see, from the permissions Discord computes."""
        return [
            c for c in self.guild.channels.values() if self.guild.can_view(member.user.id, c.id)
        ]

    def messages_in(self, channel: Channel) -> list[Message]:
        """Messages everyone with access sees in a channel (no ephemeral ones), oldest first."""
        return sorted(
            (
                m
                for m in self.server.messages.values()
                if m.channel_id == channel.id and not m.deleted and not m.ephemeral
            ),
            key=lambda m: m.id,
        )

    def direct_messages(self, member: Member) -> list[Message]:
        """What the bot sent this person by direct message, oldest first."""
        channels = {c for c, user in self.server.direct.items() if user == member.user.id}
        return sorted(
            (m for m in self.server.messages.values() if m.channel_id in channels),
            key=lambda m: m.id,
        )

    def last_message(self, channel: Channel) -> Message:
        found = self.messages_in(channel)
        if not found:
            raise SandboxError(f"no message in #{channel.name}")
        return found[-1]

    def events(self) -> list[JSON]:
        return [e.to_payload(None) for e in self.guild.events.values()]

    # -- acting as a member --------------------------------------------------------------------

    def _narrate(self, member: Member, text: str) -> None:
        if self.narrator is not None:
            self.narrator(f"{member.user.global_name or member.user.username} {text}")

    def _interaction(
        self,
        member: Member,
        channel: Channel,
        kind: int,
        data: JSON,
        message: Message | None = None,
    ) -> tuple[Interaction, JSON]:
        guild = self.server.guilds.get(channel.guild_id or 0, self.guild)
        if member.user.id not in guild.members:
            raise SandboxError(f"{member.user.username} is not in the server {guild.name!r}")
        if not guild.can_view(member.user.id, channel.id):
            raise SandboxError(f"{member.user.username} cannot see #{channel.name}")
        _check_locale(member.locale)
        _check_locale(guild.preferred_locale)
        archives_at = channel.archives_at()
        archived = channel.archived or (archives_at is not None and archives_at <= self.now())
        if kind in (2, 4) and channel.is_thread and archived:
            # topics/threads.md: "Users cannot ... use application commands ... in archived
            # threads".
            raise SandboxError(f"nobody can use a command in the archived thread #{channel.name}")
        interaction = Interaction(
            id=self.server.ids.next(),
            token=secrets.token_urlsafe(32),
            type=kind,
            guild_id=guild.id,
            channel_id=channel.id,
            user_id=member.user.id,
            created_monotonic=time.monotonic(),
            created_at=self.clock.now(),
            source_message_id=message.id if message else None,
        )
        self.server.add_interaction(interaction)
        perms = guild.permissions_in(member.user.id, channel.id)
        member_payload = {**member.to_payload(), "permissions": str(perms)}
        payload: JSON = {
            "id": str(interaction.id),
            "application_id": str(self.server.application_id),
            "type": kind,
            "data": data,
            "guild_id": str(guild.id),
            "guild": {
                "id": str(guild.id),
                "locale": guild.preferred_locale,
                "features": [],
            },
            "channel_id": str(channel.id),
            "channel": {**channel.to_payload(), "permissions": str(perms)},
            "member": member_payload,
            "token": interaction.token,
            "version": 1,
            "app_permissions": str(guild.permissions_in(self.server.bot_user.id, channel.id)),
            "locale": member.locale,
            "guild_locale": guild.preferred_locale,
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild.id)},
            "context": 0,
            # What one file may weigh in this server (no boosts): Discord's 10 MiB.
            "attachment_size_limit": FILE_BYTES,
        }
        if message is not None:
            payload["message"] = message.to_payload(self.server.users)
        return interaction, payload

    async def _send_interaction(self, interaction: Interaction, payload: JSON) -> Reply:
        return (await self.at_once([Pending(interaction, payload)]))[0]

    async def at_once(self, pending: Sequence[Pending], *, within: float = 15.0) -> list[Reply]:
        """Deliver prepared interactions back to back, as when many people act at one moment.

        Waits (up to `within` seconds) until the bot is idle, then checks that each was answered.
        """
        await self.server.catch_up()
        for item in pending:
            if self.server.leak_check is not None:
                # What people type or pick is data the bot may repeat, not its own text.
                self.server.leak_check.learn(item.payload["data"])
            item.interaction.dispatched_monotonic = time.monotonic()
            await self.server.gateway.dispatch("INTERACTION_CREATE", item.payload)
        await self.idle(within)
        self.check()
        for item in pending:
            if item.interaction.response_type is None:
                what = item.payload["data"].get("name") or item.payload["data"].get("custom_id")
                raise SandboxError(
                    f"the bot never answered {what} (Discord shows 'This interaction failed')"
                )
        return [Reply(item.interaction, self.server) for item in pending]

    def _command_definition(self, member: Member, path: str) -> tuple[JSON, list[str], JSON]:
        top, *rest = path.split()
        guild = self.guild_of(member)
        command = self.server.find_command(guild.id, top)
        if command is None:
            raise SandboxError(f"the bot never registered /{top}; a user cannot run it")
        required = command.get("default_member_permissions")
        if required is not None and int(required) & ~guild.base_permissions(member.user.id):
            raise SandboxError(
                f"/{top} is hidden from {member.user.username} by its default permissions"
            )
        node = command
        for part in rest:
            options = [o for o in node.get("options", []) if o["type"] in (1, 2)]
            found = next((o for o in options if o["name"] == part), None)
            if found is None:
                raise SandboxError(f"/{path}: no subcommand {part!r}")
            node = found
        return command, rest, node

    def _option_values(
        self, node: JSON, values: dict[str, Any], focused: str | None = None
    ) -> tuple[list[JSON], JSON]:
        definitions = {o["name"]: o for o in node.get("options", [])}
        resolved: JSON = {}
        options: list[JSON] = []
        for name, value in values.items():
            if name not in definitions:
                raise SandboxError(f"no option {name!r}; the command has {sorted(definitions)}")
            definition = definitions[name]
            kind = definition["type"]
            option: JSON = {"name": name, "type": kind}
            if name == focused:
                option.update(value=str(value), focused=True)
            else:
                option["value"] = self._option_value(kind, value, resolved)
                _check_constraints(definition, option["value"])
                choices = definition.get("choices")
                if choices and option["value"] not in [c["value"] for c in choices]:
                    raise SandboxError(f"{value!r} is not one of the choices of {name!r}")
            options.append(option)
        for definition in definitions.values():
            # While typing (autocomplete) the other options may still be empty.
            if focused is None and definition.get("required") and definition["name"] not in values:
                raise SandboxError(f"the required option {definition['name']!r} is missing")
        return options, resolved

    def _option_value(self, kind: int, value: Any, resolved: JSON) -> Any:
        if kind in (6, 9) and isinstance(value, Member):
            user_id = str(value.user.id)
            resolved.setdefault("users", {})[user_id] = value.user.to_payload()
            member = value.to_payload()
            member.pop("user")
            member["permissions"] = str(self.guild_of(value).base_permissions(value.user.id))
            resolved.setdefault("members", {})[user_id] = member
            return user_id
        if kind in (8, 9) and isinstance(value, Role):
            resolved.setdefault("roles", {})[str(value.id)] = value.to_payload()
            return str(value.id)
        if kind == 7 and isinstance(value, Channel):
            resolved.setdefault("channels", {})[str(value.id)] = {
                **value.to_payload(),
                "permissions": str(ALL),
            }
            return str(value.id)
        if kind == 11 and isinstance(value, Upload):
            if self.server.leak_check is not None:
                self.server.leak_check.learn_file(value.data)
            attachment = self.server._attachments(
                [(value.filename, value.content_type, value.data)]
            )[0]
            resolved.setdefault("attachments", {})[str(attachment.id)] = attachment.to_payload()
            return str(attachment.id)
        if kind == 3:
            return str(value)
        if kind == 4:
            return int(value)
        if kind == 10:
            return float(value)
        if kind == 5:
            return bool(value)
        raise SandboxError(f"cannot pass {value!r} to an option of type {kind}")

    def _command_data(
        self, member: Member, path: str, values: dict[str, Any], focused: str | None = None
    ) -> JSON:
        command, rest, node = self._command_definition(member, path)
        options, resolved = self._option_values(node, values, focused)
        # Wrap the leaf options in their subcommand (and group) the way Discord nests them.
        for depth in reversed(range(len(rest))):
            kind = 1 if depth == len(rest) - 1 else 2
            options = [{"name": rest[depth], "type": kind, "options": options}]
        data: JSON = {"id": command["id"], "name": command["name"], "type": 1, "options": options}
        if resolved:
            data["resolved"] = resolved
        if command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        return data

    async def command(
        self, member: Member, path: str, /, *, where: Channel | None = None, **options: Any
    ) -> Reply:
        """`member` runs `/path` (e.g. "exchange create") with options, in `where` or #general."""
        channel = where or self.general_of(member)
        shown = " ".join(f"{k}:{_shown(v)}" for k, v in options.items())
        place = f"#{channel.name}"
        if channel.guild_id != self.guild.id:
            place += f" ({self.server.guilds[channel.guild_id or 0].name})"
        self._narrate(member, f"runs /{path} {shown}".rstrip() + f" in {place}")
        return (await self.at_once([self.prepare_command(member, path, where=where, **options)]))[0]

    def prepare_command(
        self, member: Member, path: str, /, *, where: Channel | None = None, **options: Any
    ) -> Pending:
        """`/path` as `member` would run it, not yet sent: hand several to `at_once`."""
        interaction, payload = self._interaction(
            member, where or self.general_of(member), 2, self._command_data(member, path, options)
        )
        return Pending(interaction, payload)

    async def autocomplete(
        self,
        member: Member,
        path: str,
        option: str,
        typed: str,
        /,
        *,
        where: Channel | None = None,
        **options: Any,
    ) -> list[JSON]:
        """The choices the bot suggests while `member` types `typed` into `option`."""
        channel = where or self.general_of(member)
        data = self._command_data(member, path, {**options, option: typed}, focused=option)
        interaction, payload = self._interaction(member, channel, 4, data)
        reply = await self._send_interaction(interaction, payload)
        return reply.choices

    async def context_menu(self, member: Member, name: str, message: Message) -> Reply:
        """`member` uses the message command `name` on `message` (Apps → name)."""
        command = self.server.find_command(self.guild.id, name, kind=3)
        if command is None:
            raise SandboxError(f"the bot never registered the message command {name!r}")
        channel = self.guild.channels[message.channel_id]
        data = {
            "id": command["id"],
            "name": name,
            "type": 3,
            "target_id": str(message.id),
            "resolved": {"messages": {str(message.id): message.to_payload(self.server.users)}},
        }
        interaction, payload = self._interaction(member, channel, 2, data)
        return await self._send_interaction(interaction, payload)

    def _find_component(self, message: Message, custom_id: str | None, label: str | None) -> JSON:
        for component in iter_components(message.components):
            if custom_id is not None and component.get("custom_id") == custom_id:
                return component
            if label is not None and component.get("label") == label:
                return component
        raise SandboxError(
            f"no component {custom_id or label!r} on the message; it has "
            f"{[c.get('label') or c.get('custom_id') for c in iter_components(message.components)]}"
        )

    def _source(self, message: Message | Reply) -> Message:
        if isinstance(message, Reply):
            if message.message is None:
                raise SandboxError("that reply has no message")
            return message.message
        return message

    async def click(
        self,
        member: Member,
        message: Message | Reply,
        label: str | None = None,
        *,
        custom_id: str | None = None,
    ) -> Reply:
        """`member` presses a button (found by label or custom_id) on a message."""
        pending = self.prepare_click(member, message, label, custom_id=custom_id)
        return (await self.at_once([pending]))[0]

    def prepare_click(
        self,
        member: Member,
        message: Message | Reply,
        label: str | None = None,
        *,
        custom_id: str | None = None,
    ) -> Pending:
        """A press of a button as `member` would make it, not yet sent: hand several to
        `at_once` (a double click, two people pressing together)."""
        source = self._source(message)
        button = self._find_component(source, custom_id, label)
        if button.get("type") != 2:
            raise SandboxError(f"{label or custom_id!r} is not a button")
        if button.get("disabled"):
            raise SandboxError(f"the button {label or custom_id!r} is disabled")
        channel = self.channel_by_id(source.channel_id)
        self._narrate(member, f"presses [{button.get('label') or button['custom_id']}]")
        data = {"custom_id": button["custom_id"], "component_type": 2}
        interaction, payload = self._interaction(member, channel, 3, data, message=source)
        return Pending(interaction, payload)

    async def choose(
        self,
        member: Member,
        message: Message | Reply,
        values: Sequence[str],
        *,
        custom_id: str | None = None,
        placeholder: str | None = None,
    ) -> Reply:
        """`member` picks `values` in a select menu on a message."""
        source = self._source(message)
        select = None
        for component in iter_components(source.components):
            if component.get("type") in (3, 5, 6, 7, 8) and (
                (custom_id is None and placeholder is None)
                or component.get("custom_id") == custom_id
                or component.get("placeholder") == placeholder
            ):
                select = component
                break
        if select is None:
            raise SandboxError("no such select menu on the message")
        allowed = {o["value"] for o in select.get("options", [])}
        if select.get("type") == 3 and not set(values) <= allowed:
            raise SandboxError(f"{values} are not options of the select ({sorted(allowed)})")
        if select.get("disabled"):
            raise SandboxError("the select menu is disabled")
        low, high = select.get("min_values", 1), select.get("max_values", 1)
        if not low <= len(values) <= high:
            raise SandboxError(f"the select takes {low} to {high} values, not {len(values)}")
        channel = self.channel_by_id(source.channel_id)
        self._narrate(member, f"chooses {', '.join(values)}")
        data = {
            "custom_id": select["custom_id"],
            "component_type": select["type"],
            "values": list(values),
        }
        interaction, payload = self._interaction(member, channel, 3, data, message=source)
        return await self._send_interaction(interaction, payload)

    async def submit(self, member: Member, reply: Reply, **values: str) -> Reply:
        """`member` fills in the modal the bot opened in `reply` and submits it."""
        modal = reply.modal
        if modal is None:
            raise SandboxError("the bot did not open a modal")
        rows: list[JSON] = []
        for component in modal.get("components", []):
            inner = component.get("components") or [component.get("component")]
            filled = []
            for item in inner:
                if item is None:
                    continue
                custom_id = item["custom_id"]
                value = values.pop(custom_id, item.get("value") or "")
                if item.get("required", True) and not value:
                    raise SandboxError(f"the modal field {custom_id!r} is required")
                # What Discord's client enforces while typing, before the form can be sent.
                if value and len(value) > item.get("max_length", 4000):
                    raise SandboxError(
                        f"Discord refuses {custom_id!r}: longer than {item.get('max_length', 4000)}"
                    )
                if value and len(value) < item.get("min_length", 0):
                    raise SandboxError(
                        f"Discord refuses {custom_id!r}: shorter than {item['min_length']}"
                    )
                filled.append({"type": item["type"], "custom_id": custom_id, "value": value})
            if component.get("type") == 18:
                rows.append({"type": 18, "component": filled[0]})
            else:
                rows.append({"type": 1, "components": filled})
        if values:
            raise SandboxError(f"the modal has no fields {sorted(values)}")
        channel = self.channel_by_id(reply.interaction.channel_id)
        data = {"custom_id": modal["custom_id"], "components": rows}
        source = self.server.messages.get(reply.interaction.source_message_id or 0)
        interaction, payload = self._interaction(member, channel, 5, data, message=source)
        return await self._send_interaction(interaction, payload)

    async def say(self, member: Member, channel: Channel, content: str) -> Message:
        """`member` writes a message in a channel."""
        await self.server.catch_up()
        guild = self.server.guilds.get(channel.guild_id or 0, self.guild)
        perms = guild.permissions_in(member.user.id, channel.id)
        needed = P.SEND_MESSAGES_IN_THREADS if channel.is_thread else P.SEND_MESSAGES
        if not perms & P.VIEW_CHANNEL or not perms & needed:
            raise SandboxError(f"{member.user.username} cannot write in #{channel.name}")
        if channel.is_thread:
            try:
                self.server.check_thread_write(guild, channel, member.user.id)
            except HttpError as refused:
                raise SandboxError(f"#{channel.name}: {refused}") from None
        self._narrate(member, f"in #{channel.name}: {content}")
        if self.server.leak_check is not None:
            self.server.leak_check.learn(content)
        message = self.server._new_message(
            guild, channel, {"content": content}, [], author=member.user, check_perms=False
        )
        await self.idle()
        self.check()
        return message

    async def join_voice(self, member: Member, channel: Channel | None) -> None:
        """`member` joins a voice or stage channel (None: leaves voice)."""
        if (
            channel is not None
            and not self.guild.permissions_in(member.user.id, channel.id) & P.CONNECT
        ):
            raise SandboxError(f"{member.user.username} cannot connect to {channel.name}")
        await self.server.catch_up()
        state = VoiceState(member.user.id, channel.id if channel else None, secrets.token_hex(8))
        before = self.guild.voice.get(member.user.id)
        self.guild.voice[member.user.id] = state
        left = before.channel_id if before is not None else None
        if left is not None and left != state.channel_id and not self.guild.in_voice(left):
            # The last one out: Discord ends an active event there a few minutes later.
            self.guild.voice_left_at[left] = self.clock.now()
        await self.server.gateway.dispatch(
            "VOICE_STATE_UPDATE",
            {
                "guild_id": str(self.guild.id),
                "channel_id": str(channel.id) if channel else None,
                "user_id": str(member.user.id),
                "member": member.to_payload(),
                "session_id": state.session_id,
                "deaf": False,
                "mute": False,
                "self_deaf": False,
                "self_mute": False,
                "self_video": False,
                "suppress": False,
                "request_to_speak_timestamp": None,
            },
        )
        await self.idle()
        self.check()

    # -- time ----------------------------------------------------------------------------------

    async def advance(self, delta: timedelta | None = None, **parts: float) -> datetime:
        """Move the clock forward (e.g. `hours=25`) and let every job that fell due run."""
        target = self.clock.now() + (delta or timedelta(**parts))
        # Time passes as it would: the clock stops at each send's due time on the way, so
        # APScheduler (which reads this clock, see `clock_aware_apscheduler`) fires it on time,
        # and at each moment Discord changes something by itself (a thread archives, an event
        # starts), so the bot meets those changes in the order they happen.
        for _ in range(10_000):
            discord_next = self.server.next_change()
            if discord_next is not None and discord_next <= target:
                sooner = await self._pending_owned(discord_next)
                if not sooner:
                    self.clock.set(max(discord_next, self.clock.now()))
                    await self.server.catch_up()
                    self.wake_scheduler()
                    await self.idle()
                    continue
            upcoming = await self._pending_owned(target)
            if not upcoming:
                break
            self.clock.set(max(upcoming[0].due_at, self.clock.now()))
            await self.server.catch_up()
            self.wake_scheduler()
            await self.idle()
            stuck = await self._pending_owned(self.clock.now())
            if stuck and stuck[0].id == upcoming[0].id:
                break
        now = self.clock.set(target)
        await self.server.catch_up()
        self.wake_scheduler()
        await self.idle()
        overdue = await self._pending_owned(now)
        if overdue:
            self.server.problem(
                f"sends due but not done after the clock moved: {[s.key for s in overdue]}"
            )
        self.check()
        return now

    async def _pending_owned(self, until: datetime) -> list[sends.Send]:
        """Sends due by `until` that a running bot process is to do (with several processes
        on shards, a send of a shard nobody holds waits for its process)."""
        async with self.bot.ctx.db.read() as conn:
            due = await sends.pending(conn, until=until)
        scopes = [bot.ctx.scheduler.shards for bot in self._bots()]
        return [s for s in due if any(scope.owns(s.guild_id) for scope in scopes)]

    async def advance_to(self, when: datetime) -> datetime:
        """Move the clock to an absolute time (forward only)."""
        return await self.advance(when - self.clock.now())

    def now(self) -> datetime:
        return self.clock.now().astimezone(UTC)
