"""The board as a PNG: coordinates, last move, check and captured material, in a few ms.

Speed comes from doing the slow work once: piece images are decoded and scaled once per size,
and the empty board with its coordinates once per size and orientation. A render only copies
that background, pastes highlights and pieces, and encodes a quickly compressed PNG.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import chess
from PIL import Image, ImageDraw, ImageFont

from bot.domain.chess_game import ChessGame, Color, Material

SQUARE_PX = 60

_LIGHT = (240, 217, 181)
_DARK = (181, 136, 99)
_LIGHT_MOVED = (205, 210, 106)
_DARK_MOVED = (170, 162, 58)
_CHECK = (231, 0, 0)
_FRAME = (236, 233, 227)
_INK = (92, 86, 80)
# zlib's fastest level: a few ms where the default costs several times that, and the flat
# squares still compress to well under Discord-friendly sizes.
_PNG_COMPRESS_LEVEL = 1
_FILES = "abcdefgh"


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where things go for one square size: a strip, a margin, the board, a margin, a strip."""

    square: int
    margin: int  # coordinates live here
    strip: int  # captured pieces live here
    mini: int  # captured piece size

    @property
    def board_left(self) -> int:
        return self.margin

    @property
    def board_top(self) -> int:
        return self.strip + self.margin

    @property
    def size(self) -> tuple[int, int]:
        board = 8 * self.square
        return board + 2 * self.margin, board + 2 * self.margin + 2 * self.strip

    def square_box(self, square: chess.Square, flipped: bool) -> tuple[int, int]:
        """Top-left pixel of `square` seen from white (or from black when flipped)."""
        file, rank = chess.square_file(square), chess.square_rank(square)
        column, row = (7 - file, rank) if flipped else (file, 7 - rank)
        return self.board_left + column * self.square, self.board_top + row * self.square


@lru_cache(maxsize=8)
def _layout(square: int) -> _Layout:
    if not 16 <= square <= 128:
        raise ValueError("square size must be between 16 and 128 px")
    return _Layout(
        square=square,
        margin=round(square * 0.4),
        strip=round(square * 0.6),
        mini=round(square * 0.5),
    )


def image_size(square_px: int = SQUARE_PX) -> tuple[int, int]:
    """(width, height) in pixels of a rendered board with squares of `square_px`."""
    return _layout(square_px).size


def square_box(
    square: chess.Square, perspective: Color, square_px: int = SQUARE_PX
) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) pixels of `square` in a render seen by `perspective`."""
    x, y = _layout(square_px).square_box(square, perspective is Color.BLACK)
    return x, y, x + square_px, y + square_px


@lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    # Pillow's bundled font: no system fonts needed on a fresh machine.
    return ImageFont.load_default(size=size)


@lru_cache(maxsize=12)
def _piece_master(symbol: str) -> Image.Image:
    name = ("w" if symbol.isupper() else "b") + symbol.upper() + ".png"
    source = resources.files("bot").joinpath("assets").joinpath("pieces").joinpath(name)
    with source.open("rb") as handle:
        image = Image.open(handle)
        image.load()
    return image.convert("RGBA")


@lru_cache(maxsize=64)
def _piece(symbol: str, size: int) -> Image.Image:
    """The piece scaled to `size` px, cached: scaling is the slow part."""
    master = _piece_master(symbol)
    if master.width == size:
        return master
    return master.resize((size, size), Image.Resampling.LANCZOS)


@lru_cache(maxsize=8)
def _check_glow(size: int) -> Image.Image:
    """A red radial glow for a king in check: solid in the middle, fading to the edges."""
    distance = Image.radial_gradient("L").resize((size, size), Image.Resampling.BILINEAR)
    # The gradient is 0 at the centre and 255 at the middle of an edge.
    alpha = distance.point(lambda d: 255 if d < 64 else max(0, 255 - (d - 64) * 255 // 164))
    glow = Image.new("RGBA", (size, size), (*_CHECK, 0))
    glow.putalpha(alpha)
    return glow


@lru_cache(maxsize=8)
def _background(square: int, flipped: bool) -> Image.Image:
    """The frame, the empty squares and the coordinates for one size and orientation."""
    layout = _layout(square)
    image = Image.new("RGB", layout.size, _FRAME)
    draw = ImageDraw.Draw(image)
    for sq in chess.SQUARES:
        x, y = layout.square_box(sq, flipped)
        light = (chess.square_file(sq) + chess.square_rank(sq)) % 2 == 1
        draw.rectangle((x, y, x + square - 1, y + square - 1), fill=_LIGHT if light else _DARK)
    font = _font(max(10, round(square * 0.28)))
    board_px = 8 * square
    for index in range(8):
        file_name = _FILES[7 - index if flipped else index]
        rank_name = str(index + 1 if flipped else 8 - index)
        x = layout.board_left + index * square + square // 2
        y = layout.board_top + index * square + square // 2
        for cy in (
            layout.board_top - layout.margin // 2,
            layout.board_top + board_px + layout.margin // 2,
        ):
            draw.text((x, cy), file_name, fill=_INK, font=font, anchor="mm")
        for cx in (layout.margin // 2, layout.board_left + board_px + layout.margin // 2):
            draw.text((cx, y), rank_name, fill=_INK, font=font, anchor="mm")
    return image


def _square_colour(square: chess.Square) -> tuple[int, int, int]:
    light = (chess.square_file(square) + chess.square_rank(square)) % 2 == 1
    return _LIGHT_MOVED if light else _DARK_MOVED


def _draw_captures(
    image: Image.Image, layout: _Layout, pieces: tuple[str, ...], advantage: int, top: int
) -> None:
    """Captured pieces in a strip starting at `top`, same kinds overlapping, then "+N"."""
    size = layout.mini
    step, gap = size * 9 // 20, size // 4
    x = layout.board_left
    y = top + (layout.strip - size) // 2
    previous = ""
    for symbol in pieces:
        if previous:
            x += step if symbol == previous else size + gap
        piece = _piece(symbol, size)
        image.paste(piece, (x, y), piece)
        previous = symbol
    if advantage > 0:
        text_x = x + (size + gap if pieces else 0)
        draw = ImageDraw.Draw(image)
        font = _font(max(10, round(layout.square * 0.3)))
        draw.text(
            (text_x, top + layout.strip // 2), f"+{advantage}", fill=_INK, font=font, anchor="lm"
        )


def render_board(
    board: chess.Board,
    *,
    perspective: Color | None = None,
    last_move: chess.Move | None = None,
    material: Material | None = None,
    square_px: int = SQUARE_PX,
) -> bytes:
    """A PNG of `board` seen by `perspective` (default: the side to move).

    Highlights `last_move` (default: the board's last pushed move, if it has history) and a
    king in check; shows each side's captured pieces beside it when `material` is given.
    """
    layout = _layout(square_px)
    viewer = perspective or Color.of(board.turn)
    flipped = viewer is Color.BLACK
    image = _background(square_px, flipped).copy()
    move = last_move or (board.peek() if board.move_stack else None)
    if move:
        for square in (move.from_square, move.to_square):
            x, y = layout.square_box(square, flipped)
            image.paste(_square_colour(square), (x, y, x + square_px, y + square_px))
    if board.is_check():
        king = board.king(board.turn)
        if king is not None:
            glow = _check_glow(square_px)
            image.paste(glow, layout.square_box(king, flipped), glow)
    for square, piece in board.piece_map().items():
        sprite = _piece(piece.symbol(), square_px)
        image.paste(sprite, layout.square_box(square, flipped), sprite)
    if material is not None:
        below = layout.board_top + 8 * square_px + layout.margin
        opponent = viewer.other
        _draw_captures(
            image, layout, material.captured_by(opponent), material.advantage(opponent), 0
        )
        _draw_captures(
            image, layout, material.captured_by(viewer), material.advantage(viewer), below
        )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=_PNG_COMPRESS_LEVEL)
    return buffer.getvalue()


def render_game(
    game: ChessGame, *, perspective: Color | None = None, square_px: int = SQUARE_PX
) -> bytes:
    """A PNG of the game's position for the side to move (or `perspective`), with its last
    move, check and captured material."""
    return render_board(
        game.board,
        perspective=perspective or game.turn,
        last_move=game.last_move,
        material=game.material,
        square_px=square_px,
    )
