"""`make test` on a fresh clone, as CI runs it: the figure issue 15 asks for (under 4 minutes
on 2 cores).

The clone is of the committed HEAD (what CI would get); its own virtualenv is made and filled
from the package index, as on a new machine, and timed apart from the checks themselves.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import tempfile
import time
from pathlib import Path

from bench.core import Figure

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 240.0


def _timed(command: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, done


def _measure() -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="twinbridge-suite-") as folder:
        clone = Path(folder) / "clone"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        install, done = _timed(["make", "install"], clone)
        if done.returncode != 0:
            return [Figure("make test on a fresh clone", None, "s", TARGET_S, "install failed")]
        checks, done = _timed(["make", "test"], clone)
        lines = done.stdout.strip().splitlines()
        tail = lines[-1:] or ["(no output)"]
        if done.returncode != 0:
            failed = [
                line.split(" - ")[0] for line in lines if line.startswith(("FAILED", "ERROR"))
            ]
            return [
                Figure(
                    "make test on a fresh clone (ruff, mypy, pytest)",
                    None,
                    "s",
                    TARGET_S,
                    f"not measurable: it failed ({tail[0][:120]}; {'; '.join(failed[:5])})",
                )
            ]
    cores = os.cpu_count() or 1
    return [
        Figure(
            "make test on a fresh clone (ruff, mypy, pytest)",
            checks,
            "s",
            TARGET_S,
            f"{cores} cores, pytest-xdist one worker per core; {tail[0][:120]}; "
            f"making the clone's virtualenv took {install:.0f} s more",
        )
    ]


async def figures() -> list[Figure]:
    return await asyncio.to_thread(_measure)
