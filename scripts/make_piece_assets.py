"""Rasterise python-chess's cburnett piece SVGs once into bot/assets/pieces/*.png.

Run by hand, only when the artwork or its resolution changes, from a scratch venv that has the
rasteriser (the bot itself needs only Pillow at run time):

    python3 -m venv /tmp/assetvenv
    /tmp/assetvenv/bin/pip install cairosvg chess pillow
    /tmp/assetvenv/bin/python scripts/make_piece_assets.py
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import cairosvg  # type: ignore[import-not-found, unused-ignore]
import chess
import chess.svg
from PIL import Image

# Twice the renderer's default square (60 px), so downscaling once per size stays crisp.
SIZE = 120
OUT = Path(__file__).resolve().parent.parent / "bot" / "assets" / "pieces"


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for color in chess.COLORS:
        for piece_type in chess.PIECE_TYPES:
            piece = chess.Piece(piece_type, color)
            svg = chess.svg.piece(piece, size=SIZE)
            png = cairosvg.svg2png(bytestring=svg.encode(), output_width=SIZE, output_height=SIZE)
            image = Image.open(io.BytesIO(png)).convert("RGBA")
            name = ("w" if color else "b") + piece.symbol().upper()
            image.save(OUT / f"{name}.png", optimize=True)
            print(name, (OUT / f"{name}.png").stat().st_size, "bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
