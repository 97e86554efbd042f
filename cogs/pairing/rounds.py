"""Scheduled pairing rounds at the Discord edge: the due round's preview in the teachers'
channel (a scheduled send) and its restart-proof Confirm / Skip this round buttons."""

from __future__ import annotations

from datetime import date
from typing import Any

import discord

from bot.app import Twinbridge, http_reason
from bot.errors import UserError
from bot.i18n import t
from bot.limits import BUTTON_LABEL, CONTENT
from bot.services.rounds import DuePost
from bot.services.scheduler import RetryLaterError, UndeliverableError
from bot.store.sends import Send
from cogs.adapters.spaces import spaces_for
from cogs.common.components import RestartButton, buttons
from cogs.common.errors import render_error
from cogs.common.interactions import begin, show
from cogs.common.text import NO_PINGS, clip, mention, shown
from cogs.pairing.cog import day_shown, welcome_lines
from cogs.pairing.pages import proposal_page


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UserError("rounds.error.handled") from None


def _label(key: str, languages: tuple[str, ...]) -> str:
    return clip(" · ".join(t(key, lang) for lang in languages), BUTTON_LABEL)


class ConfirmDueRound(RestartButton, key="pair.due_confirm"):
    """Confirm under a due round's preview: `/pair confirm` for that due day (once)."""

    exchange: int
    due: str

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction, update=True)
        assert interaction.guild is not None
        bot = interaction.client
        done = await bot.services.rounds.confirm(
            actor, self.exchange, _day(self.due), await spaces_for(bot, interaction.guild)
        )
        lang = actor.language
        line = t(
            "rounds.confirmed_by",
            lang,
            who=mention(actor.user_id),
            pairs=len(done.space_ids),
        )
        extra = welcome_lines(done.welcomes, lang)
        await _settle(interaction, " ".join([line, *extra]))


class SkipDueRound(RestartButton, key="pair.due_skip"):
    """Skip this round: nobody is re-paired; the next round is counted from this one."""

    exchange: int
    due: str

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction, update=True)
        done = await interaction.client.services.rounds.skip(actor, self.exchange, _day(self.due))
        lang = actor.language
        line = t("rounds.skipped_by", lang, who=mention(actor.user_id))
        if done.next_due is not None:
            line += " " + t("rounds.next_due", lang, day=day_shown(done.next_due))
        await _settle(interaction, line)


async def _settle(interaction: discord.Interaction[Twinbridge], line: str) -> None:
    """The post says what became of the round, and its buttons go (everyone sees it)."""
    before = interaction.message.content if interaction.message is not None else ""
    await show(
        interaction,
        content=clip(f"{before}\n{line}" if before else line, CONTENT),
        view=None,
        allowed_mentions=NO_PINGS,
    )


def due_view(post: DuePost) -> discord.ui.View:
    due = post.due.isoformat()
    items: list[discord.ui.Item[Any]] = []
    if post.proposal is not None:
        items.append(
            ConfirmDueRound.make(
                _label("rounds.button.confirm", post.languages),
                style=discord.ButtonStyle.success,
                exchange=post.exchange.id,
                due=due,
            )
        )
    items.append(
        SkipDueRound.make(
            _label("rounds.button.skip", post.languages),
            style=discord.ButtonStyle.secondary,
            exchange=post.exchange.id,
            due=due,
        )
    )
    return buttons(*items)


def due_content(post: DuePost) -> str:
    """What the teachers read above the preview, in each of the exchange's languages."""
    lines = []
    for lang in post.languages:
        lines.append(
            t(
                "rounds.due_notice",
                lang,
                exchange=shown(post.exchange.name),
                day=day_shown(post.due),
            )
        )
        if post.problem is not None:
            lines.append(render_error(post.problem, lang))
    return "\n".join(lines)


async def on_due(bot: Twinbridge, send: Send) -> None:
    """A scheduled round is due: its preview, with Confirm and Skip, in the teachers' channel."""
    guild = bot.get_guild(send.guild_id)
    if guild is None or guild.unavailable:
        raise RetryLaterError(f"guild {send.guild_id} is not available")
    post = await bot.services.rounds.due_post(send, await spaces_for(bot, guild))
    if post is None:
        return
    channel = guild.get_channel(post.channel_id)
    if not isinstance(channel, discord.TextChannel):
        raise UndeliverableError(f"teachers' channel {post.channel_id} is gone")
    embeds = []
    if post.proposal is not None:
        embed, _ = proposal_page(post.proposal, post.languages[0], 1)
        embeds.append(embed)
    try:
        await channel.send(
            clip(due_content(post), CONTENT),
            embeds=embeds,
            view=due_view(post),
            nonce=send.nonce,
            allowed_mentions=NO_PINGS,
        )
    except discord.DiscordServerError as exc:
        raise RetryLaterError(http_reason(exc)) from exc
    except discord.HTTPException as exc:
        raise UndeliverableError(http_reason(exc)) from exc
