"""Health: named checks, run together for `/healthz` (bot/web/), each saying ok or why not.

Any part of the bot registers a check (`Health.register`); the HTTP server only runs them.
A check that raises or takes too long counts as failing. Each change of a check's state is
logged once (failing as an error, recovered as info), so the log tells the story too.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.clock import Clock
from bot.services.scheduler import Scheduler
from bot.store import Database, app_state, sends

log = logging.getLogger(__name__)

# How long one check may take before it counts as failing (a locked database, a slow disk).
CHECK_TIME = 3.0
# How late the earliest pending send may be before the scheduler counts as behind.
SCHEDULER_LAG = timedelta(minutes=5)
PROBE_KEY = "health:probe"


@dataclass(frozen=True, slots=True)
class Verdict:
    """One check's answer."""

    ok: bool
    detail: str


Check = Callable[[], Awaitable[Verdict]]


@dataclass(frozen=True, slots=True)
class Report:
    """Every check's verdict; healthy when all are ok."""

    checks: dict[str, Verdict]

    @property
    def ok(self) -> bool:
        return all(v.ok for v in self.checks.values())

    def failing(self) -> list[str]:
        """The names of the checks that failed."""
        return [name for name, v in self.checks.items() if not v.ok]

    def as_json(self) -> dict[str, Any]:
        """The report as `/healthz` answers it."""
        return {
            "status": "ok" if self.ok else "failing",
            "failing": self.failing(),
            "checks": {name: {"ok": v.ok, "detail": v.detail} for name, v in self.checks.items()},
        }


class Health:
    """The registry of checks."""

    def __init__(self, within: float = CHECK_TIME) -> None:
        self.within = within
        self._checks: dict[str, Check] = {}
        self._was_ok: dict[str, bool] = {}

    def register(self, name: str, check: Check) -> None:
        """Add (or replace) the check called `name`."""
        self._checks[name] = check

    @property
    def names(self) -> list[str]:
        return list(self._checks)

    async def _one(self, name: str, check: Check) -> Verdict:
        try:
            async with asyncio.timeout(self.within):
                return await check()
        except TimeoutError:
            return Verdict(False, f"no answer within {self.within:g} s")
        except Exception as exc:
            log.debug("health check %s raised", name, exc_info=True)
            return Verdict(False, f"{type(exc).__name__}: {exc}"[:300])

    async def run(self) -> Report:
        """Run every check at once; log the ones whose state changed."""
        names = list(self._checks)
        verdicts = await asyncio.gather(*(self._one(n, self._checks[n]) for n in names))
        report = Report(dict(zip(names, verdicts, strict=True)))
        for name, verdict in report.checks.items():
            before = self._was_ok.get(name, True)
            if before and not verdict.ok:
                log.error("health: %s is failing: %s", name, verdict.detail)
            elif not before and verdict.ok:
                log.info("health: %s is ok again: %s", name, verdict.detail)
            self._was_ok[name] = verdict.ok
        return report


def file_identity(path: Path) -> tuple[int, int] | None:
    """The device and inode of a file (None: there is no file there)."""
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return None
    return found.st_dev, found.st_ino


class DatabaseFile:
    """Whether the database file is still the one the bot opened at start-up.

    A file deleted, moved or replaced under the running bot (a restore while it runs, a
    clean-up script) leaves the bot writing to a file nobody will read again.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.opened: tuple[int, int] | None = None

    def remember(self) -> None:
        """Note the file as it is now: call once the bot has opened it."""
        if self.path is not None:
            self.opened = file_identity(self.path)

    async def check(self) -> Verdict:
        if self.path is None:
            return Verdict(True, "no database file (memory)")
        now = await asyncio.to_thread(file_identity, self.path)
        if now is None:
            return Verdict(False, f"{self.path} was deleted or moved while the bot ran")
        if self.opened is not None and now != self.opened:
            return Verdict(False, f"{self.path} was replaced by another file while the bot ran")
        return Verdict(True, f"{self.path} is the file opened at start-up")


def database_check(db: Database, clock: Clock, file: DatabaseFile) -> Check:
    """The database answers a write, and is the file opened at start-up."""

    async def check() -> Verdict:
        same = await file.check()
        if not same.ok:
            return same
        async with db.transaction() as conn:
            await app_state.put(conn, PROBE_KEY, clock.now().isoformat(), clock.now())
        return Verdict(True, f"writable; {same.detail}")

    return check


def scheduler_check(scheduler: Scheduler, db: Database, clock: Clock) -> Check:
    """The scheduler runs, and no pending send of its own is more than SCHEDULER_LAG overdue
    (with several processes, another process's sends are its health's to report)."""

    async def check() -> Verdict:
        if scheduler.up_since is None:
            return Verdict(False, "not started (the bot is not ready yet)")
        async with db.read() as conn:
            due = await sends.next_due(conn, scheduler.shards)
        if due is None:
            return Verdict(True, "nothing pending")
        late = clock.now() - due
        if late > SCHEDULER_LAG:
            return Verdict(False, f"behind: a send due {due.isoformat()} is still pending")
        return Verdict(True, f"next send due {due.isoformat()}")

    return check


def backup_check(health: Callable[[], tuple[bool, str]]) -> Check:
    """The last backup did not fail, and the newest one is recent enough."""

    async def check() -> Verdict:
        ok, detail = await asyncio.to_thread(health)
        return Verdict(ok, detail)

    return check
