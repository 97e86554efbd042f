"""Reports to teachers, and pausing a paired space while teachers look into something.

A report records who reported whom, the reason picked, where (a link, never the message's
text), when and its status. It is posted to the exchange's private teachers' channel; the
reporter is told privately. Teachers of either city (and coordinators) may pause a paired
space: its students keep reading it but cannot write until a teacher reopens it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock
from bot.domain.exchange import Exchange, ProfileError, Role
from bot.domain.pairing import PairStatus
from bot.domain.safety import (
    CHECKIN_HELP,
    ReportKind,
    ReportStatus,
    clean_details,
    message_link,
    parse_reason,
)
from bot.errors import NotAllowedError, NotFoundError, UserError
from bot.i18n import available_languages
from bot.services import chess as chess_service
from bot.services import exchanges as exchange_service
from bot.services.access import Actor, require, require_staff_of, staff_exchange
from bot.services.audit import By, audit
from bot.services.scheduler import Rearm
from bot.store import Database, roster, sends
from bot.store import exchanges as exchange_store
from bot.store import pairing as pairing_store
from bot.store import safety as store
from bot.store.pairing import PairRecord
from bot.store.safety import ReportRecord

STAFF = {"teacher", "coordinator"}
MAX_POST_LANGUAGES = 3


class TeachersPort(Protocol):
    """Where reports reach the teachers; the cog implements it with discord.py."""

    async def post_report(self, channel_id: int, view: ReportView) -> int | None:
        """Post a report; its message id, or None if the channel cannot be posted to."""

    async def refresh_report(self, channel_id: int, message_id: int, view: ReportView) -> None:
        """Show a report's new state in its post (quietly nothing if the post is gone)."""


class ModerationPort(Protocol):
    """What pausing needs from Discord; the cog implements it with discord.py."""

    async def check_permissions(self, kind: str) -> None:
        """Raise BotMissingPermissionError naming what the bot lacks for this kind of space."""

    async def pause(
        self, space_id: int, kind: str, user_ids: Sequence[int], languages: Sequence[str]
    ) -> None:
        """Keep the space visible to these students but stop them writing; tell them so."""

    async def reopen(
        self, space_id: int, kind: str, user_ids: Sequence[int], languages: Sequence[str]
    ) -> None:
        """Let these students write in the space again; tell them so."""


@dataclass(frozen=True, slots=True)
class ReportDraft:
    """What a report will be about, before the reporter picks a reason."""

    kind: ReportKind
    exchange_id: int
    channel_id: int | None = None
    message_id: int | None = None
    subject_id: int | None = None


@dataclass(frozen=True, slots=True)
class ReportView:
    """Everything the teachers' post shows about one report."""

    report: ReportRecord
    exchange: str
    reporter_name: str | None
    subject_name: str | None
    link: str | None
    space_id: int | None
    space_status: str | None  # "active", "paused", "archived" or None (no paired space)
    languages: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Filed:
    view: ReportView
    posted: bool  # False: the teachers' channel is missing or refused the post


@dataclass(frozen=True, slots=True)
class SpaceChange:
    pair_id: int
    space_id: int
    status: str  # the pair's status now
    members: int


# -- what teachers see (read helpers; the service below holds the use cases) ------------------


async def _post_languages(db: Database, exchange: Exchange) -> tuple[str, ...]:
    """The languages of the exchange's teachers (their profiles, else their cities')."""
    known = set(available_languages())
    async with db.read() as conn:
        staff = [
            p
            for p in await roster.listing(conn, exchange.id, statuses=("active",))
            if p.role in (Role.TEACHER, Role.COORDINATOR)
        ]
    wanted = [p.language for p in staff] or [c.languages[0] for c in exchange.cities if c.languages]
    chosen = [lang for lang in dict.fromkeys(wanted) if lang in known]
    return tuple(chosen[:MAX_POST_LANGUAGES]) or ("en",)


async def report_view(db: Database, guild_id: int, report_id: int) -> ReportView:
    """A report with the names, link and space state its post shows."""
    async with db.read() as conn:
        report = await store.get(conn, guild_id, report_id)
        if report is None:
            raise NotFoundError("error.unknown_report")
        exchange = await exchange_store.get_exchange(conn, guild_id, report.exchange_id)
        pair = await pairing_store.get_pair(conn, report.pair_id) if report.pair_id else None
        names = {}
        for user_id in (report.reporter_id, report.subject_id):
            if user_id is not None:
                person = await roster.find(conn, report.exchange_id, user_id)
                names[user_id] = person.display_name if person else None
    link = (
        message_link(guild_id, report.channel_id, report.message_id)
        if report.channel_id is not None
        else None
    )
    return ReportView(
        report=report,
        exchange=exchange.name if exchange else "",
        reporter_name=names.get(report.reporter_id),
        subject_name=names.get(report.subject_id) if report.subject_id else None,
        link=link,
        space_id=pair.space_id if pair else None,
        space_status=pair.status if pair else None,
        languages=await _post_languages(db, exchange) if exchange else ("en",),
    )


# The post of a report in the teachers' channel, as a scheduled send (tried again when Discord
# fails for a moment, and after a restart): the reports the bot files itself.
NOTICE_KIND = "safety.notice"
# A notice the bot could not post (it was down) is still worth posting this long after.
NOTICE_USEFUL_FOR = timedelta(days=7)


async def file_help(
    conn: AsyncConnection,
    *,
    key: str,
    guild_id: int,
    exchange_id: int,
    reporter_id: int,
    pair: PairRecord,
    now: datetime,
) -> int | None:
    """A concern for a student's "we need help" (in the caller's transaction): listed by
    `/concerns` like any other, and posted to the teachers' channel by a scheduled send keyed
    `key` (one per check-in and student: answering "help" again files nothing new). Returns
    the report's id, or None when this key already filed one."""
    if await sends.by_keys(conn, [key]):
        return None
    report_id = await store.add(
        conn,
        guild_id=guild_id,
        exchange_id=exchange_id,
        kind=ReportKind.CONCERN,
        reason=CHECKIN_HELP,
        reporter_id=reporter_id,
        subject_id=None,
        channel_id=pair.space_id,
        message_id=None,
        pair_id=pair.id,
        now=now,
    )
    await audit(
        conn,
        By(guild_id, reporter_id),
        "safety.reported",
        at=now,
        exchange_id=exchange_id,
        report=report_id,
        kind=ReportKind.CONCERN.value,
        reason=CHECKIN_HELP,
    )
    await sends.plan(
        conn,
        key=key,
        kind=NOTICE_KIND,
        due_at=now,
        guild_id=guild_id,
        partnership_id=exchange_id,
        payload={"report": report_id},
        expires_at=now + NOTICE_USEFUL_FOR,
    )
    return report_id


@dataclass(frozen=True, slots=True)
class ReportsPage:
    exchange: Exchange
    views: tuple[ReportView, ...]
    total: int
    page: int
    pages: int


PER_PAGE = 5


class SafetyService:
    """Reports to teachers (filing, details, resolving, listing) and pausing paired spaces."""

    def __init__(self, db: Database, clock: Clock, scheduler: Rearm) -> None:
        self.db = db
        self.clock = clock
        self.scheduler = scheduler

    # -- drafting -------------------------------------------------------------------------------

    async def _reporters_exchange(self, actor: Actor) -> Exchange:
        """The one exchange this person belongs to, or the guild's only exchange."""
        async with self.db.read() as conn:
            mine = await roster.of_user(conn, actor.guild_id, actor.user_id)
            active = {e.id: e for e in await exchange_store.exchanges_in(conn, actor.guild_id)}
        joined = [active[p.partnership_id] for p in mine if p.partnership_id in active]
        if len(joined) == 1:
            return joined[0]
        if not joined and len(active) == 1:
            return next(iter(active.values()))
        if not active:
            raise NotFoundError("error.no_exchange")
        raise UserError("error.report_choose_exchange")

    async def draft_message_report(
        self, actor: Actor, channel_id: int, message_id: int, author_id: int
    ) -> ReportDraft:
        """A report about one message; its exchange is the paired space's, else the reporter's."""
        async with self.db.read() as conn:
            pair = await pairing_store.pair_by_space(conn, channel_id)
            exchange_id = await pairing_store.exchange_of(conn, pair.id) if pair else None
            exchange = (
                await exchange_store.get_exchange(conn, actor.guild_id, exchange_id)
                if exchange_id is not None
                else None
            )
        if exchange is None:
            exchange = await self._reporters_exchange(actor)
        return ReportDraft(ReportKind.MESSAGE, exchange.id, channel_id, message_id, author_id)

    async def draft_concern(
        self, actor: Actor, exchange_id: int | None, about_id: int | None
    ) -> ReportDraft:
        """A concern that is not one message, optionally about someone."""
        if exchange_id is not None:
            exchange = await exchange_service.get(self.db, actor.guild_id, exchange_id)
        else:
            exchange = await self._reporters_exchange(actor)
        return ReportDraft(ReportKind.CONCERN, exchange.id, subject_id=about_id)

    # -- filing ---------------------------------------------------------------------------------

    async def _concerned_pair(self, draft: ReportDraft, reporter_id: int) -> PairRecord | None:
        """The paired space a report is about: where the message is, else the reporter's own."""
        async with self.db.read() as conn:
            if draft.channel_id is not None:
                pair = await pairing_store.pair_by_space(conn, draft.channel_id)
                if pair is not None and pair.status in pairing_store.LIVE:
                    return pair
                if draft.kind is ReportKind.MESSAGE:
                    return None
            for user_id in (reporter_id, draft.subject_id):
                if user_id is None:
                    continue
                person = await roster.find(conn, draft.exchange_id, user_id)
                if person is not None:
                    pair = await pairing_store.live_pair_of(conn, person.id)
                    if pair is not None:
                        return pair
        return None

    async def file_report(
        self, actor: Actor, draft: ReportDraft, reason: str, port: TeachersPort
    ) -> Filed:
        """Record the report, post it to the teachers' channel, and say whether that worked.

        The report is stored before anything is posted, so a missing or broken teachers'
        channel never loses it: `/concerns` lists it either way.
        """
        try:
            reason = parse_reason(reason)
        except ProfileError as exc:
            raise UserError(exc.key, **exc.params) from None
        pair = await self._concerned_pair(draft, actor.user_id)
        now = self.clock.now()
        async with self.db.transaction() as conn:
            exchange = await exchange_store.get_exchange(conn, actor.guild_id, draft.exchange_id)
            if exchange is None:
                raise NotFoundError("error.unknown_exchange")
            report_id = await store.add(
                conn,
                guild_id=actor.guild_id,
                exchange_id=exchange.id,
                kind=draft.kind,
                reason=reason,
                reporter_id=actor.user_id,
                subject_id=draft.subject_id,
                channel_id=draft.channel_id,
                message_id=draft.message_id,
                pair_id=pair.id if pair else None,
                now=now,
            )
            await audit(
                conn,
                actor,
                "safety.reported",
                at=now,
                exchange_id=exchange.id,
                report=report_id,
                kind=draft.kind.value,
                reason=reason,
            )
        view = await report_view(self.db, actor.guild_id, report_id)
        async with self.db.read() as conn:
            teachers_channel = (await exchange_store.spaces(conn, exchange.id)).teachers_channel_id
        posted = None
        if teachers_channel is not None:
            posted = await port.post_report(teachers_channel, view)
        if teachers_channel is not None and posted is not None:
            async with self.db.transaction() as conn:
                await store.set_notice(conn, report_id, teachers_channel, posted)
            view = await report_view(self.db, actor.guild_id, report_id)
        return Filed(view, posted is not None)

    async def add_details(
        self, actor: Actor, report_id: int, text: str, port: TeachersPort
    ) -> ReportView:
        """The reporter adds a few words to their report; the teachers' post shows them."""
        try:
            details = clean_details(text)
        except ProfileError as exc:
            raise UserError(exc.key, **exc.params) from None
        async with self.db.read() as conn:
            report = await store.get(conn, actor.guild_id, report_id)
        if report is None:
            raise NotFoundError("error.unknown_report")
        if report.reporter_id != actor.user_id:
            raise NotAllowedError("error.not_your_report")
        now = self.clock.now()
        async with self.db.transaction() as conn:
            await store.set_details(conn, report.id, details)
            await audit(
                conn,
                actor,
                "safety.report_details",
                at=now,
                exchange_id=report.exchange_id,
                report=report.id,
                length=len(details),
            )
        return await self._refresh(actor.guild_id, report.id, port)

    async def resolve_report(self, actor: Actor, report_id: int, port: TeachersPort) -> ReportView:
        """A teacher marks a report dealt with."""
        await require(self.db, actor, STAFF)
        async with self.db.read() as conn:
            report = await store.get(conn, actor.guild_id, report_id)
        if report is None:
            raise NotFoundError("error.unknown_report")
        await require_staff_of(self.db, actor, report.exchange_id, STAFF)
        if report.status is ReportStatus.RESOLVED:
            raise UserError("error.report_already_resolved")
        now = self.clock.now()
        async with self.db.transaction() as conn:
            await store.resolve(conn, report.id, actor.user_id, now)
            await audit(
                conn,
                actor,
                "safety.report_resolved",
                at=now,
                exchange_id=report.exchange_id,
                report=report.id,
            )
        return await self._refresh(actor.guild_id, report.id, port)

    async def _refresh(self, guild_id: int, report_id: int, port: TeachersPort) -> ReportView:
        view = await report_view(self.db, guild_id, report_id)
        report = view.report
        if report.notice_channel_id is not None and report.notice_message_id is not None:
            await port.refresh_report(report.notice_channel_id, report.notice_message_id, view)
        return view

    # -- reports the bot files: their post as a scheduled send ------------------------------------

    async def notice_for(self, send: sends.Send) -> tuple[ReportView, int] | None:
        """The report a due notice posts and the teachers' channel it goes to; None when the
        report is gone, already posted (a repeat after a restart) or there is no channel."""
        report_id = int(send.payload["report"])
        try:
            view = await report_view(self.db, send.guild_id, report_id)
        except NotFoundError:
            return None
        if view.report.notice_message_id is not None:
            return None
        async with self.db.read() as conn:
            where = await exchange_store.spaces(conn, view.report.exchange_id)
        if where.teachers_channel_id is None:
            return None  # `/concerns` lists it all the same
        return view, where.teachers_channel_id

    async def noticed(
        self, guild_id: int, report_id: int, channel_id: int, message_id: int
    ) -> None:
        """Remember the post that shows a report (its buttons and later updates use it)."""
        async with self.db.transaction() as conn:
            report = await store.get(conn, guild_id, report_id)
            if report is not None:
                await store.set_notice(conn, report.id, channel_id, message_id)

    # -- what teachers see ----------------------------------------------------------------------

    async def report_view(self, guild_id: int, report_id: int) -> ReportView:
        """A report with the names, link and space state its post shows."""
        return await report_view(self.db, guild_id, report_id)

    async def reports(
        self, actor: Actor, exchange_id: int | None, *, open_only: bool, page: int
    ) -> ReportsPage:
        """An exchange's reports, newest first, a page at a time (staff only)."""
        exchange = await staff_exchange(self.db, actor, exchange_id, STAFF)
        status = ReportStatus.OPEN if open_only else None
        async with self.db.read() as conn:
            total = await store.count(conn, exchange.id, status)
            pages = max(1, -(-total // PER_PAGE))
            page = min(max(page, 1), pages)
            found = await store.listing(conn, exchange.id, status, PER_PAGE, (page - 1) * PER_PAGE)
        views = tuple([await report_view(self.db, actor.guild_id, r.id) for r in found])
        return ReportsPage(exchange, views, total, page, pages)

    # -- pausing --------------------------------------------------------------------------------

    async def _find_pair(
        self,
        actor: Actor,
        *,
        exchange_id: int | None,
        report_id: int | None,
        space_id: int | None,
        student_id: int | None,
    ) -> PairRecord:
        """The live pair named by a report, a student, or the space the command runs in."""
        pair: PairRecord | None = None
        if report_id is not None:
            async with self.db.read() as conn:
                report = await store.get(conn, actor.guild_id, report_id)
                if report is None:
                    raise NotFoundError("error.unknown_report")
                if report.pair_id is None:
                    raise UserError("error.report_no_space")
                pair = await pairing_store.get_pair(conn, report.pair_id)
        elif student_id is not None:
            exchange = await staff_exchange(self.db, actor, exchange_id, STAFF)
            async with self.db.read() as conn:
                person = await roster.find(conn, exchange.id, student_id)
                if person is None or person.role is not Role.STUDENT:
                    raise NotFoundError("error.not_a_student")
                pair = await pairing_store.live_pair_of(conn, person.id)
            if pair is None:
                raise UserError("error.not_paired", name=person.display_name)
        elif space_id is not None:
            async with self.db.read() as conn:
                pair = await pairing_store.pair_by_space(conn, space_id)
        if pair is None:
            raise UserError("error.not_a_space")
        async with self.db.read() as conn:
            owner = await pairing_store.exchange_of(conn, pair.id)
            exchange_row = (
                await exchange_store.get_exchange(conn, actor.guild_id, owner) if owner else None
            )
        if exchange_row is None:
            # Another guild's space, or an exchange that has ended.
            raise UserError("error.not_a_space")
        # The space's own exchange, whichever way it was named: a report or a channel of
        # another exchange is not this teacher's to pause.
        await require_staff_of(self.db, actor, exchange_row.id, STAFF)
        if pair.status == PairStatus.ARCHIVED:
            raise UserError("error.space_archived")
        return pair

    async def set_space_paused(
        self,
        actor: Actor,
        port: ModerationPort,
        teachers: TeachersPort,
        *,
        paused: bool,
        exchange_id: int | None = None,
        report_id: int | None = None,
        space_id: int | None = None,
        student_id: int | None = None,
    ) -> SpaceChange:
        """Pause a paired space (read-only for its students) or reopen it (teachers,
        coordinators).

        The space is found from a report, a student, or the channel the command runs in.
        Discord is changed first; only then is the new state stored and logged, so they never
        disagree. While paused, chess in the space waits and its games' clocks stop (see
        `chess.hold_clocks`); prompts and session posts skip the pair.
        """
        await require(self.db, actor, STAFF)
        pair = await self._find_pair(
            actor,
            exchange_id=exchange_id,
            report_id=report_id,
            space_id=space_id,
            student_id=student_id,
        )
        if paused and pair.status == PairStatus.PAUSED:
            raise UserError("error.space_already_paused")
        if not paused and pair.status != PairStatus.PAUSED:
            raise UserError("error.space_not_paused")
        assert pair.space_id is not None
        async with self.db.read() as conn:
            kind = await pairing_store.space_kind(conn, pair.id) or "channels"
            people = await roster.by_ids(conn, pair.members)
            owner = await pairing_store.exchange_of(conn, pair.id)
        user_ids = [p.user_id for p in people]
        languages = tuple(dict.fromkeys(p.language for p in people)) or ("en",)
        await port.check_permissions(kind)
        if paused:
            await port.pause(pair.space_id, kind, user_ids, languages)
        else:
            await port.reopen(pair.space_id, kind, user_ids, languages)
        status = PairStatus.PAUSED if paused else PairStatus.ACTIVE
        now = self.clock.now()
        async with self.db.transaction() as conn:
            await pairing_store.set_status(conn, pair.id, status, now)
            if paused:
                await pairing_store.open_pause(conn, pair.id, now)
                await chess_service.hold_clocks(conn, pair.space_id, now)
            else:
                await pairing_store.close_pause(conn, pair.id, now)
                await chess_service.restart_clocks(conn, pair.space_id, now)
            await audit(
                conn,
                actor,
                "safety.space_paused" if paused else "safety.space_reopened",
                at=now,
                exchange_id=owner,
                pair=pair.id,
                report=report_id,
            )
            affected = await store.with_pair(conn, pair.id)
        await self.scheduler.rearm()
        for report in affected:
            await self._refresh(actor.guild_id, report.id, teachers)
        return SpaceChange(pair.id, pair.space_id, status, len(user_ids))
