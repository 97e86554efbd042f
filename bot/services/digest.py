"""The monthly digest: coordinators turn it on, and on the first school day of each month the
teachers' channel gets last month's chart, the figures that moved, the pairs to nudge and the
workbook.

Each month's digest is a scheduled send (`report.digest`, keyed by exchange and month), so a
restart neither loses nor repeats it; delivering one plans the next. The figures are
`/report exchange`'s (the teachers' channel is read by the teachers of both cities, who all
see those; no city's student list goes there).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock
from bot.domain.digest import Change, changes, month_before, next_digest
from bot.domain.exchange import Exchange
from bot.domain.reporting import ExchangeFigures
from bot.errors import UserError
from bot.services import exchanges as exchange_service
from bot.services.access import Actor, require
from bot.services.audit import By, audit
from bot.services.reporting import ReportingService, Scope
from bot.services.scheduler import Rearm, UndeliverableError
from bot.services.session_plans import languages_of
from bot.store import Database, sends
from bot.store import exchanges as exchange_store
from bot.store import links as store

KIND = "report.digest"
# A digest nobody could post on its day is still worth posting for a week.
USEFUL_FOR = timedelta(days=7)


def _key(exchange_id: int, due: datetime) -> str:
    return f"{KIND}:{exchange_id}:{due:%Y-%m}"


@dataclass(frozen=True, slots=True)
class DigestState:
    exchange: Exchange
    on: bool
    next_at: datetime | None
    channel_id: int | None = None  # where it goes (the teachers' channel)


@dataclass(frozen=True, slots=True)
class Digest:
    """One month's digest, ready to render."""

    exchange: Exchange
    channel_id: int
    figures: ExchangeFigures  # last month
    changes: tuple[Change, ...]  # last month against the month before
    languages: tuple[str, ...]


class DigestService:
    """Turning the monthly digest on and off, and putting each month's together."""

    def __init__(
        self, db: Database, clock: Clock, scheduler: Rearm, reporting: ReportingService
    ) -> None:
        self.db = db
        self.clock = clock
        self.scheduler = scheduler
        self.reporting = reporting

    async def _plan(self, conn: AsyncConnection, exchange: Exchange, after: datetime) -> datetime:
        due = next_digest(
            after, exchange.cities[0].timezone, [c.weekend_days for c in exchange.cities]
        )
        await sends.plan(
            conn,
            key=_key(exchange.id, due),
            kind=KIND,
            due_at=due,
            guild_id=exchange.guild_id,
            partnership_id=exchange.id,
            payload={"exchange": exchange.id},
            expires_at=due + USEFUL_FOR,
        )
        return due

    async def turn_on(self, actor: Actor, exchange_id: int | None) -> DigestState:
        """Coordinators: the digest from the next first school day on. Refused without a
        teachers' channel (`/exchange channels`), where it goes."""
        await require(self.db, actor, {"coordinator"})
        exchange = await exchange_service.get(self.db, actor.guild_id, exchange_id)
        now = self.clock.now()
        async with self.db.transaction() as conn:
            where = await exchange_store.spaces(conn, exchange.id)
            if where.teachers_channel_id is None:
                raise UserError("digest.error.no_teachers_channel")
            if not await store.digest_on(conn, exchange.id, actor.guild_id, actor.user_id, now):
                raise UserError("digest.error.already_on")
            due = await self._plan(conn, exchange, now)
            await audit(
                conn, actor, "digest.on", at=now, exchange_id=exchange.id, next=due.isoformat()
            )
        self.scheduler.wake_by(due)
        return DigestState(exchange, True, due, where.teachers_channel_id)

    async def turn_off(self, actor: Actor, exchange_id: int | None) -> DigestState:
        """Coordinators: no more digests; the next one planned is cancelled."""
        await require(self.db, actor, {"coordinator"})
        exchange = await exchange_service.get(self.db, actor.guild_id, exchange_id)
        now = self.clock.now()
        async with self.db.transaction() as conn:
            if not await store.digest_off(conn, exchange.id):
                raise UserError("digest.error.already_off")
            await sends.cancel_matching(conn, f"{KIND}:{exchange.id}:", now)
            await audit(conn, actor, "digest.off", at=now, exchange_id=exchange.id)
        await self.scheduler.rearm()
        return DigestState(exchange, False, None)

    async def prepare(self, send: sends.Send) -> Digest | None:
        """This month's digest for a due send (None: turned off meanwhile). Plans next month's
        first, so a failure to post this one never stops the next."""
        exchange_id = int(send.payload["exchange"])
        now = self.clock.now()
        async with self.db.transaction() as conn:
            if await store.digest_of(conn, exchange_id) is None:
                return None
            exchange = await exchange_store.get_exchange(
                conn, send.guild_id, exchange_id, with_ended=False
            )
            if exchange is None:
                return None  # ended: no more digests
            await self._plan(conn, exchange, max(now, send.due_at))
            where = await exchange_store.spaces(conn, exchange.id)
        self.scheduler.wake_by(now)  # re-reads the sends after this one is done
        if where.teachers_channel_id is None:
            raise UndeliverableError("the exchange has no teachers' channel any more")
        scope = Scope(exchange, None)
        last = month_before(send.due_at.date())
        earlier = month_before(last.start)
        figures = await self.reporting.compute_exchange(scope, last)
        before = await self.reporting.compute_exchange(scope, earlier)
        return Digest(
            exchange,
            where.teachers_channel_id,
            figures,
            tuple(changes(figures, before)),
            languages_of(exchange),
        )

    async def posted(self, digest: Digest) -> None:
        """Log that a digest went out (it names no one: the log holds its month)."""
        async with self.db.transaction() as conn:
            await audit(
                conn,
                By(digest.exchange.guild_id),
                "digest.posted",
                at=self.clock.now(),
                exchange_id=digest.exchange.id,
                month=f"{digest.figures.period.start:%Y-%m}",
            )
