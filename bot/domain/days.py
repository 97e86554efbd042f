"""Days people type: YYYY-MM-DD in the digits of any script, within the years the bot counts.

Sessions and reports add and subtract days, years and time zones to what was typed; a day
near the ends of Python's calendar (year 1, year 9999) would overflow there. Every typed day
is checked here first, so such a day is refused with a clear answer instead.
"""

from __future__ import annotations

import re
from datetime import date

from bot.domain.text import ascii_digits, clean, echo

FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2999, 12, 31)
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class DayError(ValueError):
    """Not a day the bot can use: `key` is "error.date" (unreadable) or "error.day_range"."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def check_day(day: date) -> date:
    """`day` if it lies between FIRST_DAY and LAST_DAY; DayError otherwise."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise DayError("error.day_range", first=FIRST_DAY, last=LAST_DAY)
    return day


def parse_day(text: str) -> date:
    """A day written YYYY-MM-DD (digits of any script; an autocomplete value may carry its
    weekday after a space), between FIRST_DAY and LAST_DAY; DayError otherwise."""
    typed = clean(text)
    value = ascii_digits(typed).split(" ", 1)[0]
    if not _ISO_DAY.fullmatch(value):
        raise DayError("error.date", value=echo(typed, 40))
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise DayError("error.date", value=echo(typed, 40)) from None
    return check_day(day)
