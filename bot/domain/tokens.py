"""Secret link tokens: `<selector>.<secret>`, the secret stored only as a hash.

The selector (96 random bits) finds the row; the secret (256 random bits) is checked against
the stored SHA-256 hash with a constant-time comparison, so neither a database lookup nor a
string comparison tells a guesser how close they came. A link carries nothing else: no
exchange, no person, no name.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

SELECTOR_BYTES = 12  # 16 characters
SECRET_BYTES = 32  # 43 characters: 256 bits, twice the 128 the exposure rules ask for
_SHAPE = re.compile(r"([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{43})")


@dataclass(frozen=True, slots=True)
class Token:
    """A token as handed out (once) and what is stored of it."""

    selector: str
    secret: str

    @property
    def text(self) -> str:
        return f"{self.selector}.{self.secret}"

    @property
    def secret_hash(self) -> str:
        return digest(self.secret)


def new_token() -> Token:
    """A fresh token from the operating system's random source."""
    return Token(secrets.token_urlsafe(SELECTOR_BYTES), secrets.token_urlsafe(SECRET_BYTES))


def parse(text: str) -> Token | None:
    """The token in a URL's text, or None if it cannot be one."""
    found = _SHAPE.fullmatch(text)
    return Token(found.group(1), found.group(2)) if found else None


def digest(secret: str) -> str:
    """What is stored of a secret: its SHA-256, in hex."""
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def matches(token: Token, stored_hash: str) -> bool:
    """Whether the token's secret is the one whose hash is stored (constant time)."""
    return hmac.compare_digest(token.secret_hash, stored_hash)
