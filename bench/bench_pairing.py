"""Pairing speed at 300×300 and 2,000×2,000 students, and how much better than greedy it pairs.

The pools look like real exchanges: three age bands, two languages per city with English on
both sides for some, a handful of interests from the curated list, Chicago and Baghdad
offsets, and one earlier round to avoid repeating plus a few keep-apart marks.
"""

from __future__ import annotations

import random
from typing import Literal

from bench.core import Figure, median_ms, time_sync
from bot.domain.exchange import GRADE_BANDS, INTERESTS
from bot.domain.pairing import Candidate, PairingPlan, greedy_pairs, pair_students

TARGETS_MS = {300: 50.0, 2000: 2000.0}


def pool(per_city: int, seed: int = 7) -> list[Candidate]:
    """`per_city` students in each city, drawn the same way every run."""
    rng = random.Random(seed)
    people = []
    for i in range(2 * per_city):
        city: Literal[0, 1] = 0 if i < per_city else 1
        spoken = ["en", "es"] if city == 0 else ["ar", "en"]
        people.append(
            Candidate(
                id=i,
                city=city,
                grade_band=rng.choice(GRADE_BANDS),
                languages=frozenset(rng.sample(spoken, rng.randint(1, 2))),
                interests=frozenset(rng.sample(INTERESTS, rng.randint(1, 5))),
                utc_offset_minutes=-360 if city == 0 else 180,
            )
        )
    return people


def history(
    students: list[Candidate], marks: int, seed: int = 11
) -> tuple[list[frozenset[int]], list[frozenset[int]]]:
    """One earlier round (a random cross-city matching) and a few keep-apart marks."""
    rng = random.Random(seed)
    first = [c.id for c in students if c.city == 0]
    second = [c.id for c in students if c.city == 1]
    rng.shuffle(second)
    earlier = [frozenset(p) for p in zip(first, second, strict=False)]
    apart = [frozenset(rng.sample(first + second, 2)) for _ in range(marks)]
    return earlier, apart


def _note(optimal: PairingPlan, greedy: PairingPlan) -> str:
    gain = (optimal.total_score - greedy.total_score) / greedy.total_score * 100
    return (
        f"total score {optimal.total_score:,.0f} vs greedy {greedy.total_score:,.0f} "
        f"(+{gain:.1f}%); band crossings {optimal.crossed_grade_bands} vs "
        f"{greedy.crossed_grade_bands}; repeats {optimal.repeated_partners} vs "
        f"{greedy.repeated_partners}"
    )


async def figures() -> list[Figure]:
    """Median time of `pair_students` per size, with the score beside greedy's in the note."""
    found = []
    for per_city, target in TARGETS_MS.items():
        students = pool(per_city)
        earlier, apart = history(students, marks=per_city // 20)

        def optimal(
            s: list[Candidate] = students,
            e: list[frozenset[int]] = earlier,
            a: list[frozenset[int]] = apart,
        ) -> PairingPlan:
            return pair_students(s, previous_pairs=e, keep_apart=a)

        samples = time_sync(optimal, repeat=7 if per_city <= 300 else 3)
        plan = optimal()
        baseline = greedy_pairs(students, previous_pairs=earlier, keep_apart=apart)
        found.append(
            Figure(
                name=f"pair_students {per_city}×{per_city}",
                median=median_ms(samples),
                unit="ms",
                target=target,
                note=_note(plan, baseline),
            )
        )
        found.append(
            Figure(
                name=f"total score {per_city}×{per_city}, optimal (target: greedy's)",
                median=plan.total_score,
                unit="points",
                target=baseline.total_score,
                note="same students, same hard rules; greedy takes the best remaining pair first",
                higher_is_better=True,
            )
        )
    return found
