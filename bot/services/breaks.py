"""School breaks: `/exchange break add|remove|list` (teachers and coordinators of the exchange).

A break is a city's days off. Sessions that fall in one are flagged in previews and in
/session list with an offer to skip them (bot/services/sessions.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock
from bot.domain.breaks import BreakError, SchoolBreak, check_new, on_break
from bot.domain.exchange import City, Exchange
from bot.domain.text import clean
from bot.errors import NotFoundError, UserError
from bot.services.access import Actor, staff_exchange
from bot.services.audit import audit
from bot.store import Database, roster
from bot.store import breaks as store
from bot.store.pairing import PairRecord


@dataclass(frozen=True, slots=True)
class Breaks:
    """An exchange's breaks, earliest first."""

    exchange: Exchange
    breaks: tuple[SchoolBreak, ...]


def _city(exchange: Exchange, name: str) -> City:
    city = exchange.city_named(name)
    if city is None:
        raise NotFoundError("error.reporting_unknown_city", city=clean(name)[:100])
    return city


async def pairs_on_break(
    conn: AsyncConnection, exchange_id: int, pairs: Sequence[PairRecord], at: datetime
) -> set[int]:
    """The pairs with a student whose city is on a school break at `at` (its local date
    there): they get no reminders and no prompts then; their space stays open."""
    breaks = await store.of_exchange(conn, exchange_id)
    if not breaks or not pairs:
        return set()
    zones = await store.city_zones(conn, exchange_id)
    off = {
        city
        for city, zone in zones.items()
        if on_break(breaks, city, at.astimezone(ZoneInfo(zone)).date())
    }
    if not off:
        return set()
    people = await roster.by_ids(conn, [m for p in pairs for m in p.members])
    away = {p.id for p in people if p.city_id in off}
    return {pair.id for pair in pairs if any(m in away for m in pair.members)}


class BreakService:
    """Adding, removing and listing the school breaks of an exchange's cities."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def add(
        self, actor: Actor, exchange_id: int | None, city_name: str, first: date, last: date
    ) -> tuple[Exchange, SchoolBreak]:
        """A city's break from `first` to `last` (both days off), once checked."""
        exchange = await staff_exchange(self.db, actor, exchange_id)
        city = _city(exchange, city_name)
        now = self.clock.now()
        today = now.astimezone(ZoneInfo(city.timezone)).date()
        async with self.db.transaction() as conn:
            others = await store.of_exchange(conn, exchange.id)
            try:
                check_new(city.id, first, last, today, others)
            except BreakError as exc:
                raise UserError(exc.key, **exc.params) from None
            break_id = await store.add(
                conn,
                guild_id=actor.guild_id,
                exchange_id=exchange.id,
                city_id=city.id,
                first=first,
                last=last,
                created_by=actor.user_id,
                now=now,
            )
            await audit(
                conn,
                actor,
                "break.added",
                at=now,
                exchange_id=exchange.id,
                **{"break": break_id, "city": city.id, "from": f"{first}", "to": f"{last}"},
            )
        return exchange, SchoolBreak(break_id, city.id, first, last)

    async def remove(self, actor: Actor, exchange_id: int | None, break_id: int) -> Exchange:
        """Delete one of the exchange's breaks."""
        exchange = await staff_exchange(self.db, actor, exchange_id)
        now = self.clock.now()
        async with self.db.transaction() as conn:
            if not await store.remove(conn, exchange.id, break_id):
                raise NotFoundError("error.break_unknown", id=break_id)
            await audit(
                conn, actor, "break.removed", at=now, exchange_id=exchange.id, **{"break": break_id}
            )
        return exchange

    async def listing(self, actor: Actor, exchange_id: int | None) -> Breaks:
        """The exchange's breaks (staff of the exchange)."""
        exchange = await staff_exchange(self.db, actor, exchange_id)
        async with self.db.read() as conn:
            return Breaks(exchange, tuple(await store.of_exchange(conn, exchange.id)))
