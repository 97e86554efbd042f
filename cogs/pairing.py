"""`/pair preview|confirm|swap|remove|history`, and the Discord side of paired spaces."""

from __future__ import annotations

import math
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands
from discord.utils import MISSING, escape_markdown

from bot.app import Twinbridge
from bot.domain.exchange import native_name
from bot.i18n import listing, t
from bot.services import pairing as service
from cogs.adapters.spaces import DiscordSpaces, spaces_for
from cogs.utils import (
    NO_PINGS,
    actor_of,
    clip,
    exchange_autocomplete,
    interest_label,
)
from cogs.views import ExchangePageButton, chunk_lines, pack_fields, pager

PER_PAGE = 10


def reasons_text(reasons: dict[str, Any], language: str) -> str:
    """Why a group was made, in one or two lines."""
    parts = []
    shared = reasons.get("shared_interests") or []
    if shared:
        labels = listing((interest_label(i, language) for i in shared), language)
        parts.append(t("pair.why_interests", language, interests=labels))
    if reasons.get("same_grade_band"):
        parts.append(t("pair.why_grade", language))
    common = reasons.get("common_languages") or []
    if common:
        parts.append(
            t(
                "pair.why_language",
                language,
                languages=listing(map(native_name, common), language),
            )
        )
    hours = reasons.get("waking_overlap_hours")
    if hours:
        parts.append(t("pair.why_awake", language, hours=f"{hours:g}"))
    if reasons.get("repeats_earlier_partner"):
        parts.append(t("pair.why_repeat", language))
    return " · ".join(parts) or t("pair.why_balance", language)


class PreviewPageButton(ExchangePageButton, prefix="pair:preview"):
    """◀ or ▶ under /pair preview. The same students give the same plan, so a page is
    recomputed on each press: nothing to keep in memory, and it survives restarts."""

    async def show(self, interaction: discord.Interaction[Any]) -> None:
        bot: Twinbridge = interaction.client
        actor = await actor_of(interaction)
        # Pairing a large exchange can take a moment: acknowledge before computing.
        await interaction.response.defer()
        assert interaction.guild is not None
        proposal = await service.propose(
            bot.ctx.db,
            bot.ctx.clock,
            actor,
            self.exchange_id,
            await spaces_for(bot, interaction.guild),
        )
        embed, view = proposal_page(proposal, actor.language, self.page)
        await interaction.edit_original_response(embed=embed, view=view, allowed_mentions=NO_PINGS)


def proposal_page(
    proposal: service.Proposal, lang: str, page: int
) -> tuple[discord.Embed, discord.ui.View | None]:
    """One page of proposed groups (ten, to stay within 6000 characters) and ◀ ▶ buttons."""
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
    embed = discord.Embed(
        title=clip(t("pair.preview_title", lang, exchange=proposal.exchange.name), 256),
        description=clip(header, 600),
        colour=discord.Colour.blurple(),
    )
    first = (page - 1) * PER_PAGE
    for number, group in enumerate(proposal.groups[first : first + PER_PAGE], start=first + 1):
        names = " · ".join(
            f"{m.display_name} ({proposal.exchange.city(m.city_id).name})"
            if m.city_id
            else m.display_name
            for m in group.members
        )
        # Ten fields of at most 200 + 300 characters, a header of 600, a title of 256 and
        # the footer stay under Discord's 6000 for an embed.
        embed.add_field(
            name=clip(f"{number}. {names}", 200),
            value=clip(reasons_text(group.reasons, lang), 300),
            inline=False,
        )
    embed.set_footer(text=t("pair.page", lang, page=page, pages=pages))
    view = pager(
        page,
        pages,
        lambda target, label, disabled: PreviewPageButton(
            proposal.exchange.id, target, label, disabled=disabled
        ),
    )
    return embed, view


@app_commands.guild_only()
class PairingCog(
    commands.GroupCog, group_name="pair", group_description="Pair students across the two cities"
):
    """Pairing rounds and paired spaces."""

    def __init__(self, bot: Twinbridge) -> None:
        self.bot = bot

    async def _port(self, interaction: discord.Interaction[Twinbridge]) -> DiscordSpaces:
        assert interaction.guild is not None
        return await spaces_for(self.bot, interaction.guild)

    @app_commands.command(
        name="preview", description="Show the proposed pairs and why each was made"
    )
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    async def preview(
        self,
        interaction: discord.Interaction[Twinbridge],
        exchange: int | None = None,
        page: app_commands.Range[int, 1, 500] = 1,
    ) -> None:
        # Acknowledge before any database work: under load the answer stays within Discord's 3 s.
        await interaction.response.defer(ephemeral=True, thinking=True)
        actor = await actor_of(interaction)
        proposal = await service.propose(
            self.bot.ctx.db, self.bot.ctx.clock, actor, exchange, await self._port(interaction)
        )
        embed, view = proposal_page(proposal, actor.language, page)
        await interaction.followup.send(
            embed=embed,
            ephemeral=True,
            allowed_mentions=NO_PINGS,
            view=view or MISSING,
        )

    @app_commands.command(
        name="confirm", description="Create the proposed pairs and their private spaces"
    )
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    async def confirm(
        self, interaction: discord.Interaction[Twinbridge], exchange: int | None = None
    ) -> None:
        # Acknowledge before any database work: under load the answer stays within Discord's 3 s.
        await interaction.response.defer(ephemeral=True, thinking=True)
        actor = await actor_of(interaction)
        done = await service.confirm(
            self.bot.ctx.db,
            self.bot.ctx.clock,
            actor,
            exchange,
            await self._port(interaction),
            self.bot.ctx.scheduler,
        )
        kind = done.proposal.space_plan.kind
        await interaction.followup.send(
            t(
                "pair.confirmed",
                actor.language,
                pairs=len(done.space_ids),
                kind=t(f"pair.kind_{kind}", actor.language),
                archived=done.proposal.replaces,
            ),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(
        name="swap", description="Swap two students of the same city between their pairs"
    )
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    async def swap(
        self,
        interaction: discord.Interaction[Twinbridge],
        first: discord.Member,
        second: discord.Member,
        exchange: int | None = None,
    ) -> None:
        # Acknowledge before any database work: under load the answer stays within Discord's 3 s.
        await interaction.response.defer(ephemeral=True, thinking=True)
        actor = await actor_of(interaction)
        await service.swap(
            self.bot.ctx.db,
            self.bot.ctx.clock,
            actor,
            exchange,
            first.id,
            second.id,
            await self._port(interaction),
        )
        await interaction.followup.send(
            t("pair.swapped", actor.language, first=first.display_name, second=second.display_name),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(
        name="remove", description="End a student's pair; its space becomes read-only"
    )
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    async def remove(
        self,
        interaction: discord.Interaction[Twinbridge],
        student: discord.Member,
        exchange: int | None = None,
    ) -> None:
        # Acknowledge before any database work: under load the answer stays within Discord's 3 s.
        await interaction.response.defer(ephemeral=True, thinking=True)
        actor = await actor_of(interaction)
        await service.remove(
            self.bot.ctx.db,
            self.bot.ctx.clock,
            actor,
            exchange,
            student.id,
            await self._port(interaction),
            self.bot.ctx.scheduler,
        )
        await interaction.followup.send(
            t("pair.removed", actor.language, name=student.display_name),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(
        name="history", description="Every pairing round and who was paired with whom"
    )
    @app_commands.describe(page="Which page")
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    async def history(
        self,
        interaction: discord.Interaction[Twinbridge],
        exchange: int | None = None,
        page: app_commands.Range[int, 1, 500] = 1,
    ) -> None:
        actor = await actor_of(interaction)
        found = await service.history(self.bot.ctx.db, actor, exchange)
        embed, view = history_page(found, actor.language, page)
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=NO_PINGS, view=view or MISSING
        )


# Of Discord's 6000 characters per message: the fields' share, leaving room for the title (256)
# and the footer.
HISTORY_BUDGET = 5400


def history_fields(found: service.History, lang: str) -> list[tuple[str, str]]:
    """Each round as fields: one line per group, split over more fields when a big round
    passes a field's 1024 characters (never cut short)."""
    fields: list[tuple[str, str]] = []
    for r in found.rounds:
        lines = []
        for index, names in enumerate(r.pairs):
            left = r.left[index] if index < len(r.left) else ()
            # Students who left a pair that went on (removed, or swapped out) are struck through.
            names_shown = [escape_markdown(n) for n in names]
            lines.append(" · ".join([*names_shown, *(f"~~{escape_markdown(n)}~~" for n in left)]))
        header = t(
            "pair.history_round",
            lang,
            id=r.id,
            date=f"<t:{int(r.created_at.timestamp())}:D>",
            pairs=len(r.pairs),
            archived=r.archived,
        )
        for number, chunk in enumerate(chunk_lines(lines, 1024) or ["—"]):
            name = header if number == 0 else t("pair.history_continued", lang, round=r.id)
            fields.append((clip(name, 256), chunk))
    return fields


def history_page(
    found: service.History, lang: str, page: int
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
        lambda target, label, disabled: HistoryPageButton(
            found.exchange.id, target, label, disabled=disabled
        ),
    )
    return embed, view


class HistoryPageButton(ExchangePageButton, prefix="pair:history"):
    """◀ or ▶ under /pair history; the page is rebuilt from the database on each press."""

    async def show(self, interaction: discord.Interaction[Any]) -> None:
        bot: Twinbridge = interaction.client
        actor = await actor_of(interaction)
        found = await service.history(bot.ctx.db, actor, self.exchange_id)
        embed, view = history_page(found, actor.language, self.page)
        await interaction.response.edit_message(embed=embed, view=view, allowed_mentions=NO_PINGS)


async def setup(bot: Twinbridge) -> None:
    """Extension entry point."""
    await bot.add_cog(PairingCog(bot))
    bot.add_dynamic_items(PreviewPageButton, HistoryPageButton)
