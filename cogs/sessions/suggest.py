"""What /session suggest answers: the week's best times, each in every city's local time, and
when no single time fits all, the best two sittings."""

from __future__ import annotations

import discord

from bot.cldr import format_day, format_wall
from bot.domain.suggest import Local, Window
from bot.i18n import listing, t, weekday_name
from bot.limits import EMBED_DESCRIPTION, EMBED_FIELDS, EMBED_TITLE, EMBEDS_TOTAL, FIELD_VALUE
from bot.services.session_suggest import Suggested
from cogs.common.text import chunk_lines, clip, pack_fields, shown, timestamp
from cogs.sessions.words import unchecked_line

# Characters kept free of the fields for the title, description and footer's own growth.
_SPARE = 100


def day_span(days: tuple[int, ...], language: str) -> str:
    """ "Mon–Thu" for ISO days 1–4, "Sun, Tue" when they are not consecutive."""
    names = [weekday_name(d, language, short=True) for d in days]
    if len(days) > 2 and days == tuple(range(days[0], days[-1] + 1)):
        return f"{names[0]}–{names[-1]}"
    return ", ".join(names)


def city_line(local: Local, language: str) -> str:
    """One city's view of a weekly time: its own days and clock, and why it does not fit."""
    kind = "fits" if local.fits else local.reason
    return t(
        f"suggest.line_{kind}",
        language,
        city=shown(local.city),
        days=day_span(local.days, language),
        start=format_wall(local.start, language),
        end=format_wall(local.end, language),
    )


def window_lines(window: Window, language: str) -> list[str]:
    """The first date in the reader's own time (a Discord timestamp), then each city's."""
    first = t("suggest.first", language, when=timestamp(window.first, "F"))
    return [first, *(city_line(c, language) for c in window.locals)]


def _fields(name: str, lines: list[str], language: str) -> list[tuple[str, str]]:
    """A weekly time as fields: one, or more for a long list of cities (each field's value
    within Discord's limit)."""
    chunks = chunk_lines(lines, FIELD_VALUE)
    more = t("suggest.continued", language)
    return [(name if i == 0 else more, chunk) for i, chunk in enumerate(chunks)]


def suggest_embed(found: Suggested, language: str) -> discord.Embed:
    """The best times of the week, a verdict in plain words, and the split when one is needed;
    as many weekly times as Discord's limits hold (the best first)."""
    result = found.suggestion
    total = len(result.cities)
    lines = [
        t(
            "suggest.week",
            language,
            monday=format_day(result.monday, language),
            minutes=int(result.length.total_seconds() // 60),
            start=format_wall(found.earliest, language),
            end=format_wall(found.latest, language),
        )
    ]
    if not result.ranked:
        lines.append(t("suggest.no_time", language))
    elif result.all_fit:
        lines.append(t("suggest.all_fit", language, count=total))
    else:
        best = len(result.ranked[0].fitted)
        lines.append(t("suggest.none_fits", language, count=total, best=best))
    split = result.split
    groups: list[tuple[str, list[str]]] = []
    if split is not None and not result.all_fit:
        first = listing(map(shown, split.first.fitted), language)
        second = listing(map(shown, split.second.fitted), language)
        if split.left_out:
            left = listing(map(shown, split.left_out), language)
            lines.append(t("suggest.split_short", language, first=first, second=second, left=left))
        else:
            lines.append(t("suggest.split", language, first=first, second=second))
        for number, window in enumerate((split.first, split.second), start=1):
            name = t(
                "suggest.sitting", language, number=number, count=len(window.fitted), total=total
            )
            groups.append((name, window_lines(window, language)))
    # The sittings already shown are not offered again as options.
    others = (
        [w for w in result.ranked if not any(w is g for g in (split.first, split.second))]
        if split and not result.all_fit
        else list(result.ranked)
    )
    for rank, window in enumerate(others, start=1):
        name = t("suggest.option", language, rank=rank, count=len(window.fitted), total=total)
        groups.append((name, window_lines(window, language)))
    if found.unchecked:
        lines.append(unchecked_line(found.unchecked, language))
    title = clip(t("suggest.title", language, exchange=found.exchange.name), EMBED_TITLE)
    description = clip("\n".join(lines), EMBED_DESCRIPTION)
    footer = t("suggest.footer", language)
    fields = [f for name, body in groups for f in _fields(name, body, language)]
    budget = EMBEDS_TOTAL - len(title) - len(description) - len(footer) - _SPARE
    page = pack_fields(fields, budget=budget, max_fields=EMBED_FIELDS)[0]
    if len(page) < len(fields):
        # Never half a weekly time: drop the part of one the page cut.
        kept = 0
        for name, body in groups:
            size = len(_fields(name, body, language))
            if kept + size > len(page):
                break
            kept += size
        page = fields[:kept]
        shown_times = sum(1 for name, _ in page if name != t("suggest.continued", language))
        footer = t("suggest.fewer", language, shown=shown_times, count=len(groups)) + " · " + footer
    embed = discord.Embed(
        title=title,
        description=description,
        colour=discord.Colour.green() if result.all_fit else discord.Colour.orange(),
    )
    for name, value in page:
        embed.add_field(name=name, value=value, inline=False)
    embed.set_footer(text=footer)
    return embed
