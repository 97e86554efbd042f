"""Command line: `python -m bot [run|migrate|demo|report|backup|restore|i18n]`, run by default."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Callable, Coroutine, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot import __version__
from bot.config import (
    PG_BACKUP_HINT,
    Settings,
    SettingsError,
    is_postgresql,
    load_settings,
    sqlite_file,
)
from bot.logs import setup_logging

NO_TOKEN_HINT = (
    "DISCORD_TOKEN is not set: put your bot token in .env (see .env.example), "
    "or try `make demo`, which runs offline."
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="twinbridge", description="Twinbridge Discord bot")
    parser.add_argument("--version", action="version", version=f"twinbridge {__version__}")
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run", help="log in to Discord and serve (the default)")
    run.add_argument(
        "--sync",
        action="store_true",
        help="register the slash commands with Discord even if they did not change",
    )
    sub.add_parser("migrate", help="upgrade the database schema to the latest version")
    demo = sub.add_parser("demo", help="run a scripted exchange offline in the loopback sandbox")
    demo.add_argument("--output", default="demo-output", help="folder for images, CSV and charts")
    demo.add_argument(
        "--language",
        default=None,
        help="the language the exchange's teachers and students use (en, ar, es, fr, tr); "
        "qps: the pseudo-locale, which fails on any text that skipped the catalogue",
    )
    i18n = sub.add_parser("i18n", help="translations: what is missing or stale per language")
    i18n_sub = i18n.add_subparsers(dest="i18n_command", required=True)
    check = i18n_sub.add_parser(
        "check",
        help="missing and stale keys, placeholder and plural-form mismatches (exit 1 if any)",
    )
    check.add_argument(
        "--language", action="append", help="only this language (repeatable); all by default"
    )
    report = sub.add_parser(
        "report",
        help="attendance or the exchange's figures as CSV, JSON or an Excel workbook",
        description="The same figures as /report attendance and /report exchange.",
    )
    report.add_argument("kind", choices=["attendance", "exchange"])
    report.add_argument("--exchange", type=int, help="the exchange's id (needed if several)")
    report.add_argument("--from", dest="start", help="first day, YYYY-MM-DD (default: 90 days)")
    report.add_argument("--to", dest="end", help="last day, included, YYYY-MM-DD (default: today)")
    report.add_argument("--city", help="attendance of one city only, by name")
    report.add_argument(
        "--format",
        choices=["csv", "json", "xlsx"],
        default="csv",
        help="xlsx: a workbook with a sheet per level (give --output, or redirect)",
    )
    report.add_argument("--output", help="write to this file instead of standard output")
    backup = sub.add_parser(
        "backup",
        help="a checked copy of the database, safe while the bot runs",
        description=(
            "Copies the database as of one instant (SQLite's online backup; the bot may keep "
            "running), checks the copy, and, into BACKUP_DIR, rotates older backups."
        ),
    )
    backup.add_argument("--to", help="the folder to write it to (default: BACKUP_DIR)")
    restore = sub.add_parser(
        "restore",
        help="replace the database with a backup (stop the bot first)",
        description=(
            "Checks the backup, migrates it if it is older, erases again everyone erased and "
            "prunes again every exchange pruned after it was taken, and keeps the database "
            "it replaces beside it."
        ),
    )
    restore.add_argument("file", help="the backup file")
    export = sub.add_parser(
        "privacy-export",
        help="everything stored about one person, as JSON (as /privacy export)",
        description="The same document as /privacy export, for one too large for Discord.",
    )
    export.add_argument("--guild", type=int, required=True, help="the Discord server's id")
    export.add_argument("--user", type=int, required=True, help="the person's Discord user id")
    export.add_argument(
        "--name",
        action="append",
        default=[],
        help="a name they were known by (repeatable), as /privacy export is given",
    )
    export.add_argument("--output", help="write to this file instead of standard output")
    copy = sub.add_parser(
        "copy-db",
        help="copy a SQLite deployment into an empty PostgreSQL database (stop the bot first)",
        description=(
            "Migrates TARGET to the newest schema, copies every table in batches, and checks "
            "the copy: the same rows in every table and the same /report figures. TARGET must "
            "be empty. Then set DATABASE_URL to TARGET."
        ),
    )
    copy.add_argument(
        "source", metavar="SOURCE", help="e.g. sqlite+aiosqlite:///data/twinbridge.db"
    )
    copy.add_argument("target", metavar="TARGET", help="e.g. postgresql+asyncpg://u:p@host/db")
    return parser


def _copy_db(args: argparse.Namespace) -> int:
    """`copy-db SOURCE TARGET`: one line of outcome (the URLs' passwords never shown)."""
    from bot.services.copy_db import CopyError, copy_database
    from bot.store.backup import InUseError, exclusive_use
    from bot.store.engine import DatabaseUnreachableError

    source = sqlite_file(args.source)
    try:
        # The source must not change during the copy: the bot holds this lock while it runs.
        with exclusive_use(source) if source and source.exists() else contextlib.nullcontext():
            done = asyncio.run(copy_database(args.source, args.target))
    except InUseError as exc:
        print(f"Not copied: {exc} (stop the bot first).", file=sys.stderr)
        return 1
    except (CopyError, DatabaseUnreachableError) as exc:
        print(f"Not copied: {exc}.", file=sys.stderr)
        return 1
    rows = sum(done.rows.values())
    print(
        f"Copied {rows} rows in {len(done.rows)} tables; row counts and the /report figures of "
        f"{done.exchanges} exchanges are the same in both. Set DATABASE_URL to the target."
    )
    return 0


async def _migrate(settings: Settings) -> None:
    from bot.store import create_database
    from bot.store.engine import wait_until_reachable
    from bot.store.migrate import upgrade

    db = create_database(settings.database_url)
    try:
        await wait_until_reachable(db)
        await upgrade(db)
    finally:
        await db.dispose()


# systemd and docker stop a service with SIGTERM; a terminal with SIGINT (Ctrl-C).
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def install_stop_handlers(
    loop: asyncio.AbstractEventLoop, on_stop: Callable[[signal.Signals], None]
) -> list[signal.Signals]:
    """Call `on_stop(signal)` on the first SIGTERM or SIGINT; a second one acts as usual.

    Returns the signals handled (none where the loop cannot handle signals, e.g. Windows,
    where Ctrl-C still ends the bot through KeyboardInterrupt).
    """
    installed: list[signal.Signals] = []

    def handle(signum: signal.Signals) -> None:
        # Once: a second Ctrl-C or SIGTERM then interrupts or kills as it normally would,
        # in case the clean shutdown itself hangs.
        for sig in installed:
            loop.remove_signal_handler(sig)
        on_stop(signum)

    for sig in STOP_SIGNALS:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, handle, sig)
            installed.append(sig)
    return installed


async def _run(settings: Settings, force_sync: bool = False) -> int:
    import discord

    from bot.app import Context, make_bot
    from bot.store import create_database
    from bot.store.engine import DatabaseUnreachableError, wait_until_reachable
    from bot.store.leases import InUseError

    assert settings.discord_token is not None
    db = create_database(settings.database_url)
    try:
        # Before Discord: a bot that cannot reach its database must not answer anyone.
        await wait_until_reachable(db)
    except DatabaseUnreachableError as exc:
        await db.dispose()
        print(f"Not started: {exc}.", file=sys.stderr)
        return 1
    bot = make_bot(
        Context(settings=settings, db=db),
        force_sync=force_sync,
        freeze_start_up_heap=True,
    )
    loop = asyncio.get_running_loop()
    shutdown: list[asyncio.Task[None]] = []

    def stop(signum: signal.Signals) -> None:
        logging.getLogger("bot").info("%s received: shutting down", signum.name)
        # The bot's close() stops the scheduler, leaves the gateway, then writes the activity
        # events still queued and closes the database: what a bare kill would lose.
        shutdown.append(loop.create_task(bot.close(), name="twinbridge:shutdown"))

    installed = install_stop_handlers(loop, stop)
    try:
        async with bot:
            await bot.start(settings.discord_token.get_secret_value())
    except discord.LoginFailure:
        print("DISCORD_TOKEN was rejected by Discord: copy the bot token again.", file=sys.stderr)
        return 1
    except InUseError as exc:
        print(f"Not started: {exc}.", file=sys.stderr)
        return 1
    except discord.PrivilegedIntentsRequired:
        print("Discord refused the gateway intents; see README 'Intents'.", file=sys.stderr)
        return 1
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
        # start() returns as soon as the gateway is closed, before close() has written what
        # is queued: wait for all of it before the process ends.
        for task in shutdown:
            await task
    if bot.leases_lost:
        return 1  # not a clean stop: the service manager starts it again
    logging.getLogger("bot").info("stopped cleanly")
    return 0


def _operator() -> str:
    """Who runs the command line, for the activity log (the OS account)."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid, e.g. in a container
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"


async def _report(settings: Settings, args: argparse.Namespace) -> str | bytes:
    """The report asked for on the command line: text (CSV or JSON) or a workbook's bytes."""
    from bot.clock import SystemClock
    from bot.domain import reporting, workbook
    from bot.services.reporting import ReportingService
    from bot.store import create_database

    db = create_database(settings.database_url)
    service = ReportingService(db, SystemClock())
    try:
        scope = await service.operator_scope(args.exchange, args.city)
        period = service.operator_period(args.start, args.end)
        # A coordinator's export of children's attendance is audited like /report.
        await service.operator_viewed(scope, args.kind, _operator(), period)
        if args.kind == "attendance":
            found = await service.compute_attendance(scope, period)
            if args.format == "xlsx":
                return workbook.attendance_workbook(found)
            if args.format == "json":
                return reporting.attendance_json(scope.exchange.name, period, found)
            return reporting.attendance_csv(found)
        figures = await service.compute_exchange(scope, period)
        if args.format == "xlsx":
            return workbook.exchange_workbook(figures)
        if args.format == "json":
            return reporting.exchange_json(figures)
        return reporting.exchange_csv(figures)
    finally:
        await db.dispose()


async def _privacy_export(settings: Settings, args: argparse.Namespace) -> str:
    """One person's data as /privacy export gives it, as JSON text."""
    from bot.clock import SystemClock
    from bot.services.activity_writer import ActivityWriter
    from bot.services.privacy import PrivacyService
    from bot.services.scheduler import Scheduler
    from bot.store import create_database

    db = create_database(settings.database_url)
    clock = SystemClock()
    # No bot runs here: nothing is queued to write and nothing scheduled to re-arm.
    scheduler = Scheduler(db, clock, grace=timedelta(0))
    service = PrivacyService(db, clock, scheduler, ActivityWriter(db), settings.retention_days)
    try:
        found = await service.operator_export(args.guild, args.user, _operator(), args.name)
        return found.data.decode("utf-8")
    finally:
        await db.dispose()


def _print_report(
    settings: Settings,
    args: argparse.Namespace,
    make: Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, str | bytes]] = _report,
) -> int:
    from sqlalchemy.exc import OperationalError

    from bot.cldr import dated
    from bot.config import sqlite_file
    from bot.errors import UserError
    from bot.i18n import t

    path = sqlite_file(settings.database_url)
    if path is not None and not path.exists():
        print(f"No database at {path}: check DATABASE_URL.", file=sys.stderr)
        return 1
    if getattr(args, "format", None) == "xlsx" and not args.output and sys.stdout.isatty():
        print("A workbook is not for the terminal: give --output FILE.xlsx.", file=sys.stderr)
        return 2
    try:
        text = asyncio.run(make(settings, args))
    except UserError as error:
        print(t(error.key, "en", **dated(error.params, "en")), file=sys.stderr)
        return 2
    except OperationalError:
        print("The database is not up to date: run `python -m bot migrate`.", file=sys.stderr)
        return 1
    if isinstance(text, bytes):
        if args.output:
            Path(args.output).write_bytes(text)
        else:
            sys.stdout.buffer.write(text)
            sys.stdout.flush()
        return 0
    if args.output:
        # With a byte-order mark, spreadsheet programs read Arabic names in a CSV correctly.
        encoding = "utf-8-sig" if getattr(args, "format", "json") == "csv" else "utf-8"
        with open(args.output, "w", encoding=encoding, newline="") as out:
            out.write(text)
    else:
        sys.stdout.write(text)
    return 0


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} bytes"
    if count < 1024 * 1024:
        return f"{count / 1024:.1f} KB"
    return f"{count / (1024 * 1024):.1f} MB"


def _backup(settings: Settings, args: argparse.Namespace) -> int:
    """`backup [--to DIR]`: a checked copy; BACKUP_DIR is rotated afterwards."""
    from bot.clock import SystemClock
    from bot.services.backups import BackupError, rotate, take_backup

    database = settings.sqlite_path()
    if is_postgresql(settings.database_url):
        print(f"Not backed up: {PG_BACKUP_HINT}.", file=sys.stderr)
        return 2
    if database is None:
        print("DATABASE_URL names no database file to back up.", file=sys.stderr)
        return 2
    folder = Path(args.to) if args.to else settings.backup_dir
    if folder is None:
        print("Where to? Set BACKUP_DIR, or give --to DIR.", file=sys.stderr)
        return 2
    key = settings.erasure_key_path()
    if key is not None and key.resolve().is_relative_to(folder.resolve()):
        print(
            f"Not backed up: {folder} holds the erasure key ({key}); "
            "backups must be kept apart from it.",
            file=sys.stderr,
        )
        return 2
    if not database.exists():
        print(f"No database at {database}: check DATABASE_URL.", file=sys.stderr)
        return 1
    now = SystemClock().now()
    try:
        made = asyncio.run(take_backup(database, folder, now))
    except BackupError as exc:
        print(f"Backup failed: {exc}", file=sys.stderr)
        return 1
    rows = sum(made.tables.values())
    print(f"Backup {made.path}: {_size(made.size)}, {rows} rows, integrity checked.")
    if args.to is None:
        deleted = rotate(
            folder,
            now,
            keep_daily=settings.backup_keep_daily,
            keep_weekly=settings.backup_keep_weekly,
            retention_days=settings.retention_days,
        )
        if deleted:
            print(f"Removed {len(deleted)} older backups (BACKUP_KEEP_DAILY/WEEKLY).")
    return 0


def _restore(settings: Settings, args: argparse.Namespace) -> int:
    """`restore FILE`: replace the database with a backup, erasures done again."""
    from bot.clock import SystemClock
    from bot.services.backups import BackupError, restore_backup
    from bot.services.erasure_journal import ErasureJournal
    from bot.store.backup import InUseError, exclusive_use

    database = settings.sqlite_path()
    key = settings.erasure_key_path()
    if is_postgresql(settings.database_url):
        print(f"Not restored: {PG_BACKUP_HINT}.", file=sys.stderr)
        return 2
    if database is None or key is None:
        print("DATABASE_URL names no database file to restore into.", file=sys.stderr)
        return 2
    journal = ErasureJournal.beside(database, key)
    if not journal.exists():
        print(
            f"Note: there is no erasure journal at {journal.path}. If this server replaces "
            "another, copy its erasure.journal and erasure key first: erasures made after "
            "this backup cannot be done again without them.",
            file=sys.stderr,
        )
    source = Path(args.file)
    try:
        with exclusive_use(database):
            done = asyncio.run(restore_backup(source, database, journal, SystemClock().now()))
    except InUseError as exc:
        print(f"Not restored: {exc}. Stop the bot first.", file=sys.stderr)
        return 1
    except BackupError as exc:
        print(f"Not restored: {exc}", file=sys.stderr)
        return 1
    taken = done.taken_at.isoformat() if done.taken_at else "an unknown time"
    print(f"Restored {done.source} (taken at {taken}) into {database}.")
    if done.migrated:
        print(f"Its schema was upgraded from {done.revision}.")
    again = done.reapplied
    print(
        f"Done again since it was taken: {again.people} people erased, "
        f"{again.exchanges} exchanges pruned ({again.rows} rows)."
    )
    if done.aside is not None:
        print(f"The database it replaced is kept at {done.aside}: delete it once all is well.")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m bot` and the `twinbridge` script."""
    args = _parser().parse_args(argv)
    command = args.command or "run"
    if command == "i18n":
        # Needs no settings: a translator runs it on a fresh clone without a .env.
        from bot import i18n_check

        return i18n_check.main(args.language)
    if command == "copy-db":
        # Both databases are named on the command line: DATABASE_URL plays no part.
        setup_logging("WARNING")
        return _copy_db(args)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    token = settings.discord_token.get_secret_value() if settings.discord_token else ""
    setup_logging(settings.log_level, secrets=[token], fmt=settings.log_format)
    log = logging.getLogger("bot")

    if command == "migrate":
        from bot.store.engine import DatabaseUnreachableError

        try:
            asyncio.run(_migrate(settings))
        except DatabaseUnreachableError as exc:
            print(f"Not migrated: {exc}.", file=sys.stderr)
            return 1
        log.info("database is up to date")
        return 0
    if command == "demo":
        from bot.demo import run_demo

        return asyncio.run(run_demo(args.output, args.language))
    if command == "report":
        return _print_report(settings, args)
    if command == "backup":
        return _backup(settings, args)
    if command == "restore":
        return _restore(settings, args)
    if command == "privacy-export":
        return _print_report(settings, args, _privacy_export)
    if not token:
        print(NO_TOKEN_HINT, file=sys.stderr)
        return 1
    several = settings.several_processes_on_sqlite()
    if several is not None:
        print(several, file=sys.stderr)
        return 2
    from bot.store.backup import InUseError, exclusive_use

    database = settings.sqlite_path()
    try:
        with exclusive_use(database) if database else contextlib.nullcontext():
            return asyncio.run(_run(settings, force_sync=getattr(args, "sync", False)))
    except InUseError as exc:
        print(f"Not started: {exc} (is the bot already running?)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
