"""Prompts in words: the options' choices, and a prompt's languages as a reader names them."""

from __future__ import annotations

from discord import app_commands

from bot import pseudo
from bot.domain.prompts import AGE_RANGES, PROMPT_LANGUAGES, THEMES, Prompt
from bot.i18n import language_list, t

AGE_CHOICES = [
    app_commands.Choice(name="All ages (10–18)" if r == "10-18" else r.replace("-", "–"), value=r)
    for r in AGE_RANGES
]
# Registered with Discord, which shows its own localisations (commands.json): never with the
# pseudo-locale's marks, whichever context imports this module first.
with pseudo.marked(False):
    THEME_CHOICES = [
        app_commands.Choice(name=t(f"prompt.theme.{th}", "en"), value=th) for th in THEMES
    ]
SHOW_CHOICES = [
    app_commands.Choice(name="Your exchange's own", value="own"),
    app_commands.Choice(name="Built-in bank", value="builtin"),
    app_commands.Choice(name="Retired", value="retired"),
]
TEXT_HELP = "Up to 300 characters"


def languages_of(prompt: Prompt, reader: str) -> str:
    """The languages a prompt is written in, named in the reader's language."""
    return language_list([lang for lang in PROMPT_LANGUAGES if lang in prompt.texts], reader)
