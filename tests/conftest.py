"""Shared fixtures: a running sandbox with the real bot; the demo's output."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.sandbox.driver import Sandbox


@pytest.fixture
async def sb(tmp_path: Path) -> AsyncIterator[Sandbox]:
    """The loopback Discord with the bot logged in and a seeded guild."""
    async with Sandbox.running(tmp_path) as sandbox:
        yield sandbox


@pytest.fixture(scope="session")
def demo_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What `make demo` writes (transcript.txt, index.html and the files beside them), made
    once per test process, as `python -m bot demo` makes it (its own event loop): the demo
    takes a while, and tests/test_demo.py and tests/browser/ only read it."""
    from bot.demo import run_demo

    out = tmp_path_factory.mktemp("demo")
    assert asyncio.run(run_demo(str(out))) == 0
    return out
