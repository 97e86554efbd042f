"""A flood of wrong tokens is answered slowly, then not at all, and never with a hint.

Every token that opens nothing costs its sender a fixed pause before the (always identical)
answer; an address that sent `limit` such tokens within `window` gets 429 for every token
request, good or bad, until its oldest failure leaves the window. A token of 256 random bits
cannot be guessed anyway: this keeps a guesser from costing the bot's database a lookup per
try, and logs say when someone is trying.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from aiohttp import web

log = logging.getLogger(__name__)

PAUSE = 1.0  # seconds before a refused token is answered
LIMIT = 20  # refused tokens per address per window before the address is turned away
WINDOW = 600.0  # seconds
# Addresses remembered at most: a flood from many addresses cannot fill the memory.
REMEMBERED = 10_000


def client_address(request: web.Request) -> str:
    """Who is asking: the peer, or, when the peer is a reverse proxy on this machine, the
    address it says it forwards for (the last one of X-Forwarded-For, the one it added)."""
    peer = request.remote or "unknown"
    forwarded = request.headers.get("X-Forwarded-For")
    if forwarded:
        try:
            local = ipaddress.ip_address(peer).is_loopback
        except ValueError:
            local = False
        if local:
            return forwarded.split(",")[-1].strip()[:64] or peer
    return peer


class Guard:
    """Counts refused tokens per address; answers them slowly, then turns the address away."""

    def __init__(
        self,
        *,
        pause: float = PAUSE,
        limit: int = LIMIT,
        window: float = WINDOW,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.pause = pause
        self.limit = limit
        self.window = window
        self._now = now
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, address: str) -> deque[float]:
        found = self._failures.get(address)
        if found is None:
            return deque()
        cutoff = self._now() - self.window
        while found and found[0] <= cutoff:
            found.popleft()
        if not found:
            del self._failures[address]
        return found

    def turned_away(self, address: str) -> float | None:
        """Seconds until the address may try again, or None if it may now."""
        recent = self._recent(address)
        if len(recent) < self.limit:
            return None
        return max(recent[0] + self.window - self._now(), 1.0)

    async def refused(self, address: str) -> None:
        """Count a refused token from this address, then wait the pause."""
        failures = self._failures.setdefault(address, deque())
        self._failures.move_to_end(address)
        failures.append(self._now())
        if len(failures) == self.limit:
            log.warning("%d refused tokens from %s: turned away for a while", self.limit, address)
        while len(self._failures) > REMEMBERED:
            self._failures.popitem(last=False)
        await asyncio.sleep(self.pause)
