"""Backups of the database, their rotation, the bot's daily one, and restoring one.

A backup is a consistent copy taken while the bot runs (`bot.store.backup.copy_live`), checked
(SQLite's integrity check, a schema this installation knows) before it gets its final name
`twinbridge-YYYYMMDDTHHMMSSZ.db`, so a file with that name is always a whole backup.
Rotation keeps the newest backup of each of the last BACKUP_KEEP_DAILY days and of each of the
last BACKUP_KEEP_WEEKLY weeks, and never one older than RETENTION_DAYS: a backup holds the
people of exchanges that retention has since pruned.

Restoring refuses a damaged file, one that is not Twinbridge's, or one from a newer release;
it migrates an older one, erases and prunes again what the erasure journal recorded after the
backup was taken, and keeps the database it replaces aside.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bot.clock import Clock
from bot.metrics import Metrics
from bot.services.erasure_journal import ErasureJournal, JournalError
from bot.services.scheduler import Rearm
from bot.store import Database, create_database, sends
from bot.store.backup import (
    BackupFileError,
    Inspection,
    copy_file,
    copy_live,
    inspect,
    settle_restored,
)
from bot.store.migrate import head_revision, known_revisions, upgrade

if TYPE_CHECKING:
    from bot.services.privacy import Reapplied

log = logging.getLogger(__name__)

BACKUP_KIND = "ops.backup"
# After the privacy pruning at 03:00, so a backup never holds what that run anonymised.
BACKUP_AT = time(4, 0)
# A daily backup is late after a day and a couple of hours.
STALE_AFTER = timedelta(hours=26)
NO_GUILD = 0
_STAMP = "%Y%m%dT%H%M%SZ"
_NAME = re.compile(r"twinbridge-(\d{8}T\d{6}Z)(?:-before-[0-9a-z]+)?(?:-\d+)?\.db")
# Backups taken before a schema upgrade are named so; daily thinning spares them (they undo
# an upgrade), only the retention period removes them.
BEFORE_UPGRADE = "-before-"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message is one line saying why."""


@dataclass(frozen=True, slots=True)
class Backup:
    """A backup that passed its check."""

    path: Path
    taken_at: datetime
    size: int
    tables: dict[str, int]
    deleted: tuple[Path, ...] = ()  # older backups rotation removed after it


@dataclass(frozen=True, slots=True)
class Restored:
    """What a restore did."""

    source: Path
    taken_at: datetime | None
    revision: str
    migrated: bool
    reapplied: Reapplied
    aside: Path | None  # where the database it replaced now is
    tables: dict[str, int] = field(default_factory=dict)


def backup_name(at: datetime, before: str | None = None) -> str:
    """The file name of a backup taken at `at` (`before` an upgrade from that schema)."""
    note = f"{BEFORE_UPGRADE}{before}" if before else ""
    return f"twinbridge-{at.astimezone(UTC).strftime(_STAMP)}{note}.db"


def backups_in(folder: Path) -> list[tuple[datetime, Path]]:
    """The backups in a folder, newest first (other files are not ours and left alone)."""
    found = []
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        for path in folder.iterdir():
            match = _NAME.fullmatch(path.name)
            if match and path.is_file():
                taken = datetime.strptime(match.group(1), _STAMP).replace(tzinfo=UTC)
                found.append((taken, path))
    return sorted(found, reverse=True)


def to_delete(
    found: list[tuple[datetime, Path]],
    now: datetime,
    *,
    keep_daily: int,
    keep_weekly: int,
    retention_days: int,
) -> list[Path]:
    """The backups rotation removes: all but the newest of each of the last `keep_daily` days
    and `keep_weekly` ISO weeks that have one, and any older than the retention period.
    Backups taken before an upgrade stay until the retention period is over."""
    oldest = now - timedelta(days=retention_days)
    keep: set[Path] = set()
    days: set[object] = set()
    weeks: set[object] = set()
    for taken, path in sorted(found, reverse=True):
        if taken < oldest:
            continue
        if BEFORE_UPGRADE in path.name:
            keep.add(path)
            continue
        day = taken.date()
        week = day.isocalendar()[:2]
        if day not in days and len(days) < keep_daily:
            days.add(day)
            keep.add(path)
        if week not in weeks and len(weeks) < keep_weekly:
            weeks.add(week)
            keep.add(path)
    return [path for _, path in found if path not in keep]


def check_folder(folder: Path) -> None:
    """Raise BackupError unless backups can be written into `folder`.

    A missing folder is not created: it is most often a backup disk that is not mounted, and
    writing to the empty mount point would fill the disk the database is on.
    """
    if not folder.exists():
        raise BackupError(f"the backup folder {folder} does not exist (is its disk mounted?)")
    if not folder.is_dir():
        raise BackupError(f"the backup folder {folder} is not a folder")
    try:
        # A real write: permissions are not the only reason (a read-only mount, root's
        # exemption from permission bits, a full disk).
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".twinbridge-write-test-"):
            pass
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        raise BackupError(f"the backup folder {folder} is not writable ({why})") from None


def _take(
    database: Path,
    folder: Path,
    at: datetime,
    snapshot_taken: Callable[[], None] | None,
    before: str | None,
) -> Backup:
    check_folder(folder)
    if not database.is_file():
        raise BackupError(f"there is no database at {database}")
    final = folder / backup_name(at, before)
    # Two backups within one second: keep both.
    number = 1
    while final.exists():
        number += 1
        final = folder / backup_name(at, before).replace(".db", f"-{number}.db")
    partial = final.with_name(final.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        copy_live(database, partial, at=at, snapshot_taken=snapshot_taken)
        found = inspect(partial)
        if found.revision not in known_revisions():
            raise BackupFileError(f"its schema {found.revision} is unknown to this release")
        os.replace(partial, final)
    except BackupFileError as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"the copy failed its check: {exc}") from None
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"could not write {final}: {exc.strerror or exc}") from None
    return Backup(final, at, final.stat().st_size, found.tables)


async def take_backup(
    database: Path,
    folder: Path,
    at: datetime,
    *,
    snapshot_taken: Callable[[], None] | None = None,
    before: str | None = None,
) -> Backup:
    """A checked, consistent backup of the database file into `folder`, taken at `at`
    (`before` an upgrade from that schema revision).

    The bot may keep writing meanwhile (the copy runs in a thread). Raises BackupError.
    """
    return await asyncio.to_thread(_take, database, folder, at, snapshot_taken, before)


def rotate(
    folder: Path, now: datetime, *, keep_daily: int, keep_weekly: int, retention_days: int
) -> list[Path]:
    """Delete the backups rotation no longer keeps; returns them."""
    doomed = to_delete(
        backups_in(folder),
        now,
        keep_daily=keep_daily,
        keep_weekly=keep_weekly,
        retention_days=retention_days,
    )
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed


def _next_run(after: datetime) -> datetime:
    return datetime.combine(after.date() + timedelta(days=1), BACKUP_AT, after.tzinfo)


class BackupService:
    """The bot's daily backup (BACKUP_DIR), and what health and metrics say about backups."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        scheduler: Rearm,
        *,
        database: Path | None,
        folder: Path | None,
        keep_daily: int,
        keep_weekly: int,
        retention_days: int,
        metrics: Metrics | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.scheduler = scheduler
        self.database = database
        self.folder = folder
        self.keep_daily = keep_daily
        self.keep_weekly = keep_weekly
        self.retention_days = retention_days
        self.metrics = metrics
        # The last backup's failure, until one succeeds: (when, why).
        self.failure: tuple[datetime, str] | None = None
        self.started = clock.now()

    @property
    def enabled(self) -> bool:
        """Whether the bot backs itself up (BACKUP_DIR set, a database file to copy)."""
        return self.folder is not None and self.database is not None

    async def backup_now(self, before: str | None = None) -> Backup:
        """Take a backup into BACKUP_DIR (`before` an upgrade from that schema) and rotate;
        a failure is logged and remembered for health, then raised (BackupError)."""
        assert self.folder is not None and self.database is not None
        now = self.clock.now()
        try:
            made = await take_backup(self.database, self.folder, now, before=before)
            deleted = await asyncio.to_thread(
                rotate,
                self.folder,
                now,
                keep_daily=self.keep_daily,
                keep_weekly=self.keep_weekly,
                retention_days=self.retention_days,
            )
        except BackupError as exc:
            self.failure = (now, str(exc))
            if self.metrics is not None:
                self.metrics.backup_failures.inc()
            log.error("backup failed: %s", exc)
            raise
        self.failure = None
        log.info(
            "backup %s taken (%d bytes); %d old backups removed",
            made.path.name,
            made.size,
            len(deleted),
        )
        return Backup(made.path, made.taken_at, made.size, made.tables, tuple(deleted))

    def newest(self) -> datetime | None:
        """When the newest backup in BACKUP_DIR was taken (whoever took it)."""
        if self.folder is None:
            return None
        found = backups_in(self.folder)
        return found[0][0] if found else None

    def health(self) -> tuple[bool, str]:
        """Whether backups are fine, and a line saying so."""
        if not self.enabled:
            return True, "off (BACKUP_DIR is empty)"
        now = self.clock.now()
        if self.failure is not None:
            when, why = self.failure
            return False, f"the last backup failed at {when.isoformat()}: {why}"
        newest = self.newest()
        if newest is None:
            if now - self.started < STALE_AFTER:
                return True, "no backup yet; the first is due today"
            return False, "no backup in BACKUP_DIR"
        age = now - newest
        if age > STALE_AFTER:
            return False, f"the newest backup is {age.total_seconds() / 3600:.0f} hours old"
        return True, f"newest backup taken {newest.isoformat()}"

    async def _plan(self, when: datetime) -> None:
        async with self.db.transaction() as conn:
            # One key a day: planning again (a restart) never doubles a day's backup.
            await sends.plan(
                conn,
                key=f"ops:backup:{when.date().isoformat()}",
                kind=BACKUP_KIND,
                due_at=when,
                guild_id=NO_GUILD,
                expires_at=datetime.combine(when.date() + timedelta(days=1), time(), when.tzinfo),
            )

    async def plan_daily(self) -> None:
        """At start-up: today's backup (now, unless one ran today) and tomorrow's."""
        if not self.enabled:
            return
        now = self.clock.now()
        assert self.folder is not None
        try:
            check_folder(self.folder)
        except BackupError as exc:
            log.error("BACKUP_DIR: %s; the daily backup will fail until it is fixed", exc)
        await self._plan(now)
        await self._plan(_next_run(now))
        await self.scheduler.rearm()

    async def daily(self, _send: sends.Send) -> None:
        """The daily job: a backup, then tomorrow's is planned (even after a failure, which
        is logged and shown by health rather than retried blindly)."""
        with contextlib.suppress(BackupError):
            await self.backup_now()
        await self._plan(_next_run(self.clock.now()))


# -- restore ---------------------------------------------------------------------------------


def check_restorable(source: Path) -> Inspection:
    """The backup's contents, or BackupError saying why it cannot be restored."""
    try:
        found = inspect(source)
    except BackupFileError as exc:
        raise BackupError(f"{source} cannot be restored: {exc}") from None
    head = head_revision()
    if found.revision is None:
        raise BackupError(f"{source} cannot be restored: it has no schema version")
    if found.revision not in known_revisions():
        raise BackupError(
            f"{source} is from a newer release of Twinbridge (schema {found.revision}; this "
            f"one knows up to {head}): upgrade Twinbridge first, then restore"
        )
    return found


def _aside(database: Path, at: datetime) -> Path | None:
    """Move the database (and its WAL files) aside under a dated name; returns the new name."""
    if not database.exists():
        return None
    moved = database.with_name(f"{database.name}.replaced-{at.astimezone(UTC).strftime(_STAMP)}")
    for suffix in ("-wal", "-shm", ""):
        part = database.with_name(database.name + suffix)
        if part.exists():
            os.replace(part, moved.with_name(moved.name + suffix))
    return moved


async def restore_backup(
    source: Path, database: Path, journal: ErasureJournal | None, now: datetime
) -> Restored:
    """Replace the database file with the backup at `source` (the bot must be stopped).

    The backup is checked, copied beside the database, migrated, and every erasure and
    pruning journalled after it was taken is done again, all before the database is touched;
    the database it replaces is then moved aside. Raises BackupError.
    """
    # Imported here: `twinbridge backup` needs none of the privacy service's imports.
    from bot.services.privacy import Reapplied, reapply_erasures

    found = await asyncio.to_thread(check_restorable, source)
    work = database.with_name(database.name + ".restoring")
    for suffix in ("", "-wal", "-shm"):
        work.with_name(work.name + suffix).unlink(missing_ok=True)
    database.parent.mkdir(parents=True, exist_ok=True)
    await asyncio.to_thread(copy_file, source, work)
    db = create_database(f"sqlite+aiosqlite:///{work}")
    try:
        await upgrade(db)
        if journal is not None:
            reapplied = await reapply_erasures(db, journal, found.taken_at, now)
        else:
            reapplied = Reapplied(0, 0, 0)
    except BaseException as exc:
        await db.dispose()
        work.unlink(missing_ok=True)
        if isinstance(exc, JournalError):
            raise BackupError(f"{source} was not restored: {exc}") from None
        raise
    await db.dispose()
    await asyncio.to_thread(settle_restored, work)
    try:
        final = await asyncio.to_thread(inspect, work)
    except BackupFileError as exc:
        raise BackupError(f"the restored copy failed its check: {exc}") from None
    aside = await asyncio.to_thread(_aside, database, now)
    await asyncio.to_thread(os.replace, work, database)
    assert found.revision is not None
    return Restored(
        source=source,
        taken_at=found.taken_at,
        revision=found.revision,
        migrated=found.revision != head_revision(),
        reapplied=reapplied,
        aside=aside,
        tables=final.tables,
    )
