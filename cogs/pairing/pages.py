"""The pages of `/pair preview` and `/pair history`, and their ◀ ▶ buttons.

Both lists are rebuilt from the database on each press (the same students give the same plan),
so there is nothing to keep in memory and the buttons work after a restart.
"""

from __future__ import annotations

import math

import discord

from bot.app import Twinbridge
from bot.i18n import listing, t
from bot.limits import EMBED_TITLE, EMBEDS_TOTAL, FIELD_NAME, FIELD_VALUE
from bot.services.pairing import History, Proposal
from cogs.adapters.spaces import spaces_for
from cogs.common import interactions
from cogs.common.components import PageButton, pager
from cogs.common.interactions import begin
from cogs.common.text import NO_PINGS, chunk_lines, clip, pack_fields, shown
from cogs.pairing.words import reasons_text

# Ten groups a page, each a field of at most 200 + 300 characters, under a header of 600, a
# title and the footer: within the 6000 characters Discord allows over a message's embeds.
PER_PAGE = 10
PREVIEW_HEADER = 600
GROUP_NAMES = 200
GROUP_REASONS = 300

# Of those 6000 characters, the history fields' share; the rest is the title's and the footer's.
HISTORY_BUDGET = EMBEDS_TOTAL - 600


# Names of students waiting for consent the header lists before "and N more".
HELD_NAMES = 10


def held_back_line(proposal: Proposal, lang: str) -> str:
    """Who this round leaves out for want of guardian consent on file, and why."""
    held = proposal.no_consent
    shown_names = [shown(p.display_name, language=lang) for p in held[:HELD_NAMES]]
    if len(held) > HELD_NAMES:
        names = (
            ", ".join(shown_names) + " " + t("consent.and_more", lang, count=len(held) - HELD_NAMES)
        )
    else:
        names = listing(shown_names, lang)
    return t("consent.preview_held", lang, count=len(held), names=names)


def proposal_page(
    proposal: Proposal, lang: str, page: int
) -> tuple[discord.Embed, discord.ui.View | None]:
    """One page of proposed groups and ◀ ▶ buttons when there are more."""
    pages = max(1, math.ceil(len(proposal.groups) / PER_PAGE))
    page = min(max(page, 1), pages)
    trios = sum(1 for g in proposal.groups if len(g.members) > 2)
    header = t(
        "pair.preview_header",
        lang,
        pairs=len(proposal.groups),
        trios=trios,
        hours=f"{proposal.waking_overlap:g}",
        kind=t(f"pair.kind_{proposal.space_plan.kind}", lang),
    )
    if proposal.replaces:
        header += "\n" + t("pair.preview_replaces", lang, count=proposal.replaces)
    if proposal.paused:
        header += "\n" + t("pair.preview_paused", lang, count=proposal.paused)
    if proposal.no_consent:
        header += "\n" + held_back_line(proposal, lang)
    embed = discord.Embed(
        title=clip(
            t("pair.preview_title", lang, exchange=shown(proposal.exchange.name)), EMBED_TITLE
        ),
        description=clip(header, PREVIEW_HEADER),
        colour=discord.Colour.blurple(),
    )
    first = (page - 1) * PER_PAGE
    for number, group in enumerate(proposal.groups[first : first + PER_PAGE], start=first + 1):
        names = " · ".join(
            f"{shown(m.display_name, language=lang)} "
            f"({shown(proposal.exchange.city(m.city_id).name)})"
            if m.city_id
            else shown(m.display_name, language=lang)
            for m in group.members
        )
        embed.add_field(
            name=clip(f"{number}. {names}", GROUP_NAMES),
            value=clip(reasons_text(group.reasons, lang), GROUP_REASONS),
            inline=False,
        )
    embed.set_footer(text=t("pair.page", lang, page=page, pages=pages))
    view = pager(
        page,
        pages,
        lambda target, label, disabled: PreviewPageButton.make(
            label, disabled=disabled, exchange=proposal.exchange.id, page=target
        ),
    )
    return embed, view


class PreviewPageButton(
    PageButton, key="pair.preview", legacy=r"pair:preview:(?P<exchange>\d+):(?P<page>\d+)"
):
    """◀ or ▶ under /pair preview: the plan is computed again for the page asked for."""

    async def show(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction, update=True)
        assert interaction.guild is not None
        bot = interaction.client
        proposal = await bot.services.pairing.propose(
            actor, self.exchange, await spaces_for(bot, interaction.guild)
        )
        embed, view = proposal_page(proposal, actor.language, self.page)
        await interactions.show(interaction, embed=embed, view=view, allowed_mentions=NO_PINGS)


def history_fields(found: History, lang: str) -> list[tuple[str, str]]:
    """Each round as fields: one line per group, split over more fields when a big round
    passes a field's limit (never cut short)."""
    fields: list[tuple[str, str]] = []
    for r in found.rounds:
        lines = []
        for index, names in enumerate(r.pairs):
            left = r.left[index] if index < len(r.left) else ()
            # Students who left a pair that went on (removed, or swapped out) are struck through.
            names_shown = [shown(n, language=lang) for n in names]
            struck = [f"~~{shown(n, language=lang)}~~" for n in left]
            lines.append(" · ".join([*names_shown, *struck]))
        header = t(
            "pair.history_round",
            lang,
            id=r.id,
            date=f"<t:{int(r.created_at.timestamp())}:D>",
            pairs=len(r.pairs),
            archived=r.archived,
        )
        for number, chunk in enumerate(chunk_lines(lines, FIELD_VALUE) or ["—"]):
            name = header if number == 0 else t("pair.history_continued", lang, round=r.id)
            fields.append((clip(name, FIELD_NAME), chunk))
    return fields


def history_page(
    found: History, lang: str, page: int
) -> tuple[discord.Embed, discord.ui.View | None]:
    """One page of /pair history within Discord's limits, and ◀ ▶ when there are more."""
    pages = pack_fields(history_fields(found, lang), budget=HISTORY_BUDGET)
    page = min(max(page, 1), len(pages))
    embed = discord.Embed(title=t("pair.history_title", lang), colour=discord.Colour.blurple())
    if not found.rounds:
        embed.description = t("pair.history_empty", lang)
    for name, value in pages[page - 1]:
        embed.add_field(name=name, value=value, inline=False)
    if len(pages) > 1:
        embed.set_footer(text=t("pair.page", lang, page=page, pages=len(pages)))
    view = pager(
        page,
        len(pages),
        lambda target, label, disabled: HistoryPageButton.make(
            label, disabled=disabled, exchange=found.exchange.id, page=target
        ),
    )
    return embed, view


class HistoryPageButton(
    PageButton, key="pair.history", legacy=r"pair:history:(?P<exchange>\d+):(?P<page>\d+)"
):
    """◀ or ▶ under /pair history; the page is rebuilt from the database on each press."""

    async def show(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction, update=True)
        found = await interaction.client.services.pairing.history(actor, self.exchange)
        embed, view = history_page(found, actor.language, self.page)
        await interactions.show(interaction, embed=embed, view=view, allowed_mentions=NO_PINGS)
