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
from bot.services.about import AboutService
from bot.services.activity_writer import ActivityWriter
from bot.services.chess import ChessService
from bot.services.exchanges import ExchangeService
from bot.services.lifecycle import LifecycleService
from bot.services.scheduler import Scheduler
from bot.store import Database


class Infrastructure(Protocol):
    """What the services are built around (the client's `Context`)."""

    settings: Settings
    db: Database
    clock: Clock
    scheduler: Scheduler
    activity_writer: ActivityWriter
    cooldowns: Cooldowns


class Services:
    """One object per feature, sharing the infrastructure."""

    def __init__(self, infra: Infrastructure) -> None:
        self.infra = infra
        db, clock, scheduler = infra.db, infra.clock, infra.scheduler
        self.about = AboutService(db)
        self.exchanges = ExchangeService(db, clock)
        self.lifecycle = LifecycleService(db, clock, scheduler, infra.settings.retention_days)
        self.chess = ChessService(db, clock, scheduler)
