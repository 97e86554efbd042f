"""`twinbridge backup` and `twinbridge restore` as an operator types them."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from bot.services.backups import backups_in
from bot.store import create_database
from bot.store.backup import exclusive_use
from bot.store.migrate import upgrade
from tests.databases import sqlite_only
from tests.test_cli import run_cli

pytestmark = sqlite_only("backups copy a SQLite file (PostgreSQL: pg_dump)")

URL = "sqlite+aiosqlite:///data/twinbridge.db"


def one_line(text: str) -> str:
    assert "Traceback" not in text
    assert text.strip().count("\n") == 0, text
    return text.strip()


def migrated(tmp_path: Path) -> Path:
    """The database `twinbridge migrate` makes (made in this process: quicker)."""
    database = tmp_path / "data" / "twinbridge.db"
    db = create_database(f"sqlite+aiosqlite:///{database}")

    async def make() -> None:
        try:
            await upgrade(db)
        finally:
            await db.dispose()

    asyncio.run(make())
    with sqlite3.connect(database) as conn:
        conn.execute(
            "INSERT INTO app_state (key, value, updated_at) VALUES ('mark', 'one', '2027-01-01')"
        )
    return database


def test_backup_then_restore_round_trip(tmp_path: Path) -> None:
    """A backup into BACKUP_DIR, a change, a restore: the change is gone, the replaced
    database kept aside, and each step says what it did."""
    database = migrated(tmp_path)
    folder = tmp_path / "backups"
    folder.mkdir()
    env = {"DATABASE_URL": URL, "BACKUP_DIR": str(folder)}
    made = run_cli("backup", cwd=tmp_path, env=env)
    assert made.returncode == 0, made.stderr
    assert "integrity checked" in made.stdout
    [(_, backup)] = backups_in(folder)
    with sqlite3.connect(database) as conn:
        conn.execute("UPDATE app_state SET value = 'two' WHERE key = 'mark'")

    done = run_cli("restore", str(backup), cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert "Restored" in done.stdout and "kept at" in done.stdout
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT value FROM app_state WHERE key='mark'").fetchone() == ("one",)
    assert list((tmp_path / "data").glob("twinbridge.db.replaced-*"))


def test_backup_needs_somewhere_to_go(tmp_path: Path) -> None:
    migrated(tmp_path)
    result = run_cli("backup", cwd=tmp_path, env={"DATABASE_URL": URL, "BACKUP_DIR": ""})
    assert result.returncode == 2
    assert "BACKUP_DIR" in one_line(result.stderr) and "--to" in result.stderr


def test_backup_to_a_folder_that_does_not_exist(tmp_path: Path) -> None:
    migrated(tmp_path)
    result = run_cli("backup", "--to", "mnt/usb", cwd=tmp_path, env={"DATABASE_URL": URL})
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert "mnt/usb does not exist" in line
    assert not (tmp_path / "mnt").exists()


def test_backup_into_the_folder_of_the_erasure_key_is_refused(tmp_path: Path) -> None:
    """The key must stay out of the backups; by default it sits beside the database."""
    migrated(tmp_path)
    result = run_cli("backup", "--to", "data", cwd=tmp_path, env={"DATABASE_URL": URL})
    assert result.returncode == 2
    assert "erasure key" in one_line(result.stderr)
    setting = run_cli("backup", cwd=tmp_path, env={"DATABASE_URL": URL, "BACKUP_DIR": "data"})
    assert setting.returncode == 2
    assert "BACKUP_DIR" in one_line(setting.stderr)


def test_restore_refuses_what_is_not_a_backup(tmp_path: Path) -> None:
    """A text file, a newer release's backup: one line each, and the database is left
    exactly as it was (every kind of bad file: tests/test_backups.py)."""
    database = migrated(tmp_path)
    before = database.read_bytes()
    text = tmp_path / "notes.db"
    text.write_text("not a database at all " * 20)
    newer = tmp_path / "newer.db"
    newer.write_bytes(before)
    with sqlite3.connect(newer) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099'")
    for path, why in [
        (text, "not a SQLite database"),
        (newer, "newer release"),
    ]:
        result = run_cli("restore", str(path), cwd=tmp_path, env={"DATABASE_URL": URL})
        assert result.returncode == 1, result.stdout
        line = one_line(result.stderr.splitlines()[-1])
        assert line.startswith("Not restored") and why in line, line
    assert database.read_bytes() == before


def test_restore_refuses_while_the_bot_runs(tmp_path: Path) -> None:
    """A running bot holds the database's lock: restoring under it is refused."""
    database = migrated(tmp_path)
    backup = tmp_path / "copy.db"
    backup.write_bytes(database.read_bytes())
    with exclusive_use(database):
        result = run_cli("restore", str(backup), cwd=tmp_path, env={"DATABASE_URL": URL})
    assert result.returncode == 1
    assert "Stop the bot first" in result.stderr.splitlines()[-1]
