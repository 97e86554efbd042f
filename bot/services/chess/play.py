"""Playing: moves (typed or picked), draws offered, answered and claimed, resignation.

Every change to a game is a conditional update on its status and ply, so two clicks on the
same position play exactly one move. A move is read, checked and stored in one database
connection; the board it makes is then posted and its message remembered in a second.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.chess_game import (
    ChessMoveError,
    Color,
    GameStatus,
    MoveHint,
    PieceMoves,
    PlayedMove,
    clock_state,
)
from bot.errors import UserError
from bot.services.access import Actor
from bot.services.chess.clocks import Clocks, plan_clock
from bot.services.chess.games import (
    GameView,
    Player,
    find_record,
    in_play,
    log,
    log_ending,
    player_of,
    read_view,
    refusal,
    send_prefix,
)
from bot.services.chess.port import ChessPort
from bot.store import chess as store
from bot.store import sends


@dataclass(frozen=True, slots=True)
class Moved:
    """What a move did: the move as understood, and the game after it."""

    played: PlayedMove
    view: GameView


@dataclass(frozen=True, slots=True)
class Promotion:
    """A pawn picked to reach the last rank: which piece it becomes is asked next."""

    view: GameView
    move: str  # origin and target square, e.g. "b7a8"


@dataclass(frozen=True, slots=True)
class Picker:
    """The legal moves of a game in play, grouped by piece, for the Move button."""

    view: GameView
    pieces: tuple[PieceMoves, ...]


@dataclass(frozen=True, slots=True)
class DrawAnswer:
    """A draw offer made, or (when `view.result` is set) a draw agreed."""

    view: GameView
    agreed: bool


def _offer_value(color: Color | None) -> str | None:
    return color.value if color is not None else None


def _late(view: GameView) -> bool:
    return view.clock is not None and view.clock.flagged


class Play(Clocks):
    """Moves, draws, claims and resignation."""

    # -- moves --------------------------------------------------------------------------------

    async def play(
        self,
        actor: Actor,
        text: str,
        port: ChessPort,
        *,
        game_id: int | None = None,
        channel_id: int | None = None,
        expected_ply: int | None = None,
    ) -> Moved:
        """Play what the student typed or picked (SAN, UCI, forgiving case) and show the board.

        `expected_ply` (from the move picker) refuses a move chosen on an older position.
        """
        moved = await self._move(
            actor, text, port, game_id=game_id, channel_id=channel_id, ply=expected_ply
        )
        assert isinstance(moved, Moved)
        return moved

    async def pick(
        self, actor: Actor, game_id: int, ply: int, move: str, port: ChessPort
    ) -> Moved | Promotion:
        """Play the move chosen in the picker made for the position after `ply`; a pawn
        reaching the last rank (`move` without its piece, "b7a8") asks for the piece first."""
        return await self._move(
            actor, move, port, game_id=game_id, channel_id=None, ply=ply, picked=True
        )

    async def _move(
        self,
        actor: Actor,
        text: str,
        port: ChessPort,
        *,
        game_id: int | None,
        channel_id: int | None,
        ply: int | None,
        picked: bool = False,
    ) -> Moved | Promotion:
        # Read, checked and written in one connection: the first statement that writes
        # begins the transaction, so the reads before it hold no lock.
        outcome: tuple[PlayedMove, GameView, datetime | None] | Promotion | None = None
        async with self.db.transaction() as conn:
            record = await find_record(conn, actor, game_id, channel_id)
            view = await read_view(conn, record, self.clock.now())
            me = self._mover(view, actor, ply)
            if not _late(view):
                outcome = await self._play_in(conn, view, me, text, actor, picked)
        if outcome is None:
            # Out of time: ended on time (refused), or extended after an outage and played.
            view = await self._settle_clock(view, port)
            me = self._mover(view, actor, ply)
            async with self.db.transaction() as conn:
                outcome = await self._play_in(conn, view, me, text, actor, picked)
        if isinstance(outcome, Promotion):
            return outcome
        played, after, wake = outcome
        if wake is not None:
            self.scheduler.wake_by(wake)
        await self._show(port, after, played)
        return Moved(played, after)

    def _mover(self, view: GameView, actor: Actor, expected_ply: int | None) -> Player:
        """The actor's side, if they may move in this game now."""
        me = player_of(view, actor)
        in_play(view)
        if expected_ply is not None:
            # From the picker: whose turn it is tells more than "the position changed".
            if view.game.turn is not me.color:
                raise UserError("chess.error.not_your_turn", name=view.to_move.name)
            if expected_ply != view.record.ply:
                raise UserError("chess.error.position_changed", game=view.id)
        return me

    async def _play_in(
        self,
        conn: AsyncConnection,
        view: GameView,
        me: Player,
        text: str,
        actor: Actor,
        picked: bool,
    ) -> tuple[PlayedMove, GameView, datetime | None] | Promotion:
        if picked and len(text) == 4 and view.game.promotes(text):
            return Promotion(view, text)
        try:
            played = view.game.play(me.participant_id, text)
        except ChessMoveError as error:
            raise refusal(error, view) from None
        after, wake = await self._store_move(conn, view, actor.user_id, played)
        return played, after, wake

    async def _store_move(
        self, conn: AsyncConnection, view: GameView, user_id: int, played: PlayedMove
    ) -> tuple[GameView, datetime | None]:
        """Record a move (applied to `view.game` already) in the caller's transaction: the
        game after it, and when its first planned send falls due (None if it ended)."""
        record, now = view.record, self.clock.now()
        game = view.game
        result = played.result
        times = (*view.move_times, now)
        clock = None
        if result is None:
            assert record.started_at is not None
            clock = clock_state(
                view.time_control,
                record.started_at,
                times,
                now,
                first_to_move=game.first_to_move,
                pauses=view.pauses,
                extensions=view.extensions,
            )
        deadline = clock.deadline if clock is not None else None
        offer = _offer_value(game.draw_offer) if result is None else None
        done = await store.record_move(
            conn,
            record.id,
            ply_before=record.ply,
            uci=played.uci,
            san=played.san,
            played_by=user_id,
            now=now,
            deadline=deadline,
            draw_offer=offer,
            result=result.pgn_result if result else None,
            termination=result.termination.value if result else None,
        )
        if not done:
            # Someone else changed the game first (a double click, the opponent resigning…).
            raise UserError("chess.error.position_changed", game=record.id)
        await sends.cancel_matching(conn, send_prefix(record.id), now)
        wake = None
        if deadline is not None:
            wake = await plan_clock(conn, record, record.ply + 1, deadline, now)
        await log(conn, record, "chess.moved", now, user_id, ply=record.ply + 1, uci=played.uci)
        if result is not None:
            await log_ending(conn, record, result, now, user_id)
        after = dataclasses.replace(
            record,
            ply=record.ply + 1,
            deadline_at=deadline,
            draw_offer=offer,
            status=GameStatus.FINISHED if result else record.status,
            result=result.pgn_result if result else None,
            termination=result.termination.value if result else None,
            finished_at=now if result else None,
        )
        return dataclasses.replace(view, record=after, clock=clock, now=now, move_times=times), wake

    async def picker(self, actor: Actor, game_id: int, ply: int | None = None) -> Picker:
        """The legal moves for the Move button: only the player to move gets them. `ply`
        (a picker's Back button) refuses a position that has moved on."""
        view = await self.find(actor, game_id, None)
        me = player_of(view, actor)
        in_play(view)
        if view.game.turn is not me.color:
            raise UserError("chess.error.not_your_turn", name=view.to_move.name)
        if ply is not None and ply != view.record.ply:
            raise UserError("chess.error.position_changed", game=view.id)
        return Picker(view, view.game.legal_moves_by_piece())

    async def move_hints(
        self, actor: Actor, game_id: int | None, channel_id: int | None, typed: str
    ) -> list[MoveHint]:
        """Legal moves matching what the player to move has typed (for autocomplete)."""
        try:
            view = await self.find(actor, game_id, channel_id)
        except UserError:
            return []
        me = view.of_user(actor.user_id)
        if me is None or view.status is not GameStatus.ACTIVE or view.paused:
            return []
        if view.game.turn is not me.color:
            return []
        return view.game.move_hints(typed)

    # -- resignation --------------------------------------------------------------------------

    async def resignable(
        self, actor: Actor, game_id: int | None, channel_id: int | None
    ) -> tuple[GameView, Player]:
        """The game a player may resign, and their opponent (to ask "resign against X?")."""
        view = await self.find(actor, game_id, channel_id)
        me = player_of(view, actor)
        in_play(view)
        return view, view.player(me.color.other)

    async def resign(
        self, actor: Actor, game_id: int | None, port: ChessPort, channel_id: int | None = None
    ) -> GameView:
        """A player gives up; the opponent wins."""
        view = await self.find(actor, game_id, channel_id)
        me = player_of(view, actor)
        in_play(view)
        result = view.game.resign(me.participant_id)
        return await self._finish(view, result, actor.user_id, port, ply=None)

    # -- draws --------------------------------------------------------------------------------

    async def offer_draw(
        self,
        actor: Actor,
        game_id: int | None,
        port: ChessPort,
        channel_id: int | None = None,
        *,
        before_offer: Callable[[], None] | None = None,
    ) -> DrawAnswer:
        """Offer a draw; if the opponent already offered one, this agrees it.

        `before_offer` runs just before a new offer (which pings the opponent) is recorded,
        never before an agreement; it raises to refuse (the cog's per-student limit on pings).
        """
        view = await self.find(actor, game_id, channel_id)
        me = player_of(view, actor)
        in_play(view)
        view = await self._settle_clock(view, port)
        if view.game.draw_offer is me.color:
            raise UserError("chess.error.draw_already_offered")
        agreed = view.game.offer_draw(me.participant_id)
        if agreed is not None:
            after = await self._finish(view, agreed, actor.user_id, port, ply=view.record.ply)
            return DrawAnswer(after, agreed=True)
        if before_offer is not None:
            before_offer()
        record, now = view.record, self.clock.now()
        async with self.db.transaction() as conn:
            if not await store.set_draw_offer(conn, record.id, record.ply, me.color.value):
                raise UserError("chess.error.position_changed", game=record.id)
            await log(conn, record, "chess.draw_offered", now, actor.user_id)
        after = dataclasses.replace(
            view, record=dataclasses.replace(record, draw_offer=me.color.value)
        )
        await port.notice(after, "draw_offered", me)
        return DrawAnswer(after, agreed=False)

    async def answer_draw(
        self,
        actor: Actor,
        game_id: int,
        accept: bool,
        port: ChessPort,
        *,
        expected_ply: int | None = None,
    ) -> GameView:
        """The opponent of a standing draw offer accepts or declines it.

        `expected_ply` (from the offer's buttons) ties the answer to the position it was made
        in: an offer lapses once a move is played.
        """
        view = await self.find(actor, game_id, None)
        me = player_of(view, actor)
        in_play(view)
        stale = expected_ply is not None and expected_ply != view.record.ply
        if stale or view.game.draw_offer is not me.color.other:
            raise UserError("chess.error.no_draw_offer")
        if accept:
            view = await self._settle_clock(view, port)
            result = view.game.accept_draw(me.participant_id)
            return await self._finish(view, result, actor.user_id, port, ply=view.record.ply)
        record, now = view.record, self.clock.now()
        async with self.db.transaction() as conn:
            if not await store.set_draw_offer(conn, record.id, record.ply, None):
                raise UserError("chess.error.position_changed", game=record.id)
            await log(conn, record, "chess.draw_declined", now, actor.user_id)
        view.game.decline_draw(me.participant_id)
        after = dataclasses.replace(view, record=dataclasses.replace(record, draw_offer=None))
        await port.notice(after, "draw_declined", me)
        return after

    async def claim_draw(
        self,
        actor: Actor,
        game_id: int | None,
        move: str | None,
        port: ChessPort,
        channel_id: int | None = None,
    ) -> GameView:
        """The player to move claims threefold repetition or the 50-move rule, optionally
        with the move that brings it about."""
        view = await self.find(actor, game_id, channel_id)
        me = player_of(view, actor)
        in_play(view)
        view = await self._settle_clock(view, port)
        try:
            result, played = view.game.claim_draw(me.participant_id, move)
        except ChessMoveError as error:
            raise refusal(error, view) from None
        if played is None:
            return await self._finish(view, result, actor.user_id, port, ply=view.record.ply)
        # The claiming move and the claim are stored together: the move carries the result.
        played = dataclasses.replace(played, result=result)
        async with self.db.transaction() as conn:
            after, _ = await self._store_move(conn, view, actor.user_id, played)
        await self._show(port, after, played)
        return after
