"""Pairing students across the exchange's cities (two, or a network), and the private spaces
where pairs talk.

`PairingService` holds the use cases (`/pair preview|confirm|swap|remove|history`) and what
they keep between calls: the plans of the last rosters seen (one change of an exchange's
spaces at a time is the operations journal's, `Journal.exclusive`). What other features need
of pairs' spaces (`check_spaces`, `archive_recorded`, `reopen_recorded`, `end_pauses`,
`plan_labels`) keeps nothing between calls, so it stays in module functions taking `db`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock
from bot.domain.exchange import Exchange, Participant, Role
from bot.domain.pairing import (
    Candidate,
    PairingError,
    PairingPlan,
    PairReasons,
    PairStatus,
    pair_network,
    pair_students,
)
from bot.domain.spaces import (
    CHANNELS_PER_CATEGORY,
    SpacePlan,
    category_name,
    is_pair_space_name,
    plan_spaces,
    same_name,
    shared_waking_window,
    space_name,
    thread_parent_name,
    utc_offset_minutes,
    waking_overlap_hours,
)
from bot.errors import NotFoundError, UserError
from bot.i18n import DEFAULT_LANGUAGE, available_languages
from bot.services import chess as chess_service
from bot.services import consent as consent_service
from bot.services.access import Actor, staff_exchange
from bot.services.audit import By, audit
from bot.services.operations import Journal, Operation, OperationKind, Undo, passing_failure
from bot.services.scheduler import Outcome, Sender
from bot.store import Database, app_state, roster, sends
from bot.store import exchanges as exchange_store
from bot.store import pairing as store
from bot.store import rounds as rounds_store
from bot.store.operations import OperationStatus

STAFF = frozenset({"teacher", "coordinator"})
REASON_FIELDS = dataclasses.fields(PairReasons)
# The send that gives an ended pair's channel its `archived-` name, and how long it is tried
# (Discord may ask to wait ten minutes between renames).
LABEL_KIND = "space.label"
LABEL_TRIES = timedelta(days=1)

# The posts a new space gets, as scheduled sends (retried when Discord fails for a moment).
WELCOME_KIND = "pairing.welcome"
GREET_KIND = "pairing.greet"
# A welcome is worth posting in the pair's first week, however long the bot was down.
WELCOME_USEFUL = timedelta(days=7)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WelcomeMember:
    """One student as the welcome post introduces them."""

    user_id: int
    name: str
    city: str
    timezone: str
    intro: str
    languages: tuple[str, ...]
    language: str = "en"  # the language the bot speaks to them
    # Their wall clock when the space opened (in their city's zone); the edge writes it.
    local_time: datetime | None = None
    # Their waking day (07:00-21:00 local) as UTC instants: Discord shows it in each
    # reader's own time zone.
    awake: tuple[datetime, datetime] | None = None


@dataclass(frozen=True, slots=True)
class Newcomer:
    """A student who joins a pair that goes on (a swap): what their new space is told."""

    member: WelcomeMember
    partners: tuple[str, ...]  # the names of those already there
    languages: tuple[str, ...]  # everyone's languages in the space, the newcomer's first


@dataclass(frozen=True, slots=True)
class Welcome:
    """What the bot posts when a pair's space opens."""

    exchange: str
    members: tuple[WelcomeMember, ...]
    shared_interests: tuple[str, ...]
    common_languages: tuple[str, ...]
    # The daily stretch when every member is awake (07:00-21:00 local), as UTC instants.
    awake_together: tuple[datetime, datetime] | None = None
    # Students per city in this round, larger first: why a trio is three.
    round_counts: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True, slots=True)
class FoundSpace:
    """A category, channel or thread the bot made, as Discord shows it now."""

    id: int
    name: str
    kind: str  # "category", "channel" or "thread"


class SpacePort(Protocol):
    """What pairing needs from Discord; the cog implements it with discord.py."""

    async def check_permissions(self, kind: str) -> None:
        """Raise BotMissingPermissionError naming what the bot lacks for this kind of space."""

    async def channel_count(self) -> int:
        """Channels (not threads) in the guild now."""

    async def children(self, category_id: int) -> int | None:
        """Channels in a category, or None if it no longer exists."""

    async def create_category(self, name: str) -> int: ...

    async def create_channel(self, category_id: int, name: str, user_ids: Sequence[int]) -> int: ...

    async def create_thread_parent(self, name: str) -> int: ...

    async def create_thread(self, parent_id: int, name: str, user_ids: Sequence[int]) -> int: ...

    async def welcome(
        self, space_id: int, welcome: Welcome, *, nonce: str | None = None, again: bool = False
    ) -> None:
        """Post a new space's welcome; UndeliverableError when the space is gone. A repeat
        with the same nonce within minutes is not posted again; with `again` (an earlier try
        may have reached Discord) the space's latest posts are looked at first, and nothing
        is posted if the welcome is there."""

    async def greet(
        self, space_id: int, newcomer: Newcomer, *, nonce: str | None = None, again: bool = False
    ) -> None:
        """Welcome a student who moved into a pair that goes on (mentioning only them); the
        nonce and `again` as for `welcome`."""

    async def set_members(
        self, space_id: int, kind: str, add: Sequence[int], remove: Sequence[int]
    ) -> None: ...

    async def archive(self, space_id: int, kind: str, user_ids: Sequence[int]) -> None:
        """Make a space read-only and mark it archived; never delete it."""

    async def restore(
        self, space_id: int, kind: str, user_ids: Sequence[int], *, paused: bool
    ) -> None:
        """Undo `archive` when the change it belonged to failed (writable, or paused again)."""

    async def label(self, space_id: int, *, archived: bool) -> None:
        """Name a space after its pair's state (an ended pair's channel reads `archived-…`).
        Raises `RetryLaterError` (with Discord's wait) when Discord asks to wait."""

    async def delete_unused(self, space_id: int) -> None:
        """Remove a category (or space) the bot made for a change that did not happen (gone
        already: fine)."""

    async def retire(self, space_id: int) -> str:
        """Take away a space the bot made that nothing stored explains: deleted if nobody
        wrote there; otherwise its students lose it and staff keep it, renamed "closed-…", so
        nothing a child said there is lost. Returns "deleted", "closed" or "gone"."""

    async def made_in(self, parent_id: int | None) -> list[FoundSpace]:
        """What the bot made inside a category (channels) or a channel (its active threads);
        with None, the categories and channels it made outside any category."""

    async def missing(self, channel_ids: Collection[int]) -> set[int]:
        """Of these channels (not threads: Discord leaves inactive ones out of what a bot is
        told, and asking for each would cost a request per pair), those Discord no longer
        has."""


@dataclass(frozen=True, slots=True)
class ProposedGroup:
    members: tuple[Participant, ...]
    reasons: dict[str, Any]
    score: float


@dataclass(frozen=True, slots=True)
class Proposal:
    """What `/pair preview` shows and `/pair confirm` creates."""

    exchange: Exchange
    groups: tuple[ProposedGroup, ...]
    total_score: float
    space_plan: SpacePlan
    replaces: int  # live pairs a confirmation will archive
    waking_overlap: float
    paused: int  # students left out because they paused
    # Students left out because the exchange requires guardian consent and none is on file.
    no_consent: tuple[Participant, ...] = ()


@dataclass(frozen=True, slots=True)
class Confirmed:
    proposal: Proposal
    round_id: int
    space_ids: tuple[int, ...]
    # The welcome posts, one scheduled send per space, and what became of them at once.
    welcome_keys: tuple[str, ...] = ()
    welcomes: Outcome = field(default_factory=Outcome)


@dataclass(frozen=True, slots=True)
class Swapped:
    pairs: tuple[store.PairRecord, store.PairRecord]
    # The newcomers' welcomes in their new spaces.
    greetings: Outcome = field(default_factory=Outcome)


@dataclass(frozen=True, slots=True)
class Reconciled:
    """What start-up found in Discord against what is stored."""

    # Spaces the bot made that nothing stored explains (deleted, or closed to students).
    removed: tuple[int, ...] = ()
    missing: tuple[int, ...] = ()  # live pairs whose space Discord no longer has


async def _load(
    db: Database, exchange: Exchange
) -> tuple[list[Participant], list[frozenset[int]], list[frozenset[int]], int, int]:
    async with db.read() as conn:
        students = await roster.listing(conn, exchange.id, role=Role.STUDENT, statuses=("active",))
        paused = await roster.listing(conn, exchange.id, role=Role.STUDENT, statuses=("paused",))
        history = await store.all_pairs(conn, exchange.id)
        live = [p for p in history if p.status in store.LIVE]
        apart = await roster.keep_apart_pairs(conn, exchange.id)
    previous = [frozenset(p.everyone) for p in history]
    return students, previous, apart, len(live), len(paused)


async def _unchanged_round(conn: Any, exchange_id: int, seen_round: int | None) -> None:
    latest = await store.latest_round(conn, exchange_id)
    if latest != seen_round:
        raise UserError("error.pair_round_changed", round=latest)


def _welcome_member(exchange: Exchange, person: Participant, now: datetime) -> WelcomeMember:
    """How a student is introduced in a paired space: city, local time, waking hours."""
    city = exchange.city(person.city_id) if person.city_id is not None else exchange.cities[0]
    return WelcomeMember(
        user_id=person.user_id,
        name=person.display_name,
        city=city.name,
        timezone=city.timezone,
        intro=person.intro,
        languages=person.languages,
        language=person.language,
        local_time=now.astimezone(ZoneInfo(city.timezone)),
        awake=shared_waking_window([city.timezone], now),
    )


def _welcome(
    exchange: Exchange,
    group: ProposedGroup,
    now: datetime,
    round_counts: tuple[tuple[str, int], ...],
) -> Welcome:
    members = [_welcome_member(exchange, m, now) for m in group.members]
    zones = [m.timezone for m in members]
    return Welcome(
        exchange=exchange.name,
        members=tuple(members),
        shared_interests=tuple(group.reasons.get("shared_interests", ())),
        common_languages=tuple(group.reasons.get("common_languages", ())),
        awake_together=shared_waking_window(zones, now),
        round_counts=round_counts,
    )


async def end_pauses(conn: Any, ended: Sequence[store.PairRecord], now: datetime) -> None:
    """Paused pairs that end now (in the caller's transaction): the pause closes, so chess
    clocks in their space run again and a game there can still be finished."""
    for pair in ended:
        if pair.status is PairStatus.PAUSED and pair.space_id is not None:
            await store.close_pause(conn, pair.id, now)
            await chess_service.restart_clocks(conn, pair.space_id, now)


async def _plan_posts(
    conn: AsyncConnection,
    kind: str,
    posts: Sequence[tuple[str, Mapping[str, Any]]],
    *,
    guild_id: int,
    exchange_id: int,
    now: datetime,
) -> list[str]:
    """Plan one post per (key, payload) of this kind, due now (in the caller's transaction,
    so they exist exactly when what they announce does); returns their keys."""
    await sends.plan_many(
        conn,
        [
            sends.Planned(
                key=key,
                kind=kind,
                due_at=now,
                guild_id=guild_id,
                partnership_id=exchange_id,
                payload=payload,
                expires_at=now + WELCOME_USEFUL,
            )
            for key, payload in posts
        ],
    )
    return [key for key, _ in posts]


async def plan_labels(
    conn: Any, guild_id: int, ended: Sequence[store.PairRecord], now: datetime
) -> None:
    """Plan the new name of each ended pair's space (in the transaction that stores them as
    archived). Renaming is never part of `archive`, which a failure may undo: Discord allows
    two renames per channel per ten minutes, and archive, undo, archive again would need
    three. Not tied to the exchange, so ending the exchange does not cancel them."""
    for pair in ended:
        if pair.space_id is not None:
            await sends.plan(
                conn,
                key=f"space:{pair.space_id}:label",
                kind=LABEL_KIND,
                due_at=now,
                guild_id=guild_id,
                payload={"space": pair.space_id},
                expires_at=now + LABEL_TRIES,
            )


async def _kinds(db: Database, exchange_id: int) -> dict[int, str]:
    async with db.read() as conn:
        return {r["id"]: r["space_kind"] for r in await store.rounds(conn, exchange_id)}


async def _check(
    db: Database,
    port: SpacePort,
    exchange_id: int,
    pairs: Sequence[store.PairRecord],
    *,
    also: str | None = None,
) -> None:
    """Refuse, naming what the bot lacks, before touching any of these pairs' spaces."""
    kinds = await _kinds(db, exchange_id)
    needed = {kinds[p.round_id] for p in pairs if p.space_id is not None}
    if also is not None:
        needed.add(also)
    for kind in sorted(needed):
        await port.check_permissions(kind)


async def check_spaces(
    db: Database, port: SpacePort, exchange_id: int, pairs: Sequence[store.PairRecord]
) -> None:
    """Raise BotMissingPermissionError if the bot could not change these pairs' spaces."""
    await _check(db, port, exchange_id, pairs)


async def archive_recorded(
    journal: Journal,
    db: Database,
    operation: Operation,
    exchange_id: int,
    pairs: Sequence[store.PairRecord],
    port: SpacePort,
) -> None:
    """Make these pairs' spaces read-only, recording each in the operation (the one under
    way as "archiving", so a restart knows it may be half done). Pairs it already archived
    (a resumed operation) are skipped. Call it before storing the pairs as archived."""
    archived: list[int] = operation.steps.setdefault("archived", [])
    kinds = await _kinds(db, exchange_id)
    for pair in pairs:
        if pair.space_id is None or pair.id in archived:
            continue
        async with db.read() as conn:
            people = await roster.by_ids(conn, pair.members)
        await journal.step(operation, archiving=pair.id)
        try:
            await port.archive(pair.space_id, kinds[pair.round_id], [p.user_id for p in people])
        except UserError:
            # Discord refused it (an admin denied the bot there): nothing changed in it.
            operation.steps["archiving"] = None
            raise
        archived.append(pair.id)
    await journal.step(operation, archiving=None)


async def reopen_recorded(
    journal: Journal, db: Database, operation: Operation, port: SpacePort, undo: Undo
) -> int:
    """Undo `archive_recorded` for an operation that failed or was cut short: the spaces it
    archived (and the one it may have been archiving) are writable again, or paused again.
    Each is recorded as it is done, so a retry goes on where this stopped. Returns how
    many were reopened."""
    steps = operation.steps
    archived = list(steps.get("archived", []))
    if steps.get("archiving") is not None and steps["archiving"] not in archived:
        archived.append(steps["archiving"])
    reopened: list[int] = steps.setdefault("reopened", [])
    for pair_id in archived:
        if pair_id in reopened:
            continue
        async with db.read() as conn:
            pair = await store.get_pair(conn, pair_id)
            kind = await store.space_kind(conn, pair_id)
            people = await roster.by_ids(conn, pair.members) if pair is not None else []
        async with undo.step(f"the archiving of pair {pair_id}"):
            # Only a pair the database still has open: the change never recorded it archived.
            if pair is not None and pair.space_id is not None and pair.status in store.LIVE:
                await port.restore(
                    pair.space_id,
                    kind or "channels",
                    [p.user_id for p in people],
                    paused=pair.status is PairStatus.PAUSED,
                )
            reopened.append(pair_id)
            await journal.step(operation, reopened=reopened)
    return len(reopened)


async def _student(db: Database, exchange: Exchange, user_id: int) -> Participant:
    async with db.read() as conn:
        found = await roster.find(conn, exchange.id, user_id)
    if found is None or found.role is not Role.STUDENT or found.status == "removed":
        raise NotFoundError("error.not_a_student")
    return found


def _newcomer(
    exchange: Exchange, student: Participant, partners: Sequence[Participant], now: datetime
) -> Newcomer:
    member = _welcome_member(exchange, student, now)
    return Newcomer(
        member=member,
        partners=tuple(p.display_name for p in partners),
        languages=tuple(dict.fromkeys([student.language, *(p.language for p in partners)])),
    )


@dataclass(frozen=True, slots=True)
class RoundView:
    id: int
    created_at: Any
    space_kind: str
    pairs: tuple[tuple[str, ...], ...]
    archived: int
    # Per pair, the names of students who left it while it went on (removed from the roster).
    left: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class History:
    exchange: Exchange
    rounds: tuple[RoundView, ...]  # newest first


# Candidates, earlier groups, keep-apart marks, and for a network (None: two cities) the
# hub's city index (-1: policy 'any').
_PlanKey = tuple[
    tuple[Candidate, ...], frozenset[frozenset[int]], frozenset[frozenset[int]], int | None
]


class PairingService:
    """Pairing rounds and the spaces they open (staff only)."""

    # Plans kept for the last rosters seen.
    KEPT_PLANS = 8

    def __init__(
        self,
        db: Database,
        clock: Clock,
        scheduler: Sender | None = None,
        journal: Journal | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        # Welcomes are scheduled sends; ending a paused pair restarts its chess clocks, whose
        # deadlines are sends to rearm.
        self.scheduler = scheduler
        # Rounds, swaps and removals are written down before their first Discord call, one
        # change of an exchange's spaces at a time: two teachers confirming at once must not
        # both create a round, and a restart finishes or undoes what it cut short.
        self.journal = journal or Journal(db, clock, scheduler)
        self.journal.settle_with(OperationKind.CONFIRM, self._undo_confirm)
        self.journal.settle_with(OperationKind.SWAP, self._undo_swap)
        self.journal.settle_with(OperationKind.REMOVE, self._settle_remove)
        self._plans: OrderedDict[_PlanKey, PairingPlan] = OrderedDict()
        self._running: dict[_PlanKey, asyncio.Future[PairingPlan]] = {}

    async def optimal_plan(
        self,
        candidates: Sequence[Candidate],
        previous: Collection[frozenset[int]],
        apart: Collection[frozenset[int]],
        *,
        network: bool = False,
        hub: int | None = None,
    ) -> PairingPlan:
        """`pair_students` for these inputs, off the event loop, computed once for many callers.

        A `network` (more than two cities; `Candidate.city` the city's index) is paired by
        `pair_network`, around the `hub` city's index, or any two cities when None.

        The same students give the same plan, and teachers preview, page and confirm the same
        roster, often together: the last plans are kept, and callers asking at the same moment
        share one computation. It runs in a worker thread, so the bot keeps acknowledging other
        users' interactions meanwhile (2,000 × 2,000 students take about half a second).
        """
        shape = (-1 if hub is None else hub) if network else None
        key: _PlanKey = (tuple(candidates), frozenset(previous), frozenset(apart), shape)
        if key in self._plans:
            self._plans.move_to_end(key)
            return self._plans[key]
        future = self._running.get(key)
        if future is None:
            if network:
                work = asyncio.to_thread(
                    pair_network, candidates, hub=hub, previous_pairs=previous, keep_apart=apart
                )
            else:
                # Two cities: today's path, exactly (and as fast).
                work = asyncio.to_thread(
                    pair_students, candidates, previous_pairs=previous, keep_apart=apart
                )
            future = asyncio.ensure_future(work)
            self._running[key] = future
            future.add_done_callback(lambda done: self._keep(key, done))
        # Shielded: one caller giving up (its interaction cancelled) must not cancel the others'.
        return await asyncio.shield(future)

    def _keep(self, key: _PlanKey, done: asyncio.Future[PairingPlan]) -> None:
        if self._running.get(key) is done:
            del self._running[key]
        if not done.cancelled() and done.exception() is None:
            self._plans[key] = done.result()
            while len(self._plans) > self.KEPT_PLANS:
                self._plans.popitem(last=False)

    async def propose(self, actor: Actor, exchange_id: int | None, port: SpacePort) -> Proposal:
        """The optimal pairs for the exchange's active students, with the reasons for each."""
        exchange = await staff_exchange(self.db, actor, exchange_id, STAFF)
        return await self.proposal_for(exchange, port)

    async def proposal_for(self, exchange: Exchange, port: SpacePort) -> Proposal:
        """`propose` for an exchange already known (a scheduled round's preview, which no
        one asked for: teachers see it in their channel)."""
        db = self.db
        students, previous, apart, live, paused = await _load(db, exchange)
        # Consent is a filter of who may be paired, before the algorithm (issue 23).
        async with db.read() as conn:
            students, no_consent = await consent_service.held_back(conn, exchange.id, students)
        # The city's index in the exchange (0 and 1 for two cities, whatever their positions).
        index = {c.id: i for i, c in enumerate(exchange.cities)}
        placed = [s for s in students if s.city_id in index]
        if len(placed) < 2 and no_consent:
            raise UserError(
                "consent.error.pair_too_few", count=len(placed), waiting=len(no_consent)
            )
        if len(placed) < 2:
            raise UserError("error.pair_too_few", count=len(placed))
        if len({index[s.city_id] for s in placed if s.city_id is not None}) < 2:
            raise UserError("error.pair_one_city")
        hub = exchange.hub if exchange.is_network else None
        if hub is not None:
            at_hub = sum(s.city_id == hub.id for s in placed)
            if at_hub in (0, len(placed)):
                raise UserError("error.pair_hub_alone", city=hub.name)
        # Waking hours depend on daylight saving: each city's offset on the day of pairing.
        now = self.clock.now()
        offsets = {c.id: utc_offset_minutes(c.timezone, now) for c in exchange.cities}
        candidates = [
            Candidate(
                id=s.id,
                city=index[s.city_id],
                grade_band=s.grade_band or "",
                languages=frozenset(s.languages),
                interests=frozenset(s.interests),
                utc_offset_minutes=offsets[s.city_id],
            )
            for s in placed
            if s.city_id is not None
        ]
        try:
            plan = await self.optimal_plan(
                candidates,
                previous,
                apart,
                network=exchange.is_network,
                hub=None if hub is None else index[hub.id],
            )
        except PairingError:
            # Counts and cities were checked above; what is left is keep-apart marks that
            # leave some student with nobody allowed to be their partner.
            raise UserError("error.pair_infeasible") from None
        by_id = {s.id: s for s in placed}
        groups = tuple(
            ProposedGroup(
                members=tuple(by_id[m] for m in group.members),
                # Flat fields: a shallow dict equals asdict's deep copy at a fraction of its cost.
                reasons={f.name: getattr(group.reasons, f.name) for f in REASON_FIELDS},
                score=group.score,
            )
            for group in plan.groups
        )
        async with db.read() as conn:
            where = await exchange_store.spaces(conn, exchange.id)
        free_slots = 0
        for category_id in where.category_ids:
            children = await port.children(category_id)
            if children is not None:
                free_slots += CHANNELS_PER_CATEGORY - children
        space_plan = plan_spaces(await port.channel_count(), len(groups), free_slots)
        # A network: the two cities that may be paired with the least waking time in common.
        overlap = min(
            waking_overlap_hours(a.timezone, b.timezone, now.date())
            for a, b in exchange.partnerships()
        )
        return Proposal(
            exchange,
            groups,
            plan.total_score,
            space_plan,
            live,
            overlap,
            paused,
            tuple(no_consent),
        )

    async def confirm(
        self,
        actor: Actor,
        exchange_id: int | None,
        port: SpacePort,
        *,
        due: date | None = None,
    ) -> Confirmed:
        """Create the proposed pairs and their private spaces; archive the previous round's.

        Discord is changed before the round is stored: the new spaces are created and the old
        ones made read-only, then the round is recorded in one transaction, with one welcome
        post per space as a scheduled send (tried at once, and again if Discord fails for a
        moment). Each step is written down as it is done (`bot.services.operations`): if
        Discord refuses anything, or a restart cuts the command short, the spaces made are
        removed and old spaces already archived opened again, at once or at the next start,
        so no space stays that the database does not know and a retry starts clean. A round
        confirmed by someone else since this command began makes it change nothing.

        `due`: the scheduled round (its due day) this confirms; it is recorded handled in the
        round's transaction, and a round already confirmed or skipped changes nothing.
        """
        exchange = await staff_exchange(self.db, actor, exchange_id, STAFF)
        async with self.db.read() as conn:
            seen_round = await store.latest_round(conn, exchange.id)
        async with self.journal.exclusive(actor.guild_id, exchange.id, port):
            done = await self._confirm(actor, exchange.id, port, seen_round, due)
            # A channel Discord made but answered with an error (discord.py then asks again)
            # leaves a second one nobody knows: it goes before anyone uses it.
            await self._reconcile_quietly(done.proposal.exchange, port)
        welcomes = await self._send_now(done.welcome_keys)
        return dataclasses.replace(done, welcomes=welcomes)

    async def _send_now(self, keys: Sequence[str]) -> Outcome:
        """Try these just-planned sends at once (then re-arm the scheduler); what became of
        them."""
        if self.scheduler is None:
            return Outcome(later=len(keys))
        if not keys:
            await self.scheduler.rearm()
            return Outcome()
        return Outcome.of(await self.scheduler.run_now(keys))

    async def _confirm(
        self,
        actor: Actor,
        exchange_id: int,
        port: SpacePort,
        seen_round: int | None,
        due: date | None = None,
    ) -> Confirmed:
        db = self.db
        proposal = await self.propose(actor, exchange_id, port)
        exchange = proposal.exchange
        kind = proposal.space_plan.kind
        async with db.read() as conn:
            await _unchanged_round(conn, exchange.id, seen_round)
            where = await exchange_store.spaces(conn, exchange.id)
            live = await store.live_pairs(conn, exchange.id)
        await _check(db, port, exchange.id, live, also=kind)
        operation = await self.journal.begin(
            OperationKind.CONFIRM,
            guild_id=actor.guild_id,
            exchange_id=exchange.id,
            actor_id=actor.user_id,
            plan={
                "round": seen_round,
                "space_kind": kind,
                "groups": len(proposal.groups),
                "archive": [p.id for p in live],
            },
        )
        try:
            space_ids, categories, thread_parent = await self._make_spaces(
                operation, exchange, proposal, where, port
            )
            await archive_recorded(self.journal, db, operation, exchange.id, live, port)
            now = self.clock.now()
            async with db.transaction() as conn:
                await _unchanged_round(conn, exchange.id, seen_round)
                if due is not None and not await rounds_store.mark_handled(conn, exchange.id, due):
                    raise UserError("rounds.error.handled")
                round_id = await store.create_round(
                    conn, exchange.id, actor.user_id, now, kind, round(proposal.total_score)
                )
                pair_ids = [
                    await store.add_pair(
                        conn,
                        round_id=round_id,
                        exchange_id=exchange.id,
                        space_id=space_id,
                        reasons=group.reasons,
                        members=tuple(m.id for m in group.members),
                        now=now,
                    )
                    for group, space_id in zip(proposal.groups, space_ids, strict=True)
                ]
                for old in live:
                    await store.set_status(conn, old.id, PairStatus.ARCHIVED, now)
                await end_pauses(conn, live, now)
                await plan_labels(conn, actor.guild_id, live, now)
                await exchange_store.set_spaces(
                    conn, exchange.id, category_ids=categories, thread_parent_id=thread_parent
                )
                keys = await _plan_posts(
                    conn,
                    WELCOME_KIND,
                    [(f"pairing:welcome:{pair_id}", {"pair": pair_id}) for pair_id in pair_ids],
                    guild_id=actor.guild_id,
                    exchange_id=exchange.id,
                    now=now,
                )
                await audit(
                    conn,
                    actor,
                    "pairing.confirmed",
                    at=now,
                    exchange_id=exchange.id,
                    round=round_id,
                    pairs=len(proposal.groups),
                    space_kind=kind,
                    archived=len(live),
                    **({"due": due.isoformat()} if due is not None else {}),
                )
                await self.journal.finish(conn, operation)
        except BaseException as exc:
            await self._undo_here(operation, port, self._undo_confirm)
            passing_failure(exc)
            raise
        # (The scheduler is re-armed once the welcomes are tried: chess clocks of paused
        # pairs that ended run again.)
        return Confirmed(proposal, round_id, tuple(space_ids), welcome_keys=tuple(keys))

    async def _make_spaces(
        self,
        operation: Operation,
        exchange: Exchange,
        proposal: Proposal,
        where: exchange_store.Spaces,
        port: SpacePort,
    ) -> tuple[list[int], list[int], int | None]:
        """Create a space per group (and the categories or thread parent they need), each
        written down before its call ("creating", with its name and where) and after it.

        Returns the spaces in the groups' order, every category of the exchange, and its
        thread parent.
        """
        steps = operation.steps
        made: list[int] = steps.setdefault("spaces", [])
        new_categories: list[int] = steps.setdefault("categories", [])
        categories = list(where.category_ids)
        thread_parent = where.thread_parent_id
        if proposal.space_plan.kind == "threads" and thread_parent is None:
            name = thread_parent_name(exchange.name, names_language(exchange))
            await self.journal.step(operation, creating={"what": "parent", "name": name})
            thread_parent = await port.create_thread_parent(name)
            steps["parent"] = thread_parent
        free: dict[int, int] = {}
        for category_id in categories:
            children = await port.children(category_id)
            if children is not None:
                free[category_id] = CHANNELS_PER_CATEGORY - children
        for index, group in enumerate(proposal.groups, start=1):
            user_ids = [m.user_id for m in group.members]
            name = space_name(index)
            if proposal.space_plan.kind == "threads":
                assert thread_parent is not None
                await self.journal.step(
                    operation, creating={"what": "thread", "name": name, "in": thread_parent}
                )
                space = await port.create_thread(thread_parent, name, user_ids)
            else:
                target = next((c for c, n in free.items() if n > 0), None)
                if target is None:
                    label = category_name(
                        exchange.name, len(categories) + 1, names_language(exchange)
                    )
                    await self.journal.step(operation, creating={"what": "category", "name": label})
                    target = await port.create_category(label)
                    categories.append(target)
                    new_categories.append(target)
                    free[target] = CHANNELS_PER_CATEGORY
                await self.journal.step(
                    operation, creating={"what": "channel", "name": name, "in": target}
                )
                space = await port.create_channel(target, name, user_ids)
                free[target] -= 1
            made.append(space)
        await self.journal.step(operation, creating=None)
        return list(made), categories, thread_parent

    async def _undo_here(
        self,
        operation: Operation,
        port: SpacePort,
        undo: Callable[[Operation, SpacePort], Awaitable[None]],
    ) -> None:
        """Undo an operation that failed in this process. If Discord fails the undo too, it
        is left to recovery (tried again shortly, and at the next start); the failure that
        got us here is what the person is told."""
        try:
            await undo(operation, port)
        except Exception:
            log.exception("could not undo a %s operation at once", operation.kind)
            await self.journal.abandon(operation)

    async def _undo_confirm(self, operation: Operation, port: SpacePort) -> None:
        """Put back a round that failed or was cut short: spaces archived for it are opened
        again, spaces and categories it made are removed (a creation whose answer never came
        is found by the name it was given). Logged when it changed anything."""
        if operation.status is not OperationStatus.UNDOING:
            await self.journal.undoing(operation)
        undo = Undo()
        reopened = await reopen_recorded(self.journal, self.db, operation, port, undo)
        removed = await self._remove_made(operation, port, undo)
        undo.check()
        await self._undone(operation, reopened=reopened, removed=removed)

    async def _remove_made(self, operation: Operation, port: SpacePort, undo: Undo) -> int:
        """Take away the spaces a round made (kept for staff if someone wrote there), then
        the categories and thread channel it made, once empty."""
        steps = operation.steps
        deleted: list[int] = steps.setdefault("deleted", [])
        parent = steps.get("parent")
        spaces: list[int] = list(steps.get("spaces", []))
        pending = steps.get("creating")
        if pending is not None:
            async with undo.step(f"the creation of {pending['name']}"):
                # Discord may have made it and the answer been lost (or the process stopped
                # before recording it): what the bot made there under that name and nothing
                # stored knows is it. Looked for before its category can go.
                known = {*spaces, *steps.get("categories", [])}
                known |= await self._known_ids(operation.exchange_id)
                for found in await port.made_in(pending.get("in")):
                    if found.id not in known and same_name(found.name, pending["name"]):
                        if found.kind == "category":
                            steps.setdefault("categories", []).append(found.id)
                        elif found.id != parent:
                            spaces.append(found.id)
                            steps.setdefault("spaces", []).append(found.id)
                await self.journal.step(operation, creating=None)
        for space_id in spaces:
            if space_id in deleted:
                continue
            async with undo.step(f"space {space_id}"):
                await port.retire(space_id)
                deleted.append(space_id)
                await self.journal.step(operation, deleted=deleted)
        containers = [*reversed(steps.get("categories", [])), *([parent] if parent else [])]
        for container_id in containers:
            if container_id in deleted:
                continue
            async with undo.step(f"channel {container_id}"):
                # A space kept for staff stays in its category.
                if container_id == parent or not await port.children(container_id):
                    await port.delete_unused(container_id)
                deleted.append(container_id)
                await self.journal.step(operation, deleted=deleted)
        return len(deleted)

    async def _known_ids(self, exchange_id: int | None) -> set[int]:
        """Every space, category and channel the database knows for an exchange."""
        if exchange_id is None:
            return set()
        async with self.db.read() as conn:
            known = await store.space_ids(conn, exchange_id)
            where = await exchange_store.spaces(conn, exchange_id)
        others = (
            where.thread_parent_id,
            where.exchange_channel_id,
            where.teachers_channel_id,
        )
        return known | set(where.category_ids) | {i for i in others if i is not None}

    async def _undone(self, operation: Operation, *, reopened: int = 0, removed: int = 0) -> None:
        """An undo is over: the operation goes, with an entry in the log if Discord changed."""
        async with self.db.transaction() as conn:
            if reopened or removed:
                await audit(
                    conn,
                    By(operation.guild_id, operation.actor_id),
                    "pairing.undone",
                    at=self.clock.now(),
                    exchange_id=operation.exchange_id,
                    operation=operation.kind,
                    reopened=reopened,
                    removed=removed,
                )
            await self.journal.finish(conn, operation)

    async def remove(
        self, actor: Actor, exchange_id: int | None, user_id: int, port: SpacePort
    ) -> store.PairRecord:
        """Archive the pair a student is in; the space becomes read-only, nothing is deleted.

        Discord first: if it refuses, the pair stays active in the database as in Discord. A
        restart in the middle finishes the removal at the next start.
        """
        exchange = await staff_exchange(self.db, actor, exchange_id, STAFF)
        student = await _student(self.db, exchange, user_id)
        async with self.journal.exclusive(actor.guild_id, exchange.id, port):
            async with self.db.read() as conn:
                pair = await store.live_pair_of(conn, student.id)
            if pair is None:
                raise UserError("error.not_paired", name=student.display_name)
            await _check(self.db, port, exchange.id, [pair])
            operation = await self.journal.begin(
                OperationKind.REMOVE,
                guild_id=actor.guild_id,
                exchange_id=exchange.id,
                actor_id=actor.user_id,
                plan={"pair": pair.id},
            )
            try:
                await self._finish_remove(operation, port)
            except BaseException as exc:
                await self._undo_here(operation, port, self._undo_remove)
                passing_failure(exc)
                raise
        return pair

    async def _settle_remove(self, operation: Operation, port: SpacePort) -> None:
        if operation.status is OperationStatus.UNDOING:
            await self._undo_remove(operation, port)
        else:
            await self._finish_remove(operation, port)

    async def _finish_remove(self, operation: Operation, port: SpacePort) -> None:
        """Archive the pair's space (again, if a restart cut the first try short), then
        record the pair archived."""
        assert operation.exchange_id is not None
        async with self.db.read() as conn:
            pair = await store.get_pair(conn, int(operation.plan["pair"]))
        if pair is None or pair.status not in store.LIVE:
            await self.journal.finished(operation)
            return
        exchange_id = operation.exchange_id
        await archive_recorded(self.journal, self.db, operation, exchange_id, [pair], port)
        now = self.clock.now()
        async with self.db.transaction() as conn:
            await store.set_status(conn, pair.id, PairStatus.ARCHIVED, now)
            await end_pauses(conn, [pair], now)
            await plan_labels(conn, operation.guild_id, [pair], now)
            await audit(
                conn,
                By(operation.guild_id, operation.actor_id),
                "pairing.removed",
                at=now,
                exchange_id=operation.exchange_id,
                pair=pair.id,
            )
            await self.journal.finish(conn, operation)
        if self.scheduler is not None:
            await self.scheduler.rearm()

    async def _undo_remove(self, operation: Operation, port: SpacePort) -> None:
        if operation.status is not OperationStatus.UNDOING:
            await self.journal.undoing(operation)
        undo = Undo()
        reopened = await reopen_recorded(self.journal, self.db, operation, port, undo)
        undo.check()
        await self._undone(operation, reopened=reopened)

    async def swap(
        self,
        actor: Actor,
        exchange_id: int | None,
        first_user: int,
        second_user: int,
        port: SpacePort,
    ) -> Swapped:
        """Exchange two students of the same city between their pairs.

        Discord first, each step written down and undone if any fails (at once, or at the
        next start after a restart): the database never shows a swap that Discord does not,
        nor the other way round. Each student is then welcomed in their new space, a
        scheduled send retried if Discord fails for a moment.
        """
        exchange = await staff_exchange(self.db, actor, exchange_id, STAFF)
        first = await _student(self.db, exchange, first_user)
        second = await _student(self.db, exchange, second_user)
        if first.id == second.id:
            raise UserError("error.swap_same")
        if first.city_id != second.city_id:
            raise UserError("error.swap_cities")
        async with self.journal.exclusive(actor.guild_id, exchange.id, port):
            done, keys = await self._swap(actor, exchange, first, second, port)
        return Swapped(done, await self._send_now(keys))

    async def _swap(
        self,
        actor: Actor,
        exchange: Exchange,
        first: Participant,
        second: Participant,
        port: SpacePort,
    ) -> tuple[tuple[store.PairRecord, store.PairRecord], list[str]]:
        async with self.db.read() as conn:
            pair_a = await store.live_pair_of(conn, first.id)
            pair_b = await store.live_pair_of(conn, second.id)
            apart = await roster.keep_apart_pairs(conn, exchange.id)
            rounds = {r["id"]: r["space_kind"] for r in await store.rounds(conn, exchange.id)}
        if pair_a is None or pair_b is None:
            missing = first if pair_a is None else second
            raise UserError("error.not_paired", name=missing.display_name)
        if pair_a.id == pair_b.id:
            raise UserError("error.swap_same_pair")
        if PairStatus.PAUSED in (pair_a.status, pair_b.status):
            # A paused space is under a teacher's review: nobody new walks into it.
            raise UserError("error.swap_paused")
        new_a = (set(pair_a.members) - {first.id}) | {second.id}
        new_b = (set(pair_b.members) - {second.id}) | {first.id}
        for mark in apart:
            if mark <= new_a or mark <= new_b:
                raise UserError("error.swap_keep_apart")
        await _check(self.db, port, exchange.id, [pair_a, pair_b])
        # Each move: the space, its kind, who joins, who leaves.
        moves = [
            [pair.space_id, rounds[pair.round_id], joining, leaving]
            for pair, joining, leaving in (
                (pair_a, second.user_id, first.user_id),
                (pair_b, first.user_id, second.user_id),
            )
            if pair.space_id is not None
        ]
        operation = await self.journal.begin(
            OperationKind.SWAP,
            guild_id=actor.guild_id,
            exchange_id=exchange.id,
            actor_id=actor.user_id,
            plan={"pairs": [pair_a.id, pair_b.id], "moves": moves},
        )
        try:
            for index, (space_id, kind, joining, leaving) in enumerate(moves):
                await self.journal.step(operation, moving=index)
                await port.set_members(space_id, kind, [joining], [leaving])
            now = self.clock.now()
            async with self.db.transaction() as conn:
                # Each leaves their pair (kept for history and to avoid repeats), joins the other.
                await store.move_member(conn, first.id, pair_a.id, pair_b.id, now)
                await store.move_member(conn, second.id, pair_b.id, pair_a.id, now)
                # The student who moves in is welcomed; their new partners learn who they are.
                keys = await _plan_posts(
                    conn,
                    GREET_KIND,
                    [
                        (
                            f"pairing:greet:{pair.id}:{newcomer.id}:{operation.id}",
                            {"pair": pair.id, "newcomer": newcomer.id},
                        )
                        for pair, newcomer in ((pair_a, second), (pair_b, first))
                        if pair.space_id is not None
                    ],
                    guild_id=actor.guild_id,
                    exchange_id=exchange.id,
                    now=now,
                )
                await audit(
                    conn,
                    actor,
                    "pairing.swapped",
                    at=now,
                    exchange_id=exchange.id,
                    pairs=[pair_a.id, pair_b.id],
                )
                await self.journal.finish(conn, operation)
        except BaseException as exc:
            await self._undo_here(operation, port, self._undo_swap)
            passing_failure(exc)
            raise
        return (pair_a, pair_b), keys

    async def _undo_swap(self, operation: Operation, port: SpacePort) -> None:
        """Put back the moves a swap made (the one under way too: putting back a move that
        did not happen changes nothing)."""
        if operation.status is not OperationStatus.UNDOING:
            await self.journal.undoing(operation)
        moving = operation.steps.get("moving")
        moves = operation.plan["moves"]
        undone: list[int] = operation.steps.setdefault("unmoved", [])
        undo = Undo()
        for index in reversed(range(moving + 1 if moving is not None else 0)):
            if index in undone:
                continue
            space_id, kind, joining, leaving = moves[index]
            async with undo.step(f"the move in space {space_id}"):
                await port.set_members(space_id, kind, [leaving], [joining])
                undone.append(index)
                await self.journal.step(operation, unmoved=undone)
        undo.check()
        await self._undone(operation, reopened=len(undone))

    # -- posts of new spaces (scheduled sends) ---------------------------------------------------

    async def welcome_for(
        self, guild_id: int, exchange_id: int, pair_id: int
    ) -> tuple[int, Welcome] | None:
        """What a pair's welcome post says, and where (None: the pair ended meanwhile).

        Built from what is stored, as it was when the space opened, so a retry posts the
        same words.
        """
        async with self.db.read() as conn:
            pair = await store.get_pair(conn, pair_id)
            if pair is None or pair.space_id is None or pair.status not in store.LIVE:
                return None
            exchange = await exchange_store.get_exchange(conn, guild_id, exchange_id)
            same_round = await store.pairs_of_round(conn, pair.round_id)
            people = {
                p.id: p
                for p in await roster.by_ids(conn, [m for r in same_round for m in r.everyone])
            }
        if exchange is None:
            return None
        counts = Counter(people[m].city_id for r in same_round for m in r.everyone if m in people)
        round_counts = tuple(
            sorted(((c.name, counts[c.id]) for c in exchange.cities), key=lambda item: -item[1])
        )
        members = tuple(people[m] for m in pair.everyone if m in people)
        group = ProposedGroup(members, pair.reasons, 0.0)
        return pair.space_id, _welcome(exchange, group, pair.created_at, round_counts)

    async def greeting_for(
        self, guild_id: int, exchange_id: int, pair_id: int, newcomer_id: int
    ) -> tuple[int, Newcomer] | None:
        """What welcomes a student who moved into a pair, and where (None: no longer there)."""
        async with self.db.read() as conn:
            pair = await store.get_pair(conn, pair_id)
            if pair is None or pair.space_id is None or pair.status not in store.LIVE:
                return None
            if newcomer_id not in pair.members:
                return None
            exchange = await exchange_store.get_exchange(conn, guild_id, exchange_id)
            people = {p.id: p for p in await roster.by_ids(conn, pair.members)}
        if exchange is None or newcomer_id not in people:
            return None
        partners = [people[m] for m in pair.members if m != newcomer_id and m in people]
        return pair.space_id, _newcomer(exchange, people[newcomer_id], partners, self.clock.now())

    # -- Discord against the database --------------------------------------------------------

    async def reconcile(self, guild_id: int, port: SpacePort) -> Reconciled:
        """What Discord shows of the guild's paired spaces against what is stored (at start-up,
        once what a restart cut short is settled).

        A space the bot made in an exchange's categories or thread channel that nothing
        stored explains is removed; a live pair whose space Discord no longer has is flagged.
        Both are logged.
        """
        async with self.db.read() as conn:
            exchanges = await exchange_store.exchanges_in(conn, guild_id)
        removed: list[int] = []
        missing: list[int] = []
        for exchange in exchanges:
            async with self.journal.exclusive(guild_id, exchange.id, port):
                found = await self._reconcile(exchange, port)
            removed += found.removed
            missing += found.missing
        return Reconciled(tuple(removed), tuple(missing))

    async def _reconcile_quietly(self, exchange: Exchange, port: SpacePort) -> None:
        try:
            await self._reconcile(exchange, port)
        except Exception:
            # The command's own work is done and stored; start-up tries again.
            log.exception("could not check exchange %d's spaces against Discord", exchange.id)

    async def _reconcile(self, exchange: Exchange, port: SpacePort) -> Reconciled:
        async with self.db.read() as conn:
            where = await exchange_store.spaces(conn, exchange.id)
            live = await store.live_pairs(conn, exchange.id)
        containers = [*where.category_ids]
        if where.thread_parent_id is not None:
            containers.append(where.thread_parent_id)
        if not containers and not live:
            # Never paired: nothing to look for (a start-up reconciles every exchange).
            return Reconciled((), ())
        known = await self._known_ids(exchange.id)
        async with self.db.read() as conn:
            kinds = {r["id"]: r["space_kind"] for r in await store.rounds(conn, exchange.id)}
        unknown = [
            found
            for container in containers
            for found in await port.made_in(container)
            if found.id not in known and is_pair_space_name(found.name)
        ]
        removed: list[int] = []
        closed: list[int] = []
        for found in unknown:
            try:
                outcome = await port.retire(found.id)
            except Exception:
                log.exception("could not take away space %d that nothing stored explains", found.id)
                continue
            (closed if outcome == "closed" else removed).append(found.id)
        channels = [p for p in live if p.space_id is not None and kinds[p.round_id] != "threads"]
        lost = await port.missing([p.space_id for p in channels if p.space_id is not None])
        gone = [p for p in channels if p.space_id in lost]
        threads = [p for p in live if p.space_id is not None and kinds[p.round_id] == "threads"]
        parent = where.thread_parent_id
        if threads and (parent is None or await port.missing([parent])):
            gone += threads  # their channel is gone, and every thread in it
        if not (removed or closed or gone):
            # Nothing to record: no writer's turn taken (a start-up reconciles every exchange).
            return Reconciled((), ())
        now = self.clock.now()
        async with self.db.transaction() as conn:
            if removed or closed:
                log.warning(
                    "exchange %d: took away %d spaces nothing stored explains",
                    exchange.id,
                    len(removed) + len(closed),
                )
                await audit(
                    conn,
                    By(exchange.guild_id),
                    "pairing.unknown_spaces_removed",
                    at=now,
                    exchange_id=exchange.id,
                    deleted=removed,
                    closed=closed,
                )
            for pair in gone:
                flag = f"pairing:space_missing:{pair.id}"
                if await app_state.get(conn, flag) is not None:
                    continue  # flagged at an earlier start
                log.warning(
                    "exchange %d: pair %d's space %s is gone", exchange.id, pair.id, pair.space_id
                )
                await app_state.put(conn, flag, str(pair.space_id), now)
                await audit(
                    conn,
                    By(exchange.guild_id),
                    "pairing.space_missing",
                    at=now,
                    exchange_id=exchange.id,
                    pair=pair.id,
                    space=pair.space_id,
                )
        return Reconciled(tuple(removed + closed), tuple(p.id for p in gone))

    async def label_space(self, space_id: int, port: SpacePort) -> None:
        """The `space.label` send (`plan_labels`): name a space after its pair's state now."""
        async with self.db.read() as conn:
            pair = await store.pair_by_space(conn, space_id)
        if pair is not None:
            await port.label(space_id, archived=pair.status is PairStatus.ARCHIVED)

    async def history(self, actor: Actor, exchange_id: int | None) -> History:
        """Every round of the exchange with who was paired with whom (staff only)."""
        exchange = await staff_exchange(self.db, actor, exchange_id, STAFF)
        async with self.db.read() as conn:
            rounds = await store.rounds(conn, exchange.id)
            every = await store.all_pairs(conn, exchange.id)
            people = {
                p.id: p.display_name
                for p in await roster.listing(
                    conn, exchange.id, statuses=("active", "paused", "removed")
                )
            }
        views = []
        for r in rounds:
            mine = [p for p in every if p.round_id == r["id"]]
            views.append(
                RoundView(
                    id=r["id"],
                    created_at=r["created_at"],
                    space_kind=r["space_kind"],
                    pairs=tuple(tuple(people.get(m, "?") for m in p.members) for p in mine),
                    archived=sum(1 for p in mine if p.status is PairStatus.ARCHIVED),
                    left=tuple(tuple(people.get(m, "?") for m in p.left) for p in mine),
                )
            )
        return History(exchange, tuple(views))


def names_language(exchange: Exchange) -> str:
    """The language of the names everyone in the server reads (a category of paired
    channels): the first city's first language the bot speaks, else the default."""
    spoken = set(available_languages())
    for city in exchange.cities:
        for code in city.languages:
            if code in spoken:
                return code
    return DEFAULT_LANGUAGE
