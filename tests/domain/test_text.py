"""Text people type: one normaliser, one reading of digits, safe spreadsheet cells, days."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest

from bot.domain.days import DayError, parse_day
from bot.domain.exchange import City, Exchange, clean_text, parse_grade_band
from bot.domain.spreadsheet import safe_cell
from bot.domain.text import ascii_digits, clean, echo, same_name


@pytest.mark.parametrize(
    "typed",
    [
        "Minneapolis\u200b",  # zero-width space
        "\u200bMinneapolis",
        "Minne\u200bapolis",
        "\ufeffMinneapolis",  # byte-order mark
        "Minneapolis\u00ad",  # soft hyphen
        "\u202eMinneapolis",  # right-to-left override
        "Minneapolis\u2066",  # isolate
        "Minneapolis\x00",
        "Minneapolis\u3164",  # Hangul filler (looks blank)
        "  Minneapolis\u00a0 ",
        "Minne\u200dapolis",  # a joiner between Latin letters shapes nothing
        "Minneapolis\ufe0f",
    ],
)
def test_invisible_and_reordering_characters_do_not_make_another_name(typed: str) -> None:
    """ "Minneapolis" and "Minneapolis" + a zero-width space (or an override…) are one city."""
    assert clean(typed) == "Minneapolis"
    assert same_name(typed) == same_name("MINNEAPOLIS")


def test_text_is_stored_composed() -> None:
    """An accent typed as a combining mark is the same name as the precomposed letter."""
    decomposed = unicodedata.normalize("NFD", "Bogotá")
    assert decomposed != "Bogotá"
    assert clean(decomposed) == "Bogotá"


def test_joiners_that_shape_words_and_emoji_are_kept() -> None:
    """Persian needs its zero-width non-joiner; a family emoji its joiners."""
    assert clean("می\u200cخواهم") == "می\u200cخواهم"
    family = "👨\u200d👩\u200d👧"
    assert clean(family) == family
    assert clean("❤\ufe0f") == "❤\ufe0f"


def test_one_line_text_loses_its_line_breaks_and_tabs() -> None:
    assert clean("Ms\r\nRivera\u2028\tthe\x0bsecond") == "Ms Rivera the second"


def test_multiline_text_keeps_paragraphs_but_not_controls() -> None:
    typed = "Hi!\r\n\r\n\r\n\r\nI like\u202e chess\x1b[31m.  \n  Bye"
    assert clean(typed, multiline=True) == "Hi!\n\nI like chess[31m.\nBye"


def test_clean_text_refuses_text_that_is_only_invisible() -> None:
    from bot.domain.exchange import ProfileError

    with pytest.raises(ProfileError) as refused:
        clean_text("\u200b\u200e \u2066", limit=10, what="name")
    assert refused.value.key == "error.empty"


def test_a_city_is_found_whatever_invisible_characters_were_typed() -> None:
    cities = (
        City(1, 0, "Minneapolis", "America/Chicago", ("en",), frozenset({6, 7})),
        City(2, 1, "Najaf", "Asia/Baghdad", ("ar",), frozenset({5, 6})),
    )
    exchange = Exchange(1, 1, "Minneapolis–Najaf", cities)
    assert exchange.city_named("minneapolis\u200b") == cities[0]
    assert exchange.city_named("\u202bNAJAF") == cities[1]
    assert exchange.city_named("Baghdad") is None
    assert exchange.city_named("٢", by_id=True) == cities[1]


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("٢٠٢٦-١٠-٠٦", "2026-10-06"),  # Arabic-Indic
        ("۲۰۲۶", "2026"),  # Persian
        ("२०२६", "2026"),  # Devanagari
        ("２０２６", "2026"),  # full-width
        ("e٤", "e4"),
        ("x²", "x²"),  # a superscript is not a digit one types for a number
    ],
)
def test_digits_of_every_script_read_as_ascii(typed: str, read: str) -> None:
    assert ascii_digits(typed) == read


def test_an_age_band_is_read_in_any_digits() -> None:
    assert parse_grade_band("١٣–١٥") == "13-15"


@pytest.mark.parametrize(
    "cell",
    ["=SUM(A1)", "+1", "-1+2", "@cmd", "\tx", "\rx", "＝1+1", "＋1", "－1", "＠x"],
)
def test_a_cell_that_starts_like_a_formula_is_shown_as_text(cell: str) -> None:
    assert safe_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["Ali", "1-2", "a=b", "", 5, -3, None])
def test_other_cells_are_left_alone(cell: object) -> None:
    assert safe_cell(cell) == cell


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("2026-10-06", date(2026, 10, 6)),
        ("٢٠٢٦-١٠-٠٦", date(2026, 10, 6)),
        ("2026-10-06 · Tuesday", date(2026, 10, 6)),
        ("\u200b2026-10-06", date(2026, 10, 6)),
    ],
)
def test_a_day_is_read(typed: str, day: date) -> None:
    assert parse_day(typed) == day


@pytest.mark.parametrize("typed", ["0001-01-01", "9999-12-31", "1999-12-31", "3000-01-01"])
def test_days_at_the_ends_of_the_calendar_are_refused_clearly(typed: str) -> None:
    """Years 1 and 9999 would overflow once a zone or a period is added: refused up front."""
    with pytest.raises(DayError) as refused:
        parse_day(typed)
    assert refused.value.key == "error.day_range"


@pytest.mark.parametrize("typed", ["20261006", "2026-W41-2", "2026-02-30", "06/10/2026", ""])
def test_a_day_not_written_yyyy_mm_dd_is_refused(typed: str) -> None:
    with pytest.raises(DayError) as refused:
        parse_day(typed)
    assert refused.value.key == "error.date"


def test_typed_text_echoed_in_an_answer_shows_it_was_cut() -> None:
    assert echo("15:00", 40) == "15:00"
    assert echo("x" * 40, 40) == "x" * 40
    cut = echo("y" * 41, 40)
    assert len(cut) == 40 and cut.endswith("…") and cut.startswith("y" * 39)


def test_a_long_unparseable_date_is_quoted_cut_with_an_ellipsis() -> None:
    with pytest.raises(DayError) as caught:
        parse_day("z" * 300)
    value = caught.value.params["value"]
    assert value.endswith("…") and len(value) == 40
