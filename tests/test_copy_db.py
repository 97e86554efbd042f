"""`twinbridge copy-db`: a SQLite deployment copied into an empty database (PostgreSQL when the
suite runs with TEST_DATABASE_URL, else another SQLite file), checked, and refused when the
target is not empty."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.sandbox.driver import Sandbox
from bot.services.copy_db import CopyError, copy_database, figures
from bot.store import copying, create_database
from bot.store.engine import DatabaseUnreachableError, wait_until_reachable
from bot.store.schema import activity
from tests.sandbox.world import make_world
from tests.test_cli import run_cli

AT = datetime(2026, 10, 7, 9, tzinfo=UTC)


async def a_deployment(folder: Path) -> str:
    """A SQLite database the bot has used: an exchange, students in both cities, activity."""
    url = f"sqlite+aiosqlite:///{folder / 'twinbridge.db'}"
    async with Sandbox.running(folder, database_url=url) as sb:
        world = await make_world(sb)
        for name, city in (("Ben", 0), ("Ali", 1), ("Sara", 0), ("Zainab", 1)):
            await world.add_student(name, city)
        await sb.command(world.students["Ali"], "about")
    return url


async def test_a_deployment_is_copied_whole_and_checked(
    tmp_path: Path, empty_database_url: str
) -> None:
    """Every row arrives (counts per table equal), every /report figure is the same, and the
    copy keeps working: a new row gets a fresh id."""
    source_url = await a_deployment(tmp_path / "source")
    done = await copy_database(source_url, empty_database_url, batch=7)
    assert done.exchanges == 1 and sum(done.rows.values()) > 15

    source, target = create_database(source_url), create_database(empty_database_url)
    try:
        async with source.read() as conn:
            before = await copying.row_counts(conn)
            last_id = await conn.scalar(select(func.max(activity.c.id)))
        async with target.read() as conn:
            after = await copying.row_counts(conn)
        assert before == after and before["participants"] >= 4 and before["activity"] > 0
        count, theirs = await figures(source, AT)
        assert count == 1 and theirs == (await figures(target, AT))[1]
        async with target.transaction() as conn:
            await conn.execute(activity.insert().values(at=AT, guild_id=1, kind="x", details="{}"))
        async with target.read() as conn:
            newest = await conn.scalar(select(func.max(activity.c.id)))
        # The id sequence was moved past the copied ids (else: a duplicate key here).
        assert last_id is not None and newest == last_id + 1
    finally:
        await source.dispose()
        await target.dispose()


async def test_a_target_that_is_not_empty_is_refused(tmp_path: Path, database_url: str) -> None:
    """A database with tables (here one already migrated) is never written to."""
    source_url = await a_deployment(tmp_path / "source")
    with pytest.raises(CopyError, match="TARGET is not empty"):
        await copy_database(source_url, database_url)
    target = create_database(database_url)
    try:
        async with target.read() as conn:
            assert not any((await copying.row_counts(conn)).values())
    finally:
        await target.dispose()


def test_the_command_refuses_a_target_that_is_not_empty_in_one_line(
    tmp_path: Path, database_url: str
) -> None:
    """`copy-db` as typed: a non-empty target is one line, exit status 1, no traceback."""
    source = f"sqlite+aiosqlite:///{tmp_path / 'none.db'}"
    result = run_cli("copy-db", source, database_url, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("Not copied: ") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


async def test_an_unreachable_server_is_retried_then_one_line_without_the_password() -> None:
    """Nothing listens on port 9: each try is logged, then one error names the server."""
    db = create_database("postgresql+asyncpg://tb:hunter2@127.0.0.1:9/twinbridge")
    try:
        with pytest.raises(DatabaseUnreachableError) as caught:
            await wait_until_reachable(db, attempts=2, first_delay=0.01)
    finally:
        await db.dispose()
    message = str(caught.value)
    assert "hunter2" not in message and "\n" not in message
    assert "127.0.0.1:9/twinbridge" in message and "tried 2 times" in message
