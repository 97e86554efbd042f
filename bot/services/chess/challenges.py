"""Challenges: a student of one city invites one of the partner city to a game.

Partners play in their paired space; a challenge waits for an answer until it lapses, and one
game at a time per pair of students unless a teacher allowed more.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from bot.domain.chess_game import (
    GameStatus,
    TimeControlError,
    TimeControlKind,
    parse_time_control,
)
from bot.domain.exchange import Exchange, Participant, Role
from bot.errors import NotAllowedError, NotFoundError, UserError
from bot.services.access import Actor
from bot.services.chess.clocks import KIND_EXPIRE, Clocks, plan_clock
from bot.services.chess.games import (
    GameView,
    find_record,
    log,
    not_paused,
    player_of,
    read_view,
    send_prefix,
    time_error,
)
from bot.services.chess.league import within_pair_limit
from bot.services.chess.port import ChessPort
from bot.store import chess as store
from bot.store import exchanges as exchange_store
from bot.store import pairing as pairing_store
from bot.store import roster, sends

# An unanswered challenge lapses, so it never blocks the pair's game slot for good.
CHALLENGE_WAIT = {
    TimeControlKind.CORRESPONDENCE: timedelta(days=3),
    TimeControlKind.LIVE: timedelta(hours=1),
}


def _active_student(found: Participant | None) -> bool:
    return found is not None and found.role is Role.STUDENT and found.status == "active"


class Challenges(Clocks):
    """Challenging a partner-city student, and answering a challenge."""

    async def _parties(
        self, actor: Actor, opponent_user_id: int, exchange_id: int | None
    ) -> tuple[Exchange, Participant, Participant]:
        """The exchange both play in, the challenger and the opponent (active students)."""
        if opponent_user_id == actor.user_id:
            raise UserError("chess.error.self")
        async with self.db.read() as conn:
            mine = [
                p
                for p in await roster.of_user(conn, actor.guild_id, actor.user_id)
                if _active_student(p)
            ]
            theirs = {
                p.partnership_id: p
                for p in await roster.of_user(conn, actor.guild_id, opponent_user_id)
            }
            if exchange_id is not None:
                mine = [p for p in mine if p.partnership_id == exchange_id]
            if not mine:
                raise NotAllowedError("chess.error.not_a_student")
            shared = [(p, theirs[p.partnership_id]) for p in mine if p.partnership_id in theirs]
            if not shared:
                raise UserError("chess.error.not_in_exchange")
            if len(shared) > 1:
                raise UserError("error.choose_exchange")
            me, them = shared[0]
            if not _active_student(them):
                raise UserError("chess.error.opponent_unavailable", name=them.display_name)
            if me.city_id is None or them.city_id is None or me.city_id == them.city_id:
                raise UserError("chess.error.same_city", name=them.display_name)
            exchange = await exchange_store.get_exchange(conn, actor.guild_id, me.partnership_id)
        if exchange is None:
            raise NotFoundError("error.unknown_exchange")
        return exchange, me, them

    async def challenge(
        self,
        actor: Actor,
        *,
        opponent_user_id: int,
        time_control: str,
        colour: str,
        exchange_id: int | None,
        channel_id: int,
        port: ChessPort,
    ) -> GameView:
        """Challenge a student of the partner city; partners play in their paired space.

        One game at a time per pair of students unless a teacher allowed more; students kept
        apart by a teacher cannot challenge each other.
        """
        try:
            tc = parse_time_control(time_control)
        except TimeControlError as error:
            raise time_error(error) from None
        exchange, me, them = await self._parties(actor, opponent_user_id, exchange_id)
        async with self.db.read() as conn:
            if await roster.is_kept_apart(conn, exchange.id, me.id, them.id):
                raise UserError("chess.error.kept_apart", name=them.display_name)
            running = await store.open_between(conn, me.id, them.id)
            allowed = await store.games_per_pair(conn, exchange.id)
            pair = await pairing_store.live_pair_of(conn, me.id)
        if len(running) >= allowed:
            raise UserError(
                "chess.error.pair_limit", name=them.display_name, game=running[0].id, limit=allowed
            )
        if pair is not None and them.id in pair.members and pair.space_id is not None:
            space_id = pair.space_id
        else:
            problem = await port.can_play_in(channel_id, [actor.user_id, opponent_user_id])
            if problem is not None:
                raise UserError(problem, name=them.display_name)
            space_id = channel_id
        async with self.db.read() as conn:
            space_pair = await pairing_store.pair_by_space(conn, space_id)
        if space_pair is not None and space_pair.status == "paused":
            raise UserError("chess.error.space_paused")
        if space_pair is not None and space_pair.status == "archived":
            # An ended pair's space stays readable, not a place for new games.
            raise UserError("chess.error.space_ended")
        if colour == "random":
            colour = secrets.choice(("white", "black"))
        white, black = (me, them) if colour == "white" else (them, me)
        now = self.clock.now()
        lapses = now + CHALLENGE_WAIT[tc.kind]
        async with self.db.transaction() as conn:
            game_id = await store.create_game(
                conn,
                guild_id=actor.guild_id,
                exchange_id=exchange.id,
                white_id=white.id,
                black_id=black.id,
                challenger_id=me.id,
                space_id=space_id,
                time_kind=tc.kind.value,
                base_seconds=int(tc.base.total_seconds()),
                increment_seconds=int(tc.increment.total_seconds()),
                expires_at=lapses,
                now=now,
            )
            # Counted again after the insert, in its transaction: of two challenges sent at the
            # same moment (each player challenging the other), the second finds the first.
            await within_pair_limit(
                conn, exchange.id, (me.id, them.id), them.display_name, store.OPEN, game_id
            )
            await sends.plan(
                conn,
                key=f"{send_prefix(game_id)}offer",
                kind=KIND_EXPIRE,
                due_at=lapses,
                guild_id=actor.guild_id,
                partnership_id=exchange.id,
                payload={"game": game_id},
            )
            record = await store.get_game(conn, game_id)
            assert record is not None
            await log(
                conn,
                record,
                "chess.challenged",
                now,
                actor.user_id,
                time_control=tc.text,
                colour=colour,
            )
            view = await read_view(conn, record, now)
        self.scheduler.wake_by(lapses)
        message_id = await port.show_challenge(view)
        if message_id is not None:
            async with self.db.transaction() as conn:
                await store.set_challenge_message(conn, game_id, message_id)
        return view

    async def answer_challenge(
        self, actor: Actor, game_id: int, accept: bool, port: ChessPort
    ) -> GameView:
        """The challenged student accepts or declines; the challenger may withdraw."""
        now = self.clock.now()
        async with self.db.read() as conn:
            record = await find_record(conn, actor, game_id, None)
            view = await read_view(conn, record, now)
        me = player_of(view, actor)
        if view.status is not GameStatus.OFFERED:
            raise UserError("chess.error.challenge_closed", game=view.id)
        not_paused(view)
        mine = me.participant_id == record.challenger_id
        if accept and mine:
            raise UserError("chess.error.own_challenge")
        status = GameStatus.WITHDRAWN if mine else GameStatus.DECLINED
        deadline = now + view.time_control.base
        wake: datetime | None = None
        async with self.db.transaction() as conn:
            if accept:
                changed = await store.start(conn, record.id, now, deadline)
            else:
                changed = await store.close_offer(conn, record.id, status, now)
            if not changed:
                raise UserError("chess.error.challenge_closed", game=view.id)
            if accept:
                # Games in play counted after the start, in its transaction: two challenges
                # made while a teacher allowed more cannot both start once the limit is lower
                # again, even when both are accepted at the same moment.
                pair = (me.participant_id, view.challenger.participant_id)
                await within_pair_limit(
                    conn,
                    record.exchange_id,
                    pair,
                    view.challenger.name,
                    (GameStatus.ACTIVE,),
                    record.id,
                )
            await sends.cancel_matching(conn, send_prefix(record.id), now)
            if accept:
                wake = await plan_clock(conn, record, 0, deadline, now)
                await log(conn, record, "chess.accepted", now, actor.user_id)
            else:
                await log(conn, record, f"chess.{status}", now, actor.user_id)
            changed_record = await store.get_game(conn, record.id)
            assert changed_record is not None
            view = await read_view(conn, changed_record, now)
        if wake is not None:
            self.scheduler.wake_by(wake)
        await port.close_challenge(view)
        if accept:
            await self._show(port, view, None)
        return view
