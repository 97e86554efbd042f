"""Discord-style rate limits: per-route buckets with Discord's headers, sub-limits such as the
two renames per ten minutes, the global limit, and the invalid-request count behind a ban.

Source: discord/discord-api-docs, topics/rate-limits.md. A window is over when its length has
passed on the real clock (discord.py sleeps real seconds on a short 429) or on the sandbox clock
(a test that advances the clock ten minutes frees a ten-minute window, as the time would on
Discord): whichever comes first.
"""

from __future__ import annotations

import hashlib
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.limits import (
    GLOBAL_REQUESTS_PER_SECOND,
    INVALID_REQUEST_WINDOW,
    INVALID_REQUESTS_PER_WINDOW,
    RENAME_WINDOW,
    RENAMES_PER_WINDOW,
)

# The statuses Discord counts toward the invalid-request limit (a temporary ban beyond it).
INVALID_STATUSES = frozenset({401, 403, 429})


@dataclass(frozen=True, slots=True)
class Limits:
    """How many requests a window allows. Defaults are Discord's documented figures."""

    global_per_second: int = GLOBAL_REQUESTS_PER_SECOND
    messages_per_channel: int = 5
    messages_window: float = 5.0
    route_per_window: int = 50
    route_window: float = 1.0
    renames_per_channel: int = RENAMES_PER_WINDOW
    rename_window: float = RENAME_WINDOW.total_seconds()
    invalid_per_window: int = INVALID_REQUESTS_PER_WINDOW
    invalid_window: float = INVALID_REQUEST_WINDOW.total_seconds()


@dataclass
class _Window:
    limit: int
    length: float
    started: float = 0.0  # real (monotonic) seconds
    started_at: datetime | None = None  # on the sandbox clock
    used: int = 0

    def _elapsed(self, real: float, clock: datetime) -> float:
        on_clock = (clock - self.started_at).total_seconds() if self.started_at else self.length
        return max(real - self.started, on_clock)

    def take(self, real: float, clock: datetime) -> float:
        """Use one request; returns 0 when allowed, else the seconds until the window resets."""
        if self._elapsed(real, clock) >= self.length:
            self.started, self.started_at, self.used = real, clock, 0
        if self.used >= self.limit:
            return self.reset_after(real, clock)
        self.used += 1
        return 0.0

    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    def reset_after(self, real: float, clock: datetime) -> float:
        return max(0.0, self.length - self._elapsed(real, clock))


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome for one request: allowed, or limited and for how long."""

    headers: dict[str, str]
    retry_after: float = 0.0
    is_global: bool = False


def bucket_hash(name: str) -> str:
    """A stable opaque bucket id for a route, like Discord's `X-RateLimit-Bucket`."""
    return hashlib.sha1(name.encode()).hexdigest()[:16]


class RateLimiter:
    """Counts requests per bucket (route + major parameter), globally, and invalid ones."""

    def __init__(
        self, limits: Limits | None = None, now: Callable[[], datetime] | None = None
    ) -> None:
        self.limits = limits or Limits()
        self._now = now or (lambda: datetime.now(UTC))
        self._global = _Window(self.limits.global_per_second, 1.0)
        self._buckets: dict[str, _Window] = {}
        self._renames: dict[str, _Window] = {}
        self.limited: list[str] = []
        # 401, 403 and 429 answers: (real, sandbox) instants, the last window's worth.
        self._invalid: deque[tuple[float, datetime]] = deque()
        self.invalid_total = 0

    def _clocks(self) -> tuple[float, datetime]:
        return time.monotonic(), self._now()

    def check(self, method: str, template: str, major: str, exempt_global: bool) -> Verdict:
        """Take one request from the global window and from the route's bucket."""
        real, clock = self._clocks()
        if not exempt_global:
            wait = self._global.take(real, clock)
            if wait > 0:
                self.limited.append("global")
                return Verdict(
                    {"X-RateLimit-Global": "true", "X-RateLimit-Scope": "global"},
                    retry_after=round(wait, 3),
                    is_global=True,
                )
        is_message = method == "POST" and template == "/channels/{channel_id}/messages"
        limit = self.limits.messages_per_channel if is_message else self.limits.route_per_window
        length = self.limits.messages_window if is_message else self.limits.route_window
        name = f"{method} {template}"
        key = f"{name}:{major}"
        window = self._buckets.setdefault(key, _Window(limit, length))
        wait = window.take(real, clock)
        reset_after = window.reset_after(real, clock)
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(window.remaining()),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket_hash(name),
        }
        if wait > 0:
            self.limited.append(key)
            headers["X-RateLimit-Scope"] = "user"
            return Verdict(headers, retry_after=round(wait, 3))
        return Verdict(headers)

    def rename(self, channel_id: int | str) -> float:
        """One change of a channel's name or topic: 0 when allowed, else the seconds to wait.

        Discord allows two per channel per ten minutes; the third is answered 429 with a
        `retry_after` of up to ten minutes, while the route's bucket still shows requests
        remaining (a sub-limit).
        """
        real, clock = self._clocks()
        window = self._renames.setdefault(
            str(channel_id), _Window(self.limits.renames_per_channel, self.limits.rename_window)
        )
        wait = window.take(real, clock)
        if wait > 0:
            self.limited.append(f"rename:{channel_id}")
        return round(wait, 3)

    # -- invalid requests ----------------------------------------------------------------------

    def _forget_old(self, real: float, clock: datetime) -> None:
        length = self.limits.invalid_window
        while self._invalid and (
            real - self._invalid[0][0] >= length
            or (clock - self._invalid[0][1]).total_seconds() >= length
        ):
            self._invalid.popleft()

    def count_invalid(self, status: int, scope: str | None = None) -> None:
        """Count an answer toward the invalid-request limit if Discord would.

        A 429 with `X-RateLimit-Scope: shared` (a resource's limit, not the bot's) is not counted.
        """
        if status not in INVALID_STATUSES or (status == 429 and scope == "shared"):
            return
        real, clock = self._clocks()
        self._forget_old(real, clock)
        self._invalid.append((real, clock))
        self.invalid_total += 1

    def invalid_recently(self) -> int:
        """401, 403 and 429 answers within the last invalid-request window."""
        real, clock = self._clocks()
        self._forget_old(real, clock)
        return len(self._invalid)

    def banned(self) -> bool:
        """Whether the invalid requests of the last window earned a temporary ban."""
        return self.invalid_recently() >= self.limits.invalid_per_window
