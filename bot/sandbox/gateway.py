"""The sandbox gateway: HELLO, IDENTIFY/READY, heartbeats, RESUME, reconnect and invalid session."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from bot.domain.shards import shard_of

log = logging.getLogger("bot.sandbox.gateway")

# Intent bits (Discord's numbering) and which events each one carries.
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_PRESENCES = 1 << 8
GUILD_VOICE_STATES = 1 << 7
GUILD_MESSAGES = 1 << 9
MESSAGE_CONTENT = 1 << 15
GUILD_SCHEDULED_EVENTS = 1 << 16
PRIVILEGED = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT

EVENT_INTENT: dict[str, int] = {
    "GUILD_CREATE": GUILDS,
    "GUILD_UPDATE": GUILDS,
    "GUILD_ROLE_CREATE": GUILDS,
    "GUILD_ROLE_UPDATE": GUILDS,
    "GUILD_ROLE_DELETE": GUILDS,
    "CHANNEL_CREATE": GUILDS,
    "CHANNEL_UPDATE": GUILDS,
    "CHANNEL_DELETE": GUILDS,
    "THREAD_CREATE": GUILDS,
    "THREAD_UPDATE": GUILDS,
    "THREAD_DELETE": GUILDS,
    "THREAD_MEMBER_UPDATE": GUILDS,
    "THREAD_MEMBERS_UPDATE": GUILD_MEMBERS,
    "GUILD_MEMBER_ADD": GUILD_MEMBERS,
    "GUILD_MEMBER_UPDATE": GUILD_MEMBERS,
    "GUILD_MEMBER_REMOVE": GUILD_MEMBERS,
    "VOICE_STATE_UPDATE": GUILD_VOICE_STATES,
    "MESSAGE_CREATE": GUILD_MESSAGES,
    "MESSAGE_UPDATE": GUILD_MESSAGES,
    "MESSAGE_DELETE": GUILD_MESSAGES,
    "GUILD_SCHEDULED_EVENT_CREATE": GUILD_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_UPDATE": GUILD_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_DELETE": GUILD_SCHEDULED_EVENTS,
}

HEARTBEAT_INTERVAL_MS = 41_250
# Events whose own `id` is the server's (every other event names it in `guild_id`).
_GUILD_ITSELF = frozenset({"GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE"})


def guild_of(event: str, data: dict[str, Any]) -> int | None:
    """The server an event is about, or None (a direct message: shard 0 gets those)."""
    raw = data.get("id") if event in _GUILD_ITSELF else data.get("guild_id")
    return int(raw) if raw is not None else None


@dataclass
class Session:
    """A gateway session: survives a dropped connection so the client can RESUME it."""

    id: str
    intents: int
    seq: int = 0
    backlog: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    socket: Connection | None = None
    valid: bool = True
    # (shard id, shard count) from IDENTIFY; (0, 1) for a bot that does not shard.
    shard: tuple[int, int] = (0, 1)

    def serves(self, guild_id: int | None) -> bool:
        """Whether this session's shard gets the events of that server (None: DMs)."""
        shard_id, count = self.shard
        if guild_id is None:
            return shard_id == 0
        return shard_of(guild_id, count) == shard_id


class Connection:
    """One websocket connection, with Discord's zlib-stream transport compression when asked."""

    def __init__(self, ws: web.WebSocketResponse, compress: bool) -> None:
        self.ws = ws
        self._zlib = zlib.compressobj() if compress else None

    async def send(self, payload: dict[str, Any]) -> None:
        text = json.dumps(payload, separators=(",", ":"))
        if self._zlib is None:
            await self.ws.send_str(text)
        else:
            # One shared compressor per connection, each payload ending in a sync flush.
            data = self._zlib.compress(text.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
            await self.ws.send_bytes(data)


class Gateway:
    """Serves `/gateway` and fans events out to sessions, honouring their intents."""

    def __init__(
        self,
        *,
        token: str,
        ready_payload: Callable[[Session], dict[str, Any]],
        guild_payloads: Callable[[Session], list[dict[str, Any]]],
        resume_url: Callable[[], str],
        privileged_allowed: int = 0,
        member_chunk: Callable[[Session, dict[str, Any]], dict[str, Any] | None] | None = None,
        visible: Callable[[str, dict[str, Any]], bool] | None = None,
    ) -> None:
        self._token = token
        # Whether the bot may receive an event at all (e.g. one about a channel it cannot view).
        self._visible = visible
        self._member_chunk = member_chunk
        self._ready_payload = ready_payload
        self._guild_payloads = guild_payloads
        self._resume_url = resume_url
        self.privileged_allowed = privileged_allowed
        self.sessions: dict[str, Session] = {}
        self.identified = asyncio.Event()
        self.identify_count = 0
        self.resume_count = 0
        # While True, new connections are refused (503), as during a Discord outage.
        self.refusing = False

    # -- events ------------------------------------------------------------------------------

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send an event to every session whose intents include it (buffered while cut off)."""
        needed = EVENT_INTENT.get(event, 0)
        if self._visible is not None and not self._visible(event, data):
            return
        guild_id = guild_of(event, data)
        for session in list(self.sessions.values()):
            if not session.valid or (needed and not session.intents & needed):
                continue
            if not session.serves(guild_id):
                continue  # another shard's server
            await self._send(session, event, data)

    async def send_to(self, session: Session, event: str, data: dict[str, Any]) -> None:
        """An event for one session only (e.g. its own GUILD_CREATE)."""
        await self._send(session, event, data)

    async def _send(self, session: Session, event: str, data: dict[str, Any]) -> None:
        """An event for one session (kept for a resume while the connection is cut)."""
        session.seq += 1
        payload = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.backlog.append((session.seq, payload))
        del session.backlog[:-1000]
        if session.socket is not None:
            try:
                await session.socket.send(payload)
            except (ConnectionError, RuntimeError):
                session.socket = None

    def sessions_for(self, guild_id: int) -> list[Session]:
        """The live sessions whose shard serves this server."""
        return [s for s in self.sessions.values() if s.valid and s.serves(guild_id)]

    def has_intent(self, bit: int) -> bool:
        """Whether the connected bot identified with this intent."""
        return any(s.valid and s.intents & bit for s in self.sessions.values())

    # -- connection control for tests ----------------------------------------------------------

    async def cut(self, only: set[str] | None = None) -> None:
        """Drop every connection (or those of the sessions `only` names) as a network failure
        would; sessions stay resumable."""
        for session in self.sessions.values():
            if only is not None and session.id not in only:
                continue
            if session.socket is not None:
                socket, session.socket = session.socket, None
                await socket.ws.close(code=4000, message=b"sandbox: connection cut")

    async def request_reconnect(self) -> None:
        """Send op 7: the client must reconnect and resume."""
        for session in self.sessions.values():
            if session.socket is not None:
                await session.socket.send({"op": 7, "d": None})

    async def invalidate(self, resumable: bool = False) -> None:
        """Send op 9; a non-resumable session is forgotten and must IDENTIFY again."""
        for session in list(self.sessions.values()):
            if session.socket is not None:
                await session.socket.send({"op": 9, "d": resumable})
            if not resumable:
                session.valid = False
                self.sessions.pop(session.id, None)

    # -- the websocket handler -----------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        if self.refusing:
            raise web.HTTPServiceUnavailable(text="sandbox: the gateway is down")
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        compress = request.query.get("compress") == "zlib-stream"
        conn = Connection(ws, compress)
        await conn.send({"op": 10, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}})
        session: Session | None = None
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            payload = json.loads(msg.data)
            op, data = payload.get("op"), payload.get("d")
            if op == 1:
                await conn.send({"op": 11})
            elif op == 2:
                session = await self._identify(conn, data)
                if session is None:
                    break
            elif op == 6:
                session = await self._resume(conn, data)
            elif op == 8:
                if session is not None and self._member_chunk is not None:
                    chunk = self._member_chunk(session, data or {})
                    if chunk is not None:
                        await self._send(session, "GUILD_MEMBERS_CHUNK", chunk)
            elif op in (3, 4):
                pass  # presence and voice updates: nothing the sandbox models
            else:
                log.error("gateway: unknown opcode %r", op)
        if session is not None and session.socket is conn:
            session.socket = None
        return ws

    async def _identify(self, conn: Connection, data: dict[str, Any]) -> Session | None:
        if data.get("token") != self._token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return None
        intents = int(data.get("intents", 0))
        if intents & PRIVILEGED & ~self.privileged_allowed:
            await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
            return None
        shard = data.get("shard") or [0, 1]
        if (
            not isinstance(shard, list)
            or len(shard) != 2
            or not all(isinstance(n, int) for n in shard)
            or not 0 <= shard[0] < shard[1]
        ):
            # Discord's close code for a shard outside its count.
            await conn.ws.close(code=4010, message=b"Invalid shard.")
            return None
        session = Session(
            id=secrets.token_hex(16), intents=intents, socket=conn, shard=(shard[0], shard[1])
        )
        self.sessions[session.id] = session
        self.identify_count += 1
        session.seq += 1
        await conn.send(
            {"op": 0, "t": "READY", "s": session.seq, "d": self._ready_payload(session)}
        )
        for guild in self._guild_payloads(session):
            session.seq += 1
            await conn.send({"op": 0, "t": "GUILD_CREATE", "s": session.seq, "d": guild})
        self.identified.set()
        return session

    async def _resume(self, conn: Connection, data: dict[str, Any]) -> Session | None:
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or data.get("token") != self._token or not session.valid:
            await conn.send({"op": 9, "d": False})
            return None
        since = int(data.get("seq") or 0)
        session.socket = conn
        self.resume_count += 1
        for seq, payload in session.backlog:
            if seq > since:
                await conn.send(payload)
        session.seq += 1
        await conn.send({"op": 0, "t": "RESUMED", "s": session.seq, "d": {}})
        return session
