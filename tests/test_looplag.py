"""The sandbox's loop-lag monitor: work that holds the event loop fails the test."""

from __future__ import annotations

import asyncio
import time

from bot.sandbox.looplag import LoopWatch


def _compute(seconds: float) -> None:
    """CPU work on the loop's thread, as a handler that forgets to hand it to a thread."""
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


async def test_a_handler_computing_on_the_loop_is_reported() -> None:
    reports: list[str] = []
    watch = LoopWatch(reports.append, limit=0.1)
    watch.start()
    await asyncio.sleep(0.05)
    _compute(0.25)
    await asyncio.sleep(0.05)
    await watch.stop()
    assert len(reports) == 1
    assert "the event loop was blocked for" in reports[0]
    assert watch.worst >= 0.2


async def test_work_handed_to_a_thread_is_not() -> None:
    reports: list[str] = []
    watch = LoopWatch(reports.append, limit=0.1)
    watch.start()
    await asyncio.to_thread(_compute, 0.25)
    await asyncio.sleep(0.05)
    await watch.stop()
    assert reports == []


async def test_a_pause_covers_work_that_is_not_an_answer() -> None:
    reports: list[str] = []
    watch = LoopWatch(reports.append, limit=0.1)
    watch.start()
    await asyncio.sleep(0.03)
    with watch.pause():
        _compute(0.2)
        await asyncio.sleep(0.03)
    await asyncio.sleep(0.05)
    await watch.stop()
    assert reports == []


async def test_garbage_collections_are_not_the_bots_work() -> None:
    """A full collection of a test process's large heap is not counted (production freezes
    the bot's start-up heap out of collections)."""
    import gc

    heap = [[i] for i in range(300_000)]
    reports: list[str] = []
    watch = LoopWatch(reports.append, limit=0.005)
    watch.start()
    await asyncio.sleep(0.03)
    began = time.thread_time()
    gc.collect()
    spent = time.thread_time() - began
    await asyncio.sleep(0.05)
    await watch.stop()
    del heap
    assert spent > watch.limit  # the collection alone would have been reported
    assert watch.collected >= spent * 0.9
    assert reports == []
