"""Command texts in Spanish (and Arabic, for when Discord offers it) within Discord's rules."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import discord
import pytest
from discord import app_commands
from discord.app_commands import TranslationContext
from discord.app_commands import TranslationContextLocation as Where

from bot.translator import NAME_LIMIT, CatalogueTranslator, language_of_locale

LOCALES = Path(__file__).resolve().parents[1] / "bot" / "locales"


@app_commands.command(name="about", description="What Twinbridge is, its version and exchanges.")
async def about(interaction: discord.Interaction[Any]) -> None:
    """A stand-in for the real /about (only its name and description matter here)."""


@pytest.fixture
def translator() -> CatalogueTranslator:
    tree: app_commands.CommandTree[Any] = app_commands.CommandTree(
        discord.Client(intents=discord.Intents.none())
    )
    return CatalogueTranslator(tree)


def described(command: app_commands.Command[Any, ..., Any]) -> Any:
    return TranslationContext(location=Where.command_description, data=command)


@pytest.mark.parametrize("language", ["en", "es", "ar", "fr", "tr"])
def test_every_command_text_fits_discords_limits(language: str) -> None:
    """Menu names 1-32 characters, descriptions and choices 1-100: Discord refuses more."""
    entries: dict[str, str] = json.loads((LOCALES / language / "commands.json").read_text("utf-8"))
    for key, text in entries.items():
        limit = NAME_LIMIT if key.startswith("menu.") else 100
        assert 1 <= len(text) <= limit, f"{language}: {key} has {len(text)} characters"
        assert text == text.strip(), f"{language}: {key} has spaces around it"


@pytest.mark.parametrize(
    ("locale", "language"),
    [
        (discord.Locale.spain_spanish, "es"),
        (discord.Locale.latin_american_spanish, "es"),
        (discord.Locale.american_english, None),  # English is the registered default
        (discord.Locale.french, "fr"),
        (discord.Locale.turkish, "tr"),
        (discord.Locale.german, None),  # no catalogue: Discord shows the English
    ],
)
def test_discord_locales_map_to_catalogues(locale: discord.Locale, language: str | None) -> None:
    """Both Spanish locales read the Spanish catalogue, French and Turkish theirs; a language
    without a catalogue falls back to English."""
    assert language_of_locale(locale) == language


def test_discord_has_no_arabic_locale() -> None:
    """Why Arabic speakers' language comes from their profile, not their client."""
    assert not [locale for locale in discord.Locale if locale.value.startswith("ar")]


async def test_a_description_is_translated_for_a_spanish_client(
    translator: CatalogueTranslator,
) -> None:
    """The Spanish catalogue's text comes back for es-419."""
    text = await translator.translate(
        app_commands.locale_str(about.description),
        discord.Locale.latin_american_spanish,
        described(about),
    )
    assert text == "Qué es Twinbridge, su versión y sus intercambios."


async def test_slash_command_names_are_not_translated(translator: CatalogueTranslator) -> None:
    """`/about` is `/about` in every client."""
    context: Any = TranslationContext(location=Where.command_name, data=about)
    name = await translator.translate(
        app_commands.locale_str("about"), discord.Locale.spain_spanish, context
    )
    assert name is None


async def test_a_translation_over_discords_limit_is_left_out(
    translator: CatalogueTranslator,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Discord would refuse every command for one long text: it is logged and not sent."""
    monkeypatch.setattr("bot.translator.lookup", lambda key, language: "x" * 101)
    with caplog.at_level(logging.ERROR, logger="bot.translator"):
        text = await translator.translate(
            app_commands.locale_str(about.description),
            discord.Locale.spain_spanish,
            described(about),
        )
    assert text is None
    assert "command.about" in caplog.text and "101 characters" in caplog.text
