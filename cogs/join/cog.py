"""The `/join` and `/profile` commands: parse, ask the roster service, show the outcome."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import Twinbridge
from bot.domain.exchange import NATIVE_NAMES, Role
from bot.i18n import t
from bot.services.roster import bot_languages
from cogs.common.interactions import begin, show
from cogs.common.params import CityName, ExchangeId
from cogs.common.text import NO_PINGS, shown
from cogs.join.card import card_view
from cogs.join.panel import panel_message
from cogs.join.words import profile_embed

LANGUAGE_CHOICES = [
    app_commands.Choice(name=NATIVE_NAMES.get(code, code), value=code) for code in bot_languages()
]


class JoinCog(commands.Cog):
    """`/join` and `/profile`: students and teachers of either city say who they are."""

    def __init__(self, bot: Twinbridge) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        # Drafts of panels given up on hold people's words: they go at each start, too.
        await self.bot.services.roster.forget_given_up_drafts()

    @app_commands.command(name="join", description="Join a sister-city exchange from your city")
    @app_commands.guild_only()
    @app_commands.describe(
        city="Your city",
        language="The language Twinbridge should speak to you",
        exchange="The exchange (when the server has several)",
    )
    @app_commands.choices(language=LANGUAGE_CHOICES)
    async def join(
        self,
        interaction: discord.Interaction[Twinbridge],
        city: CityName,
        language: str | None = None,
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        roster = self.bot.services.roster
        start = await roster.start_join(actor, exchange, city, language)
        if start.role is not Role.STUDENT:
            joined = await roster.join_staff(actor, start)
            lang = start.language
            await show(
                interaction,
                content=t(
                    f"roster.joined_{start.role}",
                    lang,
                    exchange=shown(start.exchange.name),
                    city=shown(start.city.name),
                ),
                embed=profile_embed(joined, lang),
                allowed_mentions=NO_PINGS,
            )
            return
        await show(interaction, **panel_message(await roster.open_join(actor, start)))

    @app_commands.command(name="profile", description="See or change your exchange profile")
    @app_commands.guild_only()
    async def profile(
        self, interaction: discord.Interaction[Twinbridge], exchange: ExchangeId | None = None
    ) -> None:
        actor = await begin(interaction)
        found = await self.bot.services.roster.own_profile(actor, exchange)
        lang = found.participant.language
        await show(
            interaction,
            embed=profile_embed(found, lang),
            view=card_view(found),
            allowed_mentions=NO_PINGS,
        )
