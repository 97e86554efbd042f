"""`/about`: the thin end-to-end slice from a slash command through a service to the store."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import Twinbridge
from bot.i18n import t
from cogs.common.interactions import acknowledge, language_for, show


class About(commands.Cog):
    """What the bot is and what it holds."""

    def __init__(self, bot: Twinbridge) -> None:
        self.bot = bot

    @app_commands.command(
        name="about", description="What Twinbridge is, its version and exchanges."
    )
    async def about_command(self, interaction: discord.Interaction[Twinbridge]) -> None:
        # Not `begin`: /about answers outside a server too, where nobody is an actor.
        await acknowledge(interaction)
        info = await self.bot.services.about.about(interaction.guild_id)
        lang = await language_for(interaction)
        embed = discord.Embed(
            title=t("about.title", lang),
            description=t("about.description", lang),
            colour=discord.Colour.blurple(),
        )
        embed.add_field(name=t("about.version", lang), value=info.version)
        embed.add_field(name=t("about.partnerships", lang), value=str(info.partnerships_here))
        await show(interaction, embed=embed)


async def setup(bot: Twinbridge) -> None:
    """Extension entry point."""
    await bot.add_cog(About(bot))
