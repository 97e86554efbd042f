"""The board picture: a PNG with orientation, highlights and captured material."""

from __future__ import annotations

import io

import chess
from PIL import Image

from bot.domain.board_render import image_size, render_board, render_game, square_box
from bot.domain.chess_game import ChessGame, Color, Material

WHITE, BLACK = 101, 202
NO_CAPTURES = Material(captured_by_white=(), captured_by_black=(), balance=0)


def picture(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image.convert("RGB")


def crop(image: Image.Image, square: chess.Square, perspective: Color) -> bytes:
    return image.crop(square_box(square, perspective)).tobytes()


def corner(image: Image.Image, square: chess.Square, perspective: Color) -> tuple[int, ...]:
    """A pixel in the square's corner, where no piece is drawn."""
    left, top, _, _ = square_box(square, perspective)
    pixel = image.getpixel((left + 2, top + 2))
    assert isinstance(pixel, tuple)
    return pixel


def red_pixels(image: Image.Image, square: chess.Square, perspective: Color) -> int:
    data = image.crop(square_box(square, perspective)).tobytes()
    pixels = zip(data[0::3], data[1::3], data[2::3], strict=True)
    return sum(1 for r, g, b in pixels if r > 150 and g < 100 and b < 100)


def test_render_is_a_png_of_the_announced_size() -> None:
    """The output is a PNG whose size is what image_size() says."""
    image = Image.open(io.BytesIO(render_board(chess.Board())))
    assert (image.format, image.size) == ("PNG", image_size())


def test_render_stays_small_enough_to_post() -> None:
    """A busy middlegame renders to under 150 KB."""
    game = ChessGame(WHITE, BLACK)
    for san in ["e4", "e5", "Nf3", "Nc6", "Bb5", "a6", "Bxc6", "dxc6", "O-O", "f6"]:
        game.play(game.player_to_move, san)
    assert len(render_game(game)) < 150_000


def test_a_larger_square_size_gives_a_larger_picture() -> None:
    """square_px scales the whole picture."""
    image = Image.open(io.BytesIO(render_board(chess.Board(), square_px=80)))
    assert image.size == image_size(80) and image.size[0] > image_size()[0]


def test_black_sees_the_board_flipped() -> None:
    """The same position from black's side is a different picture, with a8 at bottom right."""
    board = chess.Board()
    as_white = picture(render_board(board, perspective=Color.WHITE))
    as_black = picture(render_board(board, perspective=Color.BLACK))
    assert as_white.tobytes() != as_black.tobytes()
    assert square_box(chess.A8, Color.BLACK)[0] > square_box(chess.H8, Color.BLACK)[0]


def test_the_default_perspective_is_the_side_to_move() -> None:
    """After 1. e4 the picture is drawn for black, who moves next."""
    board = chess.Board()
    board.push_san("e4")
    assert render_board(board) == render_board(board, perspective=Color.BLACK)


def test_a_king_in_check_is_marked_red_on_its_square() -> None:
    """A rook checking along the back rank turns the black king's square red."""
    checked = chess.Board("R3k3/8/8/8/8/8/8/4K3 b - - 0 1")
    quiet = chess.Board("4k3/R7/8/8/8/8/8/4K3 b - - 0 1")
    in_check = picture(render_board(checked, perspective=Color.WHITE))
    not_in_check = picture(render_board(quiet, perspective=Color.WHITE))
    assert red_pixels(not_in_check, chess.E8, Color.WHITE) == 0
    assert red_pixels(in_check, chess.E8, Color.WHITE) > 0


def test_the_last_move_is_highlighted_on_both_squares() -> None:
    """After 1. e4 both e2 and e4 are tinted; an untouched square is not."""
    before = chess.Board()
    after = chess.Board()
    move = after.push_san("e4")
    plain = picture(render_board(before, perspective=Color.WHITE))
    marked = picture(render_board(after, perspective=Color.WHITE, last_move=move))
    for square in (chess.E2, chess.E4):
        assert corner(marked, square, Color.WHITE) != corner(plain, square, Color.WHITE)
    assert corner(marked, chess.D2, Color.WHITE) == corner(plain, chess.D2, Color.WHITE)


def test_the_boards_own_last_move_is_highlighted_by_default() -> None:
    """Without last_move, the move pushed on the board is the one highlighted."""
    board = chess.Board()
    board.push_san("e4")
    no_history = picture(render_board(board.copy(stack=False), perspective=Color.WHITE))
    default = picture(render_board(board, perspective=Color.WHITE))
    assert corner(default, chess.E2, Color.WHITE) != corner(no_history, chess.E2, Color.WHITE)


def test_pieces_are_drawn_on_their_squares() -> None:
    """Removing the e2 pawn changes the e2 square and nothing on e4."""
    full = chess.Board()
    missing = chess.Board()
    missing.remove_piece_at(chess.E2)
    with_pawn = picture(render_board(full, perspective=Color.WHITE))
    without = picture(render_board(missing, perspective=Color.WHITE))
    assert crop(with_pawn, chess.E2, Color.WHITE) != crop(without, chess.E2, Color.WHITE)
    assert crop(with_pawn, chess.E4, Color.WHITE) == crop(without, chess.E4, Color.WHITE)


def test_every_piece_has_its_own_picture() -> None:
    """The twelve pieces, each alone on e4, give twelve different squares."""
    looks = set()
    for symbol in "KQRBNPkqrbnp":
        board = chess.Board(None)
        board.set_piece_at(chess.E4, chess.Piece.from_symbol(symbol))
        looks.add(
            crop(picture(render_board(board, perspective=Color.WHITE)), chess.E4, Color.WHITE)
        )
    assert len(looks) == 12


def test_captured_pieces_are_shown_beside_the_board() -> None:
    """Material taken appears outside the board and leaves the squares unchanged."""
    board = chess.Board()
    taken = Material(captured_by_white=("q", "p"), captured_by_black=(), balance=10)
    with_strip = picture(render_board(board, perspective=Color.WHITE, material=taken))
    without = picture(render_board(board, perspective=Color.WHITE, material=NO_CAPTURES))
    left, top, _, _ = square_box(chess.A8, Color.WHITE)
    _, _, right, bottom = square_box(chess.H1, Color.WHITE)
    assert with_strip.tobytes() != without.tobytes()
    assert with_strip.crop((left, top, right, bottom)) == without.crop((left, top, right, bottom))


def test_render_game_uses_the_games_last_move_and_material() -> None:
    """render_game draws the same picture as render_board given the game's parts."""
    game = ChessGame(WHITE, BLACK)
    for san in ["e4", "d5", "exd5"]:
        game.play(game.player_to_move, san)
    expected = render_board(
        game.board, perspective=Color.BLACK, last_move=game.last_move, material=game.material
    )
    assert render_game(game) == expected
