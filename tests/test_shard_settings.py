"""SHARD_COUNT and SHARD_IDS: which Discord shards a process holds, and bad input at start-up."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import Context, ShardedTwinbridge, Twinbridge, make_bot, pacer_share
from bot.config import Settings, SettingsError, load_settings
from bot.store import create_database
from tests.test_cli import run_cli

PG = "postgresql+asyncpg://u:p@localhost/twinbridge"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "SHARD_COUNT", "SHARD_IDS"):
        monkeypatch.delenv(name, raising=False)


def test_not_sharded_unless_asked() -> None:
    """Without SHARD_COUNT the bot keeps its one unsharded connection."""
    assert load_settings(env_file=None).shards() is None


def test_every_shard_when_only_the_count_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    """SHARD_COUNT alone: this process holds every shard."""
    monkeypatch.setenv("SHARD_COUNT", "3")
    monkeypatch.setenv("SHARD_IDS", "")
    assert load_settings(env_file=None).shards() == (3, (0, 1, 2))


def test_some_shards_on_postgresql(monkeypatch: pytest.MonkeyPatch) -> None:
    """SHARD_IDS names this process's shards, in any order, comma-separated."""
    monkeypatch.setenv("DATABASE_URL", PG)
    monkeypatch.setenv("SHARD_COUNT", "4")
    monkeypatch.setenv("SHARD_IDS", "3, 1")
    settings = load_settings(env_file=None)
    assert settings.shards() == (4, (1, 3))
    assert settings.several_processes_on_sqlite() is None


@pytest.mark.parametrize(
    ("count", "ids", "said"),
    [
        ("2", "2", "shard 2 is outside SHARD_COUNT=2 (shards are numbered 0 to 1)"),
        ("2", "0, 1, 1", "shard 1 is listed twice"),
        (None, "0", "set SHARD_COUNT too"),
        ("2", "zero", "write shard numbers separated by commas"),
        ("2", "-1", "write shard numbers separated by commas"),
    ],
)
def test_bad_shards_are_one_line_naming_shard_ids(
    monkeypatch: pytest.MonkeyPatch, count: str | None, ids: str, said: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", PG)
    if count is not None:
        monkeypatch.setenv("SHARD_COUNT", count)
    monkeypatch.setenv("SHARD_IDS", ids)
    with pytest.raises(SettingsError) as caught:
        load_settings(env_file=None)
    message = str(caught.value)
    assert message.startswith("Setting SHARD_IDS is invalid: ")
    assert said in message
    assert "\n" not in message


def test_a_shard_count_of_zero_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHARD_COUNT", "0")
    with pytest.raises(SettingsError, match="SHARD_COUNT"):
        load_settings(env_file=None)


def test_some_shards_on_sqlite_means_several_processes() -> None:
    """On SQLite one process holds every shard; naming only some means others beside it."""
    every = Settings(_env_file=None, shard_count=2)
    assert every.several_processes_on_sqlite() is None
    some = Settings(_env_file=None, shard_count=2, shard_ids=[1])
    why = some.several_processes_on_sqlite()
    assert why is not None and "PostgreSQL" in why and "SHARD_IDS" in why


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"SHARD_COUNT": "2", "SHARD_IDS": "0,2"}, "outside SHARD_COUNT=2"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "1"}, "several bot processes need PostgreSQL"),
        ({"SHARD_IDS": "1"}, "set SHARD_COUNT too"),
    ],
)
def test_run_refuses_bad_shards_in_one_line(tmp_path: Path, env: dict[str, str], said: str) -> None:
    """`twinbridge run` stops before Discord or the database with one line and status 2."""
    result = run_cli("run", cwd=tmp_path, env={"DISCORD_TOKEN": "x", **env})
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "SHARD_IDS" in result.stderr and said in result.stderr
    assert list(tmp_path.iterdir()) == []


async def test_the_bot_is_auto_sharded_with_those_shards(tmp_path: Path) -> None:
    """SHARD_COUNT makes discord.py's AutoShardedBot with exactly SHARD_IDS."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    plain = make_bot(Context(settings=Settings(_env_file=None), db=create_database(url)))
    assert type(plain) is Twinbridge
    settings = Settings(_env_file=None, shard_count=3, shard_ids=[2, 0])
    sharded = make_bot(Context(settings=settings, db=create_database(url)))
    assert isinstance(sharded, ShardedTwinbridge)
    assert sharded.shard_count == 3
    assert sharded.shard_ids == [0, 2]
    for bot in (plain, sharded):
        await bot.ctx.db.dispose()


@pytest.mark.parametrize(
    ("count", "ids", "share"),
    [(None, None, 50), (2, [0, 1], 50), (2, [1], 25), (4, [0, 3], 25), (3, [2], 16), (100, [5], 1)],
)
def test_each_process_paces_itself_to_its_share_of_the_global_limit(
    count: int | None, ids: list[int] | None, share: int
) -> None:
    """Discord's 50 requests a second are the bot's: two processes must not make 100."""
    settings = Settings(_env_file=None, shard_count=count, shard_ids=ids)
    assert pacer_share(settings) == share
