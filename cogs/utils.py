"""Helpers every cog shares: who is acting, in which language, and common autocompletes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any, TypeVar

import discord
from discord import app_commands

from bot.app import Twinbridge
from bot.domain.exchange import INTERESTS
from bot.errors import UserError
from bot.i18n import t
from bot.services import exchanges as exchange_service
from bot.services.access import Actor
from cogs.common.errors import answer_failure
from cogs.common.interactions import language_for

# Text users typed that the bot repeats must never ping anyone (users, roles, @everyone).
NO_PINGS = discord.AllowedMentions.none()

T = TypeVar("T")


def only_users(user_ids: Iterable[int]) -> discord.AllowedMentions:
    """Ping exactly these users (when the ping is the point), never @everyone or a role."""
    return discord.AllowedMentions(
        everyone=False,
        roles=False,
        replied_user=False,
        users=[discord.Object(id=u) for u in user_ids],
    )


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


def enforce_cooldown(
    interaction: discord.Interaction[Any], bucket: str, *, rate: int, per: timedelta
) -> None:
    """Count one use of `bucket` by this user; too many in `per` raises a "slow down" error.

    The answer says when to try again. Buckets are per user and per server, so one student
    cannot flood a space and nobody else is slowed down by them.
    """
    client = interaction.client
    assert isinstance(client, Twinbridge)
    now = client.ctx.clock.now()
    key = (interaction.guild_id, interaction.user.id)
    retry = client.ctx.cooldowns.hit(bucket, key, now, rate=rate, per=per)
    if retry is not None:
        raise UserError("error.slow_down", when=timestamp(retry, "R"))


def cooldown(bucket: str, *, rate: int, per: timedelta) -> Callable[[T], T]:
    """A check for commands that post: at most `rate` uses per user in any `per` window.

    Commands that post the same kind of thing share a bucket name (e.g. "report").
    """

    async def predicate(interaction: discord.Interaction[Any]) -> bool:
        try:
            enforce_cooldown(interaction, bucket, rate=rate, per=per)
        except UserError as error:
            # Checks may only raise CheckFailure; the tree's handler renders the cause.
            raise app_commands.CheckFailure(error.key) from error
        return True

    return app_commands.check(predicate)


@asynccontextmanager
async def user_errors(interaction: discord.Interaction[Any]) -> AsyncIterator[None]:
    """Inside a button, select or modal: a UserError becomes the usual private answer.

    Slash commands get this from the tree's error handler; components have no such handler.
    """
    try:
        yield
    except UserError as error:
        await answer_failure(interaction, error)
