"""Discord-style rate limits: per-route buckets with Discord's headers, and a global limit."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    """How many requests a window allows. Defaults are Discord's documented figures."""

    global_per_second: int = 50
    messages_per_channel: int = 5
    messages_window: float = 5.0
    route_per_window: int = 50
    route_window: float = 1.0


@dataclass
class _Window:
    limit: int
    length: float
    started: float = 0.0
    used: int = 0

    def take(self, now: float) -> float:
        """Use one request; returns 0 when allowed, else the seconds until the window resets."""
        if now - self.started >= self.length:
            self.started, self.used = now, 0
        if self.used >= self.limit:
            return self.started + self.length - now
        self.used += 1
        return 0.0

    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    def reset_after(self, now: float) -> float:
        return max(0.0, self.started + self.length - now)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome for one request: allowed, or limited and for how long."""

    headers: dict[str, str]
    retry_after: float = 0.0
    is_global: bool = False


class RateLimiter:
    """Counts requests per bucket (route + major parameter) and globally, in real time."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._global = _Window(self.limits.global_per_second, 1.0)
        self._buckets: dict[str, _Window] = {}
        self.limited: list[str] = []

    def check(self, method: str, template: str, major: str, exempt_global: bool) -> Verdict:
        now = time.monotonic()
        if not exempt_global:
            wait = self._global.take(now)
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
        wait = window.take(now)
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(window.remaining()),
            "X-RateLimit-Reset": f"{time.time() + window.reset_after(now):.3f}",
            "X-RateLimit-Reset-After": f"{window.reset_after(now):.3f}",
            "X-RateLimit-Bucket": hashlib.sha1(name.encode()).hexdigest()[:16],
        }
        if wait > 0:
            self.limited.append(key)
            headers["X-RateLimit-Scope"] = "user"
            return Verdict(headers, retry_after=round(wait, 3))
        return Verdict(headers)
