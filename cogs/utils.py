"""Helpers every cog shares: who is acting, in which language, and common autocompletes."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.app import Twinbridge, language_for
from bot.domain.exchange import INTERESTS
from bot.errors import UserError
from bot.i18n import t
from bot.services import exchanges as exchange_service
from bot.services.access import Actor

# Text users typed that the bot repeats must never ping anyone (users, roles, @everyone).
NO_PINGS = discord.AllowedMentions.none()


async def actor_of(interaction: discord.Interaction[Any]) -> Actor:
    """The member behind an interaction, as the services see them, in their own language."""
    if interaction.guild_id is None or not isinstance(interaction.user, discord.Member):
        raise UserError("error.guild_only")
    member = interaction.user
    perms = interaction.permissions
    return Actor(
        guild_id=interaction.guild_id,
        user_id=member.id,
        role_ids=frozenset(r.id for r in member.roles),
        is_admin=perms.administrator or perms.manage_guild,
        display_name=member.display_name,
        language=await language_for(interaction),
    )


def clip(text: str, limit: int) -> str:
    """Text cut to Discord's limit with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def exchange_autocomplete(
    interaction: discord.Interaction[Twinbridge], current: str
) -> list[app_commands.Choice[int]]:
    """The guild's exchanges whose name contains what was typed."""
    if interaction.guild_id is None:
        return []
    found = await exchange_service.exchanges(interaction.client.ctx.db, interaction.guild_id)
    needle = current.casefold()
    return [
        app_commands.Choice(name=clip(f"{e.name} (#{e.id})", 100), value=e.id)
        for e in found
        if needle in e.name.casefold() or needle == str(e.id)
    ][:25]


def timestamp(when: Any, style: str = "F") -> str:
    """A Discord timestamp: every reader sees it in their own time zone."""
    return f"<t:{int(when.timestamp())}:{style}>"


def interest_label(interest: str, language: str) -> str:
    """A curated interest in the reader's language; free-text interests as the student typed."""
    return t(f"interest.{interest}", language) if interest in INTERESTS else interest
