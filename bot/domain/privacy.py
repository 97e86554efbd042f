"""Pseudonymising text: a person's id and names replaced wherever they appear in a value."""

from __future__ import annotations

import re
from collections.abc import Iterable

ERASED = "[erased]"
# Shorter names ("Al") would match inside too many unrelated words.
MIN_NAME = 2


def replace_id(text: str, user_id: int, pseudonym: int) -> str:
    """`text` with every standalone occurrence of the id's digits replaced by the pseudonym."""
    return re.sub(rf"(?<!\d){user_id}(?!\d)", str(pseudonym), text)


def replace_names(text: str, names: Iterable[str]) -> str:
    """`text` with each name (whole words, any case) replaced by ERASED."""
    for name in sorted({n.strip() for n in names if len(n.strip()) >= MIN_NAME}, key=len)[::-1]:
        text = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", ERASED, text, flags=re.IGNORECASE)
    return text


def mentions(text: str, user_id: int, names: Iterable[str] = ()) -> bool:
    """Whether `text` holds the id (as a whole number) or one of the names (as whole words)."""
    return scrub(text, user_id, 0, names) != text


def scrub(text: str, user_id: int, pseudonym: int, names: Iterable[str] = ()) -> str:
    """`text` with the person's id pseudonymised and their names erased."""
    return replace_names(replace_id(text, user_id, pseudonym), names)
