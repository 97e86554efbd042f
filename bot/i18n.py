"""The one translation function for user-facing text, backed by JSON catalogues per language.

Texts use ICU MessageFormat's placeholders and plurals (bot/plurals.py): `{name}`, and for a
count `{n, plural, one {# day} other {# days}}` with the categories CLDR gives the language
(through Babel), `#` written the language's way.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Callable, Iterable
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_skeleton
from babel.lists import format_list
from babel.numbers import format_decimal

from bot import plurals, pseudo
from bot.domain.privacy import ERASED

log = logging.getLogger(__name__)

DEFAULT_LANGUAGE = "en"


@cache
def _catalogue(language: str) -> dict[str, str]:
    # One folder per language, one JSON file per feature, so features never edit the same file.
    folder = resources.files("bot").joinpath("locales", language)
    merged: dict[str, str] = {}
    if not folder.is_dir():
        return merged
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            data: dict[str, str] = json.loads(entry.read_text("utf-8"))
            duplicated = merged.keys() & data.keys()
            if duplicated:
                raise ValueError(f"{language}/{entry.name} repeats keys {sorted(duplicated)}")
            merged.update(data)
    return merged


def available_languages() -> list[str]:
    """Languages that have a catalogue, English first."""
    names = [p.name for p in resources.files("bot").joinpath("locales").iterdir() if p.is_dir()]
    return sorted(names, key=lambda n: (n != DEFAULT_LANGUAGE, n))


def lookup(key: str, language: str) -> str | None:
    """The raw text of `key` in exactly `language`, or None (no English fallback, no format)."""
    return _catalogue(language).get(key)


def t(key: str, language: str | None = None, /, **params: Any) -> str:
    """The text for `key` in `language` (falling back to English), formatted with params."""
    language = language or DEFAULT_LANGUAGE
    if any(isinstance(v, str) and ERASED in v for v in params.values()):
        # Every name a text shows passes here: an erased person's reads in the reader's words.
        params = {
            k: shown_name(v, language) if isinstance(v, str) else v for k, v in params.items()
        }
    # The pseudo-locale: English, marked and accented; or any language, marked (bot.pseudo).
    marks, accents = pseudo.marking() or language == pseudo.LANGUAGE, language == pseudo.LANGUAGE
    if accents:
        language = DEFAULT_LANGUAGE
    template = _catalogue(language).get(key)
    if template is None:
        # An English text takes English plural rules.
        language = DEFAULT_LANGUAGE
        template = _catalogue(language).get(key)
    if template is None:
        log.error("missing translation key %r", key)
        return key
    try:
        message = plurals.parse(template)
        if marks:
            message = pseudo.marked_message(message, accents)
        text = plurals.render(message, params, style(language))
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, TypeError) and strict():
            raise  # a count of the wrong type fails where it was passed (tests, debug runs)
        log.exception("bad parameters for translation key %r", key)
        return template
    if FSI in text:
        # A value in a code span (`own-1`) is copied and typed back: the isolates go around
        # the span, never into it.
        text = text.replace("`" + FSI, FSI + "`").replace(PDI + "`", "`" + PDI)
    return text


def shown_name(name: str, language: str | None = None) -> str:
    """A stored name (or text) as a reader of `language` sees it: the sentinel erasure writes
    in place of a person's name (bot.domain.privacy.ERASED, in a column or inside scrubbed
    text) becomes the catalogue's word for it, "[erased]", "[effacé]", "[محذوف]".

    The database keeps the one language-free sentinel: a row is read by people of both cities,
    erasure writes it into NOT NULL columns and into free text, and backups and the erasure
    checks look for it.
    """
    if ERASED not in name:
        return name
    return name.replace(ERASED, t("privacy.erased_name", language))


@cache
def locale(language: str) -> Locale:
    """Babel's locale (CLDR data) for a catalogue language; English's for one CLDR lacks."""
    try:
        return Locale.parse(language)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(DEFAULT_LANGUAGE)


@cache
def style(language: str) -> plurals.Style:
    """How texts in `language` categorise and write counted numbers."""
    cldr = locale(language)

    def number(value: plurals.Number) -> str:
        return number_text(value, language)

    if cldr.character_order == "right-to-left":
        # A Latin name or a number inside Arabic text would otherwise pull the words around it
        # into its own direction ("Ana" at a line's end reorders the sentence): first-strong
        # isolates (FSI … PDI) keep each interpolated value to itself.
        return plurals.Style(cldr.plural_form, number, isolate, floats=not strict())
    return plurals.Style(category=cldr.plural_form, number=number, floats=not strict())


# Latin digits in every language, Arabic's included (bot.cldr says why).
DIGITS = "latn"
# CLDR's minimumGroupingDigits where it is not 1: a number gets its first group separator
# only with this many digits before the first group ("1234" but "12.345" in Spanish). Babel
# 2.19 does not carry this CLDR value, so it is kept here, for the catalogue languages.
MIN_GROUPING = {"es": 2}


def number_text(value: plurals.Number, language: str | None = None) -> str:
    """A quantity as `language` writes it, from CLDR: "1,234" (en), "1\u202f234" (fr),
    "1.234" (tr), "1234" and "12.345" (es), "1,234" (ar, Latin digits)."""
    language = language or DEFAULT_LANGUAGE
    cldr = locale(language)
    grouping = MIN_GROUPING.get(language, 1)
    # A primary group is 3 digits in every catalogue language's pattern.
    grouped = grouping == 1 or abs(value) >= 10 ** (3 + grouping - 1)
    return str(format_decimal(value, locale=cldr, group_separator=grouped, numbering_system=DIGITS))


STRICT_ENV = "TWINBRIDGE_STRICT_TEXT"


def strict() -> bool:
    """Whether `t()` raises for a count of the wrong type (a float, a string) instead of logging
    it: in tests (tests/__init__.py sets TWINBRIDGE_STRICT_TEXT=1) and `python -X dev`."""
    return sys.flags.dev_mode or os.environ.get(STRICT_ENV) == "1"


def _cldr(text: str) -> str:
    # Names from CLDR are translations too: the pseudo-locale marks them as it marks `t()`'s.
    return pseudo.mark(text) if pseudo.marking() else text


FSI, PDI = "\u2068", "\u2069"


def isolate(value: str) -> str:
    """`value` as a bidirectional island in right-to-left text (empty stays empty)."""
    return f"{FSI}{value}{PDI}" if value else value


def unisolated(text: str) -> str:
    """`text` as a reader sees it, without the invisible isolates."""
    return text.replace(FSI, "").replace(PDI, "")


def is_rtl(language: str) -> bool:
    """Whether `language` is written right to left (CLDR)."""
    return locale(language).character_order == "right-to-left"


def plural_categories(language: str) -> set[str]:
    """The CLDR plural categories of `language`, `other` included."""
    return set(locale(language).plural_form.tags) | {"other"}


def listing(items: Iterable[str], language: str | None = None) -> str:
    """Items joined as `language` writes a list, from CLDR: "Ana, Ben, and Chen", "Ana, Ben et
    Chen", "Ana, Ben ve Chen", Arabic "Ana وBen وChen" (CLDR's "{0} و{1}"), "" for none.

    In right-to-left text each item is isolated: the list then takes the direction of its
    Arabic "و", and a Latin name can neither reorder its neighbours nor the list itself.
    """
    language = language or DEFAULT_LANGUAGE
    names = [str(item) for item in items]
    if is_rtl(language):
        names = [isolate(name) for name in names]
    if pseudo.marking() and len(names) > 1:
        return _marked_listing(names, language)
    text = str(format_list(names, locale=locale(language)))
    override = LIST_ENDINGS.get(language)
    if override is not None and len(names) > 1:
        text = override(text, names[-1])
    return text


_SLOT = re.compile("\ue000(\\d+)\ue001")


def _marked_listing(names: list[str], language: str) -> str:
    # CLDR's connectors (", ", " and ", " et ") are translated text: the pseudo-locale marks
    # them, never the items, which are data. Items become private-use slots so the pattern's
    # pieces can be told from them.
    slots = [f"\ue000{i}\ue001" for i in range(len(names))]
    shape = str(format_list(slots, locale=locale(language)))
    pieces = _SLOT.split(shape)
    # re.split with one group: text, index, text, index, …, text.
    return "".join(names[int(piece)] if i % 2 else _cldr(piece) for i, piece in enumerate(pieces))


def _spanish_and(text: str, last: str) -> str:
    # Spanish writes "y" as "e" before a word that starts with the sound /i/ ("árabe e
    # inglés", "Ana e Hilda"), not before "hie-"/"hia-" ("agua y hielo"). CLDR's data has one
    # "{0} y {1}"; ICU applies this rule in code, Babel does not.
    word = last.lower()
    sounds_i = word.startswith(("i", "í")) or (
        word.startswith(("hi", "hí")) and not word.startswith(("hia", "hie", "hio", "hiu"))
    )
    head = text[: len(text) - len(last)]
    if sounds_i and head.endswith(" y "):
        return f"{head[:-3]} e {last}"
    return text


# Where CLDR's list pattern is not all a language needs: a fix-up of the formatted list, given
# its last item. Arabic needs none: Babel 2.19 has CLDR's "{0} و{1}" (tests/test_cldr.py).
LIST_ENDINGS: dict[str, Callable[[str, str], str]] = {"es": _spanish_and}


def language_name(code: str, language: str | None = None) -> str:
    """A language's name as a reader of `language` writes it ("ar" → "Arabic", "árabe",
    "العربية"): the catalogue's name where it says more than CLDR ("Akan (Twi)"), else CLDR's,
    else the code itself."""
    language = language or DEFAULT_LANGUAGE
    return _cldr(
        lookup(f"language.{code}", language)
        or locale(language).languages.get(code)
        or lookup(f"language.{code}", DEFAULT_LANGUAGE)
        or code
    )


def territory_name(code: str, language: str | None = None) -> str | None:
    """A country's name (ISO code "GH") as a reader of `language` writes it, from CLDR; None
    for a code CLDR lacks."""
    name = locale(language or DEFAULT_LANGUAGE).territories.get(code.upper())
    return _cldr(str(name)) if name else None


def from_library(text: str) -> str:
    """A name a library translated (a public holiday's): the pseudo-locale marks it as it
    marks the catalogue's texts."""
    return _cldr(text)


def weekday_name(iso_day: int, language: str | None = None, *, short: bool = False) -> str:
    """The name of an ISO weekday (1 = Monday) in `language`, from CLDR: "Tuesday", "Tue",
    "martes", "الثلاثاء"."""
    width = "abbreviated" if short else "wide"
    return _cldr(str(locale(language or DEFAULT_LANGUAGE).days["format"][width][(iso_day - 1) % 7]))


def month_of_year(month: date | str, language: str | None = None) -> str:
    """A month with its year as `language` writes it ("October 2026", "octubre de 2026");
    `month` is a date in it or "YYYY-MM"."""
    day = month if isinstance(month, date) else date.fromisoformat(f"{month}-01")
    return _cldr(str(format_skeleton("yMMMM", day, locale=locale(language or DEFAULT_LANGUAGE))))


def month_name(month: int, language: str | None = None, *, short: bool = False) -> str:
    """The name of a month (1 = January) in `language`, from CLDR."""
    width = "abbreviated" if short else "wide"
    return _cldr(str(locale(language or DEFAULT_LANGUAGE).months["format"][width][month]))


def language_list(codes: Iterable[str], language: str | None = None) -> str:
    """Language names for a reader of `language`, listed their way."""
    return listing((language_name(c, language) for c in codes), language)
