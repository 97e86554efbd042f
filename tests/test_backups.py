"""Backups as files: rotation, the checks a backup and a restore make, and bad input."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.services import backups
from bot.services.backups import (
    BackupError,
    backup_name,
    backups_in,
    check_folder,
    check_restorable,
    restore_backup,
    take_backup,
    to_delete,
)
from bot.services.erasure_journal import ErasureJournal, JournalError
from bot.store import create_database
from bot.store.backup import TAKEN_AT_KEY, inspect
from bot.store.migrate import head_revision, upgrade
from tests.databases import sqlite_only

pytestmark = sqlite_only("backups copy a SQLite file (PostgreSQL: pg_dump)")

NOW = datetime(2027, 4, 20, 4, 0, tzinfo=UTC)


async def migrated(path: Path) -> Path:
    db = create_database(f"sqlite+aiosqlite:///{path}")
    try:
        await upgrade(db)
    finally:
        await db.dispose()
    return path


def nightly(days: int, end: datetime = NOW) -> list[tuple[datetime, Path]]:
    found = [end - timedelta(days=d) for d in range(days)]
    return [(at, Path(backup_name(at))) for at in found]


# -- rotation ------------------------------------------------------------------------------------


def test_rotation_keeps_the_last_days_and_one_a_week() -> None:
    """7 daily and 4 weekly out of 60 nights: the 7 newest, then the newest of 4 weeks."""
    found = nightly(60)
    doomed = set(to_delete(found, NOW, keep_daily=7, keep_weekly=4, retention_days=180))
    kept = sorted((at for at, path in found if path not in doomed), reverse=True)
    assert kept[:7] == [NOW - timedelta(days=d) for d in range(7)]
    weeks = {at.isocalendar()[:2] for at in kept}
    assert len(weeks) == 4
    assert len(kept) == 7 + 4 - len({at.isocalendar()[:2] for at in kept[:7]} & weeks)


def test_rotation_keeps_the_newest_of_a_day_with_several() -> None:
    """Two backups the same day (a start-up and the night's): the newer one stays."""
    morning, night = NOW, NOW + timedelta(hours=15)
    found = [(night, Path("b.db")), (morning, Path("a.db"))]
    assert to_delete(found, night, keep_daily=1, keep_weekly=0, retention_days=180) == [
        Path("a.db")
    ]


def test_no_backup_outlives_the_retention_period() -> None:
    """Whatever the rotation would keep, a backup older than RETENTION_DAYS goes: it holds
    people whose exchange has since been pruned."""
    found = nightly(400)
    doomed = set(to_delete(found, NOW, keep_daily=7, keep_weekly=520, retention_days=30))
    kept = [at for at, path in found if path not in doomed]
    assert kept and min(kept) >= NOW - timedelta(days=30)


def test_only_our_backups_are_listed(tmp_path: Path) -> None:
    (tmp_path / backup_name(NOW)).write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / (backup_name(NOW) + ".partial")).write_bytes(b"x")
    assert backups_in(tmp_path) == [(NOW, tmp_path / backup_name(NOW))]


# -- taking one --------------------------------------------------------------------------------


async def test_a_backup_is_checked_self_contained_and_dated(tmp_path: Path) -> None:
    database = await migrated(tmp_path / "live.db")
    folder = tmp_path / "backups"
    folder.mkdir()
    made = await take_backup(database, folder, NOW)
    assert made.path == folder / "twinbridge-20270420T040000Z.db"
    assert list(folder.iterdir()) == [made.path], "no -wal, no .partial left"
    found = inspect(made.path)
    assert found.revision == head_revision()
    assert found.taken_at == NOW
    # The live database is not marked: only the copy is.
    with sqlite3.connect(database) as conn:
        assert not conn.execute("SELECT 1 FROM app_state WHERE key=?", (TAKEN_AT_KEY,)).fetchone()


async def test_a_missing_backup_folder_is_refused_not_created(tmp_path: Path) -> None:
    database = await migrated(tmp_path / "live.db")
    with pytest.raises(BackupError, match="does not exist"):
        await take_backup(database, tmp_path / "mnt" / "backup", NOW)
    assert not (tmp_path / "mnt").exists()


def test_a_file_is_no_backup_folder(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(BackupError, match="is not a folder"):
        check_folder(tmp_path / "file")


def test_an_unwritable_backup_folder_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "readonly"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        if os.access(folder, os.W_OK):
            # Root ignores permission bits: make the write fail as it would for the bot's user.
            def refuse(*_args: object, **_kwargs: object) -> object:
                raise PermissionError(13, "Permission denied")

            monkeypatch.setattr(tempfile, "NamedTemporaryFile", refuse)
        with pytest.raises(BackupError, match=r"not writable \(Permission denied\)"):
            check_folder(folder)
    finally:
        folder.chmod(0o755)


# -- what a restore refuses ----------------------------------------------------------------------


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    notes = tmp_path / "notes.db"
    notes.write_text("these are my notes, not a database\n" * 10)
    with pytest.raises(BackupError, match="not a SQLite database"):
        check_restorable(notes)


def test_another_programs_database_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")
    with pytest.raises(BackupError, match="not Twinbridge's"):
        check_restorable(other)


async def test_a_truncated_backup_is_refused(tmp_path: Path) -> None:
    whole = await migrated(tmp_path / "whole.db")
    with sqlite3.connect(whole) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")
    cut = tmp_path / "cut.db"
    data = whole.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(BackupError, match="truncated"):
        check_restorable(cut)


async def test_a_backup_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    newer = await migrated(tmp_path / "newer.db")
    with sqlite3.connect(newer) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099'")
    with pytest.raises(BackupError, match=r"newer release of Twinbridge \(schema 0099"):
        check_restorable(newer)


async def test_a_corrupted_backup_is_refused(tmp_path: Path) -> None:
    damaged = await migrated(tmp_path / "damaged.db")
    with sqlite3.connect(damaged) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    data = bytearray(damaged.read_bytes())
    # Scribble over the second page (a table's b-tree), leaving the header whole.
    data[page_size : page_size + 64] = b"\xff" * 64
    damaged.write_bytes(bytes(data))
    with pytest.raises(BackupError, match=r"integrity check|cannot read"):
        check_restorable(damaged)


async def test_a_refused_restore_leaves_the_database_alone(tmp_path: Path) -> None:
    database = await migrated(tmp_path / "live.db")
    before = database.read_bytes()
    bad = tmp_path / "bad.db"
    bad.write_text("nope")
    with pytest.raises(BackupError):
        await restore_backup(bad, database, None, NOW)
    assert database.read_bytes() == before
    left = await asyncio.to_thread(lambda: sorted(p.name for p in tmp_path.iterdir()))
    assert left == ["bad.db", "live.db"]


async def test_an_older_backup_is_migrated_on_restore(tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    db = create_database(f"sqlite+aiosqlite:///{old}")
    try:
        await upgrade(db, "0012")
    finally:
        await db.dispose()
    database = await migrated(tmp_path / "live.db")
    done = await restore_backup(old, database, None, NOW)
    assert done.migrated and done.revision == "0012"
    assert inspect(database).revision == head_revision()
    assert done.aside is not None and done.aside.exists()


# -- the journal --------------------------------------------------------------------------------


async def test_the_journal_keeps_no_id_and_its_key_is_private(tmp_path: Path) -> None:
    journal = ErasureJournal(tmp_path / "keys" / "erasure.key", tmp_path / "erasure.journal")
    await journal.person_erased(1, 123456789012345678, NOW)
    await journal.exchange_pruned(1, 7, NOW + timedelta(days=1))
    text = journal.path.read_text()
    assert "123456789012345678" not in text
    assert journal.key_file.stat().st_mode & 0o077 == 0
    hasher = journal.hasher()
    assert hasher is not None
    entries = journal.entries()
    assert entries[0].subject == hasher(123456789012345678)
    assert [e.kind for e in journal.entries(NOW + timedelta(hours=1))] == ["exchange"]
    # Another key gives other hashes: the journal alone identifies nobody.
    other = ErasureJournal(tmp_path / "other.key", journal.path)
    await other.person_erased(1, 1, NOW)
    other_hasher = other.hasher()
    assert other_hasher is not None and other_hasher(123456789012345678) != entries[0].subject


def test_a_damaged_journal_line_is_reported(tmp_path: Path) -> None:
    journal = ErasureJournal(tmp_path / "k", tmp_path / "j")
    journal.path.write_text('garbage\n{"at": "2027-01-01T00:00:00+00:00"}\n')
    with pytest.raises(JournalError, match="line 1"):
        journal.entries()


def test_a_last_line_cut_by_a_crash_is_skipped(tmp_path: Path) -> None:
    journal = ErasureJournal(tmp_path / "k", tmp_path / "j")
    journal.path.write_text(
        '{"at":"2027-01-01T00:00:00+00:00","kind":"exchange","guild":"1","exchange":2}\n{"at":'
    )
    assert [e.exchange_id for e in journal.entries()] == [2]


def test_module_names_backups_by_utc_time() -> None:
    local = NOW.astimezone(backups.UTC)
    assert backup_name(local) == "twinbridge-20270420T040000Z.db"


def test_a_backup_before_an_upgrade_is_spared_by_thinning_not_by_retention() -> None:
    before = NOW - timedelta(hours=1)
    spared = Path(backup_name(before, before="0012"))
    assert spared.name == "twinbridge-20270420T030000Z-before-0012.db"
    found = [(NOW, Path(backup_name(NOW))), (before, spared)]
    assert to_delete(found, NOW, keep_daily=1, keep_weekly=0, retention_days=30) == []
    later = NOW + timedelta(days=31)
    assert spared in to_delete(found, later, keep_daily=1, keep_weekly=0, retention_days=30)


def test_names_with_a_note_or_a_number_are_backups(tmp_path: Path) -> None:
    for name in (backup_name(NOW, before="0012"), backup_name(NOW).replace(".db", "-2.db")):
        (tmp_path / name).write_bytes(b"x")
    assert len(backups_in(tmp_path)) == 2
