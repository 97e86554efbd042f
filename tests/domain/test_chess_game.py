"""Chess between partners: reading moves, endings, clocks, PGN and ratings."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import chess
import chess.pgn
import pytest

from bot.domain.chess_game import (
    ChessGame,
    ChessMoveError,
    Color,
    GameResult,
    MoveErrorReason,
    Termination,
    TimeControl,
    TimeControlError,
    TimeControlErrorReason,
    TimeControlKind,
    clock_state,
    deadline_after_outage,
    elo_update,
    expected_score,
    parse_move,
    parse_time_control,
)

WHITE, BLACK = 101, 202
START = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)


def split_moves(text: str) -> list[str]:
    return text.split()


SCHOLARS_MATE = ["e4", "e5", "Bc4", "Nc6", "Qh5", "Nf6", "Qxf7#"]
# Morphy v. Duke of Brunswick and Count Isouard, Paris 1858.
OPERA_GAME = split_moves(
    "e4 e5 Nf3 d6 d4 Bg4 dxe5 Bxf3 Qxf3 dxe5 Bc4 Nf6 Qb3 Qe7 Nc3 c6 Bg5 b5 Nxb5 cxb5 "
    "Bxb5+ Nbd7 O-O-O Rd8 Rxd7 Rxd7 Rd1 Qe6 Bxd7+ Nxd7 Qb8+ Nxb8 Rd8#"
)


def play_all(game: ChessGame, moves: list[str]) -> None:
    for text in moves:
        game.play(game.player_to_move, text)


def game_from(fen: str) -> ChessGame:
    return ChessGame(WHITE, BLACK, start_fen=fen)


def refusal(game: ChessGame, player: int, text: str) -> ChessMoveError:
    with pytest.raises(ChessMoveError) as caught:
        game.play(player, text)
    return caught.value


def candidates(error: ChessMoveError) -> list[str]:
    value = error.params["candidates"]
    assert isinstance(value, tuple)
    return [str(san) for san in value]


# --- a whole game -----------------------------------------------------------------------------


def test_scholars_mate_ends_in_checkmate_won_by_white() -> None:
    """Scholar's mate played move by move ends the game: white wins by checkmate, "1-0"."""
    game = ChessGame(WHITE, BLACK)
    play_all(game, SCHOLARS_MATE)
    assert game.result == GameResult(Color.WHITE, Termination.CHECKMATE)
    assert game.result.pgn_result == "1-0"


def test_the_mating_move_reports_the_result() -> None:
    """The move that mates comes back with the result it caused."""
    game = ChessGame(WHITE, BLACK)
    play_all(game, SCHOLARS_MATE[:-1])
    played = game.play(WHITE, "qxf7")
    assert (played.san, played.result) == ("Qxf7#", GameResult(Color.WHITE, Termination.CHECKMATE))


def test_a_played_move_says_what_moved_where_and_what_it_took() -> None:
    """Qxf7# is the white queen from h5 to f7 taking a pawn, with check."""
    game = ChessGame(WHITE, BLACK)
    play_all(game, SCHOLARS_MATE[:-1])
    played = game.play(WHITE, "Qxf7")
    assert (played.piece, played.from_square, played.to_square, played.captured) == (
        "Q",
        "h5",
        "f7",
        "p",
    )
    assert played.is_check and played.castling is None and played.color is Color.WHITE


def test_castling_is_reported_with_its_side() -> None:
    """O-O-O comes back as queen-side castling of the king."""
    played = game_from(CASTLING_FEN).play(WHITE, "O-O-O")
    assert (played.piece, played.castling, played.to_square) == ("K", "queen", "c1")


def test_no_move_is_accepted_after_the_game_ended() -> None:
    """After mate, a further move is refused as game_over."""
    game = ChessGame(WHITE, BLACK)
    play_all(game, SCHOLARS_MATE)
    assert refusal(game, BLACK, "Ke7").reason is MoveErrorReason.GAME_OVER


def test_a_game_rebuilt_from_stored_moves_matches_the_original() -> None:
    """Rebuilding from the stored UCI moves gives the same position, SAN list and result."""
    game = ChessGame(WHITE, BLACK)
    play_all(game, OPERA_GAME)
    rebuilt = ChessGame(WHITE, BLACK, game.moves)
    assert (rebuilt.fen, rebuilt.sans, rebuilt.result) == (game.fen, game.sans, game.result)


def test_a_stored_move_that_does_not_replay_is_a_plain_value_error() -> None:
    """Corrupt stored moves are a bug, not a user error: ValueError, not ChessMoveError."""
    with pytest.raises(ValueError) as caught:
        ChessGame(WHITE, BLACK, ["e2e4", "e2e4"])
    assert not isinstance(caught.value, ChessMoveError)


# --- special moves ----------------------------------------------------------------------------

CASTLING_FEN = "r3k2r/pppppppp/8/8/8/8/PPPPPPPP/R3K2R w KQkq - 0 1"


@pytest.mark.parametrize(
    ("typed", "king", "rook"),
    [("O-O", "g1", "f1"), ("0-0", "g1", "f1"), ("O-O-O", "c1", "d1"), ("0-0-0", "c1", "d1")],
)
def test_castling_moves_king_and_rook(typed: str, king: str, rook: str) -> None:
    """Castling on either side, with letters or zeros, puts king and rook on their squares."""
    game = game_from(CASTLING_FEN)
    game.play(WHITE, typed)
    board = game.board
    assert board.piece_at(chess.parse_square(king)) == chess.Piece.from_symbol("K")
    assert board.piece_at(chess.parse_square(rook)) == chess.Piece.from_symbol("R")


def test_en_passant_removes_the_passed_pawn() -> None:
    """exf6 en passant empties f5 and counts a black pawn as captured by white."""
    game = game_from("rnbqkbnr/ppp1p1pp/8/3pPp2/8/8/PPPP1PPP/RNBQKBNR w KQkq f6 0 3")
    played = game.play(WHITE, "exf6")
    assert played.san == "exf6"
    assert game.board.piece_at(chess.F5) is None
    assert game.material.captured_by_white == ("p",)


PROMOTION_FEN = "8/P5k1/8/8/8/8/6K1/8 w - - 0 1"


@pytest.mark.parametrize(
    ("typed", "piece"),
    [("a8=Q", "Q"), ("a8q", "Q"), ("a8=N", "N"), ("a8=r", "R"), ("a7a8b", "B")],
)
def test_promotion_gives_the_chosen_piece(typed: str, piece: str) -> None:
    """A pawn promotes to the piece named, underpromotions included."""
    game = game_from(PROMOTION_FEN)
    game.play(WHITE, typed)
    assert game.board.piece_at(chess.A8) == chess.Piece.from_symbol(piece)


def test_a_promotion_reports_the_piece_chosen() -> None:
    """a8=N comes back with promotion "n"."""
    assert game_from(PROMOTION_FEN).play(WHITE, "a8=N").promotion == "n"


@pytest.mark.parametrize("typed", ["a8", "a7a8"])
def test_promotion_without_a_piece_lists_the_four_choices(typed: str) -> None:
    """A promotion typed without a piece is ambiguous between queen, rook, bishop and knight."""
    error = refusal(game_from(PROMOTION_FEN), WHITE, typed)
    assert error.reason is MoveErrorReason.AMBIGUOUS
    assert [san.rstrip("+") for san in candidates(error)] == ["a8=Q", "a8=R", "a8=B", "a8=N"]


# --- reading what students type ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "san"),
    [
        ("e2e4", "e4"),
        ("E2-E4", "e4"),
        ("e4", "e4"),
        ("Nf3", "Nf3"),
        ("nf3", "Nf3"),
        ("NF3", "Nf3"),
        ("Ng1f3", "Nf3"),
        ("1. e4", "e4"),
        ("Nf3!?", "Nf3"),
        ("♘f3", "Nf3"),
        ("e٤", "e4"),
    ],
)
def test_moves_are_read_in_uci_san_and_forgiving_case(typed: str, san: str) -> None:
    """UCI, SAN, wrong case, move numbers, annotations and figurines all name the move."""
    assert ChessGame(WHITE, BLACK).play(WHITE, typed).san == san


BISHOP_OR_PAWN_FEN = "4k3/8/8/8/2p5/1P1B4/8/4K3 w - - 0 1"


@pytest.mark.parametrize("typed", ["bc4", "bxc4", "BXC4"])
def test_lower_case_b_is_ambiguous_when_bishop_and_b_pawn_can_both_go(typed: str) -> None:
    """ "bc4" could be the b-pawn or the bishop: ambiguous, listing both."""
    error = refusal(game_from(BISHOP_OR_PAWN_FEN), WHITE, typed)
    assert error.reason is MoveErrorReason.AMBIGUOUS
    assert set(candidates(error)) == {"Bxc4", "bxc4"}


def test_capital_b_before_lower_case_means_the_bishop() -> None:
    """ "Bc4" is the bishop even when the b-pawn could also take on c4."""
    assert game_from(BISHOP_OR_PAWN_FEN).play(WHITE, "Bc4").san == "Bxc4"


def test_lower_case_b_is_the_bishop_when_no_pawn_can_go() -> None:
    """ "bc4" from the opening's bishop-only position is read as Bc4."""
    game = ChessGame(WHITE, BLACK)
    play_all(game, ["e4", "e5"])
    assert game.play(WHITE, "bc4").san == "Bc4"


def test_a_move_two_pieces_can_make_is_ambiguous_with_both_candidates() -> None:
    """ "Nd2" with knights on b1 and f1 lists Nbd2 and Nfd2."""
    error = refusal(game_from("4k3/8/8/8/8/8/8/1N2KN2 w - - 0 1"), WHITE, "nd2")
    assert error.reason is MoveErrorReason.AMBIGUOUS
    assert set(candidates(error)) == {"Nbd2", "Nfd2"}


@pytest.mark.parametrize("typed", ["Ke2", "e5", "e2e5", "Nf6"])
def test_a_readable_but_impossible_move_is_illegal(typed: str) -> None:
    """Well-formed moves that cannot be played here are refused as illegal."""
    assert refusal(ChessGame(WHITE, BLACK), WHITE, typed).reason is MoveErrorReason.ILLEGAL


@pytest.mark.parametrize("typed", ["hello", "", "   ", "--", "0000", "z9"])
def test_text_that_is_no_move_is_unparseable(typed: str) -> None:
    """Words, blanks and null moves are unparseable."""
    assert refusal(ChessGame(WHITE, BLACK), WHITE, typed).reason is MoveErrorReason.UNPARSEABLE


def test_parse_move_works_on_a_plain_board() -> None:
    """parse_move reads a move for any python-chess board."""
    assert parse_move(chess.Board(), "nf3") == chess.Move.from_uci("g1f3")


def test_refusals_carry_no_english_sentence() -> None:
    """The error's message is its machine-readable reason, for the service to translate."""
    error = refusal(ChessGame(WHITE, BLACK), WHITE, "hello")
    assert str(error) == "unparseable"


# --- turns and players ------------------------------------------------------------------------


def test_moving_out_of_turn_is_refused() -> None:
    """Black cannot move first."""
    assert refusal(ChessGame(WHITE, BLACK), BLACK, "e5").reason is MoveErrorReason.NOT_YOUR_TURN


def test_someone_outside_the_game_cannot_move() -> None:
    """A third person's move is refused as not_a_player."""
    assert refusal(ChessGame(WHITE, BLACK), 999, "e4").reason is MoveErrorReason.NOT_A_PLAYER


def test_the_turn_passes_to_the_other_player() -> None:
    """After white moves, black is the player to move."""
    game = ChessGame(WHITE, BLACK)
    game.play(WHITE, "e4")
    assert (game.turn, game.player_to_move) == (Color.BLACK, BLACK)


# --- automatic endings ------------------------------------------------------------------------


def test_stalemate_is_a_draw() -> None:
    """Qg6 leaving the black king no move ends the game in stalemate."""
    game = game_from("7k/8/5K2/8/8/8/8/6Q1 w - - 0 1")
    game.play(WHITE, "Qg6")
    assert game.result == GameResult(None, Termination.STALEMATE)


def test_capturing_down_to_bare_kings_is_an_automatic_draw() -> None:
    """King takes the last piece: insufficient material ends the game at once."""
    game = game_from("8/8/8/8/8/k7/3r4/4K3 w - - 0 1")
    game.play(WHITE, "Kxd2")
    assert game.result == GameResult(None, Termination.INSUFFICIENT_MATERIAL)


# --- claims, resignation, draw offers ---------------------------------------------------------

KNIGHT_SHUFFLE = ["Nf3", "Nf6", "Ng1", "Ng8", "Nf3", "Nf6", "Ng1"]


def test_threefold_repetition_can_be_claimed_by_the_player_to_move() -> None:
    """The start position standing for the third time: white, to move, claims the draw."""
    game = ChessGame(WHITE, BLACK)
    play_all(game, [*KNIGHT_SHUFFLE, "Ng8"])
    assert game.can_claim_draw
    result, played = game.claim_draw(WHITE)
    assert (result, played) == (GameResult(None, Termination.THREEFOLD_REPETITION), None)
    assert game.result == result


def test_a_claim_may_name_the_move_that_repeats() -> None:
    """Black claims with Ng8, which repeats the start a third time: the move is played too."""
    game = ChessGame(WHITE, BLACK)
    play_all(game, KNIGHT_SHUFFLE)
    assert not game.can_claim_draw  # the repetition is not on the board yet
    result, played = game.claim_draw(BLACK, "Ng8")
    assert result.termination is Termination.THREEFOLD_REPETITION
    assert played is not None and played.san == "Ng8"
    assert game.sans[-1] == "Ng8" and game.result == result


def test_a_claim_with_a_move_that_repeats_nothing_is_refused_and_changes_nothing() -> None:
    """Claiming with a move that leads nowhere near a repetition plays nothing."""
    game = ChessGame(WHITE, BLACK)
    play_all(game, KNIGHT_SHUFFLE)
    with pytest.raises(ChessMoveError) as caught:
        game.claim_draw(BLACK, "e5")
    assert caught.value.reason is MoveErrorReason.NO_DRAW_TO_CLAIM
    assert len(game.moves) == len(KNIGHT_SHUFFLE) and game.result is None


def test_a_repetition_is_not_automatic() -> None:
    """Threefold repetition only ends the game when claimed."""
    game = ChessGame(WHITE, BLACK)
    play_all(game, [*KNIGHT_SHUFFLE, "Ng8"])
    assert game.result is None


def test_no_draw_can_be_claimed_in_a_fresh_game() -> None:
    """Claiming without repetition or 50 moves is refused as no_draw_to_claim."""
    game = ChessGame(WHITE, BLACK)
    with pytest.raises(ChessMoveError) as caught:
        game.claim_draw(WHITE)
    assert caught.value.reason is MoveErrorReason.NO_DRAW_TO_CLAIM


def test_only_the_player_to_move_may_claim() -> None:
    """The player waiting for the opponent cannot claim."""
    game = ChessGame(WHITE, BLACK)
    play_all(game, [*KNIGHT_SHUFFLE, "Ng8"])
    with pytest.raises(ChessMoveError) as caught:
        game.claim_draw(BLACK)
    assert caught.value.reason is MoveErrorReason.NOT_YOUR_TURN


@pytest.mark.parametrize(("halfmoves", "claimable"), [(99, True), (97, False)])
def test_fifty_move_rule_becomes_claimable_near_a_hundred_quiet_plies(
    halfmoves: int, claimable: bool
) -> None:
    """At 100 quiet plies, or 99 with a quiet move to announce, a draw is claimable; not before."""
    game = game_from(f"4k3/8/8/8/8/8/8/R3K3 w - - {halfmoves} 80")
    game.play(WHITE, "Ra2")
    assert game.can_claim_draw is claimable


def test_a_fifty_move_claim_ends_the_game_for_that_reason() -> None:
    """Claiming with the 50-move rule available records fifty_moves."""
    game = game_from("4k3/8/8/8/8/8/8/R3K3 w - - 99 80")
    game.play(WHITE, "Ra2")
    assert game.claim_draw(BLACK)[0].termination is Termination.FIFTY_MOVES


def test_resignation_gives_the_game_to_the_opponent() -> None:
    """Black resigns: white wins by resignation, "1-0"."""
    game = ChessGame(WHITE, BLACK)
    result = game.resign(BLACK)
    assert result == GameResult(Color.WHITE, Termination.RESIGNATION)
    assert game.result == result


def test_an_accepted_draw_offer_ends_the_game_drawn() -> None:
    """White offers, black accepts: a draw by agreement."""
    game = ChessGame(WHITE, BLACK)
    game.offer_draw(WHITE)
    assert game.accept_draw(BLACK) == GameResult(None, Termination.DRAW_AGREED)


def test_offering_back_a_standing_offer_agrees_the_draw() -> None:
    """Both players offering a draw is an agreement."""
    game = ChessGame(WHITE, BLACK)
    game.offer_draw(WHITE)
    assert game.offer_draw(BLACK) == GameResult(None, Termination.DRAW_AGREED)


def test_a_player_cannot_accept_their_own_offer() -> None:
    """Accepting with no offer from the opponent is refused as no_draw_offer."""
    game = ChessGame(WHITE, BLACK)
    game.offer_draw(WHITE)
    with pytest.raises(ChessMoveError) as caught:
        game.accept_draw(WHITE)
    assert caught.value.reason is MoveErrorReason.NO_DRAW_OFFER


def test_moving_instead_of_answering_declines_the_offer() -> None:
    """Black playing a move after white's offer withdraws it."""
    game = ChessGame(WHITE, BLACK)
    game.play(WHITE, "e4")
    game.offer_draw(WHITE)
    game.play(BLACK, "e5")
    assert game.draw_offer is None


def test_a_stored_draw_offer_survives_a_rebuild() -> None:
    """A draw offer kept in storage can still be accepted after a restart."""
    game = ChessGame(WHITE, BLACK, ["e2e4"], draw_offer=Color.WHITE)
    assert game.accept_draw(BLACK).termination is Termination.DRAW_AGREED


def test_a_stored_ending_survives_a_rebuild() -> None:
    """A resignation passed back in from storage keeps the game over."""
    game = ChessGame(
        WHITE, BLACK, ["e2e4"], result=GameResult(Color.BLACK, Termination.RESIGNATION)
    )
    assert refusal(game, BLACK, "e5").reason is MoveErrorReason.GAME_OVER


# --- time controls and clocks -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2d", TimeControl.correspondence(2)),
        ("3 days", TimeControl.correspondence(3)),
        ("1 day", TimeControl.correspondence(1)),
        ("10+5", TimeControl.live(10, 5)),
        (" 15 + 0 ", TimeControl.live(15, 0)),
    ],
)
def test_time_controls_are_read_from_text(text: str, expected: TimeControl) -> None:
    """ "2d", "3 days", "10+5" and friends become time controls."""
    assert parse_time_control(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("5d", TimeControlErrorReason.DAYS_OUT_OF_RANGE),
        ("0+5", TimeControlErrorReason.MINUTES_OUT_OF_RANGE),
        ("10+500", TimeControlErrorReason.INCREMENT_OUT_OF_RANGE),
        ("soon", TimeControlErrorReason.UNPARSEABLE),
        ("10", TimeControlErrorReason.UNPARSEABLE),
    ],
)
def test_bad_time_controls_raise_typed_errors(text: str, reason: TimeControlErrorReason) -> None:
    """Out-of-range and unreadable time controls name what is wrong."""
    with pytest.raises(TimeControlError) as caught:
        parse_time_control(text)
    assert caught.value.reason is reason


def test_the_default_time_control_is_two_days_a_move() -> None:
    """Correspondence without a number of days means two days."""
    tc = TimeControl.correspondence()
    assert (tc.kind, tc.base) == (TimeControlKind.CORRESPONDENCE, timedelta(days=2))


@pytest.mark.parametrize(
    ("tc", "pgn"), [(TimeControl.live(10, 5), "600+5"), (TimeControl.correspondence(2), "1/172800")]
)
def test_time_controls_have_pgn_tags(tc: TimeControl, pgn: str) -> None:
    """Live is "600+5", two-day correspondence "1/172800"."""
    assert tc.pgn == pgn


def test_live_clock_counts_elapsed_time_and_adds_the_increment() -> None:
    """10+5: white moves after 30 s (9:35 left), black's clock has run 20 s since."""
    moves = [START + timedelta(seconds=30)]
    clock = clock_state(TimeControl.live(10, 5), START, moves, START + timedelta(seconds=50))
    assert clock.white_left == timedelta(minutes=9, seconds=35)
    assert clock.black_left == timedelta(minutes=9, seconds=40)
    assert clock.to_move is Color.BLACK


def test_live_clock_flags_the_side_to_move_at_its_deadline() -> None:
    """Black with 10:05 left after white's move has flagged 10:05 later."""
    moves = [START + timedelta(seconds=30)]
    deadline = moves[0] + timedelta(minutes=10)
    clock = clock_state(TimeControl.live(10, 5), START, moves, deadline)
    assert (clock.deadline, clock.flagged, clock.black_left) == (deadline, True, timedelta(0))


def test_live_clock_has_not_flagged_a_second_before_the_deadline() -> None:
    """One second before running out, the side to move has not flagged."""
    now = START + timedelta(minutes=10) - timedelta(seconds=1)
    assert not clock_state(TimeControl.live(10, 0), START, [], now).flagged


def test_correspondence_deadline_is_the_allowance_after_the_last_move() -> None:
    """Two days a move: black's deadline is two days after white's move."""
    white_moved = START + timedelta(hours=5)
    clock = clock_state(TimeControl.correspondence(2), START, [white_moved], white_moved)
    assert clock.deadline == white_moved + timedelta(days=2)


def test_correspondence_player_who_misses_the_deadline_has_flagged() -> None:
    """Past two days without a move, the side to move has flagged."""
    later = START + timedelta(days=2, seconds=1)
    assert clock_state(TimeControl.correspondence(2), START, [], later).flagged


def test_correspondence_time_left_does_not_carry_over() -> None:
    """A quick reply does not bank time: the next move again gets exactly two days."""
    moves = [START + timedelta(minutes=1), START + timedelta(minutes=2)]
    clock = clock_state(TimeControl.correspondence(2), START, moves, moves[-1])
    assert clock.white_left == timedelta(days=2)


def test_clock_state_needs_aware_datetimes() -> None:
    """A naive datetime is refused."""
    with pytest.raises(ValueError):
        clock_state(TimeControl.live(10, 0), START.replace(tzinfo=None), [], START)


def test_black_to_move_first_runs_blacks_clock() -> None:
    """From a position with black to move, black's clock runs first."""
    now = START + timedelta(minutes=1)
    clock = clock_state(TimeControl.live(10, 0), START, [], now, first_to_move=Color.BLACK)
    assert (clock.to_move, clock.black_left) == (Color.BLACK, timedelta(minutes=9))


def test_a_pause_stops_the_correspondence_clock() -> None:
    """Two days a move, a day used, then a week's pause: the deadline moves a week later."""
    paused = START + timedelta(days=1)
    reopened = paused + timedelta(days=7)
    now = reopened + timedelta(hours=1)
    pauses = [(paused, reopened)]
    clock = clock_state(TimeControl.correspondence(2), START, [], now, pauses=pauses)
    assert clock.deadline == reopened + timedelta(days=1)
    assert clock.white_left == timedelta(hours=23)
    assert not clock.flagged and not clock.frozen


def test_a_pause_that_lasts_freezes_the_clock_and_never_flags() -> None:
    """During a pause longer than the allowance, the clock shows what was left and is frozen."""
    paused = START + timedelta(days=1, hours=12)
    now = START + timedelta(days=30)
    clock = clock_state(TimeControl.correspondence(2), START, [], now, pauses=[(paused, None)])
    assert (clock.frozen, clock.flagged, clock.white_left) == (True, False, timedelta(hours=12))


def test_a_pause_after_the_flag_fell_does_not_save_the_game() -> None:
    """A player already out of time when the pause began has still flagged."""
    paused = START + timedelta(days=3)
    clock = clock_state(
        TimeControl.correspondence(2),
        START,
        [],
        paused + timedelta(hours=1),
        pauses=[(paused, None)],
    )
    assert clock.flagged and not clock.frozen and clock.deadline == START + timedelta(days=2)


def test_a_live_clock_does_not_count_a_pause_between_moves() -> None:
    """10+5: white thinks 1 min, 1 h of pause, 1 more min, moves: 8:05 left, black at 10:00."""
    paused = START + timedelta(minutes=1)
    reopened = paused + timedelta(hours=1)
    moved = reopened + timedelta(minutes=1)
    clock = clock_state(TimeControl.live(10, 5), START, [moved], moved, pauses=[(paused, reopened)])
    assert (clock.white_left, clock.black_left) == (
        timedelta(minutes=8, seconds=5),
        timedelta(minutes=10),
    )


def test_pauses_before_the_last_move_leave_the_deadline_alone() -> None:
    """A pause during white's thinking does not lengthen black's two days."""
    moved = START + timedelta(days=5)
    pauses = [(START + timedelta(hours=1), START + timedelta(days=4))]
    clock = clock_state(TimeControl.correspondence(2), START, [moved], moved, pauses=pauses)
    assert clock.deadline == moved + timedelta(days=2)


def test_an_extension_moves_the_deadline_of_its_position() -> None:
    """A day added to black's position after 1. e4 puts black's deadline a day later."""
    moved = [START + timedelta(hours=1)]
    tc = TimeControl.correspondence(2)
    plain = clock_state(tc, START, moved, moved[0])
    extended = clock_state(tc, START, moved, moved[0], extensions={1: timedelta(days=1)})
    assert extended.deadline == plain.deadline + timedelta(days=1)
    assert extended.black_left == timedelta(days=3)


def test_a_correspondence_extension_ends_with_its_position() -> None:
    """The next move gets the usual two days, not the extension again."""
    moves = [START + timedelta(hours=1), START + timedelta(days=3)]
    tc = TimeControl.correspondence(2)
    clock = clock_state(tc, START, moves, moves[-1], extensions={1: timedelta(days=1)})
    assert clock.deadline == moves[-1] + timedelta(days=2)


def test_a_live_extension_stays_on_the_players_clock_after_their_move() -> None:
    """10+0: black got 5 minutes more in its first position and keeps what it did not use."""
    moves = [START + timedelta(seconds=30), START + timedelta(seconds=90)]
    tc = TimeControl.live(10, 0)
    clock = clock_state(tc, START, moves, moves[-1], extensions={1: timedelta(minutes=5)})
    assert clock.black_left == timedelta(minutes=14)
    assert clock.white_left == timedelta(minutes=9, seconds=30)


def test_after_an_outage_a_correspondence_player_gets_a_day() -> None:
    """A deadline that passed while the bot was down becomes a day from start-up."""
    now = START + timedelta(days=3)
    deadline = START + timedelta(days=2)
    fair = deadline_after_outage(
        TimeControl.correspondence(2), deadline=deadline, clock_at_start=timedelta(0), now=now
    )
    assert fair == now + timedelta(hours=24)


def test_after_an_outage_a_live_player_gets_the_clock_of_the_last_move() -> None:
    """9:35 left when the position began: 9:35 from start-up."""
    now = START + timedelta(hours=2)
    left = timedelta(minutes=9, seconds=35)
    fair = deadline_after_outage(
        TimeControl.live(10, 5), deadline=START + left, clock_at_start=left, now=now
    )
    assert fair == now + left


def test_after_an_outage_a_live_player_gets_at_least_a_minute() -> None:
    """Two seconds on the clock still leaves a minute to come back to the board."""
    now = START + timedelta(hours=2)
    fair = deadline_after_outage(
        TimeControl.live(10, 0),
        deadline=START + timedelta(seconds=2),
        clock_at_start=timedelta(seconds=2),
        now=now,
    )
    assert fair == now + timedelta(minutes=1)


def test_an_outage_never_shortens_a_deadline() -> None:
    """Three days still to go stay three days, even though the grace is one."""
    deadline = START + timedelta(days=3)
    fair = deadline_after_outage(
        TimeControl.correspondence(3), deadline=deadline, clock_at_start=timedelta(0), now=START
    )
    assert fair == deadline


def test_timeout_gives_the_game_to_the_opponent() -> None:
    """White running out of time loses by timeout, "0-1"."""
    game = ChessGame(WHITE, BLACK)
    result = game.time_out(Color.WHITE)
    assert (result, result.pgn_result) == (GameResult(Color.BLACK, Termination.TIMEOUT), "0-1")


def test_a_missed_correspondence_deadline_ends_the_game_for_the_side_to_move() -> None:
    """Black silent for over two days after 1. e4 has flagged and loses on time."""
    game = ChessGame(WHITE, BLACK, ["e2e4"])
    times = [START + timedelta(hours=1)]
    now = times[0] + timedelta(days=2, minutes=1)
    clock = clock_state(
        TimeControl.correspondence(2), START, times, now, first_to_move=game.first_to_move
    )
    assert clock.flagged
    assert game.time_out(clock.to_move) == GameResult(Color.WHITE, Termination.TIMEOUT)


def test_a_game_from_a_black_to_move_position_starts_with_black() -> None:
    """first_to_move follows the start position, even after moves were played."""
    game = ChessGame(WHITE, BLACK, ["e7e5"], start_fen="4k3/4p3/8/8/8/8/8/4K3 b - - 0 12")
    assert game.first_to_move is Color.BLACK


def test_timeout_against_a_bare_king_is_a_draw() -> None:
    """Running out of time when the opponent cannot mate draws."""
    game = game_from("4k3/8/8/8/8/8/8/Q3K3 w - - 0 1")
    assert game.time_out(Color.WHITE) == GameResult(None, Termination.TIMEOUT)


# --- what the game shows ----------------------------------------------------------------------


def test_moves_are_grouped_by_piece_with_their_destinations() -> None:
    """At the start the g1 knight can go to f3 and h3."""
    pieces = {p.square: p for p in ChessGame(WHITE, BLACK).legal_moves_by_piece()}
    assert len(pieces) == 10
    knight = pieces["g1"]
    assert (knight.piece, [d.square for d in knight.destinations]) == ("N", ["f3", "h3"])


def test_a_promotion_destination_offers_a_choice_of_piece() -> None:
    """The a7 pawn's a8 destination carries four options, one per promotion piece."""
    pieces = {p.square: p for p in game_from(PROMOTION_FEN).legal_moves_by_piece()}
    (a8,) = pieces["a7"].destinations
    assert a8.needs_promotion_choice
    assert [o.promotion for o in a8.options] == ["q", "r", "b", "n"]


def test_castling_appears_as_a_king_destination() -> None:
    """The king's g1 destination is the O-O move."""
    pieces = {p.square: p for p in game_from(CASTLING_FEN).legal_moves_by_piece()}
    g1 = next(d for d in pieces["e1"].destinations if d.square == "g1")
    assert [o.san for o in g1.options] == ["O-O"]


def test_suggestions_follow_the_typed_prefix_whatever_its_case() -> None:
    """ "n" suggests the four knight moves."""
    assert ChessGame(WHITE, BLACK).san_suggestions("n") == ["Na3", "Nc3", "Nf3", "Nh3"]


def test_suggestions_forgive_a_missing_capture_sign() -> None:
    """ "bc4" suggests both readings, Bxc4 and bxc4."""
    assert set(game_from(BISHOP_OR_PAWN_FEN).san_suggestions("bc4")) == {"Bxc4", "bxc4"}


def test_suggestions_match_a_uci_prefix_too() -> None:
    """ "g1" suggests the knight's two moves, with their squares for a plain-words label."""
    hints = ChessGame(WHITE, BLACK).move_hints("g1")
    assert [(h.san, h.uci, h.piece, h.to_square) for h in hints] == [
        ("Nf3", "g1f3", "N", "f3"),
        ("Nh3", "g1h3", "N", "h3"),
    ]


def test_a_finished_game_suggests_nothing() -> None:
    """After mate there is no move to suggest."""
    game = ChessGame(WHITE, BLACK)
    play_all(game, SCHOLARS_MATE)
    assert game.move_hints("") == []


def test_suggestions_are_capped_for_autocomplete() -> None:
    """A position with many moves yields at most 25 suggestions."""
    game = game_from("4k3/8/8/8/3Q4/8/8/R3K2R w KQ - 0 1")
    assert game.board.legal_moves.count() > 25
    assert len(game.san_suggestions("")) == 25


def test_captured_material_is_counted_per_side() -> None:
    """Each side's captures are listed and the balance counts what is left on the board."""
    game = ChessGame(WHITE, BLACK)
    play_all(game, ["e4", "d5", "exd5", "Qxd5", "Nc3", "Qxg2"])
    material = game.material
    assert material.captured_by_white == ("p",)
    assert material.captured_by_black == ("P", "P")
    assert material.balance == -1


def test_captured_pieces_are_listed_most_valuable_first() -> None:
    """White's captures in the Opera game come as rook, bishop, knight, then pawns."""
    game = ChessGame(WHITE, BLACK)
    play_all(game, OPERA_GAME)
    assert game.material.captured_by_white == ("r", "b", "n", "p", "p", "p")


def test_move_list_is_numbered() -> None:
    """Moves read "1. e4 e5 2. Nf3"."""
    game = ChessGame(WHITE, BLACK)
    play_all(game, ["e4", "e5", "Nf3"])
    assert game.move_list() == "1. e4 e5 2. Nf3"


def test_move_list_from_a_black_to_move_position_starts_with_dots() -> None:
    """A game starting with black to move reads "12... e5 13. Kd2"."""
    game = game_from("4k3/4p3/8/8/8/8/8/4K3 b - - 0 12")
    play_all(game, ["e5", "Kd2"])
    assert game.move_list() == "12... e5 13. Kd2"


def test_a_long_move_list_drops_its_start_to_fit() -> None:
    """Too long for the budget, the list keeps its end behind "… "."""
    game = ChessGame(WHITE, BLACK)
    play_all(game, OPERA_GAME)
    text = game.move_list(max_chars=40)
    assert len(text) <= 40
    assert text.startswith("… ")
    assert text.endswith("16. Qb8+ Nxb8 17. Rd8#")


# --- PGN --------------------------------------------------------------------------------------


def opera_pgn() -> str:
    game = ChessGame(WHITE, BLACK)
    play_all(game, OPERA_GAME)
    return game.to_pgn(
        event="Minneapolis–Najaf Chess Exchange",
        cities=("Minneapolis", "Najaf"),
        played_on=date(2026, 10, 3),
        white_name="Amira",
        black_name="Jonah",
        time_control=TimeControl.correspondence(2),
        teams=("Najaf", "Minneapolis"),
    )


def test_pgn_carries_the_exchange_headers() -> None:
    """Event, Site with both cities, Date, players, Result, TimeControl and Termination."""
    headers = chess.pgn.read_headers(io.StringIO(opera_pgn()))
    assert headers is not None
    assert {
        "Event": "Minneapolis–Najaf Chess Exchange",
        "Site": "Minneapolis – Najaf",
        "Date": "2026.10.03",
        "White": "Amira",
        "Black": "Jonah",
        "Result": "1-0",
        "TimeControl": "1/172800",
        "Termination": "normal",
        "WhiteTeam": "Najaf",
        "BlackTeam": "Minneapolis",
    }.items() <= dict(headers).items()


def test_pgn_replays_to_the_same_final_position() -> None:
    """The exported PGN parses and its moves reach the game's final position."""
    game = ChessGame(WHITE, BLACK)
    play_all(game, OPERA_GAME)
    parsed = chess.pgn.read_game(io.StringIO(opera_pgn()))
    assert parsed is not None and not parsed.errors
    assert parsed.end().board().fen() == game.fen


def test_pgn_of_a_game_from_a_set_position_keeps_its_fen() -> None:
    """A game from a given FEN exports SetUp/FEN and replays from there."""
    game = game_from(PROMOTION_FEN)
    game.play(WHITE, "a8=N")
    pgn = game.to_pgn(
        event="E", cities=("A", "B"), played_on=date(2026, 1, 1), white_name="W", black_name="B"
    )
    parsed = chess.pgn.read_game(io.StringIO(pgn))
    assert parsed is not None and parsed.end().board().fen() == game.fen


def test_pgn_of_a_timeout_says_time_forfeit() -> None:
    """A game lost on time has Termination "time forfeit"."""
    game = ChessGame(WHITE, BLACK)
    game.time_out(Color.BLACK)
    pgn = game.to_pgn(
        event="E", cities=("A", "B"), played_on=date(2026, 1, 1), white_name="W", black_name="B"
    )
    headers = chess.pgn.read_headers(io.StringIO(pgn))
    assert headers is not None and headers["Termination"] == "time forfeit"


def test_pgn_header_values_cannot_break_the_tag_line() -> None:
    """Quotes and line breaks in a name are neutralised."""
    game = ChessGame(WHITE, BLACK)
    pgn = game.to_pgn(
        event="E",
        cities=("A", "B"),
        played_on=date(2026, 1, 1),
        white_name='Ali "the rook"\nHassan',
        black_name="B",
    )
    headers = chess.pgn.read_headers(io.StringIO(pgn))
    assert headers is not None and headers["White"] == "Ali 'the rook' Hassan"


# --- ratings ----------------------------------------------------------------------------------


def test_equal_players_exchange_half_the_k_factor_on_a_win() -> None:
    """1500 beats 1500 with K=32: 1516 and 1484."""
    assert elo_update(1500, 1500, 1.0) == (1516, 1484)


def test_a_draw_between_equals_changes_nothing() -> None:
    """1500 draws 1500: ratings stay."""
    assert elo_update(1500, 1500, 0.5) == (1500, 1500)


def test_an_upset_moves_ratings_more_than_an_expected_win() -> None:
    """The weaker player winning gains more than the stronger player would."""
    upset, _ = elo_update(1400, 1800, 1.0)
    _, favourite = elo_update(1400, 1800, 0.0)
    assert upset - 1400 > 1800 - favourite


def test_expected_score_at_400_points_is_ten_to_one() -> None:
    """400 points ahead means an expectation of 10/11."""
    assert expected_score(1800, 1400) == pytest.approx(10 / 11)


def test_a_score_that_no_game_gives_is_refused() -> None:
    """Only 0, ½ and 1 are game scores."""
    with pytest.raises(ValueError):
        elo_update(1500, 1500, 0.7)


def test_a_result_scores_for_each_colour() -> None:
    """A black win scores 0 for white and 1 for black; a draw ½ each."""
    black_win = GameResult(Color.BLACK, Termination.CHECKMATE)
    draw = GameResult(None, Termination.STALEMATE)
    assert (black_win.score(Color.WHITE), black_win.score(Color.BLACK)) == (0.0, 1.0)
    assert draw.score(Color.WHITE) == 0.5
