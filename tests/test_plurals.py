"""The ICU plural subset of the catalogues (bot/plurals.py) and its use by bot.i18n.t."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from bot import plurals
from bot.i18n import plural_categories, strict, style, t, unisolated
from bot.plurals import Arg, MessageSyntaxError, Plural, Pound, amount, is_counted, parse, render

IMPORTED = (
    "{students, plural, one {# student imported} other {# students imported}}"
    " from {rows, plural, one {# row} other {# rows}}."
)


def say(text: str, language: str = "en", **params: Any) -> str:
    return render(parse(text), params, style(language))


def test_plain_placeholders_read_as_str_format_did() -> None:
    assert say("Hello {name}, game #{game}.", name="Ana", game=12) == "Hello Ana, game #12."
    assert parse("a {b} c") == ("a ", Arg("b"), " c")


@pytest.mark.parametrize(
    ("students", "rows", "expected"),
    [
        (1, 1, "1 student imported from 1 row."),
        (0, 0, "0 students imported from 0 rows."),
        (2, 1, "2 students imported from 1 row."),
        (1200, 1201, "1,200 students imported from 1,201 rows."),
    ],
)
def test_english_counts(students: int, rows: int, expected: str) -> None:
    assert say(IMPORTED, students=students, rows=rows) == expected


def test_structure_of_a_plural() -> None:
    (node, _) = parse("{n, plural, one {# day} other {# days}}.")
    assert node == Plural("n", (("one", (Pound(), " day")), ("other", (Pound(), " days"))))


def test_exact_match_wins_over_the_category() -> None:
    text = "{n, plural, =0 {nothing} one {# thing} other {# things}}"
    assert say(text, n=0) == "nothing"
    assert say(text, n=1) == "1 thing"
    assert say(text, n=Decimal(0)) == "nothing"
    assert say(text, n=Decimal("0.5")) == "0.5 things"


def test_empty_form_is_kept_empty() -> None:
    assert say("[{n, plural, =0 {} other {#}}]", n=0) == "[]"


def test_arabic_categories_through_cldr() -> None:
    text = (
        "{n, plural, zero {لا جلسات} one {جلسة واحدة} two {جلستان} few {# جلسات}"
        " many {# جلسةً} other {# جلسة}}"
    )
    got = {n: unisolated(say(text, "ar", n=n)) for n in (0, 1, 2, 3, 11, 100)}
    assert got == {
        0: "لا جلسات",
        1: "جلسة واحدة",
        2: "جلستان",
        3: "3 جلسات",
        11: "11 جلسةً",
        100: "100 جلسة",
    }


def test_french_zero_is_singular_and_numbers_are_french() -> None:
    text = "{n, plural, one {# élève} many {# d’élèves} other {# élèves}}"
    assert say(text, "fr", n=0) == "0 élève"
    assert say(text, "fr", n=1) == "1 élève"
    assert say(text, "fr", n=2) == "2 élèves"
    assert say(text, "fr", n=1000) == "1\u202f000 élèves"
    assert say(text, "fr", n=1_000_000) == "1\u202f000\u202f000 d’élèves"


def test_spanish_thousands() -> None:
    """CLDR's minimumGroupingDigits is 2 for Spanish: no separator in a four-digit number."""
    text = "{n, plural, one {# sesión} many {# de sesiones} other {# sesiones}}"
    assert say(text, "es", n=1) == "1 sesión"
    assert say(text, "es", n=2500) == "2500 sesiones"
    assert say(text, "es", n=25_000) == "25.000 sesiones"
    assert say(text, "es", n=1_000_000) == "1.000.000 de sesiones"


BIG = {
    "en": ("1,234", "1,000,000"),
    "ar": ("1,234", "1,000,000"),
    "es": ("1234", "1.000.000"),
    "fr": ("1\u202f234", "1\u202f000\u202f000"),
    "tr": ("1.234", "1.000.000"),
}


@pytest.mark.parametrize("language", sorted(BIG))
def test_a_count_and_a_number_are_written_the_languages_way(language: str) -> None:
    """`#` and `{n, number}` go through CLDR (Latin digits in Arabic too); a plain `{n}` is
    left as it was given, so an id or a year is never grouped ("game #12345", "2026")."""
    thousands, million = BIG[language]
    text = "{n, plural, other {#}} | {m, number} | #{id} | {year}"
    shown = unisolated(say(text, language, n=1234, m=1_000_000, id=12345, year=2026))
    assert shown == f"{thousands} | {million} | #12345 | 2026"


def test_a_number_placeholder_is_parsed_and_named() -> None:
    assert parse("{n, number} min") == (Arg("n", number=True), " min")
    assert plurals.numbers("{n, number} of {total, plural, other {#}} {id}") == {"n"}
    assert plurals.placeholders("{n, number}") == {"n"}


def test_a_number_placeholder_needs_a_number() -> None:
    with pytest.raises(TypeError):
        say("{n, number}", n="1,234")
    with pytest.raises(TypeError):
        say("{n, number}", n=True)
    assert say("{n, number}", "fr", n=Decimal("1234.5")) == "1\u202f234,5"


def test_nested_plurals_and_pound_of_the_innermost() -> None:
    text = (
        "{pairs, plural, one {# pair {left, plural, =0 {and nobody left} one {and # left}"
        " other {and # left}}} other {# pairs {left, plural, =0 {and nobody left}"
        " other {and # left}}}}"
    )
    assert say(text, pairs=1, left=0) == "1 pair and nobody left"
    assert say(text, pairs=3, left=2) == "3 pairs and 2 left"


def test_other_placeholders_inside_forms() -> None:
    text = "{n, plural, one {{who} has # game} other {{who} has # games}}"
    assert say(text, n=4, who="Ana") == "Ana has 4 games"


def test_apostrophes() -> None:
    assert say("don't stop {x}", x=1) == "don't stop 1"
    assert say("a '{literal}' brace") == "a {literal} brace"
    assert say("it''s") == "it's"
    assert say("{n, plural, other {'#' is #}}", n=5) == "# is 5"
    assert say("# outside a plural is text") == "# outside a plural is text"


@pytest.mark.parametrize(
    "bad",
    [
        "{n, plural, one {# day}}",  # no other
        "{n, plural, one {x} one {y} other {z}}",
        "{n, plural, lots {x} other {y}}",
        "{n, select, a {x} other {y}}",
        "{n, plural, other {x}",
        "{n",
        "oops }",
        "{}",
        "{n, plural, =x {a} other {b}}",
    ],
)
def test_malformed_texts_are_refused(bad: str) -> None:
    with pytest.raises(MessageSyntaxError):
        parse(bad)


def test_count_must_be_a_number() -> None:
    with pytest.raises(TypeError):
        say("{n, plural, other {#}}", n="3")
    with pytest.raises(TypeError):
        say("{n, plural, other {#}}", n=True)
    with pytest.raises(KeyError):
        say("{n, plural, other {#}}")


def test_a_float_count_fails_in_tests_and_renders_in_production() -> None:
    """`minutes=10.0` is a caller's slip: t() raises in tests (and `python -X dev`); a
    deployment, whose style allows floats, still shows the sentence."""
    assert strict()
    with pytest.raises(TypeError, match="float"):
        t("rollcall.voice", "en", minutes=10.0)
    with pytest.raises(TypeError, match="float"):
        t("rollcall.voice", "ar", minutes=10.0)
    lenient = replace(style("en"), floats=True)
    assert render(parse("{n, plural, one {# min} other {# mins}}"), {"n": 0.5}, lenient) == (
        "0.5 mins"
    )


def test_a_measured_amount_becomes_an_int_or_an_exact_decimal() -> None:
    assert amount(10.0) == 10 and type(amount(10.0)) is int
    assert amount(7.5) == Decimal("7.5")
    assert t("rollcall.voice", "en", minutes=amount(10.0)) == "10 min in voice"
    assert t("rollcall.voice", "en", minutes=amount(7.5)) == "7.5 min in voice"
    assert t("rollcall.voice", "en", minutes=amount(1.0)) == "1 min in voice"


def test_placeholders_and_forms() -> None:
    assert plurals.placeholders(IMPORTED) == {"students", "rows"}
    assert plurals.plural_forms("{n, plural, =0 {a} one {b} other {c}} {x}") == {
        "n": {"one", "other"}
    }
    assert is_counted(IMPORTED)
    assert not is_counted("plain {x}")


def test_language_categories() -> None:
    assert plural_categories("en") == {"one", "other"}
    assert plural_categories("ar") == {"zero", "one", "two", "few", "many", "other"}
    assert plural_categories("fr") == {"one", "many", "other"}
    assert plural_categories("tr") == {"one", "other"}
    assert plural_categories("es") == {"one", "many", "other"}
