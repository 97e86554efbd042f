"""Which database this test run uses, for tests that only mean something on one of them."""

from __future__ import annotations

import pytest

from bot.sandbox import databases

ON_POSTGRESQL = databases.current().dialect == "postgresql"


def sqlite_only(reason: str) -> pytest.MarkDecorator:
    """Skip on PostgreSQL, saying why the test is about SQLite itself (its file, WAL…)."""
    return pytest.mark.skipif(ON_POSTGRESQL, reason=f"SQLite only: {reason}")
