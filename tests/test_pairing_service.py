"""What the pairing service keeps between calls lives in the service, not in the module."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection, Iterable, Sequence
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.domain.pairing import Candidate, PairingPlan, pair_students
from bot.services import pairing as service
from bot.store import Database, create_database

STUDENTS = [
    Candidate(id=1, city=0, grade_band="13-15", languages=frozenset({"en"})),
    Candidate(id=2, city=1, grade_band="13-15", languages=frozenset({"ar", "en"})),
    Candidate(id=3, city=0, grade_band="13-15", languages=frozenset({"es"})),
    Candidate(id=4, city=1, grade_band="13-15", languages=frozenset({"ar"})),
]


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = create_database(database_url)
    yield database
    await database.dispose()


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the plans actually computed."""
    counted: list[int] = []

    def counting(
        candidates: Sequence[Candidate],
        *,
        previous_pairs: Iterable[Collection[int]] = (),
        keep_apart: Iterable[Collection[int]] = (),
        **kwargs: Any,
    ) -> PairingPlan:
        counted.append(len(candidates))
        return pair_students(
            candidates, previous_pairs=previous_pairs, keep_apart=keep_apart, **kwargs
        )

    monkeypatch.setattr(service, "pair_students", counting)
    return counted


async def test_callers_at_once_share_one_plan_and_later_ones_reuse_it(
    db: Database, computed: list[int]
) -> None:
    """Teachers previewing the same roster together wait for one computation; paging later
    reuses its plan."""
    pairing = service.PairingService(db, ManualClock())
    first, second = await asyncio.gather(
        pairing.optimal_plan(STUDENTS, [], []), pairing.optimal_plan(STUDENTS, [], [])
    )
    assert first is second and computed == [4]
    assert await pairing.optimal_plan(STUDENTS, [], []) is first
    assert computed == [4]


async def test_another_bot_keeps_nothing_of_the_first(db: Database, computed: list[int]) -> None:
    """A second service (a new bot, e.g. after a restart in the same process) computes its
    own plan: nothing is left over in the module."""
    await service.PairingService(db, ManualClock()).optimal_plan(STUDENTS, [], [])
    await service.PairingService(db, ManualClock()).optimal_plan(STUDENTS, [], [])
    assert computed == [4, 4]


async def test_only_the_last_plans_are_kept(db: Database, computed: list[int]) -> None:
    """Plans of rosters no longer asked for are dropped, the oldest first."""
    pairing = service.PairingService(db, ManualClock())
    kept = pairing.KEPT_PLANS
    rosters = [
        [*STUDENTS[:2], Candidate(id=10 + n, city=0, grade_band="13-15")] for n in range(kept + 1)
    ]
    for roster in rosters:
        await pairing.optimal_plan(roster, [], [])
    await pairing.optimal_plan(rosters[-1], [], [])
    assert len(computed) == kept + 1
    await pairing.optimal_plan(rosters[0], [], [])
    assert len(computed) == kept + 2
