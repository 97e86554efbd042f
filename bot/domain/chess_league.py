"""City against city: team points, each student's record, and Elo ratings from finished games.

Nothing here is stored: standings are replayed from the finished games in the order they
ended, so a corrected or late result can never leave a rating out of step with the games.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.domain.chess_game import DEFAULT_RATING, elo_update


@dataclass(frozen=True, slots=True)
class FinishedGame:
    """One finished game between two players (any int ids), in the order games ended."""

    white: int
    black: int
    white_score: float  # 1, 0.5 or 0


@dataclass(frozen=True, slots=True)
class PlayerRecord:
    """A player's results and rating."""

    player: int
    team: int
    played: int
    wins: int
    draws: int
    losses: int
    points: float
    rating: int


@dataclass(frozen=True, slots=True)
class League:
    """Team points per team id, and players best first (points, then rating)."""

    team_points: dict[int, float]
    players: tuple[PlayerRecord, ...]


def league(
    games: Sequence[FinishedGame],
    team_of: Mapping[int, int],
    *,
    teams: Sequence[int] = (),
    start_rating: int = DEFAULT_RATING,
) -> League:
    """Standings from finished games; every game scores for both players' teams.

    `teams` lists teams to show even before they scored. A player missing from `team_of` is a
    bug in the caller: KeyError.
    """
    points = {team: 0.0 for team in teams}
    tally: dict[int, list[float]] = {}  # player -> [played, wins, draws, losses, points]
    rating: dict[int, int] = {}
    for game in games:
        if game.white_score not in (0.0, 0.5, 1.0):
            raise ValueError("a game scores 0, 0.5 or 1")
        scores = ((game.white, game.white_score), (game.black, 1.0 - game.white_score))
        for player, score in scores:
            row = tally.setdefault(player, [0, 0, 0, 0, 0.0])
            row[0] += 1
            row[1 if score == 1.0 else 2 if score == 0.5 else 3] += 1
            row[4] += score
            team = team_of[player]
            points[team] = points.get(team, 0.0) + score
        rating[game.white], rating[game.black] = elo_update(
            rating.get(game.white, start_rating),
            rating.get(game.black, start_rating),
            game.white_score,
        )
    players = [
        PlayerRecord(
            player=player,
            team=team_of[player],
            played=int(row[0]),
            wins=int(row[1]),
            draws=int(row[2]),
            losses=int(row[3]),
            points=row[4],
            rating=rating[player],
        )
        for player, row in tally.items()
    ]
    players.sort(key=lambda r: (-r.points, -r.rating, r.player))
    return League(team_points=points, players=tuple(players))


def points_text(points: float) -> str:
    """Chess points as people write them: "3½", "½", "0"."""
    whole, half = int(points), points - int(points) >= 0.5
    if half:
        return f"{whole}½" if whole else "½"
    return str(whole)
