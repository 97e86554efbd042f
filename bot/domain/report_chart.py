"""The attendance chart: each ended session's attendance rate per city, as a PNG.

matplotlib's object API with the Agg canvas (no pyplot, no display, no global state), so a
chart can be drawn in a worker thread while the bot keeps answering. The chart carries almost
no words: dates and percentages (written the reader's way, CLDR) and the city names.
matplotlib (≥ 3.11, libraqm) joins Arabic letters and orders right-to-left text; each name is
isolated so that the numbers beside it keep their place.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import cache
from typing import Any

from bot.cldr import format_percent, format_short_day
from bot.domain.reporting import Attendance, CityLine, SessionLine, rate_text
from bot.i18n import DEFAULT_LANGUAGE

WIDTH_PX = 1200
HEIGHT_PX = 600
DPI = 100
# Colour-blind-safe blue and orange, one per city.
COLOURS = ("#2a6f97", "#e07a1f")
# Beyond this many sessions, only every n-th date is written under the bars.
MAX_LABELS = 24


def isolate(name: str) -> str:
    """A name wrapped in Unicode's first-strong isolate: an Arabic name reads right to left
    without pulling the dates and percentages beside it into its direction."""
    return f"\u2068{name}\u2069"


# matplotlib's own DejaVu Sans has Latin, Cyrillic and Arabic but no Chinese, Japanese or
# Korean: names in those scripts use the first of these the machine has (fonts-noto-cjk on
# Debian and Ubuntu), letter by letter, instead of empty boxes.
FALLBACK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Sans CJK KR",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "Droid Sans Fallback",
)


@cache
def _name_font() -> Any:
    """Font properties for names: DejaVu Sans, then the installed fallbacks (found once)."""
    from matplotlib.font_manager import FontProperties, fontManager

    installed = {font.name for font in fontManager.ttflist}
    return FontProperties(family=["DejaVu Sans", *(f for f in FALLBACK_FONTS if f in installed)])


def attendance_chart(
    report: Attendance, title: str, note: str = "", language: str = DEFAULT_LANGUAGE
) -> bytes:
    """A 1200×600 PNG: for each ended session, one bar per city (rate, with "came/expected");
    `note` under it (how many a teacher marked at roll call); dates and percentages as a
    reader of `language` writes them."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    sessions: Sequence[SessionLine] = [s for s in report.sessions if s.slot.counted]
    cities: Sequence[CityLine] = report.cities
    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    width = 0.8 / max(len(cities), 1)
    positions = range(len(sessions))
    for index, city in enumerate(cities):
        offsets = [p - 0.4 + width * (index + 0.5) for p in positions]
        tallies = [s.by_city[city.city.id] for s in sessions]
        heights = [100 * (t.rate or 0.0) for t in tallies]
        bars = axes.bar(
            offsets,
            heights,
            width=width * 0.95,
            color=COLOURS[index % len(COLOURS)],
            label=f"{isolate(city.city.name)} ({rate_text(city.tally.rate, language)})",
        )
        if len(sessions) <= MAX_LABELS:
            axes.bar_label(
                bars,
                labels=[f"{t.attended}/{t.expected}" if t.expected else "" for t in tallies],
                fontsize=8,
                padding=2,
            )
    step = max(1, -(-len(sessions) // MAX_LABELS))
    axes.set_xticks(
        list(positions)[::step],
        [format_short_day(s.slot.starts_at.date(), language, year=True) for s in sessions][::step],
        rotation=30,
        ha="right",
        fontsize=9,
    )
    axes.set_ylim(0, 110)
    axes.set_yticks([0, 25, 50, 75, 100])
    axes.yaxis.set_major_formatter(
        FuncFormatter(lambda value, _: format_percent(value / 100, language))
    )
    axes.grid(axis="y", alpha=0.3)
    axes.set_axisbelow(True)
    axes.set_title(title, fontproperties=_name_font(), fontsize=12, loc="left")
    if cities:
        # Above the plot, beside the title: never over a bar at 100%.
        axes.legend(
            loc="lower right",
            bbox_to_anchor=(1.0, 1.0),
            ncols=len(cities),
            frameon=False,
            prop=_name_font(),
        )
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.subplots_adjust(left=0.06, right=0.98, top=0.9, bottom=0.17)
    if note:
        figure.text(0.06, 0.015, note, fontproperties=_name_font(), fontsize=9, alpha=0.8)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
