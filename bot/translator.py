"""Slash commands in the reader's language: a discord.py `Translator` over our catalogues.

Discord shows a command's descriptions, its options' descriptions and its choices in the
language of the user's Discord client when the registration carries them. The text comes from
`bot/locales/<language>/commands.json` under keys derived from where it sits in the tree:

    command.<path>                   a command's or a group's description  command.pair.swap
    option.<path>.<option>           an option's description               option.pair.swap.first
    choice.<option>.<value>          a choice's name                       choice.colour.white
    menu.<name>                      a context menu's name                 menu.report-to-teacher

(<path> is the command's full name with dots: `roster keep-apart add` → roster.keep-apart.add.)

The English entries are the code's own text (tests keep them equal, so a changed English text
flags its translations); an option the code leaves without a description (discord.py's "…")
takes its English from the catalogue (`describe_options`).

Names of slash commands, groups and options stay English on purpose: the bot's messages, the
README and teachers' guides name them (`/pair confirm`, `student:`), and a Spanish client
showing other names would leave students looking for commands no text mentions. A context
menu's name is the only way to find it, so "Report to teacher" is translated.

Discord's locales include Spanish (es-ES, es-419) but no Arabic: Arabic entries exist so every
catalogue has the same keys, and are used as soon as Discord offers the locale. A translation
breaking Discord's rules (too long, an empty text) is logged and left out rather than sent,
since Discord would refuse the whole registration.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from functools import cache
from typing import Any

import discord
from discord import app_commands
from discord.app_commands import TranslationContextLocation as Where

from bot.i18n import DEFAULT_LANGUAGE, available_languages, lookup
from bot.limits import INTEGER_MAX, INTEGER_MIN

log = logging.getLogger(__name__)

PLACEHOLDER = "…"  # discord.py's description of an option declared without one
DESCRIPTION_LIMIT = 100
NAME_LIMIT = 32

Command = app_commands.Command[Any, ..., Any] | app_commands.Group


def command_key(command: Command) -> str:
    """The key of a command's or group's description."""
    return "command." + command.qualified_name.replace(" ", ".")


def option_key(command: app_commands.Command[Any, ..., Any], option: str) -> str:
    """The key of an option's description (`option` is the name users see)."""
    return f"option.{command.qualified_name.replace(' ', '.')}.{option}"


def choice_key(option: str, value: str | int | float) -> str:
    """The key of a choice's name: options of the same name share their choices' names."""
    return f"choice.{option}.{value}"


def menu_key(name: str) -> str:
    """The key of a context menu's name."""
    return "menu." + name.lower().replace(" ", "-")


def walk(tree: app_commands.CommandTree[Any]) -> Iterator[Command]:
    """Every slash command and group of the tree.

    Twinbridge declares its commands globally; DEV_GUILD_ID copies the same objects to a guild.
    """
    yield from tree.walk_commands()


def context_menus(tree: app_commands.CommandTree[Any]) -> list[app_commands.ContextMenu]:
    """Every context menu of the tree."""
    return [
        *tree.get_commands(type=discord.AppCommandType.message),
        *tree.get_commands(type=discord.AppCommandType.user),
    ]


def describe_options(tree: app_commands.CommandTree[Any]) -> list[str]:
    """Give options declared without a description their English text from the catalogue.

    Returns the keys that were needed but missing (a test keeps this empty).
    """
    missing: list[str] = []
    for command in walk(tree):
        if not isinstance(command, app_commands.Command):
            continue
        # discord.py has no public setter for a parameter's description.
        for parameter in command._params.values():
            if str(parameter.description) != PLACEHOLDER:
                continue
            key = option_key(command, parameter.display_name)
            text = lookup(key, DEFAULT_LANGUAGE)
            if text is None:
                missing.append(key)
            else:
                parameter.description = app_commands.locale_str(text)
    return missing


def bound_integer_options(tree: app_commands.CommandTree[Any]) -> None:
    """Give integer options without bounds the database's (bot.limits.INTEGER_MIN/MAX)."""
    for command in walk(tree):
        if not isinstance(command, app_commands.Command):
            continue
        for parameter in command._params.values():
            if parameter.type is not discord.AppCommandOptionType.integer:
                continue
            if parameter.min_value is None:
                parameter.min_value = INTEGER_MIN
            if parameter.max_value is None:
                parameter.max_value = INTEGER_MAX


@cache  # asked for every text and each of Discord's 34 locales at every registration
def language_of_locale(locale: discord.Locale) -> str | None:
    """The catalogue for a Discord locale (es-ES and es-419 → es), None for English or none."""
    language = locale.value.split("-", 1)[0]
    if language == DEFAULT_LANGUAGE or language not in available_languages():
        return None
    return language


class CatalogueTranslator(app_commands.Translator):
    """Translates descriptions, choices and context-menu names from `commands.json`."""

    def __init__(self, tree: app_commands.CommandTree[Any]) -> None:
        self._tree = tree
        # Choices are shared objects; which option holds each one is looked up in the tree.
        self._choice_options: dict[int, str] = {}

    def key(self, context: app_commands.TranslationContextTypes) -> str | None:
        """The catalogue key for what discord.py asks about, or None if it stays English."""
        data: Any = context.data
        location = context.location
        if location is Where.command_description or location is Where.group_description:
            return command_key(data)
        if location is Where.parameter_description:
            return option_key(data.command, data.display_name)
        if location is Where.choice_name:
            option = self._option_of(data)
            return choice_key(option, data.value) if option else None
        if location is Where.command_name and isinstance(data, app_commands.ContextMenu):
            return menu_key(data.name)
        return None  # slash command, group and option names stay English (module docstring)

    def _option_of(self, choice: app_commands.Choice[Any]) -> str | None:
        if id(choice) not in self._choice_options:
            for command in walk(self._tree):
                if isinstance(command, app_commands.Command):
                    for parameter in command.parameters:
                        for held in parameter.choices:
                            self._choice_options[id(held)] = parameter.display_name
        return self._choice_options.get(id(choice))

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        language = language_of_locale(locale)
        if language is None:
            return None
        key = self.key(context)
        if key is None:
            return None
        text = lookup(key, language)
        if text is None:
            log.warning("no %s translation for %s", language, key)
            return None
        # A context menu's name has at most 32 characters; descriptions and choices 100.
        limit = NAME_LIMIT if context.location is Where.command_name else DESCRIPTION_LIMIT
        if not 1 <= len(text) <= limit:
            log.error("the %s text of %s has %d characters (1-%d)", language, key, len(text), limit)
            return None
        return text
