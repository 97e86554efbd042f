"""A loop-lag monitor: the bot must never keep the event loop from running for long.

Every other member's interaction waits while one handler computes on the loop; Discord gives
each only 3 seconds. The monitor sleeps `tick` seconds again and again and looks at how late
it wakes. A wake-up later than `limit` *and* that much work done on the loop's own thread in
between is a problem the sandbox reports (the test fails). Counting the thread's CPU time
keeps a machine shared with other work, which only delays the loop, from failing a test.
Garbage collections are not counted either: a test process's heap (pytest, hypothesis, many
bots) is not the bot's, and in production the bot freezes its start-up heap out of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import Callable, Iterator

LIMIT = 0.1
TICK = 0.02


class LoopWatch:
    """Reports each time the running loop was blocked for longer than `limit` seconds."""

    def __init__(
        self, report: Callable[[str], None], limit: float = LIMIT, tick: float = TICK
    ) -> None:
        self.report = report
        self.limit = limit
        self.tick = tick
        self.worst = 0.0  # the longest block seen, in seconds
        self.paused = False
        self._task: asyncio.Task[None] | None = None
        self._collecting = 0.0  # thread time at which the current collection began
        self.collected = 0.0  # seconds spent in garbage collections so far

    def _on_collection(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._collecting = time.thread_time()
        else:
            self.collected += time.thread_time() - self._collecting

    def start(self) -> None:
        if self._task is None:
            gc.callbacks.append(self._on_collection)
            self._task = asyncio.get_running_loop().create_task(
                self._watch(), name="sandbox-loop-watch"
            )

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            gc.callbacks.remove(self._on_collection)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    @contextlib.contextmanager
    def pause(self) -> Iterator[None]:
        """Not watched inside: the bot starting (importing its extensions) is not a request."""
        before, self.paused = self.paused, True
        try:
            yield
        finally:
            self.paused = before

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            wall, cpu, collected = loop.time(), time.thread_time(), self.collected
            await asyncio.sleep(self.tick)
            garbage = self.collected - collected
            late = loop.time() - wall - self.tick - garbage
            busy = time.thread_time() - cpu - garbage
            blocked = min(late, busy)
            if self.paused:
                continue
            self.worst = max(self.worst, blocked)
            if blocked > self.limit:
                self.report(
                    f"the event loop was blocked for {late * 1000:.0f} ms "
                    f"({busy * 1000:.0f} ms of work on its thread; at most "
                    f"{self.limit * 1000:.0f} ms allowed)"
                )
