"""One logging setup: context (guild, user, command) in every record, tokens never."""

from __future__ import annotations

import contextvars
import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

_guild: contextvars.ContextVar[int | None] = contextvars.ContextVar("guild", default=None)
_user: contextvars.ContextVar[int | None] = contextvars.ContextVar("user", default=None)
_command: contextvars.ContextVar[str | None] = contextvars.ContextVar("command", default=None)

# Discord bot tokens are three dot-separated base64url parts; the first one encodes the bot id.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}")


class ContextFilter(logging.Filter):
    """Adds the guild, user and command being handled to each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.guild = _guild.get() or "-"
        record.user = _user.get() or "-"
        record.command = _command.get() or "-"
        return True


class RedactingFilter(logging.Filter):
    """Replaces anything shaped like a bot token, and the configured token, with ***."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def redact(self, text: str) -> str:
        """The text with every secret removed."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return _TOKEN_SHAPE.sub("***", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


# Loggers whose DEBUG records carry what people wrote.
PERSONAL_AT_DEBUG = (
    "aiosqlite",
    "asyncpg",
    "sqlalchemy.engine",
    "sqlalchemy.pool",
    "sqlalchemy.orm",
)

FORMAT = (
    "%(asctime)s %(levelname)-7s %(name)s "
    "[guild=%(guild)s user=%(user)s cmd=%(command)s] %(message)s"
)


# LOG_FORMAT=json: one object a line with these keys (the same context as the text format).
JSON_FIELDS = ("asctime", "levelname", "name", "guild", "user", "command", "message")
JSON_NAMES = {"asctime": "time", "levelname": "level", "name": "logger"}


def json_formatter() -> logging.Formatter:
    """Records as JSON objects: time, level, logger, guild, user, command, message, and the
    traceback (`exc_info`) when there is one. Ids are strings (a snowflake does not fit the
    numbers of JavaScript-based log tools) and a missing context value is null."""
    from pythonjsonlogger.json import JsonFormatter

    class ContextJson(JsonFormatter):
        def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
            for key in ("guild", "user", "command"):
                value = log_data.get(key)
                log_data[key] = None if value in (None, "-") else str(value)
            return log_data

    return ContextJson(
        list(JSON_FIELDS),
        rename_fields=JSON_NAMES,
        reserved_attrs=[
            *(a for a in vars(logging.makeLogRecord({})) if a not in JSON_FIELDS),
            "taskName",
            "message",
            "asctime",
        ],
    )


def setup_logging(level: str = "INFO", secrets: list[str] | None = None, fmt: str = "text") -> None:
    """Configure the root logger once; safe to call again (it replaces our handler).

    `fmt` is "text" (one readable line a record) or "json" (LOG_FORMAT=json).
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_twinbridge", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler()
    handler._twinbridge = True  # type: ignore[attr-defined]
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactingFilter(secrets or []))
    handler.setFormatter(json_formatter() if fmt == "json" else logging.Formatter(FORMAT))
    root.addHandler(handler)
    root.setLevel(level)
    # discord.py's HTTP debug lines include request bodies; keep them out unless asked for.
    logging.getLogger("discord.http").setLevel(max(logging.INFO, root.level))
    # Its gateway debug lines are whole payloads: members' details and, with the Message
    # Content intent, what students write. Never log them, even at DEBUG.
    logging.getLogger("discord.gateway").setLevel(max(logging.INFO, root.level))
    # Alembic narrates every plugin it loads at INFO; its warnings and errors still show.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
    # The database driver's debug lines name each call with its SQL and parameters (children's
    # introductions, report words), and SQLAlchemy's debug lines print the rows read: no log
    # level may show them. Statements themselves (INFO) carry no parameters: the engine hides
    # them (`hide_parameters`).
    for name in PERSONAL_AT_DEBUG:
        logging.getLogger(name).setLevel(max(logging.INFO, root.level))


@contextmanager
def log_context(guild: int | None, user: int | None, command: str | None) -> Iterator[None]:
    """Within the block, log records carry this guild, user and command."""
    tokens = (_guild.set(guild), _user.set(user), _command.set(command))
    try:
        yield
    finally:
        _guild.reset(tokens[0])
        _user.reset(tokens[1])
        _command.reset(tokens[2])


def current_command() -> str | None:
    """The command (or component) being handled, as log records name it."""
    return _command.get()


# Interaction types (Discord's numbering) and what to call a component without a named id.
_COMMAND_TYPES = (2, 4)  # a command, autocomplete of one of its options
_COMPONENT, _MODAL = 3, 5
_BUTTON = 2


def custom_id_prefix(custom_id: str) -> str:
    """The part of a custom_id that names the action: `chess:move:42` → `chess:move`.

    Parts from the first one with a digit on are ids (a game, a page), and a random id that
    discord.py generates has digits too, so it yields "".
    """
    named: list[str] = []
    for part in custom_id.split(":"):
        if not part or any(c.isdigit() for c in part):
            break
        named.append(part)
    return ":".join(named)[:40]


def _command_path(data: Mapping[str, Any]) -> str:
    names = [str(data.get("name", "?"))]
    options = data.get("options") or []
    # Subcommand groups (2) and subcommands (1) come first, one level each.
    while options and options[0].get("type") in (1, 2):
        names.append(str(options[0].get("name", "?")))
        options = options[0].get("options") or []
    return " ".join(names)


def interaction_tags(payload: Mapping[str, Any]) -> tuple[int | None, int | None, str | None]:
    """Guild, user and "command" of an INTERACTION_CREATE payload, for `log_context`.

    The command is a slash command's full name ("pair confirm"), a context menu's name, or a
    button's, select's or modal's custom_id prefix ("tb:xe"; "button", "select" or "modal"
    when the id names nothing).
    """
    guild = payload.get("guild_id")
    user = (payload.get("member") or {}).get("user") or payload.get("user") or {}
    data = payload.get("data") or {}
    kind = payload.get("type")
    command: str | None = None
    if kind in _COMMAND_TYPES:
        command = _command_path(data)
    elif kind in (_COMPONENT, _MODAL):
        fallback = (
            "modal"
            if kind == _MODAL
            else "button"
            if data.get("component_type") == _BUTTON
            else "select"
        )
        command = custom_id_prefix(str(data.get("custom_id", ""))) or fallback
    return (
        int(guild) if guild else None,
        int(user["id"]) if user.get("id") else None,
        command,
    )
