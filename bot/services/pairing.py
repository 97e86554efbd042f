"""Pairing students across the two cities, and the private spaces where pairs talk.

`PairingService` holds the use cases (`/pair preview|confirm|swap|remove|history`) and what
they keep between calls: the plans of the last rosters seen and one lock per exchange for
confirming. What other features need of pairs' spaces (`check_spaces`, `archive_spaces`,
`end_pauses`) keeps nothing between calls, so it stays in module functions taking `db`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.domain.exchange import Exchange, Participant, Role
from bot.domain.pairing import (
    Candidate,
    PairingError,
    PairingPlan,
    PairReasons,
    PairStatus,
    pair_students,
)
from bot.domain.spaces import (
    CHANNELS_PER_CATEGORY,
    SpacePlan,
    plan_spaces,
    shared_waking_window,
    space_name,
    utc_offset_minutes,
    waking_overlap_hours,
)
from bot.errors import NotFoundError, UserError
from bot.services import chess as chess_service
from bot.services.access import Actor, staff_exchange
from bot.services.scheduler import Rearm
from bot.store import Database, roster, sends
from bot.store import activity as activity_log
from bot.store import exchanges as exchange_store
from bot.store import pairing as store

STAFF = frozenset({"teacher", "coordinator"})
REASON_FIELDS = dataclasses.fields(PairReasons)
# The send that gives an ended pair's channel its `archived-` name, and how long it is tried
# (Discord may ask to wait ten minutes between renames).
LABEL_KIND = "space.label"
LABEL_TRIES = timedelta(days=1)

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
    local_time: str = ""  # their wall clock when the space opened, e.g. "21:00"
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

    async def welcome(self, space_id: int, welcome: Welcome) -> None: ...

    async def greet(self, space_id: int, newcomer: Newcomer) -> None:
        """Welcome a student who moved into a pair that goes on (mentioning only them)."""

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
        """Remove a space created moments ago that nobody has used (rollback only)."""


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


@dataclass(frozen=True, slots=True)
class Confirmed:
    proposal: Proposal
    round_id: int
    space_ids: tuple[int, ...]


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
        local_time=now.astimezone(ZoneInfo(city.timezone)).strftime("%H:%M"),
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


async def archive_spaces(
    db: Database, port: SpacePort, exchange_id: int, old: Sequence[store.PairRecord]
) -> None:
    """Make these pairs' spaces read-only, all or none: if Discord refuses one, those already
    archived are opened again (as well as Discord lets) and the refusal is raised. Call it
    before storing the pairs as archived."""
    done: list[store.PairRecord] = []
    try:
        await _archive(db, port, exchange_id, old, done=done)
    except BaseException:
        await _restore(db, port, exchange_id, done)
        raise


async def _archive(
    db: Database,
    port: SpacePort,
    exchange_id: int,
    old: Sequence[store.PairRecord],
    *,
    done: list[store.PairRecord],
) -> None:
    kinds = await _kinds(db, exchange_id)
    for pair in old:
        if pair.space_id is None:
            continue
        async with db.read() as conn:
            people = await roster.by_ids(conn, pair.members)
        await port.archive(pair.space_id, kinds[pair.round_id], [p.user_id for p in people])
        done.append(pair)


async def _restore(
    db: Database, port: SpacePort, exchange_id: int, archived: Sequence[store.PairRecord]
) -> None:
    """Open again spaces archived by a change that failed; best effort (the failure that got
    us here is what the user is told)."""
    if not archived:
        return
    kinds = await _kinds(db, exchange_id)
    for pair in archived:
        assert pair.space_id is not None
        try:
            async with db.read() as conn:
                people = await roster.by_ids(conn, pair.members)
            await port.restore(
                pair.space_id,
                kinds[pair.round_id],
                [p.user_id for p in people],
                paused=pair.status is PairStatus.PAUSED,
            )
        except Exception:
            log.exception("could not reopen space %s after a failed change", pair.space_id)


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


_PlanKey = tuple[tuple[Candidate, ...], frozenset[frozenset[int]], frozenset[frozenset[int]]]


class PairingService:
    """Pairing rounds and the spaces they open (staff only)."""

    # Plans kept for the last rosters seen.
    KEPT_PLANS = 8

    def __init__(self, db: Database, clock: Clock, scheduler: Rearm | None = None) -> None:
        self.db = db
        self.clock = clock
        # Ending a paused pair restarts its chess clocks: their deadlines are sends to rearm.
        self.scheduler = scheduler
        self._plans: OrderedDict[_PlanKey, PairingPlan] = OrderedDict()
        self._running: dict[_PlanKey, asyncio.Future[PairingPlan]] = {}
        # One pairing at a time per exchange in this process: two teachers confirming at once
        # must not both create a round.
        self._confirming: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def optimal_plan(
        self,
        candidates: Sequence[Candidate],
        previous: Collection[frozenset[int]],
        apart: Collection[frozenset[int]],
    ) -> PairingPlan:
        """`pair_students` for these inputs, off the event loop, computed once for many callers.

        The same students give the same plan, and teachers preview, page and confirm the same
        roster, often together: the last plans are kept, and callers asking at the same moment
        share one computation. It runs in a worker thread, so the bot keeps acknowledging other
        users' interactions meanwhile (2,000 × 2,000 students take about half a second).
        """
        key: _PlanKey = (tuple(candidates), frozenset(previous), frozenset(apart))
        if key in self._plans:
            self._plans.move_to_end(key)
            return self._plans[key]
        future = self._running.get(key)
        if future is None:
            future = asyncio.ensure_future(
                asyncio.to_thread(
                    pair_students, candidates, previous_pairs=previous, keep_apart=apart
                )
            )
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
        db = self.db
        exchange = await staff_exchange(db, actor, exchange_id, STAFF)
        students, previous, apart, live, paused = await _load(db, exchange)
        positions = {c.id: c.position for c in exchange.cities}
        placed = [s for s in students if s.city_id in positions]
        if len(placed) < 2:
            raise UserError("error.pair_too_few", count=len(placed))
        if len({positions[s.city_id] for s in placed if s.city_id is not None}) < 2:
            raise UserError("error.pair_one_city")
        # Waking hours depend on daylight saving: each city's offset on the day of pairing.
        now = self.clock.now()
        offsets = {c.id: utc_offset_minutes(c.timezone, now) for c in exchange.cities}
        candidates = [
            Candidate(
                id=s.id,
                city=0 if positions[s.city_id] == 0 else 1,
                grade_band=s.grade_band or "",
                languages=frozenset(s.languages),
                interests=frozenset(s.interests),
                utc_offset_minutes=offsets[s.city_id],
            )
            for s in placed
            if s.city_id is not None
        ]
        try:
            plan = await self.optimal_plan(candidates, previous, apart)
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
        overlap = waking_overlap_hours(
            exchange.cities[0].timezone, exchange.cities[1].timezone, now.date()
        )
        return Proposal(exchange, groups, plan.total_score, space_plan, live, overlap, paused)

    async def confirm(self, actor: Actor, exchange_id: int | None, port: SpacePort) -> Confirmed:
        """Create the proposed pairs and their private spaces; archive the previous round's.

        Discord is changed before anything is stored: the new spaces are created and the old
        ones made read-only, then the round is recorded in one transaction. If Discord refuses
        anything, the spaces made in this attempt are removed, old spaces already archived are
        opened again, and nothing is recorded, so the database never says a space is archived
        while its students can still write there, and a retry starts clean. A round confirmed
        by someone else since this command began makes it change nothing.
        """
        exchange = await staff_exchange(self.db, actor, exchange_id, STAFF)
        async with self.db.read() as conn:
            seen_round = await store.latest_round(conn, exchange.id)
        async with self._confirming[exchange.id]:
            done = await self._confirm(actor, exchange.id, port, seen_round)
        if self.scheduler is not None:
            await self.scheduler.rearm()
        return done

    async def _confirm(
        self, actor: Actor, exchange_id: int, port: SpacePort, seen_round: int | None
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
        created: list[int] = []
        new_categories: list[int] = []
        categories = list(where.category_ids)
        thread_parent = where.thread_parent_id
        archived: list[store.PairRecord] = []
        try:
            if kind == "threads" and thread_parent is None:
                thread_parent = await port.create_thread_parent(f"{exchange.name} pairs")
                created.append(thread_parent)
            free: dict[int, int] = {}
            for category_id in categories:
                children = await port.children(category_id)
                if children is not None:
                    free[category_id] = CHANNELS_PER_CATEGORY - children
            for index, group in enumerate(proposal.groups, start=1):
                user_ids = [m.user_id for m in group.members]
                name = space_name(index)
                if kind == "threads":
                    assert thread_parent is not None
                    space = await port.create_thread(thread_parent, name, user_ids)
                else:
                    target = next((c for c, n in free.items() if n > 0), None)
                    if target is None:
                        number = len(categories) + 1
                        target = await port.create_category(f"{exchange.name} · pairs {number}")
                        categories.append(target)
                        new_categories.append(target)
                        free[target] = CHANNELS_PER_CATEGORY
                    space = await port.create_channel(target, name, user_ids)
                    free[target] -= 1
                created.append(space)
            await _archive(db, port, exchange.id, live, done=archived)
            space_ids = tuple(s for s in created if s != thread_parent)
            now = self.clock.now()
            async with db.transaction() as conn:
                await _unchanged_round(conn, exchange.id, seen_round)
                round_id = await store.create_round(
                    conn, exchange.id, actor.user_id, now, kind, round(proposal.total_score)
                )
                for group, space_id in zip(proposal.groups, space_ids, strict=True):
                    await store.add_pair(
                        conn,
                        round_id=round_id,
                        exchange_id=exchange.id,
                        space_id=space_id,
                        reasons=group.reasons,
                        members=tuple(m.id for m in group.members),
                        now=now,
                    )
                for old in live:
                    await store.set_status(conn, old.id, PairStatus.ARCHIVED, now)
                await end_pauses(conn, live, now)
                await plan_labels(conn, actor.guild_id, live, now)
                await exchange_store.set_spaces(
                    conn, exchange.id, category_ids=categories, thread_parent_id=thread_parent
                )
                await activity_log.append(
                    conn,
                    at=now,
                    guild_id=actor.guild_id,
                    partnership_id=exchange.id,
                    actor_id=actor.user_id,
                    kind="pairing.confirmed",
                    details={
                        "round": round_id,
                        "pairs": len(proposal.groups),
                        "space_kind": kind,
                        "archived": len(live),
                    },
                )
        except BaseException:
            await _restore(db, port, exchange.id, archived)
            for space in reversed(created + new_categories):
                try:
                    await port.delete_unused(space)
                except Exception:
                    continue
            raise
        counts = Counter(m.city_id for g in proposal.groups for m in g.members)
        round_counts = tuple(
            sorted(((c.name, counts[c.id]) for c in exchange.cities), key=lambda item: -item[1])
        )
        for group, space_id in zip(proposal.groups, space_ids, strict=True):
            await port.welcome(space_id, _welcome(exchange, group, now, round_counts))
        return Confirmed(proposal, round_id, space_ids)

    async def remove(
        self, actor: Actor, exchange_id: int | None, user_id: int, port: SpacePort
    ) -> store.PairRecord:
        """Archive the pair a student is in; the space becomes read-only, nothing is deleted."""
        exchange = await staff_exchange(self.db, actor, exchange_id, STAFF)
        student = await _student(self.db, exchange, user_id)
        async with self.db.read() as conn:
            pair = await store.live_pair_of(conn, student.id)
        if pair is None:
            raise UserError("error.not_paired", name=student.display_name)
        await _check(self.db, port, exchange.id, [pair])
        # Discord first: if it refuses, the pair stays active in the database as in Discord.
        await archive_spaces(self.db, port, exchange.id, [pair])
        now = self.clock.now()
        async with self.db.transaction() as conn:
            await store.set_status(conn, pair.id, PairStatus.ARCHIVED, now)
            await end_pauses(conn, [pair], now)
            await plan_labels(conn, actor.guild_id, [pair], now)
            await activity_log.append(
                conn,
                at=now,
                guild_id=actor.guild_id,
                partnership_id=exchange.id,
                actor_id=actor.user_id,
                kind="pairing.removed",
                details={"pair": pair.id},
            )
        if self.scheduler is not None:
            await self.scheduler.rearm()
        return pair

    async def swap(
        self,
        actor: Actor,
        exchange_id: int | None,
        first_user: int,
        second_user: int,
        port: SpacePort,
    ) -> tuple[store.PairRecord, store.PairRecord]:
        """Exchange two students of the same city between their pairs."""
        exchange = await staff_exchange(self.db, actor, exchange_id, STAFF)
        first = await _student(self.db, exchange, first_user)
        second = await _student(self.db, exchange, second_user)
        if first.id == second.id:
            raise UserError("error.swap_same")
        if first.city_id != second.city_id:
            raise UserError("error.swap_cities")
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
        # Discord first, undone if any step fails: the database never shows a swap that Discord
        # does not, nor the other way round.
        moves = [
            (pair_a, second.user_id, first.user_id),
            (pair_b, first.user_id, second.user_id),
        ]
        done: list[tuple[store.PairRecord, int, int]] = []
        try:
            for pair, joining, leaving in moves:
                if pair.space_id is not None:
                    await port.set_members(
                        pair.space_id, rounds[pair.round_id], [joining], [leaving]
                    )
                    done.append((pair, joining, leaving))
            now = self.clock.now()
            async with self.db.transaction() as conn:
                # Each leaves their pair (kept for history and to avoid repeats), joins the other.
                await store.move_member(conn, first.id, pair_a.id, pair_b.id, now)
                await store.move_member(conn, second.id, pair_b.id, pair_a.id, now)
                await activity_log.append(
                    conn,
                    at=now,
                    guild_id=actor.guild_id,
                    partnership_id=exchange.id,
                    actor_id=actor.user_id,
                    kind="pairing.swapped",
                    details={"pairs": [pair_a.id, pair_b.id]},
                )
        except BaseException:
            for pair, joining, leaving in reversed(done):
                assert pair.space_id is not None
                try:
                    await port.set_members(
                        pair.space_id, rounds[pair.round_id], [leaving], [joining]
                    )
                except Exception:
                    log.exception("could not undo a swap in space %s", pair.space_id)
            raise
        # The student who moves in is welcomed; their new partners learn who they are.
        async with self.db.read() as conn:
            staying_a = await roster.by_ids(conn, [m for m in pair_a.members if m != first.id])
            staying_b = await roster.by_ids(conn, [m for m in pair_b.members if m != second.id])
        for pair, newcomer, partners in ((pair_a, second, staying_a), (pair_b, first, staying_b)):
            if pair.space_id is not None:
                await port.greet(pair.space_id, _newcomer(exchange, newcomer, partners, now))
        return pair_a, pair_b

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
