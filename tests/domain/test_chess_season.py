"""The league's schedule, boards and standings, against examples worked out by hand."""

from __future__ import annotations

from collections import Counter
from itertools import combinations

import pytest

from bot.domain.chess_season import (
    CityStanding,
    Entrant,
    Fixture,
    Lineup,
    MatchResult,
    lineup,
    round_robin,
    standings,
)

A, B, C, D = 1, 2, 3, 4
NAMES = {A: "Accra", B: "Beijing", C: "Chisinau", D: "Dakar"}


def test_four_cities_by_hand() -> None:
    # Circle method, 1 fixed: [1,2,3,4] -> [1,4,2,3] -> [1,3,4,2]; the fixed city's side swaps.
    assert round_robin([A, B, C, D]) == (
        Fixture(1, ((A, D), (C, B)), None),
        Fixture(2, ((C, A), (B, D)), None),
        Fixture(3, ((A, B), (D, C)), None),
    )


def test_three_cities_each_rest_once() -> None:
    assert round_robin([A, B, C]) == (
        Fixture(1, ((C, B),), A),
        Fixture(2, ((C, A),), B),
        Fixture(3, ((A, B),), C),
    )


@pytest.mark.parametrize("count", range(2, 10))
def test_every_city_meets_every_other_once(count: int) -> None:
    cities = list(range(10, 10 + count))
    rounds = round_robin(cities)
    met = [frozenset(m) for r in rounds for m in r.matches]
    assert sorted(met, key=sorted) == sorted(
        (frozenset(p) for p in combinations(cities, 2)), key=sorted
    )
    for fixture in rounds:
        playing = [c for m in fixture.matches for c in m]
        assert len(playing) == len(set(playing))  # nobody plays twice in a round
        assert set(playing) | ({fixture.bye} if fixture.bye else set()) == set(cities)
    byes = [r.bye for r in rounds if r.bye is not None]
    assert sorted(byes) == (sorted(cities) if count % 2 else [])
    assert len(rounds) == (count if count % 2 else count - 1)
    homes = [m[0] for r in rounds for m in r.matches]
    # Nobody is at home in every match nor away in every match (from four cities on).
    if count >= 4:
        assert all(0 < homes.count(c) < len(rounds) - (1 if count % 2 else 0) for c in cities)


def test_a_league_of_one_city_or_a_city_twice_is_refused() -> None:
    with pytest.raises(ValueError):
        round_robin([A])
    with pytest.raises(ValueError):
        round_robin([A, A, B])


def test_boards_pair_best_with_best_and_the_bigger_sides_last_sit_out() -> None:
    home = [Entrant(1, 1500), Entrant(2, 1600), Entrant(3, 1500)]
    away = [Entrant(10, 1400), Entrant(11, 1700)]
    # Home by rating: 2 (1600), then 1 and 3 (1500: the lower id first); away: 11, 10.
    assert lineup(home, away) == Lineup(((2, 11), (1, 10)), (3,), "home")
    assert lineup(away, home) == Lineup(((11, 2), (10, 1)), (3,), "away")
    assert lineup(home[:2], away) == Lineup(((2, 11), (1, 10)))
    assert lineup(home, []) == Lineup((), (2, 1, 3), "home")


def test_sitting_out_goes_round_the_bigger_side() -> None:
    """Five players against three, over a season: each round those who played fewest play,
    so all five sit out in turn (never the same two lowest-rated every round)."""
    home = [Entrant(p, 1500 - 10 * p) for p in (1, 2, 3, 4, 5)]
    away = [Entrant(p, 1500) for p in (10, 11, 12)]
    played: Counter[int] = Counter()
    out: Counter[int] = Counter()
    for _ in range(5):
        plan = lineup(home, away, played)
        assert len(plan.boards) == 3 and plan.sitting_out_side == "home"
        # Boards still pair by rating, best with best, among those who play.
        ratings = {e.player: e.rating for e in home}
        assert [ratings[h] for h, _ in plan.boards] == sorted(
            (ratings[h] for h, _ in plan.boards), reverse=True
        )
        played.update(p for board in plan.boards for p in board)
        out.update(plan.sitting_out)
    # 5 rounds × 2 sitting out = 10: each of the five sits out exactly twice.
    assert out == Counter({1: 2, 2: 2, 3: 2, 4: 2, 5: 2})
    assert all(played[p] == 5 for p in (10, 11, 12))


def test_a_newcomer_plays_before_those_who_have_played_more() -> None:
    home = [Entrant(1, 1800), Entrant(2, 1700), Entrant(3, 1000)]
    away = [Entrant(10, 1500), Entrant(11, 1500)]
    # Player 3 (the lowest-rated) joined late: the best-rated, with more boards, sits out.
    assert lineup(home, away, {1: 2, 2: 1}) == Lineup(((2, 10), (3, 11)), (1,), "home")


def test_match_points_win_two_draw_one_loss_nothing() -> None:
    assert MatchResult(A, B, (1, 1, 0.5, 0)).match_points() == (2, 0)  # 2½–1½
    assert MatchResult(A, B, (1, 0, 0.5, 0.5)).match_points() == (1, 1)  # 2–2
    assert MatchResult(A, B, (0, 0.5)).match_points() == (0, 2)
    assert MatchResult(A, B, (1, None)).match_points() is None  # a game still going
    assert MatchResult(A, B, (), away_fielded=False).match_points() == (2, 0)
    assert MatchResult(A, B, (), home_fielded=False, away_fielded=False).match_points() == (0, 0)


def test_three_city_table_by_hand() -> None:
    matches = [
        MatchResult(A, B, (1, 1, 0.5, 0)),  # Accra 2½–1½ Beijing: 2–0
        MatchResult(B, C, (0.5, 0.5, 0.5, 0.5)),  # 2–2: 1–1
        MatchResult(C, A, (1, 0, 1, 0)),  # 2–2: 1–1
    ]
    table = standings([A, B, C], matches, NAMES)
    # MP: Accra 2+1=3, Chisinau 1+1=2, Beijing 0+1=1. GP: 4½, 4, 3½.
    # SB: Accra beat Beijing (1) + half of Chisinau's 2 = 2; Chisinau ½ + 1½ = 2; Beijing 1.
    assert table == (
        CityStanding(A, 1, 2, 1, 1, 0, 3, 4.5, 2.0, ((B, 2), (C, 1))),
        CityStanding(C, 2, 2, 0, 2, 0, 2, 4.0, 2.0, ((B, 1), (A, 1))),
        CityStanding(B, 3, 2, 0, 1, 1, 1, 3.5, 1.0, ((A, 0), (C, 1))),
    )


def test_sonneborn_berger_separates_cities_level_on_match_and_game_points() -> None:
    matches = [
        MatchResult(A, B, (1, 1)),  # A 2–0
        MatchResult(C, D, (1, 1)),  # C 2–0
        MatchResult(A, C, (1, 0)),  # drawn
        MatchResult(B, D, (1, 0.5)),  # B 1½–½
        MatchResult(A, D, (0, 0.5)),  # D 1½–½
        MatchResult(B, C, (0, 0.5)),  # C 1½–½
    ]
    table = standings([A, B, C, D], matches, NAMES)
    # MP: C 5, A 3, B 2, D 2. GP: C 4½, A 3½, B 2, D 2: B and D level on both.
    # SB: D beat Accra (3 match points) = 3; B beat Dakar (2) = 2: Dakar ahead, though
    # Beijing comes first by name.
    assert [(r.city, r.rank, r.match_points, r.game_points, r.sonneborn_berger) for r in table] == [
        (C, 1, 5, 4.5, 2 + 1.5 + 2),
        (A, 2, 3, 3.5, 2 + 2.5),
        (D, 3, 2, 2.0, 3.0),
        (B, 4, 2, 2.0, 2.0),
    ]


def test_cities_level_on_everything_share_a_rank_and_unfinished_matches_wait() -> None:
    table = standings([B, A], [MatchResult(A, B, (1, 0))], NAMES)
    assert [(r.city, r.rank, r.match_points, r.sonneborn_berger) for r in table] == [
        (A, 1, 1, 0.5),
        (B, 1, 1, 0.5),
    ]
    going = standings([A, B], [MatchResult(A, B, (1, None))], NAMES)
    assert [(r.city, r.played, r.match_points, r.game_points) for r in going] == [
        (A, 0, 0, 1.0),
        (B, 0, 0, 0.0),
    ]


def test_a_city_that_fields_nobody_loses_the_match() -> None:
    table = standings([A, B], [MatchResult(A, B, (), away_fielded=False)], NAMES)
    assert [(r.city, r.won, r.lost, r.match_points, r.game_points) for r in table] == [
        (A, 1, 0, 2, 0.0),
        (B, 0, 1, 0, 0.0),
    ]


def test_the_league_chart_is_a_png_with_a_row_per_city() -> None:
    import io

    from PIL import Image

    from bot.domain.league_chart import ChartRow, league_chart

    rows = [ChartRow(1, "Accra", 3, 4.5, 2.0), ChartRow(2, "النجف", 2, 4.0, 2.0)]
    data = league_chart(rows, "League", "MP · GP · SB")
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    assert image.size[0] == 1000
    more = league_chart([*rows, ChartRow(3, "Beijing", 0, 0, 0)] * 3, "League", "")
    assert Image.open(io.BytesIO(more)).size[1] > image.size[1]
    # The leader's bar (the first city's colour) is longer than the second's.
    pixels = image.convert("RGB")
    row_one, row_two = 70 + 28, 70 + 56 + 28

    def bar(y: int) -> int:
        return sum(1 for x in range(1000) if pixels.getpixel((x, y)) == (0x2A, 0x6F, 0x97)) + sum(
            1 for x in range(1000) if pixels.getpixel((x, y)) == (0xE0, 0x7A, 0x1F)
        )

    assert bar(row_one) > bar(row_two) > 0
