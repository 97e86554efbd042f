"""Time in chess: deadlines and reminders as scheduled sends, games lost on time, challenges
that lapse, and fairness when the bot was down or a space is paused.

Bot downtime never costs a student a game: a deadline that passed while the bot was down (or,
in correspondence, whose reminder fell in the outage) is not a loss on time. At start-up such
a position gets a fair new deadline (`bot.domain.chess_game.deadline_after_outage`: a day for
correspondence, the clock of the last recorded move for live games), stored as a clock
extension, and the space is told why. Deadlines that pass while the bot is up end the game.

A paused space stops its games' clocks (`hold_clocks`) until it reopens (`restart_clocks`).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.chess_game import GameStatus, TimeControlKind, clock_state, deadline_after_outage
from bot.domain.shards import Scope
from bot.errors import UserError
from bot.services.chess.games import Games, GameView, log, read_view, send_prefix
from bot.services.chess.port import ChessPort, PortFor
from bot.store import chess as store
from bot.store import sends

# A correspondence player hears this long before their deadline that a move is due.
REMINDER_BEFORE = timedelta(hours=6)

KIND_DEADLINE = "chess.deadline"
KIND_REMINDER = "chess.reminder"
KIND_EXPIRE = "chess.expire"


def position_key(game_id: int, ply: int, extended_to: datetime | None = None) -> str:
    """The start of the send keys for a position's deadline and reminder; a position whose
    clock was extended gets new ones (the earlier ones are done or cancelled)."""
    if extended_to is None:
        return f"{send_prefix(game_id)}{ply}"
    return f"{send_prefix(game_id)}{ply}@{int(extended_to.timestamp())}"


async def plan_clock(
    conn: AsyncConnection,
    record: store.GameRecord,
    ply: int,
    deadline: datetime,
    now: datetime,
    *,
    tag: str = "",
    extended: bool = False,
) -> datetime:
    """The deadline of the position after `ply`, and for correspondence a reminder before it.
    Returns when the first of them falls due (for `Rearm.wake_by`).

    `tag` tells apart a deadline planned again for the same position (after a pause).
    """
    payload = {"game": record.id, "ply": ply}
    key = position_key(record.id, ply, deadline if extended else None)
    await sends.plan(
        conn,
        key=f"{key}:deadline{tag}",
        kind=KIND_DEADLINE,
        due_at=deadline,
        guild_id=record.guild_id,
        partnership_id=record.exchange_id,
        payload=payload,
    )
    remind_at = deadline - REMINDER_BEFORE
    if record.time_kind == TimeControlKind.CORRESPONDENCE.value and remind_at > now:
        await sends.plan(
            conn,
            key=f"{key}:remind{tag}",
            kind=KIND_REMINDER,
            due_at=remind_at,
            guild_id=record.guild_id,
            partnership_id=record.exchange_id,
            payload=payload,
        )
        return remind_at
    return deadline


async def hold_clocks(conn: AsyncConnection, space_id: int, now: datetime) -> None:
    """The space was just paused: its games' clocks stop (in the caller's transaction).

    Their deadline and reminder are cancelled and no deadline is kept, so neither a send nor
    the start-up sweep can end a game on time, nor ping a player, while nobody may move.
    """
    for record in await store.in_space(conn, space_id, GameStatus.ACTIVE):
        await sends.cancel_matching(conn, send_prefix(record.id), now)
        await store.set_deadline(conn, record.id, record.ply, None)


async def restart_clocks(conn: AsyncConnection, space_id: int, now: datetime) -> None:
    """The space was just reopened: its games' clocks run again from where they stopped.

    Call after the pause is closed, in the same transaction (then re-arm the scheduler): the
    new deadline leaves out the paused time, and a deadline and reminder are planned for it.
    """
    for record in await store.in_space(conn, space_id, GameStatus.ACTIVE):
        view = await read_view(conn, record, now)
        if view.clock is None:
            continue
        deadline = view.clock.deadline
        await store.set_deadline(conn, record.id, record.ply, deadline)
        tag = f":resumed-{int(now.timestamp())}"
        await plan_clock(conn, record, record.ply, deadline, now, tag=tag)


def ran_out_while_down(view: GameView, up_since: datetime | None) -> bool:
    """Whether the side to move ran out before the bot was up to end the game on time."""
    return view.clock is not None and (up_since is None or view.clock.deadline < up_since)


class Clocks(Games):
    """Deadlines, reminders, lapsing challenges and the sweep after downtime."""

    async def _settle_clock(self, view: GameView, port: ChessPort) -> GameView:
        """The game as a move, offer or claim finds it: a deadline that passed while the bot
        was up ends the game on time instead (its scheduled send may not have fired yet); one
        that passed while the bot was down is extended first (see the module docstring)."""
        if view.clock is None or not view.clock.flagged:
            return view
        if ran_out_while_down(view, self.scheduler.up_since):
            await self._extend_after_outage(view, port)
            return await self.load(view.id)
        await self.time_out(view.id, view.record.ply, port)
        raise UserError("chess.error.out_of_time", game=view.id)

    async def time_out(self, game_id: int, ply: int, port: ChessPort) -> GameView | None:
        """The side to move ran out of time in the position after `ply` (scheduled, or
        noticed on a late move); None if the game moved on or is not out of time, or if the
        time ran out while the bot was down (then the position gets a fair new deadline)."""
        view = await self.load(game_id)
        if view.status is not GameStatus.ACTIVE or view.record.ply != ply:
            return None
        if view.clock is None:
            return None
        if not view.clock.flagged:
            await self._later_deadline(view)
            return None
        if ran_out_while_down(view, self.scheduler.up_since):
            await self._extend_after_outage(view, port)
            return None
        result = view.game.time_out(view.game.turn)
        try:
            return await self._finish(view, result, None, port, ply=ply)
        except UserError:
            return None  # a move or another ending got there first

    async def _later_deadline(self, view: GameView) -> None:
        """The deadline came but the clock had stopped meanwhile (a school break added after
        it was planned): plan the position's deadline again, at the time it now runs out."""
        if view.paused or view.clock is None:
            return  # a paused space's clocks restart, and are planned, when it reopens
        deadline = view.clock.deadline
        now = self.clock.now()
        if deadline <= now:
            return
        async with self.db.transaction() as conn:
            await store.set_deadline(conn, view.id, view.record.ply, deadline)
            tag = f":later-{int(deadline.timestamp())}"
            await plan_clock(conn, view.record, view.record.ply, deadline, now, tag=tag)
        await self.scheduler.rearm()

    async def remind(self, game_id: int, ply: int, port: ChessPort) -> bool:
        """Remind the player to move of their deadline (scheduled); False if no longer due."""
        view = await self.load(game_id)
        if view.status is not GameStatus.ACTIVE or view.record.ply != ply or view.paused:
            return False
        if view.clock is not None and view.clock.deadline - self.clock.now() > REMINDER_BEFORE:
            return False  # the clock stopped for a while: a re-planned reminder comes later
        await port.remind(view)
        return True

    async def expire_challenge(self, game_id: int, port: ChessPort) -> GameView | None:
        """An unanswered challenge lapses (scheduled); None if it was answered meanwhile."""
        now = self.clock.now()
        async with self.db.transaction() as conn:
            record = await store.get_game(conn, game_id)
            if record is None:
                return None
            if not await store.close_offer(conn, game_id, GameStatus.EXPIRED, now):
                return None
            await log(conn, record, "chess.expired", now, None)
        view = await self.load(game_id)
        await port.close_challenge(view)
        return view

    async def _reminder_missed(self, view: GameView) -> bool:
        """Whether a correspondence player's reminder fell due while the bot was down and was
        never sent (so, at start-up, they could lose without having been reminded)."""
        if view.clock is None or view.time_control.kind is not TimeControlKind.CORRESPONDENCE:
            return False
        up_since = self.scheduler.up_since
        if up_since is not None and view.clock.deadline - REMINDER_BEFORE >= up_since:
            return False
        ply = view.record.ply
        extended_to = view.clock.deadline if ply in view.extensions else None
        key = f"{position_key(view.id, ply, extended_to)}:remind"
        async with self.db.read() as conn:
            found = await sends.by_keys(conn, [key])
        return not any(s.status is sends.SendStatus.SENT for s in found)

    async def _extend_after_outage(self, view: GameView, port: ChessPort) -> GameView | None:
        """Give the position a fair new deadline after an outage, re-plan its deadline and
        reminder, and tell the space why; None if another path did it first."""
        record, now = view.record, self.clock.now()
        assert view.clock is not None and record.started_at is not None
        times = list(view.move_times)
        # The clock the player had when the position began, before any earlier outage of it.
        earlier = {ply: time for ply, time in view.extensions.items() if ply != record.ply}
        at_start = clock_state(
            view.time_control, record.started_at, times, now, extensions=earlier
        ).deadline - (times[-1] if times else record.started_at)
        fair = deadline_after_outage(
            view.time_control, deadline=view.clock.deadline, clock_at_start=at_start, now=now
        )
        seconds = math.ceil((fair - view.clock.deadline).total_seconds())
        if seconds <= 0:
            return None
        deadline = view.clock.deadline + timedelta(seconds=seconds)
        async with self.db.transaction() as conn:
            if not await store.extend_clock(
                conn,
                record.id,
                ply=record.ply,
                was=record.deadline_at,
                deadline=deadline,
                seconds=seconds,
                now=now,
            ):
                return None
            await sends.cancel_matching(conn, send_prefix(record.id), now)
            wake = await plan_clock(conn, record, record.ply, deadline, now, extended=True)
            await log(
                conn,
                record,
                "chess.clock_extended",
                now,
                None,
                ply=record.ply,
                seconds=seconds,
                reason="outage",
            )
        self.scheduler.wake_by(wake)
        after = await self.load(record.id)
        await port.extended(after)
        return after

    async def sweep(self, port_for: PortFor, scope: Scope | None = None) -> tuple[int, int]:
        """At start-up, before the sends that fell due while the bot was down: close
        challenges that lapsed, and give a fair new deadline to every game whose time ran out
        (or whose correspondence reminder fell due) during the outage. Returns (lapsed,
        extended).

        The scheduler records a send missed by more than its grace window instead of running
        it, so without this sweep a game caught by the outage would wait forever. Only games
        in servers of `scope` when given (another process's are its own to settle).
        """
        now = self.clock.now()
        async with self.db.read() as conn:
            # Correspondence games whose reminder fell in the outage are due for a look too.
            due = await store.overdue(conn, now + REMINDER_BEFORE)
        lapsed = extended = 0
        for record in due:
            if scope is not None and not scope.owns(record.guild_id):
                continue
            port = await port_for(record.guild_id)
            if port is None:
                continue
            if record.status is GameStatus.OFFERED:
                if record.deadline_at is not None and record.deadline_at <= now:
                    lapsed += await self.expire_challenge(record.id, port) is not None
                continue
            view = await self.load(record.id)
            if view.status is not GameStatus.ACTIVE or view.clock is None:
                continue
            if view.clock.flagged:
                if not ran_out_while_down(view, self.scheduler.up_since):
                    await self.time_out(record.id, record.ply, port)
                    continue
            elif not await self._reminder_missed(view):
                continue
            extended += await self._extend_after_outage(view, port) is not None
        return lapsed, extended
