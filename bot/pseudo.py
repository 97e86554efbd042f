"""The pseudo-locale: catalogue text made visible, so text that skipped the catalogue shows.

While marking is on (a context variable: the sandbox turns it on for the bot's own tasks only,
so a test's `t()` still gives the plain text it compares with), every text `bot.i18n.t` makes
has its words between ⟦ and ⟧, and the values put into it (names, numbers, mentions, dates)
left outside: "⟦Welcome⟧, Ana!". Whatever reaches a person with letters outside the marks
went around the catalogue (or is data). The language code `qps` is the same for a reader who
sees it on purpose (the demo): English, marked, with accented letters ("⟦Ŵéļçöɱé⟧, Ana!").
The code is no catalogue folder, so no language picker offers it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache

from bot import plurals

LANGUAGE = "qps"
OPEN, CLOSE = "⟦", "⟧"

_marking: ContextVar[bool] = ContextVar("twinbridge_pseudo_marking", default=False)

# Accented look-alikes for the qps reader: the text stays readable, and a text that was
# never marked stands out even without looking for the brackets.
_ACCENTS = str.maketrans(
    "abcdeghiklnorstuwyzABCDEGHIKLNORSTUWYZ",
    "åƀçđéĝĥîķļñöŕšţûŵýžÅƁÇĐÉĜĤÎĶĻÑÖŔŠŢÛŴÝŽ",
)
# Marked text ends at a closing mark, or at the end when a clip cut the closing mark off.
_MARKED = re.compile(f"{OPEN}[^{CLOSE}]*(?:{CLOSE}|$)")


def marking() -> bool:
    """Whether `t()` marks what it makes in the running context."""
    return _marking.get()


def set_marking(on: bool) -> None:
    """Mark (or not) every text `t()` makes in this context and the tasks it starts."""
    _marking.set(on)


@contextmanager
def marked(on: bool = True) -> Iterator[None]:
    """Mark (or not) the texts made inside the block."""
    token = _marking.set(on)
    try:
        yield
    finally:
        _marking.reset(token)


def mark(text: str, *, accents: bool = False) -> str:
    """A piece of catalogue text between the marks, from its first letter to its last, so
    punctuation and code spans next to a value stay next to it; no letters, no marks."""
    letters = [i for i, char in enumerate(text) if char.isalpha()]
    if not letters:
        return text
    first, last = letters[0], letters[-1] + 1
    inner = text[first:last].translate(_ACCENTS) if accents else text[first:last]
    return f"{text[:first]}{OPEN}{inner}{CLOSE}{text[last:]}"


@lru_cache(maxsize=8192)
def marked_message(message: plurals.Message, accents: bool = False) -> plurals.Message:
    """A parsed catalogue text with its literal pieces marked (placeholders untouched)."""
    out: list[plurals.Node] = []
    for node in message:
        if isinstance(node, str):
            out.append(mark(node, accents=accents))
        elif isinstance(node, plurals.Plural):
            forms = tuple((s, marked_message(form, accents)) for s, form in node.forms)
            out.append(plurals.Plural(node.name, forms))
        else:
            out.append(node)
    return tuple(out)


def unmarked(text: str) -> str:
    """`text` without the marks (what the reader would have seen without the pseudo-locale)."""
    return text.replace(OPEN, "").replace(CLOSE, "")


def outside_marks(text: str) -> str:
    """What is left of `text` once every marked piece is taken out."""
    return _MARKED.sub(" ", text)
