"""The options of /session commands that are offered as you type: a series, one of its
sessions, a repeat rule, and a zone (a city's name understood as its zone).

Transformers, like `cogs.common.params`: `transform` never reads the database (it runs before
the interaction is acknowledged); autocomplete reads it within `bounded`'s time limit.
"""

from __future__ import annotations

import contextlib
from datetime import date
from typing import Any

import discord
from discord import app_commands

from bot.domain import sessions as rules
from bot.domain.sessions import title_in
from bot.domain.text import clean
from bot.domain.timezones import ALIASES
from bot.limits import CHOICE_NAME, CHOICE_VALUE, CHOICES
from cogs.common.interactions import client_of, language_for, language_soon
from cogs.common.params import IdParam, ZoneParam, bounded, chosen
from cogs.common.text import clip
from cogs.sessions.words import local_line, repeat_choice_name

# What Discord lets a teacher type in each option (the values offered fit well within).
OCCURRENCE_LONGEST = 40
REPEAT_LONGEST = 300
ZONE_LONGEST = 64


class SeriesParam(IdParam):
    """One of the server's active series, offered by title and passed on as its id."""

    async def offer(
        self, interaction: discord.Interaction[Any], guild_id: int, typed: str
    ) -> list[app_commands.Choice[int]]:
        needle = typed.strip().casefold()
        every = await client_of(interaction).services.sessions.series_in_guild(guild_id)
        language = await language_for(interaction)
        titled = [(s, title_in(s.title, language)) for s in every]
        return [
            app_commands.Choice(name=clip(f"{title} (#{s.id})", CHOICE_NAME), value=s.id)
            for s, title in titled
            if not needle or needle in title.casefold() or needle == str(s.id)
        ]


class OccurrenceParam(app_commands.Transformer):
    """One upcoming session of the series chosen in the same command (or of the only one),
    offered in the series' local time and passed on as its original start (unix seconds)."""

    @property
    def min_value(self) -> int:
        return 1

    @property
    def max_value(self) -> int:
        return OCCURRENCE_LONGEST

    async def transform(self, interaction: discord.Interaction[Any], value: Any) -> str:
        return str(value).strip()

    async def autocomplete(  # type: ignore[override]
        self, interaction: discord.Interaction[Any], value: int | float | str, /
    ) -> list[app_commands.Choice[str]]:
        guild_id = interaction.guild_id
        if guild_id is None:
            return []
        needle = str(value).strip().casefold()
        wanted = chosen(interaction, "session")

        async def choices() -> list[app_commands.Choice[str]]:
            sessions = client_of(interaction).services.sessions
            language = await language_soon(interaction)
            every = await sessions.series_in_guild(guild_id)
            series = next((s for s in every if str(s.id) == str(wanted)), None)
            if series is None and len(every) == 1:
                series = every[0]
            if series is None:
                return []
            found = []
            for slot in await sessions.upcoming_of(guild_id, series.id):
                name = f"{local_line(slot, series.timezone, language)} ({series.timezone})"
                if slot.start != slot.original:
                    name += " ↷"
                if not needle or needle in name.casefold():
                    found.append(
                        app_commands.Choice(
                            name=clip(name, CHOICE_NAME), value=str(int(slot.original.timestamp()))
                        )
                    )
            return found

        return await bounded(choices)


class RepeatParam(app_commands.Transformer):
    """How a series repeats: choices in words for the start date already typed ("the first
    Tuesday of each month"), a phrase, or a raw RRULE (the service reads all three)."""

    @property
    def min_value(self) -> int:
        return 1

    @property
    def max_value(self) -> int:
        return REPEAT_LONGEST

    async def transform(self, interaction: discord.Interaction[Any], value: Any) -> str:
        return str(value)

    async def autocomplete(  # type: ignore[override]
        self, interaction: discord.Interaction[Any], value: int | float | str, /
    ) -> list[app_commands.Choice[str]]:
        typed = str(value)
        needle = typed.strip().casefold()
        if needle.upper().startswith(("FREQ=", "RRULE:")):
            return [app_commands.Choice(name=clip(typed, CHOICE_NAME), value=typed[:CHOICE_VALUE])]
        language = await language_soon(interaction)
        start: date | None = None
        typed_start = chosen(interaction, "start")
        if typed_start:
            with contextlib.suppress(rules.RuleError):
                start = rules.parse_date(str(typed_start))
        found = [
            app_commands.Choice(
                name=clip(repeat_choice_name(code, start, language), CHOICE_NAME), value=code
            )
            for code in rules.repeat_codes(start)
        ]
        return [c for c in found if not needle or needle in c.name.casefold() or needle in c.value][
            :CHOICES
        ]


class SessionZoneParam(ZoneParam):
    """A zone as `ZoneParam` offers and checks it; a city's name ("Najaf") typed without
    picking from the list is understood as its zone."""

    @property
    def min_value(self) -> int:
        return 1

    @property
    def max_value(self) -> int:
        return ZONE_LONGEST

    async def transform(self, interaction: discord.Interaction[Any], value: Any) -> str:
        text = clean(str(value))
        return await super().transform(interaction, ALIASES.get(text.casefold(), text))


# What a command's signature names.
SeriesId = app_commands.Transform[int, SeriesParam]
Occurrence = app_commands.Transform[str, OccurrenceParam]
Repeat = app_commands.Transform[str, RepeatParam]
SessionZone = app_commands.Transform[str, SessionZoneParam]
