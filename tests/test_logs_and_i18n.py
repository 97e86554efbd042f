"""Logging never shows a token; every catalogue speaks every key."""

import json
import logging
from pathlib import Path

import pytest

from bot.i18n import available_languages, t
from bot.logs import log_context, setup_logging

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.GabcDE.abcdefghijklmnopqrstuvwxyz0123456789AB"


def test_token_is_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    """A log line that contains the token shows *** instead."""
    setup_logging("INFO", secrets=[TOKEN])
    logging.getLogger("test").warning("connecting with %s", TOKEN)
    err = capsys.readouterr().err
    assert TOKEN not in err
    assert "***" in err


def test_token_shaped_strings_are_redacted_even_if_unknown(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A token the logger was not told about is still caught by its shape."""
    setup_logging("INFO", secrets=[])
    logging.getLogger("test").warning("header Bot %s", TOKEN)
    assert TOKEN not in capsys.readouterr().err


def test_records_carry_guild_user_command(capsys: pytest.CaptureFixture[str]) -> None:
    """Inside a command's context, records name its guild, user and command."""
    setup_logging("INFO")
    with log_context(11, 22, "about"):
        logging.getLogger("test").info("hello")
    err = capsys.readouterr().err
    assert "guild=11 user=22 cmd=about" in err


def test_every_language_has_every_key() -> None:
    """Each catalogue translates exactly the English keys."""
    folder = Path(__file__).parents[1] / "bot" / "locales"
    english = set(json.loads((folder / "en.json").read_text()))
    for language in available_languages():
        keys = set(json.loads((folder / f"{language}.json").read_text()))
        assert keys == english, language


def test_translation_falls_back_to_english() -> None:
    """An unknown language answers in English rather than failing."""
    assert t("error.cooldown", "xx", seconds=3) == t("error.cooldown", "en", seconds=3)
    assert "3" in t("error.cooldown", "ar", seconds=3)
