"""Dates, numbers and lists as each reader's language writes them, from CLDR (through Babel).

For text Discord does not render itself: reports, charts, the calendar feed, the dashboard,
the digest, workbooks. In a message, a moment is a Discord timestamp
(`cogs.common.text.timestamp`), which every reader's client shows in their own language and
time zone; these helpers are for everything else.

Digits are Latin ("12") in every language, Arabic included: Discord has no Arabic client, so
Arabic readers see Discord's own timestamps and counts with Latin digits, and the Maghreb
partnerships this project serves write Latin digits. CLDR's `ar` (Babel 2.19, CLDR 47) also
defaults to Latin digits; this module asks for them by name so that a later CLDR change of the
default cannot mix two digit systems in one message.

Lists are `format_list` (bot.i18n.listing): CLDR's list patterns, each item isolated in
right-to-left text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, tzinfo
from decimal import Decimal
from functools import wraps
from typing import Any, ParamSpec
from zoneinfo import ZoneInfo

from babel.dates import (
    format_date,
    format_interval,
    format_skeleton,
    format_time,
    get_datetime_format,
    get_timezone_gmt,
    get_timezone_name,
)
from babel.numbers import format_percent as babel_percent

from bot import pseudo
from bot.i18n import DEFAULT_LANGUAGE, DIGITS, locale, lookup, number_text, t
from bot.i18n import listing as format_list
from bot.plurals import MessageSyntaxError, numbers, plural_forms

# Latin digits everywhere (see the module's docstring): bot.i18n.DIGITS.


_P = ParamSpec("_P")


def _shown(format_: Callable[_P, str]) -> Callable[_P, str]:
    # Days and times written by CLDR are translations too: the pseudo-locale marks each whole
    # (once, not the pieces one formatter borrows from another).
    @wraps(format_)
    def written(*args: _P.args, **kwargs: _P.kwargs) -> str:
        if not pseudo.marking():
            return format_(*args, **kwargs)
        with pseudo.marked(False):
            text = format_(*args, **kwargs)
        return pseudo.mark(text)

    return written


def _lang(language: str | None) -> str:
    return language or DEFAULT_LANGUAGE


def _zone(zone: str | tzinfo | None) -> tzinfo:
    if zone is None:
        return UTC
    return ZoneInfo(zone) if isinstance(zone, str) else zone


@_shown
def format_day(day: date, language: str | None = None, *, weekday: bool = False) -> str:
    """A day as `language` writes it in full: "December 6, 2026", "6 décembre 2026",
    "6 Aralık 2026"; with `weekday`, "Sunday, December 6, 2026"."""
    return str(format_date(day, "full" if weekday else "long", locale=locale(_lang(language))))


@_shown
def format_short_day(
    day: date, language: str | None = None, *, year: bool = False, weekday: bool = False
) -> str:
    """A day in few characters, for an axis or a table: "Dec 6", "6 déc.", "6 Ara"; with
    `year` "Dec 6, 2026", with `weekday` "Sun, Dec 6"."""
    skeleton = ("y" if year else "") + "MMM" + ("E" if weekday else "") + "d"
    return str(format_skeleton(skeleton, day, locale=locale(_lang(language))))


@_shown
def format_days(first: date, last: date, language: str | None = None) -> str:
    """A span of whole days: "Dec 1 – 6, 2026", "1–6 déc. 2026" (one day written once)."""
    if first == last:
        return format_day(first, language)
    return str(format_interval(first, last, "yMMMd", locale=locale(_lang(language))))


@_shown
def format_time_of_day(when: datetime, zone: str | tzinfo | None, language: str | None) -> str:
    """The clock time of `when` in `zone`: "4:30 PM", "16:30"."""
    local = when.astimezone(_zone(zone))
    return str(format_time(local, "short", locale=locale(_lang(language))))


@_shown
def format_wall(clock: time | datetime, language: str | None = None) -> str:
    """A wall-clock time as read on its own clock, never converted: "3:00 PM", "15:00" (also
    one the clocks skip, which a teacher typed)."""
    wall = clock.time() if isinstance(clock, datetime) else clock
    return str(format_time(wall, "short", locale=locale(_lang(language))))


@_shown
def format_local_span(
    start: datetime, end: datetime, zone: str | tzinfo, language: str | None = None
) -> str:
    """A span on the clocks of `zone`, with the zone's name, for a reader who lives elsewhere:
    "Tue, Oct 6, 2026 3:00 PM–4:00 PM (Central Daylight Time)", "mar. 6 oct. 2026
    15:00–16:00 (heure d’été du centre nord-américain)". A span that ends on another day
    names that day too; one across a clock change names the zone's time at each end."""
    cldr = locale(_lang(language))
    local, until = start.astimezone(_zone(zone)), end.astimezone(_zone(zone))
    begins = str(format_time(local, "short", locale=cldr))
    ends = str(format_time(until, "short", locale=cldr))
    dash = "–"
    if until.date() != local.date():
        ends, dash = f"{format_short_day(until.date(), language, weekday=True)} {ends}", " – "
    day = format_short_day(local.date(), language, year=True, weekday=True)
    named, named_end = (str(get_timezone_name(m, "long", locale=cldr)) for m in (local, until))
    if named != named_end:
        return f"{day} {begins} ({named}){dash}{ends} ({named_end})"
    return f"{day} {begins}{dash}{ends} ({named})"


@_shown
def format_moment(
    when: datetime,
    zone: str | tzinfo | None,
    language: str | None = None,
    *,
    offset: bool = True,
    short: bool = False,
) -> str:
    """A moment on the clocks of `zone`: "December 6, 2026, 4:30 PM (GMT+01:00)",
    "6 décembre 2026, 16:30 (UTC+01:00)"; `offset=False` leaves the zone out (when the
    text already names it); `short` writes the day with its weekday in few characters ("Sun,
    Dec 6, 2026, 4:30 PM"), for a table."""
    cldr = locale(_lang(language))
    local = when.astimezone(_zone(zone))
    day = (
        format_short_day(local.date(), language, year=True, weekday=True)
        if short
        else format_day(local.date(), language)
    )
    text = (
        str(get_datetime_format("medium" if short else "long", locale=cldr))
        .replace("'", "")
        .replace("{1}", day)
        .replace("{0}", str(format_time(local, "short", locale=cldr)))
    )
    if not offset:
        return text
    gmt = str(get_timezone_gmt(local, "long", locale=cldr))
    return f"{text} ({gmt})"


def dated(params: Mapping[str, Any], language: str | None = None) -> dict[str, Any]:
    """`params` of a text with each day, moment and wall time written for a reader of
    `language` (a moment on UTC's clocks): for errors raised where the reader is not known."""
    out = dict(params)
    for key, value in params.items():
        if isinstance(value, datetime):
            out[key] = format_moment(value, UTC, language)
        elif isinstance(value, date):
            out[key] = format_day(value, language)
        elif isinstance(value, time):
            out[key] = format_wall(value, language)
    return out


def counted(key: str, language: str | None = None, /, **params: Any) -> str:
    """`t(key, language, **params)` for a text whose whole numbers are all counts: those a
    plural chooses by stay ints, the others are written the reader's way ("1 234" in French,
    "1.234" in Turkish). Not for a text that also names a number (a game's #12, a year)."""
    language = _lang(language)
    template = lookup(key, language) or lookup(key, DEFAULT_LANGUAGE) or ""
    try:
        # Counts a plural chooses by, and quantities the text writes itself: left as numbers.
        chosen = plural_forms(template).keys() | numbers(template)
    except MessageSyntaxError:
        chosen = set(params)  # t() reports the broken text
    written = {
        name: format_number(value, language)
        if isinstance(value, int) and not isinstance(value, bool) and name not in chosen
        else value
        for name, value in params.items()
    }
    return t(key, language, **written)


@_shown
def format_month(month: date | str, language: str | None = None) -> str:
    """A month with its year: "December 2026", "décembre 2026", "Aralık 2026"; `month` is a
    date in it or "YYYY-MM"."""
    day = month if isinstance(month, date) else date.fromisoformat(f"{month}-01")
    return str(format_skeleton("yMMMM", day, locale=locale(_lang(language))))


def format_number(value: int | float | Decimal, language: str | None = None) -> str:
    """A number as `language` writes it: "1,234.5", "1 234,5", "1.234,5"."""
    return number_text(value, language)


def format_percent(rate: float | None, language: str | None = None, *, digits: int = 0) -> str:
    """A rate (0.125) as a percentage: "12.5%", "12,5 %" (French), "%12,5" (Turkish); at most
    `digits` decimals, none written when they are zero; an em dash for no rate."""
    if rate is None:
        return "—"
    # The float's exact value, rounded half to even: what Python's f"{rate:.0%}" writes.
    rounded = round(Decimal(rate) * 100, digits) / 100
    return str(
        babel_percent(
            rounded,
            locale=locale(_lang(language)),
            decimal_quantization=False,
            numbering_system=DIGITS,
        )
    )


__all__ = [
    "counted",
    "dated",
    "format_day",
    "format_days",
    "format_list",
    "format_local_span",
    "format_moment",
    "format_month",
    "format_number",
    "format_percent",
    "format_short_day",
    "format_time_of_day",
    "format_wall",
]
