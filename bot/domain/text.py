"""Text people type, as the bot keeps it, reads it and writes it out.

- `clean`: the one normaliser for stored text. NFC; control, bidi-override and invisible
  characters removed, so "Minneapolis" and "Minneapolis" + a zero-width space are one city
  and a name cannot reverse the text shown after it; whitespace made plain.
- `ascii_digits`: digits of every script read as ASCII digits. Every field that reads a
  number (dates, times, counts, ids, age bands, reminders, repeat rules, chess moves) goes
  through it, so a teacher on an Arabic keyboard can type ٢٠٢٦-١٠-٠٦ anywhere.
- `whole_number`, `snowflake`: a count or a Discord id read from text, never a crash (a
  superscript "²" passes `str.isdigit`, yet `int` refuses it; an id past 64 bits would
  overflow the database).
"""

from __future__ import annotations

import re
import unicodedata

# Characters that show nothing although they are not in a control or format category.
_BLANK_LOOKING = frozenset(
    "\u115f\u1160\u3164\uffa0"  # Hangul fillers
    "\u2800"  # Braille pattern blank
    "\u034f"  # combining grapheme joiner
    "\u17b4\u17b5"  # Khmer inherent vowels
    "\u180e"  # Mongolian vowel separator
)
# Joiners shape Persian, Arabic, Indic words and emoji sequences: kept only between two
# visible characters when one of them is outside Latin script.
_JOINERS = frozenset("\u200c\u200d")
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\u0085\u2028\u2029\x0b\x0c]")
_LATIN_END = 0x024F
_ASCII_NUMBER = re.compile(r"[0-9]+")
# Discord ids are 64-bit snowflakes below 2**63 in practice; SQLite holds signed 64 bits.
MAX_SNOWFLAKE = 2**63 - 1


def _is_variation_selector(char: str) -> bool:
    code = ord(char)
    return 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF


def _dropped(char: str) -> bool:
    """Control, format or surrogate, or blank-looking. Format (Cf) holds the bidi embeddings,
    overrides, isolates and marks (U+202A–202E, U+2066–2069, U+200E/F, U+061C) that reorder
    what follows them on screen, zero-width spaces, the byte-order mark and tag characters."""
    if char in "\n\t ":
        return False
    if char in _BLANK_LOOKING:
        return True
    return unicodedata.category(char) in ("Cc", "Cf", "Cs")


def _keep_between(before: str, after: str) -> bool:
    visible = before.strip() and after.strip()
    return bool(visible) and (ord(before) > _LATIN_END or ord(after) > _LATIN_END)


def _strip_invisible(text: str) -> str:
    kept: list[str] = []
    for index, char in enumerate(text):
        if char in _JOINERS:
            after = text[index + 1] if index + 1 < len(text) else " "
            if kept and _keep_between(kept[-1], after):
                kept.append(char)
            continue
        if _is_variation_selector(char):
            # Emoji presentation after a symbol; meaningless after a Latin letter.
            if kept and ord(kept[-1]) > _LATIN_END:
                kept.append(char)
            continue
        if not _dropped(char):
            kept.append(char)
    return "".join(kept)


def clean(text: str, *, multiline: bool = False) -> str:
    """`text` as the bot stores it: NFC, no invisible or reordering characters, plain spaces.

    One line (names, titles): every run of whitespace, line breaks included, is one space.
    `multiline` (introductions, prompts, a reporter's words): line breaks are kept as "\\n",
    spaces within a line made single, and at most one empty line in a row.
    """
    value = _LINE_BREAKS.sub("\n", unicodedata.normalize("NFC", text))
    value = _strip_invisible(value)
    if not multiline:
        return " ".join(value.split())
    lines = [" ".join(line.split()) for line in value.split("\n")]
    joined = "\n".join(lines).strip()
    return re.sub(r"\n{3,}", "\n\n", joined)


def same_name(text: str) -> str:
    """The form two names are compared in: cleaned and case-folded."""
    return clean(text).casefold()


def ascii_digits(text: str) -> str:
    """Decimal digits of any script (Arabic-Indic ٣, Persian ۳, Devanagari ३, full-width ３…)
    as ASCII digits; everything else unchanged."""
    if text.isascii():
        return text
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)


def whole_number(text: str) -> int | None:
    """The number `text` spells in digits (any script, nothing else around them but spaces),
    or None."""
    value = ascii_digits(clean(text))
    return int(value) if _ASCII_NUMBER.fullmatch(value) else None


def snowflake(text: str) -> int | None:
    """A Discord id (or a database row's id) from its digits, or None when `text` is not one:
    past 64 bits included, which no account has and the database cannot hold."""
    value = whole_number(text)
    return value if value is not None and 0 < value <= MAX_SNOWFLAKE else None


def echo(text: str, limit: int) -> str:
    """What a person typed, repeated in an answer: cut to `limit` characters with an ellipsis,
    so a reader sees the text was longer (and is not shown half a word as if it were all)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
