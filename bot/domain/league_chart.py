"""The league table as a PNG: each city's match points as a bar, with game points and
Sonneborn–Berger written beside it.

Drawn with Pillow rather than matplotlib: Pillow is loaded already (the chess boards), while
matplotlib's first import in a process takes a second or more, too long inside an answer that
must come within Discord's 3 s. Names are set in DejaVu Sans (matplotlib's copy, found
without importing it) with Pillow's complex-script layout where the machine has it, so an
Arabic city name is joined and right to left. Almost no words: the caller gives the title and
the legend in the reader's language.
"""

from __future__ import annotations

import importlib.util
import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, features

from bot.domain.chess_league import points_text

WIDTH_PX = 1000
ROW_PX = 56
TOP_PX = 70
BOTTOM_PX = 50
NAME_PX = 260  # the column of ranks and names, left of the bars
COLOURS = ("#2a6f97", "#e07a1f", "#3a7d44", "#8e5ea2", "#c44e52", "#7f7f7f")
INK = "#222222"


@dataclass(frozen=True, slots=True)
class ChartRow:
    rank: int
    city: str
    match_points: int
    game_points: float
    sonneborn_berger: float


def _dejavu() -> Path | None:
    spec = importlib.util.find_spec("matplotlib")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        found = Path(folder) / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
        if found.exists():
            return found
    return None


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = _dejavu()
    if path is None:
        return ImageFont.load_default(size=size)
    layout = ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC
    return ImageFont.truetype(str(path), size=size, layout_engine=layout)


def _fitted(draw: ImageDraw.ImageDraw, name: str) -> str:
    """The name, cut with "…" where it would run into the bars."""
    room = NAME_PX - 80
    if draw.textlength(name, font=_font(20)) <= room:
        return name
    while name and draw.textlength(name + "…", font=_font(20)) > room:
        name = name[:-1]
    return name + "…"


def league_chart(rows: Sequence[ChartRow], title: str, legend: str) -> bytes:
    """A PNG, best city on top: a bar of match points each, "MP · GP · SB" at its end."""
    height = TOP_PX + ROW_PX * max(len(rows), 1) + BOTTOM_PX
    image = Image.new("RGB", (WIDTH_PX, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((20, 20), title, fill=INK, font=_font(24))
    most = max((r.match_points for r in rows), default=0)
    span = WIDTH_PX - NAME_PX - 220  # room for the figures after the longest bar
    for index, row in enumerate(rows):
        top = TOP_PX + index * ROW_PX
        middle = top + ROW_PX // 2
        draw.text((20, middle), f"{row.rank}.", fill=INK, font=_font(20), anchor="lm")
        draw.text((60, middle), _fitted(draw, row.city), fill=INK, font=_font(20), anchor="lm")
        length = round(span * row.match_points / most) if most else 0
        left = NAME_PX
        draw.rectangle(
            (left, top + 12, left + max(length, 2), top + ROW_PX - 12),
            fill=COLOURS[index % len(COLOURS)],
        )
        figures = (
            f"{row.match_points}  ·  {points_text(row.game_points)}  ·  {row.sonneborn_berger:g}"
        )
        draw.text((left + length + 12, middle), figures, fill=INK, font=_font(18), anchor="lm")
    draw.text((20, height - BOTTOM_PX // 2), legend, fill="#555555", font=_font(14), anchor="lm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
