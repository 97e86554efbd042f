"""The databases the tests get on PostgreSQL: none left behind on the server."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from bot.sandbox import databases
from tests.databases import ON_POSTGRESQL

if not ON_POSTGRESQL:
    # One line in `make test`'s summary, beside the header's "PostgreSQL not tried".
    pytest.skip("PostgreSQL only: the test databases made on its server", allow_module_level=True)


def _source() -> databases.PostgresDatabases:
    source = databases.current()
    assert isinstance(source, databases.PostgresDatabases)
    return databases.PostgresDatabases(source.server.render_as_string(hide_password=False))


async def _names(source: databases.PostgresDatabases) -> set[str]:
    plain = source.server.set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(plain)
    try:
        return {str(r[0]) for r in await conn.fetch("SELECT datname FROM pg_database")}
    finally:
        await conn.close()


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


async def test_a_released_database_and_the_template_are_dropped(tmp_path: Path) -> None:
    source = _source()
    url = await source.fresh(tmp_path)
    name = make_url(url).database
    assert name is not None and name in await _names(source)
    await source.release(url)
    await source.settled()
    assert name not in await _names(source)
    kept = make_url(await source.fresh(tmp_path)).database
    await source.close()
    assert not {n for n in await _names(source) if n.startswith(source._prefix)}, kept


async def test_a_template_that_fails_to_migrate_is_not_left_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(_database: object) -> None:
        raise RuntimeError("a migration that fails on PostgreSQL")

    monkeypatch.setattr(databases, "upgrade", broken)
    source = _source()
    with pytest.raises(RuntimeError, match="fails on PostgreSQL"):
        await source.fresh(tmp_path)
    assert f"{source._prefix}_template" not in await _names(source)
    await source.close()


async def test_a_sweep_drops_what_dead_runs_left_and_keeps_what_live_ones_use() -> None:
    source = _source()
    dead = f"tb_{_dead_pid()}_beef_template"
    live = f"tb_{os.getpid()}_cafe_7"
    for name in (dead, live):
        await source._admin(f"CREATE DATABASE {name}")
    try:
        assert dead in await source.sweep()
        left = await _names(source)
        assert dead not in left
        assert live in left
    finally:
        for name in (dead, live):
            await source._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


async def test_the_next_database_is_made_ahead_and_commits_without_waiting_for_the_disk(
    tmp_path: Path,
) -> None:
    source = _source()
    try:
        first = await source.fresh(tmp_path)
        await source.settled()
        ahead = await _names(source)
        second = await source.fresh(tmp_path)
        # The second was there before it was asked for.
        assert make_url(second).database in ahead
        assert make_url(first).database != make_url(second).database
        plain = make_url(second).set(drivername="postgresql")
        conn = await asyncpg.connect(plain.render_as_string(hide_password=False))
        try:
            assert await conn.fetchval("SHOW synchronous_commit") == "off"
            assert await conn.fetchval("SELECT count(*) FROM alembic_version") == 1
        finally:
            await conn.close()
    finally:
        await source.close()
    assert not {n for n in await _names(source) if n.startswith(source._prefix)}
