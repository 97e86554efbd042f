"""The league table as a PNG: each city's match points as a bar, game points and
Sonneborn–Berger beside it.

Drawn as `bot.domain.report_chart` draws (matplotlib's object API on the Agg canvas, names
isolated and in fonts that carry every script), with almost no words, so it reads the same
in every language: the legend line is given by the caller in the reader's language.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.chess_league import points_text
from bot.domain.report_chart import _name_font, isolate

WIDTH_PX = 1000
ROW_PX = 60
DPI = 100
COLOURS = ("#2a6f97", "#e07a1f", "#3a7d44", "#8e5ea2", "#c44e52", "#7f7f7f")


@dataclass(frozen=True, slots=True)
class ChartRow:
    rank: int
    city: str
    match_points: int
    game_points: float
    sonneborn_berger: float


def league_chart(rows: Sequence[ChartRow], title: str, legend: str) -> bytes:
    """A PNG, best city on top: a bar of match points each, "GP · SB" written at its end."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    height = max(3.0, (len(rows) * ROW_PX + 160) / DPI)
    figure = Figure(figsize=(WIDTH_PX / DPI, height), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(rows)))[::-1]
    most = max((r.match_points for r in rows), default=0)
    bars = axes.barh(
        positions,
        [r.match_points for r in rows],
        color=[COLOURS[i % len(COLOURS)] for i in range(len(rows))],
        height=0.6,
    )
    axes.bar_label(
        bars,
        labels=[
            f"{r.match_points}  ·  {points_text(r.game_points)}  ·  {r.sonneborn_berger:g}"
            for r in rows
        ],
        padding=6,
        fontsize=11,
    )
    axes.set_yticks(
        positions,
        [f"{r.rank}. {isolate(r.city)}" for r in rows],
        fontproperties=_name_font(),
        fontsize=12,
    )
    axes.set_xlim(0, max(most, 1) * 1.35 + 1)
    axes.set_xticks([])
    axes.set_title(title, fontproperties=_name_font(), fontsize=13, loc="left")
    for side in ("top", "right", "bottom"):
        axes.spines[side].set_visible(False)
    figure.text(0.02, 0.02, legend, fontproperties=_name_font(), fontsize=9, alpha=0.8)
    figure.subplots_adjust(left=0.22, right=0.97, top=0.85, bottom=0.15)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
