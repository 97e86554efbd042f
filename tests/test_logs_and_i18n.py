"""Logging never shows a token; every catalogue speaks every key."""

import logging
from pathlib import Path

import pytest

from bot.i18n import (
    _catalogue,
    available_languages,
    language_list,
    language_name,
    listing,
    t,
    unisolated,
)
from bot.logs import custom_id_prefix, interaction_tags, log_context, setup_logging

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


@pytest.mark.parametrize(
    ("custom_id", "prefix"),
    [
        ("tb:xe:17", "tb:xe"),
        ("tb:xc", "tb:xc"),
        ("chess:promote:12:33:e7e8q", "chess:promote"),
        ("chess:draw-yes:4:9", "chess:draw-yes"),
        ("9f3a0c2e41b84c5d8e7f6a5b4c3d2e1f", ""),  # discord.py's random id names nothing
        ("", ""),
    ],
)
def test_custom_id_prefix_keeps_the_named_parts(custom_id: str, prefix: str) -> None:
    """The prefix names the action; ids after it (games, pages, people) are left out."""
    assert custom_id_prefix(custom_id) == prefix


def test_interaction_tags_of_a_subcommand() -> None:
    """A slash command is tagged with its full name, however deep its subcommand."""
    payload = {
        "type": 2,
        "guild_id": "11",
        "member": {"user": {"id": "22"}},
        "data": {
            "name": "roster",
            "options": [{"type": 2, "name": "keep-apart", "options": [{"type": 1, "name": "add"}]}],
        },
    }
    assert interaction_tags(payload) == (11, 22, "roster keep-apart add")


@pytest.mark.parametrize(
    ("kind", "data", "command"),
    [
        (3, {"custom_id": "tb:xe:5", "component_type": 2}, "tb:xe"),
        (3, {"custom_id": "0a1b2c3d", "component_type": 2}, "button"),
        (3, {"custom_id": "0a1b2c3d", "component_type": 3}, "select"),
        (5, {"custom_id": "0a1b2c3d"}, "modal"),
    ],
)
def test_interaction_tags_of_components(kind: int, data: dict[str, object], command: str) -> None:
    """Buttons, selects and modals are tagged with their custom_id's prefix, or their kind."""
    payload = {"type": kind, "user": {"id": "22"}, "data": data}
    assert interaction_tags(payload) == (None, 22, command)


def test_every_language_has_every_key() -> None:
    """Each catalogue translates exactly the English keys."""
    english = set(_catalogue("en"))
    assert len(english) > 5
    for language in available_languages():
        assert set(_catalogue(language)) == english, language


def test_every_feature_file_exists_in_every_language() -> None:
    """Each language has the same feature files, so a missing translation is easy to spot."""
    folder = Path(__file__).parents[1] / "bot" / "locales"
    english = sorted(p.name for p in (folder / "en").glob("*.json"))
    for language in available_languages():
        assert sorted(p.name for p in (folder / language).glob("*.json")) == english, language


def test_catalogue_values_keep_their_placeholders() -> None:
    """A translation uses exactly the placeholders of its English text."""
    from bot.plurals import placeholders as fields

    english = _catalogue("en")
    for language in available_languages():
        for key, text in _catalogue(language).items():
            assert fields(text) == fields(english[key]), (language, key)


def test_translation_falls_back_to_english() -> None:
    """An unknown language answers in English rather than failing."""
    assert t("error.cooldown", "xx", seconds=3) == t("error.cooldown", "en", seconds=3)
    assert "3" in t("error.cooldown", "ar", seconds=3)


def test_lists_are_written_the_way_each_language_writes_them() -> None:
    """CLDR's list patterns: Arabic joins with "و" (each item isolated), the others with
    their "and"."""
    assert listing(["شطرنج", "كرة القدم"], "ar") == "\u2068شطرنج\u2069 و\u2068كرة القدم\u2069"
    assert listing(["chess", "music"], "en") == "chess and music"
    assert listing(["ajedrez", "música"], "es") == "ajedrez y música"
    assert listing(["échecs", "musique", "théâtre"], "fr") == "échecs, musique et théâtre"
    assert listing(["satranç", "müzik", "tiyatro"], "tr") == "satranç, müzik ve tiyatro"
    assert listing([], "ar") == ""


def test_every_known_language_is_named_in_every_catalogue() -> None:
    """Each language a city may speak has a name for readers of English, Arabic and Spanish;
    the English one is the name the commands accept."""
    from bot.domain.exchange import LANGUAGES

    for code, english in LANGUAGES.items():
        assert language_name(code, "en") == english
        for reader in available_languages():
            assert _catalogue(reader).get(f"language.{code}"), (reader, code)
    assert unisolated(language_list(["en", "es"], "ar")) == "الإنجليزية والإسبانية"
    assert language_list(["ar", "en"], "es") == "árabe e inglés"
    assert language_name("xx", "ar") == "xx"


def test_json_logs_carry_the_same_context(capsys: pytest.CaptureFixture[str]) -> None:
    """LOG_FORMAT=json: one object a line, with guild, user and command (ids as strings, so
    JavaScript-based log tools keep every digit), tokens redacted, tracebacks included."""
    import json

    setup_logging("INFO", secrets=[TOKEN], fmt="json")
    try:
        with log_context(1234567890123456789, 22, "pair confirm"):
            try:
                raise ValueError("boom")
            except ValueError:
                logging.getLogger("bot.test").exception("failed with %s", TOKEN)
        logging.getLogger("bot.test").info("outside")
        lines = capsys.readouterr().err.strip().splitlines()
    finally:
        setup_logging("INFO")
    first, second = (json.loads(line) for line in lines)
    assert first["guild"] == "1234567890123456789" and first["user"] == "22"
    assert first["command"] == "pair confirm"
    assert first["level"] == "ERROR" and first["logger"] == "bot.test"
    assert first["message"] == "failed with ***" and TOKEN not in lines[0]
    assert "ValueError: boom" in first["exc_info"]
    assert {"time", "level", "logger", "guild", "user", "command", "message"} <= set(second)
    assert second["guild"] is None and second["command"] is None
