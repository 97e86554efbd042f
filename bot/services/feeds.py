"""Calendar feeds: a secret subscription URL (webcal) of an exchange's sessions, or a city's.

Calendar apps poll the URL; each poll builds the calendar from the database (the same
builder as `/session ics`), so a move, a skip or a cancellation shows at the next poll.
Anyone in the exchange may have one (students too: sessions are not secret from them); a new
feed for the same person and scope replaces their earlier one, so a URL shared too widely is
cut off by asking again. The URL holds only the token.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.domain import tokens
from bot.domain.exchange import City, Exchange
from bot.domain.ical import feed_calendar
from bot.domain.sessions import SeriesStatus
from bot.domain.text import echo
from bot.errors import NotAllowedError, NotFoundError, UserError
from bot.i18n import DEFAULT_LANGUAGE
from bot.services.access import Actor, staff_of, staff_scope
from bot.services.audit import audit
from bot.services.dashboard import PublicAddress
from bot.services.sessions import series_file
from bot.store import Database, roster
from bot.store import exchanges as exchange_store
from bot.store import links as store
from bot.store import sessions as session_store


@dataclass(frozen=True, slots=True)
class NewFeed:
    """A feed just made: its URLs are shown once and never stored."""

    url: str  # https://… (or http://…)
    webcal: str  # the same as webcal://…, which calendar apps open as a subscription
    exchange: Exchange
    city: City | None


def _city(exchange: Exchange, name: str | None) -> City | None:
    if name is None or not name.strip():
        return None
    wanted = name.strip().casefold()
    for city in exchange.cities:
        if city.name.casefold() == wanted:
            return city
    raise NotFoundError("error.reporting_unknown_city", city=echo(name.strip(), 100))


def webcal(url: str) -> str:
    """The subscription form of an http(s) URL."""
    return "webcal://" + url.split("://", 1)[1]


class FeedService:
    """Calendar subscriptions of an exchange's sessions."""

    def __init__(self, db: Database, clock: Clock, address: PublicAddress) -> None:
        self.db = db
        self.clock = clock
        self.address = address

    async def create(self, actor: Actor, exchange_id: int | None, city: str | None) -> NewFeed:
        """A feed for someone in the exchange: its staff (coordinators of every exchange of the
        server, teachers of those they joined), or a student on its roster."""
        exchange = await self._exchange(actor, exchange_id)
        wanted = _city(exchange, city)
        base = self.address.url
        if base is None:
            raise UserError("dashboard.error.off")
        token = tokens.new_token()
        now = self.clock.now()
        async with self.db.transaction() as conn:
            feed_id = await store.add_feed(
                conn,
                guild_id=actor.guild_id,
                exchange_id=exchange.id,
                city_id=wanted.id if wanted else None,
                created_by=actor.user_id,
                selector=token.selector,
                secret_hash=token.secret_hash,
                now=now,
            )
            # The first address that reaches outside Discord for students too: who holds
            # one is in the audit log, as dashboard links are.
            await audit(
                conn,
                actor,
                "feeds.created",
                at=now,
                exchange_id=exchange.id,
                feed=feed_id,
                city=wanted.id if wanted else None,
            )
        url = f"{base}/feeds/{token.text}.ics"
        return NewFeed(url, webcal(url), exchange, wanted)

    async def _exchange(self, actor: Actor, exchange_id: int | None) -> Exchange:
        """The exchange named, or the one the actor is in, once they are known to be in it."""
        async with self.db.read() as conn:
            staff = await staff_scope(conn, actor)
            joined = {
                p.partnership_id for p in await roster.of_user(conn, actor.guild_id, actor.user_id)
            }
            if exchange_id is not None:
                found = await exchange_store.get_exchange(conn, actor.guild_id, exchange_id)
                if found is None:
                    raise NotFoundError("error.unknown_exchange")
                every = [found]
            else:
                every = await exchange_store.exchanges_in(conn, actor.guild_id)

        def inside(exchange: Exchange) -> bool:
            return exchange.id in joined or staff_of(staff, exchange.id)

        if not every:
            raise NotFoundError("error.no_exchange")
        if len(every) > 1:
            # Someone in one exchange means that one.
            every = [e for e in every if inside(e)] or every
        if len(every) > 1:
            raise UserError("error.choose_exchange")
        if not inside(every[0]):
            raise NotAllowedError("feeds.error.not_in_exchange")
        return every[0]

    async def calendar(self, text: str) -> bytes | None:
        """The calendar behind a feed's token, or None (unknown, wrong secret, replaced,
        its exchange gone, its owner off the roster): every None is answered alike."""
        token = tokens.parse(text)
        if token is None:
            return None
        async with self.db.read() as conn:
            record = await store.feed_by_selector(conn, token.selector)
            if (
                record is None
                or not tokens.matches(token, record.secret_hash)
                or record.revoked_at is not None
            ):
                return None
            exchange = await exchange_store.get_exchange(
                conn, record.guild_id, record.exchange_id, with_ended=True
            )
            owner = await roster.find(conn, record.exchange_id, record.created_by)
            if exchange is None or (owner is not None and owner.status == "removed"):
                return None
            # The feed's words are its creator's language.
            language = owner.language if owner is not None else DEFAULT_LANGUAGE
            every = await session_store.of_exchange(
                conn, exchange.id, statuses=(SeriesStatus.ACTIVE, SeriesStatus.CANCELLED)
            )
            files = []
            now = self.clock.now()
            for series in every:
                recorded = await session_store.occurrences(conn, series.id)
                files.append(series_file(series, recorded, exchange, exchange.name, now, language))
        async with self.db.transaction() as conn:
            await store.feed_used(conn, record.id, now)
        city = exchange.city(record.city_id) if record.city_id else None
        name = f"{exchange.name} · {city.name}" if city else exchange.name
        return feed_calendar(name, files, stamp=now, zone=city.timezone if city else None)
