"""Who talks with whom: optimal cross-city pairs, and triads when the cities are uneven.

A plan is built in two stages, each an assignment problem solved by
`scipy.optimize.linear_sum_assignment`:

1. **Pairs.** Every student of the smaller city is matched to a distinct student of the larger
   city (a rectangular assignment). Nobody is paired within their own city and keep-apart pairs
   are forbidden outright. The objective is lexicographic: first as few pairs across grade
   bands as possible, then as few repeated earlier partners as possible, then the highest
   total compatibility. The first two tiers are penalties sized from the data so that they
   always outweigh everything below them (see `_utility`): a grade band is crossed, or an
   earlier partner repeated, only when no plan can avoid it.
2. **Surplus.** The larger city's unmatched students join existing pairs, in rounds. Each
   round optimally assigns the waiting surplus students to groups, at most one per group,
   scored against *every* current member of the group with the same lexicographic objective
   and keep-apart forbidden with any member. With no more surplus students than pairs this is
   a single round, so each pair gains at most one student (a triad); with more, every pair
   gains one per round and group sizes differ by at most one. Rounds, rather than a single
   assignment to group "seats", let a keep-apart mark between two surplus students hold:
   later rounds see who joined earlier.

If a surplus student fits no group (keep-apart marks with members of every group), that
student is pinned, must be paired in stage 1, and the plan is rebuilt; this repairs the usual
keep-apart dead end. When no plan is found, `PairingError("infeasible")` names the students.

Compatibility of two students (`ScoreWeights`): a weight per shared interest, a weight once
for having any language in common, and a weight per hour that both are awake (07:00-21:00
local time, as in `spaces.py`) when both UTC offsets are known. A group's score sums this
over every two of its members, so a triad's score includes its two same-city members getting
along.

Inputs are sorted by id first, so the same students always give the same plan whatever order
they come in, and ties are broken the same way every time.

**Networks** (`pair_network`, exchanges of more than two cities; a city is any index >= 0):

- Two cities, whatever the policy, take exactly the path above (`pair_students`), so a
  two-city exchange is paired as it always was, as fast.
- Policy *hub*: the hub city's students on one side, every partner city's on the other. That is
  the same bipartite problem, so the same `linear_sum_assignment` path solves it optimally:
  two partner cities are never paired, and surplus students join groups as above.
- Policy *any* (any two different cities): a general graph, not bipartite, so an assignment
  alone does not solve it. Up to `EXACT_LIMIT` students (a few classes, the usual network),
  `networkx.max_weight_matching` (Edmonds' blossom algorithm: exact, maintained) with
  `maxcardinality=True` finds the matching that pairs the most students and, among those, has
  the highest utility (the same lexicographic utility as above). Blossom is pure Python and
  cubic: with the tiered penalties it took minutes for 1,800 students on this machine.
  Beyond the limit the same utility goes to `linear_sum_assignment` over every student
  against every student: a maximum-weight cycle cover (each student "sends" to one and
  "receives" from one, never their own city). Its 2-cycles are pairs; each longer cycle is
  cut into its best set of every other edge (an odd one leaves out the student whose
  absence costs least), and the students left over are covered again among themselves
  until no pair is left to make. This is not guaranteed optimal;
  bench/bench_network_pairing.py measures it against a greedy baseline in the same run.
  Same-city and keep-apart pairs are never made. Students no pair takes (one when the count
  is odd) join groups as the surplus does above.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from itertools import combinations
from typing import Literal, TypeAlias

import networkx as nx
import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_array
from scipy.sparse.csgraph import maximum_bipartite_matching

FloatMatrix: TypeAlias = npt.NDArray[np.float64]
BoolMatrix: TypeAlias = npt.NDArray[np.bool_]
CountMatrix: TypeAlias = npt.NDArray[np.int32]
IndexArray: TypeAlias = npt.NDArray[np.intp]

PairingFailure: TypeAlias = Literal["too_few_students", "one_city_only", "infeasible"]

# In a network under policy 'any', up to how many students the exact blossom matching runs
# (see the module docstring); beyond, the assignment-based cover.
EXACT_LIMIT = 120

_DAY_MINUTES = 24 * 60
_WAKE_MINUTE = 7 * 60
_SLEEP_MINUTE = 21 * 60  # the same waking day as bot.domain.spaces
_AWAKE_MINUTES = _SLEEP_MINUTE - _WAKE_MINUTE
_MAX_OFFSET_MINUTES = 14 * 60  # UTC+14 (Kiribati) is the furthest any zone goes
_ALL_DAY = (1 << _DAY_MINUTES) - 1


class PairStatus(StrEnum):
    """Where a pair stands; the values are what the database stores."""

    ACTIVE = "active"  # its members talk in its space
    PAUSED = "paused"  # a teacher closed its space for review: readable, not writable
    ARCHIVED = "archived"  # ended (a new round, a removal): kept read-only for history


# Pairs whose space is still in use.
LIVE_STATUSES = (PairStatus.ACTIVE, PairStatus.PAUSED)


class PairingError(ValueError):
    """No plan can be made: `reason` is machine-readable, `students` names those concerned."""

    def __init__(self, reason: PairingFailure, students: Iterable[int] = ()) -> None:
        self.reason: PairingFailure = reason
        self.students: tuple[int, ...] = tuple(sorted(students))
        super().__init__(f"{reason}: {list(self.students)}" if self.students else reason)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A student taking part in this round; paused students are simply not passed in.

    `utc_offset_minutes` is the student's offset on the day of pairing (the service resolves
    IANA zones, or passes the city's offset for everyone). None counts as no waking overlap,
    so give every student an offset or none.
    """

    id: int
    city: int  # 0 or 1 for `pair_students`; any index >= 0 for `pair_network`
    grade_band: str
    languages: frozenset[str] = frozenset()
    interests: frozenset[str] = frozenset()
    utc_offset_minutes: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.city, bool) or not isinstance(self.city, int) or self.city < 0:
            raise ValueError(f"city must be an index >= 0, not {self.city!r}")
        offset = self.utc_offset_minutes
        if offset is not None and abs(offset) > _MAX_OFFSET_MINUTES:
            raise ValueError(f"utc_offset_minutes out of range: {offset}")


@dataclass(frozen=True, slots=True)
class ScoreWeights:
    """What each soft criterion adds to two students' compatibility (all finite and >= 0).

    The default language weight outweighs a few shared interests: a pair that cannot talk
    gains little from liking the same things.
    """

    shared_interest: float = 1.0
    common_language: float = 5.0
    waking_overlap_hour: float = 0.1

    def __post_init__(self) -> None:
        for name in ("shared_interest", "common_language", "waking_overlap_hour"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"weight {name} must be finite and >= 0, not {value!r}")


DEFAULT_WEIGHTS = ScoreWeights()


@dataclass(frozen=True, slots=True)
class PairReasons:
    """Why a group is together, as data for the service to put into words.

    `shared_interests`: interests at least two members hold (for a pair: both), sorted.
    `common_languages`: languages every member speaks, sorted.
    `same_grade_band`: every member is in the same grade band.
    `repeats_earlier_partner`: some two members were together in an earlier round.
    `waking_overlap_hours`: hours per day all members are awake, None if an offset is unknown.
    """

    shared_interests: tuple[str, ...]
    common_languages: tuple[str, ...]
    same_grade_band: bool
    repeats_earlier_partner: bool
    waking_overlap_hours: float | None


@dataclass(frozen=True, slots=True)
class PairGroup:
    """A pair, or a pair that surplus students joined.

    `members` lists the city-0 student, the city-1 student (in a network: the pair's two
    students, lower city index first), then those in `joined` (surplus students, in the
    order they joined). `score` is the group's
    compatibility: the sum over every two members.
    """

    members: tuple[int, ...]
    joined: tuple[int, ...]
    reasons: PairReasons
    score: float


@dataclass(frozen=True, slots=True)
class PairingPlan:
    """Every student placed exactly once, groups ordered by their city-0 member's id."""

    groups: tuple[PairGroup, ...]
    total_score: float

    @property
    def crossed_grade_bands(self) -> int:
        """How many groups mix grade bands."""
        return sum(not g.reasons.same_grade_band for g in self.groups)

    @property
    def repeated_partners(self) -> int:
        """How many groups bring earlier partners together again."""
        return sum(g.reasons.repeats_earlier_partner for g in self.groups)


def pair_students(
    candidates: Sequence[Candidate],
    *,
    previous_pairs: Iterable[Collection[int]] = (),
    keep_apart: Iterable[Collection[int]] = (),
    weights: ScoreWeights = DEFAULT_WEIGHTS,
) -> PairingPlan:
    """The optimal plan: fewest grade-band crossings, then fewest repeats, then best score.

    `previous_pairs` are earlier rounds' groups (a triad marks all three as earlier partners);
    `keep_apart` are teachers' marks, never put in one group. Ids of students not among the
    candidates are ignored. Raises `PairingError` when no plan can be made.
    """
    return _plan(candidates, previous_pairs, keep_apart, weights, _optimal_assignment)


def greedy_pairs(
    candidates: Sequence[Candidate],
    *,
    previous_pairs: Iterable[Collection[int]] = (),
    keep_apart: Iterable[Collection[int]] = (),
    weights: ScoreWeights = DEFAULT_WEIGHTS,
) -> PairingPlan:
    """A baseline for benchmarks: as `pair_students`, but every assignment is greedy.

    Greedy takes the best remaining pair first (same lexicographic ranking). It can paint
    itself into a corner that the optimal solver would avoid, raising `PairingError`.
    """
    return _plan(candidates, previous_pairs, keep_apart, weights, _greedy_assignment)


# An assignment takes a utility matrix (-inf = forbidden) and optionally columns that must be
# matched; it returns (row, column) pairs, as many as it can manage.
_Assign: TypeAlias = Callable[[FloatMatrix, BoolMatrix | None], list[tuple[int, int]]]


class _UnplaceableError(Exception):
    """Surplus students (pool indices) that fit no group."""

    def __init__(self, students: IndexArray) -> None:
        super().__init__()
        self.students = students


@dataclass(frozen=True, slots=True)
class _Terms:
    """Pairwise criteria between row students and column students."""

    soft: FloatMatrix
    cross_band: BoolMatrix
    repeat: BoolMatrix
    apart: BoolMatrix


class _Pool:
    """The candidates as arrays, sorted by id, so criteria are computed a matrix at a time."""

    def __init__(
        self,
        candidates: Sequence[Candidate],
        previous_pairs: Iterable[Collection[int]],
        keep_apart: Iterable[Collection[int]],
        weights: ScoreWeights,
    ) -> None:
        self.candidates = tuple(sorted(candidates, key=lambda c: c.id))
        self.ids = [c.id for c in self.candidates]
        if len(set(self.ids)) != len(self.ids):
            raise ValueError("duplicate candidate ids")
        self.position = {cid: i for i, cid in enumerate(self.ids)}
        self.weights = weights
        cands = self.candidates
        self.city = np.array([c.city for c in cands], dtype=np.int32)
        bands = {band: code for code, band in enumerate(sorted({c.grade_band for c in cands}))}
        self.band = np.array([bands[c.grade_band] for c in cands], dtype=np.int32)
        self.interests = _one_hot([c.interests for c in cands])
        self.languages = _one_hot([c.languages for c in cands])
        offsets = [c.utc_offset_minutes for c in cands]
        self.offset = np.array([np.nan if o is None else o for o in offsets], dtype=np.float64)
        self.earlier = self._index_pairs(previous_pairs)
        self.apart = self._index_pairs(keep_apart)
        self.earlier_set = {frozenset(p) for p in self.earlier.tolist()}

    def __len__(self) -> int:
        return len(self.candidates)

    def _index_pairs(self, groups: Iterable[Collection[int]]) -> IndexArray:
        """Every two known students of each group, as pool indices (i < j), sorted."""
        found: set[tuple[int, int]] = set()
        for group in groups:
            known = sorted(self.position[cid] for cid in set(group) if cid in self.position)
            found.update(combinations(known, 2))
        return np.array(sorted(found), dtype=np.intp).reshape(-1, 2)

    def _mark(self, pairs: IndexArray, rows: IndexArray, cols: IndexArray) -> BoolMatrix:
        """Which (row, col) students form one of `pairs`, without an n-by-n matrix."""
        out = np.zeros((rows.size, cols.size), dtype=np.bool_)
        if pairs.size == 0 or out.size == 0:
            return out
        row_at = np.full(len(self), -1, dtype=np.intp)
        col_at = np.full(len(self), -1, dtype=np.intp)
        row_at[rows] = np.arange(rows.size)
        col_at[cols] = np.arange(cols.size)
        for a, b in ((pairs[:, 0], pairs[:, 1]), (pairs[:, 1], pairs[:, 0])):
            r, c = row_at[a], col_at[b]
            hit = (r >= 0) & (c >= 0)
            out[r[hit], c[hit]] = True
        return out

    def terms(self, rows: IndexArray, cols: IndexArray) -> _Terms:
        """All criteria between two sets of students, vectorised."""
        w = self.weights
        soft = w.shared_interest * (self.interests[rows] @ self.interests[cols].T)
        if w.common_language:
            common = (self.languages[rows] @ self.languages[cols].T) > 0
            soft += w.common_language * common
        if w.waking_overlap_hour:
            soft += w.waking_overlap_hour * _overlap_hours(self.offset[rows], self.offset[cols])
        return _Terms(
            soft=soft,
            cross_band=self.band[rows][:, None] != self.band[cols][None, :],
            repeat=self._mark(self.earlier, rows, cols),
            apart=self._mark(self.apart, rows, cols),
        )

    def reasons(self, members: Sequence[int]) -> PairReasons:
        """The explanation of one group (pool indices)."""
        group = [self.candidates[i] for i in members]
        counts = Counter(tag for c in group for tag in c.interests)
        offsets = [c.utc_offset_minutes for c in group]
        return PairReasons(
            shared_interests=tuple(sorted(tag for tag, n in counts.items() if n >= 2)),
            common_languages=tuple(sorted(frozenset.intersection(*(c.languages for c in group)))),
            same_grade_band=len({c.grade_band for c in group}) == 1,
            repeats_earlier_partner=any(
                frozenset(p) in self.earlier_set for p in combinations(members, 2)
            ),
            waking_overlap_hours=_group_overlap_hours(offsets),
        )


def _one_hot(tag_sets: Sequence[frozenset[str]]) -> FloatMatrix:
    """Students x tags, 1.0 where the student has the tag; floats so `@` counts shared tags."""
    vocabulary = {tag: i for i, tag in enumerate(sorted(set().union(*tag_sets)))}
    out = np.zeros((len(tag_sets), len(vocabulary)), dtype=np.float64)
    rows = [i for i, tags in enumerate(tag_sets) for _ in tags]
    cols = [vocabulary[tag] for tags in tag_sets for tag in tags]
    out[rows, cols] = 1.0
    return out


def _overlap_hours(rows: npt.NDArray[np.float64], cols: npt.NDArray[np.float64]) -> FloatMatrix:
    """Hours both are awake, 0 where an offset is unknown (NaN)."""
    if np.isnan(rows).all() or np.isnan(cols).all():
        return np.zeros((rows.size, cols.size), dtype=np.float64)
    # Two equal-length arcs on the 24-hour circle, starting `shift` apart, can overlap at both
    # ends: twelve hours apart, one's morning is the other's evening and the reverse.
    shift = np.mod(cols[None, :] - rows[:, None], _DAY_MINUTES)
    minutes = np.maximum(0.0, _AWAKE_MINUTES - shift)
    minutes += np.maximum(0.0, _AWAKE_MINUTES - (_DAY_MINUTES - shift))
    hours: FloatMatrix = np.nan_to_num(minutes / 60.0, nan=0.0)
    return hours


def _group_overlap_hours(offsets: Sequence[int | None]) -> float | None:
    """Hours per day every member is awake, from one bit per minute of the UTC day."""
    common = _ALL_DAY
    for offset in offsets:
        if offset is None:
            return None
        start = (_WAKE_MINUTE - offset) % _DAY_MINUTES
        awake = ((1 << _AWAKE_MINUTES) - 1) << start
        common &= (awake | (awake >> _DAY_MINUTES)) & _ALL_DAY
    return common.bit_count() / 60.0


def _utility(
    soft: FloatMatrix, cross_band: CountMatrix, repeat: CountMatrix, forbidden: BoolMatrix
) -> FloatMatrix:
    """One matrix to maximise: fewest band crossings, then fewest repeats, then most `soft`.

    Every complete assignment has min(shape) entries, so two of them differ in a lower tier
    by less than min(shape) times that tier's per-entry range; a penalty above that makes
    one violation fewer worth more than any trade-off below it.
    """
    allowed = ~forbidden
    if not allowed.any():
        return np.full(soft.shape, -np.inf)
    entries = min(soft.shape)
    values = soft[allowed]
    span = float(values.max() - values.min()) + 1.0
    repeat_penalty = entries * span
    grade_penalty = entries * (span + repeat_penalty * float(repeat[allowed].max()))
    utility: FloatMatrix = soft - repeat_penalty * repeat - grade_penalty * cross_band
    utility[forbidden] = -np.inf
    return utility


def _optimal_assignment(
    utility: FloatMatrix, must_match: BoolMatrix | None
) -> list[tuple[int, int]]:
    """Maximum-utility assignment; `must_match` columns are kept out of the unmatched rest."""
    rows, cols = utility.shape
    if rows == 0 or cols == 0:
        return []
    cost = -utility
    if must_match is not None and must_match.any() and rows < cols:
        # Dummy rows soak up the columns left unmatched; they may not take a pinned one.
        dummy = np.where(must_match, np.inf, 0.0)
        cost = np.vstack([cost, np.broadcast_to(dummy, (cols - rows, cols))])
    try:
        picked_rows, picked_cols = linear_sum_assignment(cost)
    except ValueError:
        picked_rows, picked_cols = _largest_feasible_assignment(cost)
    return [
        (r, c)
        for r, c in zip(
            np.asarray(picked_rows).tolist(), np.asarray(picked_cols).tolist(), strict=True
        )
        if r < rows
    ]


def _largest_feasible_assignment(cost: FloatMatrix) -> tuple[IndexArray, IndexArray]:
    """When no complete assignment exists: the best one over a maximum matching's students."""
    allowed = csr_array(np.isfinite(cost).astype(np.int8))
    partner = np.asarray(maximum_bipartite_matching(allowed, perm_type="column"), np.intp)
    rows = np.flatnonzero(partner >= 0)
    cols = np.sort(partner[rows])
    if rows.size == 0:
        return rows, cols
    sub_rows, sub_cols = linear_sum_assignment(cost[np.ix_(rows, cols)])
    return rows[np.asarray(sub_rows, np.intp)], cols[np.asarray(sub_cols, np.intp)]


def _greedy_assignment(
    utility: FloatMatrix, must_match: BoolMatrix | None
) -> list[tuple[int, int]]:
    """Best remaining entry first (pinned columns before all others), ties in row-major order."""
    rows, cols = utility.shape
    flat = utility.ravel()
    finite = np.flatnonzero(np.isfinite(flat))
    if must_match is None:
        order = finite[np.argsort(-flat[finite], kind="stable")]
    else:
        order = finite[np.lexsort((-flat[finite], ~must_match[finite % cols]))]
    row_used = np.zeros(rows, dtype=np.bool_)
    col_used = np.zeros(cols, dtype=np.bool_)
    out: list[tuple[int, int]] = []
    for index in order.tolist():
        r, c = divmod(index, cols)
        if not (row_used[r] or col_used[c]):
            row_used[r] = col_used[c] = True
            out.append((r, c))
            if len(out) == min(rows, cols):
                break
    return out


def _plan(
    candidates: Sequence[Candidate],
    previous_pairs: Iterable[Collection[int]],
    keep_apart: Iterable[Collection[int]],
    weights: ScoreWeights,
    assign: _Assign,
) -> PairingPlan:
    """Both stages with the given assignment method, pinning unplaceable surplus students."""
    pool = _Pool(candidates, previous_pairs, keep_apart, weights)
    if (pool.city > 1).any():
        raise ValueError("pair_students takes cities 0 and 1; pair_network takes more")
    if len(pool) < 2:
        raise PairingError("too_few_students", pool.ids)
    city0 = np.flatnonzero(pool.city == 0)
    city1 = np.flatnonzero(pool.city == 1)
    if city0.size == 0 or city1.size == 0:
        raise PairingError("one_city_only", pool.ids)
    small, large = (city0, city1) if city0.size <= city1.size else (city1, city0)

    terms = pool.terms(small, large)
    utility = _utility(
        terms.soft,
        terms.cross_band.astype(np.int32),
        terms.repeat.astype(np.int32),
        terms.apart,
    )
    pinned = np.zeros(large.size, dtype=np.bool_)
    while True:
        matched = assign(utility, pinned if pinned.any() else None)
        stranded = np.setdiff1d(small, small[[r for r, _ in matched]])
        large_used = np.zeros(large.size, dtype=np.bool_)
        large_used[[c for _, c in matched]] = True
        stranded = np.concatenate([stranded, large[pinned & ~large_used]])
        if stranded.size:
            raise PairingError("infeasible", (pool.ids[i] for i in stranded.tolist()))
        pairs = [(int(small[r]), int(large[c])) for r, c in sorted(matched)]
        scores = [float(terms.soft[r, c]) for r, c in sorted(matched)]
        try:
            members, scores = _place_surplus(pool, pairs, scores, large[~large_used], assign)
        except _UnplaceableError as exc:
            newly = np.isin(large, exc.students) & ~pinned
            if not newly.any():
                raise PairingError(
                    "infeasible", (pool.ids[i] for i in exc.students.tolist())
                ) from None
            pinned |= newly
            continue
        return _build(pool, members, scores)


def _place_surplus(
    pool: _Pool,
    pairs: list[tuple[int, int]],
    scores: list[float],
    surplus: IndexArray,
    assign: _Assign,
) -> tuple[list[list[int]], list[float]]:
    """Join the surplus students to the pairs in rounds (see the module docstring)."""
    members = [[a, b] for a, b in pairs]
    scores = list(scores)
    if surplus.size == 0:
        return members, scores
    firsts = np.array([a for a, _ in pairs], dtype=np.intp)
    seconds = np.array([b for _, b in pairs], dtype=np.intp)
    # Criteria of each surplus student against each group, summed over the group's members;
    # updated as students join so later rounds see them.
    with_first, with_second = pool.terms(surplus, firsts), pool.terms(surplus, seconds)
    soft = with_first.soft + with_second.soft
    cross = with_first.cross_band.astype(np.int32) + with_second.cross_band
    repeat = with_first.repeat.astype(np.int32) + with_second.repeat
    forbidden = with_first.apart | with_second.apart
    waiting = np.ones(surplus.size, dtype=np.bool_)
    while waiting.any():
        rows = np.flatnonzero(waiting)
        utility = _utility(soft[rows], cross[rows], repeat[rows], forbidden[rows])
        placed = assign(utility, None)
        if not placed:
            raise _UnplaceableError(surplus[rows])
        newcomers = rows[[r for r, _ in placed]]
        groups = np.array([g for _, g in placed], dtype=np.intp)
        for student, group in zip(newcomers.tolist(), groups.tolist(), strict=True):
            members[group].append(int(surplus[student]))
            scores[group] += float(soft[student, group])
        waiting[newcomers] = False
        rest = np.flatnonzero(waiting)
        if rest.size:
            joined = pool.terms(surplus[rest], surplus[newcomers])
            at = np.ix_(rest, groups)
            soft[at] += joined.soft
            cross[at] += joined.cross_band
            repeat[at] += joined.repeat
            forbidden[at] |= joined.apart
    return members, scores


def _build(pool: _Pool, members: list[list[int]], scores: list[float]) -> PairingPlan:
    groups = []
    for group, score in zip(members, scores, strict=True):
        first, second, *joined = group
        if pool.city[first] > pool.city[second]:
            first, second = second, first
        ordered = [first, second, *joined]
        groups.append(
            PairGroup(
                members=tuple(pool.ids[i] for i in ordered),
                joined=tuple(pool.ids[i] for i in joined),
                reasons=pool.reasons(ordered),
                score=score,
            )
        )
    groups.sort(key=lambda g: g.members[0])
    return PairingPlan(groups=tuple(groups), total_score=math.fsum(g.score for g in groups))


def pair_network(
    candidates: Sequence[Candidate],
    *,
    hub: int | None = None,
    previous_pairs: Iterable[Collection[int]] = (),
    keep_apart: Iterable[Collection[int]] = (),
    weights: ScoreWeights = DEFAULT_WEIGHTS,
    greedy: bool = False,
) -> PairingPlan:
    """The plan for an exchange of any number of cities (`Candidate.city` is the city's index).

    `hub`: the hub city's index for policy 'hub' (its students are paired with the other
    cities'), None for policy 'any' (any two different cities). Never two students of one
    city in a pair; keep-apart and no-repeat as `pair_students`. `greedy` builds the
    benchmarks' baseline instead. Raises `PairingError` when no plan can be made.
    """
    present = sorted({c.city for c in candidates})
    if hub is not None:
        # Hub against everyone else: the two-sided problem, hub as city 0.
        sides = [replace(c, city=0 if c.city == hub else 1) for c in candidates]
        return _two_sided(sides, previous_pairs, keep_apart, weights, greedy)
    if len(present) <= 2:
        index = {city: i for i, city in enumerate(present)}
        sides = [replace(c, city=index[c.city]) for c in candidates]
        return _two_sided(sides, previous_pairs, keep_apart, weights, greedy)
    pool = _Pool(candidates, previous_pairs, keep_apart, weights)
    everyone = np.arange(len(pool), dtype=np.intp)
    terms = pool.terms(everyone, everyone)
    forbidden = terms.apart | (pool.city[:, None] == pool.city[None, :])
    utility = _utility(
        terms.soft, terms.cross_band.astype(np.int32), terms.repeat.astype(np.int32), forbidden
    )
    if greedy:
        pairs = _greedy_matching(utility)
    elif len(pool) <= EXACT_LIMIT:
        pairs = _blossom_matching(utility)
    else:
        pairs = _cover_matching(utility)
    assign = _greedy_assignment if greedy else _optimal_assignment
    if not pairs:
        raise PairingError("infeasible", pool.ids)
    used = np.zeros(len(pool), dtype=np.bool_)
    for a, b in pairs:
        used[a] = used[b] = True
    scores = [float(terms.soft[a, b]) for a, b in pairs]
    try:
        members, scores = _place_surplus(pool, pairs, scores, everyone[~used], assign)
    except _UnplaceableError as exc:
        raise PairingError("infeasible", (pool.ids[i] for i in exc.students.tolist())) from None
    return _build(pool, members, scores)


def _two_sided(
    candidates: Sequence[Candidate],
    previous_pairs: Iterable[Collection[int]],
    keep_apart: Iterable[Collection[int]],
    weights: ScoreWeights,
    greedy: bool,
) -> PairingPlan:
    assign = _greedy_assignment if greedy else _optimal_assignment
    return _plan(candidates, previous_pairs, keep_apart, weights, assign)


def _blossom_matching(utility: FloatMatrix) -> list[tuple[int, int]]:
    """Exact: most students paired, then the highest utility (Edmonds' blossom)."""
    rows, cols = np.nonzero(np.triu(np.isfinite(utility), k=1))
    if rows.size == 0:
        return []
    values = utility[rows, cols]
    # Blossom wants no negative weights; every maximum-cardinality matching has the same
    # number of edges, so a constant shift leaves the best one the best.
    shift = 1.0 - float(values.min())
    graph: nx.Graph[int] = nx.Graph()
    graph.add_weighted_edges_from(
        zip(rows.tolist(), cols.tolist(), (values + shift).tolist(), strict=True)
    )
    matched = nx.max_weight_matching(graph, maxcardinality=True)
    return sorted((min(a, b), max(a, b)) for a, b in matched)


def _cover_matching(utility: FloatMatrix) -> list[tuple[int, int]]:
    """Pairs from maximum-weight cycle covers, cut along their cycles (see the docstring)."""
    allowed = np.isfinite(utility)
    out: list[tuple[int, int]] = []
    waiting = np.arange(utility.shape[0], dtype=np.intp)
    while waiting.size >= 2:
        ok = allowed[np.ix_(waiting, waiting)]
        if not ok.any():
            break
        found = _cut_cycles(utility[np.ix_(waiting, waiting)], ok)
        if not found:
            break
        out += [(int(waiting[a]), int(waiting[b])) for a, b in found]
        used = np.zeros(waiting.size, dtype=np.bool_)
        for a, b in found:
            used[a] = used[b] = True
        waiting = waiting[~used]
    return sorted((min(a, b), max(a, b)) for a, b in out)


def _cut_cycles(utility: FloatMatrix, allowed: BoolMatrix) -> list[tuple[int, int]]:
    """One round: the cycle cover of `utility` and the best alternate edges of each cycle."""
    # A forbidden entry costs more than any cover of allowed ones, so none is taken while a
    # cover without them exists; those taken anyway are dropped in `_best_alternate`.
    big = float(np.abs(utility[allowed]).sum()) + 1.0
    cost = np.where(allowed, -utility, big)
    _rows, successor = linear_sum_assignment(cost)
    successor = np.asarray(successor, dtype=np.intp)
    seen = np.zeros(successor.size, dtype=np.bool_)
    out: list[tuple[int, int]] = []
    for start in range(successor.size):
        cycle = []
        at = start
        while not seen[at]:
            seen[at] = True
            cycle.append(at)
            at = int(successor[at])
        out += _best_alternate(cycle, utility, allowed)
    return out


def _best_alternate(
    cycle: list[int], utility: FloatMatrix, allowed: BoolMatrix
) -> list[tuple[int, int]]:
    """The best set of every other edge of a cycle (one student left out when it is odd):
    most allowed edges, then the highest utility."""
    size = len(cycle)
    if size < 2:
        return []
    nodes = np.array(cycle, dtype=np.intp)
    after = np.roll(nodes, -1)
    edge_ok = allowed[nodes, after]
    weight = np.where(edge_ok, utility[nodes, after], 0.0)
    if size == 2:
        return [(cycle[0], cycle[1])] if edge_ok[0] else []
    count = size // 2
    best: tuple[int, float] | None = None
    best_start = 0
    # Edges start, start + 2, …: an odd cycle leaves out the student just before `start`.
    for start in range(size if size % 2 else 2):
        picked = (start + 2 * np.arange(count)) % size
        key = (int(edge_ok[picked].sum()), float(weight[picked].sum()))
        if best is None or key > best:
            best, best_start = key, start
    picked = (best_start + 2 * np.arange(count)) % size
    return [(int(nodes[i]), int(after[i])) for i in picked.tolist() if edge_ok[i]]


def _greedy_matching(utility: FloatMatrix) -> list[tuple[int, int]]:
    """Best remaining edge first, both students still free; ties in row-major order."""
    n = utility.shape[0]
    upper = np.triu(np.ones((n, n), dtype=np.bool_), k=1) & np.isfinite(utility)
    flat = np.flatnonzero(upper)
    order = flat[np.argsort(-utility.ravel()[flat], kind="stable")]
    used = np.zeros(n, dtype=np.bool_)
    out: list[tuple[int, int]] = []
    for index in order.tolist():
        a, b = divmod(index, n)
        if not (used[a] or used[b]):
            used[a] = used[b] = True
            out.append((a, b))
            if len(out) == n // 2:
                break
    return sorted(out)
