"""Per-user cooldowns: at most `rate` uses in any window of `per`, counted on a sliding log."""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable
from datetime import datetime, timedelta

# Above this many remembered keys, idle ones are dropped so memory stays bounded.
PRUNE_ABOVE = 10_000


class SlidingWindow:
    """Remembers when each key acted, for one kind of action."""

    def __init__(self, rate: int, per: timedelta) -> None:
        if rate < 1 or per <= timedelta(0):
            raise ValueError("a cooldown needs a positive rate and window")
        self.rate = rate
        self.per = per
        self._uses: dict[Hashable, deque[datetime]] = {}

    def _recent(self, key: Hashable, now: datetime) -> deque[datetime]:
        uses = self._uses.get(key, deque())
        while uses and uses[0] <= now - self.per:
            uses.popleft()
        return uses

    def retry_at(self, key: Hashable, now: datetime) -> datetime | None:
        """When `key` may act again, or None if it may act now. Asking does not count a use."""
        uses = self._recent(key, now)
        if len(uses) < self.rate:
            return None
        return uses[0] + self.per

    def hit(self, key: Hashable, now: datetime) -> datetime | None:
        """Count a use now if allowed (None); otherwise when the next use will be allowed."""
        retry = self.retry_at(key, now)
        if retry is None:
            self._uses.setdefault(key, deque()).append(now)
            if len(self._uses) > PRUNE_ABOVE:
                self._forget_idle(now)
        return retry

    def refund(self, key: Hashable, at: datetime) -> None:
        """Take back a use counted at `at` (the action it was for did not happen)."""
        uses = self._uses.get(key)
        if uses is not None and at in uses:
            uses.remove(at)

    def _forget_idle(self, now: datetime) -> None:
        for key in [k for k, uses in self._uses.items() if not uses or uses[-1] <= now - self.per]:
            del self._uses[key]


class Cooldowns:
    """Every named cooldown of the bot; one bucket may be shared by several commands."""

    def __init__(self) -> None:
        self._windows: dict[str, SlidingWindow] = {}

    def hit(
        self, bucket: str, key: Hashable, now: datetime, *, rate: int, per: timedelta
    ) -> datetime | None:
        """Count a use of `bucket` by `key`; None when allowed, else when to retry."""
        window = self._windows.get(bucket)
        if window is None or (window.rate, window.per) != (rate, per):
            window = self._windows[bucket] = SlidingWindow(rate, per)
        return window.hit(key, now)

    def refund(self, bucket: str, key: Hashable, at: datetime) -> None:
        """Take back the use of `bucket` by `key` counted at `at`: what it was for was refused
        (a wrong student, another exchange…) or never done, so it floods nobody."""
        window = self._windows.get(bucket)
        if window is not None:
            window.refund(key, at)
