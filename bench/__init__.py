"""`make bench`: Twinbridge's speed, measured against Discord's own limits.

Each `bench/bench_*.py` module exposes `async def figures() -> list[Figure]`. The runner calls
them in name order and writes `bench/RESULTS.md`: the machine, the date, and each figure's
median beside its target. A figure that misses its target is a bug to fix, not one to hide.
"""
