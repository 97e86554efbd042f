"""What careless or hostile people type, as hypothesis strategies, and how to find every place
they can type it: the options the bot registered with Discord, and its forms."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, time
from typing import Any
from zoneinfo import available_timezones

from hypothesis import strategies as st

from bot.sandbox.driver import Sandbox, Upload
from bot.sandbox.state import JSON

STRING, INTEGER, NUMBER, ATTACHMENT = 3, 4, 10, 11
FREE_INPUT = (STRING, INTEGER, NUMBER, ATTACHMENT)
# Discord's client sends integer options between these (JavaScript's safe integers).
DISCORD_INT = 2**53
DISCORD_STRING = 6000


@dataclass(frozen=True)
class Option:
    """One option of a registered slash command that takes free input."""

    path: str  # "session schedule"
    definition: JSON
    siblings: tuple[str, ...] = ()  # every option of the same (sub)command

    @property
    def name(self) -> str:
        return str(self.definition["name"])

    @property
    def kind(self) -> int:
        return int(self.definition["type"])

    def __str__(self) -> str:
        return f"/{self.path} {self.name}"


def _walk(node: JSON, path: list[str]) -> Iterator[tuple[list[str], JSON, tuple[str, ...]]]:
    names = tuple(o["name"] for o in node.get("options", []))
    for option in node.get("options", []):
        if option["type"] in (1, 2):
            yield from _walk(option, [*path, option["name"]])
        else:
            yield path, option, names


def free_options(sb: Sandbox) -> list[Option]:
    """Every option of every slash command the bot registered that takes text, a number, a
    date, a time, a zone, a rule or a file (choices-only options cannot be typed into)."""
    found = []
    for command in sb.server.guild_commands.get(sb.guild.id, []) + sb.server.global_commands:
        if command["type"] != 1:
            continue
        for path, option, siblings in _walk(command, [command["name"]]):
            if option["type"] in FREE_INPUT and not option.get("choices"):
                found.append(Option(" ".join(path), option, siblings))
    return found


# -- values ---------------------------------------------------------------------------------------

# Text that broke something once, or might: calendar ends, tzdata folders, ids past 64 bits,
# rules that never or rarely match, pings, markdown, bidi overrides, invisible characters,
# spreadsheet formulas, digits of other scripts.
NASTY = [
    "",
    " ",
    "\u200b",
    "\u202e",
    "\x00",
    "Asia",
    "America/Argentina",
    "America/Indiana",
    "Etc/GMT+5",
    "../../etc/passwd",
    "0001-01-01",
    "9999-12-31",
    "2026-02-30",
    "٢٠٢٦-١٠-٠٦",
    "２０２６-１０-０６",
    "²",
    "-1",
    "0",
    "99999999999999999999",
    "18446744073709551616",
    "9223372036854775808",
    "1e309",
    "NaN",
    "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
    "FREQ=WEEKLY;BYMONTH=2;BYMONTHDAY=30;BYDAY=MO",
    "FREQ=MONTHLY;BYDAY=13FR",
    "FREQ=YEARLY;BYEASTER=0",
    "FREQ=YEARLY;BYWEEKNO=53;BYDAY=MO",
    "FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO,TU,WE,TH,FR",
    "FREQ=MONTHLY;BYDAY=-2FR",
    "RRULE:FREQ=DAILY;UNTIL=99991231T235959Z",
    "FREQ=DAILY;UNTIL=20270101",
    "FREQ=DAILY;INTERVAL=²",
    "FREQ=SECONDLY",
    "@everyone",
    "@here",
    "<@123456789012345678>",
    "<@&123456789012345678>",
    "**bold** _it_ `code` ~~x~~ ||spoiler||",
    "> quote\n# heading",
    '=HYPERLINK("http://x")',
    "＝1+1",
    "Minneapolis\u200b",
    "MINNEAPOLIS",
    "Najaf\u202e",
    "24:00",
    "02:30",
    "12am",
    "13pm",
    "١٥:٣٠",
    "e4",
    "e٤",
    "O-O-O",
    "1/2-1/2",
    "10+5",
    "99999d",
    "own:²",
    "own:99999999999999999999",
]


def _text(minimum: int, maximum: int) -> st.SearchStrategy[str]:
    short = min(maximum, max(minimum, 60))
    fitting = [s for s in NASTY if minimum <= len(s) <= maximum]
    return st.one_of(
        st.sampled_from(fitting) if fitting else st.nothing(),
        st.text(min_size=minimum, max_size=short),
        st.text(
            st.characters(categories=("Nd", "Zs", "Cf", "Pd")), min_size=minimum, max_size=short
        ),
        st.sampled_from(["x", "ب", "🙂", "\u200b"]).map(lambda c: c * maximum),
    )


def _days() -> st.SearchStrategy[str]:
    return st.dates(date(1, 1, 1), date(9999, 12, 31)).flatmap(
        lambda d: st.sampled_from(
            [d.isoformat(), d.isoformat().translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))]
        )
    )


def _times() -> st.SearchStrategy[str]:
    return st.times().flatmap(
        lambda t: st.sampled_from(
            [f"{t:%H:%M}", f"{t:%I%p}", f"{t:%H.%M}", f"{t:%H%M}", f"{t.hour}:{t.minute}"]
        )
    ) | st.just(f"{time(2, 30):%H:%M}")


_WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


@st.composite
def _rules(draw: st.DrawFn) -> str:
    """RRULEs built from their parts, sensible and not."""
    parts = [f"FREQ={draw(st.sampled_from(['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY', 'HOURLY']))}"]
    if draw(st.booleans()):
        parts.append(f"INTERVAL={draw(st.integers(-1, 60))}")
    if draw(st.booleans()):
        nth = draw(st.sampled_from(["", "1", "-1", "-2", "5", "+3", "0", "9", "-53"]))
        days = draw(st.lists(st.sampled_from(_WEEKDAYS), min_size=1, max_size=3, unique=True))
        parts.append("BYDAY=" + ",".join(nth + d for d in days))
    if draw(st.booleans()):
        parts.append(f"BYMONTHDAY={draw(st.integers(-32, 32))}")
    if draw(st.booleans()):
        parts.append(f"BYMONTH={draw(st.integers(0, 13))}")
    if draw(st.booleans()):
        parts.append(f"BYSETPOS={draw(st.integers(-367, 367))}")
    if draw(st.booleans()):
        parts.append(f"BYYEARDAY={draw(st.integers(-367, 367))}")
    if draw(st.booleans()):
        parts.append(f"BYWEEKNO={draw(st.integers(-54, 54))}")
    if draw(st.booleans()):
        parts.append(f"COUNT={draw(st.integers(-1, 1000))}")
    if draw(st.booleans()):
        day = draw(st.dates(date(1, 1, 1), date(9999, 12, 31)))
        parts.append(f"UNTIL={day:%Y%m%d}T000000Z")
    return ";".join(draw(st.permutations(parts)))


def _zones() -> st.SearchStrategy[str]:
    zones = sorted(available_timezones())
    folders = sorted({z.rsplit("/", 1)[0] for z in zones if "/" in z})
    return st.sampled_from(zones) | st.sampled_from(folders)


def _numbers_as_text() -> st.SearchStrategy[str]:
    return st.integers(-(2**70), 2**70).map(str) | st.integers(0, 10**20).map(
        lambda n: str(n).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    )


# Options whose name says what they hold get values of that kind as well as any text.
_BY_NAME: dict[str, st.SearchStrategy[str]] = {
    "start": _days(),
    "until": _days(),
    "date": _days(),
    "from": _days(),
    "to": _days(),
    "time": _times(),
    "repeat": _rules(),
    "zone": _zones(),
    "zone_a": _zones(),
    "zone_b": _zones(),
    "occurrence": _numbers_as_text(),
    "user_id": _numbers_as_text(),
    "before": st.sampled_from(["24h, 1h", "2d", "30m", "90 min", "off", "١h", "0m", "8d"]),
}


def text_for(definition: JSON) -> st.SearchStrategy[str]:
    """Any text Discord's client lets through into this option."""
    minimum = int(definition.get("min_length", 0))
    maximum = int(definition.get("max_length", DISCORD_STRING))
    generic = _text(minimum, min(maximum, DISCORD_STRING))
    special = _BY_NAME.get(definition["name"])
    if special is None:
        return generic
    return generic | special.filter(lambda s: minimum <= len(s) <= maximum)


def integer_for(definition: JSON) -> st.SearchStrategy[int]:
    low = int(definition.get("min_value", -DISCORD_INT))
    high = int(definition.get("max_value", DISCORD_INT))
    edges = [v for v in (low, high, 0, 1, -1, 2**31, 2**63 - 1) if low <= v <= high]
    return st.sampled_from(edges) | st.integers(low, high)


def number_for(definition: JSON) -> st.SearchStrategy[float]:
    low = float(definition.get("min_value", -DISCORD_INT))
    high = float(definition.get("max_value", DISCORD_INT))
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


@st.composite
def roster_files(draw: st.DrawFn) -> bytes:
    """Roster CSVs as spreadsheets and careless hands make them: broken quotes, odd
    separators and encodings, formulas, huge ids, binary junk."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=300))
    separator = draw(st.sampled_from([",", ";", "\t"]))
    header = draw(
        st.sampled_from(
            [
                "user,city,grade_band,languages,interests,intro,language",
                "username;city;grade;languages",
                "user,city",
                "",
                '"user,city,grade_band,languages',
            ]
        )
    ).replace(",", separator)
    cell = st.one_of(
        st.sampled_from(
            [
                "ali_h",
                "123456789012345678",
                "99999999999999999999999",
                "<@123456789012345678>",
                "Najaf",
                "Minneapolis\u200b",
                "13-15",
                "١٣-١٥",
                "ar, en",
                '"unterminated',
                '"quoted, ""twice"""',
                "=cmd|' /C calc'!A0",
                "+1 555 0100",
                "",
            ]
        ),
        st.text(max_size=20),
    )
    rows = draw(st.lists(st.lists(cell, max_size=8), max_size=6))
    text = "\n".join([header, *(separator.join(r) for r in rows)])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1"]))
    try:
        return codecs.encode(text, encoding)
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


# Tried in every such option, whatever hypothesis draws besides: what broke once.
_EXAMPLES_BY_NAME: dict[str, list[str]] = {
    "zone": ["Asia", "America/Argentina", "Etc/GMT+5", "Asia/Baghdad\u200b"],
    "start": ["0001-01-01", "9999-12-31", "2028-06-01", "٢٠٢٦-١١-١٠"],
    "until": ["0001-01-01", "9999-12-31", "2026-02-30"],
    "date": ["0001-01-01", "9999-12-31", "2028-06-01"],
    "from": ["0001-01-01", "9999-12-31", "٢٠٢٦-٠٨-٠١"],
    "to": ["0001-01-01", "9999-12-31"],
    "time": ["02:30", "٣pm", "24:00", "²"],
    "repeat": [
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=MONTHLY;BYDAY=13FR",
        "FREQ=MONTHLY;BYDAY=-2FR",
        "FREQ=DAILY;INTERVAL=²",
        "FREQ=YEARLY;BYEASTER=0",
    ],
    "occurrence": ["99999999999999999999", "²", "-1", "253402300800"],
    "user_id": ["99999999999999999999", "18446744073709551616", "²", "١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦٧"],
    "city": ["Minneapolis\u200b", "Asia"],
    "city_a": ["Minneapolis\u200b"],
    "before": ["99999999999999999999h", "²h"],
    "move": ["e٤", "²"],
    "prompt": ["own-99999999999999999999", "own-²"],
}
_EXAMPLES_BY_NAME["zone_a"] = _EXAMPLES_BY_NAME["zone_b"] = _EXAMPLES_BY_NAME["zone"]
_EXAMPLES_TEXT = ["\u200b\u202e", "@everyone <@123456789012345678> **x** `y`", "=1+1"]
_EXAMPLE_FILES = [
    b"user,city,grade_band,languages,intro\n"
    b'ali,Najaf,13-15,ar,"I like chess\n'
    b"ben,Minneapolis,13-15,en,call me on +1 555 0100\n",
    b"user,city,grade_band,languages\n99999999999999999999999,Najaf,13-15,ar\n",
    b"\xff\xfe\x00\x00junk",
    b"user;city;grade_band;languages\n\xd9\xa1\xd9\xa2\xd9\xa3;Najaf;\xd9\xa1\xd9\xa3-\xd9\xa1\xd9\xa5;ar\n",
]


def examples_for(option: Option) -> list[Any]:
    """Values tried in this option every run (within what Discord's client lets through)."""
    definition = option.definition
    if option.kind == STRING:
        low = int(definition.get("min_length", 0))
        high = int(definition.get("max_length", DISCORD_STRING))
        typed = _EXAMPLES_BY_NAME.get(option.name, []) + _EXAMPLES_TEXT
        return [v for v in typed if low <= len(v) <= high]
    if option.kind == INTEGER:
        low = int(definition.get("min_value", -DISCORD_INT))
        high = int(definition.get("max_value", DISCORD_INT))
        return sorted({max(low, min(high, v)) for v in (-DISCORD_INT, 0, DISCORD_INT)})
    if option.kind == ATTACHMENT:
        return [Upload("roster.csv", data) for data in _EXAMPLE_FILES]
    return []


def value_for(option: Option) -> st.SearchStrategy[Any]:
    """What a person may put in this option."""
    if option.kind == STRING:
        return text_for(option.definition)
    if option.kind == INTEGER:
        return integer_for(option.definition)
    if option.kind == NUMBER:
        return number_for(option.definition)
    return roster_files().map(lambda data: Upload("roster.csv", data))
