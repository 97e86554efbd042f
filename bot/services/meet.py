""" "Did you meet?" check-ins (issue 23): some days after a pairing round or a session (per
exchange, `/checkins`), each live pair gets a private check-in in its space.

Check-ins are scheduled sends keyed by pair and occasion (`meet.checkin:<pair>:<occasion>`),
derived from the database: at start-up, when a teacher changes the delay, and once a day (a
session held meanwhile gives its pairs a new occasion). Planning the same key twice does
nothing, so restarts and sweeps never ask a pair twice about the same thing. Each student
answers once per check-in and may change the answer until the pair's next check-in; "we need
help" is filed as a concern (`/concerns`), posted to the teachers' channel as a scheduled send.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock
from bot.domain import meet as rules
from bot.domain.exchange import Exchange
from bot.domain.meet import Answer, Tally
from bot.domain.shards import Scope
from bot.errors import NotAllowedError, NotFoundError, UserError
from bot.services import safety as safety_service
from bot.services.access import Actor, staff_exchange
from bot.services.audit import audit
from bot.services.scheduler import Rearm
from bot.services.session_plans import people_languages
from bot.store import Database, roster, sends
from bot.store import exchanges as exchange_store
from bot.store import meet as store
from bot.store import pairing as pairing_store
from bot.store import sessions as session_store
from bot.store.engine import batches

STAFF = {"teacher", "coordinator"}
CHECKIN_KIND = "meet.checkin"
SWEEP_KIND = "meet.sweep"
# The key prefix of the teachers' notice of a "we need help" (one per check-in and student).
HELP_KEY = "meet.help"
# The daily sweep that notices sessions held since: a quiet hour in both first cities.
SWEEP_AT = time(4, 0)


@dataclass(frozen=True, slots=True)
class CheckinPost:
    """A check-in to post in a pair's space."""

    checkin_id: int
    space_id: int
    user_ids: tuple[int, ...]
    languages: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Answered:
    """What a student's answer did."""

    answer: Answer
    replaced: str | None  # their earlier answer to this check-in
    # "We need help": the concern filed for the teachers (None: none new).
    report_id: int | None = None


class MeetService:
    """The check-ins: their delay, planning, posting and the students' answers."""

    def __init__(self, db: Database, clock: Clock, scheduler: Rearm | None = None) -> None:
        self.db = db
        self.clock = clock
        self.scheduler = scheduler

    async def set_days(
        self, actor: Actor, exchange_id: int | None, days: int
    ) -> tuple[Exchange, int]:
        """Teachers: pairs are asked `days` after a round or a session; 0 turns it off."""
        if not 0 <= days <= rules.MAX_DAYS:
            raise UserError("meet.error.days", limit=rules.MAX_DAYS)
        exchange = await staff_exchange(self.db, actor, exchange_id, STAFF)
        now = self.clock.now()
        async with self.db.transaction() as conn:
            await store.set_days(conn, exchange.id, days, actor.user_id, now)
            if days == 0:
                await sends.cancel_matching(conn, f"{CHECKIN_KIND}:{exchange.id}:", now)
            await audit(conn, actor, "meet.days_set", at=now, exchange_id=exchange.id, days=days)
        await self.plan_due(only=exchange.id)
        return exchange, days

    async def at_start(self, scope: Scope) -> None:
        """Start-up: check-ins derived from the database, of this process's servers."""
        await self.plan_due(scope)

    async def plan_due(self, scope: Scope | None = None, *, only: int | None = None) -> int:
        """Plan each live pair's next check-in (idempotent by key) and tomorrow's sweep;
        returns how many check-ins were new.

        With `only`, check-ins of that exchange only (a command in its server). With
        `scope`, check-ins only in its servers: the process that posts them plans them
        and wakes for them. The sweep (work of no server, done by the lead) is planned by
        whichever process sees check-ins on anywhere, once a day by its key."""
        now = self.clock.now()
        planned = 0
        async with self.db.read() as conn:
            on = await store.exchanges_with_days(conn)
            every = [e for e in await exchange_store.exchanges_in(conn, None) if e.id in on]
        # The sweep is planned while check-ins are on anywhere, whichever servers are ours.
        any_on = bool(every)
        every = [
            e for e in every if only in (None, e.id) and (scope is None or scope.owns(e.guild_id))
        ]
        # A transaction per batch: the writers' lock is free between them (bot.store.engine).
        # Each batch reads the days again under the lock: a change meanwhile is seen.
        for batch in batches(every):
            async with self.db.transaction() as conn:
                for exchange in batch:
                    days = await store.days(conn, exchange.id)
                    if not days:
                        continue
                    held = [
                        (occ.id, occ.starts_at)
                        for _, occ in await session_store.begun(conn, exchange.id, now)
                    ]
                    for pair in await pairing_store.live_pairs(conn, exchange.id):
                        if pair.space_id is None:
                            continue
                        occasion = rules.latest_occasion(pair.created_at, held, now)
                        due = rules.due_at(occasion, days)
                        planned += await sends.plan(
                            conn,
                            key=f"{CHECKIN_KIND}:{exchange.id}:{pair.id}:{occasion.key}",
                            kind=CHECKIN_KIND,
                            due_at=due,
                            guild_id=exchange.guild_id,
                            partnership_id=exchange.id,
                            payload={"pair": pair.id, "occasion": occasion.key},
                            expires_at=due + rules.USEFUL_FOR,
                        )
        if any_on:
            tomorrow = datetime.combine(now.date() + timedelta(days=1), SWEEP_AT, now.tzinfo)
            async with self.db.transaction() as conn:
                await sends.plan(
                    conn,
                    key=f"{SWEEP_KIND}:{tomorrow.date().isoformat()}",
                    kind=SWEEP_KIND,
                    due_at=tomorrow,
                    guild_id=0,
                    expires_at=tomorrow + timedelta(days=1),
                )
        if self.scheduler is not None:
            await self.scheduler.rearm()
        return planned

    async def prepare(self, send: sends.Send) -> CheckinPost | None:
        """The check-in a due send posts (None: the pair ended, or check-ins were turned off)."""
        pair_id = int(send.payload["pair"])
        occasion = str(send.payload["occasion"])
        async with self.db.transaction() as conn:
            pair = await pairing_store.get_pair(conn, pair_id)
            if pair is None or pair.status not in pairing_store.LIVE or pair.space_id is None:
                return None
            exchange_id = send.partnership_id
            if exchange_id is None or not await store.days(conn, exchange_id):
                return None
            checkin_id = await store.checkin(conn, exchange_id, pair.id, occasion, send.due_at)
            members = await roster.by_ids(conn, pair.members)
        return CheckinPost(
            checkin_id,
            pair.space_id,
            tuple(m.user_id for m in members),
            people_languages([m.language for m in members]),
        )

    async def answer(self, actor: Actor, checkin_id: int, value: Answer) -> Answered:
        """A pair's student answers (or changes their answer) until the pair's next check-in.

        Refused: someone not in the pair, or a check-in a newer one replaced.
        """
        now = self.clock.now()
        async with self.db.transaction() as conn:
            found = await store.get_checkin(conn, checkin_id)
            if found is None:
                raise NotFoundError("meet.error.unknown")
            exchange_id, pair_id, _ = found
            exchange = await exchange_store.get_exchange(conn, actor.guild_id, exchange_id)
            pair = await pairing_store.get_pair(conn, pair_id)
            me = await roster.find(conn, exchange_id, actor.user_id)
            if exchange is None or pair is None or me is None or me.id not in pair.members:
                raise NotAllowedError("meet.error.not_yours")
            if await store.latest_of_pair(conn, pair_id) != checkin_id:
                raise UserError("meet.error.closed")
            if pair.status not in pairing_store.LIVE:
                raise UserError("meet.error.closed")
            replaced = await store.answer(conn, checkin_id, me.id, value.value, now)
            if value is not Answer.HELP or replaced == Answer.HELP:
                return Answered(value, replaced)
            await audit(
                conn,
                actor,
                "meet.help",
                at=now,
                exchange_id=exchange_id,
                pair=pair_id,
                checkin=checkin_id,
            )
            # A concern like any other (`/concerns` lists it), posted to the teachers'
            # channel by a scheduled send: retried if Discord fails, never lost to a restart.
            report_id = await safety_service.file_help(
                conn,
                key=f"{HELP_KEY}:{checkin_id}:{me.id}",
                guild_id=actor.guild_id,
                exchange_id=exchange_id,
                reporter_id=actor.user_id,
                pair=pair,
                now=now,
            )
        if report_id is not None and self.scheduler is not None:
            self.scheduler.wake_by(now)
        return Answered(value, replaced, report_id)


@dataclass(frozen=True, slots=True)
class MeetSummary:
    """What `/report exchange` shows of the check-ins."""

    tally: Tally
    # Live pairs whose students said "not yet" at two check-ins in a row: names per pair.
    not_met: tuple[tuple[str, ...], ...]


async def summary_of(
    conn: AsyncConnection, exchange: Exchange, start: datetime, end: datetime
) -> MeetSummary:
    """Answers to the exchange's check-ins posted in [start, end), and pairs to nudge."""
    found = rules.tally(await store.answers_between(conn, exchange.id, start, end))
    live = await pairing_store.live_pairs(conn, exchange.id)
    quiet = rules.dormant_by_answers(await store.history(conn, [p.id for p in live]))
    names: list[tuple[str, ...]] = []
    for pair in live:
        if pair.id in quiet:
            members = await roster.by_ids(conn, pair.members)
            names.append(tuple(m.display_name for m in members))
    return MeetSummary(found, tuple(names))
