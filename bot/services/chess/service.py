"""The chess service: one object, built at start-up, whose methods are chess's use cases."""

from __future__ import annotations

from bot.services.chess.challenges import Challenges
from bot.services.chess.league import LeagueTable
from bot.services.chess.play import Play
from bot.services.chess.season import Seasons


class ChessService(Play, Challenges, LeagueTable, Seasons):
    """Chess between partners, reached as `client.services.chess`.

    Built from `Games` (loading, showing and ending a game, lists and PGN) by its parts, one
    file each: `Clocks` (deadlines, reminders, the sweep after downtime), `Challenges`, `Play`
    (moves, draws, claims, resignation), `LeagueTable` (standings, games-per-pair limit) and
    `Seasons` (the league between cities: seasons, rounds, boards, standings, match PGN).
    They share the database, the clock and the scheduler given to `Games`.
    """
