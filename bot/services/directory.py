"""Cities seeking cities: coordinators list their school, find schools of other servers, and
ask to be introduced. Names cross only when the other side accepts; a decline, a block and
silence look the same to the asker.

The directory spans every server this process serves that the deployment opens it to
(`Settings.directory_serves`): a listing of a closed server is neither shown nor reachable.

The asker's notice of an accepted introduction is a scheduled send (kind `seek.accepted`,
one key per introduction), planned in the acceptance's own transaction and tried at once: a
Discord 5xx or a restart at that moment delays it, never loses it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.config import Settings
from bot.domain.directory import (
    INTRODUCTION_DAYS,
    MAX_CITY,
    MAX_CLASS_SIZE,
    PENDING_PER_SERVER,
    REPEAT_DAYS,
    WEEKLY_PER_SERVER,
    Filters,
    Listing,
    Match,
    check_free_text,
    parse_country,
    parse_months,
    parse_themes,
    rank,
)
from bot.domain.exchange import (
    ProfileError,
    clean_text,
    parse_grade_band,
    parse_languages,
)
from bot.domain.holidays import zone_country
from bot.domain.text import same_name
from bot.domain.timezones import UnknownZoneError, check_zone
from bot.errors import NotAllowedError, NotFoundError, UserError
from bot.services.access import Actor, require
from bot.services.audit import audit
from bot.services.scheduler import Sender
from bot.store import Database, sends
from bot.store import directory as store
from bot.store.directory import Introduction, StoredListing

# Listings one server may show at once (a school district lists a few schools, not fifty).
LISTINGS_PER_SERVER = 5
COORDINATORS = ("coordinator",)
# The scheduled send that tells an asker their introduction was accepted.
ACCEPTED_KIND = "seek.accepted"


def notice_key(introduction_id: int) -> str:
    """The one send of an accepted introduction's notice to its asker."""
    return f"{ACCEPTED_KIND}:{introduction_id}"


@dataclass(frozen=True, slots=True)
class ListingInput:
    """What a coordinator typed for a listing; None leaves a field as it was (edit)."""

    city: str | None = None
    zone: str | None = None
    country: str | None = None
    languages: str | None = None
    age_bands: str | None = None
    class_size: int | None = None
    themes: str | None = None
    months: str | None = None
    note: str | None = None
    direct_messages: bool | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    """A request to post in the receiving server (None when it must never arrive: blocked)."""

    introduction: Introduction
    asking: Listing
    receiving: StoredListing


@dataclass(frozen=True, slots=True)
class Accepted:
    """Both sides of an accepted introduction: now each may learn the other's name."""

    introduction: Introduction
    asking: StoredListing
    receiving: StoredListing


@dataclass(frozen=True, slots=True)
class Sent:
    """One of a server's requests, as its asker may see it."""

    introduction: Introduction
    to: Listing | None
    # "waiting", "accepted" or "lapsed": declines and blocks show as waiting, then lapsed.
    shown: str


def _profile(exc: ProfileError) -> UserError:
    return UserError(exc.key, **exc.params)


def _zone(name: str) -> str:
    try:
        return check_zone(name).key
    except UnknownZoneError:
        raise UserError("error.unknown_zone", zone=name.strip()[:64]) from None


class DirectoryService:
    """Listings, ranking, introductions with consent, blocks and abuse reports."""

    def __init__(
        self, db: Database, clock: Clock, settings: Settings, scheduler: Sender | None = None
    ) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self.scheduler = scheduler

    # -- who may use it ------------------------------------------------------------------------

    async def _coordinator(self, actor: Actor) -> None:
        # Who you are first: a student hears "coordinators only" whether or not it is open.
        await require(self.db, actor, COORDINATORS)
        if not self.settings.directory_serves(actor.guild_id):
            raise NotAllowedError("seek.error.closed")

    def _served(self) -> frozenset[int] | None:
        settings = self.settings
        if settings.directory == "on":
            return None
        if settings.directory == "off":
            return frozenset()
        found = set(settings.directory_servers)
        if settings.operator_guild_id is not None:
            found.add(settings.operator_guild_id)
        return frozenset(found)

    def _reachable(self, listing: StoredListing | None, now: datetime) -> bool:
        return (
            listing is not None
            and listing.listing.visible(now)
            and self.settings.directory_serves(listing.listing.guild_id)
        )

    # -- listings ------------------------------------------------------------------------------

    def _build(self, base: Listing, typed: ListingInput) -> Listing:
        """`base` with what was typed, each value checked (ProfileError → UserError)."""
        try:
            city = (
                clean_text(typed.city, limit=MAX_CITY, what="city")
                if typed.city is not None
                else base.city
            )
            zone = _zone(typed.zone) if typed.zone is not None else base.timezone
            if typed.country is not None:
                country = parse_country(typed.country)
            elif typed.zone is not None or not base.country:
                country = zone_country(zone) or ""
                if not country:
                    raise ProfileError("seek.error.country_needed", zone=zone)
            else:
                country = base.country
            languages = (
                parse_languages(typed.languages) if typed.languages is not None else base.languages
            )
            bands = base.age_bands
            if typed.age_bands is not None:
                parts = [p for p in typed.age_bands.replace(";", ",").split(",") if p.strip()]
                if not parts:
                    raise ProfileError("error.empty", field="ages")
                bands = tuple(dict.fromkeys(parse_grade_band(p) for p in parts))
            size = base.class_size if typed.class_size is None else typed.class_size
            if not 1 <= size <= MAX_CLASS_SIZE:
                raise ProfileError("seek.error.class_size", limit=MAX_CLASS_SIZE)
            themes = parse_themes(typed.themes) if typed.themes is not None else base.themes
            months = parse_months(typed.months) if typed.months is not None else base.months
            note = base.note
            if typed.note is not None:
                note = check_free_text(typed.note) if typed.note.strip() else ""
        except ProfileError as exc:
            raise _profile(exc) from None
        return replace(
            base,
            city=city,
            country=country,
            timezone=zone,
            languages=languages,
            age_bands=bands,
            class_size=size,
            themes=themes,
            months=months,
            note=note,
        )

    async def post(self, actor: Actor, channel_id: int, typed: ListingInput) -> StoredListing:
        """Publish a listing; requests to it arrive in `channel_id`."""
        await self._coordinator(actor)
        for needed in ("city", "zone", "languages", "age_bands", "class_size"):
            if getattr(typed, needed) is None:
                raise UserError("seek.error.missing", field=needed)
        now = self.clock.now()
        blank = Listing(
            id=0,
            guild_id=actor.guild_id,
            city="",
            country="",
            timezone="UTC",
            languages=(),
            age_bands=(),
            class_size=0,
            themes=(),
            months=tuple(range(1, 13)),
            note="",
            active=True,
            expires_at=now + timedelta(days=self.settings.directory_listing_days),
        )
        listing = self._build(blank, typed)
        async with self.db.transaction() as conn:
            mine = await store.listings_of(conn, actor.guild_id)
            for other in mine:
                if same_name(other.listing.city) == same_name(listing.city):
                    raise UserError(
                        "seek.error.duplicate", city=listing.city, listing=other.listing.id
                    )
            if len(mine) >= LISTINGS_PER_SERVER:
                raise UserError("seek.error.too_many_listings", limit=LISTINGS_PER_SERVER)
            listing_id = await store.add_listing(
                conn,
                listing,
                author_id=actor.user_id,
                channel_id=channel_id,
                direct_messages=bool(typed.direct_messages),
                now=now,
            )
            await audit(conn, actor, "seek.posted", at=now, listing=listing_id)
            stored = await store.get_listing(conn, listing_id)
        assert stored is not None
        return stored

    async def _own(self, actor: Actor, listing_id: int | None) -> StoredListing:
        """One of the actor's server's listings: the one named, or its only one."""
        async with self.db.read() as conn:
            mine = await store.listings_of(conn, actor.guild_id)
        if listing_id is None:
            if not mine:
                raise NotFoundError("seek.error.no_listing")
            if len(mine) > 1:
                raise UserError(
                    "seek.error.choose_listing",
                    listings=", ".join(f"#{m.listing.id} {m.listing.city}" for m in mine),
                )
            return mine[0]
        found = next((m for m in mine if m.listing.id == listing_id), None)
        if found is None:
            raise NotFoundError("seek.error.unknown_listing", listing=listing_id)
        return found

    async def edit(
        self, actor: Actor, listing_id: int | None, typed: ListingInput
    ) -> StoredListing:
        """Change what was typed, and renew the listing (someone looked after it)."""
        await self._coordinator(actor)
        own = await self._own(actor, listing_id)
        now = self.clock.now()
        changed = self._build(own.listing, typed)
        async with self.db.transaction() as conn:
            if typed.city is not None:
                for other in await store.listings_of(conn, actor.guild_id):
                    if other.listing.id != own.listing.id and same_name(
                        other.listing.city
                    ) == same_name(changed.city):
                        raise UserError(
                            "seek.error.duplicate", city=changed.city, listing=other.listing.id
                        )
            values = store.listing_values(changed)
            values["expires_at"] = now + timedelta(days=self.settings.directory_listing_days)
            if typed.direct_messages is not None:
                values["direct_messages"] = typed.direct_messages
            await store.update_listing(conn, own.listing.id, **values)
            await audit(conn, actor, "seek.edited", at=now, listing=own.listing.id)
            stored = await store.get_listing(conn, own.listing.id)
        assert stored is not None
        return stored

    async def set_paused(self, actor: Actor, listing_id: int | None, paused: bool) -> StoredListing:
        """Hide a listing for a while (or show it again, renewed)."""
        await self._coordinator(actor)
        own = await self._own(actor, listing_id)
        now = self.clock.now()
        # Paused by its coordinator: no other reason (the bot's leaving had its own).
        values: dict[str, object] = {
            "status": "paused" if paused else "active",
            "paused_reason": None,
        }
        if not paused:
            values["expires_at"] = now + timedelta(days=self.settings.directory_listing_days)
        async with self.db.transaction() as conn:
            await store.update_listing(conn, own.listing.id, **values)
            await audit(
                conn,
                actor,
                "seek.paused" if paused else "seek.resumed",
                at=now,
                listing=own.listing.id,
            )
            stored = await store.get_listing(conn, own.listing.id)
        assert stored is not None
        return stored

    async def remove(self, actor: Actor, listing_id: int | None) -> StoredListing:
        """Take a listing out of the directory for good."""
        await self._coordinator(actor)
        own = await self._own(actor, listing_id)
        now = self.clock.now()
        async with self.db.transaction() as conn:
            await store.update_listing(conn, own.listing.id, status="removed")
            await audit(conn, actor, "seek.removed", at=now, listing=own.listing.id)
        return own

    async def mine(self, actor: Actor) -> tuple[list[StoredListing], list[Sent]]:
        """The server's listings and its recent requests, as its coordinators may see them."""
        await self._coordinator(actor)
        now = self.clock.now()
        lapse = timedelta(days=INTRODUCTION_DAYS)
        async with self.db.read() as conn:
            listings = await store.listings_of(conn, actor.guild_id)
            sent: list[Sent] = []
            for request in await store.sent_by(conn, actor.guild_id):
                target = await store.get_listing(conn, request.to_listing_id)
                if request.status == "accepted":
                    shown = "accepted"
                elif now - request.created_at >= lapse:
                    shown = "lapsed"
                else:
                    shown = "waiting"
                sent.append(Sent(request, target.listing if target else None, shown))
        return listings, sent

    # -- the servers the bot is in ---------------------------------------------------------------

    async def server_left(self, guild_id: int) -> int:
        """The bot left (or was removed from) a server: its listings are no longer shown, but
        paused with that reason, not deleted (the school may invite the bot back); how many."""
        async with self.db.transaction() as conn:
            return await store.hide_server(conn, guild_id)

    async def server_joined(self, guild_id: int) -> int:
        """The bot is in a server again: the listings its leaving paused are shown again
        (each until it expires, as before); how many."""
        async with self.db.transaction() as conn:
            return await store.show_server(conn, guild_id)

    async def settle_servers(
        self, present: Collection[int], served: Callable[[int], bool]
    ) -> tuple[int, int]:
        """At start-up, for what happened while the bot was down: hide the listings of servers
        this process serves (`served`) that the bot is no longer in, show again those of
        servers it is back in. (Listings hidden, listings shown.)"""
        hidden = shown = 0
        async with self.db.transaction() as conn:
            for guild_id, away in (await store.listed_servers(conn)).items():
                if guild_id in present:
                    if away:
                        shown += await store.show_server(conn, guild_id)
                elif served(guild_id):
                    hidden += await store.hide_server(conn, guild_id)
        return hidden, shown

    # -- finding -------------------------------------------------------------------------------

    async def find(
        self, actor: Actor, listing_id: int | None, filters: Filters
    ) -> tuple[StoredListing, list[Match]]:
        """Listings of other servers, best first for the actor's own listing."""
        await self._coordinator(actor)
        own = await self._own(actor, listing_id)
        now = self.clock.now()
        async with self.db.read() as conn:
            others = await store.visible_listings(conn, now, self._served())
            hidden = await store.blocked_either_way(conn, actor.guild_id)
        matches = rank(
            own.listing,
            [o.listing for o in others],
            now,
            filters,
            hidden_servers=sorted(hidden),
        )
        return own, matches

    def filters(self, country: str | None, language: str | None, age_band: str | None) -> Filters:
        """Typed filters, checked like a listing's own values."""
        try:
            return Filters(
                country=parse_country(country) if country else None,
                language=parse_languages(language)[0] if language else None,
                age_band=parse_grade_band(age_band) if age_band else None,
            )
        except ProfileError as exc:
            raise _profile(exc) from None

    # -- introductions -------------------------------------------------------------------------

    async def introduce(
        self, actor: Actor, to_listing_id: int, from_listing_id: int | None, note: str | None
    ) -> Delivery | None:
        """Ask to be introduced to a listing's school. Returns what to post in its server, or
        None when it must never arrive there (that server blocked this one): the asker is
        answered the same either way."""
        await self._coordinator(actor)
        own = await self._own(actor, from_listing_id)
        now = self.clock.now()
        try:
            text = check_free_text(note) if note and note.strip() else ""
        except ProfileError as exc:
            raise _profile(exc) from None
        async with self.db.transaction() as conn:
            target = await store.get_listing(conn, to_listing_id)
            if target is not None and target.listing.guild_id == actor.guild_id:
                raise UserError("seek.error.own_server")
            if not self._reachable(target, now):
                raise NotFoundError("seek.error.unknown_listing", listing=to_listing_id)
            assert target is not None
            receiving = target.listing.guild_id
            if await store.has_blocked(conn, actor.guild_id, receiving):
                raise UserError("seek.error.you_blocked", listing=to_listing_id)
            last = await store.last_request(conn, own.listing.id, to_listing_id)
            if last is not None and now - last < timedelta(days=REPEAT_DAYS):
                raise UserError("seek.error.asked_already", listing=to_listing_id, days=REPEAT_DAYS)
            lapse = now - timedelta(days=INTRODUCTION_DAYS)
            if await store.waiting_from(conn, actor.guild_id, lapse) >= PENDING_PER_SERVER:
                raise UserError("seek.error.too_many_waiting", limit=PENDING_PER_SERVER)
            if await store.sent_since(conn, actor.guild_id, now - timedelta(days=7)) >= (
                WEEKLY_PER_SERVER
            ):
                raise UserError("seek.error.weekly_limit", limit=WEEKLY_PER_SERVER)
            blocked = await store.has_blocked(conn, receiving, actor.guild_id)
            request_id = await store.add_introduction(
                conn,
                from_listing_id=own.listing.id,
                to_listing_id=to_listing_id,
                from_guild_id=actor.guild_id,
                from_user_id=actor.user_id,
                to_guild_id=receiving,
                note=text,
                status="blocked" if blocked else "pending",
                now=now,
            )
            await audit(
                conn, actor, "seek.asked", at=now, introduction=request_id, listing=to_listing_id
            )
            request = await store.get_introduction(conn, request_id)
        assert request is not None
        if blocked:
            return None
        return Delivery(request, own.listing, target)

    async def posted(self, introduction_id: int, channel_id: int, message_id: int) -> None:
        """Where the request was posted in the receiving server."""
        async with self.db.transaction() as conn:
            await store.set_posted(conn, introduction_id, channel_id, message_id)

    async def answer(self, actor: Actor, introduction_id: int, accept: bool) -> Accepted | None:
        """A coordinator of the receiving server accepts (both names cross) or declines
        (nothing reaches the asker). Returns both sides when accepted."""
        await self._coordinator(actor)
        now = self.clock.now()
        async with self.db.transaction() as conn:
            request = await store.get_introduction(conn, introduction_id)
            if request is None or request.to_guild_id != actor.guild_id:
                raise NotFoundError("seek.error.unknown_request")
            if request.status != "pending":
                raise UserError("seek.error.answered_already")
            if now - request.created_at >= timedelta(days=INTRODUCTION_DAYS):
                raise UserError("seek.error.lapsed", days=INTRODUCTION_DAYS)
            asking = await store.get_listing(conn, request.from_listing_id)
            receiving = await store.get_listing(conn, request.to_listing_id)
            if asking is None or receiving is None or asking.status == "removed":
                raise UserError("seek.error.asker_gone")
            if not await store.answer(
                conn, request.id, "accepted" if accept else "declined", by=actor.user_id, now=now
            ):
                raise UserError("seek.error.answered_already")
            await audit(
                conn,
                actor,
                "seek.accepted" if accept else "seek.declined",
                at=now,
                introduction=request.id,
            )
            if accept:
                await sends.plan(
                    conn,
                    key=notice_key(request.id),
                    kind=ACCEPTED_KIND,
                    due_at=now,
                    guild_id=asking.listing.guild_id,
                    payload={"introduction": request.id},
                    # Worth telling for as long as a request is: after that it reads as lapsed.
                    expires_at=now + timedelta(days=INTRODUCTION_DAYS),
                )
            settled = await store.get_introduction(conn, request.id)
        assert settled is not None
        if not accept:
            return None
        if self.scheduler is not None:
            # Tried at once; a passing failure leaves it to the scheduler's retries.
            await self.scheduler.run_now([notice_key(request.id)])
        return Accepted(settled, asking, receiving)

    async def accepted_notice(self, send: sends.Send) -> tuple[Accepted, str] | None:
        """What a `seek.accepted` send tells the asker's server, and in which language; None
        when there is nothing to tell any more (the introduction is gone)."""
        async with self.db.read() as conn:
            request = await store.get_introduction(conn, int(send.payload["introduction"]))
            if request is None or request.status != "accepted":
                return None
            asking = await store.get_listing(conn, request.from_listing_id)
            receiving = await store.get_listing(conn, request.to_listing_id)
            if asking is None or receiving is None:
                return None
            language = await store.server_language(conn, asking.listing.guild_id, asking.author_id)
        return Accepted(request, asking, receiving), language

    # -- safety --------------------------------------------------------------------------------

    async def _other(self, actor: Actor, listing_id: int) -> StoredListing:
        async with self.db.read() as conn:
            found = await store.get_listing(conn, listing_id)
        if found is None or not self.settings.directory_serves(found.listing.guild_id):
            raise NotFoundError("seek.error.unknown_listing", listing=listing_id)
        if found.listing.guild_id == actor.guild_id:
            raise UserError("seek.error.own_server")
        return found

    async def block(self, actor: Actor, listing_id: int, blocked: bool = True) -> StoredListing:
        """Hide the server of a listing from this one, both ways (or show it again). Its
        waiting requests to this server are never answered."""
        await self._coordinator(actor)
        other = await self._other(actor, listing_id)
        server = other.listing.guild_id
        now = self.clock.now()
        async with self.db.transaction() as conn:
            if blocked:
                changed = await store.block(conn, actor.guild_id, server, by=actor.user_id, now=now)
            else:
                changed = await store.unblock(conn, actor.guild_id, server)
            if not changed:
                raise UserError(
                    "seek.error.blocked_already" if blocked else "seek.error.not_blocked"
                )
            await audit(
                conn,
                actor,
                "seek.blocked" if blocked else "seek.unblocked",
                at=now,
                listing=listing_id,
            )
        return other

    async def report(self, actor: Actor, listing_id: int, reason: str) -> tuple[StoredListing, int]:
        """Report a listing to the bot's operator; the report's id."""
        await self._coordinator(actor)
        if self.settings.operator_channel_id is None:
            raise UserError("seek.error.no_operator")
        other = await self._other(actor, listing_id)
        try:
            words = clean_text(reason, limit=500, what="reason", multiline=True)
        except ProfileError as exc:
            raise _profile(exc) from None
        now = self.clock.now()
        async with self.db.transaction() as conn:
            report_id = await store.add_report(
                conn,
                listing_id=listing_id,
                listing_guild_id=other.listing.guild_id,
                reporter_guild_id=actor.guild_id,
                reporter_id=actor.user_id,
                reason=words,
                now=now,
            )
            await audit(conn, actor, "seek.reported", at=now, listing=listing_id, report=report_id)
        return other, report_id

    async def language_of(self, listing: StoredListing) -> str:
        """The language to write to a listing's server in."""
        async with self.db.read() as conn:
            return await store.server_language(conn, listing.listing.guild_id, listing.author_id)

    async def withdraw(self, introduction_id: int) -> None:
        """Forget a request that could not be delivered (the asker is told to try later)."""
        async with self.db.transaction() as conn:
            await store.delete_introduction(conn, introduction_id)

    def operator(self) -> tuple[int | None, int | None]:
        """The operator's server and channel, where abuse reports go."""
        return self.settings.operator_guild_id, self.settings.operator_channel_id


def steps_values(a: Listing, b: Listing) -> dict[str, str]:
    """The options of a pre-filled `/exchange create` for two listed schools."""
    return {
        "name": f"{a.city}–{b.city}"[:MAX_CITY],
        "city_a": a.city,
        "zone_a": a.timezone,
        "languages_a": ", ".join(a.languages),
        "city_b": b.city,
        "zone_b": b.timezone,
        "languages_b": ", ".join(b.languages),
    }


def listing_ids(listings: Sequence[StoredListing]) -> list[int]:
    """Ids of listings, for autocomplete."""
    return [s.listing.id for s in listings]
