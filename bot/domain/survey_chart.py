"""A survey's chart: the mean of each scale item per city, pre beside post, as a PNG.

Drawn like the attendance chart (matplotlib's object API on the Agg canvas, no pyplot), with
almost no words: items are numbered as in the results (Q1, Q2…), cities named, phases given
by the caller in the reader's language. A group too small to show has no bar, only its mark.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

from bot.domain.report_chart import DPI, _name_font, isolate
from bot.domain.surveys import SCALE_POINTS, ItemKind, Row, SurveyKind

WIDTH_PX = 1200
HEIGHT_PX = 650
# Colour-blind-safe, one per city and phase (pre lighter than post).
COLOURS = {
    (0, SurveyKind.PRE): "#9cc3dc",
    (0, SurveyKind.POST): "#2a6f97",
    (0, SurveyKind.SINGLE): "#2a6f97",
    (1, SurveyKind.PRE): "#f3bd8a",
    (1, SurveyKind.POST): "#e07a1f",
    (1, SurveyKind.SINGLE): "#e07a1f",
}
OTHER_COLOURS = ("#6a994e", "#a7c957", "#7b2cbf", "#c77dff")


def _colour(city_index: int, phase: SurveyKind) -> str:
    if city_index < 2:
        return COLOURS[(city_index, phase)]
    return OTHER_COLOURS[city_index % len(OTHER_COLOURS)]


def survey_chart(
    rows: Sequence[Row],
    city_names: Mapping[int, str],
    phase_names: Mapping[SurveyKind, str],
    title: str,
    too_few: str,
) -> bytes:
    """A PNG of the scale items' means (1 to 5) per city and phase; `too_few` marks a group
    with no figure."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    scale = [r for r in rows if r.item.kind is ItemKind.SCALE]
    positions = sorted({r.item.position for r in scale})
    cities = list(dict.fromkeys(r.city_id for r in scale))
    phases = list(dict.fromkeys(c.phase for r in scale for c in r.cells))
    series = [(c, p) for c in cities for p in phases]
    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    width = 0.8 / max(len(series), 1)
    for index, (city_id, phase) in enumerate(series):
        city_index = cities.index(city_id)
        xs: list[float] = []
        heights: list[float] = []
        for slot, position in enumerate(positions):
            x = slot - 0.4 + width * (index + 0.5)
            row = next(r for r in scale if r.item.position == position and r.city_id == city_id)
            cell = next((c for c in row.cells if c.phase is phase), None)
            if cell is None:
                continue
            if cell.figure.mean is None:
                axes.text(x, 0.1, too_few, rotation=90, fontsize=7, ha="center", va="bottom")
                continue
            xs.append(x)
            heights.append(cell.figure.mean)
        bars = axes.bar(
            xs,
            heights,
            width=width * 0.95,
            color=_colour(city_index, phase),
            label=f"{isolate(city_names.get(city_id or 0, '?'))} · {phase_names[phase]}",
        )
        axes.bar_label(bars, labels=[f"{h:.1f}" for h in heights], fontsize=8, padding=2)
    axes.set_xticks(list(range(len(positions))), [f"Q{p}" for p in positions])
    axes.set_ylim(0, SCALE_POINTS + 0.6)
    axes.set_yticks(list(range(1, SCALE_POINTS + 1)))
    axes.grid(axis="y", alpha=0.3)
    axes.set_axisbelow(True)
    axes.set_title(title, fontproperties=_name_font(), fontsize=12, loc="left")
    if series:
        axes.legend(
            loc="lower right",
            bbox_to_anchor=(1.0, 1.0),
            ncols=min(len(series), 4),
            frameon=False,
            prop=_name_font(),
        )
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.subplots_adjust(left=0.05, right=0.98, top=0.86, bottom=0.08)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
