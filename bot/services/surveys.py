"""Surveys for funders and research (issue 23): teachers create a survey (the built-in pre/post
template, or their own items), send it, close it and read its results; students answer
privately and may stop and come back.

Sending posts a Start button in the space of every live pair that has a student of the
audience (every consenting, active student of the exchange, or of one city), the way check-ins
reach pairs: one scheduled send per space, keyed by survey and pair, so a restart finishes the
fan-out and a second `/survey send` reaches only spaces not reached yet (new pairs). Direct
messages are not used: students' are usually closed. Each answer is stored as it is given, so
Start (a restart-proof button) resumes at the first unanswered item; a second answer to an
item before the survey closes replaces the first, and the student is told so.

Consenting: a student the exchange's consent rule lets be paired (consent on file, unless the
exchange turned that rule off), as `bot.services.consent.held_back` decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock
from bot.domain import surveys as rules
from bot.domain.exchange import Exchange, Participant, ParticipantStatus, Role
from bot.domain.surveys import (
    Item,
    ItemKind,
    Phase,
    Row,
    SurveyError,
    SurveyKind,
    SurveyStatus,
)
from bot.domain.text import clean, echo
from bot.errors import NotAllowedError, NotFoundError, UserError
from bot.services.access import STAFF, Actor, require_staff_of, staff_exchange, staff_scope
from bot.services.audit import audit
from bot.services.consent import held_back
from bot.services.scheduler import Outcome, Sender
from bot.services.session_plans import people_languages
from bot.store import Database, roster, sends
from bot.store import exchanges as exchange_store
from bot.store import pairing as pairing_store
from bot.store import surveys as store
from bot.store.surveys import SurveyRecord

INVITE_KIND = "survey.invite"
# A Start post the bot could not make at once (Discord failing) is still worth making later.
INVITE_USEFUL_FOR = timedelta(days=7)


def _user_error(exc: SurveyError) -> UserError:
    return UserError(exc.key, **exc.params)


@dataclass(frozen=True, slots=True)
class Created:
    """What `/survey create` made."""

    survey: SurveyRecord
    exchange: Exchange
    items: int
    pre: SurveyRecord | None  # the pre survey a post survey is compared with


@dataclass(frozen=True, slots=True)
class Sent:
    """What `/survey send` did: Start posts in pair spaces, students reached and not."""

    survey: SurveyRecord
    outcome: Outcome
    spaces: int  # spaces planned by this send (new ones only)
    students: int  # consenting, active students of the audience
    unreached: int  # of those, students in no live pair with a space


@dataclass(frozen=True, slots=True)
class Invite:
    """A Start post for one pair's space."""

    survey_id: int
    title: str
    space_id: int
    user_ids: tuple[int, ...]
    languages: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Step:
    """Where a student is in a survey: the item to show (None: every item answered)."""

    survey: SurveyRecord
    items: tuple[Item, ...]
    answered: frozenset[int]
    item: Item | None
    replaced: bool = False  # the answer just given replaced an earlier one

    @property
    def total(self) -> int:
        return len(self.items)


@dataclass(frozen=True, slots=True)
class Results:
    """A survey's results for teachers: rows per item and city, pre beside post."""

    survey: SurveyRecord
    exchange: Exchange
    rows: tuple[Row, ...]
    city_ids: tuple[int, ...]
    respondents: int
    compared_with: SurveyRecord | None  # the other survey of a pre/post couple


def _next_item(items: tuple[Item, ...], done: set[int], after: int = 0) -> Item | None:
    """The first unanswered item after position `after`, else the first unanswered at all."""
    later = [i for i in items if i.id not in done and i.position > after]
    if later:
        return later[0]
    return next((i for i in items if i.id not in done), None)


class SurveyService:
    """Creating, sending, answering, closing and reading surveys."""

    def __init__(self, db: Database, clock: Clock, scheduler: Sender | None = None) -> None:
        self.db = db
        self.clock = clock
        self.scheduler = scheduler

    # -- staff --------------------------------------------------------------------------------

    async def _staff_survey(self, actor: Actor, survey_id: int) -> tuple[SurveyRecord, Exchange]:
        """The survey, once the actor is known to be staff of its exchange."""
        async with self.db.read() as conn:
            survey = await store.get(conn, survey_id)
        if survey is None or survey.guild_id != actor.guild_id:
            raise NotFoundError("survey.error.unknown")
        await require_staff_of(self.db, actor, survey.exchange_id, STAFF)
        async with self.db.read() as conn:
            exchange = await exchange_store.get_exchange(conn, actor.guild_id, survey.exchange_id)
        if exchange is None:
            raise NotFoundError("survey.error.unknown")
        return survey, exchange

    async def create(
        self,
        actor: Actor,
        exchange_id: int | None,
        title: str,
        kind: SurveyKind,
        *,
        template: bool,
        named: bool,
    ) -> Created:
        """A new survey (a draft until sent): the template's statements, or none yet for the
        teacher's own items. A post survey is compared with the exchange's newest pre survey."""
        try:
            clean_title = rules.clean_title(title)
        except SurveyError as exc:
            raise _user_error(exc) from None
        exchange = await staff_exchange(self.db, actor, exchange_id, STAFF)
        now = self.clock.now()
        async with self.db.transaction() as conn:
            pre_id = await store.latest_pre(conn, exchange.id) if kind is SurveyKind.POST else None
            survey_id = await store.create(
                conn,
                guild_id=actor.guild_id,
                exchange_id=exchange.id,
                title=clean_title,
                kind=kind,
                named=named,
                pre_id=pre_id,
                by=actor.user_id,
                now=now,
            )
            items = rules.template_items() if template else []
            await store.add_items(conn, survey_id, items)
            await audit(
                conn,
                actor,
                "survey.created",
                at=self.clock.now(),
                exchange_id=exchange.id,
                survey=survey_id,
                kind=kind.value,
                template=template,
                named=named,
            )
            survey = await store.get(conn, survey_id)
            pre = await store.get(conn, pre_id) if pre_id is not None else None
        assert survey is not None
        return Created(survey, exchange, len(items), pre)

    async def add_item(
        self, actor: Actor, survey_id: int, kind: ItemKind, text: str, choices: str = ""
    ) -> tuple[SurveyRecord, Item]:
        """A teacher's item at the end of a survey not sent yet (at most MAX_ITEMS)."""
        try:
            item = rules.new_item(kind, text, choices)
        except SurveyError as exc:
            raise _user_error(exc) from None
        survey, exchange = await self._staff_survey(actor, survey_id)
        if survey.status is not SurveyStatus.DRAFT:
            raise UserError("survey.error.sent_already", title=survey.title)
        async with self.db.transaction() as conn:
            count = await store.count_items(conn, survey.id)
            if count + 1 > rules.MAX_ITEMS:
                raise UserError(
                    "survey.error.too_many_items", limit=rules.MAX_ITEMS, count=count + 1
                )
            await store.add_items(conn, survey.id, [item])
            await audit(
                conn,
                actor,
                "survey.item_added",
                at=self.clock.now(),
                exchange_id=exchange.id,
                survey=survey.id,
                kind=kind.value,
            )
            saved = (await store.items(conn, survey.id))[-1]
        return survey, saved

    async def _audience(
        self, conn: AsyncConnection, exchange: Exchange, city_id: int | None
    ) -> list[Participant]:
        """The consenting, active students the survey is for (of one city, when given)."""
        students = await roster.listing(
            conn,
            exchange.id,
            role=Role.STUDENT,
            city_id=city_id,
            statuses=[ParticipantStatus.ACTIVE.value],
        )
        allowed, _ = await held_back(conn, exchange.id, students)
        return allowed

    async def send(self, actor: Actor, survey_id: int, city: str | None = None) -> Sent:
        """Post the survey's Start button in the space of every live pair with a student of
        the audience; tried at once, finished after a restart. Sending again reaches only
        the spaces not reached yet, for the same audience."""
        survey, exchange = await self._staff_survey(actor, survey_id)
        if survey.status is SurveyStatus.CLOSED:
            raise closed_error(survey)
        city_id: int | None = None
        if city is not None:
            found = exchange.city_named(city)
            if found is None:
                raise NotFoundError(
                    "survey.error.unknown_city",
                    city=echo(clean(city), 100),
                    cities=", ".join(c.name for c in exchange.cities),
                )
            city_id = found.id
        if survey.status is SurveyStatus.OPEN and survey.city_id != city_id:
            raise UserError("survey.error.other_audience", title=survey.title)
        now = self.clock.now()
        async with self.db.transaction() as conn:
            try:
                rules.check_item_count(await store.count_items(conn, survey.id))
            except SurveyError as exc:
                raise _user_error(exc) from None
            audience = await self._audience(conn, exchange, city_id)
            wanted_ids = {s.id for s in audience}
            planned: list[sends.Planned] = []
            reached: set[int] = set()
            for pair in await pairing_store.live_pairs(conn, exchange.id):
                mine = wanted_ids & set(pair.members)
                if pair.space_id is None or not mine:
                    continue
                reached |= mine
                planned.append(
                    sends.Planned(
                        key=f"{INVITE_KIND}:{survey.id}:{pair.id}",
                        kind=INVITE_KIND,
                        due_at=now,
                        guild_id=actor.guild_id,
                        partnership_id=exchange.id,
                        payload={"survey": survey.id, "pair": pair.id},
                        expires_at=now + INVITE_USEFUL_FOR,
                    )
                )
            fresh = await sends.plan_many(conn, planned)
            if survey.status is SurveyStatus.DRAFT:
                await store.mark_sent(conn, survey.id, city_id, now)
            await audit(
                conn,
                actor,
                "survey.sent",
                at=self.clock.now(),
                exchange_id=exchange.id,
                survey=survey.id,
                city=city_id,
                spaces=fresh,
                students=len(audience),
            )
            survey = await store.get(conn, survey.id) or survey
        keys = [p.key for p in planned]
        unreached = len(wanted_ids - reached)
        if self.scheduler is None or not keys:
            return Sent(survey, Outcome(later=fresh), fresh, len(audience), unreached)
        statuses = await self.scheduler.run_now(keys)
        return Sent(survey, Outcome.of(statuses), fresh, len(audience), unreached)

    async def close(self, actor: Actor, survey_id: int) -> tuple[SurveyRecord, int]:
        """Close a survey: answers are refused from now on. Returns it and its respondents."""
        survey, exchange = await self._staff_survey(actor, survey_id)
        if survey.status is SurveyStatus.CLOSED:
            raise closed_error(survey)
        now = self.clock.now()
        async with self.db.transaction() as conn:
            await store.close(conn, survey.id, actor.user_id, now)
            await sends.cancel_matching(conn, f"{INVITE_KIND}:{survey.id}:", now)
            count = await store.respondents(conn, survey.id)
            await audit(
                conn,
                actor,
                "survey.closed",
                at=self.clock.now(),
                exchange_id=exchange.id,
                survey=survey.id,
                respondents=count,
            )
            survey = await store.get(conn, survey.id) or survey
        return survey, count

    async def results(self, actor: Actor, survey_id: int) -> Results:
        """Per city and item, pre beside post; no figure for a group under five."""
        survey, exchange = await self._staff_survey(actor, survey_id)
        async with self.db.transaction() as conn:
            other_id = survey.pre_id if survey.kind is SurveyKind.POST else None
            if survey.kind is SurveyKind.PRE:
                other_id = await store.post_of(conn, survey.id)
            other = await store.get(conn, other_id) if other_id is not None else None
            if other is not None and other.exchange_id != survey.exchange_id:
                other = None
            couple = [survey] if other is None else sorted([survey, other], key=_phase_order)
            phases = [
                Phase(s.kind, await store.items(conn, s.id), await store.answers(conn, s.id))
                for s in couple
            ]
            items = await store.items(conn, survey.id)
            count = await store.respondents(conn, survey.id)
            await audit(
                conn,
                actor,
                "survey.results_viewed",
                at=self.clock.now(),
                exchange_id=exchange.id,
                survey=survey.id,
            )
        city_ids = tuple(
            c.id for c in exchange.cities if survey.city_id is None or c.id == survey.city_id
        )
        rows = rules.results(items, city_ids, phases, named=survey.named)
        return Results(survey, exchange, tuple(rows), city_ids, count, other)

    async def choices(self, actor: Actor, text: str) -> list[SurveyRecord]:
        """Surveys of the exchanges the actor is staff of whose title or number matches."""
        needle = text.casefold().strip()
        async with self.db.read() as conn:
            scope = await staff_scope(conn, actor)
            if scope is not None and not scope:
                return []
            found = await store.of_exchanges(
                conn, actor.guild_id, None if scope is None else sorted(scope)
            )
        return [s for s in found if needle in s.title.casefold() or needle == str(s.id)]

    # -- delivery -----------------------------------------------------------------------------

    async def prepare_invite(self, send: sends.Send) -> Invite | None:
        """The Start post a due send makes (None: the survey closed, or the pair ended or has
        nobody of the audience any more)."""
        survey_id = int(send.payload["survey"])
        pair_id = int(send.payload["pair"])
        async with self.db.read() as conn:
            survey = await store.get(conn, survey_id)
            pair = await pairing_store.get_pair(conn, pair_id)
            if survey is None or survey.status is not SurveyStatus.OPEN:
                return None
            if pair is None or pair.status not in pairing_store.LIVE or pair.space_id is None:
                return None
            exchange = await exchange_store.get_exchange(conn, survey.guild_id, survey.exchange_id)
            if exchange is None:
                return None
            audience = {s.id for s in await self._audience(conn, exchange, survey.city_id)}
            members = [m for m in await roster.by_ids(conn, pair.members) if m.id in audience]
        if not members:
            return None
        return Invite(
            survey.id,
            survey.title,
            pair.space_id,
            tuple(m.user_id for m in members),
            people_languages([m.language for m in members]),
        )

    # -- students -----------------------------------------------------------------------------

    async def _respondent(
        self, conn: AsyncConnection, actor: Actor, survey_id: int, *, answering: bool
    ) -> tuple[SurveyRecord, Participant]:
        """The survey and the student answering it; refused for anyone not of its audience,
        and (`answering`) once it closed."""
        survey = await store.get(conn, survey_id)
        if survey is None or survey.guild_id != actor.guild_id:
            raise NotFoundError("survey.error.unknown")
        me = await roster.find(conn, survey.exchange_id, actor.user_id)
        if me is None or me.role is not Role.STUDENT:
            raise NotAllowedError("survey.error.students_only")
        if survey.status is SurveyStatus.CLOSED and answering:
            raise closed_error(survey)
        if survey.status is SurveyStatus.DRAFT:
            raise NotFoundError("survey.error.unknown")
        exchange = await exchange_store.get_exchange(conn, actor.guild_id, survey.exchange_id)
        if exchange is None:
            raise NotFoundError("survey.error.unknown")
        audience = {s.id for s in await self._audience(conn, exchange, survey.city_id)}
        if me.id not in audience:
            raise NotAllowedError("survey.error.not_for_you")
        return survey, me

    async def start(self, actor: Actor, survey_id: int, item_id: int | None = None) -> Step:
        """Where the student resumes: the first unanswered item (or `item_id`, to change an
        answer); a closed survey is refused."""
        async with self.db.read() as conn:
            survey, me = await self._respondent(conn, actor, survey_id, answering=True)
            items = tuple(await store.items(conn, survey.id))
            done = await store.answered(conn, survey.id, me.id)
        chosen = next((i for i in items if i.id == item_id), None) if item_id else None
        return Step(survey, items, frozenset(done), chosen or _next_item(items, done))

    async def answer(self, actor: Actor, survey_id: int, item_id: int, value: str) -> Step:
        """Store one answer (replacing the student's earlier one until the survey closes) and
        say what comes next."""
        now = self.clock.now()
        async with self.db.transaction() as conn:
            survey, me = await self._respondent(conn, actor, survey_id, answering=True)
            items = tuple(await store.items(conn, survey.id))
            item = next((i for i in items if i.id == item_id), None)
            if item is None:
                raise NotFoundError("survey.error.unknown")
            try:
                choice, text = rules.parse_answer(item, value)
            except SurveyError as exc:
                raise _user_error(exc) from None
            replaced = await store.answer(conn, survey.id, item.id, me.id, choice, text, now)
            done = await store.answered(conn, survey.id, me.id)
        return Step(
            survey, items, frozenset(done), _next_item(items, done, item.position), replaced
        )


def closed_error(survey: SurveyRecord) -> UserError:
    """ "This survey closed on …": the moment, which the edge writes for each reader (a
    Discord timestamp in a message, CLDR elsewhere)."""
    return UserError("survey.error.closed", title=survey.title, day=survey.closed_at or "—")


def _phase_order(survey: SurveyRecord) -> int:
    return 0 if survey.kind is SurveyKind.PRE else 1
