"""Backups taken while the bot runs, and restores that never bring back an erased child.

The story: the volunteer hosting Twinbridge backs it up every night. In spring a disk fails
and the bot is restored from a backup, some days old. Meanwhile Layla's family had asked for
her data to be erased, and an exchange's retention period had ended: neither may come back.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.sandbox.driver import Sandbox
from bot.services.backups import (
    Backup,
    BackupError,
    Restored,
    backups_in,
    restore_backup,
    take_backup,
)
from bot.services.erasure_journal import ErasureJournal
from bot.store import roster
from bot.store.schema import activity, metadata, partnerships
from tests.databases import sqlite_only
from tests.sandbox.safety_world import search_store, six_students
from tests.sandbox.test_privacy import NAME, ended, layla_everywhere
from tests.sandbox.world import World, make_world

pytestmark = sqlite_only("backups copy a SQLite file (PostgreSQL: pg_dump)")

ERASED_WORDS = ("Layla", "Haddad", "horses", "phone")


def database_of(sb: Sandbox) -> Path:
    path = sb.bot.ctx.settings.sqlite_path()
    assert path is not None
    return path


def journal_of(sb: Sandbox) -> ErasureJournal:
    journal = sb.bot.ctx.journal
    assert journal is not None
    return journal


async def backup(sb: Sandbox, folder: Path) -> Backup:
    """What `twinbridge backup --to folder` does, at the sandbox's time."""
    await asyncio.to_thread(folder.mkdir, exist_ok=True)
    return await take_backup(database_of(sb), folder, sb.now())


async def restore(sb: Sandbox, made: Backup) -> Restored:
    """Stop the bot, restore the backup as `twinbridge restore` does, start it again."""
    url = sb.bot.ctx.settings.database_url
    database, journal = database_of(sb), journal_of(sb)
    await sb.stop_bot()
    done = await restore_backup(made.path, database, journal, sb.now())
    await sb.start_bot(url)
    return done


async def counts(sb: Sandbox) -> dict[str, int]:
    async with sb.bot.ctx.db.read() as conn:
        return {
            t.name: int((await conn.execute(select(func.count()).select_from(t))).scalar_one())
            for t in metadata.sorted_tables
        }


async def erase(sb: Sandbox, world: World, who: object) -> None:
    ask = await sb.command(world.coordinator, "privacy erase", student=who)
    done = await sb.click(world.coordinator, ask, "Erase for good")
    assert "is erased" in done.text, done.text


async def test_a_backup_is_the_database_of_one_instant_while_the_bot_writes(
    sb: Sandbox, tmp_path: Path
) -> None:
    """Students join while the backup is being copied: the restored database holds exactly
    what was committed when the copy began, every table consistent with the others."""
    world = await make_world(sb)
    await six_students(world)
    await sb.command(world.teacher, "pair confirm")
    before = await counts(sb)
    loop = asyncio.get_running_loop()

    async def write_meanwhile() -> None:
        for i in range(5):
            await world.add_student(f"Late {i}", i % 2)
        await sb.command(world.teacher, "roster list")

    def while_copying() -> None:
        # In the backup's thread, after its instant is fixed and before any page is copied:
        # the bot commits more rows (and waits for nothing from the copy).
        asyncio.run_coroutine_threadsafe(write_meanwhile(), loop).result(timeout=30)

    folder = tmp_path / "backups"
    folder.mkdir()
    made = await take_backup(database_of(sb), folder, sb.now(), snapshot_taken=while_copying)
    after = await counts(sb)
    assert after["participants"] == before["participants"] + 5
    assert made.tables["participants"] == before["participants"]

    done = await restore(sb, made)
    assert await counts(sb) == before
    assert done.tables["participants"] == before["participants"]
    # The restored bot works: the roster is the one of the backup's instant.
    listed = await sb.command(world.teacher, "roster list")
    assert "Ben" in listed.text and "Late 0" not in listed.text


async def test_a_person_erased_after_the_backup_stays_erased_after_a_restore(
    sb: Sandbox, tmp_path: Path
) -> None:
    """Layla is in the backup; her family then asks for erasure; the backup is restored:
    nothing of her is anywhere in the database, and everyone else is back."""
    world, layla = await layla_everywhere(sb)
    made = await backup(sb, tmp_path / "backups")
    assert made.tables["participants"] > 0
    await sb.advance(days=1)
    await erase(sb, world, layla)
    # The journal holds no id of hers: only a keyed hash.
    journal_text = journal_of(sb).path.read_text()
    assert str(layla.user.id) not in journal_text and "Layla" not in journal_text
    key = journal_of(sb).key_file
    assert key.exists() and not key.is_relative_to(tmp_path / "backups")

    done = await restore(sb, made)
    assert done.reapplied.people == 1
    assert await search_store(sb, layla.user.id, ERASED_WORDS) == []
    ben = world.students["Ben"]
    assert await search_store(sb, ben.user.id) != []
    async with sb.bot.ctx.db.read() as conn:
        kinds = (await conn.scalars(select(activity.c.kind))).all()
    assert "privacy.erased_again" in kinds
    # The bot restored from it still works for the others.
    listed = await sb.command(world.teacher, "roster list")
    assert "Ben" in listed.text and "Layla" not in listed.text


async def test_someone_erased_before_the_backup_who_came_back_is_kept(
    sb: Sandbox, tmp_path: Path
) -> None:
    """Only erasures made after the backup are done again: a student erased in autumn who
    joined again in winter, before the backup, keeps the place they have now."""
    world = await make_world(sb)
    await six_students(world)
    ben = world.students["Ben"]
    await erase(sb, world, ben)
    await sb.advance(days=30)
    async with sb.bot.ctx.db.transaction() as conn:
        await roster.add(
            conn,
            guild_id=sb.guild.id,
            exchange_id=world.exchange_id,
            user_id=ben.user.id,
            role=roster.Role.STUDENT,
            display_name="Ben",
            city_id=world.city_ids[0],
            now=sb.now(),
        )
    await sb.advance(days=1)
    made = await backup(sb, tmp_path / "backups")
    await sb.advance(days=1)
    done = await restore(sb, made)
    assert done.reapplied.people == 0
    assert await search_store(sb, ben.user.id) != []


@pytest.fixture
async def short_retention(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Sandbox]:
    monkeypatch.setenv("RETENTION_DAYS", "30")
    async with Sandbox.running(tmp_path) as sandbox:
        yield sandbox


async def test_an_exchange_pruned_after_the_backup_stays_pruned(
    short_retention: Sandbox, tmp_path: Path
) -> None:
    """The backup was taken before the retention period ran out; the restore prunes again."""
    sb = short_retention
    world, layla = await layla_everywhere(sb)
    await ended(world)
    made = await backup(sb, tmp_path / "backups")
    await sb.advance(days=31)
    assert await search_store(sb, layla.user.id, (NAME,)) == []

    done = await restore(sb, made)
    assert done.reapplied.exchanges == 1
    assert await search_store(sb, layla.user.id, ERASED_WORDS) == []
    async with sb.bot.ctx.db.read() as conn:
        pruned_at = await conn.scalar(
            select(partnerships.c.pruned_at).where(partnerships.c.id == world.exchange_id)
        )
    assert pruned_at is not None


async def test_a_restore_without_the_erasure_key_is_refused(sb: Sandbox, tmp_path: Path) -> None:
    """On a new server without the key, the journal cannot be matched: nothing is replaced."""
    world, layla = await layla_everywhere(sb)
    made = await backup(sb, tmp_path / "backups")
    await sb.advance(hours=1)
    await erase(sb, world, layla)
    database, journal = database_of(sb), journal_of(sb)
    before = await counts(sb)
    await sb.stop_bot()
    journal.key_file.rename(tmp_path / "elsewhere.key")
    with pytest.raises(BackupError, match=r"erasure key .* is missing"):
        await restore_backup(made.path, database, journal, sb.now())
    assert not database.with_name(database.name + ".restoring").exists()
    await sb.start_bot(sb.bot.ctx.settings.database_url)
    assert await counts(sb) == before


async def test_the_replaced_database_is_kept_aside(sb: Sandbox, tmp_path: Path) -> None:
    """The database a restore replaces is kept beside it, whole, under a dated name."""
    world = await make_world(sb)
    made = await backup(sb, tmp_path / "backups")
    await world.add_student("After", 0)
    now = await counts(sb)
    done = await restore(sb, made)
    assert done.aside is not None and done.aside.exists()
    assert done.aside.name.startswith(database_of(sb).name + ".replaced-")
    import sqlite3

    with sqlite3.connect(done.aside) as conn:
        kept = conn.execute("SELECT count(*) FROM participants").fetchone()[0]
    assert kept == now["participants"]


# -- the bot's own daily backup -----------------------------------------------------------------


@pytest.fixture
async def nightly(tmp_path: Path) -> AsyncIterator[Sandbox]:
    """A bot with BACKUP_DIR set, keeping 3 daily and 2 weekly backups."""
    folder = tmp_path / "backups"
    folder.mkdir()
    settings = {"backup_dir": folder, "backup_keep_daily": 3, "backup_keep_weekly": 2}
    async with Sandbox.running(tmp_path, settings=settings) as sandbox:
        yield sandbox


async def test_the_bot_backs_itself_up_daily_and_rotates(nightly: Sandbox) -> None:
    """One backup at start-up, then one a night at 04:00 UTC; old ones are rotated away."""
    sb = nightly
    folder = sb.bot.ctx.settings.backup_dir
    assert folder is not None
    first = backups_in(folder)
    assert len(first) == 1, "a backup at start-up, since none was taken today"
    for _ in range(20):
        await sb.advance(days=1)
    found = backups_in(folder)
    days = {taken.date() for taken, _ in found}
    assert len(found) == len(days), "one a day"
    newest = max(taken for taken, _ in found)
    assert newest.hour == 4 and sb.now() - newest < timedelta(days=1)
    # 3 daily + the newest of 2 weeks, some of which coincide.
    assert 3 <= len(found) <= 5
    for _, path in found:
        assert path.stat().st_size > 0
    # A restart the same day takes no second backup.
    await sb.restart_bot()
    assert len(backups_in(folder)) == len(found)


async def test_a_failing_nightly_backup_is_logged_and_the_next_one_recovers(
    nightly: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    """The backup disk is unmounted: the night's backup fails, says so in the log and in
    health; once it is back, the next night's succeeds."""
    sb = nightly
    folder = sb.bot.ctx.settings.backup_dir
    assert folder is not None
    moved = folder.with_name("unmounted")
    folder.rename(moved)
    await sb.advance(days=1)
    assert any("backup failed" in r.getMessage() for r in caplog.records)
    report = await sb.bot.ctx.health.run()
    assert report.failing() == ["backup"]
    assert "does not exist" in report.checks["backup"].detail
    assert not folder.exists(), "a missing backup folder is never created"
    moved.rename(folder)
    await sb.advance(days=1)
    report = await sb.bot.ctx.health.run()
    assert report.ok, json.dumps(report.as_json())


async def test_an_upgrade_at_start_up_is_preceded_by_a_backup(tmp_path: Path) -> None:
    """A new release starting on an older database backs it up before migrating it, so the
    upgrade can be undone; the day's backup follows, and neither overwrites the other."""
    from bot.store import create_database
    from bot.store.backup import inspect
    from bot.store.migrate import head_revision, upgrade

    database = tmp_path / "old.db"
    old = create_database(f"sqlite+aiosqlite:///{database}")
    try:
        await upgrade(old, "0012")
    finally:
        await old.dispose()
    folder = tmp_path / "backups"
    await asyncio.to_thread(folder.mkdir)
    async with Sandbox.running(
        tmp_path,
        database_url=f"sqlite+aiosqlite:///{database}",
        settings={"backup_dir": folder},
    ) as sb:
        found = await asyncio.to_thread(backups_in, folder)
        revisions = sorted(str(inspect(path).revision) for _, path in found)
        assert revisions == sorted(["0012", str(head_revision())])
        report = await sb.bot.ctx.health.run()
        assert report.checks["backup"].ok, report.checks["backup"].detail
