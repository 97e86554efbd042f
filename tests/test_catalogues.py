"""Catalogues that hold: every key in every language, counted messages read right for every
count, right-to-left text isolates what is put into it, `python -m bot i18n check` tells."""

from __future__ import annotations

from typing import Any

import pytest
from babel import Locale

from bot import i18n_check, plurals
from bot.cli import main as cli
from bot.i18n import (
    DEFAULT_LANGUAGE,
    FSI,
    PDI,
    STRICT_ENV,
    _catalogue,
    available_languages,
    is_rtl,
    number_text,
    plural_categories,
    t,
)

LANGUAGES = available_languages()
COUNTED = sorted(k for k, v in _catalogue(DEFAULT_LANGUAGE).items() if plurals.is_counted(v))
COUNTS = (0, 1, 2, 3, 11, 100)
# Numbers written with CLDR's group separators ("1,234", "1 234", Spanish "1234").
BIG_COUNTS = (1234, 1_000_000)


def plain(text: str) -> str:
    """The text without bidirectional isolates, to compare with what a reader sees."""
    return text.replace(FSI, "").replace(PDI, "")


def params_for(key: str, count: int) -> dict[str, Any]:
    """Every counted name of `key` at `count`, every other placeholder a visible marker."""
    english = _catalogue(DEFAULT_LANGUAGE)[key]
    counted = plurals.plural_forms(english).keys() | plurals.numbers(english)
    return {
        name: count if name in counted else f"‹{name}›" for name in plurals.placeholders(english)
    }


# -- (1) every key, same placeholders, the language's own plural categories ------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_catalogue_matches_english(language: str) -> None:
    """Nothing missing or stale; same placeholders; each count has the language's categories."""
    found = i18n_check.check(language)
    assert found.ok, "\n".join(found.lines())


def test_there_are_counted_messages() -> None:
    """The messages the issue quotes are counted (the plural syntax, not str.format)."""
    assert {"roster.import_done", "pair.confirmed", "session.rule_count"} <= set(COUNTED)
    assert len(COUNTED) > 50


def test_the_check_finds_what_is_wrong(monkeypatch: pytest.MonkeyPatch) -> None:
    """A catalogue with a missing key, a stale key, a lost placeholder, the English plural
    categories in Arabic and a broken plural: each is named, and the language is not ok."""
    english = {
        "a": "{n, plural, one {# day} other {# days}}",
        "b": "Hi {name}",
        "c": "plain",
        "d": "{n, plural, one {# x} other {# xs}}",
    }
    arabic = {
        "a": "{n, plural, one {يوم} other {# يوم}}",  # English's categories, not Arabic's
        "b": "مرحبا",  # lost {name}
        "d": "{n, plural, one {x}",  # broken
        "old": "قديم",
    }
    books = {"en": english, "ar": arabic}
    monkeypatch.setattr(i18n_check, "_catalogue", lambda language: books[language])
    found = i18n_check.check("ar")
    assert not found.ok
    assert found.missing == ["c"]
    assert found.stale == ["old"]
    assert set(found.placeholders) == {"b"}
    assert set(found.plurals) == {"a"}
    assert set(found.broken) == {"d"}
    assert i18n_check.check("en").ok


def test_the_check_finds_a_number_written_as_plain_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """`{n, number}` in English and a plain `{n}` in a translation: the translation would
    write 1234 where English writes 1,234 (or the reverse), so it is named."""
    books = {"en": {"a": "{n, number} left"}, "fr": {"a": "il en reste {n}"}}
    monkeypatch.setattr(i18n_check, "_catalogue", lambda language: books[language])
    found = i18n_check.check("fr")
    assert not found.ok and set(found.placeholders) == {"a"}


def test_cli_check_exits_zero_when_all_is_well(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["i18n", "check"]) == 0
    out = capsys.readouterr().out
    for language in LANGUAGES:
        assert f"{language}: " in out


def test_cli_check_exits_one_when_something_is_missing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    books = {"en": {"a": "x", "b": "y"}, "es": {"a": "x"}}
    monkeypatch.setattr(i18n_check, "_catalogue", lambda language: books[language])
    assert cli(["i18n", "check", "--language", "es"]) == 1
    out = capsys.readouterr().out
    assert "es: 1/2 keys translated" in out
    assert "missing       b" in out


# -- (2) every counted message × every language × counts ---------------------------------------


def expected_form(node: plurals.Plural, count: int, language: str) -> plurals.Message:
    exact = node.form(f"={count}")
    if exact is not None:
        return exact
    category = Locale.parse(language).plural_form(count)
    found = node.form(category)
    return found if found is not None else node.form("other") or ()


@pytest.mark.parametrize("count", COUNTS + BIG_COUNTS)
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("key", COUNTED)
def test_counted_message_reads_right(key: str, language: str, count: int) -> None:
    """Renders, takes the form CLDR names for the count, leaves no brace behind."""
    text = _catalogue(language).get(key)
    assert text is not None, f"{language} lacks {key}"
    shown = plain(t(key, language, **params_for(key, count)))
    assert "{" not in shown and "}" not in shown, shown
    assert key not in shown  # not the raw key of a failed lookup
    for node in plurals.parse(text):
        if not isinstance(node, plurals.Plural):
            continue
        form = expected_form(node, count, language)
        words = [piece.strip() for piece in form if isinstance(piece, str) and piece.strip()]
        if words:
            assert max(words, key=len) in shown, (language, key, count, shown)
        if any(isinstance(piece, plurals.Pound) for piece in form):
            assert number_text(count, language) in shown, (language, key, count, shown)


def test_the_sentences_the_issue_quotes() -> None:
    assert t("roster.import_done", "en", count=1, rows=1) == "1 student imported from 1 row."
    assert t("roster.import_done", "en", count=2, rows=7) == "2 students imported from 7 rows."
    assert t("pair.confirmed", "en", pairs=1, archived=0, kind="threads").startswith(
        "Done: 1 paired space created as threads; 0 earlier pairs archived."
    )
    assert t("session.rule_count", "es", count=1) == "1 sesión"
    assert t("session.rule_count", "es", count=3) == "3 sesiones"
    assert t("session.rule_count", "es", count=1_000_000) == "1.000.000 de sesiones"
    arabic = {n: plain(t("session.rule_count", "ar", count=n)) for n in COUNTS}
    assert arabic == {
        0: "0 جلسة",
        1: "جلسة واحدة",
        2: "جلستان",
        3: "3 جلسات",
        11: "11 جلسةً",
        100: "100 جلسة",
    }
    assert plain(t("roster.import_done", "ar", count=2, rows=2)) == "استُورد طالبان من صفين."
    assert plain(t("error.cooldown", "ar", seconds=11)).endswith("بعد 11 ثانيةً.")


@pytest.mark.skipif("fr" not in LANGUAGES, reason="the French catalogue lands from r22-fr")
def test_french_zero_reads_like_one() -> None:
    """French counts 0 in the singular ("0 élève importé"), like 1."""
    zero = plain(t("roster.import_done", "fr", count=0, rows=0))
    one = plain(t("roster.import_done", "fr", count=1, rows=1))
    assert zero == one.replace("1", "0")
    assert plain(t("session.rule_count", "fr", count=0)).startswith("0 ")


@pytest.mark.skipif("tr" not in LANGUAGES, reason="the Turkish catalogue lands from r22-tr")
def test_turkish_has_one_and_other() -> None:
    assert plural_categories("tr") == {"one", "other"}


def test_a_count_given_as_text_is_logged(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A caller that pre-formats a count is found (logged in a deployment, raised in tests),
    not silently mis-pluralised."""
    with pytest.raises(TypeError, match="count"):
        t("session.rule_count", "en", count="3")
    monkeypatch.delenv(STRICT_ENV)
    with caplog.at_level("ERROR", logger="bot.i18n"):
        t("session.rule_count", "en", count="3")
    assert "session.rule_count" in caplog.text


# -- (4) right-to-left text isolates names and numbers ------------------------------------------


def test_arabic_isolates_a_latin_name_and_numbers() -> None:
    """ "Ana" at the start of an Arabic sentence would reorder it: it sits in FSI … PDI."""
    text = t("privacy.erased", "ar", who="Ana Lopez", rows=12)
    assert f"{FSI}Ana Lopez{PDI}" in text
    assert f"{FSI}12{PDI}" in text
    english = t("privacy.erased", "en", who="Ana Lopez", rows=12)
    assert FSI not in english and PDI not in english


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if is_rtl(lang)])
def test_every_rtl_text_isolates_every_value(language: str) -> None:
    """Each value put into a right-to-left text, name or number, is isolated, in every text."""
    assert is_rtl("ar") and not is_rtl("en")
    for key, text in _catalogue(language).items():
        names = plurals.placeholders(text)
        if not names:
            continue
        shown = t(key, language, **params_for(key, 7))
        for name in names - set(plurals.plural_forms(text)) - plurals.numbers(text):
            inside = f"{FSI}‹{name}›{PDI}" in shown
            around_code = f"{FSI}`‹{name}›`{PDI}" in shown
            assert inside or around_code, (key, shown)
        if (plurals.plural_forms(text) or plurals.numbers(text)) and "7" in shown:
            assert f"{FSI}7{PDI}" in shown, (key, shown)
        assert shown.count(FSI) == shown.count(PDI)


# -- CLDR instead of hand-kept tables ----------------------------------------------------------


def test_weekday_and_month_names_come_from_cldr() -> None:
    from bot.i18n import month_name, weekday_name

    assert [weekday_name(d, "en") for d in (1, 2, 7)] == ["Monday", "Tuesday", "Sunday"]
    assert weekday_name(2, "en", short=True) == "Tue"
    assert weekday_name(2, "es") == "martes"
    assert weekday_name(5, "ar") == "الجمعة"
    assert weekday_name(1, "fr") == "lundi"
    assert weekday_name(1, "tr") == "Pazartesi"
    assert month_name(10, "en") == "October"
    assert month_name(10, "es") == "octubre"
    assert month_name(10, "ar") == "أكتوبر"


def test_language_names_from_cldr_with_the_catalogues_notes() -> None:
    from bot.i18n import language_name

    assert language_name("ar", "en") == "Arabic"
    assert language_name("ar", "es") == "árabe"
    assert language_name("ak", "en") == "Akan (Twi)"  # the catalogue says more than CLDR
    assert language_name("wo", "en") == "Wolof"  # no catalogue entry: CLDR still knows it
    assert language_name("wo", "fr") == "wolof"
    assert language_name("qqq", "en") == "qqq"


def test_months_with_their_year_come_from_cldr() -> None:
    from datetime import date

    from bot.i18n import month_of_year

    assert month_of_year("2026-10", "en") == "October 2026"
    assert month_of_year(date(2026, 10, 31), "es") == "octubre de 2026"
    assert month_of_year("2026-10", "ar") == "أكتوبر 2026"
    assert month_of_year("2026-10", "tr") == "Ekim 2026"


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != DEFAULT_LANGUAGE])
def test_discord_client_locales_reach_every_catalogue(language: str) -> None:
    """Discord's fr and tr (es-ES, es-419…) answer in that catalogue as soon as it exists;
    Arabic, which Discord lacks, is reached through the profile instead."""
    import discord

    from bot.translator import language_of_locale

    locales = [loc for loc in discord.Locale if loc.value.split("-")[0] == language]
    if language == "ar":
        assert not locales
    for loc in locales:
        assert language_of_locale(loc) == language


def test_isolates_stay_outside_code_spans() -> None:
    """`own-1` is copied into a command: no invisible mark may travel with it."""
    text = t("prompt.added", "ar", key="own-1", languages="العربية", ages="10-18")
    assert "`own-1`" in text
    assert f"{FSI}`own-1`{PDI}" in text
