"""Pairing in a network of many cities: no same-city pair, surplus triads, the hub policy."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from bot.domain.pairing import (
    EXACT_LIMIT,
    Candidate,
    PairingError,
    pair_network,
    pair_students,
)

INTERESTS = ("art", "chess", "football", "music", "robots", "science")


def pool(sizes: tuple[int, ...], seed: int = 3) -> list[Candidate]:
    rng = random.Random(seed)
    out = []
    for city, size in enumerate(sizes):
        for _ in range(size):
            out.append(
                Candidate(
                    id=len(out) + 1,
                    city=city,
                    grade_band=rng.choice(("10-12", "13-15")),
                    languages=frozenset(rng.sample(("en", "fr", "zh"), rng.randint(1, 2))),
                    interests=frozenset(rng.sample(INTERESTS, rng.randint(0, 3))),
                    utc_offset_minutes=rng.choice((-300, 0, 480)),
                )
            )
    return out


def city_of(students: list[Candidate]) -> dict[int, int]:
    return {c.id: c.city for c in students}


@pytest.mark.parametrize(
    "sizes", [(4, 4, 4), (5, 3, 2), (3, 3, 3, 2), (7, 1, 1), (2, 2, 2, 2, 2, 1)]
)
def test_any_policy_never_pairs_one_city_and_places_everyone(sizes: tuple[int, ...]) -> None:
    students = pool(sizes)
    plan = pair_network(students)
    where = city_of(students)
    placed = [m for g in plan.groups for m in g.members]
    assert sorted(placed) == sorted(where)
    for group in plan.groups:
        first, second = group.members[:2]
        assert where[first] != where[second]
        assert where[first] <= where[second]
    # Groups of three only for the surplus: as many pairs as the largest city allows.
    biggest = max(sizes)
    rest = sum(sizes) - biggest
    pairs_possible = min(sum(sizes) // 2, rest)
    assert len(plan.groups) == pairs_possible


def test_odd_count_leaves_exactly_one_triad() -> None:
    students = pool((3, 3, 3))
    plan = pair_network(students)
    sizes = Counter(len(g.members) for g in plan.groups)
    assert sizes == Counter({2: 3, 3: 1})
    assert [len(g.joined) for g in plan.groups if len(g.members) == 3] == [1]


def test_hub_policy_pairs_partners_with_the_hub_only() -> None:
    students = pool((4, 2, 2, 2))  # hub 0 with four students, three partner cities
    where = city_of(students)
    plan = pair_network(students, hub=0)
    for group in plan.groups:
        first, second, *joined = group.members
        assert where[first] == 0 and where[second] != 0
        # A partner student joins as surplus only; never a partner-partner pair.
        assert all(where[j] != 0 for j in joined)
    assert len(plan.groups) == 4
    assert sum(len(g.joined) for g in plan.groups) == 2


def test_hub_without_students_cannot_pair() -> None:
    students = [c for c in pool((2, 2, 2)) if c.city != 0]
    with pytest.raises(PairingError) as err:
        pair_network(students, hub=0)
    assert err.value.reason == "one_city_only"
    # The same students under 'any' are fine.
    assert len(pair_network(students).groups) == 2


def test_keep_apart_and_no_repeat_hold_in_a_network() -> None:
    students = pool((2, 2, 2))
    ids = [c.id for c in students]
    first = pair_network(students)
    apart = [frozenset(g.members) for g in first.groups][:1]
    again = pair_network(
        students, previous_pairs=[g.members for g in first.groups], keep_apart=apart
    )
    assert again.repeated_partners == 0
    assert all(not apart[0] <= set(g.members) for g in again.groups)
    assert sorted(m for g in again.groups for m in g.members) == ids


def test_keep_apart_with_everyone_else_is_infeasible() -> None:
    students = pool((1, 1, 1))
    with pytest.raises(PairingError):
        pair_network(students, keep_apart=[(1, 2), (1, 3), (2, 3)])


def test_two_cities_take_todays_path_whatever_their_indices() -> None:
    """Cities 0 and 2 of a network (city 1 removed) pair exactly as a two-city exchange."""
    students = pool((5, 4))
    today = pair_students(students)
    shifted = [
        Candidate(c.id, c.city * 2, c.grade_band, c.languages, c.interests, c.utc_offset_minutes)
        for c in students
    ]
    assert pair_network(shifted) == today
    assert pair_network(students, hub=0) == today


def test_optimal_is_at_least_greedy() -> None:
    students = pool((12, 10, 9, 8, 6, 5), seed=9)
    optimal = pair_network(students)
    greedy = pair_network(students, greedy=True)
    assert (optimal.crossed_grade_bands, optimal.repeated_partners) <= (
        greedy.crossed_grade_bands,
        greedy.repeated_partners,
    )
    if optimal.crossed_grade_bands == greedy.crossed_grade_bands:
        assert optimal.total_score >= greedy.total_score - 1e-9


def test_pair_students_refuses_a_third_city() -> None:
    with pytest.raises(ValueError):
        pair_students(pool((1, 1, 1)))


def test_a_large_network_keeps_every_hard_rule() -> None:
    """Beyond EXACT_LIMIT students the cycle-cover path: every student placed once, no pair
    of one city, keep-apart held, and nearly as many pairs as the cities allow (the cover is
    not exact: students its cycles leave over, if of one city, join groups)."""
    students = pool((50, 45, 40), seed=5)
    assert len(students) > EXACT_LIMIT
    where = city_of(students)
    apart = [frozenset({1, 60}), frozenset({2, 100})]
    plan = pair_network(students, keep_apart=apart)
    placed = [m for g in plan.groups for m in g.members]
    assert sorted(placed) == sorted(where)
    for group in plan.groups:
        assert where[group.members[0]] != where[group.members[1]]
        assert not any(pair <= set(group.members) for pair in apart)
    assert len(students) // 2 - 2 <= len(plan.groups) <= len(students) // 2
