"""Per-user limits on commands that post, so one person cannot flood a space."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

import discord
from discord import app_commands

from bot.errors import UserError
from cogs.common.interactions import client_of
from cogs.common.text import timestamp

T = TypeVar("T")
# Where an interaction keeps the cooldown uses it counted (to give them back if refused).
_COUNTED = "twinbridge.cooldowns"


def enforce_cooldown(
    interaction: discord.Interaction[Any], bucket: str, *, rate: int, per: timedelta
) -> None:
    """Count one use of `bucket` by this user; too many in `per` raises a "slow down" error.

    The answer says when to try again. Buckets are per user and per server, so one student
    cannot flood a space and nobody else is slowed down by them.
    """
    ctx = client_of(interaction).ctx
    key = (interaction.guild_id, interaction.user.id)
    now = ctx.clock.now()
    retry = ctx.cooldowns.hit(bucket, key, now, rate=rate, per=per)
    if retry is not None:
        raise UserError("error.slow_down", when=timestamp(retry, "R"))
    interaction.extras.setdefault(_COUNTED, []).append((bucket, key, now))


def refund_cooldowns(interaction: discord.Interaction[Any]) -> None:
    """Give back the uses this interaction counted: it was refused, or failed before anything
    was done, so it posted nothing and must not bring its author closer to the limit."""
    ctx = client_of(interaction).ctx
    for bucket, key, at in interaction.extras.pop(_COUNTED, []):
        ctx.cooldowns.refund(bucket, key, at)


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
