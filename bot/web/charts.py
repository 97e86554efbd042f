"""Charts for the dashboard as SVG markup: drawn on the server, no script, readable by screen
readers (a title and a description name what it shows; each bar has its own title).

Only presentation attributes, never `style=`: the pages' Content-Security-Policy allows no
inline styles.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from bot.cldr import format_day, format_percent, format_short_day
from bot.domain.report_chart import COLOURS
from bot.domain.reporting import Attendance

WIDTH = 720
HEIGHT = 300
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 16, 64
MAX_LABELS = 12


def attendance_svg(
    report: Attendance, title: str, description: str, language: str = "en"
) -> Markup:
    """Each ended session's attendance rate per city, as grouped bars (0–100 %); dates and
    percentages written as a reader of `language` writes them."""
    sessions = [s for s in report.sessions if s.slot.counted]
    cities = [c.city for c in report.cities]
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        'role="img" aria-labelledby="chart-title chart-desc" class="chart">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(description)}</desc>',
    ]
    for tick in range(0, 101, 25):
        y = TOP + plot_h - plot_h * tick / 100
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
            'stroke="#c8c8c8" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="12" '
            f'fill="#333">{format_percent(tick / 100, language)}</text>'
        )
    if sessions and cities:
        group = plot_w / len(sessions)
        bar = min(group * 0.8 / len(cities), 48)
        every = max(1, -(-len(sessions) // MAX_LABELS))
        for index, session in enumerate(sessions):
            day = session.slot.starts_at.date()
            x0 = LEFT + group * index + (group - bar * len(cities)) / 2
            for position, city in enumerate(cities):
                tally = session.by_city[city.id]
                rate = tally.rate or 0.0
                h = plot_h * rate
                x = x0 + bar * position
                y = TOP + plot_h - h
                label = (
                    f"{format_day(day, language)} · {city.name}: "
                    f"{format_percent(tally.rate, language)} "
                    f"({tally.attended}/{tally.expected})"
                )
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar - 2:.1f}" height="{h:.1f}" '
                    f'fill="{COLOURS[position % len(COLOURS)]}"><title>{escape(label)}</title>'
                    "</rect>"
                )
            if index % every == 0:
                cx = LEFT + group * index + group / 2
                parts.append(
                    f'<text x="{cx:.1f}" y="{TOP + plot_h + 18}" text-anchor="middle" '
                    f'font-size="12" fill="#333">{format_short_day(day, language, year=True)}'
                    "</text>"
                )
    for position, city in enumerate(cities):
        x = LEFT + position * 200
        y = HEIGHT - 18
        parts.append(
            f'<rect x="{x}" y="{y - 11}" width="14" height="14" '
            f'fill="{COLOURS[position % len(COLOURS)]}"/>'
        )
        parts.append(
            f'<text x="{x + 20}" y="{y}" font-size="13" fill="#1a1a1a">{escape(city.name)}</text>'
        )
    parts.append(
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" '
        'stroke="#333" stroke-width="1"/>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))
