"""Parameters many commands take, parsed and offered once: an exchange, a city, a date, a zone.

Each is a discord.py `Transformer`: `Transform[int, ExchangeParam]` in a command's signature
gives it autocomplete and parsing. `transform` runs before the command's body, so before
the interaction is acknowledged: it never reads the database (a bad value is refused with a
`UserError` at once). Autocomplete reads it, but never for longer than Discord waits.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any, Literal, TypeVar

import discord
from discord import app_commands

from bot.cldr import format_day
from bot.domain.days import DayError, parse_day
from bot.domain.timezones import UnknownZoneError, check_zone, search_zones
from bot.errors import UserError
from bot.i18n import from_library
from bot.limits import CHOICE_NAME, CHOICE_VALUE, CHOICES
from bot.services import exchanges as exchange_service
from bot.services.access import Actor
from cogs.common.interactions import QUICK_READ, actor_of, client_of, language_soon
from cogs.common.text import clip

C = TypeVar("C", str, int)


async def bounded(
    make: Callable[[], Awaitable[list[app_commands.Choice[C]]]],
) -> list[app_commands.Choice[C]]:
    """Autocomplete choices, or none when the database is too slow to answer in time."""
    try:
        async with asyncio.timeout(QUICK_READ):
            return (await make())[:CHOICES]
    except TimeoutError:
        return []


def chosen(interaction: discord.Interaction[Any], name: str) -> Any:
    """What the person has already put in another option of the same command."""
    return getattr(interaction.namespace, name, None)


class IdParam(app_commands.Transformer):
    """A row of this server passed on as its id: an integer option (bounded by the database's
    INTEGER when the tree is built), offered as you type by `offer`. `transform` only makes it
    an `int`: whether the id exists, and is the person's to use, is the service's to say."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.integer

    async def transform(self, interaction: discord.Interaction[Any], value: Any) -> int:
        return int(value)

    async def autocomplete(  # type: ignore[override]
        self, interaction: discord.Interaction[Any], value: int | float | str, /
    ) -> list[app_commands.Choice[int]]:
        guild_id = interaction.guild_id
        if guild_id is None:
            return []
        return await bounded(lambda: self.offer(interaction, guild_id, str(value)))

    async def offer(
        self, interaction: discord.Interaction[Any], guild_id: int, typed: str
    ) -> list[app_commands.Choice[int]]:
        """The choices for what is typed so far (read within `bounded`'s time limit)."""
        raise NotImplementedError


class ActorIdParam(IdParam):
    """An id offered from what the person may see: `offer_to` gets them as an `Actor`."""

    async def offer(
        self, interaction: discord.Interaction[Any], guild_id: int, typed: str
    ) -> list[app_commands.Choice[int]]:
        try:
            actor = await actor_of(interaction)
        except UserError:
            return []  # not a member of the server: nothing to offer
        return await self.offer_to(interaction, actor, typed)

    async def offer_to(
        self, interaction: discord.Interaction[Any], actor: Actor, typed: str
    ) -> list[app_commands.Choice[int]]:
        """The choices `actor` may pick for what is typed so far."""
        raise NotImplementedError


class ExchangeParam(IdParam):
    """An exchange of this server, offered by name and passed on as its id."""

    async def offer(
        self, interaction: discord.Interaction[Any], guild_id: int, typed: str
    ) -> list[app_commands.Choice[int]]:
        needle = typed.casefold()
        found = await exchange_service.exchanges(client_of(interaction).ctx.db, guild_id)
        return [
            app_commands.Choice(name=clip(f"{e.name} (#{e.id})", CHOICE_NAME), value=e.id)
            for e in found
            if needle in e.name.casefold() or needle == str(e.id)
        ]


class CityParam(app_commands.Transformer):
    """A city of the exchange chosen in the same command (or of any exchange), by name."""

    async def transform(self, interaction: discord.Interaction[Any], value: Any) -> str:
        return str(value).strip()

    async def autocomplete(  # type: ignore[override]
        self, interaction: discord.Interaction[Any], value: int | float | str, /
    ) -> list[app_commands.Choice[str]]:
        guild_id = interaction.guild_id
        if guild_id is None:
            return []
        needle = str(value).casefold().strip()
        wanted = chosen(interaction, "exchange")

        async def choices() -> list[app_commands.Choice[str]]:
            every = await exchange_service.exchanges(client_of(interaction).ctx.db, guild_id)
            if isinstance(wanted, int):
                every = [e for e in every if e.id == wanted] or every
            several = len(every) > 1
            return [
                app_commands.Choice(
                    name=clip(f"{city.name} ({e.name})" if several else city.name, CHOICE_NAME),
                    value=clip(city.name, CHOICE_VALUE),
                )
                for e in every
                for city in e.cities
                if needle in city.name.casefold()
            ]

        return await bounded(choices)


class ZoneParam(app_commands.Transformer):
    """An IANA time zone ("America/Chicago"); the chosen exchange's city zones come first."""

    async def transform(self, interaction: discord.Interaction[Any], value: Any) -> str:
        text = str(value)
        try:
            return check_zone(text).key
        except UnknownZoneError as exc:
            raise UserError("error.unknown_zone", zone=clip(str(exc), 60)) from None

    async def autocomplete(  # type: ignore[override]
        self, interaction: discord.Interaction[Any], value: int | float | str, /
    ) -> list[app_commands.Choice[str]]:
        typed = str(value)
        needle = typed.strip().casefold()
        guild_id = interaction.guild_id
        wanted = chosen(interaction, "exchange")

        async def choices() -> list[app_commands.Choice[str]]:
            found: list[app_commands.Choice[str]] = []
            if guild_id is not None:
                every = await exchange_service.exchanges(client_of(interaction).ctx.db, guild_id)
                for exchange in every:
                    if wanted and str(exchange.id) != str(wanted):
                        continue
                    for city in exchange.cities:
                        name = f"{city.timezone} · {city.name}"
                        if needle in name.casefold():
                            found.append(
                                app_commands.Choice(
                                    name=clip(name, CHOICE_NAME), value=city.timezone
                                )
                            )
            seen = {c.value for c in found}
            return found + [
                app_commands.Choice(name=z, value=z) for z in search_zones(typed) if z not in seen
            ]

        return await bounded(choices)


class DateParam(app_commands.Transformer):
    """A day written as YYYY-MM-DD, in digits of any script; the next weeks are offered with
    their weekday (`past`: the last weeks, for the start or end of a report)."""

    def __init__(self, *, past: bool = False) -> None:
        self.past = past

    async def transform(self, interaction: discord.Interaction[Any], value: Any) -> date:
        try:
            return parse_day(str(value))
        except DayError as exc:
            raise UserError(exc.key, **exc.params) from None

    async def autocomplete(  # type: ignore[override]
        self, interaction: discord.Interaction[Any], value: int | float | str, /
    ) -> list[app_commands.Choice[str]]:
        typed = str(value)
        language = await language_soon(interaction)
        today = client_of(interaction).ctx.clock.now().date()
        days: list[date] = []
        with contextlib.suppress(DayError):
            days.append(parse_day(typed))
        if self.past:
            days += [today - timedelta(days=n) for n in range(60)]
        else:
            days += [today + timedelta(days=n) for n in range(1, 60)]
        needle = typed.strip().casefold()
        found = []
        for day in dict.fromkeys(days):
            # ISO first, as it is typed (the filter matches it); then the day as people read it.
            name = f"{day.isoformat()} · {format_day(day, language, weekday=True)}"
            if not needle or needle in name.casefold() or day == days[0]:
                found.append(app_commands.Choice(name=name, value=day.isoformat()))
        return found[:CHOICES]


# What a command's signature names (e.g. `exchange: ExchangeId | None = None`).
ExchangeId = app_commands.Transform[int, ExchangeParam]
CityName = app_commands.Transform[str, CityParam]
ZoneName = app_commands.Transform[str, ZoneParam]
Day = app_commands.Transform[date, DateParam]
PastDay = app_commands.Transform[date, DateParam(past=True)]


class PromptParam(app_commands.Transformer):
    """A discussion prompt by its key; `which` prompts are offered (own, active or retired)."""

    def __init__(self, which: Literal["own", "active", "retired"], *, longest: int = 64) -> None:
        self.which: Literal["own", "active", "retired"] = which
        self.longest = longest

    @property
    def min_value(self) -> int:
        return 1

    @property
    def max_value(self) -> int:
        return self.longest

    async def transform(self, interaction: discord.Interaction[Any], value: Any) -> str:
        return str(value).strip()

    async def autocomplete(  # type: ignore[override]
        self, interaction: discord.Interaction[Any], value: int | float | str, /
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        wanted = chosen(interaction, "exchange")

        async def choices() -> list[app_commands.Choice[str]]:
            actor = await actor_of(interaction)
            found = await client_of(interaction).services.prompts.choices(
                actor,
                wanted if isinstance(wanted, int) else None,
                str(value),
                self.which,
            )
            # The bank's texts are translated in bot/data/prompts, not the catalogue.
            return [
                app_commands.Choice(
                    name=clip(f"{key} · {from_library(text)}", CHOICE_NAME), value=key
                )
                for key, text in found
            ]

        return await bounded(choices)


OwnPrompt = app_commands.Transform[str, PromptParam("own")]
ActivePrompt = app_commands.Transform[str, PromptParam("active")]
RetiredPrompt = app_commands.Transform[str, PromptParam("retired")]
