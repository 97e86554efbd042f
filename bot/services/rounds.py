"""Pairing rounds on a schedule (issue 23): `/pair cadence`, and the due round's preview in
the teachers' channel with Confirm / Skip this round.

A due round is a scheduled send keyed by exchange and due day (`pairing.round_due:<x>:<day>`),
derived from the database: at start-up, when the cadence changes, and when a round is
confirmed or skipped. Planning the same key twice does nothing, so a restart neither loses nor
doubles the preview. The send's handler works the due day out again; a post whose day moved
(a break added since, a round made meanwhile) is not shown and the right one is planned.
Nothing is paired without a teacher's click: Confirm is `/pair confirm` for that due day,
recorded in the round's own transaction, so a second click (or Skip after Confirm) changes
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock
from bot.domain import rounds as rules
from bot.domain.exchange import Exchange
from bot.domain.holidays import CityRegion, days_off
from bot.domain.rounds import Cadence, CadenceError
from bot.domain.shards import Scope
from bot.errors import UserError
from bot.services.access import Actor, staff_exchange
from bot.services.audit import audit
from bot.services.pairing import Confirmed, PairingService, Proposal, SpacePort
from bot.services.scheduler import Rearm
from bot.services.session_plans import languages_of
from bot.store import Database, sends
from bot.store import breaks as break_store
from bot.store import exchanges as exchange_store
from bot.store import rounds as store
from bot.store.engine import batches

STAFF = {"teacher", "coordinator"}
DUE_KIND = "pairing.round_due"
# The preview comes at this hour of the due day in the exchange's first city.
DUE_AT = time(9, 0)
# A preview the bot could not post (it was down) is still worth posting this long after.
USEFUL_FOR = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class CadenceSet:
    """What `/pair cadence` recorded, and when the next round is due (None: not known yet)."""

    exchange: Exchange
    cadence: Cadence | None  # None: off
    next_due: date | None


@dataclass(frozen=True, slots=True)
class DuePost:
    """The preview of a due round for the teachers' channel."""

    exchange: Exchange
    due: date
    channel_id: int
    languages: tuple[str, ...]
    proposal: Proposal | None  # None: no round can be proposed now (`problem` says why)
    problem: UserError | None = None


@dataclass(frozen=True, slots=True)
class Skipped:
    exchange: Exchange
    due: date
    next_due: date | None


def due_key(exchange_id: int, day: date) -> str:
    return f"{DUE_KIND}:{exchange_id}:{day.isoformat()}"


def local_date(exchange: Exchange, at: datetime) -> date:
    """A moment's date in the exchange's first city (where the due day is counted)."""
    return at.astimezone(ZoneInfo(exchange.cities[0].timezone)).date()


def due_moment(exchange: Exchange, day: date) -> datetime:
    """When the preview of the round due on `day` is posted."""
    return datetime.combine(day, DUE_AT, ZoneInfo(exchange.cities[0].timezone))


async def current_due(
    conn: AsyncConnection, exchange: Exchange
) -> tuple[Cadence | None, date | None]:
    """The exchange's cadence and the day its next round is due (None: off, or not known)."""
    cadence = await store.cadence(conn, exchange.id)
    if cadence is None:
        return None, None
    breaks = await break_store.of_exchange(conn, exchange.id)
    holidays = [
        days_off(CityRegion(c.name, c.timezone, c.holiday_region)).holiday for c in exchange.cities
    ]
    # Each city's own weekend, as staff set it (ISO weekdays: Monday 1).
    weekends = [{d - 1 for d in c.weekend_days} for c in exchange.cities]
    closed = rules.closed_by(breaks, holidays, weekends)
    last = await store.last_round_at(conn, exchange.id)
    last_day = local_date(exchange, last) if last is not None else None
    return cadence, rules.next_due(cadence, last_day, breaks, closed)


class RoundService:
    """Scheduled pairing rounds: the cadence, the due previews, Confirm and Skip."""

    def __init__(
        self, db: Database, clock: Clock, pairing: PairingService, scheduler: Rearm | None = None
    ) -> None:
        self.db = db
        self.clock = clock
        self.pairing = pairing
        self.scheduler = scheduler

    async def set_cadence(
        self, actor: Actor, exchange_id: int | None, every: str, start: date | None
    ) -> CadenceSet:
        """Teachers: a new round every N weeks or every term from `start` (today if not
        given), or "off"."""
        try:
            weeks = rules.parse_every(every)
        except CadenceError as exc:
            raise UserError(exc.key, **exc.params) from None
        exchange = await staff_exchange(self.db, actor, exchange_id, STAFF)
        now = self.clock.now()
        today = local_date(exchange, now)
        first = start or today
        if weeks != 0:
            try:
                rules.check_start(first, today)
            except CadenceError as exc:
                raise UserError(exc.key, **exc.params) from None
        async with self.db.transaction() as conn:
            if weeks == 0:
                await store.clear(conn, exchange.id)
            else:
                await store.set_cadence(conn, exchange.id, weeks, first, actor.user_id, now)
            # The previews planned for the old cadence go; the new one is planned below.
            await sends.cancel_matching(conn, f"{DUE_KIND}:{exchange.id}:", now)
            await audit(
                conn,
                actor,
                "pairing.cadence_set",
                at=now,
                exchange_id=exchange.id,
                every=rules.OFF if weeks == 0 else (rules.TERM if weeks is None else weeks),
                start=first.isoformat(),
            )
            cadence, due = await current_due(conn, exchange)
        await self.plan_due(exchange.id)
        return CadenceSet(exchange, cadence, due)

    async def at_start(self, scope: Scope) -> None:
        """Start-up: the due previews derived from the database, of this process's servers."""
        await self.plan_due(scope=scope)

    async def plan_due(self, exchange_id: int | None = None, *, scope: Scope | None = None) -> int:
        """Plan each exchange's next due preview (idempotent by key; of the servers of `scope`
        when given: another process plans and posts its own); how many were new."""
        planned = 0
        async with self.db.read() as conn:
            wanted = await store.exchanges_with_cadence(conn)
            chosen = [
                exchange
                for exchange in await exchange_store.exchanges_in(conn, None)
                if exchange.id in wanted
                and exchange_id in (None, exchange.id)
                and (scope is None or scope.owns(exchange.guild_id))
            ]
        # A transaction per batch: the writers' lock is free between them (bot.store.engine);
        # each batch reads the cadence again under the lock, so a change meanwhile is seen.
        for batch in batches(chosen):
            async with self.db.transaction() as conn:
                for exchange in batch:
                    _, due = await current_due(conn, exchange)
                    if due is None:
                        continue
                    at = due_moment(exchange, due)
                    planned += await sends.plan(
                        conn,
                        key=due_key(exchange.id, due),
                        kind=DUE_KIND,
                        due_at=at,
                        guild_id=exchange.guild_id,
                        partnership_id=exchange.id,
                        payload={"due": due.isoformat()},
                        expires_at=at + USEFUL_FOR,
                    )
        if self.scheduler is not None:
            await self.scheduler.rearm()
        return planned

    async def due_post(self, send: sends.Send, port: SpacePort) -> DuePost | None:
        """The preview a due send posts; None when the round is no longer due that day (the
        cadence changed, a round was made, a break moved it: the right one is planned) or the
        exchange has no teachers' channel."""
        due = date.fromisoformat(str(send.payload["due"]))
        async with self.db.read() as conn:
            exchange = (
                await exchange_store.get_exchange(conn, send.guild_id, send.partnership_id)
                if send.partnership_id is not None
                else None
            )
            if exchange is None:
                return None
            _, now_due = await current_due(conn, exchange)
            where = await exchange_store.spaces(conn, exchange.id)
        if now_due != due:
            await self.plan_due(exchange.id)
            return None
        if where.teachers_channel_id is None:
            return None
        try:
            proposal: Proposal | None = await self.pairing.proposal_for(exchange, port)
            problem = None
        except UserError as exc:
            proposal, problem = None, exc
        return DuePost(
            exchange, due, where.teachers_channel_id, languages_of(exchange), proposal, problem
        )

    async def _still_due(self, exchange: Exchange, due: date) -> None:
        """Refuse a click on a round that is not the one due now (already confirmed or
        skipped, a round made since, or the cadence changed)."""
        async with self.db.read() as conn:
            _, now_due = await current_due(conn, exchange)
        if now_due != due or due > local_date(exchange, self.clock.now()):
            raise UserError("rounds.error.handled")

    async def confirm(
        self, actor: Actor, exchange_id: int, due: date, port: SpacePort
    ) -> Confirmed:
        """Confirm (a teacher or coordinator of this exchange) the round due on `due`."""
        exchange = await staff_exchange(self.db, actor, exchange_id, STAFF)
        await self._still_due(exchange, due)
        done = await self.pairing.confirm(actor, exchange.id, port, due=due)
        await self.plan_due(exchange.id)
        return done

    async def skip(self, actor: Actor, exchange_id: int, due: date) -> Skipped:
        """Skip the round due on `due`: nobody is re-paired; the next is counted from it."""
        exchange = await staff_exchange(self.db, actor, exchange_id, STAFF)
        await self._still_due(exchange, due)
        now = self.clock.now()
        async with self.db.transaction() as conn:
            if not await store.mark_handled(conn, exchange.id, due):
                raise UserError("rounds.error.handled")
            await audit(
                conn,
                actor,
                "pairing.round_skipped",
                at=now,
                exchange_id=exchange.id,
                due=due.isoformat(),
            )
            _, next_due = await current_due(conn, exchange)
        await self.plan_due(exchange.id)
        return Skipped(exchange, due, next_due)
