"""The global pacer keeps the bot under Discord's 50 requests per second, in order."""

from __future__ import annotations

import asyncio

from bot.pacing import GlobalPacer


class FakeTime:
    """A clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def most_in_any_window(sent: list[float], period: float) -> int:
    return max(sum(1 for t in sent if start <= t < start + period) for start in sent)


async def test_a_burst_goes_at_once_up_to_the_limit() -> None:
    """Fifty requests in a row go out without waiting."""
    time = FakeTime()
    pacer = GlobalPacer(50, 1.05, clock=time.clock, sleep=time.sleep)
    for _ in range(50):
        await pacer.wait()
    assert time.slept == [] and pacer.waited == 0


async def test_no_window_of_a_second_ever_holds_more_than_fifty() -> None:
    """Whatever the burst, no 1.05-second window holds more than fifty requests."""
    time = FakeTime()
    pacer = GlobalPacer(50, 1.05, clock=time.clock, sleep=time.sleep)
    sent = []
    for _ in range(500):
        await pacer.wait()
        sent.append(time.now)
    assert most_in_any_window(sent, 1.05) == 50
    assert pacer.waited == 9  # the first request of each later burst waited
    # And no slower than that: 500 requests take nine windows after the first burst.
    assert abs(sent[-1] - sent[0] - 9 * 1.05) < 1e-6


async def test_requests_that_wait_go_in_the_order_they_asked() -> None:
    """Concurrent callers are served first come, first served."""
    time = FakeTime()
    pacer = GlobalPacer(2, 1.0, clock=time.clock, sleep=time.sleep)
    order: list[int] = []

    async def request(n: int) -> None:
        await pacer.wait()
        order.append(n)

    await asyncio.gather(*(request(n) for n in range(7)))
    assert order == list(range(7))


async def test_time_that_passed_frees_the_window() -> None:
    """After a quiet second, a new burst goes at once again."""
    time = FakeTime()
    pacer = GlobalPacer(3, 1.0, clock=time.clock, sleep=time.sleep)
    for _ in range(3):
        await pacer.wait()
    time.now += 1.0
    for _ in range(3):
        await pacer.wait()
    assert time.slept == []
