"""A game as people see it: loading it, who may see and play it, lists, PGN, and its board.

`Games` is the base of the chess service: it holds the database, the clock and the scheduler,
loads a game (its record, players, moves, clock extensions and the pauses of its space) in one
connection, and records the steps every part of chess shares: showing the board after a change
and ending a game.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock
from bot.domain.breaks import break_stretches, merged
from bot.domain.chess_game import (
    ChessGame,
    ChessMoveError,
    ClockState,
    Color,
    GameResult,
    GameStatus,
    MoveErrorReason,
    Pause,
    PlayedMove,
    Termination,
    TimeControl,
    TimeControlError,
    TimeControlKind,
    clock_state,
)
from bot.domain.exchange import Exchange
from bot.errors import NotAllowedError, NotFoundError, UserError
from bot.limits import CHOICES
from bot.services.access import Actor, require_staff_scope, staff_of, staff_scope
from bot.services.audit import By, audit
from bot.services.scheduler import Rearm
from bot.store import Database, roster, sends
from bot.store import breaks as break_store
from bot.store import chess as store
from bot.store import exchanges as exchange_store
from bot.store import pairing as pairing_store

if TYPE_CHECKING:
    from bot.services.chess.port import ChessPort


@dataclass(frozen=True, slots=True)
class Player:
    """One side of a game, as people see them."""

    participant_id: int
    user_id: int
    name: str
    city: str
    language: str
    color: Color


@dataclass(frozen=True, slots=True)
class GameView:
    """A game with everything needed to show it: players, position, clocks."""

    record: store.GameRecord
    exchange: Exchange
    white: Player
    black: Player
    game: ChessGame
    time_control: TimeControl
    clock: ClockState | None  # while in play
    now: datetime
    # The game's space is paused by its teachers: nothing may change and its clock is stopped.
    paused: bool = False
    pauses: tuple[Pause, ...] = ()  # every stretch the space was paused (clocks stopped)
    # Time added per position after outages of the bot (see `bot.services.chess.clocks`).
    extensions: dict[int, timedelta] = dataclasses.field(default_factory=dict)
    move_times: tuple[datetime, ...] = ()  # when each move was played: the clocks' history

    @property
    def id(self) -> int:
        return self.record.id

    @property
    def status(self) -> GameStatus:
        return self.record.status

    @property
    def result(self) -> GameResult | None:
        return self.game.result if self.record.status is GameStatus.FINISHED else None

    @property
    def players(self) -> tuple[Player, Player]:
        return self.white, self.black

    def player(self, color: Color) -> Player:
        return self.white if color is Color.WHITE else self.black

    @property
    def to_move(self) -> Player:
        return self.player(self.game.turn)

    @property
    def challenger(self) -> Player:
        return self.white if self.record.challenger_id == self.white.participant_id else self.black

    @property
    def challenged(self) -> Player:
        return self.player(self.challenger.color.other)

    def of_user(self, user_id: int) -> Player | None:
        return next((p for p in self.players if p.user_id == user_id), None)


@dataclass(frozen=True, slots=True)
class GameLine:
    """One game in a list: whom against, with which colour, and how it stands."""

    id: int
    opponent: str
    color: Color
    status: GameStatus
    my_turn: bool
    deadline: datetime | None
    result: str | None
    termination: str | None
    score: float | None  # for the player the list is about, once finished


# --- reading a game ------------------------------------------------------------------------------


def time_control_of(record: store.GameRecord) -> TimeControl:
    return TimeControl(
        TimeControlKind(record.time_kind),
        timedelta(seconds=record.base_seconds),
        timedelta(seconds=record.increment_seconds),
    )


def stored_result(record: store.GameRecord) -> GameResult | None:
    """The ending a finished game's record holds."""
    finished = record.status is GameStatus.FINISHED
    if not finished or record.result is None or record.termination is None:
        return None
    winner = {"1-0": Color.WHITE, "0-1": Color.BLACK}.get(record.result)
    return GameResult(winner, Termination(record.termination))


async def read_view(conn: AsyncConnection, record: store.GameRecord, now: datetime) -> GameView:
    """Everything about a game, read in the caller's connection."""
    exchange = await exchange_store.get_exchange(conn, record.guild_id, record.exchange_id)
    if exchange is None:
        raise NotFoundError("error.unknown_exchange")
    people = {p.id: p for p in await roster.by_ids(conn, record.players)}
    played = await store.moves(conn, record.id)
    game = ChessGame(
        record.white_id,
        record.black_id,
        [m.uci for m in played],
        result=stored_result(record),
        draw_offer=Color(record.draw_offer) if record.draw_offer else None,
    )
    tc = time_control_of(record)
    pauses = await pairing_store.pauses_of_space(conn, record.space_id)
    breaks = await break_store.of_exchange(conn, record.exchange_id)
    if breaks:
        # A player's school break stops the clocks as a pause does (both players').
        zones = {c.id: c.timezone for c in exchange.cities}
        cities = {c for c in (people[p].city_id for p in record.players) if c is not None}
        pauses = merged([*pauses, *break_stretches(breaks, zones, cities)])
    pair = await pairing_store.pair_by_space(conn, record.space_id)
    extra = await store.extensions(conn, record.id)
    times = tuple(m.played_at for m in played)
    clock = None
    if record.status is GameStatus.ACTIVE and record.started_at is not None:
        clock = clock_state(
            tc,
            record.started_at,
            times,
            now,
            first_to_move=game.first_to_move,
            pauses=pauses,
            extensions=extra,
        )

    def side(participant_id: int, color: Color) -> Player:
        person = people[participant_id]
        city = exchange.city(person.city_id).name if person.city_id is not None else "?"
        return Player(person.id, person.user_id, person.display_name, city, person.language, color)

    return GameView(
        record=record,
        exchange=exchange,
        white=side(record.white_id, Color.WHITE),
        black=side(record.black_id, Color.BLACK),
        game=game,
        time_control=tc,
        clock=clock,
        now=now,
        paused=pair is not None and pair.status == "paused",
        pauses=tuple(pauses),
        extensions=extra,
        move_times=times,
    )


async def find_record(
    conn: AsyncConnection, actor: Actor, game_id: int | None, channel_id: int | None
) -> store.GameRecord:
    """The game a command means: the one named (of this server), else the actor's only game in
    play (preferring the one in this channel when there are several)."""
    if game_id is not None:
        record = await store.get_game(conn, game_id)
        if record is None or record.guild_id != actor.guild_id:
            raise NotFoundError("chess.error.unknown_game", game=game_id)
        return record
    mine = [p.id for p in await roster.of_user(conn, actor.guild_id, actor.user_id)]
    running = await store.games_of(conn, mine, [GameStatus.ACTIVE]) if mine else []
    if not running:
        raise UserError("chess.error.no_game")
    if len(running) == 1:
        return running[0]
    here = [g for g in running if g.space_id == channel_id]
    if len(here) == 1:
        return here[0]
    raise UserError("chess.error.choose_game", games=", ".join(f"#{g.id}" for g in running[:10]))


# --- who may do what ---------------------------------------------------------------------------


def player_of(view: GameView, actor: Actor) -> Player:
    """The actor's side of the game; refused for anyone else."""
    me = view.of_user(actor.user_id)
    if me is None:
        raise NotAllowedError("chess.error.not_player", game=view.id)
    return me


def not_paused(view: GameView) -> None:
    """Teachers paused the game's space: chess waits with everything else there."""
    if view.paused:
        raise UserError("chess.error.space_paused")


def in_play(view: GameView) -> None:
    """Refuse unless the game is in play (and its space open)."""
    if view.status is GameStatus.OFFERED:
        raise UserError("chess.error.not_started", game=view.id)
    if view.status is not GameStatus.ACTIVE:
        raise UserError("chess.error.game_over", game=view.id)
    not_paused(view)


def refusal(error: ChessMoveError, view: GameView) -> UserError:
    """A domain refusal in words the user can act on."""
    reason = error.reason
    text = str(error.params.get("text", ""))
    if reason is MoveErrorReason.AMBIGUOUS:
        candidates = error.params.get("candidates", ())
        assert isinstance(candidates, tuple)
        return UserError("chess.error.ambiguous", text=text, moves=", ".join(candidates))
    if reason is MoveErrorReason.ILLEGAL:
        return UserError("chess.error.illegal", text=text)
    if reason is MoveErrorReason.UNPARSEABLE:
        return UserError("chess.error.unreadable", text=text)
    if reason is MoveErrorReason.NOT_YOUR_TURN:
        return UserError("chess.error.not_your_turn", name=view.to_move.name)
    if reason is MoveErrorReason.NOT_A_PLAYER:
        return NotAllowedError("chess.error.not_player", game=view.id)
    if reason is MoveErrorReason.GAME_OVER:
        return UserError("chess.error.game_over", game=view.id)
    if reason is MoveErrorReason.NO_DRAW_TO_CLAIM:
        return UserError("chess.error.no_draw_to_claim")
    return UserError("chess.error.no_draw_offer")


def time_error(error: TimeControlError) -> UserError:
    return UserError(f"chess.error.time_{error.reason.value}", **error.params)


async def may_see(conn: AsyncConnection, actor: Actor, view: GameView) -> None:
    """A game's board and PGN are for its players and the staff of its exchange."""
    if view.of_user(actor.user_id) is not None:
        return
    if not staff_of(await staff_scope(conn, actor), view.exchange.id):
        raise NotAllowedError("chess.error.not_player", game=view.id)


# --- what every change records -------------------------------------------------------------------


def send_prefix(game_id: int) -> str:
    """The start of the keys of every send planned for a game (deadlines, reminders, lapse)."""
    return f"chess:{game_id}:"


async def log(
    conn: AsyncConnection,
    record: store.GameRecord,
    kind: str,
    now: datetime,
    actor_id: int | None,
    **details: object,
) -> None:
    """A game's activity entry: ids and chess notation only, never anybody's text."""
    await audit(
        conn,
        By(record.guild_id, actor_id),
        kind,
        at=now,
        exchange_id=record.exchange_id,
        game=record.id,
        **details,
    )


async def log_ending(
    conn: AsyncConnection,
    record: store.GameRecord,
    result: GameResult,
    now: datetime,
    actor_id: int | None,
) -> None:
    await log(
        conn,
        record,
        "chess.finished",
        now,
        actor_id,
        result=result.pgn_result,
        termination=result.termination.value,
    )


def ended(view: GameView, result: GameResult, now: datetime) -> GameView:
    """The game as it stands once `result` (already applied to `view.game`) is stored."""
    record = dataclasses.replace(
        view.record,
        status=GameStatus.FINISHED,
        result=result.pgn_result,
        termination=result.termination.value,
        finished_at=now,
        deadline_at=None,
        draw_offer=None,
    )
    return dataclasses.replace(view, record=record, clock=None, now=now)


class Games:
    """The base of the chess service: the database, the clock, the scheduler, and loading,
    showing and ending a game. The other parts (clocks, challenges, play, league) build on it."""

    def __init__(self, db: Database, clock: Clock, scheduler: Rearm) -> None:
        self.db = db
        self.clock = clock
        self.scheduler = scheduler

    async def load(self, game_id: int) -> GameView:
        """A game by id, as it stands now."""
        async with self.db.read() as conn:
            record = await store.get_game(conn, game_id)
            if record is None:
                raise NotFoundError("chess.error.unknown_game", game=game_id)
            return await read_view(conn, record, self.clock.now())

    async def find(self, actor: Actor, game_id: int | None, channel_id: int | None) -> GameView:
        """The game a command means (see `find_record`), as it stands now."""
        async with self.db.read() as conn:
            record = await find_record(conn, actor, game_id, channel_id)
            return await read_view(conn, record, self.clock.now())

    async def _show(self, port: ChessPort, view: GameView, played: PlayedMove | None) -> None:
        """Post the new board and take the buttons off the one it replaces."""
        previous = view.record.board_message_id
        message_id = await port.show_board(view, played)
        if message_id is not None:
            async with self.db.transaction() as conn:
                await store.set_board_message(conn, view.id, view.record.ply, message_id)
        if previous is not None and previous != message_id:
            await port.retire_board(view.record.space_id, previous)

    async def _finish(
        self,
        view: GameView,
        result: GameResult,
        actor_id: int | None,
        port: ChessPort,
        *,
        ply: int | None,
    ) -> GameView:
        """Record an ending the moves do not show (applied to `view.game` already), then
        announce it with the final board.

        Its deadline and reminder are cancelled, and the scheduler is not re-armed for that:
        a wake-up that finds nothing due re-arms by itself.
        """
        record, now = view.record, self.clock.now()
        async with self.db.transaction() as conn:
            done = await store.finish(
                conn,
                record.id,
                result=result.pgn_result,
                termination=result.termination.value,
                now=now,
                ply=ply,
            )
            if not done:
                raise UserError("chess.error.position_changed", game=record.id)
            await sends.cancel_matching(conn, send_prefix(record.id), now)
            await log_ending(conn, record, result, now, actor_id)
        after = ended(view, result, now)
        await self._show(port, after, None)
        return after

    # -- reading ------------------------------------------------------------------------------

    async def look(self, actor: Actor, game_id: int | None, channel_id: int | None) -> GameView:
        """A game's current state for `/chess board`: its players and staff only."""
        async with self.db.read() as conn:
            record = await find_record(conn, actor, game_id, channel_id)
            view = await read_view(conn, record, self.clock.now())
            await may_see(conn, actor, view)
        return view

    async def pgn(self, actor: Actor, game_id: int) -> tuple[str, str]:
        """A game (finished or in play) as PGN: (file name, text). Players and staff only."""
        view = await self.look(actor, game_id, None)
        if view.status in (GameStatus.DECLINED, GameStatus.WITHDRAWN, GameStatus.EXPIRED):
            raise UserError("chess.error.never_played", game=view.id)
        record = view.record
        cities = view.exchange.cities
        played_on = (record.started_at or record.created_at).date()
        text = view.game.to_pgn(
            event=view.exchange.name,
            # A network's game is between two of its cities: the players'.
            cities=(cities[0].name, cities[1].name)
            if len(cities) == 2
            else (view.white.city, view.black.city),
            played_on=played_on,
            white_name=view.white.name,
            black_name=view.black.name,
            time_control=view.time_control,
            teams=(view.white.city, view.black.city),
        )
        return f"twinbridge-chess-{view.id}.pgn", text

    async def games(
        self, actor: Actor, student_user_id: int | None = None
    ) -> tuple[str, list[GameLine]]:
        """A student's games, newest first: one's own, or (for staff) any student's."""
        async with self.db.read() as conn:
            return await self._games(conn, actor, student_user_id)

    async def _games(
        self, conn: AsyncConnection, actor: Actor, student_user_id: int | None
    ) -> tuple[str, list[GameLine]]:
        user_id = actor.user_id
        scope: frozenset[int] | None = None
        if student_user_id is not None and student_user_id != actor.user_id:
            scope = await require_staff_scope(conn, actor)
            user_id = student_user_id
        people = await roster.of_user(conn, actor.guild_id, user_id)
        if scope is not None:
            # A teacher sees a student's games in the exchanges they are staff of only.
            theirs = [p for p in people if p.partnership_id in scope]
            if not scope or (people and not theirs):
                raise NotAllowedError("error.not_staff_here")
            people = theirs
        ids = [p.id for p in people]
        found = await store.games_of(conn, ids) if ids else []
        others = {
            p.id: p.display_name
            for p in await roster.by_ids(conn, [pid for g in found for pid in g.players])
        }
        name = people[0].display_name if people else ""
        lines = []
        for record in found:
            color = Color.WHITE if record.white_id in ids else Color.BLACK
            opponent = record.black_id if color is Color.WHITE else record.white_id
            to_move = Color.WHITE if record.ply % 2 == 0 else Color.BLACK
            result = stored_result(record)
            lines.append(
                GameLine(
                    id=record.id,
                    opponent=others.get(opponent, "?"),
                    color=color,
                    status=record.status,
                    my_turn=record.status is GameStatus.ACTIVE and to_move is color,
                    deadline=record.deadline_at,
                    result=record.result,
                    termination=record.termination,
                    score=result.score(color) if result else None,
                )
            )
        order = {GameStatus.ACTIVE: 0, GameStatus.OFFERED: 1}
        lines.sort(key=lambda line: (order.get(line.status, 2), -line.id))
        return name, lines

    async def game_choices(self, actor: Actor, typed: str, *, finished: bool) -> list[GameLine]:
        """Games to offer in a `game` option: the actor's own (all of the server's for staff)."""
        async with self.db.read() as conn:
            _, mine = await self._games(conn, actor, None)
            if not mine:
                mine = await self._every_game(conn, actor)
        wanted = (GameStatus.ACTIVE, GameStatus.FINISHED) if finished else (GameStatus.ACTIVE,)
        needle = typed.strip().lstrip("#").casefold()
        return [
            line
            for line in mine
            if line.status in wanted
            and (needle in line.opponent.casefold() or needle in str(line.id))
        ][:CHOICES]

    async def _every_game(self, conn: AsyncConnection, actor: Actor) -> list[GameLine]:
        """Staff: every game of their exchanges in play or finished, as "White – Black"."""
        scope = await staff_scope(conn, actor)
        if scope is not None and not scope:
            return []
        every: list[store.GameRecord] = []
        for exchange in await exchange_store.exchanges_in(conn, actor.guild_id):
            if not staff_of(scope, exchange.id):
                continue
            every += await store.games_in(
                conn, exchange.id, [GameStatus.ACTIVE, GameStatus.FINISHED]
            )
        names = {
            p.id: p.display_name
            for p in await roster.by_ids(conn, [pid for g in every for pid in g.players])
        }
        return [
            GameLine(
                id=g.id,
                opponent=f"{names.get(g.white_id, '?')} – {names.get(g.black_id, '?')}",
                color=Color.WHITE,
                status=g.status,
                my_turn=False,
                deadline=g.deadline_at,
                result=g.result,
                termination=g.termination,
                score=None,
            )
            for g in every
        ]
