"""`/exchange create|roles|info|city|policy`: coordinators set up a partnership of sister cities:
two, or a network of more (`/exchange city add|edit|remove`, `/exchange policy`)."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import Twinbridge
from bot.domain.exchange import MAX_NAME, MAX_WEEKEND, City, Exchange, PairingPolicy
from bot.domain.holidays import MAX_REGION
from bot.errors import UserError
from bot.i18n import language_list, listing, t, weekday_name
from bot.limits import CONTENT
from bot.services.exchanges import CityChange, CityInput, holiday_region
from cogs.adapters.spaces import spaces_for
from cogs.common.components import RestartButton, buttons
from cogs.common.interactions import begin, show
from cogs.common.params import CityName, Day, ExchangeId, ZoneName
from cogs.common.text import NO_PINGS, clip, shown, timestamp


def weekend_label(days: frozenset[int], language: str) -> str:
    """ "Friday, Saturday" (ISO day numbers), in the reader's language; a list, never a
    range, so a weekend of Friday and Sunday does not read as three days."""
    return listing((weekday_name(d, language) for d in sorted(days)), language)


POLICY_CHOICES = [
    app_commands.Choice(name="hub: one home city paired with each partner city", value="hub"),
    app_commands.Choice(name="any: any two different cities", value="any"),
]


def city_field(city: City, lang: str) -> str:
    """A city's zone, languages and weekend, as /exchange shows them."""
    return t(
        "exchange.city_line",
        lang,
        zone=city.timezone,
        languages=language_list(city.languages, lang),
        weekend=weekend_label(city.weekend_days, lang),
    )


def policy_line(exchange: Exchange, lang: str) -> str:
    """How a network pairs its cities, in the reader's language ("" for two cities)."""
    if not exchange.is_network:
        return ""
    hub = exchange.hub
    if hub is None:
        return t("network.policy_any", lang, count=len(exchange.cities))
    return t("network.policy_hub", lang, hub=shown(hub.name), count=len(exchange.cities) - 1)


@app_commands.guild_only()
class ExchangeCog(
    commands.GroupCog, group_name="exchange", group_description="Set up sister-city exchanges"
):
    """Exchanges between sister cities: two, or a network."""

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
        holidays_a=(
            "First city's public holidays: country and region, e.g. US-MN (default: from the zone)"
        ),
        holidays_b="Partner city's public holidays, e.g. IQ (default: from the zone)",
    )
    async def create(
        self,
        interaction: discord.Interaction[Twinbridge],
        name: app_commands.Range[str, 1, MAX_NAME],
        city_a: app_commands.Range[str, 1, MAX_NAME],
        zone_a: ZoneName,
        languages_a: app_commands.Range[str, 1, MAX_NAME],
        city_b: app_commands.Range[str, 1, MAX_NAME],
        zone_b: ZoneName,
        languages_b: app_commands.Range[str, 1, MAX_NAME],
        weekend_a: app_commands.Range[str, 1, MAX_WEEKEND] = "sat,sun",
        weekend_b: app_commands.Range[str, 1, MAX_WEEKEND] = "sat,sun",
        holidays_a: app_commands.Range[str, 1, MAX_REGION] | None = None,
        holidays_b: app_commands.Range[str, 1, MAX_REGION] | None = None,
    ) -> None:
        actor = await begin(interaction)
        exchange = await self.bot.services.exchanges.create(
            actor,
            name,
            CityInput(city_a, zone_a, languages_a, weekend_a, holidays_a),
            CityInput(city_b, zone_b, languages_b, weekend_b, holidays_b),
        )
        lang = actor.language
        embed = discord.Embed(
            title=t("exchange.created", lang, name=shown(exchange.name)),
            description=t("exchange.created_next", lang),
            colour=discord.Colour.green(),
        )
        for city in exchange.cities:
            embed.add_field(
                name=shown(city.name),
                value=t(
                    "exchange.city_line",
                    lang,
                    zone=city.timezone,
                    languages=language_list(city.languages, lang),
                    weekend=weekend_label(city.weekend_days, lang),
                ),
            )
        embed.set_footer(text=t("exchange.id", lang, id=exchange.id))
        await show(interaction, embed=embed, allowed_mentions=NO_PINGS)

    school_break = app_commands.Group(
        name="break", description="A city's school breaks: no sessions expected then (teachers)"
    )

    @school_break.command(name="add", description="Add a city's school break (teachers)")
    @app_commands.describe(
        city="The city on break",
        start="First day off (YYYY-MM-DD)",
        end="Last day off (YYYY-MM-DD)",
        exchange="Which exchange, if the server has several",
    )
    async def break_add(
        self,
        interaction: discord.Interaction[Twinbridge],
        city: CityName,
        start: Day,
        end: Day,
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        found, added = await self.bot.services.breaks.add(actor, exchange, city, start, end)
        lang = actor.language
        await show(
            interaction,
            content=t(
                "exchange.break_added",
                lang,
                city=shown(found.city(added.city_id).name),
                first=f"{added.first}",
                last=f"{added.last}",
                id=added.id,
            ),
            allowed_mentions=NO_PINGS,
        )

    @school_break.command(name="remove", description="Remove a school break (teachers)")
    @app_commands.describe(
        number="The break's number, from /exchange break list",
        exchange="Which exchange, if the server has several",
    )
    async def break_remove(
        self,
        interaction: discord.Interaction[Twinbridge],
        number: app_commands.Range[int, 1, 2**31 - 1],
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        await self.bot.services.breaks.remove(actor, exchange, number)
        await show(interaction, content=t("exchange.break_removed", actor.language, id=number))

    @school_break.command(name="list", description="The school breaks of both cities (teachers)")
    @app_commands.describe(exchange="Which exchange, if the server has several")
    async def break_list(
        self, interaction: discord.Interaction[Twinbridge], exchange: ExchangeId | None = None
    ) -> None:
        actor = await begin(interaction)
        found = await self.bot.services.breaks.listing(actor, exchange)
        lang = actor.language
        lines = [
            t(
                "exchange.break_line",
                lang,
                id=b.id,
                city=shown(found.exchange.city(b.city_id).name),
                first=f"{b.first}",
                last=f"{b.last}",
                days=(b.last - b.first).days + 1,
            )
            for b in found.breaks
        ]
        text = "\n".join(lines) or t("exchange.break_none", lang)
        await show(
            interaction,
            content=clip(
                t("exchange.break_list", lang, exchange=shown(found.exchange.name)) + "\n" + text,
                CONTENT,
            ),
            allowed_mentions=NO_PINGS,
        )

    city = app_commands.Group(
        name="city", description="Add, change or remove an exchange's cities (coordinators)"
    )

    @city.command(name="add", description="Add a sister city to an exchange (coordinators)")
    @app_commands.describe(
        city="The city's name",
        zone="Its time zone",
        languages="Languages spoken there, e.g. en, zh",
        weekend="Its weekend days (default sat,sun)",
        holidays="Its public holidays: country and region, e.g. GH (default: from the zone)",
        exchange="Which exchange, if the server has several",
    )
    async def city_add(
        self,
        interaction: discord.Interaction[Twinbridge],
        city: app_commands.Range[str, 1, MAX_NAME],
        zone: ZoneName,
        languages: app_commands.Range[str, 1, MAX_NAME],
        weekend: app_commands.Range[str, 1, MAX_WEEKEND] = "sat,sun",
        holidays: app_commands.Range[str, 1, MAX_REGION] | None = None,
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        found, added = await self.bot.services.exchanges.add_city(
            actor, exchange, CityInput(city, zone, languages, weekend, holidays)
        )
        lang = actor.language
        embed = discord.Embed(
            title=t(
                "network.city_added",
                lang,
                city=shown(added.name),
                exchange=shown(found.name),
                count=len(found.cities),
            ),
            description=city_field(added, lang) + "\n\n" + t("network.city_added_next", lang),
            colour=discord.Colour.green(),
        )
        await show(interaction, embed=embed, allowed_mentions=NO_PINGS)

    @city.command(name="edit", description="Change a city's name, zone, languages or weekend")
    @app_commands.describe(
        city="The city to change",
        name="Its new name",
        zone="Its new time zone",
        languages="Its languages, e.g. en, ak",
        weekend="Its weekend days, e.g. fri,sat",
        holidays='Its public holidays, e.g. LR; "auto": from its time zone',
        exchange="Which exchange, if the server has several",
    )
    async def city_edit(
        self,
        interaction: discord.Interaction[Twinbridge],
        city: CityName,
        name: app_commands.Range[str, 1, MAX_NAME] | None = None,
        zone: ZoneName | None = None,
        languages: app_commands.Range[str, 1, MAX_NAME] | None = None,
        weekend: app_commands.Range[str, 1, MAX_WEEKEND] | None = None,
        holidays: app_commands.Range[str, 1, MAX_REGION] | None = None,
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        lang = actor.language
        change = CityChange(name, zone, languages, weekend, holidays)
        if change == CityChange():
            raise UserError("error.city_nothing_to_change")
        found, changed = await self.bot.services.exchanges.edit_city(actor, exchange, city, change)
        embed = discord.Embed(
            title=t(
                "network.city_edited", lang, city=shown(changed.name), exchange=shown(found.name)
            ),
            description=city_field(changed, lang),
            colour=discord.Colour.green(),
        )
        await show(interaction, embed=embed, allowed_mentions=NO_PINGS)

    @city.command(name="remove", description="Remove a city nobody uses any more (coordinators)")
    @app_commands.describe(
        city="The city to remove", exchange="Which exchange, if the server has several"
    )
    async def city_remove(
        self,
        interaction: discord.Interaction[Twinbridge],
        city: CityName,
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        found, removed = await self.bot.services.exchanges.remove_city(actor, exchange, city)
        await show(
            interaction,
            content=t(
                "network.city_removed",
                actor.language,
                city=shown(removed.name),
                exchange=shown(found.name),
                cities=listing((shown(c.name) for c in found.cities), actor.language),
            ),
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(
        name="policy", description="How a network of cities pairs its students (coordinators)"
    )
    @app_commands.describe(
        policy="hub: one home city with each partner; any: any two different cities",
        hub="The home city, for the hub policy",
        exchange="Which exchange, if the server has several",
    )
    @app_commands.choices(policy=POLICY_CHOICES)
    async def policy(
        self,
        interaction: discord.Interaction[Twinbridge],
        policy: app_commands.Choice[str],
        hub: CityName | None = None,
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        found = await self.bot.services.exchanges.set_policy(
            actor, exchange, PairingPolicy(policy.value), hub
        )
        lang = actor.language
        line = policy_line(found, lang) or t("network.policy_two", lang)
        await show(
            interaction,
            content=t("network.policy_set", lang, exchange=shown(found.name)) + "\n" + line,
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(
        name="holidays", description="Where a city's public holidays come from (coordinators)"
    )
    @app_commands.describe(
        city="The city",
        region='Country and region, e.g. US-MN, IQ, ES-MD; "auto": from its time zone',
        exchange="Which exchange, if the server has several",
    )
    async def holidays(
        self,
        interaction: discord.Interaction[Twinbridge],
        city: CityName,
        region: app_commands.Range[str, 1, MAX_REGION],
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        found, changed = await self.bot.services.exchanges.set_holidays(
            actor, exchange, city, region
        )
        effective = holiday_region(changed)
        lang = actor.language
        if effective is None:
            text = t("exchange.holidays_none", lang, city=shown(changed.name))
        else:
            key = "exchange.holidays_set" if changed.holiday_region else "exchange.holidays_auto"
            # A region's code ("US-MN") is written the same in every language.
            text = t(key, lang, city=shown(changed.name), region=f"`{effective.code}`")
        await show(
            interaction,
            content=text + "\n" + t("exchange.holidays_next", lang, exchange=shown(found.name)),
            allowed_mentions=NO_PINGS,
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
        actor = await begin(interaction)
        await self.bot.services.exchanges.set_roles(
            actor,
            student.id,
            teacher.id,
            coordinator.id if coordinator else None,
        )
        await show(
            interaction,
            content=t(
                "exchange.roles_set",
                actor.language,
                student=student.mention,
                teacher=teacher.mention,
                coordinator=coordinator.mention if coordinator else "—",
            ),
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(name="info", description="Show an exchange: cities, zones, people")
    async def info(
        self,
        interaction: discord.Interaction[Twinbridge],
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        found = await self.bot.services.exchanges.info(actor.guild_id, exchange)
        lang = actor.language
        embed = discord.Embed(
            title=shown(found.exchange.name),
            description=policy_line(found.exchange, lang) or None,
            colour=discord.Colour.blurple(),
        )
        for city in found.exchange.cities:
            embed.add_field(
                name=shown(city.name),
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
        await show(interaction, embed=embed, allowed_mentions=NO_PINGS)

    @app_commands.command(
        name="channels",
        description="Choose the exchange's announcements channel and its private teachers' channel",
    )
    @app_commands.describe(
        announcements="Where reminders and session posts go (students and teachers read it)",
        teachers="Where reports and concerns go: only teachers and coordinators may read it",
    )
    async def channels(
        self,
        interaction: discord.Interaction[Twinbridge],
        announcements: discord.TextChannel,
        teachers: discord.TextChannel,
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        guild = interaction.guild
        assert guild is not None
        lang = actor.language
        for channel in (announcements, teachers):
            mine = channel.permissions_for(guild.me)
            if not (mine.view_channel and mine.send_messages and mine.embed_links):
                raise UserError("error.bot_cannot_post", channel=channel.mention)
        roles = await self.bot.services.exchanges.role_ids(guild.id)
        readers = [guild.default_role]
        student_role = guild.get_role(roles["student"]) if roles["student"] else None
        if student_role is not None:
            readers.append(student_role)
        if any(teachers.permissions_for(role).view_channel for role in readers):
            raise UserError("error.teachers_channel_public", channel=teachers.mention)
        found = await self.bot.services.exchanges.set_channels(
            actor,
            exchange,
            announcements=announcements.id,
            teachers=teachers.id,
        )
        await show(
            interaction,
            content=t(
                "exchange.channels_set",
                lang,
                name=shown(found.name),
                announcements=announcements.mention,
                teachers=teachers.mention,
            ),
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(
        name="end", description="End an exchange: spaces become read-only (asks to confirm)"
    )
    async def end(
        self,
        interaction: discord.Interaction[Twinbridge],
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        lifecycle = self.bot.services.lifecycle
        preview = await lifecycle.end_preview(actor, exchange)
        lang = actor.language
        view = buttons(
            EndConfirm.make(
                t("exchange.end_button", lang),
                style=discord.ButtonStyle.danger,
                exchange=preview.exchange.id,
            ),
            EndCancel.make(t("privacy.cancel_button", lang)),
        )
        await show(
            interaction,
            content=t(
                "exchange.end_confirm",
                lang,
                name=shown(preview.exchange.name),
                pairs=preview.live_pairs,
                students=preview.students,
                date=timestamp(preview.prune_at, "D"),
                days=lifecycle.retention_days,
            ),
            view=view,
            allowed_mentions=NO_PINGS,
        )


class EndConfirm(RestartButton, key="exchange.end", legacy=r"tb:xe:(?P<exchange>\d+)"):
    """A coordinator's confirmation that an exchange is over."""

    exchange: int

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction, update=True)
        assert interaction.guild is not None
        bot = interaction.client
        ended = await bot.services.lifecycle.end(
            actor, self.exchange, await spaces_for(bot, interaction.guild)
        )
        await show(
            interaction,
            content=t(
                "exchange.ended",
                actor.language,
                name=shown(ended.exchange.name),
                archived=ended.archived,
                sends=ended.cancelled_sends,
                date=timestamp(ended.prune_at, "D"),
            ),
            view=None,
            allowed_mentions=NO_PINGS,
        )


class EndCancel(RestartButton, key="exchange.end_cancel", legacy=r"tb:xc"):
    """Changing one's mind about ending an exchange."""

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction, update=True)
        await show(
            interaction,
            content=t("exchange.end_cancelled", actor.language),
            view=None,
            allowed_mentions=NO_PINGS,
        )


async def setup(bot: Twinbridge) -> None:
    """Extension entry point."""
    await bot.add_cog(ExchangeCog(bot))
