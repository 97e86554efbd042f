"""Chess between partners: challenges, moves, draws, endings, clocks, PGN and standings.

Rules come from the domain (python-chess underneath); this module decides who may do what,
keeps games in the database, plans each deadline and reminder as a scheduled send, and tells
Discord what to show through `ChessPort`. Every change to a game is a conditional update on
its status and ply, so two clicks on the same position play exactly one move.

Bot downtime never costs a student a game: a deadline that passed while the bot was down (or,
in correspondence, whose reminder fell in the outage) is not a loss on time. At start-up such
a position gets a fair new deadline (`bot.domain.chess_game.deadline_after_outage`: a day for
correspondence, the clock of the last recorded move for live games), stored as a clock
extension, and the space is told why. Deadlines that pass while the bot is up end the game.
"""

from __future__ import annotations

import dataclasses
import math
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock
from bot.domain.chess_game import (
    ChessGame,
    ChessMoveError,
    ClockState,
    Color,
    GameResult,
    MoveErrorReason,
    MoveHint,
    Pause,
    PieceMoves,
    PlayedMove,
    Termination,
    TimeControl,
    TimeControlError,
    TimeControlKind,
    clock_state,
    deadline_after_outage,
    parse_time_control,
)
from bot.domain.chess_league import FinishedGame, League, league
from bot.domain.exchange import Exchange, Participant, Role
from bot.errors import NotAllowedError, NotFoundError, UserError
from bot.services import exchanges as exchange_service
from bot.services.access import Actor, require, standing
from bot.store import Database, roster, sends
from bot.store import activity as activity_log
from bot.store import chess as store
from bot.store import exchanges as exchange_store
from bot.store import pairing as pairing_store

STAFF = {"teacher", "coordinator"}
# A correspondence player hears this long before their deadline that a move is due.
REMINDER_BEFORE = timedelta(hours=6)
# An unanswered challenge lapses, so it never blocks the pair's game slot for good.
CHALLENGE_WAIT = {
    TimeControlKind.CORRESPONDENCE: timedelta(days=3),
    TimeControlKind.LIVE: timedelta(hours=1),
}
MAX_GAMES_PER_PAIR = 10

KIND_DEADLINE = "chess.deadline"
KIND_REMINDER = "chess.reminder"
KIND_EXPIRE = "chess.expire"


class Rearm(Protocol):
    """The scheduler, as far as chess needs it: re-read the sends after planning some, and
    since when it has been doing them on time (None: not yet)."""

    @property
    def up_since(self) -> datetime | None: ...

    async def rearm(self) -> None: ...


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
    # Time added per position after outages of the bot (see the module docstring).
    extensions: dict[int, timedelta] = dataclasses.field(default_factory=dict)

    @property
    def id(self) -> int:
        return self.record.id

    @property
    def status(self) -> str:
        return self.record.status

    @property
    def result(self) -> GameResult | None:
        return self.game.result if self.record.status == "finished" else None

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
class Moved:
    """What a move did: the move as understood, and the game after it."""

    played: PlayedMove
    view: GameView


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


@dataclass(frozen=True, slots=True)
class StandingRow:
    name: str
    city: str
    played: int
    wins: int
    draws: int
    losses: int
    points: float
    rating: int


@dataclass(frozen=True, slots=True)
class Standings:
    """An exchange's city-vs-city score and each student's results."""

    exchange: Exchange
    team_points: tuple[tuple[str, float], tuple[str, float]]
    rows: tuple[StandingRow, ...]
    games: int


@dataclass(frozen=True, slots=True)
class GameLine:
    """One game in a list: whom against, with which colour, and how it stands."""

    id: int
    opponent: str
    color: Color
    status: str
    my_turn: bool
    deadline: datetime | None
    result: str | None
    termination: str | None
    score: float | None  # for the player the list is about, once finished


class ChessPort(Protocol):
    """What chess needs from Discord; the cog implements it with discord.py."""

    async def can_play_in(self, channel_id: int, user_ids: Sequence[int]) -> str | None:
        """None if both players can see the channel and the bot can post boards there;
        otherwise an error key saying why not."""

    async def show_challenge(self, view: GameView) -> int | None:
        """Post the challenge with Accept and Decline; returns the message id."""

    async def close_challenge(self, view: GameView) -> None:
        """Mark the challenge message answered (accepted, declined, withdrawn, expired)."""

    async def show_board(self, view: GameView, played: PlayedMove | None) -> int | None:
        """Post the board: a "your turn" notice in play, the ending once over; returns its id."""

    async def retire_board(self, space_id: int, message_id: int) -> None:
        """Take the buttons off a board that a newer one replaced."""

    async def notice(self, view: GameView, kind: str, by: Player) -> None:
        """Post a short notice in the game's space ("draw_offered", "draw_declined")."""

    async def remind(self, view: GameView) -> None:
        """Tell the player to move that their deadline is near."""

    async def extended(self, view: GameView) -> None:
        """Tell the player to move that the bot was down when their time ran out (or their
        reminder was due), so they have until the new deadline."""


PortFor = Callable[[int], Awaitable[ChessPort | None]]


# --- loading -----------------------------------------------------------------------------------


def _time_control(record: store.GameRecord) -> TimeControl:
    return TimeControl(
        TimeControlKind(record.time_kind),
        timedelta(seconds=record.base_seconds),
        timedelta(seconds=record.increment_seconds),
    )


def _stored_result(record: store.GameRecord) -> GameResult | None:
    if record.status != "finished" or record.result is None or record.termination is None:
        return None
    winner = {"1-0": Color.WHITE, "0-1": Color.BLACK}.get(record.result)
    return GameResult(winner, Termination(record.termination))


async def _view(conn: AsyncConnection, record: store.GameRecord, now: datetime) -> GameView:
    exchange = await exchange_store.get_exchange(conn, record.guild_id, record.exchange_id)
    if exchange is None:
        raise NotFoundError("error.unknown_exchange")
    people = {p.id: p for p in await roster.by_ids(conn, record.players)}
    played = await store.moves(conn, record.id)
    game = ChessGame(
        record.white_id,
        record.black_id,
        [m.uci for m in played],
        result=_stored_result(record),
        draw_offer=Color(record.draw_offer) if record.draw_offer else None,
    )
    tc = _time_control(record)
    pauses = await pairing_store.pauses_of_space(conn, record.space_id)
    pair = await pairing_store.pair_by_space(conn, record.space_id)
    extra = await store.extensions(conn, record.id)
    clock = None
    if record.status == "active" and record.started_at is not None:
        clock = clock_state(
            tc,
            record.started_at,
            [m.played_at for m in played],
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
    )


async def load(db: Database, clock: Clock, game_id: int) -> GameView:
    """A game by id, as it stands now."""
    async with db.read() as conn:
        record = await store.get_game(conn, game_id)
        if record is None:
            raise NotFoundError("chess.error.unknown_game", game=game_id)
        return await _view(conn, record, clock.now())


async def _record_in_guild(db: Database, actor: Actor, game_id: int) -> store.GameRecord:
    async with db.read() as conn:
        record = await store.get_game(conn, game_id)
    if record is None or record.guild_id != actor.guild_id:
        raise NotFoundError("chess.error.unknown_game", game=game_id)
    return record


async def _my_ids(db: Database, actor: Actor) -> list[int]:
    async with db.read() as conn:
        return [p.id for p in await roster.of_user(conn, actor.guild_id, actor.user_id)]


async def resolve(
    db: Database, actor: Actor, game_id: int | None, channel_id: int | None
) -> store.GameRecord:
    """The game a command means: the one named, else the actor's only game in play (preferring
    the one in this channel when there are several)."""
    if game_id is not None:
        return await _record_in_guild(db, actor, game_id)
    mine = await _my_ids(db, actor)
    async with db.read() as conn:
        running = await store.games_of(conn, mine, ["active"]) if mine else []
    if not running:
        raise UserError("chess.error.no_game")
    if len(running) == 1:
        return running[0]
    here = [g for g in running if g.space_id == channel_id]
    if len(here) == 1:
        return here[0]
    raise UserError("chess.error.choose_game", games=", ".join(f"#{g.id}" for g in running[:10]))


def _player(view: GameView, actor: Actor) -> Player:
    me = view.of_user(actor.user_id)
    if me is None:
        raise NotAllowedError("chess.error.not_player", game=view.id)
    return me


def _not_paused(view: GameView) -> None:
    """Teachers paused the game's space: chess waits with everything else there."""
    if view.paused:
        raise UserError("chess.error.space_paused")


def _in_play(view: GameView) -> None:
    if view.status == "offered":
        raise UserError("chess.error.not_started", game=view.id)
    if view.status != "active":
        raise UserError("chess.error.game_over", game=view.id)
    _not_paused(view)


def _refusal(error: ChessMoveError, view: GameView) -> UserError:
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


def _time_error(error: TimeControlError) -> UserError:
    return UserError(f"chess.error.time_{error.reason.value}", **error.params)


# --- sends: deadlines, reminders, lapsing challenges ---------------------------------------------


def _prefix(game_id: int) -> str:
    return f"chess:{game_id}:"


def _position_key(game_id: int, ply: int, extended_to: datetime | None = None) -> str:
    """The start of the send keys for a position's deadline and reminder; a position whose
    clock was extended gets new ones (the earlier ones are done or cancelled)."""
    if extended_to is None:
        return f"{_prefix(game_id)}{ply}"
    return f"{_prefix(game_id)}{ply}@{int(extended_to.timestamp())}"


async def _plan_clock(
    conn: AsyncConnection,
    record: store.GameRecord,
    ply: int,
    deadline: datetime,
    now: datetime,
    *,
    tag: str = "",
    extended: bool = False,
) -> None:
    """The deadline of the position after `ply`, and for correspondence a reminder before it.

    `tag` tells apart a deadline planned again for the same position (after a pause).
    """
    payload = {"game": record.id, "ply": ply}
    key = _position_key(record.id, ply, deadline if extended else None)
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


async def _log(
    conn: AsyncConnection,
    record: store.GameRecord,
    kind: str,
    now: datetime,
    actor_id: int | None,
    **details: object,
) -> None:
    await activity_log.append(
        conn,
        at=now,
        guild_id=record.guild_id,
        partnership_id=record.exchange_id,
        actor_id=actor_id,
        kind=kind,
        details={"game": record.id, **details},
    )


async def _show(db: Database, port: ChessPort, view: GameView, played: PlayedMove | None) -> None:
    """Post the new board and take the buttons off the one it replaces."""
    previous = view.record.board_message_id
    message_id = await port.show_board(view, played)
    if message_id is not None:
        async with db.transaction() as conn:
            await store.set_board_message(conn, view.id, view.record.ply, message_id)
    if previous is not None and previous != message_id:
        await port.retire_board(view.record.space_id, previous)


# --- paused spaces ------------------------------------------------------------------------------


async def hold_clocks(conn: AsyncConnection, space_id: int, now: datetime) -> None:
    """The space was just paused: its games' clocks stop (in the caller's transaction).

    Their deadline and reminder are cancelled and no deadline is kept, so neither a send nor
    the start-up sweep can end a game on time, nor ping a player, while nobody may move.
    """
    for record in await store.in_space(conn, space_id, "active"):
        await sends.cancel_matching(conn, _prefix(record.id), now)
        await store.set_deadline(conn, record.id, record.ply, None)


async def restart_clocks(conn: AsyncConnection, space_id: int, now: datetime) -> None:
    """The space was just reopened: its games' clocks run again from where they stopped.

    Call after the pause is closed, in the same transaction: the new deadline leaves out the
    paused time, and a deadline and reminder are planned for it.
    """
    for record in await store.in_space(conn, space_id, "active"):
        view = await _view(conn, record, now)
        if view.clock is None:
            continue
        deadline = view.clock.deadline
        await store.set_deadline(conn, record.id, record.ply, deadline)
        tag = f":resumed-{int(now.timestamp())}"
        await _plan_clock(conn, record, record.ply, deadline, now, tag=tag)


# --- challenges ---------------------------------------------------------------------------------


def _active_student(found: Participant | None) -> bool:
    return found is not None and found.role is Role.STUDENT and found.status == "active"


async def _parties(
    db: Database, actor: Actor, opponent_user_id: int, exchange_id: int | None
) -> tuple[Exchange, Participant, Participant]:
    """The exchange both play in, the challenger and the opponent (active students)."""
    if opponent_user_id == actor.user_id:
        raise UserError("chess.error.self")
    async with db.read() as conn:
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
    exchange = await exchange_service.get(db, actor.guild_id, me.partnership_id)
    return exchange, me, them


async def challenge(
    db: Database,
    clock: Clock,
    scheduler: Rearm,
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
        raise _time_error(error) from None
    exchange, me, them = await _parties(db, actor, opponent_user_id, exchange_id)
    async with db.read() as conn:
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
    async with db.read() as conn:
        space_pair = await pairing_store.pair_by_space(conn, space_id)
    if space_pair is not None and space_pair.status == "paused":
        raise UserError("chess.error.space_paused")
    if space_pair is not None and space_pair.status == "archived":
        # An ended pair's space stays readable, not a place for new games.
        raise UserError("chess.error.space_ended")
    if colour == "random":
        colour = secrets.choice(("white", "black"))
    white, black = (me, them) if colour == "white" else (them, me)
    now = clock.now()
    async with db.transaction() as conn:
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
            expires_at=now + CHALLENGE_WAIT[tc.kind],
            now=now,
        )
        # Counted again after the insert, in its transaction: of two challenges sent at the
        # same moment (each player challenging the other), the second finds the first.
        await _within_pair_limit(
            conn, exchange.id, (me.id, them.id), them.display_name, store.OPEN, game_id
        )
        await sends.plan(
            conn,
            key=f"{_prefix(game_id)}offer",
            kind=KIND_EXPIRE,
            due_at=now + CHALLENGE_WAIT[tc.kind],
            guild_id=actor.guild_id,
            partnership_id=exchange.id,
            payload={"game": game_id},
        )
        record = await store.get_game(conn, game_id)
        assert record is not None
        await _log(
            conn,
            record,
            "chess.challenged",
            now,
            actor.user_id,
            time_control=tc.text,
            colour=colour,
        )
    await scheduler.rearm()
    view = await load(db, clock, game_id)
    message_id = await port.show_challenge(view)
    if message_id is not None:
        async with db.transaction() as conn:
            await store.set_challenge_message(conn, game_id, message_id)
    return view


async def answer_challenge(
    db: Database,
    clock: Clock,
    scheduler: Rearm,
    actor: Actor,
    game_id: int,
    accept: bool,
    port: ChessPort,
) -> GameView:
    """The challenged student accepts or declines; the challenger may withdraw."""
    record = await _record_in_guild(db, actor, game_id)
    view = await load(db, clock, record.id)
    me = _player(view, actor)
    if view.status != "offered":
        raise UserError("chess.error.challenge_closed", game=view.id)
    _not_paused(view)
    mine = me.participant_id == record.challenger_id
    if accept and mine:
        raise UserError("chess.error.own_challenge")
    now = clock.now()
    async with db.transaction() as conn:
        if accept:
            deadline = now + view.time_control.base
            changed = await store.start(conn, record.id, now, deadline)
        else:
            status = "withdrawn" if mine else "declined"
            changed = await store.close_offer(conn, record.id, status, now)
        if not changed:
            raise UserError("chess.error.challenge_closed", game=view.id)
        if accept:
            # Games in play counted after the start, in its transaction: two challenges made
            # while a teacher allowed more cannot both start once the limit is lower again,
            # even when both are accepted at the same moment.
            pair = (me.participant_id, view.challenger.participant_id)
            await _within_pair_limit(
                conn, record.exchange_id, pair, view.challenger.name, ("active",), record.id
            )
        await sends.cancel_matching(conn, _prefix(record.id), now)
        if accept:
            await _plan_clock(conn, record, 0, deadline, now)
            await _log(conn, record, "chess.accepted", now, actor.user_id)
        else:
            await _log(conn, record, f"chess.{status}", now, actor.user_id)
    await scheduler.rearm()
    view = await load(db, clock, record.id)
    await port.close_challenge(view)
    if accept:
        await _show(db, port, view, None)
    return view


async def _within_pair_limit(
    conn: AsyncConnection,
    exchange_id: int,
    pair: tuple[int, int],
    opponent_name: str,
    statuses: Sequence[str],
    game_id: int | None = None,
) -> None:
    """Refuse (rolling the transaction back) if two students have more games in these
    statuses than their exchange allows, counting the one just added or started.

    Called after the write that adds or starts the game, in the same transaction: the write
    takes the database's write lock first, so a concurrent attempt counts only once this one
    is committed or rolled back.
    """
    allowed = await store.games_per_pair(conn, exchange_id)
    if await store.count_between(conn, *pair, statuses) <= allowed:
        return
    games = await store.open_between(conn, *pair)
    others = [g.id for g in games if g.status in statuses and g.id != game_id]
    raise UserError(
        "chess.error.pair_limit",
        name=opponent_name,
        game=others[0] if others else games[0].id,
        limit=allowed,
    )


async def expire_challenge(
    db: Database, clock: Clock, game_id: int, port: ChessPort
) -> GameView | None:
    """An unanswered challenge lapses (scheduled); None if it was answered meanwhile."""
    now = clock.now()
    async with db.transaction() as conn:
        record = await store.get_game(conn, game_id)
        if record is None or not await store.close_offer(conn, game_id, "expired", now):
            return None
        await _log(conn, record, "chess.expired", now, None)
    view = await load(db, clock, game_id)
    await port.close_challenge(view)
    return view


# --- moves --------------------------------------------------------------------------------------


async def _settle_clock(
    db: Database, clock: Clock, scheduler: Rearm, view: GameView, port: ChessPort
) -> GameView:
    """The game as a move, offer or claim finds it: a deadline that passed while the bot was
    up ends the game on time instead (its scheduled send may not have fired yet); one that
    passed while the bot was down is extended first (see the module docstring)."""
    if view.clock is None or not view.clock.flagged:
        return view
    if _ran_out_while_down(view, scheduler):
        await _extend_after_outage(db, clock, scheduler, view, port)
        return await load(db, clock, view.id)
    await time_out(db, clock, scheduler, view.id, view.record.ply, port)
    raise UserError("chess.error.out_of_time", game=view.id)


def _offer_value(color: Color | None) -> str | None:
    return color.value if color is not None else None


async def play(
    db: Database,
    clock: Clock,
    scheduler: Rearm,
    actor: Actor,
    *,
    game_id: int | None,
    text: str,
    port: ChessPort,
    channel_id: int | None = None,
    expected_ply: int | None = None,
) -> Moved:
    """Play what the student typed or picked (SAN, UCI, forgiving case) and show the board.

    `expected_ply` (from the move picker) refuses a move chosen on an older position.
    """
    record = await resolve(db, actor, game_id, channel_id)
    view = await load(db, clock, record.id)
    me = _player(view, actor)
    _in_play(view)
    if expected_ply is not None and expected_ply != view.record.ply:
        raise UserError("chess.error.position_changed", game=view.id)
    view = await _settle_clock(db, clock, scheduler, view, port)
    game = view.game
    try:
        played = game.play(me.participant_id, text)
    except ChessMoveError as error:
        raise _refusal(error, view) from None
    await _store_move(db, clock, scheduler, view, actor.user_id, played, game.draw_offer)
    after = await load(db, clock, record.id)
    await _show(db, port, after, played)
    return Moved(played, after)


async def _store_move(
    db: Database,
    clock: Clock,
    scheduler: Rearm,
    view: GameView,
    user_id: int,
    played: PlayedMove,
    draw_offer: Color | None,
) -> None:
    record, now = view.record, clock.now()
    result = played.result
    deadline = None
    if result is None:
        assert record.started_at is not None
        before, extra = await _clock_history(db, record.id)
        deadline = clock_state(
            view.time_control,
            record.started_at,
            [*before, now],
            now,
            first_to_move=view.game.first_to_move,
            pauses=view.pauses,
            extensions=extra,
        ).deadline
    async with db.transaction() as conn:
        done = await store.record_move(
            conn,
            record.id,
            ply_before=record.ply,
            uci=played.uci,
            san=played.san,
            played_by=user_id,
            now=now,
            deadline=deadline,
            draw_offer=_offer_value(draw_offer),
            result=result.pgn_result if result else None,
            termination=result.termination.value if result else None,
        )
        if not done:
            # Someone else changed the game first (a double click, the opponent resigning…).
            raise UserError("chess.error.position_changed", game=record.id)
        await sends.cancel_matching(conn, _prefix(record.id), now)
        if deadline is not None:
            await _plan_clock(conn, record, record.ply + 1, deadline, now)
        await _log(conn, record, "chess.moved", now, user_id, ply=record.ply + 1, uci=played.uci)
        if result is not None:
            await _log_ending(conn, record, result, now, user_id)
    await scheduler.rearm()


async def _clock_history(db: Database, game_id: int) -> tuple[list[datetime], dict[int, timedelta]]:
    """What a game's clocks are derived from: its move times and any clock extensions."""
    async with db.read() as conn:
        times = [m.played_at for m in await store.moves(conn, game_id)]
        return times, await store.extensions(conn, game_id)


async def _log_ending(
    conn: AsyncConnection,
    record: store.GameRecord,
    result: GameResult,
    now: datetime,
    actor_id: int | None,
) -> None:
    await _log(
        conn,
        record,
        "chess.finished",
        now,
        actor_id,
        result=result.pgn_result,
        termination=result.termination.value,
    )


async def picker(db: Database, clock: Clock, actor: Actor, game_id: int) -> Picker:
    """The legal moves for the Move button: only the player to move gets them."""
    record = await _record_in_guild(db, actor, game_id)
    view = await load(db, clock, record.id)
    me = _player(view, actor)
    _in_play(view)
    if view.game.turn is not me.color:
        raise UserError("chess.error.not_your_turn", name=view.to_move.name)
    return Picker(view, view.game.legal_moves_by_piece())


async def move_hints(
    db: Database,
    clock: Clock,
    actor: Actor,
    game_id: int | None,
    channel_id: int | None,
    typed: str,
) -> list[MoveHint]:
    """Legal moves matching what the player to move has typed (for autocomplete)."""
    try:
        record = await resolve(db, actor, game_id, channel_id)
        view = await load(db, clock, record.id)
    except UserError:
        return []
    me = view.of_user(actor.user_id)
    if me is None or view.status != "active" or view.paused or view.game.turn is not me.color:
        return []
    return view.game.move_hints(typed)


# --- endings ------------------------------------------------------------------------------------


async def _finish(
    db: Database,
    clock: Clock,
    scheduler: Rearm,
    view: GameView,
    result: GameResult,
    actor_id: int | None,
    port: ChessPort,
    *,
    ply: int | None,
) -> GameView:
    """Record an ending the moves do not show, then announce it with the final board."""
    record, now = view.record, clock.now()
    async with db.transaction() as conn:
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
        await sends.cancel_matching(conn, _prefix(record.id), now)
        await _log_ending(conn, record, result, now, actor_id)
    await scheduler.rearm()
    after = await load(db, clock, record.id)
    await _show(db, port, after, None)
    return after


async def resignable(
    db: Database, clock: Clock, actor: Actor, game_id: int | None, channel_id: int | None
) -> tuple[GameView, Player]:
    """The game a player may resign, and their opponent (to ask "resign against X?")."""
    record = await resolve(db, actor, game_id, channel_id)
    view = await load(db, clock, record.id)
    me = _player(view, actor)
    _in_play(view)
    return view, view.player(me.color.other)


async def resign(
    db: Database,
    clock: Clock,
    scheduler: Rearm,
    actor: Actor,
    game_id: int | None,
    port: ChessPort,
    channel_id: int | None = None,
) -> GameView:
    """A player gives up; the opponent wins."""
    record = await resolve(db, actor, game_id, channel_id)
    view = await load(db, clock, record.id)
    me = _player(view, actor)
    _in_play(view)
    result = view.game.resign(me.participant_id)
    return await _finish(db, clock, scheduler, view, result, actor.user_id, port, ply=None)


async def offer_draw(
    db: Database,
    clock: Clock,
    scheduler: Rearm,
    actor: Actor,
    game_id: int | None,
    port: ChessPort,
    channel_id: int | None = None,
    *,
    before_offer: Callable[[], None] | None = None,
) -> DrawAnswer:
    """Offer a draw; if the opponent already offered one, this agrees it.

    `before_offer` runs just before a new offer (which pings the opponent) is recorded, never
    before an agreement; it raises to refuse (the cog's per-student limit on pings).
    """
    record = await resolve(db, actor, game_id, channel_id)
    view = await load(db, clock, record.id)
    me = _player(view, actor)
    _in_play(view)
    view = await _settle_clock(db, clock, scheduler, view, port)
    if view.game.draw_offer is me.color:
        raise UserError("chess.error.draw_already_offered")
    agreed = view.game.offer_draw(me.participant_id)
    if agreed is not None:
        after = await _finish(
            db, clock, scheduler, view, agreed, actor.user_id, port, ply=view.record.ply
        )
        return DrawAnswer(after, agreed=True)
    if before_offer is not None:
        before_offer()
    now = clock.now()
    async with db.transaction() as conn:
        if not await store.set_draw_offer(conn, record.id, view.record.ply, me.color.value):
            raise UserError("chess.error.position_changed", game=record.id)
        await _log(conn, record, "chess.draw_offered", now, actor.user_id)
    after = await load(db, clock, record.id)
    await port.notice(after, "draw_offered", me)
    return DrawAnswer(after, agreed=False)


async def answer_draw(
    db: Database,
    clock: Clock,
    scheduler: Rearm,
    actor: Actor,
    game_id: int,
    accept: bool,
    port: ChessPort,
    *,
    expected_ply: int | None = None,
) -> GameView:
    """The opponent of a standing draw offer accepts or declines it.

    `expected_ply` (from the offer's buttons) ties the answer to the position it was made in:
    an offer lapses once a move is played.
    """
    record = await _record_in_guild(db, actor, game_id)
    view = await load(db, clock, record.id)
    me = _player(view, actor)
    _in_play(view)
    stale = expected_ply is not None and expected_ply != view.record.ply
    if stale or view.game.draw_offer is not me.color.other:
        raise UserError("chess.error.no_draw_offer")
    if accept:
        view = await _settle_clock(db, clock, scheduler, view, port)
        result = view.game.accept_draw(me.participant_id)
        return await _finish(
            db, clock, scheduler, view, result, actor.user_id, port, ply=view.record.ply
        )
    now = clock.now()
    async with db.transaction() as conn:
        if not await store.set_draw_offer(conn, record.id, view.record.ply, None):
            raise UserError("chess.error.position_changed", game=record.id)
        await _log(conn, record, "chess.draw_declined", now, actor.user_id)
    after = await load(db, clock, record.id)
    await port.notice(after, "draw_declined", me)
    return after


async def claim_draw(
    db: Database,
    clock: Clock,
    scheduler: Rearm,
    actor: Actor,
    game_id: int | None,
    move: str | None,
    port: ChessPort,
    channel_id: int | None = None,
) -> GameView:
    """The player to move claims threefold repetition or the 50-move rule, optionally with
    the move that brings it about."""
    record = await resolve(db, actor, game_id, channel_id)
    view = await load(db, clock, record.id)
    me = _player(view, actor)
    _in_play(view)
    view = await _settle_clock(db, clock, scheduler, view, port)
    try:
        result, played = view.game.claim_draw(me.participant_id, move)
    except ChessMoveError as error:
        raise _refusal(error, view) from None
    if played is None:
        return await _finish(
            db, clock, scheduler, view, result, actor.user_id, port, ply=view.record.ply
        )
    # The claiming move and the claim are stored together: the move carries the result.
    played = dataclasses.replace(played, result=result)
    await _store_move(db, clock, scheduler, view, actor.user_id, played, None)
    after = await load(db, clock, record.id)
    await _show(db, port, after, played)
    return after


async def time_out(
    db: Database, clock: Clock, scheduler: Rearm, game_id: int, ply: int, port: ChessPort
) -> GameView | None:
    """The side to move ran out of time in the position after `ply` (scheduled, or noticed
    on a late move); None if the game moved on or is not out of time, or if the time ran out
    while the bot was down (then the position gets a fair new deadline instead)."""
    view = await load(db, clock, game_id)
    if view.status != "active" or view.record.ply != ply:
        return None
    if view.clock is None or not view.clock.flagged:
        return None
    if _ran_out_while_down(view, scheduler):
        await _extend_after_outage(db, clock, scheduler, view, port)
        return None
    result = view.game.time_out(view.game.turn)
    try:
        return await _finish(db, clock, scheduler, view, result, None, port, ply=ply)
    except UserError:
        return None  # a move or another ending got there first


async def remind(db: Database, clock: Clock, game_id: int, ply: int, port: ChessPort) -> bool:
    """Remind the player to move of their deadline (scheduled); False if no longer due."""
    view = await load(db, clock, game_id)
    if view.status != "active" or view.record.ply != ply or view.paused:
        return False
    if view.clock is not None and view.clock.deadline - clock.now() > REMINDER_BEFORE:
        return False  # the clock stopped for a while: a re-planned reminder comes later
    await port.remind(view)
    return True


def _ran_out_while_down(view: GameView, scheduler: Rearm) -> bool:
    """Whether the side to move ran out before the bot was up to end the game on time."""
    up_since = scheduler.up_since
    return view.clock is not None and (up_since is None or view.clock.deadline < up_since)


async def _reminder_missed(db: Database, view: GameView, scheduler: Rearm) -> bool:
    """Whether a correspondence player's reminder fell due while the bot was down and was
    never sent (so, at start-up, they could lose without having been reminded)."""
    if view.clock is None or view.time_control.kind is not TimeControlKind.CORRESPONDENCE:
        return False
    up_since = scheduler.up_since
    if up_since is not None and view.clock.deadline - REMINDER_BEFORE >= up_since:
        return False
    ply = view.record.ply
    extended_to = view.clock.deadline if ply in view.extensions else None
    key = f"{_position_key(view.id, ply, extended_to)}:remind"
    async with db.read() as conn:
        found = await sends.by_keys(conn, [key])
    return not any(s.status == "sent" for s in found)


async def _extend_after_outage(
    db: Database, clock: Clock, scheduler: Rearm, view: GameView, port: ChessPort
) -> GameView | None:
    """Give the position a fair new deadline after an outage, re-plan its deadline and
    reminder, and tell the space why; None if another path did it first."""
    record, now = view.record, clock.now()
    assert view.clock is not None and record.started_at is not None
    times, extra = await _clock_history(db, record.id)
    # The clock the player had when the position began, before any earlier outage of it.
    earlier = {ply: time for ply, time in extra.items() if ply != record.ply}
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
    async with db.transaction() as conn:
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
        await sends.cancel_matching(conn, _prefix(record.id), now)
        await _plan_clock(conn, record, record.ply, deadline, now, extended=True)
        await _log(
            conn,
            record,
            "chess.clock_extended",
            now,
            None,
            ply=record.ply,
            seconds=seconds,
            reason="outage",
        )
    await scheduler.rearm()
    after = await load(db, clock, record.id)
    await port.extended(after)
    return after


async def sweep(db: Database, clock: Clock, scheduler: Rearm, port_for: PortFor) -> tuple[int, int]:
    """At start-up, before the sends that fell due while the bot was down: close challenges
    that lapsed, and give a fair new deadline to every game whose time ran out (or whose
    correspondence reminder fell due) during the outage. Returns (lapsed, extended).

    The scheduler records a send missed by more than its grace window instead of running it,
    so without this sweep a game caught by the outage would wait forever.
    """
    now = clock.now()
    async with db.read() as conn:
        # Correspondence games whose reminder fell in the outage are due for a look too.
        due = await store.overdue(conn, now + REMINDER_BEFORE)
    lapsed = extended = 0
    for record in due:
        port = await port_for(record.guild_id)
        if port is None:
            continue
        if record.status == "offered":
            if record.deadline_at is not None and record.deadline_at <= now:
                lapsed += await expire_challenge(db, clock, record.id, port) is not None
            continue
        view = await load(db, clock, record.id)
        if view.status != "active" or view.clock is None:
            continue
        if view.clock.flagged:
            if not _ran_out_while_down(view, scheduler):
                await time_out(db, clock, scheduler, record.id, record.ply, port)
                continue
        elif not await _reminder_missed(db, view, scheduler):
            continue
        extended += await _extend_after_outage(db, clock, scheduler, view, port) is not None
    return lapsed, extended


# --- PGN, lists, standings, settings -------------------------------------------------------------


async def _may_see(db: Database, actor: Actor, view: GameView) -> None:
    if view.of_user(actor.user_id) is not None:
        return
    if not (await standing(db, actor)).staff:
        raise NotAllowedError("chess.error.not_player", game=view.id)


async def look(
    db: Database, clock: Clock, actor: Actor, game_id: int | None, channel_id: int | None
) -> GameView:
    """A game's current state for `/chess board`: its players and staff only."""
    record = await resolve(db, actor, game_id, channel_id)
    view = await load(db, clock, record.id)
    await _may_see(db, actor, view)
    return view


async def pgn(db: Database, clock: Clock, actor: Actor, game_id: int) -> tuple[str, str]:
    """A game (finished or in play) as PGN: (file name, text). Players and staff only."""
    record = await _record_in_guild(db, actor, game_id)
    view = await load(db, clock, record.id)
    await _may_see(db, actor, view)
    if view.status in ("declined", "withdrawn", "expired"):
        raise UserError("chess.error.never_played", game=view.id)
    cities = view.exchange.cities
    played_on = (record.started_at or record.created_at).date()
    text = view.game.to_pgn(
        event=view.exchange.name,
        cities=(cities[0].name, cities[1].name),
        played_on=played_on,
        white_name=view.white.name,
        black_name=view.black.name,
        time_control=view.time_control,
        teams=(view.white.city, view.black.city),
    )
    return f"twinbridge-chess-{view.id}.pgn", text


async def games(
    db: Database, actor: Actor, student_user_id: int | None = None
) -> tuple[str, list[GameLine]]:
    """A student's games, newest first: one's own, or (for staff) any student's."""
    user_id = actor.user_id
    if student_user_id is not None and student_user_id != actor.user_id:
        if not (await standing(db, actor)).staff:
            raise NotAllowedError("error.only_teacher")
        user_id = student_user_id
    async with db.read() as conn:
        people = await roster.of_user(conn, actor.guild_id, user_id)
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
        result = _stored_result(record)
        lines.append(
            GameLine(
                id=record.id,
                opponent=others.get(opponent, "?"),
                color=color,
                status=record.status,
                my_turn=record.status == "active" and to_move is color,
                deadline=record.deadline_at,
                result=record.result,
                termination=record.termination,
                score=result.score(color) if result else None,
            )
        )
    order = {"active": 0, "offered": 1}
    lines.sort(key=lambda line: (order.get(line.status, 2), -line.id))
    return name, lines


async def game_choices(db: Database, actor: Actor, typed: str, *, finished: bool) -> list[GameLine]:
    """Games to offer in a `game` option: the actor's own (all of the guild's for staff)."""
    _, mine = await games(db, actor)
    if not mine and (await standing(db, actor)).staff:
        async with db.read() as conn:
            every = []
            for exchange in await exchange_store.exchanges_in(conn, actor.guild_id):
                every += await store.games_in(conn, exchange.id, ["active", "finished"])
            names = {
                p.id: p.display_name
                for p in await roster.by_ids(conn, [pid for g in every for pid in g.players])
            }
        mine = [
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
    wanted = ("active", "finished") if finished else ("active",)
    needle = typed.strip().lstrip("#").casefold()
    return [
        line
        for line in mine
        if line.status in wanted and (needle in line.opponent.casefold() or needle in str(line.id))
    ][:25]


async def standings(db: Database, actor: Actor, exchange_id: int | None) -> Standings:
    """The exchange's city-vs-city score and every student's results and rating.

    Students' names and results are for the exchange's own people: its participants and staff.
    """
    exchange = await exchange_service.get(db, actor.guild_id, exchange_id)
    async with db.read() as conn:
        member = await roster.find(conn, exchange.id, actor.user_id)
    if (member is None or member.status == "removed") and not (await standing(db, actor)).staff:
        raise NotAllowedError("chess.error.not_in_this_exchange")
    async with db.read() as conn:
        done = await store.finished(conn, exchange.id)
        people = {
            p.id: p
            for p in await roster.listing(
                conn, exchange.id, role=Role.STUDENT, statuses=("active", "paused", "removed")
            )
        }
    results = []
    for record in done:
        result = _stored_result(record)
        if result is not None:
            results.append(
                FinishedGame(record.white_id, record.black_id, result.score(Color.WHITE))
            )
    team_of = {pid: person.city_id or 0 for pid, person in people.items()}
    table: League = league(results, team_of, teams=[c.id for c in exchange.cities])
    rows = tuple(
        StandingRow(
            name=people[r.player].display_name,
            city=exchange.city(r.team).name if r.team else "?",
            played=r.played,
            wins=r.wins,
            draws=r.draws,
            losses=r.losses,
            points=r.points,
            rating=r.rating,
        )
        for r in table.players
    )
    first, second = exchange.cities
    return Standings(
        exchange=exchange,
        team_points=(
            (first.name, table.team_points.get(first.id, 0.0)),
            (second.name, table.team_points.get(second.id, 0.0)),
        ),
        rows=rows,
        games=len(results),
    )


async def set_games_per_pair(
    db: Database, clock: Clock, actor: Actor, exchange_id: int | None, games_allowed: int
) -> Exchange:
    """Teachers choose how many games two students may have going at once."""
    await require(db, actor, STAFF)
    if not 1 <= games_allowed <= MAX_GAMES_PER_PAIR:
        raise UserError("chess.error.limit_range", limit=MAX_GAMES_PER_PAIR)
    exchange = await exchange_service.get(db, actor.guild_id, exchange_id)
    now = clock.now()
    async with db.transaction() as conn:
        await store.set_games_per_pair(conn, exchange.id, games_allowed, actor.user_id, now)
        await activity_log.append(
            conn,
            at=now,
            guild_id=actor.guild_id,
            partnership_id=exchange.id,
            actor_id=actor.user_id,
            kind="chess.limit_set",
            details={"games_per_pair": games_allowed},
        )
    return exchange
