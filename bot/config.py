"""Settings read from the environment and `.env`, with one clear line per mistake."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/twinbridge.db"
# The async drivers Twinbridge is tested with. SQLAlchemy would accept a synchronous driver
# (`sqlite://`) or one that is not installed (`postgresql://`) here and fail only when the bot
# first touches the database, with a traceback; the settings refuse them up front instead.
SUPPORTED_DATABASE_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")
# What each backend's URL must say instead of a driver Twinbridge does not use.
_ASYNC_DRIVER = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}

# What a PostgreSQL deployment does instead of the bot's own backups (a SQLite feature).
PG_BACKUP_HINT = (
    "the bot backs up a SQLite file only; on PostgreSQL leave it empty and back up with "
    "pg_dump (e.g. `pg_dump -Fc twinbridge > twinbridge.dump`, restored with pg_restore)"
)

# Discord's own ceiling is far beyond what one deployment of Twinbridge will ever need; the
# bound only catches a typo (an id pasted where the count goes).
MAX_SHARDS = 1024

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
LogFormat = Literal["text", "json"]
# The key of the erasure journal lives beside the database unless ERASURE_KEY_FILE says where.
ERASURE_KEY_NAME = "erasure.key"


class SettingsError(Exception):
    """A setting is missing or malformed; the message is one line naming it."""


class Settings(BaseSettings):
    """Every setting of the bot. `.env.example` documents each one."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    discord_token: SecretStr | None = None
    database_url: str = DEFAULT_DATABASE_URL
    log_level: LogLevel = "INFO"
    dev_guild_id: int | None = Field(default=None, gt=0)
    reminder_grace_minutes: int = Field(default=30, ge=0, le=24 * 60)
    # Privileged: only with it does Discord send message text, from which the bot keeps the
    # length of replies in paired spaces (never the text). Off: lengths are recorded as unknown.
    message_content_intent: bool = False
    # Days after an exchange ends before its students' personal data is anonymised.
    retention_days: int = Field(default=180, ge=1, le=3650)
    # `text` (the default) or `json`, one object a line for log shippers.
    log_format: LogFormat = "text"
    # Where the bot writes its daily backup (off when empty); `twinbridge backup` too.
    backup_dir: Path | None = None
    # Backups kept: the newest of each of the last N days, and of each of the last M weeks.
    backup_keep_daily: int = Field(default=7, ge=1, le=366)
    backup_keep_weekly: int = Field(default=8, ge=0, le=520)
    # The keyed hashes of erased people are made with this key, kept outside every backup.
    erasure_key_file: Path | None = None
    # The health and metrics server (off when HTTP_PORT is empty; 0 picks a free port).
    http_host: str = "127.0.0.1"
    http_port: int | None = Field(default=None, ge=0, le=65535)
    # Where people outside reach that server (the reverse proxy's https://… address): the
    # dashboard links and calendar feeds are made with it. Empty: the address it listens on.
    public_url: str | None = None
    # Days a dashboard link works before it expires.
    dashboard_link_days: int = Field(default=30, ge=1, le=366)
    # The directory of cities seeking cities (`/seek`): "off"; "operator" (the default) serves
    # only the operator's server and DIRECTORY_SERVERS; "on" serves every server.
    directory: Literal["off", "operator", "on"] = "operator"
    # Servers (ids, comma-separated) the directory also serves while it is "operator".
    directory_servers: Annotated[list[int], NoDecode] = Field(default_factory=list)
    # The operator's server and channel: abuse reports about listings arrive there.
    operator_guild_id: int | None = Field(default=None, gt=0)
    operator_channel_id: int | None = Field(default=None, gt=0)
    # Days a listing is shown before its coordinator must renew it.
    directory_listing_days: int = Field(default=90, ge=7, le=366)
    # Discord shards: how many there are in all, and which of them this process holds (every
    # one when SHARD_IDS is empty). Unset: one unsharded connection, as below 2,500 servers.
    shard_count: int | None = Field(default=None, ge=1, le=MAX_SHARDS)
    shard_ids: Annotated[list[int] | None, NoDecode] = None

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_format(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator(
        "dev_guild_id",
        "discord_token",
        "backup_dir",
        "erasure_key_file",
        "http_port",
        "public_url",
        "operator_guild_id",
        "operator_channel_id",
        "shard_count",
        "shard_ids",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # `.env.example` ships `DEV_GUILD_ID=`; an empty value means "not set".
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("directory", mode="before")
    @classmethod
    def _lower_directory(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("directory_servers", mode="before")
    @classmethod
    def _server_list(cls, value: object) -> object:
        # "123, 456" in .env; pydantic-settings would otherwise want JSON.
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            if not all(p.isdigit() for p in parts):
                raise ValueError("write server ids separated by commas, e.g. 1234, 5678")
            return [int(p) for p in parts]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _shard_list(cls, value: object) -> object:
        # "0, 1" in .env, as DIRECTORY_SERVERS.
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            if not all(p.isdigit() for p in parts):
                raise ValueError("write shard numbers separated by commas, e.g. 0, 1")
            return [int(p) for p in parts] or None
        if isinstance(value, int):
            return [value]
        return value

    @model_validator(mode="after")
    def _shards(self) -> Settings:
        ids, count = self.shard_ids, self.shard_count
        if ids is None:
            return self
        if count is None:
            raise ValueError(
                "SHARD_IDS: set SHARD_COUNT too, the number of shards of every process together"
            )
        seen: set[int] = set()
        for shard in ids:
            if shard >= count:
                raise ValueError(
                    f"SHARD_IDS: shard {shard} is outside SHARD_COUNT={count} "
                    f"(shards are numbered 0 to {count - 1})"
                )
            if shard in seen:
                raise ValueError(f"SHARD_IDS: shard {shard} is listed twice")
            seen.add(shard)
        return self

    def shards(self) -> tuple[int, tuple[int, ...]] | None:
        """(SHARD_COUNT, the shard ids this process holds), or None when not sharded."""
        if self.shard_count is None:
            return None
        ids = self.shard_ids if self.shard_ids is not None else range(self.shard_count)
        return self.shard_count, tuple(sorted(ids))

    def several_processes_on_sqlite(self) -> str | None:
        """Why this process may not start, when its SHARD_IDS leave shards to other processes
        on a SQLite database (one line, naming the setting), else None.

        Checked when the bot starts (`twinbridge run`), not by the settings themselves: tests
        run one process holding some shards on SQLite to see it leave the others' work alone.
        """
        shards = self.shards()
        if shards is None or is_postgresql(self.database_url):
            return None
        count, ids = shards
        if set(ids) == set(range(count)):
            return None
        # The other shards would be another process's, on the same SQLite file: SQLite has
        # one writer, and the bot takes the file for itself.
        return (
            f"Setting SHARD_IDS is invalid: this process holds shards {', '.join(map(str, ids))} "
            f"of {count}, so others would run beside it, and several bot processes need "
            "PostgreSQL (DATABASE_URL=postgresql+asyncpg://…); on SQLite leave SHARD_IDS empty"
        )

    def directory_serves(self, guild_id: int) -> bool:
        """Whether the directory is open to this server."""
        if self.directory == "on":
            return True
        if self.directory == "off":
            return False
        return guild_id == self.operator_guild_id or guild_id in self.directory_servers

    @field_validator("http_host")
    @classmethod
    def _some_host(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("it is empty; 127.0.0.1 serves this machine only")
        return value.strip()

    @field_validator("public_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        text = value.strip().rstrip("/")
        scheme, _, rest = text.partition("://")
        if scheme not in ("https", "http") or not rest or any(c in rest for c in "?#"):
            raise ValueError("write the address people open, e.g. https://twinbridge.example.org")
        return text

    @model_validator(mode="after")
    def _backups_of_a_file(self) -> Settings:
        if self.backup_dir is not None and is_postgresql(self.database_url):
            # The bot's backups copy a SQLite file; PostgreSQL has its own tools for it.
            raise ValueError(f"BACKUP_DIR: {PG_BACKUP_HINT}")
        return self

    @model_validator(mode="after")
    def _key_outside_backups(self) -> Settings:
        key, backups = self.erasure_key_path(), self.backup_dir
        if (
            key is not None
            and backups is not None
            and key.resolve().is_relative_to(backups.resolve())
        ):
            # Whoever holds the backups must not also hold the key that unlocks the journal.
            raise ValueError(
                f"BACKUP_DIR: it holds the erasure key ({key}); "
                "keep ERASURE_KEY_FILE outside the backups"
            )
        return self

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        return check_database_url(value)

    def sqlite_path(self) -> Path | None:
        """The database file for a SQLite URL, or None for another database or memory."""
        return sqlite_file(self.database_url)

    def erasure_key_path(self) -> Path | None:
        """The erasure journal's key: ERASURE_KEY_FILE, else beside the database file."""
        if self.erasure_key_file is not None:
            return self.erasure_key_file
        database = self.sqlite_path()
        return database.with_name(ERASURE_KEY_NAME) if database is not None else None


def check_database_url(value: str) -> str:
    """The URL itself if Twinbridge can use it, else ValueError saying what to write instead."""
    example = f"e.g. {DEFAULT_DATABASE_URL}"
    try:
        url = make_url(value.strip())
    except ArgumentError:
        # Not echoed: a mistyped URL may still carry a password.
        raise ValueError(f"not a database URL; {example}") from None
    if url.drivername not in SUPPORTED_DATABASE_DRIVERS:
        supported = " or ".join(f"{d}://" for d in SUPPORTED_DATABASE_DRIVERS)
        driver = _ASYNC_DRIVER.get(url.get_backend_name())
        if driver is not None:
            # Rendered with the password hidden: the line goes to logs and terminals.
            hint = f"write {url.set(drivername=driver).render_as_string(hide_password=True)}"
        else:
            hint = example
        raise ValueError(
            f"Twinbridge supports {supported} (SQLite through aiosqlite, PostgreSQL through "
            f"asyncpg), not {url.drivername}://; {hint}"
        )
    if not url.database:
        what = "database file" if url.get_backend_name() == "sqlite" else "database"
        raise ValueError(f"it names no {what}; {example}")
    return value.strip()


def is_postgresql(url: str) -> bool:
    """Whether url names a PostgreSQL database (else it is SQLite: the settings allow no other)."""
    return url.strip().startswith("postgresql")


def sqlite_file(url: str) -> Path | None:
    """The file behind a `sqlite…:///path` URL, or None when there is none."""
    if not url.startswith("sqlite"):
        return None
    _, _, rest = url.partition(":///")
    path = rest.split("?", 1)[0]
    if not path or path == ":memory:":
        return None
    return Path(path)


def load_settings(env_file: str | Path | None = ".env") -> Settings:
    """Read the settings, raising SettingsError with one line naming a bad setting."""
    try:
        return Settings(_env_file=env_file)
    except ValidationError as exc:
        first = exc.errors()[0]
        # A validator's own message reads better without pydantic's "Value error, " prefix.
        reason = str(first["msg"]).removeprefix("Value error, ")
        if first["loc"]:
            name = str(first["loc"][0]).upper()
        else:  # a check across settings names the one to change: "NAME: why"
            name, _, reason = reason.partition(": ")
        raise SettingsError(f"Setting {name} is invalid: {reason}") from None
