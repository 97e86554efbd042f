"""`/exchange create|roles|info`: coordinators set up a partnership of two sister cities."""

from __future__ import annotations

import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import Twinbridge
from bot.domain.timezones import search_zones
from bot.errors import UserError
from bot.i18n import language_list, listing, t
from bot.services import exchanges as service
from bot.services import lifecycle
from cogs.pairing import spaces_for
from cogs.utils import NO_PINGS, actor_of, clip, exchange_autocomplete, timestamp, user_errors


def weekend_label(days: frozenset[int], language: str) -> str:
    """ "Friday, Saturday" (ISO day numbers), in the reader's language; a list, never a
    range, so a weekend of Friday and Sunday does not read as three days."""
    return listing((t(f"session.weekday_{d}", language) for d in sorted(days)), language)


async def zone_autocomplete(
    interaction: discord.Interaction[Twinbridge], current: str
) -> list[app_commands.Choice[str]]:
    """IANA time zones matching what was typed ("chicago", "new york", "baghdad")."""
    return [app_commands.Choice(name=z, value=z) for z in search_zones(current, limit=25)]


@app_commands.guild_only()
class ExchangeCog(
    commands.GroupCog, group_name="exchange", group_description="Set up sister-city exchanges"
):
    """Exchanges between two sister cities."""

    def __init__(self, bot: Twinbridge) -> None:
        self.bot = bot

    @app_commands.command(name="create", description="Create an exchange between two sister cities")
    @app_commands.describe(
        name="A name everyone recognises, e.g. Minneapolis–Najaf 2026",
        city_a="First city",
        zone_a="First city's time zone",
        languages_a="Languages spoken in the first city, e.g. en, es",
        city_b="Partner city",
        zone_b="Partner city's time zone",
        languages_b="Languages spoken in the partner city, e.g. ar",
        weekend_a="First city's weekend days (default sat,sun)",
        weekend_b="Partner city's weekend days, e.g. fri,sat",
    )
    @app_commands.autocomplete(zone_a=zone_autocomplete, zone_b=zone_autocomplete)
    async def create(
        self,
        interaction: discord.Interaction[Twinbridge],
        name: app_commands.Range[str, 1, 100],
        city_a: app_commands.Range[str, 1, 100],
        zone_a: app_commands.Range[str, 1, 64],
        languages_a: app_commands.Range[str, 1, 100],
        city_b: app_commands.Range[str, 1, 100],
        zone_b: app_commands.Range[str, 1, 64],
        languages_b: app_commands.Range[str, 1, 100],
        weekend_a: app_commands.Range[str, 1, 40] = "sat,sun",
        weekend_b: app_commands.Range[str, 1, 40] = "sat,sun",
    ) -> None:
        actor = await actor_of(interaction)
        exchange = await service.create_exchange(
            self.bot.ctx.db,
            self.bot.ctx.clock,
            actor,
            name,
            service.CityInput(city_a, zone_a, languages_a, weekend_a),
            service.CityInput(city_b, zone_b, languages_b, weekend_b),
        )
        lang = actor.language
        embed = discord.Embed(
            title=t("exchange.created", lang, name=exchange.name),
            description=t("exchange.created_next", lang),
            colour=discord.Colour.green(),
        )
        for city in exchange.cities:
            embed.add_field(
                name=city.name,
                value=t(
                    "exchange.city_line",
                    lang,
                    zone=city.timezone,
                    languages=language_list(city.languages, lang),
                    weekend=weekend_label(city.weekend_days, lang),
                ),
            )
        embed.set_footer(text=t("exchange.id", lang, id=exchange.id))
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=NO_PINGS
        )

    @app_commands.command(
        name="roles", description="Choose the roles for students, teachers and coordinators"
    )
    async def roles(
        self,
        interaction: discord.Interaction[Twinbridge],
        student: discord.Role,
        teacher: discord.Role,
        coordinator: discord.Role | None = None,
    ) -> None:
        actor = await actor_of(interaction)
        await service.set_roles(
            self.bot.ctx.db,
            self.bot.ctx.clock,
            actor,
            student.id,
            teacher.id,
            coordinator.id if coordinator else None,
        )
        await interaction.response.send_message(
            t(
                "exchange.roles_set",
                actor.language,
                student=student.mention,
                teacher=teacher.mention,
                coordinator=coordinator.mention if coordinator else "—",
            ),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(name="info", description="Show an exchange: cities, zones, people")
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    async def info(
        self, interaction: discord.Interaction[Twinbridge], exchange: int | None = None
    ) -> None:
        actor = await actor_of(interaction)
        found = await service.info(self.bot.ctx.db, actor.guild_id, exchange)
        lang = actor.language
        embed = discord.Embed(title=found.exchange.name, colour=discord.Colour.blurple())
        for city in found.exchange.cities:
            embed.add_field(
                name=city.name,
                value=t(
                    "exchange.city_line",
                    lang,
                    zone=city.timezone,
                    languages=language_list(city.languages, lang),
                    weekend=weekend_label(city.weekend_days, lang),
                )
                + "\n"
                + t(
                    "exchange.city_counts",
                    lang,
                    students=found.students[city.id],
                    teachers=found.teachers[city.id],
                ),
            )
        roles = found.roles
        embed.add_field(
            name=t("exchange.roles", lang),
            value="\n".join(
                f"{t('role.' + name, lang)}: " + (f"<@&{rid}>" if rid else "—")
                for name, rid in roles.items()
            ),
            inline=False,
        )
        embed.set_footer(text=t("exchange.id", lang, id=found.exchange.id))
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=NO_PINGS
        )

    @app_commands.command(
        name="channels",
        description="Choose the exchange's announcements channel and its private teachers' channel",
    )
    @app_commands.describe(
        announcements="Where reminders and session posts go (students and teachers read it)",
        teachers="Where reports and concerns go: only teachers and coordinators may read it",
    )
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    async def channels(
        self,
        interaction: discord.Interaction[Twinbridge],
        announcements: discord.TextChannel,
        teachers: discord.TextChannel,
        exchange: int | None = None,
    ) -> None:
        actor = await actor_of(interaction)
        guild = interaction.guild
        assert guild is not None
        lang = actor.language
        for channel in (announcements, teachers):
            mine = channel.permissions_for(guild.me)
            if not (mine.view_channel and mine.send_messages and mine.embed_links):
                raise UserError("error.bot_cannot_post", channel=channel.mention)
        roles = await service.role_ids(self.bot.ctx.db, guild.id)
        readers = [guild.default_role]
        student_role = guild.get_role(roles["student"]) if roles["student"] else None
        if student_role is not None:
            readers.append(student_role)
        if any(teachers.permissions_for(role).view_channel for role in readers):
            raise UserError("error.teachers_channel_public", channel=teachers.mention)
        found = await service.set_channels(
            self.bot.ctx.db,
            self.bot.ctx.clock,
            actor,
            exchange,
            announcements=announcements.id,
            teachers=teachers.id,
        )
        await interaction.response.send_message(
            t(
                "exchange.channels_set",
                lang,
                name=found.name,
                announcements=announcements.mention,
                teachers=teachers.mention,
            ),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(
        name="end", description="End an exchange: spaces become read-only (asks to confirm)"
    )
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    async def end(
        self, interaction: discord.Interaction[Twinbridge], exchange: int | None = None
    ) -> None:
        actor = await actor_of(interaction)
        days = self.bot.ctx.settings.retention_days
        preview = await lifecycle.end_preview(
            self.bot.ctx.db, self.bot.ctx.clock, actor, exchange, days
        )
        lang = actor.language
        view = discord.ui.View(timeout=None)
        view.add_item(EndConfirm(preview.exchange.id, t("exchange.end_button", lang)))
        view.add_item(EndCancel(t("privacy.cancel_button", lang)))
        await interaction.response.send_message(
            t(
                "exchange.end_confirm",
                lang,
                name=preview.exchange.name,
                pairs=preview.live_pairs,
                students=preview.students,
                date=timestamp(preview.prune_at, "D"),
                days=days,
            ),
            view=view,
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )


class EndConfirm(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"tb:xe:(?P<id>\d+)"):
    """A coordinator's confirmation that an exchange is over."""

    def __init__(self, exchange_id: int, label: str = "End") -> None:
        super().__init__(
            discord.ui.Button(
                label=clip(label, 80),
                style=discord.ButtonStyle.danger,
                custom_id=f"tb:xe:{exchange_id}",
            )
        )
        self.exchange_id = exchange_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
    ) -> EndConfirm:
        return cls(int(match["id"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        async with user_errors(interaction):
            actor = await actor_of(interaction)
            await interaction.response.defer()
            bot = interaction.client
            assert isinstance(bot, Twinbridge) and interaction.guild is not None
            ended = await lifecycle.end_exchange(
                bot.ctx.db,
                bot.ctx.clock,
                actor,
                self.exchange_id,
                await spaces_for(bot, interaction.guild),
                bot.ctx.settings.retention_days,
            )
            await bot.ctx.scheduler.rearm()
            await interaction.edit_original_response(
                content=t(
                    "exchange.ended",
                    actor.language,
                    name=ended.exchange.name,
                    archived=ended.archived,
                    sends=ended.cancelled_sends,
                    date=timestamp(ended.prune_at, "D"),
                ),
                view=None,
                allowed_mentions=NO_PINGS,
            )


class EndCancel(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"tb:xc"):
    def __init__(self, label: str = "Cancel") -> None:
        super().__init__(
            discord.ui.Button(
                label=clip(label, 80), style=discord.ButtonStyle.secondary, custom_id="tb:xc"
            )
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
    ) -> EndCancel:
        return cls()

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        actor = await actor_of(interaction)
        await interaction.response.edit_message(
            content=t("exchange.end_cancelled", actor.language),
            view=None,
            allowed_mentions=NO_PINGS,
        )


async def setup(bot: Twinbridge) -> None:
    """Extension entry point."""
    bot.add_dynamic_items(EndConfirm, EndCancel)
    await bot.add_cog(ExchangeCog(bot))
