"""Run every `bench/bench_*.py` and write `bench/RESULTS.md`.

    python -m bench [--rows N] [--full] [NAME …]

NAMEs pick the modules whose names contain them; `--rows N` sizes the activity log of the
reports benchmark (bench_reports.py; 200,000 by default, the issue's 1,000,000 with
`--rows 1000000`); `--full` runs the shard benchmark at the issue's size (bench_shards.py:
2,000 servers and 200,000 members instead of 200 and 20,000; `python -m bench shards --full`).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench.core import Figure

HERE = Path(__file__).resolve().parent


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def _row(figure: Figure) -> str:
    def show(value: float | None) -> str:
        return "—" if value is None else f"{value:,.3g}" if value < 100 else f"{value:,.0f}"

    verdict = {True: "✅ met", False: "❌ missed", None: "—"}[figure.met]
    comparator = "≥" if figure.higher_is_better else "≤"
    target = "—" if figure.target is None else f"{comparator} {show(figure.target)} {figure.unit}"
    median = (
        "not yet measurable" if figure.median is None else f"{show(figure.median)} {figure.unit}"
    )
    return f"| {figure.name} | {median} | {target} | {verdict} | {figure.note} |"


def _kept_rows(replaced: list[Figure]) -> list[str]:
    """The table rows of the existing RESULTS.md whose figures `replaced` does not measure."""
    path = HERE / "RESULTS.md"
    if not path.exists():
        return []
    names = {f.name for f in replaced}
    kept = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("| ") or line.startswith("| figure |"):
            continue
        if line.split(" | ", 1)[0][2:] not in names:
            kept.append(line)
    return kept


async def main(selected: list[str]) -> int:
    logging.basicConfig(level=logging.WARNING)
    modules = sorted(p.stem for p in HERE.glob("bench_*.py"))
    if selected:
        modules = [m for m in modules if any(s in m for s in selected)]
    rows: list[Figure] = []
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    for name in modules:
        print(f"running {name} …", flush=True)
        module = importlib.import_module(f"bench.{name}")
        found: list[Figure] = await module.figures()
        for figure in found:
            print("  " + _row(figure), flush=True)
        rows += found
    table = [_row(f) for f in rows]
    date = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    if selected:
        # Some benchmarks only (`python -m bench NAME…`): their rows replace the same figures'
        # rows of the last full run; the others stay as they were, said so below.
        table = _kept_rows(rows) + table
        date += f" ({', '.join(modules)}); other rows from the run before"
    lines = [
        "# Benchmark results",
        "",
        f"- Machine: {_machine()}",
        f"- Load average (1, 5, 15 min) when the run began: {load}; other work on the machine "
        "shares its cores and shows in the tails",
        f"- Date: {date}",
        "- Medians of repeated runs (latency rows: the percentile named); `make bench` "
        "regenerates this file.",
        "",
        "| figure | median | target | verdict | note |",
        "|---|---|---|---|---|",
        *table,
        "",
    ]
    (HERE / "RESULTS.md").write_text("\n".join(lines), encoding="utf-8")
    missed = [f.name for f in rows if f.met is False]
    print(f"\nwrote {HERE / 'RESULTS.md'}" + (f"; MISSED: {missed}" if missed else ""))
    return 1 if missed else 0


def _options(argv: list[str]) -> list[str]:
    """Take `--rows N` and `--full` out of argv (into the environment bench_reports and
    bench_shards read); the rest."""
    from bench.bench_reports import ROWS_ENV
    from bench.bench_shards import FULL_ENV

    rest = []
    words = iter(argv)
    for word in words:
        if word == "--full":
            os.environ[FULL_ENV] = "1"
        elif word == "--rows" or word.startswith("--rows="):
            value = word.partition("=")[2] or next(words, "")
            if not value.replace("_", "").isdigit() or int(value) < 1000:
                raise SystemExit(f"--rows: a number of log rows (at least 1000), not {value!r}")
            os.environ[ROWS_ENV] = str(int(value))
        else:
            rest.append(word)
    return rest


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(_options(sys.argv[1:]))))
