"""Reading a teacher's roster CSV: every row checked on its own, problems kept with line numbers.

The file is what a spreadsheet exports. One student a row, a header naming the columns:

    user,city,grade_band,languages,interests,intro,language
    ali_h,Najaf,13-15,"ar, en","chess, football",أحب الشطرنج,ar

`user` is a Discord username or user ID (or a <@mention>), `city` one of the exchange's two
cities, `grade_band` one of GRADE_BANDS, `languages` the languages the student speaks. The
rest may be left out: `interests` (comma- or semicolon-separated), a short `intro`, and
`language`, the language the bot should speak to the student, and `consent`: whether a
guardian's consent is on file (yes/no; empty records nothing). Columns may come in any order;
unknown columns are ignored and named back. Commas, semicolons (European Excel) and tabs are
all understood as separators.

Nothing here knows Discord: users stay references the service resolves to members.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.domain.exchange import (
    MAX_INTRO,
    City,
    ProfileError,
    clean_text,
    parse_grade_band,
    parse_interests,
    parse_languages,
)
from bot.domain.spreadsheet import to_csv
from bot.domain.text import ascii_digits, clean, echo, same_name, snowflake, whole_number

COLUMNS = (
    "user",
    "city",
    "grade_band",
    "languages",
    "interests",
    "intro",
    "language",
    "consent",
)
REQUIRED = ("user", "city", "grade_band", "languages")
MAX_BYTES = 1_000_000
MAX_ROWS = 5000
MAX_USER = 100

# What teachers are likely to call the columns.
_ALIASES = {
    "username": "user",
    "discord": "user",
    "discord_user": "user",
    "discord_username": "user",
    "user_id": "user",
    "discord_id": "user",
    "student": "user",
    "grade": "grade_band",
    "band": "grade_band",
    "age": "grade_band",
    "age_band": "grade_band",
    "spoken_languages": "languages",
    "bot_language": "language",
    "guardian_consent": "consent",
    "consent_on_file": "consent",
    "parental_consent": "consent",
}
# What teachers write for consent on file (or not), in the bot's languages.
_YES = {"yes", "y", "true", "1", "x", "on file", "sí", "si", "نعم"}
_NO = {"no", "n", "false", "0", "لا"}
_MENTION = re.compile(r"^<@!?(\d{15,22})>$")
_LINE_ENDS = re.compile(r"(?<=\r\n)|(?<=\n)|(?<=\r)(?!\n)")


class CsvFileError(ProfileError):
    """The file as a whole cannot be read (encoding, size, header); nothing is imported."""


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One good row, its values checked and normalised."""

    line: int
    user: str  # a user id in digits, or a username as typed (without "@")
    city_id: int
    grade_band: str
    languages: tuple[str, ...]
    interests: tuple[str, ...]
    intro: str
    language: str | None
    consent: bool | None = None  # None: the file says nothing (nothing is recorded)

    @property
    def user_id(self) -> int | None:
        """The user id when the row names one, else None (a username)."""
        return snowflake(self.user)


@dataclass(frozen=True, slots=True)
class CsvProblem:
    """Why the row at `line` was not imported: a catalogue key and its parameters."""

    line: int
    key: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CsvRoster:
    """What a file holds: good rows, problems by line, and the columns that were ignored."""

    rows: tuple[CsvRow, ...]
    problems: tuple[CsvProblem, ...]
    ignored_columns: tuple[str, ...] = ()


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (with or without a BOM) or UTF-16 with a BOM."""
    if len(data) > MAX_BYTES:
        raise CsvFileError("error.csv_too_big", limit=MAX_BYTES // 1000)
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvFileError("error.csv_encoding") from None


def user_reference(text: str) -> str:
    """A user id in ASCII digits from "123…", "<@123…>" (digits of any script); otherwise the
    username without "@"."""
    value = clean(text)
    mention = _MENTION.match(ascii_digits(value))
    if mention:
        return mention.group(1)
    if whole_number(value) is not None:
        return ascii_digits(value)
    return value.removeprefix("@").strip()


def _column(name: str) -> str:
    key = re.sub(r"[\s\-]+", "_", name.strip().lower())
    return _ALIASES.get(key, key)


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _city(text: str, cities: Sequence[City]) -> int:
    wanted = same_name(text)
    for city in cities:
        if same_name(city.name) == wanted:
            return city.id
    if not wanted:
        raise ProfileError("error.empty", field="city")
    raise ProfileError(
        "error.unknown_city", city=echo(clean(text), 40), cities=" / ".join(c.name for c in cities)
    )


def _row(
    line: int,
    values: dict[str, str],
    cities: Sequence[City],
    bot_languages: Collection[str],
) -> CsvRow:
    user = user_reference(values.get("user", ""))
    if not user:
        raise ProfileError("error.empty", field="user")
    if len(user) > MAX_USER:
        raise ProfileError("error.too_long", field="user", limit=MAX_USER, length=len(user))
    if user.isascii() and user.isdigit() and snowflake(user) is None:
        # Digits are an id; past 64 bits no account has it (nor could the database hold it).
        raise ProfileError("error.bad_user_id", value=echo(user, 20))
    city_id = _city(values.get("city", ""), cities)
    band = values.get("grade_band", "")
    if not band.strip():
        raise ProfileError("error.empty", field="grade_band")
    grade_band = parse_grade_band(band)
    languages = parse_languages(values.get("languages", ""))
    interests = parse_interests([], values.get("interests", "").replace(";", ","))
    intro_text = values.get("intro", "")
    intro = (
        clean_text(intro_text, limit=MAX_INTRO, what="intro", multiline=True)
        if clean(intro_text)
        else ""
    )
    language = values.get("language", "").strip().lower() or None
    if language is not None and language not in bot_languages:
        raise ProfileError(
            "error.unknown_bot_language",
            language=echo(language, 20),
            languages=", ".join(bot_languages),
        )
    return CsvRow(
        line,
        user,
        city_id,
        grade_band,
        languages,
        interests,
        intro,
        language,
        parse_consent(values.get("consent", "")),
    )


def parse_consent(text: str) -> bool | None:
    """Consent on file from a CSV cell: yes/no in the bot's languages; empty is None."""
    value = clean(text).casefold()
    if not value:
        return None
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise ProfileError("error.csv_consent", value=echo(clean(text), 20))


EXPORT_COLUMNS = ("user", "city", "grade_band", "languages", "consent")


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One student as `/roster export` writes them."""

    user_id: int
    city: str
    grade_band: str | None
    languages: tuple[str, ...]
    consent: bool


def export_csv(rows: Sequence[ExportRow]) -> str:
    """The roster as CSV that `/roster import` reads back (formula-safe, `to_csv`)."""
    return to_csv(
        EXPORT_COLUMNS,
        (
            {
                "user": str(r.user_id),
                "city": r.city,
                "grade_band": r.grade_band or "",
                "languages": ", ".join(r.languages),
                "consent": "yes" if r.consent else "no",
            }
            for r in rows
        ),
    )


def _lines(text: str) -> list[str]:
    """The file's lines as the csv module reads them: split at \r\n, \r or \n only."""
    return [line for line in _LINE_ENDS.split(text) if line]


def _swallowed(
    extra: Sequence[str], names: Sequence[str], delimiter: str, cities: Sequence[City]
) -> bool:
    """Whether lines a quoted cell ran over are rows of their own: as many cells as the
    header, or one of the exchange's cities where the city column is."""
    city_at = names.index("city")
    known = {same_name(c.name) for c in cities}
    for line in extra:
        try:
            cells = next(csv.reader([line], delimiter=delimiter))
        except (csv.Error, StopIteration):
            continue
        if len(cells) >= len(names) or (
            len(cells) > city_at and same_name(cells[city_at]) in known
        ):
            return True
    return False


def _broken(
    cells: Sequence[str],
    lines: Sequence[str],
    names: Sequence[str],
    delimiter: str,
    cities: Sequence[City],
) -> bool:
    """A row whose quotes make it run over line breaks where no cell may have one (only an
    introduction may), or over the rows that follow (an unterminated quote)."""
    if len(lines) == 1:
        return False
    for name, cell in zip(names, cells, strict=False):
        if name != "intro" and ("\n" in cell or "\r" in cell):
            return True
    return _swallowed(lines[1:], names, delimiter, cities)


def parse(text: str, cities: Sequence[City], bot_languages: Collection[str]) -> CsvRoster:
    """Every row checked on its own; a file without the needed columns raises CsvFileError.

    Read strictly: a quote must close before the next delimiter or line end, and a quoted
    cell may run over lines only in the introduction and only as long as the lines it takes
    are not rows themselves. A row that breaks these is reported with its line, and reading
    goes on at the line after it, so an unterminated quote costs one row, never the rows it
    would have swallowed (nor does any stored value carry them).
    """
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise CsvFileError("error.csv_empty")
    lines = _lines(text)
    delimiter = _delimiter(lines[0])
    try:
        header = next(csv.reader([lines[0]], delimiter=delimiter, strict=True))
    except (StopIteration, csv.Error):
        raise CsvFileError("error.csv_empty") from None
    names = [_column(h) for h in header]
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        # Column names are typed as they are in every language: shown as code, not words.
        raise CsvFileError(
            "error.csv_columns",
            missing=", ".join(f"`{c}`" for c in missing),
            expected=f"`{','.join(COLUMNS)}`",
        )
    ignored = tuple(h.strip() for h, n in zip(header, names, strict=True) if n not in COLUMNS)
    rows: list[CsvRow] = []
    problems: list[CsvProblem] = []
    first_seen: dict[str, int] = {}
    index = 1
    while index < len(lines):
        start = index + 1  # the line where the row starts (a quoted cell may span lines)
        reader = csv.reader(iter(lines[index:]), delimiter=delimiter, strict=True)
        try:
            cells = next(reader)
        except (csv.Error, StopIteration):
            # An unterminated quote, or text after a closing quote: this row only.
            problems.append(CsvProblem(start, "error.csv_unreadable"))
            index += 1
            continue
        taken = lines[index : index + reader.line_num]
        if _broken(cells, taken, names, delimiter, cities):
            problems.append(CsvProblem(start, "error.csv_unreadable"))
            index += 1
            continue
        index += len(taken)
        if not any(c.strip() for c in cells):
            continue
        if len(rows) + len(problems) >= MAX_ROWS:
            raise CsvFileError("error.csv_too_many_rows", limit=MAX_ROWS)
        if len(cells) > len(names):
            problems.append(CsvProblem(start, "error.csv_extra_cells", {"count": len(names)}))
            continue
        values: dict[str, str] = {}
        for name, cell in zip(names, cells, strict=False):
            if name in COLUMNS and name not in values:
                values[name] = cell
        try:
            row = _row(start, values, cities, bot_languages)
        except ProfileError as exc:
            problems.append(CsvProblem(start, exc.key, dict(exc.params)))
            continue
        key = row.user.casefold()
        if key in first_seen:
            problems.append(CsvProblem(start, "error.csv_duplicate", {"first": first_seen[key]}))
            continue
        first_seen[key] = start
        rows.append(row)
    return CsvRoster(tuple(rows), tuple(problems), ignored)
