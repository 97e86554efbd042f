"""Every feature's use cases, built once at start-up and reached from the client.

A cog calls `interaction.client.services.<feature>.<use case>(actor, …)`: the database, the
clock and the scheduler are the service object's own, never unpacked at each call. State a
feature keeps between calls (locks, cached plans) lives in its object, so it ends with the
bot that made it (a test's event loop never inherits another's).
"""

from __future__ import annotations

from typing import Protocol

from bot.clock import Clock
from bot.config import Settings
from bot.domain.cooldown import Cooldowns
from bot.metrics import Metrics
from bot.services.about import AboutService
from bot.services.activity_writer import ActivityWriter
from bot.services.backups import BackupService
from bot.services.breaks import BreakService
from bot.services.chess import ChessService
from bot.services.consent import ConsentService
from bot.services.dashboard import DashboardService, PublicAddress
from bot.services.digest import DigestService
from bot.services.directory import DirectoryService
from bot.services.erasure_journal import ErasureJournal
from bot.services.exchanges import ExchangeService
from bot.services.feeds import FeedService
from bot.services.lifecycle import LifecycleService
from bot.services.meet import MeetService
from bot.services.operations import Journal
from bot.services.pairing import PairingService
from bot.services.privacy import PrivacyService
from bot.services.prompts import PromptService
from bot.services.reporting import ReportingService
from bot.services.roll_call import RollCallService
from bot.services.roster import RosterService
from bot.services.safety import SafetyService
from bot.services.scheduler import Scheduler
from bot.services.sessions import SessionService
from bot.store import Database


class Infrastructure(Protocol):
    """What the services are built around (the client's `Context`)."""

    settings: Settings
    db: Database
    clock: Clock
    scheduler: Scheduler
    activity_writer: ActivityWriter
    cooldowns: Cooldowns
    metrics: Metrics
    journal: ErasureJournal | None


class Services:
    """One object per feature, sharing the infrastructure."""

    def __init__(self, infra: Infrastructure) -> None:
        self.infra = infra
        db, clock, scheduler = infra.db, infra.clock, infra.scheduler
        # Changes of several Discord steps, written down before the first and settled after
        # a restart; one journal, so one change of an exchange's spaces runs at a time.
        # (Not the erasure journal, `infra.journal`, which lets a restored backup erase again.)
        operations = self.operations = Journal(db, clock, scheduler)
        self.about = AboutService(db)
        self.exchanges = ExchangeService(db, clock)
        self.breaks = BreakService(db, clock)
        self.lifecycle = LifecycleService(
            db, clock, scheduler, infra.settings.retention_days, operations
        )
        self.pairing = PairingService(db, clock, scheduler, operations)
        self.prompts = PromptService(db, clock, infra.activity_writer, scheduler)
        self.roll_call = RollCallService(db, clock)
        self.safety = SafetyService(db, clock, scheduler)
        self.roster = RosterService(db, clock, scheduler, operations)
        self.consent = ConsentService(db, clock, scheduler)
        self.meet = MeetService(db, clock, scheduler)
        settings = infra.settings
        self.privacy = PrivacyService(
            db,
            clock,
            scheduler,
            infra.activity_writer,
            settings.retention_days,
            infra.journal,
            roster=self.roster,
            operations=operations,
        )
        self.backups = BackupService(
            db,
            clock,
            scheduler,
            database=settings.sqlite_path(),
            folder=settings.backup_dir,
            keep_daily=settings.backup_keep_daily,
            keep_weekly=settings.backup_keep_weekly,
            retention_days=settings.retention_days,
            metrics=infra.metrics,
        )
        self.reporting = ReportingService(db, clock)
        self.sessions = SessionService(db, clock, scheduler, scheduler.grace)
        self.chess = ChessService(db, clock, scheduler)
        # Outside Discord: the dashboard's links and pages, calendar feeds, the digest.
        self.address = PublicAddress(settings.public_url)
        self.dashboard = DashboardService(
            db,
            clock,
            self.reporting,
            self.prompts,
            self.chess,
            self.address,
            link_days=settings.dashboard_link_days,
        )
        self.feeds = FeedService(db, clock, self.address)
        self.digest = DigestService(db, clock, scheduler, self.reporting)
        self.directory = DirectoryService(db, clock, infra.settings, scheduler)
