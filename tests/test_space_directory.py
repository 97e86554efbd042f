"""The in-memory directory of paired spaces: read once, forgotten when what it copies changes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from bot.services import prompts as service
from bot.store import Database
from bot.store import prompts as prompt_store
from bot.store.schema import pairs
from tests.test_activity_writer import AT, a_pair


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the directory's reads of a space from the database."""
    counted: list[int] = []
    original = prompt_store.space_info

    async def counting(conn: object, space_id: int) -> prompt_store.SpaceInfo | None:
        counted.append(space_id)
        return await original(conn, space_id)  # type: ignore[arg-type]

    monkeypatch.setattr(prompt_store, "space_info", counting)
    return counted


async def pause(db: Database, pair_id: int) -> None:
    async with db.transaction() as conn:
        await conn.execute(update(pairs).where(pairs.c.id == pair_id).values(status="paused"))


async def test_a_space_is_read_once_and_then_remembered(db: Database, reads: list[int]) -> None:
    """Three look-ups, one read; a channel that is no paired space is remembered too."""
    pair = await a_pair(db)
    spaces = service.SpaceDirectory(db)
    for _ in range(3):
        found = await spaces.space(555, AT)
        assert found is not None and found.pair_id == pair.pair_id
        assert await spaces.space(777, AT) is None
    assert reads == [555, 777]
    assert found.members == {101: pair.ben, 202: pair.ali}


async def test_a_committed_change_to_pairs_is_seen_at_once(db: Database, reads: list[int]) -> None:
    """Pausing the pair (any committed write to a table it was read from) is seen next time."""
    pair = await a_pair(db)
    spaces = service.SpaceDirectory(db)
    assert (await spaces.space(555, AT)).status == "active"  # type: ignore[union-attr]
    await pause(db, pair.pair_id)
    assert (await spaces.space(555, AT)).status == "paused"  # type: ignore[union-attr]
    assert len(reads) == 2


async def test_a_read_that_overlapped_a_commit_is_not_kept(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the pair changed while it was being read, the answer is used once, not remembered."""
    pair = await a_pair(db)
    spaces = service.SpaceDirectory(db)
    original = prompt_store.space_info
    calls = 0

    async def racing(conn: object, space_id: int) -> prompt_store.SpaceInfo | None:
        nonlocal calls
        calls += 1
        found = await original(conn, space_id)  # type: ignore[arg-type]
        if calls == 1:
            await pause(db, pair.pair_id)  # committed while this read was under way
        return found

    monkeypatch.setattr(prompt_store, "space_info", racing)
    assert (await spaces.space(555, AT)).status == "active"  # type: ignore[union-attr]
    assert (await spaces.space(555, AT)).status == "paused"  # type: ignore[union-attr]
    assert calls == 2


async def test_what_is_remembered_is_read_again_after_a_while(
    db: Database, reads: list[int]
) -> None:
    """Another process's writes are not seen by this one: entries last a few minutes only."""
    await a_pair(db)
    spaces = service.SpaceDirectory(db)
    await spaces.space(555, AT)
    await spaces.space(555, AT + spaces.TTL - timedelta(seconds=1))
    await spaces.space(555, AT + spaces.TTL)
    assert reads == [555, 555]


async def test_rolled_back_writes_forget_nothing(db: Database, reads: list[int]) -> None:
    """A transaction that fails changes nothing, so the directory keeps what it knows."""
    pair = await a_pair(db)
    spaces = service.SpaceDirectory(db)
    await spaces.space(555, AT)
    with pytest.raises(RuntimeError):
        async with db.transaction() as conn:
            await conn.execute(
                update(pairs).where(pairs.c.id == pair.pair_id).values(status="paused")
            )
            raise RuntimeError("changed my mind")
    await spaces.space(555, AT)
    assert reads == [555]
