"""City against city: team points, per-student records and ratings."""

from __future__ import annotations

import pytest

from bot.domain.chess_league import FinishedGame, league, points_text

MPLS, NAJAF = 1, 2
BEN, MAYA, ALI, ZAINAB = 10, 11, 20, 21
TEAMS = {BEN: MPLS, MAYA: MPLS, ALI: NAJAF, ZAINAB: NAJAF}


def test_every_game_scores_for_both_cities() -> None:
    """A win gives its city a point; a draw gives each city a half."""
    games = [FinishedGame(BEN, ALI, 1.0), FinishedGame(ZAINAB, MAYA, 0.5)]
    assert league(games, TEAMS).team_points == {MPLS: 1.5, NAJAF: 0.5}


def test_cities_without_games_still_show_zero() -> None:
    """Before any game ends both cities are listed at 0."""
    assert league([], TEAMS, teams=(MPLS, NAJAF)).team_points == {MPLS: 0.0, NAJAF: 0.0}


def test_a_students_record_counts_wins_draws_and_losses() -> None:
    """Ben beats Ali, draws Zainab and loses to Ali: 3 played, 1½ points."""
    games = [
        FinishedGame(BEN, ALI, 1.0),
        FinishedGame(ZAINAB, BEN, 0.5),
        FinishedGame(ALI, BEN, 1.0),
    ]
    ben = next(r for r in league(games, TEAMS).players if r.player == BEN)
    assert (ben.played, ben.wins, ben.draws, ben.losses, ben.points) == (3, 1, 1, 1, 1.5)


def test_players_are_ranked_by_points_then_rating() -> None:
    """The winner comes first and gains what the loser loses."""
    result = league([FinishedGame(BEN, ALI, 0.0)], TEAMS)
    first, second = result.players
    assert (first.player, second.player) == (ALI, BEN)
    assert first.rating - 1200 == 1200 - second.rating == 16


def test_a_score_no_game_gives_is_refused() -> None:
    """Only 0, ½ and 1 are game scores."""
    with pytest.raises(ValueError):
        league([FinishedGame(BEN, ALI, 0.25)], TEAMS)


@pytest.mark.parametrize(("points", "text"), [(0.0, "0"), (0.5, "½"), (3.5, "3½"), (2.0, "2")])
def test_points_are_written_with_halves(points: float, text: str) -> None:
    """3.5 reads "3½"."""
    assert points_text(points) == text
