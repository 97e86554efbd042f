"""Settings: defaults, and one clear line for a bad value."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config import (
    DEFAULT_DATABASE_URL,
    Settings,
    SettingsError,
    load_settings,
    sqlite_file,
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DISCORD_TOKEN", "DATABASE_URL", "LOG_LEVEL", "DEV_GUILD_ID"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_when_nothing_is_set() -> None:
    """With no .env and no environment, the bot uses the documented defaults."""
    settings = load_settings(env_file=None)
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.log_level == "INFO"
    assert settings.discord_token is None
    assert settings.dev_guild_id is None


def test_env_file_values_are_read(tmp_path: Path) -> None:
    """A .env file sets values; an empty DEV_GUILD_ID means unset, as in .env.example."""
    env = tmp_path / ".env"
    env.write_text("DISCORD_TOKEN=abc\nLOG_LEVEL=debug\nDEV_GUILD_ID=\n")
    settings = load_settings(env_file=env)
    assert settings.discord_token is not None
    assert settings.discord_token.get_secret_value() == "abc"
    assert settings.log_level == "DEBUG"
    assert settings.dev_guild_id is None


@pytest.mark.parametrize(
    ("name", "value"),
    [("DEV_GUILD_ID", "not-a-number"), ("LOG_LEVEL", "LOUD"), ("DATABASE_URL", "data.db")],
)
def test_malformed_setting_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    """A malformed setting raises a one-line error that names the setting."""
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings(env_file=None)
    message = str(caught.value)
    assert name in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///x.db",  # synchronous driver: SQLAlchemy's async engine refuses it later
        "sqlite+pysqlite:///x.db",
        "mysql+aiomysql://u@h/db",
        "sqlite+aiosqlite://",  # no file: an in-memory database, lost at every restart
        "twinbridge.db",
        "",
    ],
)
def test_unusable_database_url_is_one_line_with_an_example(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    """A DATABASE_URL the bot cannot use is refused at once, naming it and showing a good one."""
    monkeypatch.setenv("DATABASE_URL", url)
    with pytest.raises(SettingsError) as caught:
        load_settings(env_file=None)
    message = str(caught.value)
    assert message.startswith("Setting DATABASE_URL is invalid: ")
    assert "sqlite+aiosqlite:///" in message
    assert "\n" not in message


def test_a_synchronous_sqlite_url_is_answered_with_its_async_spelling(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`sqlite:///x.db` is told exactly what to write instead."""
    monkeypatch.setenv("DATABASE_URL", "sqlite:///x.db")
    with pytest.raises(SettingsError, match=r"write sqlite\+aiosqlite:///x\.db$"):
        load_settings(env_file=None)


@pytest.mark.parametrize(
    "url",
    ["postgresql://admin:hunter2@db/tb", "postgresql+psycopg://admin:hunter2@db/tb"],
)
def test_a_postgresql_url_of_another_driver_is_answered_with_asyncpg(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    """`postgresql://` (a synchronous driver) is told to write `postgresql+asyncpg://`, and the
    password is not repeated."""
    monkeypatch.setenv("DATABASE_URL", url)
    with pytest.raises(SettingsError) as caught:
        load_settings(env_file=None)
    message = str(caught.value)
    assert message.endswith("write postgresql+asyncpg://admin:***@db/tb")
    assert "hunter2" not in message and "\n" not in message


def test_postgresql_through_asyncpg_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    """`postgresql+asyncpg://…` is a database Twinbridge runs on; it has no file."""
    url = "postgresql+asyncpg://tb:secret@db.internal:5432/twinbridge"
    monkeypatch.setenv("DATABASE_URL", url)
    settings = load_settings(env_file=None)
    assert settings.database_url == url
    assert settings.sqlite_path() is None


def test_a_malformed_database_url_is_not_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A URL too broken to parse may still hold a password: the message does not repeat it."""
    monkeypatch.setenv("DATABASE_URL", "postgres//admin:hunter2@db")
    with pytest.raises(SettingsError) as caught:
        load_settings(env_file=None)
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "sqlite+aiosqlite:///data/twinbridge.db",
        "sqlite+aiosqlite:////var/lib/twinbridge/db.sqlite",
        "sqlite+aiosqlite:///:memory:",
    ],
)
def test_sqlite_through_aiosqlite_is_accepted(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    """Relative and absolute SQLite files (and memory, for experiments) are fine."""
    monkeypatch.setenv("DATABASE_URL", url)
    assert load_settings(env_file=None).database_url == url


def test_env_example_documents_every_setting() -> None:
    """Every field of Settings appears in .env.example."""
    from bot.config import Settings

    example = (Path(__file__).parents[1] / ".env.example").read_text()
    for field in Settings.model_fields:
        assert f"{field.upper()}=" in example


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite+aiosqlite:///data/twinbridge.db", Path("data/twinbridge.db")),
        ("sqlite+aiosqlite:////abs/x.db", Path("/abs/x.db")),
        ("sqlite+aiosqlite:///:memory:", None),
        ("postgresql+asyncpg://u@h/db", None),
    ],
)
def test_sqlite_file(url: str, expected: Path | None) -> None:
    """The file behind a SQLite URL is found; other URLs have none."""
    assert sqlite_file(url) == expected


def test_retention_days_defaults_to_180_and_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """RETENTION_DAYS sets how long personal data of an ended exchange is kept."""
    monkeypatch.delenv("RETENTION_DAYS", raising=False)
    assert load_settings(env_file=None).retention_days == 180
    monkeypatch.setenv("RETENTION_DAYS", "30")
    assert load_settings(env_file=None).retention_days == 30


@pytest.mark.parametrize("value", ["0", "-5", "forever"])
def test_retention_days_must_be_a_positive_number(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    """Zero, negative or not a number: one line naming the setting."""
    monkeypatch.setenv("RETENTION_DAYS", value)
    with pytest.raises(SettingsError, match="RETENTION_DAYS"):
        load_settings(env_file=None)


def test_operations_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Blank HTTP_PORT and BACKUP_DIR mean off; LOG_FORMAT is case-blind; the erasure key
    defaults to the database's folder."""
    monkeypatch.setenv("HTTP_PORT", "")
    monkeypatch.setenv("BACKUP_DIR", "")
    monkeypatch.setenv("LOG_FORMAT", "JSON")
    settings = load_settings(env_file=None)
    assert settings.http_port is None and settings.backup_dir is None
    assert settings.http_host == "127.0.0.1" and settings.log_format == "json"
    assert settings.erasure_key_path() == Path("data/erasure.key")
    monkeypatch.setenv("HTTP_PORT", "8080")
    monkeypatch.setenv("BACKUP_DIR", str(tmp_path / "backups"))
    settings = load_settings(env_file=None)
    assert settings.http_port == 8080 and settings.backup_dir == tmp_path / "backups"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("HTTP_PORT", "eighty", "HTTP_PORT"),
        ("HTTP_PORT", "70000", "HTTP_PORT"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT"),
        ("BACKUP_KEEP_DAILY", "0", "BACKUP_KEEP_DAILY"),
        ("HTTP_HOST", " ", "HTTP_HOST"),
    ],
)
def test_bad_operations_settings_name_themselves(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=f"^Setting {expected} is invalid"):
        load_settings(env_file=None)


def test_the_erasure_key_may_not_live_among_the_backups(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Whoever holds the backups must not hold the key that reads the erasure journal."""
    monkeypatch.setenv("BACKUP_DIR", str(tmp_path))
    monkeypatch.setenv("ERASURE_KEY_FILE", str(tmp_path / "keys" / "erasure.key"))
    with pytest.raises(SettingsError) as caught:
        load_settings(env_file=None)
    message = str(caught.value)
    assert message.startswith("Setting BACKUP_DIR is invalid: it holds the erasure key")
    assert "\n" not in message


def test_directory_settings_read_server_lists_and_who_is_served() -> None:
    settings = Settings(
        _env_file=None, directory="OPERATOR", directory_servers="12, 34", operator_guild_id=56
    )
    assert settings.directory_servers == [12, 34]
    assert [settings.directory_serves(g) for g in (12, 34, 56, 78)] == [True, True, True, False]
    assert Settings(_env_file=None, directory="on").directory_serves(78)
    assert not Settings(_env_file=None, directory="off", operator_guild_id=56).directory_serves(56)
    with pytest.raises(ValidationError):
        Settings(_env_file=None, directory_servers="12, twelve")
    with pytest.raises(ValidationError):
        Settings(_env_file=None, directory="sometimes")
