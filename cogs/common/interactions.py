"""Acknowledge first, then work: the one way a command or a component starts.

Discord waits 3 seconds for the first answer to an interaction. The database can be slower
than that (a backup, a long report, a busy disk), so every handler acknowledges *before* it
reads anything, by calling `begin` first; the outcome follows within the 15 minutes the
interaction's token lives. The only answers that cannot wait for an acknowledgement are a
modal (`open_modal`) and autocomplete choices; both read with a time limit instead.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, cast

import discord

from bot.errors import UserError
from bot.services.access import Actor
from bot.store import roster

if TYPE_CHECKING:
    from bot.app import Twinbridge

# How long an answer that cannot be deferred (a modal, autocomplete) waits for the database.
QUICK_READ = 1.5
_LANGUAGE = "twinbridge.language"


def client_of(interaction: discord.Interaction[Any]) -> Twinbridge:
    """The bot an interaction reached."""
    return cast("Twinbridge", interaction.client)


def language_of(interaction: discord.Interaction[Any]) -> str:
    """The language of the user's Discord client: a fallback, since Discord has no Arabic."""
    locale = str(interaction.locale)
    return locale.split("-", 1)[0] if locale else "en"


async def language_for(interaction: discord.Interaction[Any]) -> str:
    """The language to answer in: the user's profile first, then their Discord client's.

    Discord's locale list has no Arabic, so a student's language must come from their profile.
    Read once per interaction.
    """
    known = interaction.extras.get(_LANGUAGE)
    if isinstance(known, str):
        return known
    chosen: str | None = None
    if interaction.guild_id is not None and hasattr(interaction.client, "ctx"):
        async with client_of(interaction).ctx.db.read() as conn:
            chosen = await roster.preferred_language(
                conn, interaction.guild_id, interaction.user.id
            )
    language = chosen or language_of(interaction)
    interaction.extras[_LANGUAGE] = language
    return language


async def language_soon(interaction: discord.Interaction[Any], within: float = QUICK_READ) -> str:
    """`language_for`, but never waiting past `within` seconds (then the client's language).

    For answers that must come at once: a modal, autocomplete choices, an error after the
    database failed.
    """
    try:
        async with asyncio.timeout(within):
            return await language_for(interaction)
    except Exception:  # slow, locked or gone: the client's language still reads well
        return language_of(interaction)


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


def _has_own_message(interaction: discord.Interaction[Any]) -> bool:
    """Whether the interaction came from a message it may update: a component's, or that of
    the component that opened the form now submitted (a form opened by a slash command has
    none)."""
    if interaction.type is discord.InteractionType.component:
        return True
    return (
        interaction.type is discord.InteractionType.modal_submit and interaction.message is not None
    )


async def acknowledge(
    interaction: discord.Interaction[Any], *, ephemeral: bool = True, update: bool = False
) -> None:
    """Tell Discord the interaction is being handled, unless that was done already.

    `update`: a component (or a form opened from one) that will change the component's
    message (no "thinking…" shown); otherwise a "thinking…" answer, private unless
    `ephemeral` is False, that the outcome replaces.
    """
    if interaction.response.is_done():
        return
    if update and _has_own_message(interaction):
        await interaction.response.defer()
    else:
        await interaction.response.defer(ephemeral=ephemeral, thinking=True)


async def begin(
    interaction: discord.Interaction[Any], *, ephemeral: bool = True, update: bool = False
) -> Actor:
    """Acknowledge, then say who is acting: how every handler that reads the database starts."""
    await acknowledge(interaction, ephemeral=ephemeral, update=update)
    return await actor_of(interaction)


async def say(
    interaction: discord.Interaction[Any], content: str = discord.utils.MISSING, **kwargs: Any
) -> None:
    """Answer privately, whether or not the interaction was acknowledged.

    After `begin`, the first answer replaces the "thinking…" message (Discord keeps the
    privacy the acknowledgement chose); later ones are follow-ups.
    """
    if interaction.response.is_done():
        await interaction.followup.send(content, ephemeral=True, **kwargs)
    else:
        await interaction.response.send_message(content, ephemeral=True, **kwargs)


async def show(interaction: discord.Interaction[Any], **kwargs: Any) -> None:
    """Replace the acknowledged answer: the "thinking…" message, or the component's message
    after `begin(update=True)`."""
    if interaction.response.is_done():
        await interaction.edit_original_response(**kwargs)
    elif interaction.type is discord.InteractionType.component:
        await interaction.response.edit_message(**kwargs)
    else:
        await interaction.response.send_message(ephemeral=True, **kwargs)


async def open_modal(interaction: discord.Interaction[Any], modal: discord.ui.Modal) -> None:
    """Answer with a form. A modal must be the first answer, so nothing slow may come before:
    build it from what the interaction carries and `language_soon`."""
    await interaction.response.send_modal(modal)
