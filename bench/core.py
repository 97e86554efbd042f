"""What a benchmark reports, and how to time something repeatably."""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured figure: its median beside its target (lower is better unless `higher`)."""

    name: str
    median: float | None  # None: not yet measurable (say why in `note`)
    unit: str
    target: float | None
    note: str = ""
    higher_is_better: bool = False

    @property
    def met(self) -> bool | None:
        """Whether the target is met; None when there is no figure or no target."""
        if self.median is None or self.target is None:
            return None
        return self.median >= self.target if self.higher_is_better else self.median <= self.target


def time_sync(fn: Callable[[], object], *, repeat: int = 7, warmup: int = 1) -> list[float]:
    """Wall-clock seconds of `repeat` calls of `fn`, after `warmup` unmeasured calls."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


async def time_async(
    fn: Callable[[], Awaitable[object]], *, repeat: int = 7, warmup: int = 1
) -> list[float]:
    """As `time_sync`, for a coroutine function."""
    for _ in range(warmup):
        await fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        await fn()
        samples.append(time.perf_counter() - start)
    return samples


def median_ms(samples: list[float]) -> float:
    """The median of samples in seconds, as milliseconds."""
    return statistics.median(samples) * 1000.0


def percentile(samples: list[float], p: float) -> float:
    """The p-th percentile (0-100) of samples, by nearest rank."""
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(p / 100.0 * len(ordered) + 0.5) - 1))
    return ordered[rank]
