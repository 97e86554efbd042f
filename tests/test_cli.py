"""The command line as a maintainer meets it."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in {"DISCORD_TOKEN", "DATABASE_URL"}}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_run_without_token_prints_hint_and_exits_1(tmp_path: Path) -> None:
    """`python -m bot` with no token says how to set one, without a traceback."""
    result = run_cli(cwd=tmp_path)
    assert result.returncode == 1
    assert "DISCORD_TOKEN" in result.stderr
    assert "make demo" in result.stderr
    assert "Traceback" not in result.stderr


def test_malformed_setting_exits_with_one_line(tmp_path: Path) -> None:
    """A malformed setting is one line on stderr, never a traceback."""
    result = run_cli("migrate", cwd=tmp_path, env={"DEV_GUILD_ID": "abc"})
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "DEV_GUILD_ID" in result.stderr


@pytest.mark.parametrize(
    ("url", "written"),
    [
        ("sqlite:///x.db", "sqlite+aiosqlite:///"),
        ("postgresql://u@localhost/twinbridge", "postgresql+asyncpg://"),
    ],
)
def test_unusable_database_url_exits_with_one_line(tmp_path: Path, url: str, written: str) -> None:
    """`migrate` with a DATABASE_URL of the wrong driver says so in one line, creating nothing."""
    result = run_cli("migrate", cwd=tmp_path, env={"DATABASE_URL": url})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "DATABASE_URL" in result.stderr and written in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_migrate_creates_schema_and_directory(tmp_path: Path) -> None:
    """`python -m bot migrate` creates the database directory and every core table."""
    result = run_cli(
        "migrate", cwd=tmp_path, env={"DATABASE_URL": "sqlite+aiosqlite:///nested/x.db"}
    )
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / "nested" / "x.db") as conn:
        tables = {
            row[0] for row in conn.execute("select name from sqlite_master where type='table'")
        }
    assert {"guild_settings", "partnerships", "cities", "participants"} <= tables


@pytest.mark.parametrize("flag", ["--version"])
def test_version_flag(tmp_path: Path, flag: str) -> None:
    """`--version` prints the package version."""
    from bot import __version__

    result = run_cli(flag, cwd=tmp_path)
    assert __version__ in result.stdout


def test_report_without_a_database_says_where_it_looked(tmp_path: Path) -> None:
    """`python -m bot report` on a missing database names the file, creates nothing."""
    result = run_cli(
        "report", "attendance", cwd=tmp_path, env={"DATABASE_URL": "sqlite+aiosqlite:///none.db"}
    )
    assert result.returncode == 1
    assert "No database at none.db" in result.stderr
    assert not (tmp_path / "none.db").exists()


def test_report_on_a_database_with_no_exchange_says_so(tmp_path: Path) -> None:
    """A fresh database has nothing to report: one line, exit status 2."""
    env = {"DATABASE_URL": "sqlite+aiosqlite:///x.db"}
    assert run_cli("migrate", cwd=tmp_path, env=env).returncode == 0
    result = run_cli("report", "exchange", "--format", "json", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "no exchange yet" in result.stderr and "Traceback" not in result.stderr
