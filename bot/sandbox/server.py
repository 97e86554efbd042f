"""The sandbox's REST API under `/api/v10` and its gateway, served on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import BodyPartReader, web

from bot.limits import (
    COMMAND_CREATES_PER_DAY,
    SCHEDULED_EVENTS_UNFINISHED,
    THREAD_AUTO_ARCHIVE_CHOICES,
    THREAD_DEFAULT_AUTO_ARCHIVE_MINUTES,
)
from bot.sandbox import limits as discord_limits
from bot.sandbox.commands import check_commands
from bot.sandbox.gateway import GUILD_MEMBERS as GUILD_MEMBERS_INTENT
from bot.sandbox.gateway import MESSAGE_CONTENT, Gateway, Session
from bot.sandbox.leaks import LeakCheck
from bot.sandbox.permissions import Overwrite, P, names
from bot.sandbox.ratelimit import Limits, RateLimiter
from bot.sandbox.spec import SpecValidator
from bot.sandbox.state import (
    JSON,
    Attachment,
    Channel,
    ChannelType,
    EntityType,
    EventStatus,
    Guild,
    Member,
    Message,
    Role,
    ScheduledEvent,
    Snowflakes,
    User,
    iso,
)

log = logging.getLogger("bot.sandbox")

API = "/api/v10"
ACK_DEADLINE_S = 3.0
FOLLOWUP_WINDOW = timedelta(minutes=15)
EPHEMERAL = 64
# Guild scheduled event statuses each may move to (1 scheduled, 2 active, 3 completed, 4 cancelled).
_EVENT_MOVES: dict[int, tuple[int, ...]] = {
    EventStatus.SCHEDULED: (EventStatus.ACTIVE, EventStatus.CANCELED),
    EventStatus.ACTIVE: (EventStatus.COMPLETED,),
}
LOADING = 128
# A 429 longer than this makes discord.py sleep long enough to stall the bot (and a test).
LONG_WAIT_S = 10.0
# Discord ends an active voice or stage event a few minutes after its channel empties, and
# cancels an event that never started some hours after its start (resources/guild-scheduled-
# event.md, "Guild Scheduled Event Status Update Automation": "on the order of minutes" and
# "on the order of hours").
EVENT_EMPTY_CHANNEL_ENDS_AFTER = timedelta(minutes=5)
EVENT_UNSTARTED_CANCELLED_AFTER = timedelta(hours=3)


# The header of a test's own raw request (tests/sandbox/rest.py): not the bot speaking.
TEST_REQUEST = "X-Sandbox-Test"


class HttpError(Exception):
    """An error answered in Discord's shape."""

    def __init__(
        self, status: int, code: int, message: str, errors: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors
        self.headers: dict[str, str] = {}

    def body(self) -> JSON:
        data: JSON = {"message": self.message, "code": self.code}
        if self.errors:
            data["errors"] = self.errors
        return data


class RateLimitedError(HttpError):
    """A 429 from a sub-limit (e.g. renames) while the route's bucket still has room."""

    def __init__(
        self, retry_after: float, *, code: int = 0, message: str = "You are being rate limited."
    ) -> None:
        super().__init__(429, code, message)
        self.retry_after = retry_after
        self.headers = {
            "Retry-After": str(max(1, round(retry_after))),
            "X-RateLimit-Scope": "user",
        }

    def body(self) -> JSON:
        return {
            "message": self.message,
            "retry_after": self.retry_after,
            "global": False,
            "code": self.code,
        }


def numbered(components: list[JSON]) -> list[JSON]:
    """A message's components as Discord stores them: each with an `id`, numbered in order
    through the tree where the bot gave none (components/reference.md, "id")."""
    taken = {c["id"] for c in _walk(components) if isinstance(c.get("id"), int)}
    counter = iter(i for i in range(1, 10_000) if i not in taken)

    def copy(component: JSON) -> JSON:
        # Discord leaves out what is empty (a unicode emoji's null id, an unset description).
        stored = {k: _without_nulls(v) for k, v in component.items() if v is not None}
        if not isinstance(stored.get("id"), int):
            stored["id"] = next(counter)
        if isinstance(stored.get("components"), list):
            stored["components"] = [copy(c) for c in stored["components"]]
        if isinstance(stored.get("component"), dict):
            stored["component"] = copy(stored["component"])
        if isinstance(stored.get("accessory"), dict):
            stored["accessory"] = copy(stored["accessory"])
        return stored

    return [copy(c) for c in components]


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _walk(components: list[JSON]) -> list[JSON]:
    found: list[JSON] = []
    for component in components:
        found.append(component)
        found += _walk(component.get("components") or [])
        for key in ("component", "accessory"):
            if isinstance(component.get(key), dict):
                found += _walk([component[key]])
    return found


def _field_error(name: str, code: str, message: str) -> dict[str, Any]:
    return {name: {"_errors": [{"code": code, "message": message}]}}


def missing_permissions(needed: int) -> HttpError:
    return HttpError(403, 50013, f"Missing Permissions: {', '.join(names(needed))}")


def unknown(what: str, code: int) -> HttpError:
    return HttpError(404, code, f"Unknown {what}")


@dataclass
class Interaction:
    """An interaction the driver created, and everything the bot answered to it."""

    id: int
    token: str
    type: int
    guild_id: int
    channel_id: int
    user_id: int
    created_monotonic: float
    created_at: datetime
    response_type: int | None = None
    response_message: Message | None = None
    followups: list[Message] = field(default_factory=list)
    modal: JSON | None = None
    choices: list[JSON] | None = None
    source_message_id: int | None = None
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    # Monotonic instants of INTERACTION_CREATE going out and of the bot's first callback
    # (a defer counts): what Discord's 3-second deadline, and bench/, measure.
    dispatched_monotonic: float | None = None
    answered_monotonic: float | None = None
    # The instant the outcome reached Discord: a callback that is not a defer, or else the
    # first edit of the deferred answer or follow-up.
    outcome_monotonic: float | None = None

    @property
    def ack_seconds(self) -> float | None:
        """Seconds from dispatch to the bot's callback; None until both happened."""
        if self.dispatched_monotonic is None or self.answered_monotonic is None:
            return None
        return self.answered_monotonic - self.dispatched_monotonic

    @property
    def outcome_seconds(self) -> float | None:
        """Seconds from dispatch to the outcome (after a defer, the answer that replaced it);
        None until both happened."""
        if self.dispatched_monotonic is None or self.outcome_monotonic is None:
            return None
        return self.outcome_monotonic - self.dispatched_monotonic

    def outcome_at(self, moment: float) -> None:
        """Record when the outcome arrived (the first time only)."""
        if self.outcome_monotonic is None:
            self.outcome_monotonic = moment


@dataclass(frozen=True)
class Created:
    """A handler's answer that Discord gives as 201 Created (e.g. a new thread)."""

    payload: JSON


@dataclass
class Request:
    """A parsed REST request."""

    method: str
    path: str
    template: str
    params: dict[str, str]
    query: dict[str, str]
    json: Any
    files: list[tuple[str, str, bytes]]
    authorised: bool
    received_monotonic: float = 0.0  # when the request reached the sandbox


Handler = Callable[[Request], Awaitable[Any]]

# Gateway events about one channel, and the field naming it: only a bot that can view that
# channel receives them.
_CHANNEL_EVENTS = {
    "MESSAGE_CREATE": "channel_id",
    "MESSAGE_UPDATE": "channel_id",
    "MESSAGE_DELETE": "channel_id",
    "MESSAGE_DELETE_BULK": "channel_id",
    "TYPING_START": "channel_id",
    "THREAD_CREATE": "id",
    "THREAD_UPDATE": "id",
    "THREAD_DELETE": "id",
    "THREAD_MEMBER_UPDATE": "id",
    "THREAD_MEMBERS_UPDATE": "id",
}

# Discord checks an enforced nonce "in the past few minutes".
NONCE_WINDOW = timedelta(minutes=5)
SERVER_ERRORS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


@dataclass
class Outage:
    """The next `times` requests to one route (where `params` match) answer `status`;
    with `lost_answer`, after doing the work (the write happened, its answer did not arrive)."""

    method: str
    template: str
    params: dict[str, str]
    times: int
    status: int
    lost_answer: bool = False
    skip: int = 0  # matching requests let through first


@dataclass
class Stall:
    """The next request to one route (where `params` match; any route when `template` is
    None), after `skip` others, is held without an answer until `released`: the bot waits on
    Discord at that instant, where a test can stop it (`Sandbox.crash_bot`). With `performed`
    Discord does the work first, and only its answer never comes."""

    method: str | None
    template: str | None
    params: dict[str, str]
    skip: int = 0
    performed: bool = False
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)
    # What was held: (method, path).
    request: tuple[str, str] | None = None


class SandboxServer:
    """Discord, as far as Twinbridge uses it, in memory."""

    def __init__(
        self,
        *,
        spec: SpecValidator | None = None,
        limits: Limits | None = None,
        record_path: Path | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        privileged_intents: int = 0,
    ) -> None:
        self.ids = Snowflakes()
        self.token = "sandbox." + secrets.token_urlsafe(24)
        self.application_id = self.ids.next()
        self.bot_user = User(self.ids.next(), "Twinbridge", bot=True)
        self.users: dict[int, User] = {self.bot_user.id: self.bot_user}
        self.guilds: dict[int, Guild] = {}
        # Direct-message channels the bot opened: channel id → the person's user id.
        self.direct: dict[int, int] = {}
        self.messages: dict[int, Message] = {}
        self.attachments: dict[int, Attachment] = {}
        self.global_commands: list[JSON] = []
        self.guild_commands: dict[int, list[JSON]] = {}
        self._command_ids: dict[tuple[int | None, str, int], int] = {}
        # Command creations per scope (guild id, None for global), for the daily limit.
        self._creations: dict[int | None, list[datetime]] = {}
        self.interactions: dict[int, Interaction] = {}
        self._by_token: dict[str, Interaction] = {}
        self.spec = spec
        self.ratelimiter = RateLimiter(limits, now=now)
        self.record_path = record_path
        self.now = now
        self.problems: list[str] = []
        # 429 answers that make discord.py sleep long (unless its max_ratelimit_timeout is
        # lower): (method and path, retry_after). The driver fails a test that stalls on one.
        self.long_waits: list[tuple[str, float]] = []
        self._banned_said = False
        # Distinct response shapes already checked against the spec, with their verdicts.
        # Called with ("new" | "edit", message) for every message: the demo's transcript.
        self.watchers: list[Callable[[str, Message], None]] = []
        self.requests: list[tuple[str, str]] = []
        self.outages: list[Outage] = []
        self.stalls: list[Stall] = []
        # (author id, nonce) -> (message id, when): messages sent with `enforce_nonce`.
        self._nonces: dict[tuple[int, str], tuple[int, datetime]] = {}
        self.in_flight = 0
        # The pseudo-locale's check of the bot's texts (bot.sandbox.leaks), when it is on.
        self.leak_check: LeakCheck | None = None
        # The shards `GET /gateway/bot` recommends (Discord: one per 1,000 servers or so).
        self.shard_count = 1
        self.base_url = ""
        self.gateway = Gateway(
            token=self.token,
            ready_payload=self._ready,
            guild_payloads=lambda session: [
                self.guild_create(g, session) for g in self.guilds.values() if session.serves(g.id)
            ],
            resume_url=lambda: self.gateway_url,
            privileged_allowed=privileged_intents,
            member_chunk=self._member_chunk,
            visible=self._bot_sees,
        )
        self._routes: list[tuple[str, str, re.Pattern[str], Handler]] = []
        self._register_routes()
        self._runner: web.AppRunner | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def gateway_url(self) -> str:
        return self.base_url.replace("http://", "ws://") + "/gateway"

    async def start(self) -> None:
        # Room for requests beyond Discord's 25 MiB, so they get Discord's 40005, not aiohttp's.
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/attachments/{attachment_id}/{filename}", self._serve_attachment)
        app.router.add_route("*", API + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self.base_url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        self.release_stalls()
        await self.gateway.cut()
        if self._runner is not None:
            await self._runner.cleanup()

    def _ready(self, session: Session) -> JSON:
        return {
            "v": 10,
            "user": self.bot_user.to_payload(),
            "guilds": [
                {"id": str(g), "unavailable": True} for g in self.guilds if session.serves(g)
            ],
            "session_id": session.id,
            "resume_gateway_url": self.gateway_url,
            "shard": list(session.shard),
            "application": {"id": str(self.application_id), "flags": 0},
        }

    def guild_create(self, guild: Guild, session: Session) -> JSON:
        """GUILD_CREATE for one gateway session: every member only with the members intent."""
        return guild.to_payload(
            self.users,
            self_id=self.bot_user.id,
            every_member=bool(session.intents & GUILD_MEMBERS_INTENT),
        )

    def _member_chunk(self, session: Session, data: JSON) -> JSON | None:
        """Answer op 8 (Request Guild Members) as Discord does, in a single chunk.

        By user ids, or by a prefix of the username. The whole member list (an empty query)
        needs the privileged members intent, which Twinbridge does not ask for.
        """
        guild = self.guilds.get(int(data.get("guild_id") or 0))
        if guild is None:
            self.problem(f"op 8 for an unknown guild: {data.get('guild_id')!r}")
            return None
        limit = int(data.get("limit") or 0)
        if not 0 <= limit <= 100:
            self.problem(f"op 8 with a limit of {limit}; Discord allows 0-100")
            return None
        user_ids = data.get("user_ids")
        not_found: list[str] = []
        if user_ids is not None:
            ids = [int(u) for u in (user_ids if isinstance(user_ids, list) else [user_ids])]
            if len(ids) > 100:
                self.problem(f"op 8 with {len(ids)} user ids; Discord allows 100")
                return None
            found = [guild.members[i] for i in ids if i in guild.members]
            not_found = [str(i) for i in ids if i not in guild.members]
        else:
            query = str(data.get("query") or "")
            if not query and not session.intents & GUILD_MEMBERS_INTENT:
                self.problem("op 8 asked for every member without the members intent")
                return None
            wanted = query.casefold()
            found = [
                m for m in guild.members.values() if m.user.username.casefold().startswith(wanted)
            ]
            found = found[: limit or len(found)]
        chunk: JSON = {
            "guild_id": str(guild.id),
            "members": [m.to_payload() for m in found],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": not_found,
        }
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        return chunk

    # -- plumbing ------------------------------------------------------------------------------

    def _register_routes(self) -> None:
        table: list[tuple[str, str, Handler]] = [
            ("GET", "/users/@me", self._get_me),
            ("POST", "/users/@me/channels", self._open_direct),
            ("GET", "/oauth2/applications/@me", self._get_application),
            ("GET", "/applications/@me", self._get_application),
            ("GET", "/gateway", self._get_gateway),
            ("GET", "/gateway/bot", self._get_gateway),
            ("GET", "/applications/{application_id}/commands", self._get_commands),
            ("PUT", "/applications/{application_id}/commands", self._put_commands),
            (
                "GET",
                "/applications/{application_id}/guilds/{guild_id}/commands",
                self._get_commands,
            ),
            (
                "PUT",
                "/applications/{application_id}/guilds/{guild_id}/commands",
                self._put_commands,
            ),
            ("POST", "/interactions/{interaction_id}/{interaction_token}/callback", self._callback),
            ("POST", "/webhooks/{application_id}/{webhook_token}", self._followup),
            (
                "GET",
                "/webhooks/{application_id}/{webhook_token}/messages/{message_id}",
                self._wh_get,
            ),
            (
                "PATCH",
                "/webhooks/{application_id}/{webhook_token}/messages/{message_id}",
                self._wh_edit,
            ),
            (
                "DELETE",
                "/webhooks/{application_id}/{webhook_token}/messages/{message_id}",
                self._wh_delete,
            ),
            ("GET", "/channels/{channel_id}", self._get_channel),
            ("PATCH", "/channels/{channel_id}", self._edit_channel),
            ("DELETE", "/channels/{channel_id}", self._delete_channel),
            ("PUT", "/channels/{channel_id}/permissions/{overwrite_id}", self._put_overwrite),
            ("DELETE", "/channels/{channel_id}/permissions/{overwrite_id}", self._delete_overwrite),
            ("GET", "/channels/{channel_id}/messages", self._list_messages),
            ("POST", "/channels/{channel_id}/messages", self._create_message),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self._get_message),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self._edit_message),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", self._delete_message),
            ("POST", "/channels/{channel_id}/threads", self._create_thread),
            ("PUT", "/channels/{channel_id}/thread-members/{user_id}", self._add_thread_member),
            (
                "DELETE",
                "/channels/{channel_id}/thread-members/{user_id}",
                self._remove_thread_member,
            ),
            ("GET", "/guilds/{guild_id}", self._get_guild),
            ("GET", "/guilds/{guild_id}/channels", self._list_channels),
            ("POST", "/guilds/{guild_id}/channels", self._create_channel),
            ("GET", "/guilds/{guild_id}/roles", self._list_roles),
            # Before the member route, whose {user_id} would take "search".
            ("GET", "/guilds/{guild_id}/members/search", self._search_members),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self._get_member),
            ("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", self._add_role),
            ("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", self._remove_role),
            ("GET", "/guilds/{guild_id}/scheduled-events", self._list_events),
            ("POST", "/guilds/{guild_id}/scheduled-events", self._create_event),
            ("GET", "/guilds/{guild_id}/scheduled-events/{event_id}", self._get_event),
            ("PATCH", "/guilds/{guild_id}/scheduled-events/{event_id}", self._edit_event),
            ("DELETE", "/guilds/{guild_id}/scheduled-events/{event_id}", self._delete_event),
        ]
        for method, template, handler in table:
            pattern = re.compile(
                "^"
                + re.sub(
                    r"\{(\w+)\}",
                    r"(?P<\1>[^/]+)",
                    re.escape(template).replace(r"\{", "{").replace(r"\}", "}"),
                )
                + "$"
            )
            self._routes.append((method, template, pattern, handler))

    def _match(self, method: str, path: str) -> tuple[str, dict[str, str], Handler] | None:
        for route_method, template, pattern, handler in self._routes:
            if route_method == method and (m := pattern.match(path)):
                return template, m.groupdict(), handler
        return None

    def fail_next(
        self,
        method: str,
        template: str,
        *,
        times: int = 1,
        status: int = 500,
        lost_answer: bool = False,
        skip: int = 0,
        **params: object,
    ) -> Outage:
        """Answer the next `times` requests to a route with a server error, as Discord does
        in an incident (e.g. `fail_next("POST", "/channels/{channel_id}/messages",
        channel_id=space.id, status=503)`), after letting `skip` of them through. With
        `lost_answer` the request is carried out first and only its answer is the error, as
        when a gateway times out after the write.

        discord.py itself retries 500, 502, 504 and 524 up to five times, sleeping 1, 3, 5,
        7 s between; it raises 503 (and a sixth 500) to the caller at once.
        """
        if not any(m == method and t == template for m, t, _, _ in self._routes):
            raise ValueError(f"the sandbox has no route {method} {template}")
        if status not in SERVER_ERRORS or times < 1:
            raise ValueError(f"a server error is one of {sorted(SERVER_ERRORS)}, at least once")
        outage = Outage(
            method,
            template,
            {k: str(v) for k, v in params.items()},
            times,
            status,
            lost_answer,
            skip,
        )
        self.outages.append(outage)
        return outage

    def _outage(self, method: str, template: str, params: dict[str, str]) -> Outage | None:
        """The planned server error for this request (counting it), or None."""
        for outage in self.outages:
            if (
                outage.times > 0
                and outage.method == method
                and outage.template == template
                and all(params.get(k) == v for k, v in outage.params.items())
            ):
                if outage.skip > 0:
                    outage.skip -= 1
                    return None
                outage.times -= 1
                return outage
        return None

    def stall_next(
        self,
        method: str | None = None,
        template: str | None = None,
        *,
        skip: int = 0,
        performed: bool = False,
        **params: object,
    ) -> Stall:
        """Hold the next matching request unanswered (see `Stall`), e.g. the second channel a
        pairing round creates: `stall_next("POST", "/guilds/{guild_id}/channels", skip=1)`."""
        if template is not None and not any(
            m == method and t == template for m, t, _, _ in self._routes
        ):
            raise ValueError(f"the sandbox has no route {method} {template}")
        stall = Stall(method, template, {k: str(v) for k, v in params.items()}, skip, performed)
        self.stalls.append(stall)
        return stall

    def _stall(self, method: str, template: str, params: dict[str, str]) -> Stall | None:
        """The stall this request falls into (counting skipped requests), or None."""
        if template.startswith(("/interactions/", "/webhooks/")):
            return None  # answering users is not what a stall is about
        for stall in self.stalls:
            if stall.reached.is_set():
                continue
            if stall.method not in (None, method) or stall.template not in (None, template):
                continue
            if not all(params.get(k) == v for k, v in stall.params.items()):
                continue
            if stall.skip > 0:
                stall.skip -= 1
                return None
            return stall
        return None

    def withdraw(self, stall: Stall) -> None:
        """A stall no request reached is no longer wanted."""
        if stall in self.stalls and not stall.reached.is_set():
            self.stalls.remove(stall)

    def release_stalls(self) -> None:
        """Let every held request go (answered 503: its caller is gone by then)."""
        for stall in self.stalls:
            stall.released.set()
        self.stalls.clear()

    def _server_error(self, status: int) -> web.Response:
        message = f"{status}: {SERVER_ERRORS[status]}"
        return self._json({"message": message, "code": 0}, status=status)

    def problem(self, text: str) -> None:
        """Something the real Discord would refuse, or a bot failure: fails the running test."""
        log.error("sandbox problem: %s", text)
        self.problems.append(text)

    @staticmethod
    def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
        # discord.py decodes JSON only for exactly "application/json" (no charset suffix).
        body = json.dumps(data).encode()
        # Discord's edge always sends Via; discord.py reads a 429 without it as a Cloudflare ban.
        base = {"Content-Type": "application/json", "Via": "1.1 google"}
        return web.Response(body=body, status=status, headers={**base, **(headers or {})})

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        self.in_flight += 1
        try:
            return await self._handle_rest(request)
        except Exception as exc:
            # A sandbox bug must fail the test that hit it, loudly and with its cause.
            log.exception("sandbox failed on %s %s", request.method, request.path)
            self.problem(f"sandbox error on {request.method} {request.path}: {exc!r}")
            return self._json({"message": "500: Internal Server Error", "code": 0}, status=500)
        finally:
            self.in_flight -= 1

    async def _handle_rest(self, request: web.Request) -> web.StreamResponse:
        received = time.monotonic()
        # Let the other requests of a burst be stamped as they arrive too, rather than after
        # this single-threaded sandbox has worked through each one before them: Discord's
        # deadline, and bench/, count from arrival.
        await asyncio.sleep(0)
        path = request.path[len(API) :]
        method = request.method
        self.requests.append((method, path))
        # What Discord did by itself while the clock moved (threads archived, events started).
        await self.catch_up()
        matched = self._match(method, path)
        if matched is None:
            self.problem(f"unknown route {method} {path}")
            return self._json({"message": "404: Not Found", "code": 0}, status=404)
        template, params, handler = matched
        body, files = await self._read_body(request)
        # Everything the bot sends (discord.py's webhooks carry no "DiscordBot" agent); a
        # test's own raw request says so.
        if self.leak_check is not None and TEST_REQUEST not in request.headers:
            found = len(self.leak_check.leaks)
            before = self._texts_before(method, params)
            self.leak_check.inspect(method, template, body, self.world_names, before)
            for leak in self.leak_check.leaks[found:]:
                if not self.leak_check.listing_only:
                    self.problem(f"pseudo-locale: text that skipped the catalogue: {leak}")
        response = await self._answer(
            request, received, method, template, params, handler, body, files
        )
        # Only discord.py sleeps out a 429 (a test's own raw request does not).
        client = request.headers.get("User-Agent", "").startswith("DiscordBot")
        self._answered(method, path, body, response, client=client)
        return response

    def _answered(
        self, method: str, path: str, body: Any, response: web.Response, *, client: bool
    ) -> None:
        """Count, record and check one answer as it leaves."""
        scope = response.headers.get("X-RateLimit-Scope")
        self.ratelimiter.count_invalid(response.status, scope)
        answer: Any = None
        raw: bytes | None = None
        if response.body is not None and response.content_type == "application/json":
            body_bytes = response.body
            assert isinstance(body_bytes, bytes)
            raw = body_bytes
            answer = json.loads(raw)
        if response.status == 429 and isinstance(answer, dict):
            wait = float(answer.get("retry_after") or 0)
            if wait > LONG_WAIT_S and client:
                self.long_waits.append((f"{method} {path}", wait))
        if self.record_path is not None:
            line = {"method": method, "path": path, "json": body}
            line |= {"status": response.status, "response": answer}
            with self.record_path.open("a", encoding="utf-8") as out:
                out.write(json.dumps(line) + "\n")
        # Server errors and Cloudflare's ban page are not Discord's API answering: the spec
        # leaves them out.
        checked = response.status < 500 and (answer is not None or response.status != 429)
        if self.spec is not None and checked:
            violations = self._check_response(method, path, response.status, answer, raw)
            if violations:
                self.problem(
                    f"the sandbox's {response.status} answer to {method} {path} breaks "
                    f"Discord's OpenAPI spec: {violations[:3]}"
                )

    def _check_response(
        self, method: str, path: str, status: int, answer: Any, raw: bytes | None = None
    ) -> list[str]:
        assert self.spec is not None
        return self.spec.response_verdict(method, path, status, answer, raw)

    async def _answer(
        self,
        request: web.Request,
        received: float,
        method: str,
        template: str,
        params: dict[str, str],
        handler: Handler,
        body: Any,
        files: list[tuple[str, str, bytes]],
    ) -> web.Response:
        path = request.path[len(API) :]
        if self.ratelimiter.banned():
            # Cloudflare's temporary ban: a 429 without Discord's Via header or JSON body.
            if not self._banned_said:
                self._banned_said = True
                self.problem(
                    f"{self.ratelimiter.invalid_recently()} invalid requests (401, 403, 429) "
                    "within 10 minutes: Discord bans the bot's address for a while"
                )
            return web.Response(
                text="error code: 1015", status=429, headers={"Retry-After": "3600"}
            )

        failing = self._outage(method, template, params)
        if failing is not None and not failing.lost_answer:
            return self._server_error(failing.status)

        exempt = template.startswith(("/interactions/", "/webhooks/"))
        # Discord's major parameters; an interaction's callback has a bucket of its own (a
        # shared one would cap a bot at 50 answers a second across all its users).
        major = (
            params.get("channel_id")
            or params.get("guild_id")
            or params.get("webhook_token")
            or params.get("interaction_id", "")
        )
        verdict = self.ratelimiter.check(method, template, major, exempt_global=exempt)
        if verdict.retry_after > 0:
            return self._json(
                {
                    "message": "You are being rate limited.",
                    "retry_after": verdict.retry_after,
                    "global": verdict.is_global,
                    "code": 0,
                },
                status=429,
                headers={**verdict.headers, "Retry-After": str(max(1, round(verdict.retry_after)))},
            )

        authorised = request.headers.get("Authorization") == f"Bot {self.token}"
        if not exempt and not authorised:
            return self._json({"message": "401: Unauthorized", "code": 0}, status=401)

        if body is not None and self.spec is not None:
            violations = self.spec.validate(method, path, body)
            if violations:
                self.problem(f"{method} {path} breaks Discord's OpenAPI spec: {violations[:3]}")
                return self._json(
                    {
                        "message": "Invalid Form Body",
                        "code": 50035,
                        "errors": {
                            "_errors": [{"code": "OPENAPI_SPEC", "message": v} for v in violations]
                        },
                    },
                    status=400,
                )

        query = {k: v for k, v in request.query.items()}
        req = Request(method, path, template, params, query, body, files, authorised, received)
        stall = self._stall(method, template, params)
        if stall is not None:
            stall.request = (method, path)
            if stall.performed:
                with contextlib.suppress(HttpError, discord_limits.DiscordLimitError):
                    await handler(req)
            stall.reached.set()
            await stall.released.wait()
            return self._server_error(503)
        try:
            result = await handler(req)
            if failing is not None:
                return self._server_error(failing.status)
        except discord_limits.DiscordLimitError as exc:
            self.problem(f"{method} {path}: {exc.errors or exc.message}")
            return self._json(
                {"message": exc.message, "code": exc.code, "errors": exc.errors}, status=exc.status
            )
        except HttpError as exc:
            if exc.status >= 500:
                self.problem(f"{method} {path}: {exc.message}")
            return self._json(exc.body(), status=exc.status, headers=verdict.headers | exc.headers)
        if result is None:
            return web.Response(status=204, headers=verdict.headers)
        if isinstance(result, Created):
            return self._json(result.payload, status=201, headers=verdict.headers)
        return self._json(result, headers=verdict.headers)

    async def _read_body(self, request: web.Request) -> tuple[Any, list[tuple[str, str, bytes]]]:
        files: list[tuple[str, str, bytes]] = []
        if not request.can_read_body:
            return None, files
        if request.content_type.startswith("multipart/"):
            body: Any = None
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader):
                    continue
                if part.name == "payload_json":
                    body = json.loads(await part.text())
                else:
                    data = await part.read()
                    files.append(
                        (part.filename or "file", part.headers.get("Content-Type", ""), data)
                    )
            return body, files
        raw = await request.read()
        return (json.loads(raw) if raw else None), files

    async def _serve_attachment(self, request: web.Request) -> web.Response:
        attachment = self.attachments.get(int(request.match_info["attachment_id"]))
        if attachment is None:
            return web.Response(status=404)
        return web.Response(body=attachment.data, content_type=attachment.content_type or None)

    # -- lookups -------------------------------------------------------------------------------

    def guild(self, guild_id: int | str) -> Guild:
        guild = self.guilds.get(int(guild_id))
        if guild is None:
            raise unknown("Guild", 10004)
        return guild

    def channel(self, channel_id: int | str) -> tuple[Guild, Channel]:
        for guild in self.guilds.values():
            channel = guild.channels.get(int(channel_id))
            if channel is not None:
                return guild, channel
        raise unknown("Channel", 10003)

    def check_thread_write(self, guild: Guild, thread: Channel, user_id: int) -> None:
        """What Discord does to a message sent in a locked or archived thread.

        Since March 2023 a locked thread takes messages only from Manage Threads holders,
        archived or not. Sending in an archived thread un-archives it when the sender may
        (anyone who can write there if it is not locked; Manage Threads holders otherwise),
        and everyone who sees the thread is told (THREAD_UPDATE). topics/threads.md: "Sending
        a message will automatically unarchive the thread, unless the thread has been locked".
        """
        moderator = bool(
            guild.permissions_in(user_id, thread.id) & (P.MANAGE_THREADS | P.ADMINISTRATOR)
        )
        if thread.locked and not moderator:
            raise HttpError(403, 160005, "Thread is locked")
        now = self.now()
        if thread.archived:
            thread.archived = False
            thread.archive_timestamp = now
            self._announce("THREAD_UPDATE", thread.to_payload())
        thread.last_activity = now

    def _check_thread_edit(self, guild: Guild, channel: Channel) -> None:
        """topics/threads.md: nobody edits messages in an archived thread, and in a locked one
        only Manage Threads holders do."""
        if not channel.is_thread:
            return
        if channel.archived:
            raise HttpError(400, 50083, "Thread is archived")
        perms = guild.permissions_in(self.bot_user.id, channel.id)
        if channel.locked and not perms & (P.MANAGE_THREADS | P.ADMINISTRATOR):
            raise HttpError(403, 160005, "Thread is locked")

    def _require(self, guild: Guild, needed: int, channel: Channel | None = None) -> None:
        have = (
            guild.permissions_in(self.bot_user.id, channel.id)
            if channel is not None
            else guild.base_permissions(self.bot_user.id)
        )
        if have & P.ADMINISTRATOR:
            return
        lacking = needed & ~have
        if lacking:
            raise missing_permissions(lacking)

    def _bot_sees(self, event: str, data: JSON) -> bool:
        """Whether Discord sends the bot this gateway event: not one about a channel (a message,
        a thread) the bot cannot view (topics/threads.md: "Clients will not be informed of a
        thread through the gateway if they do not have permission to view that thread")."""
        key = _CHANNEL_EVENTS.get(event)
        if key is None or data.get(key) is None:
            return True
        channel_id = int(data[key])
        for guild in self.guilds.values():
            if channel_id in guild.channels and self.bot_user.id in guild.members:
                return guild.can_view(self.bot_user.id, channel_id)
        return True  # a channel just deleted: its last event still goes out

    def _announce(self, event: str, data: JSON) -> None:
        """Dispatch from synchronous code, as its own task (the bot is busy until it is sent)."""
        asyncio.get_running_loop().create_task(
            self.gateway.dispatch(event, data), name="sandbox-dispatch"
        )

    # -- what Discord does by itself as time passes ----------------------------------------------

    def _changes_due(self) -> list[tuple[datetime, Channel | ScheduledEvent, int]]:
        """Discord's own changes and when each falls due: a thread archives (value 0) or an
        event moves to a status."""
        due: list[tuple[datetime, Channel | ScheduledEvent, int]] = []
        for guild in self.guilds.values():
            for channel in guild.channels.values():
                when = channel.archives_at()
                if when is not None:
                    due.append((when, channel, 0))
            for event in guild.events.values():
                move = self._event_move(guild, event)
                if move is not None:
                    due.append((move[0], event, move[1]))
        due.sort(key=lambda d: d[0])
        return due

    def _event_move(self, guild: Guild, event: ScheduledEvent) -> tuple[datetime, int] | None:
        """The status Discord moves an event to by itself, and when (resources/guild-scheduled-
        event.md, "Guild Scheduled Event Status Update Automation")."""
        if event.status == EventStatus.SCHEDULED:
            if event.entity_type == EntityType.EXTERNAL:
                return event.starts, EventStatus.ACTIVE
            return event.starts + EVENT_UNSTARTED_CANCELLED_AFTER, EventStatus.CANCELED
        if event.status != EventStatus.ACTIVE:
            return None
        if event.entity_type == EntityType.EXTERNAL:
            ends = event.ends
            return (ends, EventStatus.COMPLETED) if ends is not None else None
        if event.channel_id is None or guild.in_voice(event.channel_id):
            return None
        emptied = max(
            event.status_since, guild.voice_left_at.get(event.channel_id, event.status_since)
        )
        return emptied + EVENT_EMPTY_CHANNEL_ENDS_AFTER, EventStatus.COMPLETED

    def next_change(self) -> datetime | None:
        """When Discord next changes something by itself (None: nothing pending)."""
        due = self._changes_due()
        return due[0][0] if due else None

    async def catch_up(self) -> None:
        """Carry out, in time order, what Discord does by itself up to the sandbox's now: idle
        threads archive (THREAD_UPDATE), events start, end or are cancelled."""
        now = self.now()
        for _ in range(10_000):
            due = self._changes_due()
            if not due or due[0][0] > now:
                return
            when, target, status = due[0]
            if isinstance(target, Channel):
                target.archived = True
                target.archive_timestamp = when
                await self.gateway.dispatch("THREAD_UPDATE", target.to_payload())
            else:
                target.status = status
                target.status_since = when
                await self.gateway.dispatch(
                    "GUILD_SCHEDULED_EVENT_UPDATE",
                    target.to_payload(self.users.get(target.creator_id)),
                )

    # -- identity ------------------------------------------------------------------------------

    async def _get_me(self, req: Request) -> JSON:
        return {**self.bot_user.to_payload(), "mfa_enabled": False, "locale": "en-US"}

    async def _get_application(self, req: Request) -> JSON:
        return {
            "id": str(self.application_id),
            "name": "Twinbridge",
            "icon": None,
            "description": "",
            "type": None,
            "bot_public": False,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": 0,
            "flags_new": "0",
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "owner": self.bot_user.to_payload(),
            "approximate_guild_count": len(self.guilds),
            "approximate_user_install_count": 0,
            "approximate_user_authorization_count": 0,
            "explicit_content_filter": 0,
            "team": None,
            "eligible_oauth2_scopes": [],
            "summary": "",
            "bot": self.bot_user.to_payload(),
        }

    async def _get_gateway(self, req: Request) -> JSON:
        return {
            "url": self.gateway_url,
            "shards": self.shard_count,
            "session_start_limit": {
                "total": 1000,
                "remaining": 999,
                "reset_after": 0,
                "max_concurrency": 1,
            },
        }

    # -- application commands ------------------------------------------------------------------

    def _check_app(self, req: Request) -> None:
        if int(req.params["application_id"]) != self.application_id:
            raise unknown("Application", 10002)

    async def _get_commands(self, req: Request) -> list[JSON]:
        self._check_app(req)
        if "guild_id" in req.params:
            return self.guild_commands.get(int(req.params["guild_id"]), [])
        return self.global_commands

    async def _put_commands(self, req: Request) -> list[JSON]:
        self._check_app(req)
        guild_id = int(req.params["guild_id"]) if "guild_id" in req.params else None
        if guild_id is not None:
            self.guild(guild_id)
        check_commands(req.json)
        self._count_creations(guild_id, req.json or [])
        stored: list[JSON] = []
        for command in req.json or []:
            key = (guild_id, command["name"], int(command.get("type", 1)))
            command_id = self._command_ids.setdefault(key, self.ids.next())
            # A global command has no guild_id at all (the spec allows no null there).
            scope = {"guild_id": str(guild_id)} if guild_id else {}
            stored.append(
                {
                    **{k: v for k, v in command.items() if k != "guild_id"},
                    **scope,
                    "id": str(command_id),
                    "application_id": str(self.application_id),
                    "version": str(self.ids.next()),
                    "type": int(command.get("type", 1)),
                    "default_member_permissions": command.get("default_member_permissions"),
                    "nsfw": command.get("nsfw", False),
                    # A guild command is installed with the guild; Discord answers [0] then.
                    "integration_types": command.get("integration_types") or [0],
                    "options": command.get("options", []),
                    "description": command.get("description", ""),
                }
            )
        if guild_id is None:
            self.global_commands = stored
        else:
            self.guild_commands[guild_id] = stored
        return stored

    def _count_creations(self, guild_id: int | None, commands: list[JSON]) -> None:
        """application-commands.md: "a global rate limit of 200 application command creates
        per day, per guild". A command is created when its name is new to the scope."""
        now = self.now()
        recent = [t for t in self._creations.get(guild_id, []) if now - t < timedelta(days=1)]
        new = [
            c
            for c in commands
            if (guild_id, c.get("name"), int(c.get("type", 1))) not in self._command_ids
        ]
        if len(recent) + len(new) > COMMAND_CREATES_PER_DAY:
            # A 429 whose wait runs until the oldest creation is a day old.
            wait = (min(recent, default=now) + timedelta(days=1) - now).total_seconds()
            raise RateLimitedError(
                max(wait, 1.0),
                code=30034,
                message="Max number of daily application command creates has been reached "
                f"({COMMAND_CREATES_PER_DAY})",
            )
        self._creations[guild_id] = recent + [now] * len(new)

    def find_command(self, guild_id: int, name: str, kind: int = 1) -> JSON | None:
        """A registered command by name, guild commands first, as a user's client would list it."""
        for command in self.guild_commands.get(guild_id, []) + self.global_commands:
            if command["name"] == name and command["type"] == kind:
                return command
        return None

    # -- interactions --------------------------------------------------------------------------

    def add_interaction(self, interaction: Interaction) -> None:
        """An interaction a user started; its token lets the bot answer and follow up."""
        self.interactions[interaction.id] = interaction
        self._by_token[interaction.token] = interaction

    def _interaction(self, req: Request, token_key: str) -> Interaction:
        # By token in one lookup: a long test or benchmark makes thousands of interactions.
        interaction = self._by_token.get(req.params[token_key])
        if interaction is None:
            raise unknown("interaction", 10062)
        return interaction

    async def _callback(self, req: Request) -> JSON | None:
        interaction = self.interactions.get(int(req.params["interaction_id"]))
        if interaction is None or interaction.token != req.params["interaction_token"]:
            raise unknown("interaction", 10062)
        if interaction.response_type is not None:
            raise HttpError(400, 40060, "Interaction has already been acknowledged.")
        received = req.received_monotonic
        if received - interaction.created_monotonic > ACK_DEADLINE_S:
            self.problem(f"interaction {interaction.id} answered after {ACK_DEADLINE_S:.0f} s")
            raise unknown("interaction", 10062)
        body = req.json or {}
        kind = int(body.get("type", 0))
        data = body.get("data") or {}
        guild, channel = self.channel(interaction.channel_id)
        resource: JSON | None = None
        if kind == 4:
            message = self._new_message(
                guild, channel, data, req.files, interaction=interaction, check_perms=False
            )
            interaction.response_message = message
            resource = message.to_payload(self.users)
        elif kind == 5:
            flags = int(data.get("flags", 0)) | LOADING
            message = self._store_message(
                guild,
                channel,
                Message(
                    id=self.ids.next(),
                    channel_id=channel.id,
                    guild_id=guild.id,
                    author=self.bot_user,
                    flags=flags,
                    interaction_id=interaction.id,
                    visible_to=interaction.user_id if flags & EPHEMERAL else None,
                    application_id=self.application_id,
                ),
                announce=False,
            )
            interaction.response_message = message
            resource = message.to_payload(self.users)
        elif kind in (6, 7):
            if interaction.source_message_id is None:
                raise HttpError(400, 40061, "This interaction has no message to update.")
            source = self.messages[interaction.source_message_id]
            if kind == 7:
                await self._apply_edit(source, data, req.files)
            interaction.response_message = source
            resource = source.to_payload(self.users) if kind == 7 else None
        elif kind == 8:
            choices = data.get("choices", [])
            discord_limits.check_autocomplete_choices(choices)
            interaction.choices = choices
        elif kind == 9:
            discord_limits.check_modal(data)
            interaction.modal = data
        else:
            raise HttpError(400, 50035, f"Unsupported interaction callback type {kind}")
        interaction.response_type = kind
        interaction.answered_monotonic = received
        if kind not in (5, 6):
            interaction.outcome_at(received)
        interaction.answered.set()
        if req.query.get("with_response") not in ("1", "true", "True"):
            return None
        answer: JSON = {
            "interaction": {
                "id": str(interaction.id),
                "type": interaction.type,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(
                    interaction.response_message and interaction.response_message.ephemeral
                ),
            }
        }
        if interaction.response_message is not None:
            answer["interaction"]["response_message_id"] = str(interaction.response_message.id)
        # "Only present if type is either CHANNEL_MESSAGE_WITH_SOURCE or UPDATE_MESSAGE."
        if resource is not None and kind in (4, 7):
            answer["resource"] = {"type": kind, "message": resource}
        return answer

    def _check_followup_window(self, interaction: Interaction) -> None:
        if self.now() - interaction.created_at > FOLLOWUP_WINDOW:
            raise HttpError(401, 50027, "Invalid Webhook Token")

    async def _followup(self, req: Request) -> JSON | None:
        interaction = self._interaction(req, "webhook_token")
        self._check_followup_window(interaction)
        if interaction.response_type is None:
            raise HttpError(400, 40060, "Interaction has not been acknowledged.")
        loading = interaction.response_message
        if (
            interaction.response_type == 5
            and loading is not None
            and loading.flags & LOADING
            and not loading.deleted
        ):
            # receiving-and-responding.md, Create Followup Message: right after a deferred
            # (type 5) answer, a follow-up edits the "thinking…" message instead of creating
            # one; its ephemeral flag is ignored, the defer's stands.
            await self._apply_edit(loading, req.json or {}, req.files)
            interaction.outcome_at(req.received_monotonic)
            interaction.followups.append(loading)
            interaction.answered.set()
            return loading.to_payload(self.users)
        guild, channel = self.channel(interaction.channel_id)
        message = self._new_message(
            guild, channel, req.json or {}, req.files, interaction=interaction, check_perms=False
        )
        interaction.outcome_at(req.received_monotonic)
        interaction.followups.append(message)
        return message.to_payload(self.users)

    def _webhook_message(self, req: Request) -> tuple[Interaction, Message]:
        interaction = self._interaction(req, "webhook_token")
        self._check_followup_window(interaction)
        if req.params["message_id"] == "@original":
            if interaction.response_message is None:
                raise unknown("Message", 10008)
            return interaction, interaction.response_message
        message = self.messages.get(int(req.params["message_id"]))
        if message is None or message.deleted:
            raise unknown("Message", 10008)
        return interaction, message

    async def _wh_get(self, req: Request) -> JSON:
        _, message = self._webhook_message(req)
        return message.to_payload(self.users)

    async def _wh_edit(self, req: Request) -> JSON:
        interaction, message = self._webhook_message(req)
        if not message.ephemeral:
            guild, channel = self.channel(message.channel_id)
            self._check_thread_edit(guild, channel)
        await self._apply_edit(message, req.json or {}, req.files)
        interaction.outcome_at(req.received_monotonic)
        interaction.answered.set()
        return message.to_payload(self.users)

    async def _wh_delete(self, req: Request) -> None:
        _, message = self._webhook_message(req)
        await self._remove_message(message)

    # -- messages ------------------------------------------------------------------------------

    def _mentions(
        self, guild: Guild, content: str, allowed: JSON | None
    ) -> tuple[bool, list[int], list[int]]:
        """Who a message pings, after `allowed_mentions` (absent means: everything parses)."""
        parse = (
            set(allowed.get("parse", [])) if allowed is not None else {"everyone", "users", "roles"}
        )
        users_allowed = {int(u) for u in (allowed or {}).get("users", [])}
        roles_allowed = {int(r) for r in (allowed or {}).get("roles", [])}
        everyone = "everyone" in parse and bool(re.search(r"@(everyone|here)", content))
        user_ids = [int(u) for u in re.findall(r"<@!?(\d+)>", content)]
        role_ids = [int(r) for r in re.findall(r"<@&(\d+)>", content)]
        users = [u for u in user_ids if "users" in parse or u in users_allowed]
        roles = [
            r for r in role_ids if r in guild.roles and ("roles" in parse or r in roles_allowed)
        ]
        return everyone, users, roles

    def _attachments(self, files: list[tuple[str, str, bytes]]) -> list[Attachment]:
        stored = []
        for filename, content_type, data in files:
            attachment_id = self.ids.next()
            attachment = Attachment(
                attachment_id,
                filename,
                content_type,
                data,
                f"{self.base_url}/attachments/{attachment_id}/{filename}",
            )
            self.attachments[attachment_id] = attachment
            stored.append(attachment)
        return stored

    def _new_message(
        self,
        guild: Guild,
        channel: Channel,
        body: JSON,
        files: list[tuple[str, str, bytes]],
        *,
        author: User | None = None,
        interaction: Interaction | None = None,
        check_perms: bool = True,
    ) -> Message:
        author = author or self.bot_user
        if check_perms:
            needed = P.VIEW_CHANNEL | (
                P.SEND_MESSAGES_IN_THREADS if channel.is_thread else P.SEND_MESSAGES
            )
            if files:
                needed |= P.ATTACH_FILES
            if author.id == self.bot_user.id:
                self._require(guild, needed, channel)
            if channel.is_thread:
                self.check_thread_write(guild, channel, author.id)
        if channel.type == ChannelType.CATEGORY:
            raise HttpError(400, 50008, "Cannot send messages in a non-text channel")
        checked = {**body}
        if files:
            checked.setdefault("attachments", [{"id": i} for i in range(len(files))])
        discord_limits.check_message(checked)
        discord_limits.check_files(files)
        flags = int(body.get("flags") or 0)
        everyone, mentions, roles = self._mentions(
            guild, body.get("content") or "", body.get("allowed_mentions")
        )
        message = Message(
            id=self.ids.next(),
            channel_id=channel.id,
            guild_id=guild.id,
            author=author,
            content=body.get("content") or "",
            embeds=list(body.get("embeds") or []),
            components=numbered(body.get("components") or []),
            attachments=self._attachments(files),
            flags=flags,
            mention_everyone=everyone,
            mentions=mentions,
            mention_roles=roles,
            interaction_id=interaction.id if interaction else None,
            visible_to=interaction.user_id if interaction and flags & EPHEMERAL else None,
            application_id=self.application_id if interaction else None,
            created_at=self.now(),
        )
        return self._store_message(guild, channel, message, announce=not message.ephemeral)

    def _store_message(
        self, guild: Guild, channel: Channel, message: Message, *, announce: bool
    ) -> Message:
        self.messages[message.id] = message
        self._notify("new", message)
        if announce:
            asyncio.get_running_loop().create_task(
                self.gateway.dispatch("MESSAGE_CREATE", self._as_seen_by_bot(message)),
                name="sandbox-dispatch",
            )
        return message

    def _notify(self, what: str, message: Message) -> None:
        for watcher in self.watchers:
            watcher(what, message)

    def _as_seen_by_bot(self, message: Message) -> JSON:
        """A message event as the bot receives it: no content without the privileged intent."""
        payload = message.to_payload(self.users)
        mentioned = self.bot_user.id in message.mentions
        if (
            message.author.id != self.bot_user.id
            and not mentioned
            and not self.gateway.has_intent(MESSAGE_CONTENT)
        ):
            payload.update(content="", embeds=[], attachments=[], components=[])
        guild = self.guilds[message.guild_id]
        member = guild.members.get(message.author.id)
        if member is not None and not message.author.bot:
            member_payload = member.to_payload()
            member_payload.pop("user")
            payload["member"] = member_payload
        return payload

    async def _apply_edit(
        self, message: Message, body: JSON, files: list[tuple[str, str, bytes]]
    ) -> None:
        merged = {
            "content": body.get("content", message.content),
            "embeds": body.get("embeds", message.embeds),
            "components": body.get("components", message.components),
        }
        kept: list[Attachment] = []
        if "attachments" in body:
            keep_ids = {str(a.get("id")) for a in body.get("attachments") or []}
            kept = [a for a in message.attachments if str(a.id) in keep_ids]
        else:
            kept = list(message.attachments)
        checked = {**merged, "attachments": [{"id": i} for i in range(len(kept) + len(files))]}
        discord_limits.check_message(checked)
        discord_limits.check_files(files)
        message.content = merged["content"] or ""
        message.embeds = list(merged["embeds"] or [])
        message.components = numbered(merged["components"] or [])
        message.attachments = kept + self._attachments(files)
        message.flags &= ~LOADING
        message.edited_at = self.now()
        self._notify("edit", message)
        if not message.ephemeral:
            await self.gateway.dispatch("MESSAGE_UPDATE", self._as_seen_by_bot(message))

    async def _remove_message(self, message: Message) -> None:
        message.deleted = True
        if not message.ephemeral:
            await self.gateway.dispatch(
                "MESSAGE_DELETE",
                {
                    "id": str(message.id),
                    "channel_id": str(message.channel_id),
                    "guild_id": str(message.guild_id),
                },
            )

    def _visible_message(self, guild: Guild, channel: Channel, message_id: str) -> Message:
        message = self.messages.get(int(message_id))
        if (
            message is None
            or message.deleted
            or message.channel_id != channel.id
            or message.ephemeral
        ):
            raise unknown("Message", 10008)
        return message

    async def _open_direct(self, req: Request) -> JSON:
        """A direct-message channel with one person (the same one each time)."""
        body = req.json or {}
        user = self.users.get(int(body.get("recipient_id") or 0))
        if user is None:
            raise unknown("User", 10013)
        channel_id = next((c for c, u in self.direct.items() if u == user.id), None)
        if channel_id is None:
            channel_id = self.ids.next()
            self.direct[channel_id] = user.id
        return {
            "id": str(channel_id),
            "type": ChannelType.DM,
            "last_message_id": None,
            "flags": 0,
            "recipients": [user.to_payload()],
        }

    def _direct_message(self, channel_id: int, body: JSON) -> JSON:
        """A message to one person: refused (50007) when they closed their direct messages,
        or share no server with the bot, as Discord refuses it."""
        user = self.users[self.direct[channel_id]]
        shares_a_server = any(user.id in g.members for g in self.guilds.values())
        if not user.accepts_direct_messages or not shares_a_server:
            raise HttpError(403, 50007, "Cannot send messages to this user")
        discord_limits.check_message(body)
        message = Message(
            id=self.ids.next(),
            channel_id=channel_id,
            guild_id=0,
            author=self.bot_user,
            content=body.get("content") or "",
            embeds=list(body.get("embeds") or []),
            components=numbered(body.get("components") or []),
            created_at=self.now(),
        )
        self.messages[message.id] = message
        self._notify("new", message)
        return message.to_payload(self.users)

    async def _create_message(self, req: Request) -> JSON:
        if int(req.params["channel_id"]) in self.direct:
            return self._direct_message(int(req.params["channel_id"]), req.json or {})
        guild, channel = self.channel(req.params["channel_id"])
        body = req.json or {}
        nonce = body.get("nonce")
        key = (self.bot_user.id, str(nonce))
        if nonce is not None and body.get("enforce_nonce"):
            # Discord: the same author and nonce within a few minutes returns that message.
            seen = self._nonces.get(key)
            if seen is not None and self.now() - seen[1] <= NONCE_WINDOW:
                earlier = self.messages.get(seen[0])
                if earlier is not None and not earlier.deleted:
                    return earlier.to_payload(self.users)
        message = self._new_message(guild, channel, body, req.files)
        if nonce is not None and body.get("enforce_nonce"):
            self._nonces[key] = (message.id, self.now())
        return message.to_payload(self.users)

    async def _list_messages(self, req: Request) -> list[JSON]:
        guild, channel = self.channel(req.params["channel_id"])
        self._require(guild, P.VIEW_CHANNEL | P.READ_MESSAGE_HISTORY, channel)
        limit = min(100, int(req.query.get("limit", 50)))
        found = [
            m
            for m in self.messages.values()
            if m.channel_id == channel.id and not m.deleted and not m.ephemeral
        ]
        return [m.to_payload(self.users) for m in sorted(found, key=lambda m: -m.id)[:limit]]

    async def _get_message(self, req: Request) -> JSON:
        guild, channel = self.channel(req.params["channel_id"])
        self._require(guild, P.VIEW_CHANNEL | P.READ_MESSAGE_HISTORY, channel)
        return self._visible_message(guild, channel, req.params["message_id"]).to_payload(
            self.users
        )

    async def _edit_message(self, req: Request) -> JSON:
        guild, channel = self.channel(req.params["channel_id"])
        message = self._visible_message(guild, channel, req.params["message_id"])
        if message.author.id != self.bot_user.id:
            raise HttpError(403, 50005, "Cannot edit a message authored by another user")
        self._check_thread_edit(guild, channel)
        await self._apply_edit(message, req.json or {}, req.files)
        return message.to_payload(self.users)

    async def _delete_message(self, req: Request) -> None:
        guild, channel = self.channel(req.params["channel_id"])
        message = self._visible_message(guild, channel, req.params["message_id"])
        if message.author.id != self.bot_user.id:
            self._require(guild, P.MANAGE_MESSAGES, channel)
        await self._remove_message(message)

    # -- channels and threads ------------------------------------------------------------------

    async def _get_channel(self, req: Request) -> JSON:
        guild, channel = self.channel(req.params["channel_id"])
        if not guild.can_view(self.bot_user.id, channel.id):
            raise missing_permissions(P.VIEW_CHANNEL)
        return channel.to_payload()

    def _overwrites(self, guild: Guild, raw: list[JSON]) -> list[Overwrite]:
        overwrites = [
            Overwrite(
                int(o["id"]),
                int(o.get("type", 0)),
                int(o.get("allow") or 0),
                int(o.get("deny") or 0),
            )
            for o in raw
        ]
        have = guild.base_permissions(self.bot_user.id)
        if not have & P.ADMINISTRATOR:
            # Discord: a bot may only allow or deny permissions it has itself.
            granted = 0
            for o in overwrites:
                granted |= o.allow | o.deny
            lacking = granted & ~have
            if lacking:
                raise missing_permissions(lacking)
        return overwrites

    def _count_check(self, guild: Guild, parent_id: int | None) -> None:
        top_level = [c for c in guild.channels.values() if not c.is_thread]
        if len(top_level) >= 500:
            raise HttpError(400, 30013, "Maximum number of guild channels reached (500)")
        if parent_id is not None:
            siblings = [c for c in top_level if c.parent_id == parent_id]
            if len(siblings) >= 50:
                raise HttpError(
                    400,
                    50035,
                    "Invalid Form Body",
                    {
                        "parent_id": {
                            "_errors": [
                                {
                                    "code": "CHANNEL_PARENT_MAX_CHANNELS",
                                    "message": "Maximum number of channels in category reached",
                                }
                            ]
                        }
                    },
                )

    async def _create_channel(self, req: Request) -> Created:
        guild = self.guild(req.params["guild_id"])
        self._require(guild, P.MANAGE_CHANNELS)
        body = req.json or {}
        discord_limits.check_channel_name(body.get("name", ""))
        kind = int(body.get("type", 0))
        parent_id = int(body["parent_id"]) if body.get("parent_id") else None
        if parent_id is not None:
            parent = guild.channels.get(parent_id)
            if parent is None or parent.type != ChannelType.CATEGORY:
                raise HttpError(
                    400,
                    50035,
                    "Invalid Form Body",
                    {
                        "parent_id": {
                            "_errors": [
                                {"code": "CHANNEL_PARENT_INVALID_TYPE", "message": "Not a category"}
                            ]
                        }
                    },
                )
        self._count_check(guild, parent_id)
        raw_overwrites = body.get("permission_overwrites")
        if raw_overwrites is None and parent_id is not None:
            overwrites = list(guild.channels[parent_id].overwrites)
        else:
            overwrites = self._overwrites(guild, raw_overwrites or [])
        channel = Channel(
            id=self.ids.next(),
            guild_id=guild.id,
            type=kind,
            name=body["name"] if kind != 0 else body["name"].lower().replace(" ", "-"),
            position=int(body.get("position") or len(guild.channels)),
            parent_id=parent_id,
            topic=body.get("topic"),
            overwrites=overwrites,
            created_at=self.now(),
        )
        guild.channels[channel.id] = channel
        payload = channel.to_payload()
        await self.gateway.dispatch("CHANNEL_CREATE", payload)
        return Created(payload)

    def _renaming(self, channel: Channel, body: JSON) -> None:
        """Discord's sub-limit: a channel's name or topic changes twice per ten minutes."""
        renamed = "name" in body and body["name"] != channel.name
        retopic = "topic" in body and body["topic"] != channel.topic
        if renamed or retopic:
            wait = self.ratelimiter.rename(channel.id)
            if wait > 0:
                raise RateLimitedError(wait)

    async def _edit_thread(self, guild: Guild, thread: Channel, body: JSON) -> JSON:
        """PATCH on a thread, as topics/threads.md ("Editing & Deleting Threads") describes.

        Only active threads can be changed: anything but unarchiving an archived thread is
        refused. Locking needs Manage Threads, even for the thread's creator; a name, the
        auto-archive duration or archiving needs Manage Threads or being the creator;
        unarchiving needs being in the thread, and for a locked one its creator or a moderator.
        """
        perms = guild.permissions_in(self.bot_user.id, thread.id)
        if not perms & P.VIEW_CHANNEL:
            raise HttpError(403, 50001, "Missing Access")
        moderator = bool(perms & (P.MANAGE_THREADS | P.ADMINISTRATOR))
        creator = thread.owner_id == self.bot_user.id
        unarchiving = thread.archived and body.get("archived") is False
        if thread.archived and not unarchiving:
            raise HttpError(400, 50083, "Thread is archived")
        if "locked" in body and not moderator:
            raise missing_permissions(P.MANAGE_THREADS)
        changes_settings = "name" in body or "auto_archive_duration" in body
        if (changes_settings or body.get("archived") is True) and not (moderator or creator):
            raise missing_permissions(P.MANAGE_THREADS)
        if unarchiving and not moderator:
            if self.bot_user.id not in thread.thread_members:
                raise HttpError(403, 50001, "Missing Access")
            if thread.locked and not creator and body.get("locked") is not False:
                raise missing_permissions(P.MANAGE_THREADS)
        if "name" in body:
            discord_limits.check_thread_name(body["name"])
        duration = body.get("auto_archive_duration")
        if duration is not None and int(duration) not in THREAD_AUTO_ARCHIVE_CHOICES:
            raise HttpError(
                400,
                50035,
                "Invalid Form Body",
                _field_error(
                    "auto_archive_duration",
                    "BASE_TYPE_CHOICES",
                    "Not a valid auto-archive duration",
                ),
            )
        self._renaming(thread, body)
        now = self.now()
        if "archived" in body and bool(body["archived"]) != thread.archived:
            thread.archived = bool(body["archived"])
            thread.archive_timestamp = now
            if not thread.archived:
                thread.last_activity = now  # unarchiving counts as activity
        if "locked" in body:
            thread.locked = bool(body["locked"])
        if "name" in body:
            thread.name = body["name"]
        if duration is not None:
            thread.auto_archive_duration = int(duration)
            thread.last_activity = thread.archive_timestamp = now
        payload = thread.to_payload()
        await self.gateway.dispatch("THREAD_UPDATE", payload)
        return payload

    async def _edit_channel(self, req: Request) -> JSON:
        guild, channel = self.channel(req.params["channel_id"])
        body = req.json or {}
        if channel.is_thread:
            return await self._edit_thread(guild, channel, body)
        self._require(guild, P.MANAGE_CHANNELS, channel)
        if "permission_overwrites" in body:
            self._require(guild, P.MANAGE_ROLES)
        if "name" in body:
            discord_limits.check_channel_name(body["name"])
        self._renaming(channel, body)
        if "permission_overwrites" in body:
            channel.overwrites = self._overwrites(guild, body["permission_overwrites"] or [])
        if "name" in body:
            channel.name = body["name"]
        if "topic" in body:
            channel.topic = body["topic"]
        if "parent_id" in body:
            new_parent = int(body["parent_id"]) if body["parent_id"] else None
            if new_parent != channel.parent_id:
                self._count_check(guild, new_parent) if new_parent else None
                channel.parent_id = new_parent
        if "position" in body and body["position"] is not None:
            channel.position = int(body["position"])
        payload = channel.to_payload()
        await self.gateway.dispatch("CHANNEL_UPDATE", payload)
        return payload

    async def _delete_channel(self, req: Request) -> JSON:
        guild, channel = self.channel(req.params["channel_id"])
        self._require(guild, P.MANAGE_THREADS if channel.is_thread else P.MANAGE_CHANNELS, channel)
        del guild.channels[channel.id]
        payload = channel.to_payload()
        await self.gateway.dispatch(
            "THREAD_DELETE" if channel.is_thread else "CHANNEL_DELETE", payload
        )
        return payload

    async def _put_overwrite(self, req: Request) -> None:
        guild, channel = self.channel(req.params["channel_id"])
        self._require(guild, P.MANAGE_ROLES, channel)
        body = req.json or {}
        new = self._overwrites(
            guild,
            [
                {
                    "id": req.params["overwrite_id"],
                    "type": body.get("type", 0),
                    "allow": body.get("allow"),
                    "deny": body.get("deny"),
                }
            ],
        )[0]
        channel.overwrites = [o for o in channel.overwrites if o.id != new.id] + [new]
        await self.gateway.dispatch("CHANNEL_UPDATE", channel.to_payload())

    async def _delete_overwrite(self, req: Request) -> None:
        guild, channel = self.channel(req.params["channel_id"])
        self._require(guild, P.MANAGE_ROLES, channel)
        channel.overwrites = [
            o for o in channel.overwrites if o.id != int(req.params["overwrite_id"])
        ]
        await self.gateway.dispatch("CHANNEL_UPDATE", channel.to_payload())

    async def _create_thread(self, req: Request) -> Created:
        guild, parent = self.channel(req.params["channel_id"])
        if parent.type != ChannelType.TEXT:
            raise HttpError(400, 50024, "Cannot execute action on this channel type")
        body = req.json or {}
        kind = int(body.get("type", ChannelType.PRIVATE_THREAD))
        needed = P.VIEW_CHANNEL | (
            P.CREATE_PRIVATE_THREADS
            if kind == ChannelType.PRIVATE_THREAD
            else P.CREATE_PUBLIC_THREADS
        )
        self._require(guild, needed, parent)
        discord_limits.check_thread_name(body.get("name", ""))
        duration = int(body.get("auto_archive_duration") or THREAD_DEFAULT_AUTO_ARCHIVE_MINUTES)
        if duration not in THREAD_AUTO_ARCHIVE_CHOICES:
            raise HttpError(
                400,
                50035,
                "Invalid Form Body",
                _field_error(
                    "auto_archive_duration",
                    "BASE_TYPE_CHOICES",
                    "Not a valid auto-archive duration",
                ),
            )
        active = [c for c in guild.channels.values() if c.is_thread and not c.archived]
        if len(active) >= 1000:
            raise HttpError(400, 160006, "Maximum number of active threads reached")
        now = self.now()
        thread = Channel(
            id=self.ids.next(),
            guild_id=guild.id,
            type=kind,
            name=body["name"],
            parent_id=parent.id,
            owner_id=self.bot_user.id,
            invitable=bool(body.get("invitable", True)),
            thread_members={self.bot_user.id},
            created_at=now,
            auto_archive_duration=duration,
            last_activity=now,
            archive_timestamp=now,
        )
        guild.channels[thread.id] = thread
        payload = thread.to_payload()
        await self.gateway.dispatch("THREAD_CREATE", {**payload, "newly_created": True})
        return Created(payload)

    async def _add_thread_member(self, req: Request) -> None:
        guild, thread = self.channel(req.params["channel_id"])
        if not thread.is_thread:
            raise HttpError(400, 50024, "Cannot execute action on this channel type")
        if thread.archived:
            raise HttpError(400, 50083, "Thread is archived")
        user_id = self._user_param(req.params["user_id"])
        if user_id not in guild.members:
            raise unknown("Member", 10007)
        self._require(guild, P.SEND_MESSAGES_IN_THREADS, thread)
        if len(thread.thread_members) >= 1000:
            raise HttpError(400, 30033, "Maximum number of thread participants reached (1000)")
        thread.thread_members.add(user_id)

    def _user_param(self, value: str) -> int:
        return self.bot_user.id if value == "@me" else int(value)

    async def _remove_thread_member(self, req: Request) -> None:
        guild, thread = self.channel(req.params["channel_id"])
        if not thread.is_thread:
            raise HttpError(400, 50024, "Cannot execute action on this channel type")
        if thread.archived:
            # topics/threads.md: "only active threads can be manipulated".
            raise HttpError(400, 50083, "Thread is archived")
        user_id = self._user_param(req.params["user_id"])
        if user_id != self.bot_user.id:
            self._require(guild, P.MANAGE_THREADS, thread)  # leaving needs nothing
        thread.thread_members.discard(user_id)

    # -- guilds, roles, members ----------------------------------------------------------------

    async def _get_guild(self, req: Request) -> JSON:
        payload = self.guild(req.params["guild_id"]).to_payload(self.users)
        for key in ("channels", "threads", "members", "voice_states", "presences"):
            payload.pop(key, None)
        # What the REST answer has beyond GUILD_CREATE's fields (none of it modelled).
        payload |= {
            "home_header": None,
            "region": "deprecated",
            "widget_enabled": False,
            "widget_channel_id": None,
            "max_presences": None,
            "max_members": 500000,
            "max_stage_video_channel_users": 50,
            "max_video_channel_users": 25,
            "safety_alerts_channel_id": None,
            "nsfw": False,
            "incidents_data": None,
        }
        return payload

    async def _list_channels(self, req: Request) -> list[JSON]:
        guild = self.guild(req.params["guild_id"])
        return [c.to_payload() for c in guild.channels.values() if not c.is_thread]

    async def _list_roles(self, req: Request) -> list[JSON]:
        return [r.to_payload() for r in self.guild(req.params["guild_id"]).roles.values()]

    def _member(self, guild: Guild, user_id: str) -> Member:
        member = guild.members.get(int(user_id))
        if member is None:
            raise unknown("Member", 10007)
        return member

    async def _search_members(self, req: Request) -> list[JSON]:
        """Search Guild Members: those whose username or nickname starts with `query` (any
        case), at most `limit` (1 to 1,000, default 1). It needs no privileged intent."""
        guild = self.guild(req.params["guild_id"])
        query = req.query.get("query", "")
        try:
            limit = int(req.query.get("limit", "1"))
        except ValueError:
            raise HttpError(400, 50035, "Invalid Form Body: limit") from None
        if not 1 <= len(query) <= 100 or not 1 <= limit <= 1000:
            raise HttpError(400, 50035, "Invalid Form Body: query or limit")
        wanted = query.casefold()
        found = [
            m
            for m in guild.members.values()
            if m.user.username.casefold().startswith(wanted)
            or (m.nick or "").casefold().startswith(wanted)
        ]
        return [m.to_payload() for m in found[:limit]]

    async def _get_member(self, req: Request) -> JSON:
        guild = self.guild(req.params["guild_id"])
        return self._member(guild, req.params["user_id"]).to_payload()

    async def _change_role(self, req: Request, add: bool) -> None:
        guild = self.guild(req.params["guild_id"])
        member = self._member(guild, req.params["user_id"])
        role = guild.roles.get(int(req.params["role_id"]))
        if role is None:
            raise unknown("Role", 10011)
        self._require(guild, P.MANAGE_ROLES)
        if role.position >= guild.top_role_position(self.bot_user.id):
            raise HttpError(403, 50013, "Missing Permissions: role is above the bot's highest role")
        if add and role.id not in member.roles:
            member.roles.append(role.id)
        elif not add and role.id in member.roles:
            member.roles.remove(role.id)
        await self.gateway.dispatch(
            "GUILD_MEMBER_UPDATE", {"guild_id": str(guild.id), **member.to_payload()}
        )

    async def _add_role(self, req: Request) -> None:
        await self._change_role(req, add=True)

    async def _remove_role(self, req: Request) -> None:
        await self._change_role(req, add=False)

    # -- scheduled events ----------------------------------------------------------------------

    def _event(self, guild: Guild, event_id: str) -> ScheduledEvent:
        event = guild.events.get(int(event_id))
        if event is None:
            raise unknown("Guild Scheduled Event", 10070)
        return event

    async def _list_events(self, req: Request) -> list[JSON]:
        guild = self.guild(req.params["guild_id"])
        return [e.to_payload(self.users.get(e.creator_id)) for e in guild.events.values()]

    async def _get_event(self, req: Request) -> JSON:
        guild = self.guild(req.params["guild_id"])
        event = self._event(guild, req.params["event_id"])
        return event.to_payload(self.users.get(event.creator_id))

    def _event_channel(self, guild: Guild, entity_type: int, channel_id: Any) -> Channel | None:
        """The channel an event is held in, checked against its entity type's requirements
        (resources/guild-scheduled-event.md, "Field Requirements By Entity Type")."""
        if entity_type == EntityType.EXTERNAL:
            if channel_id:
                raise HttpError(
                    400,
                    50035,
                    "Invalid Form Body",
                    _field_error(
                        "channel_id",
                        "GUILD_SCHEDULED_EVENT_CHANNEL_ID_NOT_NULL",
                        "An external event has no channel",
                    ),
                )
            return None
        if not channel_id or int(channel_id) not in guild.channels:
            raise HttpError(
                400,
                50035,
                "Invalid Form Body",
                _field_error(
                    "channel_id", "GUILD_SCHEDULED_EVENT_CHANNEL_REQUIRED", "A channel is required"
                ),
            )
        channel = guild.channels[int(channel_id)]
        wanted = (
            ChannelType.STAGE if entity_type == EntityType.STAGE_INSTANCE else ChannelType.VOICE
        )
        if channel.type != wanted:
            raise HttpError(
                400,
                50035,
                "Invalid Form Body",
                _field_error(
                    "channel_id",
                    "GUILD_SCHEDULED_EVENT_CHANNEL_TYPE_INVALID",
                    "The channel does not match the entity type",
                ),
            )
        return channel

    def _require_for_event(
        self,
        guild: Guild,
        entity_type: int,
        channel: Channel | None,
        *,
        creating: bool,
        creator: bool = False,
    ) -> None:
        """resources/guild-scheduled-event.md, "Guild Scheduled Event Permissions Requirements":
        computed in the event's channel for voice and stage events, guild-wide for external.

        Creating needs Create Events; changing or deleting needs Manage Events, or either Create
        or Manage Events for the event's creator. A stage event also needs Manage Channels, Mute
        Members and Move Members; a voice event View Channel and Connect.
        """
        have = (
            guild.permissions_in(self.bot_user.id, channel.id)
            if channel is not None
            else guild.base_permissions(self.bot_user.id)
        )
        if have & P.ADMINISTRATOR:
            return
        if entity_type == EntityType.STAGE_INSTANCE:
            needed = P.MANAGE_CHANNELS | P.MUTE_MEMBERS | P.MOVE_MEMBERS
        elif entity_type == EntityType.VOICE:
            needed = P.VIEW_CHANNEL | P.CONNECT
        else:
            needed = P(0)
        if creating:
            needed |= P.CREATE_EVENTS
        elif not (creator and have & P.CREATE_EVENTS):
            needed |= P.MANAGE_EVENTS
        lacking = needed & ~have
        if lacking:
            raise missing_permissions(lacking)

    async def _create_event(self, req: Request) -> JSON:
        guild = self.guild(req.params["guild_id"])
        body = req.json or {}
        entity_type = int(body["entity_type"])
        channel = self._event_channel(guild, entity_type, body.get("channel_id"))
        self._require_for_event(guild, entity_type, channel, creating=True)
        location = (body.get("entity_metadata") or {}).get("location")
        if entity_type == EntityType.EXTERNAL and not location:
            raise HttpError(
                400,
                50035,
                "Invalid Form Body",
                _field_error(
                    "entity_metadata",
                    "GUILD_SCHEDULED_EVENT_LOCATION_REQUIRED",
                    "A location is required",
                ),
            )
        if entity_type == EntityType.EXTERNAL and not body.get("scheduled_end_time"):
            raise HttpError(
                400,
                50035,
                "Invalid Form Body",
                _field_error(
                    "scheduled_end_time",
                    "GUILD_SCHEDULED_EVENT_END_TIME_REQUIRED",
                    "An external event needs an end time",
                ),
            )
        unfinished = [e for e in guild.events.values() if not e.finished]
        if len(unfinished) >= SCHEDULED_EVENTS_UNFINISHED:
            raise HttpError(
                400, 30038, "Maximum number of uncompleted guild scheduled events reached (100)"
            )
        start = datetime.fromisoformat(body["scheduled_start_time"])
        if start < self.now():
            raise HttpError(
                400,
                50035,
                "Invalid Form Body",
                _field_error(
                    "scheduled_start_time",
                    "GUILD_SCHEDULED_EVENT_SCHEDULE_PAST",
                    "Cannot schedule event in the past.",
                ),
            )
        event = ScheduledEvent(
            id=self.ids.next(),
            guild_id=guild.id,
            name=body["name"],
            start=body["scheduled_start_time"],
            end=body.get("scheduled_end_time"),
            entity_type=entity_type,
            channel_id=channel.id if channel else None,
            location=location if entity_type == EntityType.EXTERNAL else None,
            description=body.get("description"),
            creator_id=self.bot_user.id,
            status_since=self.now(),
        )
        guild.events[event.id] = event
        payload = event.to_payload(self.bot_user)
        await self.gateway.dispatch("GUILD_SCHEDULED_EVENT_CREATE", payload)
        return payload

    async def _edit_event(self, req: Request) -> JSON:
        guild = self.guild(req.params["guild_id"])
        event = self._event(guild, req.params["event_id"])
        body = req.json or {}
        creator = event.creator_id == self.bot_user.id
        current = guild.channels.get(event.channel_id) if event.channel_id else None
        self._require_for_event(guild, event.entity_type, current, creating=False, creator=creator)
        entity_type = int(body.get("entity_type", event.entity_type))
        channel = current
        if "entity_type" in body or "channel_id" in body:
            channel = self._event_channel(
                guild, entity_type, body.get("channel_id", event.channel_id)
            )
            self._require_for_event(guild, entity_type, channel, creating=False, creator=creator)
        if event.finished:
            # Once COMPLETED or CANCELED an event cannot change (Discord moves events on by
            # itself, so a bot's late PATCH meets this).
            raise HttpError(400, 180000, "Cannot update a finished event")
        if "status" in body:
            status = int(body["status"])
            # Discord: SCHEDULED → ACTIVE or CANCELED, ACTIVE → COMPLETED, and nothing after.
            if status != event.status and status not in _EVENT_MOVES.get(event.status, ()):
                raise HttpError(
                    400,
                    50035,
                    "Invalid Form Body",
                    _field_error(
                        "status",
                        "GUILD_SCHEDULED_EVENT_INVALID_STATUS_TRANSITION",
                        f"Cannot change status {event.status} to {status}.",
                    ),
                )
        if "name" in body:
            event.name = body["name"]
        if "description" in body:
            event.description = body["description"]
        if "scheduled_start_time" in body:
            event.start = body["scheduled_start_time"]
        if "scheduled_end_time" in body:
            event.end = body["scheduled_end_time"]
        if "status" in body and int(body["status"]) != event.status:
            event.status = int(body["status"])
            event.status_since = self.now()
        event.entity_type = entity_type
        event.channel_id = channel.id if channel else None
        if entity_type == EntityType.EXTERNAL:
            if body.get("entity_metadata"):
                event.location = body["entity_metadata"].get("location")
        else:
            # "This endpoint silently discards entity_metadata for non-EXTERNAL events."
            event.location = None
        payload = event.to_payload(self.users.get(event.creator_id))
        await self.gateway.dispatch("GUILD_SCHEDULED_EVENT_UPDATE", payload)
        return payload

    async def _delete_event(self, req: Request) -> None:
        guild = self.guild(req.params["guild_id"])
        event = self._event(guild, req.params["event_id"])
        channel = guild.channels.get(event.channel_id) if event.channel_id else None
        creator = event.creator_id == self.bot_user.id
        self._require_for_event(guild, event.entity_type, channel, creating=False, creator=creator)
        del guild.events[event.id]
        await self.gateway.dispatch(
            "GUILD_SCHEDULED_EVENT_DELETE", event.to_payload(self.users.get(event.creator_id))
        )

    # -- world building for the driver ---------------------------------------------------------

    def _texts_before(self, method: str, params: dict[str, str]) -> list[str]:
        """The texts of the message an edit changes (none for anything else)."""
        found = params.get("message_id", "")
        message: Message | None = None
        if method == "PATCH" and found.isdigit():
            message = self.messages.get(int(found))
        elif method == "PATCH" and found == "@original":
            # A component's update edits the message the button sits on, through its token.
            interaction = self._by_token.get(params.get("webhook_token", ""))
            message = interaction.response_message if interaction is not None else None
        if message is None:
            return []
        texts = [message.content]
        for embed in message.embeds:
            texts += [str(embed.get(k, "")) for k in ("title", "description")]
            texts += [str(f.get("value", "")) for f in embed.get("fields", [])]
        return texts

    def world_names(self) -> list[str]:
        """Every name in this Discord: people, roles, servers, channels, events (data)."""
        found: list[str] = []
        for user in self.users.values():
            found += [user.username, user.global_name or ""]
        for guild in self.guilds.values():
            found.append(guild.name)
            found += [m.nick or "" for m in guild.members.values()]
            found += [r.name for r in guild.roles.values()]
            found += [c.name for c in guild.channels.values()]
            found += [e.name for e in guild.events.values()]
        return found

    def add_role(
        self, guild: Guild, name: str, permissions: int = 0, position: int | None = None
    ) -> Role:
        role = Role(self.ids.next(), name, permissions, position=position or len(guild.roles))
        guild.roles[role.id] = role
        return role

    def when(self) -> str:
        return iso(self.now())
