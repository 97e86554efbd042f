"""What /session commands answer a teacher or a student with: a preview to confirm, the list
of upcoming sessions."""

from __future__ import annotations

import math

import discord

from bot.domain.sessions import first_wall, title_in
from bot.i18n import t
from bot.limits import EMBED_TITLE, EMBEDS_TOTAL, FIELD_NAME, FIELD_VALUE
from bot.services.sessions import Preview, SeriesView
from cogs.common.text import chunk_lines, clip, pack_fields, shown, timestamp
from cogs.sessions.words import (
    break_line,
    holiday_line,
    local_line,
    rule_text,
    school_hours,
    unchecked_line,
    warning_line,
)

# Series shown on one page of /session list (fewer for a network: `series_per_page`).
PER_PAGE = 5
# Characters a page of /session list gives its series; a city's line in a session; the rest
# of a series' text (its rule, a session's Discord timestamp).
LIST_BUDGET = 5000
LIST_CITY = 45
LIST_SERIES = 100
# Dates on one page of a preview: each city's column stays short enough to read at a glance
# (and far inside a field's and an embed's limits).
DATES_PER_PAGE = 10
# Characters all the cities' columns of one page may take together: a network of many cities
# shows fewer dates a page, so the columns and the warnings stay inside one embed's 6000.
DATES_BUDGET = 2400
# The longest date line (an hour the clocks repeat carries both offsets) and its column's name.
DATE_LINE = 52
COLUMN_NAME = 40
# Characters kept for the title, the description and the footer.
PREVIEW_FRAME = 1200


def dates_per_page(preview: Preview) -> int:
    """Dates on one page: ten for two cities, fewer for a network (two at least)."""
    cities = len(preview.exchange.cities)
    return max(2, min(DATES_PER_PAGE, DATES_BUDGET // (cities * DATE_LINE)))


def preview_pages(preview: Preview) -> int:
    """How many pages the preview's dates fill."""
    return max(1, math.ceil(len(preview.slots) / dates_per_page(preview)))


def budgeted(lines: list[str], budget: int, language: str) -> list[str]:
    """Field values holding `lines` within about `budget` characters in all; when they do not
    fit, the last value ends, on whole lines, by how many lines were left out."""
    values: list[str] = []
    used = 0
    chunks = chunk_lines(lines, FIELD_VALUE)
    for number, chunk in enumerate(chunks):
        if used + len(chunk) > budget and values:
            kept = values[-1].split("\n")
            left = sum(rest.count("\n") + 1 for rest in chunks[number:])
            while True:
                text = "\n".join([*kept, t("session.more_warnings", language, count=left)])
                if len(text) <= FIELD_VALUE or len(kept) == 1:
                    break
                kept.pop()
                left += 1
            values[-1] = clip(text, FIELD_VALUE)
            break
        values.append(chunk)
        used += len(chunk)
    return values


def preview_embed(
    preview: Preview, language: str, *, move: bool = False, page: int = 1
) -> discord.Embed:
    """Both cities' local times of one page of the dates (every date of a finite series,
    page by page), the rule in words, and every warning."""
    pages = preview_pages(preview)
    page = min(max(page, 1), pages)
    key = "session.move_title" if move else "session.preview_title"
    first = preview.slots[0]
    lines = [] if move else [rule_text(preview.shape, language, preview.local_time, preview.zone)]
    lines.append(
        t(
            "session.preview_details",
            language,
            minutes=int(preview.duration.total_seconds() // 60),
            start=timestamp(first.start, "F"),
            relative=timestamp(first.start, "R"),
        )
    )
    if preview.channel_id:
        lines.append(t("session.preview_voice", language, channel=f"<#{preview.channel_id}>"))
    if preview.free_text_prompt:
        lines.append(t("session.preview_prompt_hint", language))
    embed = discord.Embed(
        title=clip(t(key, language, title=shown(title_in(preview.title, language))), EMBED_TITLE),
        description="\n".join(lines),
        colour=discord.Colour.orange()
        if preview.warnings
        or preview.overlap
        or (preview.holidays and preview.holidays.found)
        or preview.on_break
        else discord.Colour.green(),
    )
    per_page = dates_per_page(preview)
    used = 0
    for city in preview.exchange.cities:
        chosen = preview.slots[(page - 1) * per_page : page * per_page]
        dates = [local_line(s, city.timezone, language) for s in chosen]
        if page == pages and not preview.finite:
            dates.append(t("session.preview_more", language))
        column = (
            shown(f"{city.name} · {city.timezone}", FIELD_NAME),
            clip("\n".join(dates), FIELD_VALUE),
        )
        used += len(column[0]) + len(column[1])
        embed.add_field(name=column[0], value=column[1], inline=True)
    warned = [warning_line(w, language) for w in preview.warnings]
    if preview.overlap is not None:
        warned.insert(
            0,
            "⛔ "
            + t(
                "session.warn_overlap",
                language,
                other=shown(title_in(preview.overlap.other, language)),
                when=timestamp(preview.overlap.start, "F"),
            ),
        )
    # Each ✅ says only what was checked: hours and weekends always, public holidays where
    # a city's country is known; school breaks are not claimed.
    if not warned:
        warned.append(t("session.no_warnings", language, **school_hours(language)))
    holidays = preview.holidays
    zones = {c.name: c.timezone for c in preview.exchange.cities}
    warned += [break_line(b, zones[b.city], language) for b in preview.on_break]
    if holidays is not None:
        warned += [holiday_line(h, language) for h in holidays.found]
        if not holidays.found and not holidays.unchecked:
            warned.append(t("session.no_holidays", language))
        if holidays.unchecked:
            warned.append(unchecked_line(holidays.unchecked, language))
    # Each city's warnings: a network's may need several fields, within what the embed holds.
    room = EMBEDS_TOTAL - PREVIEW_FRAME - used
    for number, value in enumerate(budgeted(warned, room, language)):
        name = t("session.warnings" if number == 0 else "session.warnings_more", language)
        embed.add_field(name=name, value=value, inline=False)
    footer = t("session.preview_footer", language)
    if pages > 1:
        # An open series has more dates than shown: only a finite one's are counted.
        paged = (
            t("session.preview_page", language, page=page, pages=pages, dates=len(preview.slots))
            if preview.finite
            else t("session.page", language, page=page, pages=pages)
        )
        footer = f"{paged} · {footer}"
    embed.set_footer(text=footer)
    return embed


def series_per_page(cities: int) -> int:
    """Series on one page of /session list: five for two cities, fewer for a network."""
    # A series shows its next three sessions, each with every city's local time.
    estimate = LIST_SERIES + 3 * (cities * LIST_CITY + LIST_SERIES)
    return max(1, min(PER_PAGE, LIST_BUDGET // estimate))


def list_embed(views: list[SeriesView], page: int, language: str) -> discord.Embed:
    """One page of an exchange's series, each with its next sessions in every city's time
    (the last page when `page` is past it)."""
    per_page = series_per_page(len(views[0].exchange.cities)) if views else PER_PAGE
    pages = max(1, math.ceil(len(views) / per_page))
    page = min(page, pages)
    embed = discord.Embed(title=t("session.list_title", language), colour=discord.Colour.blurple())
    if not views:
        embed.description = t("session.list_empty", language)
    fields: list[tuple[str, str]] = []
    for view in views[(page - 1) * per_page : page * per_page]:
        series = view.series
        lines = [rule_text(view.shape, language, first_wall(series.first_local), series.timezone)]
        # Two cities share a line; a network's cities get one each.
        joint = "\n  " if len(view.exchange.cities) > 2 else " · "
        for slot in view.upcoming:
            cities = joint.join(
                f"{shown(c.name)} {local_line(slot, c.timezone, language)}"
                for c in view.exchange.cities
            )
            lines.append(f"• {timestamp(slot.start, 'F')}\n  {cities}")
            zones = {c.name: c.timezone for c in view.exchange.cities}
            lines += [
                f"  {break_line(b, zones[b.city], language)}"
                for b in view.on_break
                if b.slot == slot
            ]
            lines += [
                f"  {holiday_line(h, language)}" for h in view.holidays.found if h.slot == slot
            ]
        if not view.upcoming:
            lines.append(t("session.list_no_upcoming", language))
        elif view.holidays.unchecked:
            lines.append(unchecked_line(view.holidays.unchecked, language))
        name = shown(f"{title_in(series.title, language)} (#{series.id})", FIELD_NAME)
        more = t("session.list_continued", language)
        chunks = chunk_lines(lines, FIELD_VALUE)
        fields += [(name if i == 0 else more, chunk) for i, chunk in enumerate(chunks)]
    footer = t("session.page", language, page=page, pages=pages)
    room = EMBEDS_TOTAL - len(embed.title or "") - len(footer) - PREVIEW_FRAME
    for name, value in pack_fields(fields, budget=room)[0] if fields else []:
        embed.add_field(name=name, value=value, inline=False)
    embed.set_footer(text=footer)
    return embed
