"""Chess between partners: what students type, game state, endings, clocks, PGN and ratings.

Every rule comes from python-chess; this module adds what an exchange needs around it. A game is
rebuilt from stored plain values (players, optional start FEN, UCI moves, any ending the moves
cannot show, a standing draw offer) and clocks from stored move timestamps, so a restart loses
nothing. Errors carry a machine-readable reason; the service layer words them for people.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

import chess
import chess.pgn

from bot.domain.text import ascii_digits, echo

# Discord's limits: an embed description and an autocomplete answer.
EMBED_DESCRIPTION_LIMIT = 4096
AUTOCOMPLETE_LIMIT = 25

DEFAULT_RATING = 1200
DEFAULT_K_FACTOR = 32

CORRESPONDENCE_DAYS = (1, 2, 3)
# After an outage of the bot (see `deadline_after_outage`): a correspondence player gets a day
# to move from start-up; a live player at least this long.
OUTAGE_GRACE = timedelta(hours=24)
LIVE_OUTAGE_MINIMUM = timedelta(minutes=1)
DEFAULT_CORRESPONDENCE_DAYS = 2
LIVE_MINUTES_RANGE = (1, 180)
LIVE_INCREMENT_RANGE = (0, 60)

# The usual teaching values; the king's is irrelevant because it is never captured.
PIECE_VALUES = {
    chess.PAWN: 1,
    chess.KNIGHT: 3,
    chess.BISHOP: 3,
    chess.ROOK: 5,
    chess.QUEEN: 9,
    chess.KING: 0,
}
# Order for showing pieces to people: pieces before pawns, most important first.
_DISPLAY_ORDER = (chess.KING, chess.QUEEN, chess.ROOK, chess.BISHOP, chess.KNIGHT, chess.PAWN)
# Order for suggestions: the moves students reach for most come first.
_SUGGEST_ORDER = (chess.PAWN, chess.KNIGHT, chess.BISHOP, chess.ROOK, chess.QUEEN, chess.KING)


class Color(StrEnum):
    """A side of the board."""

    WHITE = "white"
    BLACK = "black"

    @property
    def other(self) -> Color:
        return Color.BLACK if self is Color.WHITE else Color.WHITE

    @property
    def chess_color(self) -> chess.Color:
        """The python-chess colour (a bool)."""
        return self is Color.WHITE

    @classmethod
    def of(cls, turn: chess.Color) -> Color:
        return cls.WHITE if turn else cls.BLACK


class Termination(StrEnum):
    """Why a game ended."""

    CHECKMATE = "checkmate"
    STALEMATE = "stalemate"
    INSUFFICIENT_MATERIAL = "insufficient_material"
    THREEFOLD_REPETITION = "threefold_repetition"
    FIFTY_MOVES = "fifty_moves"
    FIVEFOLD_REPETITION = "fivefold_repetition"
    SEVENTYFIVE_MOVES = "seventyfive_moves"
    RESIGNATION = "resignation"
    DRAW_AGREED = "draw_agreed"
    TIMEOUT = "timeout"


_FROM_OUTCOME = {
    chess.Termination.CHECKMATE: Termination.CHECKMATE,
    chess.Termination.STALEMATE: Termination.STALEMATE,
    chess.Termination.INSUFFICIENT_MATERIAL: Termination.INSUFFICIENT_MATERIAL,
    chess.Termination.THREEFOLD_REPETITION: Termination.THREEFOLD_REPETITION,
    chess.Termination.FIFTY_MOVES: Termination.FIFTY_MOVES,
    chess.Termination.FIVEFOLD_REPETITION: Termination.FIVEFOLD_REPETITION,
    chess.Termination.SEVENTYFIVE_MOVES: Termination.SEVENTYFIVE_MOVES,
}


@dataclass(frozen=True, slots=True)
class GameResult:
    """How a game ended: the winner (None for a draw) and why."""

    winner: Color | None
    termination: Termination

    @property
    def is_draw(self) -> bool:
        return self.winner is None

    @property
    def pgn_result(self) -> str:
        """ "1-0", "0-1" or "1/2-1/2"."""
        if self.winner is None:
            return "1/2-1/2"
        return "1-0" if self.winner is Color.WHITE else "0-1"

    @property
    def pgn_termination(self) -> str:
        """The PGN standard's Termination tag value."""
        return "time forfeit" if self.termination is Termination.TIMEOUT else "normal"

    def score(self, color: Color) -> float:
        """1, ½ or 0 points for `color`."""
        if self.winner is None:
            return 0.5
        return 1.0 if self.winner is color else 0.0


class GameStatus(StrEnum):
    """Where a game stands (stored as its value)."""

    OFFERED = "offered"  # a challenge waiting for its answer
    ACTIVE = "active"
    FINISHED = "finished"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"  # the challenger took the challenge back
    EXPIRED = "expired"  # nobody answered the challenge in time

    @property
    def is_open(self) -> bool:
        """Offered or in play: it counts towards the games two students may have going."""
        return self in (GameStatus.OFFERED, GameStatus.ACTIVE)


class MoveErrorReason(StrEnum):
    """Why a chess action was refused; the service layer turns it into words."""

    ILLEGAL = "illegal"
    AMBIGUOUS = "ambiguous"
    UNPARSEABLE = "unparseable"
    GAME_OVER = "game_over"
    NOT_YOUR_TURN = "not_your_turn"
    NOT_A_PLAYER = "not_a_player"
    NO_DRAW_TO_CLAIM = "no_draw_to_claim"
    NO_DRAW_OFFER = "no_draw_offer"


class ChessMoveError(ValueError):
    """A move or game action was refused; `reason` says why, `params` fill the message."""

    def __init__(self, reason: MoveErrorReason, **params: object) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.params = params


# --- reading what students type ---------------------------------------------------------------

_TYPED = str.maketrans(
    {
        "♔": "K",
        "♕": "Q",
        "♖": "R",
        "♗": "B",
        "♘": "N",
        "♙": "",
        "♚": "K",
        "♛": "Q",
        "♜": "R",
        "♝": "B",
        "♞": "N",
        "♟": "",
        "×": "x",
        ":": "x",
        "–": "-",
        "—": "-",
        # Arabic-Indic and Persian digits: keyboards in the partner cities may type these.
        **{chr(0x0660 + i): str(i) for i in range(10)},
        **{chr(0x06F0 + i): str(i) for i in range(10)},
    }
)
_MOVE_NUMBER = re.compile(r"^\d+\s*\.+\s*")
_ANNOTATIONS = re.compile(r"(?:[+#!?]|e\.?p\.?)+$", re.IGNORECASE)
_CASTLING = re.compile(r"^[o0](?:-?[o0]){1,2}$")
_UCI = re.compile(r"^([a-h][1-8])[-x]?([a-h][1-8])=?([qrbn])?$")
_TEXT_ECHO = 20


def _clean(text: str) -> str:
    """The typed move without move numbers, annotations, spaces or figurines; digits of any
    script read as ASCII ("e٤" is e4)."""
    token = _MOVE_NUMBER.sub("", ascii_digits(text.strip()).translate(_TYPED))
    token = "".join(token.split())
    return _ANNOTATIONS.sub("", token)


def _san_readings(token: str) -> list[str]:
    """SAN spellings the token may mean once case is forgiven; more than one only for b/B."""
    if token[0] in "pP" and len(token) > 1 and token[1].lower() in "abcdefgh":
        token = token[1:]  # "Pe4": a pawn written with its letter
    first, rest = token[0], token[1:].lower()
    if first.upper() in "NRQK":
        return [first.upper() + rest]
    # A capital B before lower case is a deliberate bishop; all lower or all upper case is not.
    if first == "B" and not token.isupper():
        return ["B" + rest]
    if first in "bB":
        return ["B" + rest, "b" + rest]
    return [first.lower() + rest]


def _matching(board: chess.Board, san: str) -> list[chess.Move]:
    """Legal moves fitting the parts a SAN names: lists the choices behind an ambiguous move."""
    match = chess.SAN_REGEX.match(san)
    if match is None:
        return []
    piece = chess.PIECE_SYMBOLS.index(match.group(1).lower()) if match.group(1) else chess.PAWN
    to_square = chess.parse_square(match.group(4))
    promotion = match.group(5)
    return [
        move
        for move in board.legal_moves
        if move.to_square == to_square
        and board.piece_type_at(move.from_square) == piece
        and (
            not match.group(2)
            or chess.square_file(move.from_square) == "abcdefgh".index(match.group(2))
        )
        and (not match.group(3) or chess.square_rank(move.from_square) == int(match.group(3)) - 1)
        and (
            promotion is None
            or move.promotion == chess.PIECE_SYMBOLS.index(promotion.lstrip("=").lower())
        )
    ]


def _unique(moves: Iterable[chess.Move]) -> list[chess.Move]:
    return list(dict.fromkeys(moves))


def parse_move(board: chess.Board, text: str) -> chess.Move:
    """The legal move `text` means in UCI, SAN or case-tolerant SAN; else ChessMoveError."""
    token = _clean(text)
    said = echo(text.strip(), _TEXT_ECHO)
    if not token:
        raise ChessMoveError(MoveErrorReason.UNPARSEABLE, text=said)
    lower = token.lower()
    if uci := _UCI.match(lower):
        return _parse_uci(board, uci, said)
    if _CASTLING.match(lower):
        readings = ["O-O-O" if lower.count("o") + lower.count("0") == 3 else "O-O"]
    else:
        readings = _san_readings(token)
    found: list[chess.Move] = []
    choices: list[chess.Move] = []
    understood = False
    for reading in readings:
        try:
            move = board.parse_san(reading)
        except (chess.AmbiguousMoveError, chess.IllegalMoveError):
            # Ambiguous, or illegal as written (a pawn reaching the last rank with no piece
            # named): the legal moves that fit what was written are the candidates.
            understood = True
            choices += _matching(board, reading)
            continue
        except chess.InvalidMoveError:
            continue
        if move:  # parse_san reads "--" and "0000" as a null move, which is no move at all
            understood = True
            found.append(move)
    found = _unique(found)
    if len(found) == 1:
        return found[0]
    candidates = found or _unique(choices)
    if candidates:
        raise ChessMoveError(
            MoveErrorReason.AMBIGUOUS, text=said, candidates=_sans(board, candidates)
        )
    reason = MoveErrorReason.ILLEGAL if understood else MoveErrorReason.UNPARSEABLE
    raise ChessMoveError(reason, text=said)


def _parse_uci(board: chess.Board, match: re.Match[str], said: str) -> chess.Move:
    start, end, promotion = match.groups()
    try:
        return board.parse_uci(start + end + (promotion or ""))
    except ValueError:
        pass
    # "e7e8" without a piece: the four promotions are the candidates.
    choices = [m for m in board.legal_moves if m.uci()[:4] == start + end and not promotion]
    if choices:
        raise ChessMoveError(MoveErrorReason.AMBIGUOUS, text=said, candidates=_sans(board, choices))
    raise ChessMoveError(MoveErrorReason.ILLEGAL, text=said)


def _sans(board: chess.Board, moves: Iterable[chess.Move]) -> tuple[str, ...]:
    return tuple(board.san(move) for move in moves)


# --- what the game looks like -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MoveOption:
    """One concrete move to a destination; a promotion has one per piece."""

    uci: str
    san: str
    promotion: str | None  # "q", "r", "b" or "n" when the move promotes


@dataclass(frozen=True, slots=True)
class Destination:
    """A square a piece may go to, with the move (or promotion choices) it takes."""

    square: str
    options: tuple[MoveOption, ...]

    @property
    def needs_promotion_choice(self) -> bool:
        return len(self.options) > 1


@dataclass(frozen=True, slots=True)
class PieceMoves:
    """A piece that can move: its square, its symbol ("N" white, "n" black) and destinations."""

    square: str
    piece: str
    destinations: tuple[Destination, ...]


@dataclass(frozen=True, slots=True)
class Material:
    """Captured pieces per side (symbols, most valuable first) and the material balance."""

    captured_by_white: tuple[str, ...]
    captured_by_black: tuple[str, ...]
    balance: int  # on-board material, white minus black, in pawns

    def captured_by(self, color: Color) -> tuple[str, ...]:
        return self.captured_by_white if color is Color.WHITE else self.captured_by_black

    def advantage(self, color: Color) -> int:
        """How many pawns `color` is ahead by (negative when behind)."""
        return self.balance if color is Color.WHITE else -self.balance


@dataclass(frozen=True, slots=True)
class PlayedMove:
    """A move that was played: what was understood, by whom, and the result it caused.

    The piece, squares and capture let a notice say the move in words ("knight g1 → f3")
    for students who do not read notation.
    """

    uci: str
    san: str
    color: Color
    result: GameResult | None
    piece: str  # the moving piece's symbol, upper case for white ("N", "p")
    from_square: str
    to_square: str
    captured: str | None = None  # the taken piece's symbol, en passant included
    promotion: str | None = None  # "q", "r", "b" or "n"
    castling: str | None = None  # "king" or "queen" side

    @property
    def is_check(self) -> bool:
        return self.san.endswith(("+", "#"))


@dataclass(frozen=True, slots=True)
class MoveHint:
    """A legal move offered while a student types: its SAN, UCI and what it moves where."""

    san: str
    uci: str
    piece: str
    from_square: str
    to_square: str


def _by_value(symbols: Iterable[str]) -> tuple[str, ...]:
    return tuple(
        sorted(symbols, key=lambda s: _DISPLAY_ORDER.index(chess.Piece.from_symbol(s).piece_type))
    )


def _square_key(square: chess.Square) -> tuple[int, int]:
    return chess.square_file(square), chess.square_rank(square)


class ChessGame:
    """A game between two players (any int ids), rebuilt from what was stored about it."""

    def __init__(
        self,
        white: int,
        black: int,
        moves: Sequence[str] = (),
        *,
        start_fen: str | None = None,
        result: GameResult | None = None,
        draw_offer: Color | None = None,
    ) -> None:
        """`result` is an ending the moves cannot show (resignation, agreement, timeout, claim).

        Stored data that does not replay is a bug, not a user error: plain ValueError.
        """
        if white == black:
            raise ValueError("a player cannot play themselves")
        self.white = white
        self.black = black
        self.start_fen = start_fen
        board = chess.Board(start_fen) if start_fen else chess.Board()
        if not board.is_valid():
            raise ValueError(f"invalid start position: {start_fen}")
        self._board = board
        self._sans: list[str] = []
        self._captured: dict[Color, list[str]] = {Color.WHITE: [], Color.BLACK: []}
        for index, uci in enumerate(moves):
            try:
                move = board.parse_uci(uci)
            except ValueError as exc:
                raise ValueError(f"stored move {index + 1} ({uci}) does not replay") from exc
            self._push(move)
        self._ending = result
        self.draw_offer = draw_offer if self.result is None else None

    # State ------------------------------------------------------------------------------------

    @property
    def board(self) -> chess.Board:
        """A copy of the current position (without history), safe to change or render."""
        return self._board.copy(stack=False)

    @property
    def fen(self) -> str:
        return self._board.fen()

    @property
    def moves(self) -> tuple[str, ...]:
        """The moves in UCI: what to store."""
        return tuple(move.uci() for move in self._board.move_stack)

    @property
    def sans(self) -> tuple[str, ...]:
        return tuple(self._sans)

    @property
    def last_move(self) -> chess.Move | None:
        return self._board.peek() if self._board.move_stack else None

    @property
    def turn(self) -> Color:
        return Color.of(self._board.turn)

    @property
    def first_to_move(self) -> Color:
        """Who moved first: the side to move in the start position (for the clock)."""
        return Color.of(self._board.root().turn)

    @property
    def player_to_move(self) -> int:
        return self.player(self.turn)

    @property
    def is_check(self) -> bool:
        return self._board.is_check()

    def promotes(self, origin_target: str) -> bool:
        """Whether the move between these squares ("b7a8") is a promotion, so that the piece
        it becomes must still be chosen."""
        return any(
            move.promotion and move.uci()[:4] == origin_target for move in self._board.legal_moves
        )

    def player(self, color: Color) -> int:
        return self.white if color is Color.WHITE else self.black

    def color_of(self, player: int) -> Color:
        """The colour `player` plays; ChessMoveError(not_a_player) for anyone else."""
        if player == self.white:
            return Color.WHITE
        if player == self.black:
            return Color.BLACK
        raise ChessMoveError(MoveErrorReason.NOT_A_PLAYER)

    @property
    def result(self) -> GameResult | None:
        """The ending: a stored one, else what the position itself decides (mate, stalemate…)."""
        if self._ending is not None:
            return self._ending
        outcome = self._board.outcome(claim_draw=False)
        if outcome is None:
            return None
        winner = None if outcome.winner is None else Color.of(outcome.winner)
        return GameResult(winner, _FROM_OUTCOME[outcome.termination])

    @property
    def is_over(self) -> bool:
        return self.result is not None

    @property
    def can_claim_draw(self) -> bool:
        """Whether the player to move may claim a draw now: the position stands for the third
        time, or fifty moves passed without a capture or a pawn move.

        python-chess's own `can_claim_draw` also counts a move that *would* repeat; such a claim
        goes through `claim_draw(player, move)`, which plays that move first, so the stored
        game always shows what the claim rests on.
        """
        return not self.is_over and self._claimable() is not None

    def _claimable(self) -> Termination | None:
        board = self._board
        if board.is_fifty_moves():
            return Termination.FIFTY_MOVES
        if board.is_repetition(3):
            return Termination.THREEFOLD_REPETITION
        return None

    @property
    def material(self) -> Material:
        balance = sum(
            PIECE_VALUES[piece.piece_type] * (1 if piece.color else -1)
            for piece in self._board.piece_map().values()
        )
        return Material(
            captured_by_white=_by_value(self._captured[Color.WHITE]),
            captured_by_black=_by_value(self._captured[Color.BLACK]),
            balance=balance,
        )

    def legal_moves_by_piece(self) -> tuple[PieceMoves, ...]:
        """Legal moves grouped by the piece that moves, then by destination (for buttons)."""
        if self.is_over:
            return ()
        board = self._board
        grouped: dict[chess.Square, dict[chess.Square, list[chess.Move]]] = {}
        for move in board.legal_moves:
            grouped.setdefault(move.from_square, {}).setdefault(move.to_square, []).append(move)
        pieces = []
        for start, targets in grouped.items():
            piece = board.piece_at(start)
            assert piece is not None  # a legal move starts on a piece
            destinations = tuple(
                Destination(
                    square=chess.square_name(target),
                    options=tuple(
                        MoveOption(
                            uci=move.uci(),
                            san=board.san(move),
                            promotion=chess.piece_symbol(move.promotion)
                            if move.promotion
                            else None,
                        )
                        for move in targets[target]
                    ),
                )
                for target in sorted(targets, key=_square_key)
            )
            pieces.append(
                (piece, start, PieceMoves(chess.square_name(start), piece.symbol(), destinations))
            )
        pieces.sort(key=lambda p: (_DISPLAY_ORDER.index(p[0].piece_type), _square_key(p[1])))
        return tuple(entry for _, _, entry in pieces)

    def san_suggestions(self, prefix: str = "", limit: int = AUTOCOMPLETE_LIMIT) -> list[str]:
        """Legal moves in SAN that start like `prefix` (case, "x", "+" and "=" forgiven)."""
        return [hint.san for hint in self.move_hints(prefix, limit)]

    def move_hints(self, prefix: str = "", limit: int = AUTOCOMPLETE_LIMIT) -> list[MoveHint]:
        """Legal moves whose SAN or UCI starts like `prefix`, pawn moves first, at most `limit`."""
        if self.is_over:
            return []
        key = _suggest_key(_clean(prefix) if prefix.strip() else "")
        uci_prefix = prefix.strip().lower().replace("-", "")
        board = self._board
        found = []
        for move in board.legal_moves:
            san = board.san(move)
            if _suggest_key(san).startswith(key) or (
                uci_prefix and move.uci().startswith(uci_prefix)
            ):
                piece = board.piece_at(move.from_square)
                assert piece is not None  # a legal move starts on a piece
                hint = MoveHint(
                    san=san,
                    uci=move.uci(),
                    piece=piece.symbol(),
                    from_square=chess.square_name(move.from_square),
                    to_square=chess.square_name(move.to_square),
                )
                found.append((_SUGGEST_ORDER.index(piece.piece_type), san, hint))
        return [hint for _, _, hint in sorted(found, key=lambda f: (f[0], f[1]))[:limit]]

    def move_list(self, max_chars: int = EMBED_DESCRIPTION_LIMIT) -> str:
        """ "1. e4 e5 2. Nf3 …" within `max_chars`; the start gives way to "… " when too long."""
        root = self._board.root()
        number, black_first = root.fullmove_number, root.turn == chess.BLACK
        groups: list[str] = []
        for index, san in enumerate(self._sans):
            ply = index + (1 if black_first else 0)
            move_no = number + ply // 2
            if ply % 2 == 0:
                groups.append(f"{move_no}. {san}")
            elif index == 0:
                groups.append(f"{move_no}... {san}")
            else:
                groups[-1] += f" {san}"
        text = " ".join(groups)
        if len(text) <= max_chars:
            return text
        kept: list[str] = []
        length = 1  # the "…"
        for group in reversed(groups):
            if length + 1 + len(group) > max_chars:
                break
            kept.append(group)
            length += 1 + len(group)
        if not kept:  # a budget smaller than one move: keep its end
            return "…" + text[-(max_chars - 1) :] if max_chars > 1 else text[:max_chars]
        return "… " + " ".join(reversed(kept))

    # Actions -----------------------------------------------------------------------------------

    def play(self, player: int, text: str) -> PlayedMove:
        """Play what `player` typed (UCI, SAN, forgiving case) and say which move it was."""
        color = self._acting(player)
        if color is not self.turn:
            raise ChessMoveError(MoveErrorReason.NOT_YOUR_TURN)
        played = self._push(parse_move(self._board, text))
        if self.draw_offer is color.other:
            self.draw_offer = None  # playing on declines the opponent's offer
        return dataclasses.replace(played, result=self.result)

    def resign(self, player: int) -> GameResult:
        color = self._acting(player)
        return self._end(GameResult(color.other, Termination.RESIGNATION))

    def offer_draw(self, player: int) -> GameResult | None:
        """Offer a draw; meeting the opponent's standing offer agrees it and ends the game."""
        color = self._acting(player)
        if self.draw_offer is color.other:
            return self._end(GameResult(None, Termination.DRAW_AGREED))
        self.draw_offer = color
        return None

    def accept_draw(self, player: int) -> GameResult:
        color = self._acting(player)
        if self.draw_offer is not color.other:
            raise ChessMoveError(MoveErrorReason.NO_DRAW_OFFER)
        return self._end(GameResult(None, Termination.DRAW_AGREED))

    def decline_draw(self, player: int) -> None:
        color = self._acting(player)
        if self.draw_offer is not color.other:
            raise ChessMoveError(MoveErrorReason.NO_DRAW_OFFER)
        self.draw_offer = None

    def claim_draw(
        self, player: int, move: str | None = None
    ) -> tuple[GameResult, PlayedMove | None]:
        """The player to move claims threefold repetition or the 50-move rule.

        With `move`, the claim rests on the position that move makes (as over the board, the
        move is written down and then claimed): it is played only if the claim then holds.
        """
        color = self._acting(player)
        if color is not self.turn:
            raise ChessMoveError(MoveErrorReason.NOT_YOUR_TURN)
        played: PlayedMove | None = None
        if move is not None:
            parsed = parse_move(self._board, move)
            probe = self._board.copy()
            probe.push(parsed)
            if not (probe.is_fifty_moves() or probe.is_repetition(3)) or probe.is_checkmate():
                raise ChessMoveError(MoveErrorReason.NO_DRAW_TO_CLAIM)
            played = self._push(parsed)
            self.draw_offer = None
            if self.result is not None:  # e.g. stalemate: the move itself ended the game
                result = self.result
                return result, dataclasses.replace(played, result=result)
        reason = self._claimable()
        if reason is None:
            raise ChessMoveError(MoveErrorReason.NO_DRAW_TO_CLAIM)
        result = self._end(GameResult(None, reason))
        return result, dataclasses.replace(played, result=result) if played else None

    def time_out(self, loser: Color) -> GameResult:
        """`loser` ran out of time; a draw if the opponent has no material left to mate with."""
        if self.is_over:
            raise ChessMoveError(MoveErrorReason.GAME_OVER)
        if self._board.has_insufficient_material(loser.other.chess_color):
            return self._end(GameResult(None, Termination.TIMEOUT))
        return self._end(GameResult(loser.other, Termination.TIMEOUT))

    def to_pgn(
        self,
        *,
        event: str,
        cities: tuple[str, str],
        played_on: date,
        white_name: str,
        black_name: str,
        time_control: TimeControl | None = None,
        teams: tuple[str, str] | None = None,
        round_label: str = "-",
    ) -> str:
        """The game as PGN with the Seven Tag Roster, TimeControl and Termination.

        `teams` (white's, black's: their cities) become the WhiteTeam and BlackTeam tags.
        """
        game = chess.pgn.Game.from_board(self._board)
        result = self.result
        game.headers["Event"] = _header(event)
        game.headers["Site"] = _header(f"{cities[0]} – {cities[1]}")
        game.headers["Date"] = played_on.strftime("%Y.%m.%d")
        game.headers["Round"] = _header(round_label)
        game.headers["White"] = _header(white_name)
        game.headers["Black"] = _header(black_name)
        game.headers["Result"] = result.pgn_result if result else "*"
        game.headers["TimeControl"] = time_control.pgn if time_control else "-"
        game.headers["Termination"] = result.pgn_termination if result else "unterminated"
        if teams is not None:
            game.headers["WhiteTeam"] = _header(teams[0])
            game.headers["BlackTeam"] = _header(teams[1])
        return str(game) + "\n"

    # Internals ---------------------------------------------------------------------------------

    def _acting(self, player: int) -> Color:
        color = self.color_of(player)
        if self.is_over:
            raise ChessMoveError(MoveErrorReason.GAME_OVER)
        return color

    def _push(self, move: chess.Move) -> PlayedMove:
        board = self._board
        mover = Color.of(board.turn)
        piece = board.piece_at(move.from_square)
        assert piece is not None  # a legal move starts on a piece
        taken: str | None = None
        if board.is_en_passant(move):
            taken = chess.Piece(chess.PAWN, not board.turn).symbol()
        elif board.is_capture(move):
            on_target = board.piece_at(move.to_square)
            assert on_target is not None  # a capture that is not en passant lands on a piece
            taken = on_target.symbol()
        castling = None
        if board.is_castling(move):
            castling = "king" if board.is_kingside_castling(move) else "queen"
        san = board.san_and_push(move)
        if taken is not None:
            self._captured[mover].append(taken)
        self._sans.append(san)
        return PlayedMove(
            uci=move.uci(),
            san=san,
            color=mover,
            result=None,
            piece=piece.symbol(),
            from_square=chess.square_name(move.from_square),
            to_square=chess.square_name(move.to_square),
            captured=taken,
            promotion=chess.piece_symbol(move.promotion) if move.promotion else None,
            castling=castling,
        )

    def _end(self, result: GameResult) -> GameResult:
        self._ending = result
        self.draw_offer = None
        return result


def _suggest_key(text: str) -> str:
    return re.sub(r"[x+#=\-]", "", text.lower()).replace("0", "o")


def _header(value: str) -> str:
    """A PGN tag value on one line, without the quotes and backslashes that break readers."""
    return " ".join(value.replace('"', "'").replace("\\", "/").split())


# --- time controls and clocks -----------------------------------------------------------------


class TimeControlKind(StrEnum):
    CORRESPONDENCE = "correspondence"
    LIVE = "live"


class TimeControlErrorReason(StrEnum):
    UNPARSEABLE = "unparseable"
    DAYS_OUT_OF_RANGE = "days_out_of_range"
    MINUTES_OUT_OF_RANGE = "minutes_out_of_range"
    INCREMENT_OUT_OF_RANGE = "increment_out_of_range"


class TimeControlError(ValueError):
    """A time control that cannot be read or is out of range; `params` fill the message."""

    def __init__(self, reason: TimeControlErrorReason, **params: object) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.params = params


@dataclass(frozen=True, slots=True)
class TimeControl:
    """Correspondence (`base` per move) or live (`base` per side, plus `increment` a move)."""

    kind: TimeControlKind
    base: timedelta
    increment: timedelta = timedelta(0)

    @classmethod
    def correspondence(cls, days: int = DEFAULT_CORRESPONDENCE_DAYS) -> TimeControl:
        if days not in CORRESPONDENCE_DAYS:
            raise TimeControlError(
                TimeControlErrorReason.DAYS_OUT_OF_RANGE, days=days, allowed=CORRESPONDENCE_DAYS
            )
        return cls(TimeControlKind.CORRESPONDENCE, timedelta(days=days))

    @classmethod
    def live(cls, minutes: int, increment_seconds: int = 0) -> TimeControl:
        low, high = LIVE_MINUTES_RANGE
        if not low <= minutes <= high:
            raise TimeControlError(
                TimeControlErrorReason.MINUTES_OUT_OF_RANGE, minutes=minutes, low=low, high=high
            )
        low, high = LIVE_INCREMENT_RANGE
        if not low <= increment_seconds <= high:
            raise TimeControlError(
                TimeControlErrorReason.INCREMENT_OUT_OF_RANGE,
                seconds=increment_seconds,
                low=low,
                high=high,
            )
        return cls(
            TimeControlKind.LIVE, timedelta(minutes=minutes), timedelta(seconds=increment_seconds)
        )

    @property
    def pgn(self) -> str:
        """The PGN TimeControl tag: "600+5" live, "1/172800" (one move per period) by mail."""
        base = int(self.base.total_seconds())
        if self.kind is TimeControlKind.CORRESPONDENCE:
            return f"1/{base}"
        return f"{base}+{int(self.increment.total_seconds())}"

    @property
    def text(self) -> str:
        """Short form that `parse_time_control` reads back: "2d" or "10+5"."""
        if self.kind is TimeControlKind.CORRESPONDENCE:
            return f"{self.base.days}d"
        return f"{int(self.base.total_seconds()) // 60}+{int(self.increment.total_seconds())}"


DEFAULT_TIME_CONTROL = TimeControl.correspondence()

_DAYS_TEXT = re.compile(r"^(\d+)\s*(?:d|days?|d[ií]as?)$")
_LIVE_TEXT = re.compile(r"^(\d+)\s*[+|]\s*(\d+)$")


def parse_time_control(text: str) -> TimeControl:
    """ "2d", "2 days" (correspondence) or "10+5" (minutes + increment seconds)."""
    value = ascii_digits(text.strip()).lower().translate(_TYPED)
    if match := _DAYS_TEXT.match(value):
        return TimeControl.correspondence(int(match.group(1)))
    if match := _LIVE_TEXT.match(value):
        return TimeControl.live(int(match.group(1)), int(match.group(2)))
    raise TimeControlError(TimeControlErrorReason.UNPARSEABLE, text=echo(text.strip(), _TEXT_ECHO))


@dataclass(frozen=True, slots=True)
class ClockState:
    """Both clocks at one moment, derived from the stored move times and pauses only."""

    to_move: Color
    white_left: timedelta
    black_left: timedelta
    # When the side to move runs out. While the clock is stopped (`frozen`), when it would run
    # out if it started again now.
    deadline: datetime
    flagged: bool  # the side to move has run out
    frozen: bool = False  # the clock is stopped: the game's space is paused

    def left(self, color: Color) -> timedelta:
        return self.white_left if color is Color.WHITE else self.black_left


# A stretch of time during which the clocks stop: (start, end), end None while it lasts.
Pause = tuple[datetime, datetime | None]


def _overlap(start: datetime, end: datetime, pauses: Sequence[Pause]) -> timedelta:
    """How much of [start, end] falls in pauses (an open pause lasts until `end`)."""
    total = timedelta(0)
    for pause_start, pause_end in pauses:
        lo = max(start, pause_start)
        hi = end if pause_end is None else min(end, pause_end)
        if hi > lo:
            total += hi - lo
    return total


def _runs_out(last: datetime, allowance: timedelta, pauses: Sequence[Pause]) -> datetime | None:
    """When `allowance` of running time from `last` is used up, the pauses not counted; None
    if a pause that has not ended stops the clock first."""
    moment, left = last, allowance
    for pause_start, pause_end in sorted(pauses, key=lambda p: p[0]):
        if pause_end is not None and pause_end <= moment:
            continue
        start = max(pause_start, moment)
        if moment + left <= start:
            break
        left -= start - moment
        if pause_end is None:
            return None
        moment = pause_end
    return moment + left


def clock_state(
    time_control: TimeControl,
    started_at: datetime,
    move_times: Sequence[datetime],
    now: datetime,
    *,
    first_to_move: Color = Color.WHITE,
    pauses: Sequence[Pause] = (),
    extensions: Mapping[int, timedelta] | None = None,
) -> ClockState:
    """The clocks at `now` given the start, each move's time and the pauses (aware datetimes).

    The first mover's clock runs from `started_at`. Live: each side's time falls while it is to
    move and gains the increment after each of its moves. Correspondence: each move has its own
    allowance from the previous move, and the waiting side's clock shows a full one. No clock
    runs during a pause; while one lasts, both stay where they stood when it began.
    `extensions` maps a ply (the position after that many moves) to time added to the clock
    of the side to move there (the bot was down when it ran out: see `deadline_after_outage`).
    """
    ended = [p[1] for p in pauses if p[1] is not None]
    for moment in (started_at, now, *move_times, *(p[0] for p in pauses), *ended):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("clock times must be aware datetimes")
    extra = extensions or {}
    zero = timedelta(0)
    left = {Color.WHITE: time_control.base, Color.BLACK: time_control.base}
    live = time_control.kind is TimeControlKind.LIVE
    last, mover = started_at, first_to_move
    for ply, moment in enumerate(move_times):
        if moment < last:
            raise ValueError("move times must not go backwards")
        if live:
            left[mover] += (
                extra.get(ply, zero)
                + time_control.increment
                - (moment - last - _overlap(last, moment, pauses))
            )
        last, mover = moment, mover.other
    position = len(move_times)
    allowance = (left[mover] if live else time_control.base) + extra.get(position, zero)
    runs_out = _runs_out(last, allowance, pauses)
    frozen = runs_out is None
    if runs_out is None or runs_out > now:
        # Still running, or stopped with time left: what is left is what has not run yet.
        remaining = allowance - (now - last - _overlap(last, now, pauses))
        deadline = now + remaining if runs_out is None else runs_out
    else:
        remaining, deadline = zero, runs_out
    left[mover] = max(zero, min(allowance, remaining))
    left[mover.other] = max(zero, left[mover.other])
    return ClockState(
        to_move=mover,
        white_left=left[Color.WHITE],
        black_left=left[Color.BLACK],
        deadline=deadline,
        flagged=not frozen and now >= deadline,
        frozen=frozen,
    )


def deadline_after_outage(
    time_control: TimeControl, *, deadline: datetime, clock_at_start: timedelta, now: datetime
) -> datetime:
    """A fair deadline for a position the bot could not serve: it was down when the deadline
    passed (or, in correspondence, when the reminder before it was due).

    Bot downtime never costs a student a game, but when the bot went down is not known (it may
    have crashed). Correspondence: the player gets `OUTAGE_GRACE` from now, with a fresh
    reminder. Live: `clock_at_start`, the time the player had when the position began (as if
    the clock had stopped at the last recorded move), and at least `LIVE_OUTAGE_MINIMUM`.
    Never earlier than the deadline it replaces.
    """
    if deadline.tzinfo is None or now.tzinfo is None:
        raise ValueError("clock times must be aware datetimes")
    if time_control.kind is TimeControlKind.CORRESPONDENCE:
        fair = now + OUTAGE_GRACE
    else:
        fair = now + max(clock_at_start, LIVE_OUTAGE_MINIMUM)
    return max(deadline, fair)


# --- ratings ----------------------------------------------------------------------------------


def expected_score(rating: float, opponent: float) -> float:
    """The Elo expectation of scoring against `opponent`, between 0 and 1."""
    return 1.0 / (1.0 + math.pow(10.0, (opponent - rating) / 400.0))


def elo_update(
    white_rating: int, black_rating: int, white_score: float, *, k: int = DEFAULT_K_FACTOR
) -> tuple[int, int]:
    """New (white, black) ratings after a game; the points one gains the other loses."""
    if white_score not in (0.0, 0.5, 1.0):
        raise ValueError("a game scores 0, 0.5 or 1")
    delta = round(k * (white_score - expected_score(white_rating, black_rating)))
    return white_rating + delta, black_rating - delta
