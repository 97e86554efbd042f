"""Shared fixtures: a running sandbox with the real bot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.sandbox.driver import Sandbox
from tests.sandbox.calendar_check import calendars_agree


@pytest.fixture
async def sb(tmp_path: Path) -> AsyncIterator[Sandbox]:
    """The loopback Discord with the bot logged in and a seeded guild."""
    async with Sandbox.running(tmp_path) as sandbox:
        yield sandbox
        await calendars_agree(sandbox)
