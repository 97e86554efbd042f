"""Staying under Discord's global rate limit instead of bouncing off it.

Discord allows a bot 50 requests per second across all routes (interaction callbacks and their
webhooks are exempt). discord.py only reacts to the 429 after the fact: every 429 counts toward
Discord's 10,000 invalid requests in 10 minutes (then the bot is banned for a while), and
requests already in flight when the limit is reached each meet their own 429, retrying up to
five times before they fail. A class of 200 students moving chess pieces at once, or a prompt
fanned out to 500 spaces, would do exactly that. So the bot paces itself.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable

# Discord's documented global limit.
GLOBAL_REQUESTS_PER_SECOND = 50
# Discord counts requests when they arrive; delays on the way vary by a few milliseconds, so
# the window we keep is a little longer than Discord's second.
MARGIN_S = 0.025


class GlobalPacer:
    """At most `limit` requests in any `period` seconds, first come first served.

    A sliding window: a burst of `limit` goes at once, the next waits until the oldest of those
    is `period` old. That is never more than Discord's fixed or sliding windows allow.
    """

    def __init__(
        self,
        limit: int = GLOBAL_REQUESTS_PER_SECOND,
        period: float = 1.0 + MARGIN_S,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.limit = limit
        self.period = period
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self._turn = asyncio.Lock()  # FIFO: requests go in the order they asked
        self.waited = 0  # how many requests had to wait (for logs and tests)

    async def wait(self) -> None:
        """Return when one more request may go out; records it as sent."""
        async with self._turn:
            waited = False
            while True:
                now = self._clock()
                # (A microsecond of slack: sleeps end on float arithmetic's rounding.)
                while self._sent and now - self._sent[0] >= self.period - 1e-6:
                    self._sent.popleft()
                if len(self._sent) < self.limit:
                    break
                waited = True
                await self._sleep(self._sent[0] + self.period - now)
            self.waited += waited
            self._sent.append(now)
