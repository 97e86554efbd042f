"""The coordinators' dashboard: secret read-only links to an exchange's pages, and their data.

A link shows exactly what its creator may see in `/report` (and in `/prompt stats` and
`/chess standings`): a coordinator's link the whole exchange (or the one city they chose), a
teacher's their own city's attendance and students besides the exchange's figures. Nothing
of another exchange: the token alone decides the scope, no page takes an exchange or a
person from the URL. The figures come from the same service methods as `/report`.

Links expire (DASHBOARD_LINK_DAYS, 30 by default), can be revoked (`/report links`), and
every use is in the activity log (`dashboard.viewed`), as is every refused use of a link that
existed (`dashboard.refused`: expired, revoked, or its creator no longer a teacher there).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.clock import Clock
from bot.domain import tokens
from bot.domain.exchange import Exchange, Role
from bot.domain.reporting import (
    Attendance,
    ExchangeFigures,
    Period,
    ReportError,
    SessionSlot,
    parse_day,
    period_between,
    period_of,
)
from bot.errors import NotAllowedError, NotFoundError, UserError
from bot.i18n import available_languages
from bot.services.access import Actor, require, staff_exchange_ids, staff_of, standing
from bot.services.audit import By, audit
from bot.services.chess.league import LeagueTable, Standings
from bot.services.prompts import PromptService, PromptStats
from bot.services.reporting import REPORTERS, ReportingService, Scope
from bot.store import Database, roster
from bot.store import exchanges as exchange_store
from bot.store import links as store
from bot.store import reporting as report_store

# The calendar page looks back this far and ahead this far unless told otherwise.
CALENDAR_BEFORE = timedelta(days=30)
CALENDAR_AFTER = timedelta(days=180)
PAGES = ("overview", "sessions", "attendance", "prompts", "chess", "csv", "xlsx", "figures")


class PublicAddress:
    """Where the bot's web server is reached from outside (PUBLIC_URL), or, without it, the
    address it listens on once started (None while it is not)."""

    def __init__(self, configured: str | None) -> None:
        self.configured = configured.rstrip("/") if configured else None
        self.listening: str | None = None

    @property
    def url(self) -> str | None:
        return self.configured or self.listening


@dataclass(frozen=True, slots=True)
class NewLink:
    """A link just made: its URL is shown once and never stored."""

    url: str
    scope: Scope
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class LinkLine:
    """A live link as `/report links` lists it."""

    id: int
    created_by: int
    city: str | None
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    uses: int


@dataclass(frozen=True, slots=True)
class Access:
    """An open link: what its pages show, and in which language by default."""

    link_id: int
    scope: Scope
    language: str
    expires_at: datetime

    @property
    def exchange(self) -> Exchange:
        return self.scope.exchange


@dataclass(frozen=True, slots=True)
class Overview:
    figures: ExchangeFigures
    attendance: Attendance  # the link's own scope (a teacher's city)


@dataclass(frozen=True, slots=True)
class Calendar:
    period: Period
    slots: tuple[SessionSlot, ...]


class DashboardService:
    """Dashboard links and the data of their pages."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        reporting: ReportingService,
        prompts: PromptService,
        league: LeagueTable,
        address: PublicAddress,
        *,
        link_days: int = 30,
    ) -> None:
        self.db = db
        self.clock = clock
        self.reporting = reporting
        self.prompts = prompts
        self.league = league
        self.address = address
        self.link_days = link_days

    # -- links, from Discord -------------------------------------------------------------------

    async def create(
        self, actor: Actor, exchange_id: int | None, city: str | None, language: str | None = None
    ) -> NewLink:
        """A new link for what this person may see in /report (coordinators may narrow it to a
        city; a teacher's is their own city)."""
        scope = await self.reporting.scope_for(actor, exchange_id, city)
        found = await standing(self.db, actor)
        role = Role.COORDINATOR if found.coordinator or found.admin else Role.TEACHER
        base = self.address.url
        if base is None:
            raise UserError("dashboard.error.off")
        language = language if language in available_languages() else actor.language
        token = tokens.new_token()
        now = self.clock.now()
        expires = now + timedelta(days=self.link_days)
        async with self.db.transaction() as conn:
            link_id = await store.add_link(
                conn,
                guild_id=actor.guild_id,
                exchange_id=scope.exchange.id,
                city_id=scope.city.id if scope.city else None,
                created_by=actor.user_id,
                role=role.value,
                language=language,
                selector=token.selector,
                secret_hash=token.secret_hash,
                now=now,
                expires_at=expires,
            )
            await audit(
                conn,
                actor,
                "dashboard.link_created",
                at=now,
                exchange_id=scope.exchange.id,
                link=link_id,
                city=scope.city.id if scope.city else None,
                expires=expires.isoformat(),
            )
        return NewLink(f"{base}/d/{token.text}/", scope, expires)

    async def links(self, actor: Actor, exchange_id: int | None) -> tuple[Scope, list[LinkLine]]:
        """Live links of an exchange: a coordinator's view holds everyone's, a teacher's their
        own."""
        scope = await self.reporting.scope_for(actor, exchange_id, None)
        found = await standing(self.db, actor)
        mine_only = not (found.coordinator or found.admin)
        async with self.db.read() as conn:
            records = await store.live_links(
                conn,
                scope.exchange.id,
                self.clock.now(),
                created_by=actor.user_id if mine_only else None,
            )
        return scope, [
            LinkLine(
                id=r.id,
                created_by=r.created_by,
                city=scope.exchange.city(r.city_id).name if r.city_id else None,
                created_at=r.created_at,
                expires_at=r.expires_at,
                last_used_at=r.last_used_at,
                uses=r.uses,
            )
            for r in records
        ]

    async def revoke(self, actor: Actor, link_id: int) -> int:
        """Revoke a link of an exchange the actor is staff of (coordinators any, teachers their
        own); returns its exchange's id."""
        found = await require(self.db, actor, REPORTERS)
        async with self.db.read() as conn:
            record = await store.link_by_id(conn, link_id)
            scope = await staff_exchange_ids(conn, actor, found, REPORTERS)
        if record is None or record.guild_id != actor.guild_id:
            raise NotFoundError("dashboard.error.unknown_link", id=link_id)
        if not staff_of(scope, record.exchange_id):
            raise NotAllowedError("error.not_staff_here")
        if not (found.coordinator or found.admin) and record.created_by != actor.user_id:
            raise NotAllowedError("dashboard.error.not_yours")
        now = self.clock.now()
        async with self.db.transaction() as conn:
            # Two clicks at once: the write lock orders them, the second finds it revoked.
            if not await store.revoke_link(conn, link_id, actor.user_id, now):
                raise UserError("dashboard.error.already_revoked")
            await audit(
                conn,
                actor,
                "dashboard.link_revoked",
                at=now,
                exchange_id=record.exchange_id,
                link=link_id,
                created_by=record.created_by,
            )
        return record.exchange_id

    # -- links, from the web -------------------------------------------------------------------

    async def open(self, text: str, page: str) -> Access | None:
        """The link behind a URL's token, logged as used for `page`; None when it does not
        open (malformed, unknown, wrong secret, expired, revoked, its creator no longer a
        teacher of that city, its exchange gone). Callers answer every None the same way."""
        token = tokens.parse(text)
        if token is None:
            return None
        async with self.db.read() as conn:
            record = await store.link_by_selector(conn, token.selector)
        if record is None or not tokens.matches(token, record.secret_hash):
            return None
        now = self.clock.now()
        why = await self._refusal(record, now)
        scope = None
        if why is None:
            async with self.db.read() as conn:
                exchange = await exchange_store.get_exchange(
                    conn, record.guild_id, record.exchange_id, with_ended=True
                )
            if exchange is None:
                why = "exchange gone"
            else:
                city = exchange.city(record.city_id) if record.city_id else None
                scope = Scope(exchange, city)
        async with self.db.transaction() as conn:
            if scope is not None:
                await store.link_used(conn, record.id, now)
            await audit(
                conn,
                By(record.guild_id),
                "dashboard.viewed" if scope is not None else "dashboard.refused",
                at=now,
                exchange_id=record.exchange_id,
                link=record.id,
                created_by=record.created_by,
                page=page if page in PAGES else "other",
                **({"why": why} if why else {}),
            )
        if scope is None:
            return None
        return Access(record.id, scope, record.language, record.expires_at)

    async def _refusal(self, record: store.LinkRecord, now: datetime) -> str | None:
        """Why a link whose secret matched does not open now (None: it opens)."""
        if record.revoked_at is not None:
            return "revoked"
        if record.expires_at <= now:
            return "expired"
        if record.role == Role.TEACHER.value:
            # A teacher sees their city while they teach it: one who left, or moved to the
            # other city, no longer opens what they shared.
            async with self.db.read() as conn:
                me = await roster.find(conn, record.exchange_id, record.created_by)
            if (
                me is None
                or me.role is not Role.TEACHER
                or me.status == "removed"
                or me.city_id != record.city_id
            ):
                return "creator no longer a teacher there"
        return None

    # -- the pages' data -----------------------------------------------------------------------

    def period(self, start: str | None, end: str | None) -> Period:
        """The period typed in the page's form (the /report defaults), or a UserError."""
        try:
            return period_of(start or None, end or None, self.clock.now().date())
        except ReportError as error:
            raise UserError(error.key, **error.params) from None

    async def overview(self, access: Access, period: Period) -> Overview:
        """The exchange's figures (as /report exchange) and the link's own attendance."""
        figures = await self.reporting.compute_exchange(access.scope, period)
        if access.scope.city is None:
            return Overview(figures, figures.attendance)
        own = await self.reporting.compute_attendance(access.scope, period)
        return Overview(figures, own)

    async def attendance(self, access: Access, period: Period) -> Attendance:
        """Attendance of the link's scope (as /report attendance)."""
        return await self.reporting.compute_attendance(access.scope, period)

    async def calendar(self, access: Access, start: str | None, end: str | None) -> Calendar:
        """The exchange's sessions from a month ago to half a year ahead, or as asked."""
        today = self.clock.now().date()
        try:
            first = _day(start) or today - CALENDAR_BEFORE
            last = _day(end) or today + CALENDAR_AFTER
            period = period_between(first, last, max(today, last))
        except ReportError as error:
            raise UserError(error.key, **error.params) from None
        async with self.db.read() as conn:
            found = await report_store.slots(conn, access.exchange.id, period)
        return Calendar(period, tuple(found))

    async def prompt_rates(self, access: Access) -> PromptStats:
        """Response rates per prompt (as /prompt stats)."""
        return await self.prompts.stats_of(access.exchange)

    async def standings(self, access: Access) -> Standings:
        """The chess league (as /chess standings)."""
        return await self.league.standings_of(access.exchange)


def _day(text: str | None) -> date | None:
    return parse_day(text) if text else None
