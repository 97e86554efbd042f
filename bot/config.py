"""Settings read from the environment and `.env`, with one clear line per mistake."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/twinbridge.db"
# The async drivers Twinbridge is tested with. SQLAlchemy would accept a synchronous driver
# (`sqlite://`) or one that is not installed (`postgresql://`) here and fail only when the bot
# first touches the database, with a traceback; the settings refuse them up front instead.
SUPPORTED_DATABASE_DRIVERS = ("sqlite+aiosqlite",)

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


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

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("dev_guild_id", "discord_token", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # `.env.example` ships `DEV_GUILD_ID=`; an empty value means "not set".
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        return check_database_url(value)

    def sqlite_path(self) -> Path | None:
        """The database file for a SQLite URL, or None for another database or memory."""
        return sqlite_file(self.database_url)


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
        if url.get_backend_name() == "sqlite":
            hint = f"write {url.set(drivername=SUPPORTED_DATABASE_DRIVERS[0])!s}"
        else:
            hint = example
        raise ValueError(
            f"Twinbridge supports {supported} (SQLite through aiosqlite), "
            f"not {url.drivername}://; {hint}"
        )
    if not url.database:
        raise ValueError(f"it names no database file; {example}")
    return value.strip()


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
        name = str(first["loc"][0]).upper() if first["loc"] else "settings"
        # A validator's own message reads better without pydantic's "Value error, " prefix.
        reason = str(first["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"Setting {name} is invalid: {reason}") from None
