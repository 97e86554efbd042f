"""A second `twinbridge run` on the same SQLite file is refused in one line: the running bot
holds the file's lock (`<database>.lock`, bot.store.backup.exclusive_use), taken before
Discord or the database is touched. (PostgreSQL: tests/sandbox/test_one_deployment.py.)"""

from __future__ import annotations

from pathlib import Path

from bot.store.backup import exclusive_use
from tests.databases import sqlite_only
from tests.test_cli import run_cli

pytestmark = sqlite_only("the lock file of a database file")


def test_a_second_process_on_one_sqlite_file_is_refused(tmp_path: Path) -> None:
    database = tmp_path / "data" / "twinbridge.db"
    env = {"DATABASE_URL": "sqlite+aiosqlite:///data/twinbridge.db", "DISCORD_TOKEN": "x.y.z"}
    with exclusive_use(database):  # the first process, running
        result = run_cli("run", cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line == (
        "Not started: another Twinbridge process is using data/twinbridge.db "
        "(is the bot already running?)"
    )
