"""Dates, numbers and lists in each of the five languages, from CLDR (bot/cldr.py, bot.i18n)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from babel import Locale

from bot.cldr import (
    counted,
    format_day,
    format_days,
    format_list,
    format_moment,
    format_month,
    format_number,
    format_percent,
    format_short_day,
    format_time_of_day,
)
from bot.i18n import t, unisolated

NBSP, NNBSP, THIN = "\xa0", "\u202f", "\u2009"
SAINT_NICHOLAS = date(2026, 12, 6)


@pytest.mark.parametrize(
    ("language", "long", "full", "short"),
    [
        ("en", "December 6, 2026", "Sunday, December 6, 2026", "Dec 6"),
        ("ar", "6 ديسمبر 2026", "الأحد، 6 ديسمبر 2026", "6 ديسمبر"),
        ("es", "6 de diciembre de 2026", "domingo, 6 de diciembre de 2026", "6 dic"),
        ("fr", "6 décembre 2026", "dimanche 6 décembre 2026", "6 déc."),
        ("tr", "6 Aralık 2026", "6 Aralık 2026 Pazar", "6 Ara"),
    ],
)
def test_a_day_in_each_language(language: str, long: str, full: str, short: str) -> None:
    assert format_day(SAINT_NICHOLAS, language) == long
    assert format_day(SAINT_NICHOLAS, language, weekday=True) == full
    assert format_short_day(SAINT_NICHOLAS, language) == short


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", f"Dec 28, 2026{THIN}–{THIN}Jan 3, 2027"),
        ("ar", "28 ديسمبر 2026 – 3 يناير 2027"),
        ("es", f"28 dic 2026{THIN}–{THIN}3 ene 2027"),
        ("fr", f"28 déc. 2026{THIN}–{THIN}3 janv. 2027"),
        ("tr", f"28 Ara 2026{THIN}–{THIN}3 Oca 2027"),
    ],
)
def test_a_span_across_the_year_boundary_names_both_years(language: str, expected: str) -> None:
    assert format_days(date(2026, 12, 28), date(2027, 1, 3), language) == expected


def test_a_span_of_one_day_is_that_day() -> None:
    assert format_days(SAINT_NICHOLAS, SAINT_NICHOLAS, "fr") == "6 décembre 2026"


@pytest.mark.parametrize(
    ("language", "before", "after"),
    [
        (
            "en",
            f"March 29, 2026, 1:30{NNBSP}AM (GMT+01:00)",
            f"March 29, 2026, 3:30{NNBSP}AM (GMT+02:00)",
        ),
        ("ar", "29 مارس 2026، 1:30 ص (غرينتش+01:00)", "29 مارس 2026، 3:30 ص (غرينتش+02:00)"),
        ("es", "29 de marzo de 2026, 1:30 (GMT+01:00)", "29 de marzo de 2026, 3:30 (GMT+02:00)"),
        ("fr", "29 mars 2026, 01:30 (UTC+01:00)", "29 mars 2026, 03:30 (UTC+02:00)"),
        ("tr", "29 Mart 2026 01:30 (GMT+01:00)", "29 Mart 2026 03:30 (GMT+02:00)"),
    ],
)
def test_a_moment_either_side_of_the_march_clock_change(
    language: str, before: str, after: str
) -> None:
    # Paris moves its clocks from 02:00 to 03:00 on 29 March 2026 (01:00 UTC): an hour apart
    # in UTC, two hours apart on the wall, and the offset says which side of the change.
    assert (
        format_moment(datetime(2026, 3, 29, 0, 30, tzinfo=UTC), "Europe/Paris", language) == before
    )
    assert (
        format_moment(datetime(2026, 3, 29, 1, 30, tzinfo=UTC), "Europe/Paris", language) == after
    )


def test_a_moment_is_on_the_clocks_of_its_zone_across_the_new_year() -> None:
    new_year_in_istanbul = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    assert (
        format_moment(new_year_in_istanbul, "Europe/Istanbul", "tr")
        == "1 Ocak 2027 02:30 (GMT+03:00)"
    )
    assert (
        format_moment(new_year_in_istanbul, "UTC", "fr", offset=False) == "31 décembre 2026, 23:30"
    )
    assert format_time_of_day(new_year_in_istanbul, "Europe/Istanbul", "en") == f"2:30{NNBSP}AM"
    # North America changes its clocks on another Sunday of March than Europe.
    assert (
        format_time_of_day(datetime(2026, 3, 8, 7, 30, tzinfo=UTC), "America/New_York", "es")
        == "3:30"
    )


@pytest.mark.parametrize(
    ("language", "december", "january"),
    [
        ("en", "December 2026", "January 2027"),
        ("ar", "ديسمبر 2026", "يناير 2027"),
        ("es", "diciembre de 2026", "enero de 2027"),
        ("fr", "décembre 2026", "janvier 2027"),
        ("tr", "Aralık 2026", "Ocak 2027"),
    ],
)
def test_a_month_with_its_year(language: str, december: str, january: str) -> None:
    assert format_month(SAINT_NICHOLAS, language) == december
    assert format_month("2027-01", language) == january


@pytest.mark.parametrize(
    ("language", "number", "half", "rounded", "thirds"),
    [
        ("en", "1,234,567.5", "12.5%", "12%", "67%"),
        ("ar", "1,234,567.5", "12.5%", "12%", "67%"),
        ("es", "1.234.567,5", f"12,5{NBSP}%", f"12{NBSP}%", f"67{NBSP}%"),
        ("fr", f"1{NNBSP}234{NNBSP}567,5", f"12,5{NBSP}%", f"12{NBSP}%", f"67{NBSP}%"),
        ("tr", "1.234.567,5", "%12,5", "%12", "%67"),
    ],
)
def test_numbers_and_percentages(
    language: str, number: str, half: str, rounded: str, thirds: str
) -> None:
    assert format_number(1234567.5, language) == number
    assert format_percent(0.125, language, digits=1) == half
    assert format_percent(0.125, language) == rounded
    assert format_percent(2 / 3, language) == thirds
    assert format_percent(None, language) == "—"
    assert format_percent(1.0, language).replace(NBSP, "").replace("%", "") == "100"


def test_arabic_digits_are_latin_as_discord_shows_them() -> None:
    # Discord has no Arabic client: its timestamps reach Arabic readers with Latin digits, so
    # our own dates and counts use them too (never ٦ ديسمبر beside <t:…> showing 6).
    texts = [
        format_day(SAINT_NICHOLAS, "ar"),
        format_moment(datetime(2026, 12, 6, 14, 5, tzinfo=UTC), "Africa/Casablanca", "ar"),
        format_number(1234.5, "ar"),
        format_percent(0.5, "ar"),
    ]
    arabic_indic = {chr(c) for c in range(0x0660, 0x066A)} | {"\u066b", "\u066c"}
    assert not any(arabic_indic & set(text) for text in texts), texts


@pytest.mark.parametrize(
    ("language", "three", "two"),
    [
        ("en", "Ana, Ben, and Chen", "Ana and Ben"),
        ("ar", "Ana وBen وChen", "Ana وBen"),
        ("es", "Ana, Ben y Chen", "Ana y Ben"),
        ("fr", "Ana, Ben et Chen", "Ana et Ben"),
        ("tr", "Ana, Ben ve Chen", "Ana ve Ben"),
    ],
)
def test_lists_in_each_language(language: str, three: str, two: str) -> None:
    assert unisolated(format_list(["Ana", "Ben", "Chen"], language)) == three
    assert unisolated(format_list(["Ana", "Ben"], language)) == two
    assert format_list(["Ana"], language) in ("Ana", "\u2068Ana\u2069")
    assert format_list([], language) == ""


def test_an_arabic_list_isolates_each_name() -> None:
    # Each name its own island: the list takes the direction of "و", and a Latin name at the
    # end does not pull the words around it into left-to-right order.
    assert format_list(["Ana", "سارة"], "ar") == "\u2068Ana\u2069 و\u2068سارة\u2069"


def test_babel_keeps_cldr_44s_arabic_list_pattern() -> None:
    # CLDR 44's `ar` standard listPattern is "{0} و{1}" for every part ("و" is written joined
    # to the word it introduces, with no comma). Babel 2.19 (CLDR 47) has exactly that, so no
    # override is needed; this fails if an upgrade changes it.
    patterns = Locale.parse("ar").list_patterns["standard"]
    assert {part: patterns[part] for part in ("2", "start", "middle", "end")} == {
        "2": "{0} و{1}",
        "start": "{0} و{1}",
        "middle": "{0} و{1}",
        "end": "{0} و{1}",
    }


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        (["árabe", "inglés"], "árabe e inglés"),
        (["Ana", "Ben", "Inés"], "Ana, Ben e Inés"),
        (["Ana", "Íñigo"], "Ana e Íñigo"),
        (["Ana", "Hilda"], "Ana e Hilda"),
        (["agua", "hielo"], "agua y hielo"),
        (["Ana", "Ben"], "Ana y Ben"),
        (["inglés", "árabe"], "inglés y árabe"),
    ],
)
def test_spanish_y_becomes_e_before_the_sound_i(items: list[str], expected: str) -> None:
    # CLDR's data has only "{0} y {1}"; the override in bot.i18n applies the rule ICU does.
    assert format_list(items, "es") == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Attendance: **12%** (1,234 of 10,000 expected)"),
        (
            "fr",
            f"Présence{NBSP}: **12{NBSP}%** "
            f"(venus{NBSP}: 1{NNBSP}234 · attendus{NBSP}: 10{NNBSP}000)",
        ),
        ("tr", "Katılım: **%12** (beklenen 10.000 katılımdan 1.234)"),
    ],
)
def test_counts_in_a_sentence_are_written_the_readers_way(language: str, expected: str) -> None:
    text = counted(
        "reporting.overall",
        language,
        attended=1234,
        expected=10000,
        rate=format_percent(0.1234, language),
    )
    assert text == expected


def test_a_count_a_plural_chooses_by_stays_a_number() -> None:
    # "#" is written by the plural (through CLDR), the form chosen on the int itself: French
    # "many" for a million, which a pre-written "1 000 000" could not choose.
    said = counted("reporting.student_missed", "fr", count=1_000_000)
    assert said == t("reporting.student_missed", "fr", count=1_000_000)
    assert said == f"⚠️ A manqué les 1{NNBSP}000{NNBSP}000 dernières d'affilée"
    assert counted("reporting.more", "fr", count=1200).startswith(f"… et 1{NNBSP}200 de plus")
