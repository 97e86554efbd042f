"""Consent and age (issue 23): teachers record guardian consent per student, set a band for
students enrolled under the old "10-12" band, and choose whether consent is required before
pairing (on by default).

A teacher acts for their own city's students only; coordinators for either city of their
exchange. Every change is written to the activity log (`roster.consent`, `roster.band`,
`roster.consent_rule`). Students whose stored band is under Discord's minimum age are flagged
to teachers (roster pages, reports, and a notice in the teachers' channel at start-up, at most
once a day per exchange) until a teacher sets a valid band; nothing changes them silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock
from bot.domain import consent as rules
from bot.domain.consent import ConsentRecord, Coverage
from bot.domain.exchange import (
    City,
    Exchange,
    Participant,
    ParticipantStatus,
    ProfileError,
    Role,
    parse_grade_band,
)
from bot.domain.shards import Scope
from bot.errors import NotAllowedError, NotFoundError, UserError
from bot.services.access import Actor, require_staff_of, staff_exchange
from bot.services.audit import audit
from bot.services.scheduler import Rearm
from bot.services.session_plans import languages_of
from bot.store import Database, roster, sends
from bot.store import consent as store
from bot.store import exchanges as exchange_store
from bot.store import pairing as pairing_store
from bot.store.engine import batches

STAFF = {"teacher", "coordinator"}
NOTICE_KIND = "consent.bands"
# The teachers' notice that a paired student's consent was withdrawn.
WITHDRAWN_KIND = "consent.withdrawn"
# A start-up notice is still worth posting this long after it was planned.
NOTICE_USEFUL_FOR = timedelta(hours=12)
REMOVED = ParticipantStatus.REMOVED


@dataclass(frozen=True, slots=True)
class ConsentChange:
    """What `/roster consent` recorded."""

    exchange: Exchange
    student: Participant
    record: ConsentRecord
    previous: ConsentRecord | None
    required: bool  # the exchange's rule: whether the student now waits for pairing
    # Withdrawn while the student is in a live pair: its space and the partners' names (the
    # pair goes on until a teacher ends it; the student is left out of the next round).
    pair_space_id: int | None = None
    partners: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ConsentOverview:
    """An exchange's consent rule, coverage per city and students with a band to fix."""

    exchange: Exchange
    required: bool
    coverage: tuple[Coverage, ...]
    flagged: tuple[Participant, ...]
    records: dict[int, ConsentRecord]


@dataclass(frozen=True, slots=True)
class WithdrawnNotice:
    """A notice for the teachers' channel: a paired student's consent was withdrawn."""

    exchange: Exchange
    channel_id: int
    student: Participant
    partners: tuple[str, ...]
    space_id: int | None
    languages: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BandNotice:
    """A notice for the teachers' channel: students whose band is under the minimum age."""

    exchange: Exchange
    channel_id: int
    flagged: tuple[Participant, ...]
    languages: tuple[str, ...]  # the teachers' channel is read in both cities' languages


async def held_back(
    conn: AsyncConnection, exchange_id: int, students: Sequence[Participant]
) -> tuple[list[Participant], list[Participant]]:
    """(may be paired, waiting for consent) among `students`, by the exchange's rule."""
    required = await store.required(conn, exchange_id)
    found = await store.records(conn, exchange_id)
    return rules.may_pair(students, found, required=required)


async def overview_of(conn: AsyncConnection, exchange: Exchange) -> ConsentOverview:
    """Consent coverage per city (current students) and flagged bands, read in `conn`."""
    students = await roster.listing(conn, exchange.id, role=Role.STUDENT)
    found = await store.records(conn, exchange.id)
    by_city = {c.city_id: c for c in rules.coverage(students, found)}
    ordered = tuple(by_city.get(c.id, Coverage(c.id, 0, 0)) for c in exchange.cities)
    return ConsentOverview(
        exchange,
        await store.required(conn, exchange.id),
        ordered,
        tuple(rules.flagged_bands(students)),
        found,
    )


async def acting_cities(db: Database, actor: Actor, exchange: Exchange) -> tuple[City, ...]:
    """The cities whose students this person records consent and bands for: a teacher's own,
    a coordinator's (or an admin's) both."""
    found = await require_staff_of(db, actor, exchange.id)
    if found.coordinator or found.admin:
        return exchange.cities
    async with db.read() as conn:
        me = await roster.find(conn, exchange.id, actor.user_id)
    if me is None or me.role is not Role.TEACHER or me.status is REMOVED or not me.city_id:
        raise NotAllowedError("error.reporting_join_first")
    return (exchange.city(me.city_id),)


class ConsentService:
    """Recording consent, fixing under-age bands, and the exchange's consent rule."""

    def __init__(self, db: Database, clock: Clock, scheduler: Rearm | None = None) -> None:
        self.db = db
        self.clock = clock
        self.scheduler = scheduler

    async def _own_student(
        self, actor: Actor, exchange_id: int | None, user_id: int
    ) -> tuple[Exchange, Participant]:
        exchange = await staff_exchange(self.db, actor, exchange_id, STAFF)
        mine = await acting_cities(self.db, actor, exchange)
        async with self.db.read() as conn:
            student = await roster.find(conn, exchange.id, user_id)
        if student is None or student.role is not Role.STUDENT or student.status is REMOVED:
            raise NotFoundError("error.not_a_student")
        if student.city_id not in {c.id for c in mine}:
            raise NotAllowedError("consent.error.other_city", city=mine[0].name)
        return exchange, student

    async def record(
        self, actor: Actor, exchange_id: int | None, user_id: int, on_file: bool
    ) -> ConsentChange:
        """Record that a guardian's consent is on file for a student (or was withdrawn).

        Refused for a student of another city (a teacher) or another exchange.
        """
        exchange, student = await self._own_student(actor, exchange_id, user_id)
        now = self.clock.now()
        async with self.db.transaction() as conn:
            previous = (await store.records(conn, exchange.id, [student.id])).get(student.id)
            await store.record(conn, exchange.id, student.id, on_file, actor.user_id, now)
            await audit(
                conn,
                actor,
                "roster.consent",
                at=now,
                exchange_id=exchange.id,
                participant=student.id,
                on_file=on_file,
            )
            required = await store.required(conn, exchange.id)
            pair = None if on_file else await pairing_store.live_pair_of(conn, student.id)
            partners: tuple[str, ...] = ()
            if pair is not None:
                others = [m for m in pair.members if m != student.id]
                partners = tuple(p.display_name for p in await roster.by_ids(conn, others))
                where = await exchange_store.spaces(conn, exchange.id)
                if where.teachers_channel_id is not None:
                    # Every teacher of the exchange is told (the partner's teacher too), with
                    # what to do: a scheduled send, so a restart or a Discord hiccup loses none.
                    await sends.plan(
                        conn,
                        key=f"{WITHDRAWN_KIND}:{student.id}:{now.isoformat()}",
                        kind=WITHDRAWN_KIND,
                        due_at=now,
                        guild_id=actor.guild_id,
                        partnership_id=exchange.id,
                        payload={"participant": student.id, "pair": pair.id},
                        expires_at=now + NOTICE_USEFUL_FOR,
                    )
        if pair is not None and self.scheduler is not None:
            self.scheduler.wake_by(now)
        record = ConsentRecord(student.id, on_file, actor.user_id, now)
        return ConsentChange(
            exchange,
            student,
            record,
            previous,
            required,
            pair.space_id if pair is not None else None,
            partners,
        )

    async def withdrawn_notice(self, send: sends.Send) -> WithdrawnNotice | None:
        """What a due notice about a paired student's withdrawn consent says (None: the pair
        ended meanwhile, consent is back on file, or the exchange has no teachers' channel)."""
        participant_id = int(send.payload["participant"])
        pair_id = int(send.payload["pair"])
        async with self.db.read() as conn:
            exchange = (
                await exchange_store.get_exchange(conn, send.guild_id, send.partnership_id)
                if send.partnership_id is not None
                else None
            )
            pair = await pairing_store.get_pair(conn, pair_id)
            if exchange is None or pair is None or pair.status not in pairing_store.LIVE:
                return None
            record = (await store.records(conn, exchange.id, [participant_id])).get(participant_id)
            if rules.has_consent(record):
                return None
            people = await roster.by_ids(conn, pair.members)
            where = await exchange_store.spaces(conn, exchange.id)
        student = next((p for p in people if p.id == participant_id), None)
        if student is None or where.teachers_channel_id is None:
            return None
        return WithdrawnNotice(
            exchange,
            where.teachers_channel_id,
            student,
            tuple(p.display_name for p in people if p.id != participant_id),
            pair.space_id,
            languages_of(exchange),
        )

    async def set_band(
        self, actor: Actor, exchange_id: int | None, user_id: int, band: str
    ) -> tuple[Exchange, Participant, str | None]:
        """A teacher sets a student's grade band (one that starts at 13); returns the exchange,
        the student as saved and their previous band."""
        try:
            value = parse_grade_band(band)
        except ProfileError as exc:
            raise UserError(exc.key, **exc.params) from None
        exchange, student = await self._own_student(actor, exchange_id, user_id)
        now = self.clock.now()
        async with self.db.transaction() as conn:
            await roster.update_profile(conn, student.id, now, grade_band=value)
            await audit(
                conn,
                actor,
                "roster.band",
                at=now,
                exchange_id=exchange.id,
                **{"participant": student.id, "from": student.grade_band, "to": value},
            )
            saved = (await roster.by_ids(conn, [student.id]))[0]
        return exchange, saved, student.grade_band

    async def set_required(
        self, actor: Actor, exchange_id: int | None, required: bool
    ) -> ConsentOverview:
        """Choose whether the exchange pairs only students with consent on file."""
        exchange = await staff_exchange(self.db, actor, exchange_id, STAFF)
        now = self.clock.now()
        async with self.db.transaction() as conn:
            await store.set_required(conn, exchange.id, required, actor.user_id, now)
            await audit(
                conn,
                actor,
                "roster.consent_rule",
                at=now,
                exchange_id=exchange.id,
                required=required,
            )
            return await overview_of(conn, exchange)

    async def overview(self, exchange: Exchange) -> ConsentOverview:
        """The exchange's consent rule, coverage per city and flagged bands."""
        async with self.db.read() as conn:
            return await overview_of(conn, exchange)

    # -- the start-up notice about under-age bands ----------------------------------------------

    async def at_start(self, scope: Scope) -> None:
        """Start-up work: the day's notices about under-age bands, in this process's servers."""
        await self.plan_band_notices(scope)

    async def plan_band_notices(self, scope: Scope | None = None) -> int:
        """Plan a notice in each exchange's teachers' channel that has students with a band
        under the minimum age; one a day at most per exchange (keyed by the day), however
        often the bot restarts. Only servers of `scope` when given (the process that posts
        a server's notice plans it, and wakes for it). Returns how many were planned."""
        now = self.clock.now()
        planned = 0
        async with self.db.read() as conn:
            with_students = await roster.exchanges_with(conn, Role.STUDENT)
            every = [
                e
                for e in await exchange_store.exchanges_in(conn, None)
                if e.id in with_students and (scope is None or scope.owns(e.guild_id))
            ]
        # A transaction per batch: the writers' lock is free between them (bot.store.engine).
        for batch in batches(every):
            async with self.db.transaction() as conn:
                for exchange in batch:
                    students = await roster.listing(conn, exchange.id, role=Role.STUDENT)
                    if not rules.flagged_bands(students):
                        continue
                    where = await exchange_store.spaces(conn, exchange.id)
                    if where.teachers_channel_id is None:
                        continue
                    planned += await sends.plan(
                        conn,
                        key=f"{NOTICE_KIND}:{exchange.id}:{now.date().isoformat()}",
                        kind=NOTICE_KIND,
                        due_at=now,
                        guild_id=exchange.guild_id,
                        partnership_id=exchange.id,
                        payload={"exchange": exchange.id},
                        expires_at=now + NOTICE_USEFUL_FOR,
                    )
        if planned and self.scheduler is not None:
            self.scheduler.wake_by(now)
        return planned

    async def band_notice(self, send: sends.Send) -> BandNotice | None:
        """What a due notice says (None: nobody is flagged any more, or the exchange ended)."""
        exchange_id = int(send.payload["exchange"])
        async with self.db.read() as conn:
            exchange = await exchange_store.get_exchange(conn, send.guild_id, exchange_id)
            if exchange is None:
                return None
            students = await roster.listing(conn, exchange.id, role=Role.STUDENT)
            where = await exchange_store.spaces(conn, exchange.id)
        flagged = rules.flagged_bands(students)
        if not flagged or where.teachers_channel_id is None:
            return None
        return BandNotice(
            exchange, where.teachers_channel_id, tuple(flagged), languages_of(exchange)
        )
