"""The embeds of `/prompt list` and `/prompt stats`: ten entries a page, within Discord's limits."""

from __future__ import annotations

import math

import discord

from bot.cldr import counted, format_percent
from bot.domain.sessions import title_in
from bot.i18n import from_library, t
from bot.limits import EMBED_TITLE
from bot.services.prompts import Listed, PromptStats, Show
from cogs.common.text import clip, shown
from cogs.prompts.words import languages_of

PER_PAGE = 10
# At most ten entries of ~400 characters keep a list's description under its 4096.
LIST_LINE = 180
LIST_TEXT = 200
# Ten stats fields of at most 100 + 450 characters stay under the 6000 a message's embeds allow.
STATS_NAME = 100
STATS_VALUE = 450
STATS_TEXT = 150


def list_embed(
    lang: str, exchange_name: str, which: Show, listed: list[Listed], page: int
) -> discord.Embed:
    """One page of the exchange's own prompts, the built-in bank, or the retired ones."""
    pages = max(1, math.ceil(len(listed) / PER_PAGE))
    page = min(page, pages)
    lines = []
    for item in listed[(page - 1) * PER_PAGE : page * PER_PAGE]:
        prompt = item.prompt
        line = t(
            "prompt.list_line",
            lang,
            key=prompt.key,
            theme=t(f"prompt.theme.{prompt.theme}", lang),
            ages=prompt.ages,
            languages=languages_of(prompt, lang),
        )
        if item.retired and which != "retired":
            line += f" · *{t('prompt.retired_tag', lang)}*"
        # The bank's texts are translated in bot/data/prompts, not the catalogue.
        text = from_library(prompt.text_in(lang)[1])
        lines.append(f"{clip(line, LIST_LINE)}\n> {clip(text, LIST_TEXT)}")
    empty = "prompt.list_empty_own" if which == "own" else "prompt.list_empty"
    embed = discord.Embed(
        title=clip(t(f"prompt.list_{which}", lang, exchange=exchange_name), EMBED_TITLE),
        description="\n".join(lines) or t(empty, lang),
        colour=discord.Colour.teal(),
    )
    embed.set_footer(text=t("prompt.page", lang, page=page, pages=pages, count=len(listed)))
    return embed


def stats_embed(lang: str, found: PromptStats, page: int, *, lengths_sent: bool) -> discord.Embed:
    """One page of response rates per prompt.

    `lengths_sent`: Discord sends the bot messages' text (the Message Content intent), so reply
    lengths can be known; without it the summary says why they are missing.
    """
    pages = max(1, math.ceil(len(found.rates) / PER_PAGE))
    page = min(page, pages)
    if found.rates:
        rate = found.answered / found.posts if found.posts else 0.0
        summary = counted(
            "prompt.stats_summary",
            lang,
            posts=found.posts,
            answered=found.answered,
            rate=format_percent(rate, lang),
        )
        if not lengths_sent and not found.lengths_known:
            summary += "\n" + t("prompt.stats_lengths_unknown", lang)
    else:
        summary = t("prompt.stats_empty", lang)
    embed = discord.Embed(
        title=clip(t("prompt.stats_title", lang, exchange=shown(found.exchange.name)), EMBED_TITLE),
        description=summary,
        colour=discord.Colour.teal(),
    )
    for rate_row in found.rates[(page - 1) * PER_PAGE : page * PER_PAGE]:
        prompt = found.prompts.get(rate_row.key)
        words = found.sessions.get(rate_row.key)
        text = from_library(prompt.text_in(lang)[1]) if prompt else t("prompt.gone", lang)
        theme = t(f"prompt.theme.{prompt.theme}", lang) if prompt else "—"
        name = f"{rate_row.key} · {theme}"
        if words is not None:
            # A session's own words: named by the session, shown as the teacher wrote them.
            name = t("prompt.stats_session", lang, title=shown(title_in(words.title, lang)))
            # No words of their own: the pairs got the session's starter.
            text = words.text or t("session.prompt_default", lang)
        line = counted(
            "prompt.stats_line",
            lang,
            posted=rate_row.posted,
            responded=rate_row.responded,
            rate=format_percent(rate_row.rate, lang),
            messages=rate_row.messages,
        )
        if rate_row.average_length is not None:
            line += " · " + t("prompt.stats_length", lang, length=round(rate_row.average_length))
        embed.add_field(
            name=clip(name, STATS_NAME),
            value=clip(f"{clip(text, STATS_TEXT)}\n{line}", STATS_VALUE),
            inline=False,
        )
    if found.rates:
        embed.set_footer(
            text=t("prompt.page", lang, page=page, pages=pages, count=len(found.rates))
        )
    return embed
