"""Prompt cards in paired spaces: the `PromptPort` that `/prompt now` and sessions both use."""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.app import http_reason
from bot.i18n import from_library, t
from bot.limits import FIELD_NAME, FIELD_VALUE
from bot.services import prompts as service
from bot.services.scheduler import RetryLaterError, UndeliverableError
from cogs.common.channels import find_space
from cogs.common.text import clip

log = logging.getLogger(__name__)


def prompt_embed(card: service.PromptCard) -> discord.Embed:
    """One card for the pair: the prompt in each member's language, side by side."""
    languages = [language for language, _ in card.texts]
    embed = discord.Embed(
        title=clip("💬 " + " · ".join(t("prompt.card_title", lang) for lang in languages), 256),
        description="\n".join(t("prompt.card_hint", lang) for lang in languages),
        colour=discord.Colour.teal(),
    )
    for language, text in card.texts:
        label = (
            f"{t('prompt.language_name', language)} · {t(f'prompt.theme.{card.theme}', language)}"
        )
        # The bank's texts are translated in bot/data/prompts, not the catalogue.
        shown = clip(from_library(text), FIELD_VALUE)
        embed.add_field(name=clip(label, FIELD_NAME), value=shown, inline=True)
    embed.set_footer(text=f"🔖 {card.key}")
    return embed


# How many of a space's latest messages a card cut short by a stop is looked for among.
POSTED_LOOKUP = 50


class DiscordPrompts:
    """The prompts service's `PromptPort`, done with discord.py in one guild.

    Sessions post their prompts through this too: `DiscordPrompts(guild, scheduled=True)`.
    """

    def __init__(self, guild: discord.Guild, *, scheduled: bool = False) -> None:
        self.guild = guild
        # A session's prompt is one scheduled send per space: failures are raised for the
        # scheduler (a 5xx is tried again, a 403/404 recorded with its reason). A teacher's
        # /prompt now reaches every pair in one go: there a failing space counts unreachable.
        self.scheduled = scheduled

    async def post(
        self, space_id: int, card: service.PromptCard, *, nonce: str | None = None
    ) -> int | None:
        mentions = " ".join(f"<@{user_id}>" for user_id in card.mention_ids)
        extra: dict[str, Any] = {"nonce": nonce} if nonce is not None else {}
        try:
            # A pair's thread that archived itself after a quiet week is not in discord.py's
            # cache: found by a fetch, and reopened by the post itself.
            space = await find_space(self.guild, space_id)
            if space is None:
                if self.scheduled:
                    raise UndeliverableError(f"space {space_id} is gone")
                return None
            message = await space.send(
                mentions or None,
                embed=prompt_embed(card),
                # Only the pair's members are pinged; a teacher's prompt text never pings.
                allowed_mentions=discord.AllowedMentions(
                    users=[discord.Object(user_id) for user_id in card.mention_ids]
                ),
                **extra,
            )
        except discord.HTTPException as exc:
            if self.scheduled and isinstance(exc, discord.DiscordServerError):
                raise RetryLaterError(http_reason(exc)) from exc
            if self.scheduled:
                raise UndeliverableError(http_reason(exc)) from exc
            # One space's trouble must not stop a fan-out to every other pair; no blind retry.
            log.warning("could not post a prompt in %s: HTTP %s", space_id, exc.status)
            return None
        return message.id

    async def find(self, space_id: int, key: str) -> int | None:
        footer = f"🔖 {key}"
        try:
            # An archived thread's messages are read without reopening it.
            space = await find_space(self.guild, space_id)
            if space is None:
                return None
            async for message in space.history(limit=POSTED_LOOKUP):
                if message.author.id == self.guild.me.id and any(
                    e.footer.text == footer for e in message.embeds
                ):
                    return message.id
        except discord.DiscordServerError as exc:
            raise RetryLaterError(http_reason(exc)) from exc
        return None
