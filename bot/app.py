"""The Discord client: wires settings, store, clock, services and cogs (the composition root)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import json
import logging
import math
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot import pseudo
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.domain.cooldown import Cooldowns
from bot.domain.shards import Scope
from bot.logs import current_command, interaction_tags, log_context
from bot.metrics import OK, Metrics, received_now
from bot.pacing import GLOBAL_REQUESTS_PER_SECOND, GlobalPacer
from bot.services.activity_writer import ActivityWriter
from bot.services.backups import BACKUP_KIND, BackupError
from bot.services.container import Services
from bot.services.erasure_journal import ErasureJournal
from bot.services.health import (
    DatabaseFile,
    Health,
    Verdict,
    backup_check,
    database_check,
    scheduler_check,
)
from bot.services.scheduler import Scheduler
from bot.services.scheduler import classify as classify_plain
from bot.store import Database, app_state, sends
from bot.store.engine import DatabaseGoneError, background, server_bytes
from bot.store.leases import Leases
from bot.store.migrate import current_revision, head_revision, upgrade
from bot.translator import CatalogueTranslator, bound_integer_options, describe_options
from bot.web import WebServer, build_app
from bot.web.guard import Guard
from bot.web.pages import Outside
from bot.web.server import Operations
from cogs.common.components import dispatch_modal, item_routes
from cogs.common.errors import ErrorTree

log = logging.getLogger(__name__)

# Seconds a shutdown waits for start-up work still running before cancelling it.
BACKGROUND_GRACE = 10.0
# The longest rate-limit wait discord.py sleeps out (its least allowed value). A longer one,
# such as the ten minutes a third channel rename within ten minutes asks, raises
# `discord.RateLimited` instead: an interaction is answered at once, a scheduled send waits
# as long as Discord asks (bot.services.scheduler.asked_wait).
RATE_LIMIT_PATIENCE = 30.0
# How often an idle bot checks that its database file is still the one it opened (every
# database use checks too).
DATABASE_WATCH_SECONDS = 15.0
# How often a sharded process re-reads its next send (another process may have planned some
# of its servers' sends) and, when it does not lead, asks for the lead again (the leader may
# have died with work of no server still to do: retention, backups, sweeps).
LEAD_RETRY_SECONDS = 60.0

EXTENSIONS: tuple[str, ...] = (
    "cogs.about",
    "cogs.exchange",
    "cogs.join",
    "cogs.roster",
    "cogs.pairing",
    "cogs.meet",
    "cogs.survey",
    "cogs.sessions",
    "cogs.prompts",
    "cogs.chess",
    "cogs.safety",
    "cogs.privacy",
    "cogs.reporting",
    "cogs.seek",
)


def intents(message_content: bool = False) -> discord.Intents:
    """The gateway intents Twinbridge needs; none is privileged unless `message_content`.

    Message Content (the MESSAGE_CONTENT_INTENT setting) only lets the bot measure how long
    replies in paired spaces are; their text is never kept.
    """
    wanted = discord.Intents.none()
    wanted.guilds = True  # channels, roles and threads of the servers we serve
    wanted.guild_messages = True  # count (never read) messages in paired spaces
    wanted.voice_states = True  # attendance by presence in a session's voice channel
    wanted.guild_scheduled_events = True  # keep session events in step
    wanted.message_content = message_content
    return wanted


def pacer_share(settings: Settings) -> int:
    """Requests a second this process may make: Discord's global limit is the bot's, however
    many processes share its token, so each takes the share of its shards (servers are spread
    evenly over shards). Uneven load is left unused, never over the limit."""
    shards = settings.shards()
    if shards is None:
        return GLOBAL_REQUESTS_PER_SECOND
    count, ids = shards
    return max(1, GLOBAL_REQUESTS_PER_SECOND * len(ids) // count)


def http_reason(exc: discord.HTTPException) -> str:
    """Discord's answer in a line: "403 Forbidden (code 50013): Missing Permissions"."""
    return f"{exc.status} {exc.response.reason} (code {exc.code}): {exc.text}"[:200]


def classify_failure(exc: Exception) -> tuple[bool, str]:
    """Whether a scheduled send's failure may pass (retry it) or not, and why.

    Discord's 5xx, network trouble and a long rate limit (tried again once it is over) pass;
    4xx (403 missing access, 404 channel gone, 400) would fail the same way again, and
    Discord bans bots that repeat invalid requests.
    """
    if isinstance(exc, discord.DiscordServerError):
        return True, http_reason(exc)
    if isinstance(exc, discord.RateLimited):
        return True, f"rate limited for {exc.retry_after:.0f} s"
    if isinstance(exc, discord.HTTPException) and exc.status == 429:
        return True, http_reason(exc)  # still limited after discord.py's own tries
    if isinstance(exc, discord.HTTPException):
        return False, http_reason(exc)
    if isinstance(exc, (aiohttp.ClientError, discord.GatewayNotFound)):
        return True, f"network: {exc!r}"
    return classify_plain(exc)


def watch_requests(metrics: Metrics) -> aiohttp.TraceConfig:
    """A trace of the client's HTTP requests: counts 429s by scope, and times an
    interaction's first answer (its callback) from the moment the interaction arrived."""
    trace = aiohttp.TraceConfig()

    async def on_end(
        _session: aiohttp.ClientSession, _ctx: Any, params: aiohttp.TraceRequestEndParams
    ) -> None:
        status = params.response.status
        if status == 429:
            scope = params.response.headers.get("X-RateLimit-Scope", "unknown")
            metrics.rate_limited.labels(scope=scope[:20]).inc()
        elif status < 300 and params.url.path.endswith("/callback"):
            # POST /interactions/{id}/{token}/callback: only the first answer goes there.
            metrics.acknowledged()

    trace.on_request_end.append(on_end)
    return trace


@dataclass
class Context:
    """What services need, shared by every cog."""

    settings: Settings
    db: Database
    clock: Clock = field(default_factory=SystemClock)
    scheduler: Scheduler = field(init=False)
    # Batched writes of high-volume activity events (bot/services/activity_writer.py).
    activity_writer: ActivityWriter = field(init=False)
    # Per-user cooldowns of commands that post (see `cogs.common.checks.cooldown`).
    cooldowns: Cooldowns = field(default_factory=Cooldowns)
    # What operators see at /metrics and /healthz (bot/web/).
    metrics: Metrics = field(default_factory=Metrics)
    health: Health = field(default_factory=Health)
    # Erasures and prunings, journalled so a restored backup has them done again (None for a
    # database without a file).
    journal: ErasureJournal | None = field(init=False)
    # The database file as opened at start-up, to notice it replaced under the running bot.
    database_file: DatabaseFile = field(init=False)
    # The shards this process holds among several, and the lead (bot/store/leases.py).
    leases: Leases = field(init=False)

    def __post_init__(self) -> None:
        grace = timedelta(minutes=self.settings.reminder_grace_minutes)
        self.scheduler = Scheduler(
            self.db, self.clock, grace, classify=classify_failure, metrics=self.metrics
        )
        self.activity_writer = ActivityWriter(self.db)
        path = self.settings.sqlite_path()
        key = self.settings.erasure_key_path()
        self.journal = ErasureJournal.beside(path, key) if path and key else None
        self.database_file = DatabaseFile(path)
        self.leases = Leases(self.db)


# Translated command payloads (as JSON text) by their untranslated form. Translating asks the
# translator for every text in each of Discord's ~30 locales, and the answer depends only on
# the commands (what `to_dict` gives) and the catalogues, which do not change while a process
# runs: the bot translates once per start, but a test process starts a bot per test.
_TRANSLATED: dict[str, str] = {}


async def command_payload(
    tree: app_commands.CommandTree[Any], guild: discord.abc.Snowflake | None = None
) -> list[dict[str, Any]]:
    """What `tree.sync(guild=…)` sends Discord: every command, translated, as JSON."""
    commands = tree.get_commands(guild=guild)
    translator = tree.translator
    if translator is None:
        return [command.to_dict(tree) for command in commands]
    if type(translator) is not CatalogueTranslator:
        # Another translator may answer differently from one call to the next.
        return [await command.get_translated_payload(tree, translator) for command in commands]
    plain = json.dumps([command.to_dict(tree) for command in commands], sort_keys=True)
    translated = _TRANSLATED.get(plain)
    if translated is None:
        payload = [await command.get_translated_payload(tree, translator) for command in commands]
        translated = _TRANSLATED[plain] = json.dumps(payload)
    # A fresh copy each time: callers may change what they get.
    result: list[dict[str, Any]] = json.loads(translated)
    return result


def commands_digest(payload: list[dict[str, Any]]) -> str:
    """A stable digest of a command payload (and of the library that will send it)."""
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    # A discord.py upgrade may send the same tree differently: register again after one.
    return hashlib.sha256(f"{discord.__version__}\n{text}".encode()).hexdigest()


# Twinbridge never plays audio (voice presence comes from gateway events), so the
# "PyNaCl/davey is not installed" warnings would only mislead an operator.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False


class Twinbridge(commands.Bot):
    """The bot. Cogs are extensions loaded in `setup_hook`."""

    def __init__(
        self,
        context: Context,
        *,
        extensions: tuple[str, ...] = EXTENSIONS,
        migrate: bool = True,
        force_sync: bool = False,
        client_options: dict[str, Any] | None = None,
        freeze_start_up_heap: bool = False,
    ) -> None:
        """`force_sync` registers the commands even if they did not change (`run --sync`)."""
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents(context.settings.message_content_intent),
            tree_cls=ErrorTree,
            # Text users typed may be repeated by the bot: it must never ping anyone by itself.
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            # Every request (REST and interaction answers share one session) is watched for
            # 429s and for the moment an interaction is first answered.
            http_trace=watch_requests(context.metrics),
            **({"max_ratelimit_timeout": RATE_LIMIT_PATIENCE} | (client_options or {})),
        )
        self.ctx = context
        self.services = Services(context)
        self._extensions = extensions
        self._migrate = migrate
        self._freeze_heap = freeze_start_up_heap
        self._force_sync = force_sync
        self.pacer = GlobalPacer(pacer_share(context.settings))
        self._pace_requests()
        self._tag_interactions()
        # Whether the gateway connection is up, and whether it ever was (a reconnect counts).
        self.gateway_up = False
        self._connected_once = False
        for event, listener in (
            ("on_connect", self._gateway_connected),
            ("on_resumed", self._gateway_connected),
            ("on_disconnect", self._gateway_lost),
        ):
            self.add_listener(listener, event)
        self.web: WebServer | None = None
        self.outside: Outside | None = None
        self._register_health()
        self._watch: asyncio.Task[None] | None = None
        self._lead_watch: asyncio.Task[None] | None = None
        # Set when the shards' locks were lost and the bot stops for it (`check_leases`).
        self.leases_lost = False
        context.db.on_fault(self._database_file)

    def _database_file(self, reason: str | None) -> None:
        """The database file was found gone or replaced (`reason`), or back (None)."""
        if reason is None:
            log.warning("the database file is back: work goes on")
            return
        # Every use of the database is refused meanwhile: each interaction is told nothing
        # was saved, and the `database` health check fails with the same reason.
        log.critical(
            "%s: nothing is read or written until it is back, since whatever the bot wrote "
            "would be lost. Put the file back (or stop the bot and restore a backup).",
            reason,
        )

    async def _watch_database(self) -> None:
        """An idle bot notices a deleted or replaced database file too, not only at its next
        command."""
        while True:
            await asyncio.sleep(DATABASE_WATCH_SECONDS)
            with contextlib.suppress(DatabaseGoneError):
                self.ctx.db.check_file()

    def _pace_requests(self) -> None:
        """Every REST request waits its turn under Discord's global limit (see bot.pacing).

        Interaction callbacks and follow-ups go through discord.py's webhook adapter instead,
        which Discord exempts from the global limit: answering users is never held back.
        """
        send = self.http.request

        async def paced(route: discord.http.Route, **kwargs: Any) -> Any:
            await self.pacer.wait()
            return await send(route, **kwargs)

        self.http.request = paced  # type: ignore[method-assign]

    def _tag_interactions(self) -> None:
        """Log records of every interaction carry its guild, user and command or custom_id.

        discord.py handles a command, button, select or modal in tasks it creates while
        parsing INTERACTION_CREATE, and a task starts with a copy of the context of its
        creator. No public hook runs before those tasks exist (a view's or item's
        `interaction_check` runs inside them, and not every component has one), so the
        parser itself is wrapped: whatever the interaction starts inherits the tags.
        """
        parsers = self._connection.parsers
        parse = parsers["INTERACTION_CREATE"]

        def parse_tagged(payload: Any) -> None:
            # The time of arrival rides along too: the acknowledgement latency is measured
            # from it (bot.metrics).
            with log_context(*interaction_tags(payload)), received_now():
                parse(payload)

        parsers["INTERACTION_CREATE"] = parse_tagged

    # -- operations: gateway state, health, metrics, backups, the HTTP server ------------------

    async def _gateway_connected(self) -> None:
        if self._connected_once:
            self.ctx.metrics.reconnects.inc()
        self._connected_once = True
        self.gateway_up = True

    async def _gateway_lost(self) -> None:
        self.gateway_up = False

    async def gateway_check(self) -> Verdict:
        """The gateway connection is up and the bot is ready."""
        ws = self.ws
        if self.is_closed():
            return Verdict(False, "the client is closed")
        if not self.gateway_up or ws is None or not ws.open:
            return Verdict(False, "disconnected from Discord's gateway")
        if not self.is_ready():
            return Verdict(False, "connected, not ready yet")
        return Verdict(True, f"connected; heartbeat {self.latency * 1000:.0f} ms")

    def _register_health(self) -> None:
        ctx = self.ctx
        ctx.health.register("gateway", self.gateway_check)
        ctx.health.register("database", database_check(ctx.db, ctx.clock, ctx.database_file))
        ctx.health.register("scheduler", scheduler_check(ctx.scheduler, ctx.db, ctx.clock))
        ctx.health.register("backup", backup_check(self.services.backups.health))

    async def refresh_metrics(self) -> None:
        """Bring the gauges read on demand up to date (before /metrics answers)."""
        metrics, ctx = self.ctx.metrics, self.ctx
        metrics.gateway_connected.set(1 if self.gateway_up else 0)
        for shard, up in self.shards_up().items():
            metrics.shard_connected.labels(shard=str(shard)).set(1 if up else 0)
        # Several processes: each counts its own sends; the lead alone the deployment's figures.
        scope = ctx.scheduler.shards
        metrics.leading = scope.no_guild
        metrics.lead.set(1 if scope.no_guild else 0)
        path = ctx.settings.sqlite_path()
        if path is not None:
            size = 0
            for suffix in ("", "-wal"):
                with contextlib.suppress(OSError):
                    size += path.with_name(path.name + suffix).stat().st_size
            metrics.database_bytes.set(size)
        async with ctx.db.read() as conn:
            if path is None and metrics.leading:
                # PostgreSQL: no file here, the database's size on its server.
                metrics.database_bytes.set(await server_bytes(conn) or 0)
            metrics.sends_pending.set(await sends.pending_count(conn, scope))
            due = await sends.next_due(conn, scope)
        late = (ctx.clock.now() - due).total_seconds() if due is not None else 0.0
        metrics.sends_overdue.set(max(late, 0.0))
        newest = self.services.backups.newest() if self.services.backups.enabled else None
        age = (ctx.clock.now() - newest).total_seconds() if newest else math.nan
        metrics.backup_age.set(age)

    def shards_up(self) -> dict[int, bool]:
        """Whether each shard this process holds is connected (none when not sharded)."""
        return {}

    async def _start_web(self) -> None:
        port = self.ctx.settings.http_port
        if port is None:
            return
        ops = Operations(self.ctx.health, self.ctx.metrics, self.refresh_metrics)
        services = self.services
        # The dashboard's pages and the calendar feeds: the same server, the same settings.
        self.outside = Outside(services.dashboard, services.feeds, Guard())
        web = WebServer(build_app(ops, self.outside), self.ctx.settings.http_host, port)
        # Pages and feeds are read outside Discord: the pseudo-locale (bot.pseudo) does not
        # mark them, whatever context started the bot.
        with pseudo.marked(False):
            started = await web.start()
        if started:
            self.web = web
            host = self.ctx.settings.http_host
            shown = f"[{host}]" if ":" in host else host
            services.address.listening = f"http://{shown}:{web.port}"

    async def _backup_before_upgrade(self) -> None:
        """A backup before migrations change the schema (an upgrade can then be undone)."""
        backups = self.services.backups
        if not backups.enabled or backups.database is None or not backups.database.exists():
            return
        found = await current_revision(self.ctx.db)
        if found is None or found == head_revision():
            return
        try:
            made = await backups.backup_now(before=found)
        except BackupError:
            return  # logged; health says so; the upgrade is not held hostage to the backup
        log.info("backup %s taken before upgrading the schema from %s", made.path.name, found)

    def holds_shard_zero(self) -> bool:
        """Whether this process holds shard 0 (not sharded: it holds everything)."""
        shards = self.ctx.settings.shards()
        return shards is None or 0 in shards[1]

    async def _take_shards(self) -> None:
        """Hold this process's shards (ShardHeldError if another process does) and do only
        their servers' scheduled work, and work of no server while this process leads.
        Unsharded: hold the whole deployment (InUseError if any other process runs)."""
        shards = self.ctx.settings.shards()
        leases = self.ctx.leases
        if shards is None:
            await leases.hold_all()
            return
        count, ids = shards
        await leases.hold(ids, count)
        scope = Scope(count, frozenset(ids), no_guild=False)
        self.ctx.scheduler.share(scope, leases.try_lead)
        log.info("holding shard(s) %s of %d", ", ".join(map(str, ids)), count)

    async def _ask_for_the_lead(self) -> None:
        """Now and then: every process checks that it still holds its shards, and re-reads
        when its next send is due: another process may have planned sends of this one's
        servers (the lead's daily sweeps plan for every server) or of no server, and only
        the planning process's timer knew of them. A process that does not lead asks for
        the lead again in the same read (the leader may be gone)."""
        while True:
            await asyncio.sleep(LEAD_RETRY_SECONDS)
            if not await self.check_leases():
                return
            await self.ctx.scheduler.rearm()

    async def check_leases(self) -> bool:
        """False, and the bot stops (exit status 1: its service restarts it), when the
        database session holding this process's shards is gone: PostgreSQL freed its locks,
        so another process may hold them now, and both would do the same servers' work."""
        if await self.ctx.leases.alive():
            return True
        shards = self.ctx.leases.shards
        log.critical(
            "the database connection holding %s was lost: stopping, so that no other process "
            "holding them now does the same work twice",
            f"shard(s) {', '.join(map(str, shards))}" if shards else "every server",
        )
        self.leases_lost = True
        self.loop.create_task(self.close(), name="twinbridge:shutdown")
        return False

    async def setup_hook(self) -> None:
        # Start-up writes are background work: a writers' lock another process holds for a
        # while (its own start-up, a fan-out) is waited out, never a failed start
        # (bot.store.engine). The tasks started here (the scheduler's start) inherit it.
        with background():
            await self._set_up()

    async def _set_up(self) -> None:
        # First: a second process for the same shards must not touch anything.
        await self._take_shards()
        if self._migrate:
            await self._backup_before_upgrade()
            await upgrade(self.ctx.db)
        self.ctx.database_file.remember()
        await self._start_web()
        with background(False):
            # Its own policy: a batch the database refused stays queued for the next tick.
            self.ctx.activity_writer.start()
        await self.tree.set_translator(CatalogueTranslator(self.tree))
        for name in self._extensions:
            await self.load_extension(name)
        # Every restart-proof button and select the extensions define (cogs.common.components).
        self.add_dynamic_items(*item_routes())
        if self.services.backups.enabled:
            self.ctx.scheduler.handle(BACKUP_KIND, self.services.backups.daily)
            await self.services.backups.plan_daily()
        missing = describe_options(self.tree)
        bound_integer_options(self.tree)
        if missing:
            log.error("options without a description in commands.json: %s", ", ".join(missing))
        if self.holds_shard_zero():
            # Commands are the application's, not a shard's: one process registers them.
            await self.sync_commands(force=self._force_sync)
        self.loop.create_task(self._start_scheduler(), name="twinbridge:scheduler-start")
        # Not named "twinbridge:": they never finish, and shutdown cancels them.
        self._watch = self.loop.create_task(self._watch_database(), name="database-watch")
        if self.ctx.settings.shards() is not None or self.ctx.leases.alone:
            self._lead_watch = self.loop.create_task(self._ask_for_the_lead(), name="lead-watch")

    async def _start_scheduler(self) -> None:
        # Sends post to channels: wait for the guild cache. Cogs registered their handlers
        # while loading; now the schedule is rebuilt from the store.
        await self.wait_until_ready()
        await self.ctx.scheduler.start()

    async def sync_commands(self, *, force: bool = False) -> bool:
        """Register the commands (instantly in DEV_GUILD_ID, otherwise globally) if they changed.

        Discord allows 200 command creations a day per guild, so a start with the same commands
        as the last registration sends nothing: a digest of what was sent is kept in the
        database. `force` registers anyway (after commands were edited by hand in Discord, say).
        Returns whether the commands were sent.
        """
        guild_id = self.ctx.settings.dev_guild_id
        guild = discord.Object(id=guild_id) if guild_id is not None else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        payload = await command_payload(self.tree, guild)
        digest = commands_digest(payload)
        key = f"commands:{self.application_id}:{guild_id if guild_id is not None else 'global'}"
        async with self.ctx.db.read() as conn:
            unchanged = await app_state.get(conn, key) == digest
        if unchanged and not force:
            log.info(
                "application commands unchanged since they were last registered; "
                "not sending them again (run with --sync to force)"
            )
            return False
        # The payload just translated is the one sent (tree.sync would translate it all again:
        # every text in each of Discord's locales).
        if self.application_id is None:
            raise discord.MissingApplicationID
        if guild is None:
            synced = await self.http.bulk_upsert_global_commands(self.application_id, payload)
        else:
            synced = await self.http.bulk_upsert_guild_commands(
                self.application_id, guild.id, payload
            )
        # Stored only once Discord accepted them: a failed sync is retried at the next start.
        async with self.ctx.db.transaction() as conn:
            await app_state.put(conn, key, digest, self.ctx.clock.now())
        log.info("registered %d application commands", len(synced))
        return True

    async def _settle_background_work(self, grace: float = BACKGROUND_GRACE) -> None:
        """Before closing: let the bot's own background tasks finish, cancel the rest.

        Start-up work (named "twinbridge:…": starting the scheduler, the chess sweep) reads
        and writes the database. Left running, it would be cancelled mid-query when the
        process ends, after the database was closed. Before the gateway is ready they are
        only waiting for it, so they are cancelled at once.
        """
        current = asyncio.current_task()
        running = [
            task
            for task in asyncio.all_tasks()
            if task.get_name().startswith("twinbridge:") and task is not current and not task.done()
        ]
        if not running:
            return
        late = running
        if self.is_ready():
            _, still = await asyncio.wait(running, timeout=grace)
            late = list(still)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)

    async def on_app_command_completion(
        self,
        interaction: discord.Interaction[Twinbridge],
        command: app_commands.Command[Any, Any, Any] | app_commands.ContextMenu,
    ) -> None:
        # A slash command or context menu that ran to its end (failures: cogs.common.errors).
        self.ctx.metrics.interaction(current_command(), OK)

    async def on_interaction(self, interaction: discord.Interaction[Twinbridge]) -> None:
        # Restart-proof forms are answered here, whether or not this process opened them.
        await dispatch_modal(interaction)

    async def on_ready(self) -> None:
        log.info("ready as %s in %d guild(s)", self.user, len(self.guilds))
        if self._freeze_heap and not gc.get_freeze_count():
            # What start-up built (modules, the command tree, every guild's channels and
            # roles) lives as long as the process. Left to the garbage collector, each full
            # collection walks it all and stops every answer for 100 ms or more (bench/);
            # frozen, collections only walk what came later. Production only: a test process
            # starts many bots, and frozen objects are never freed.
            gc.collect()
            gc.freeze()

    async def close(self) -> None:
        for task in (self._watch, self._lead_watch):
            if task is not None:
                task.cancel()
        self._watch = self._lead_watch = None
        await self._settle_background_work()
        if self.web is not None:
            await self.web.stop()
            self.web = None
        await self.ctx.scheduler.stop()
        await super().close()
        # After the gateway closed no event can queue more: write what is queued, then close.
        await self.ctx.activity_writer.stop()
        await self.ctx.leases.close()
        await self.ctx.db.dispose()


# Discord lets a bot IDENTIFY one shard per 5 seconds (max_concurrency 1): discord.py waits
# that long before every shard but the first. The sandbox has no such limit.
IDENTIFY_PAUSE = 5.0


class ShardedTwinbridge(Twinbridge, commands.AutoShardedBot):
    """The bot holding some of Discord's shards (SHARD_COUNT, SHARD_IDS): one gateway
    connection per shard, servers routed to them by `(guild_id >> 22) % shard_count`."""

    identify_pause = IDENTIFY_PAUSE

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        if not initial:
            await asyncio.sleep(self.identify_pause)

    def shards_up(self) -> dict[int, bool]:
        """Whether each shard this process holds is connected."""
        return {shard_id: not shard.is_closed() for shard_id, shard in self.shards.items()}

    async def gateway_check(self) -> Verdict:
        """Every shard this process holds is connected, and the bot is ready."""
        if self.is_closed():
            return Verdict(False, "the client is closed")
        held = self.shards
        down = sorted(shard_id for shard_id, up in self.shards_up().items() if not up)
        if not held or down:
            which = ", ".join(map(str, down)) or "all"
            return Verdict(False, f"disconnected from Discord's gateway (shards {which})")
        if not self.is_ready():
            return Verdict(False, "connected, not ready yet")
        return Verdict(
            True, f"{len(held)} shard(s) connected; heartbeat {self.latency * 1000:.0f} ms"
        )


def make_bot(context: Context, **options: Any) -> Twinbridge:
    """The bot the settings ask for: sharded when SHARD_COUNT is set, else one connection.

    `options` are `Twinbridge`'s keyword arguments.
    """
    shards = context.settings.shards()
    if shards is None:
        return Twinbridge(context, **options)
    count, ids = shards
    client_options = {
        "shard_count": count,
        "shard_ids": list(ids),
        **(options.pop("client_options", None) or {}),
    }
    return ShardedTwinbridge(context, client_options=client_options, **options)
