"""Chess between partners: challenges, moves, draws, endings, clocks, PGN and standings.

Rules come from the domain (python-chess underneath); this package decides who may do what,
keeps games in the database, plans each deadline and reminder as a scheduled send, and tells
Discord what to show through `ChessPort`. One file per seam:

- `games`: a game as people see it (`GameView`), loading, access, lists, PGN, its board, its end;
- `clocks`: deadlines, reminders, lapsing challenges, the sweep after downtime, paused spaces;
- `challenges`: challenging a partner-city student and answering;
- `play`: moves (typed or picked), draws, claims, resignation;
- `league`: standings and the games-per-pair limit;
- `season`: the league between cities (seasons, rounds, boards, standings, match PGN);
- `port`: what chess needs from Discord; `service`: `ChessService`, all of the above.

Other features call `hold_clocks` and `restart_clocks` in their own transactions.
"""

from bot.services.chess.clocks import (
    KIND_DEADLINE,
    KIND_EXPIRE,
    KIND_REMINDER,
    REMINDER_BEFORE,
    hold_clocks,
    restart_clocks,
)
from bot.services.chess.games import GameLine, GameView, Player
from bot.services.chess.league import MAX_GAMES_PER_PAIR, StandingRow, Standings
from bot.services.chess.play import DrawAnswer, Moved, Picker, Promotion
from bot.services.chess.port import ChessPort, PortFor
from bot.services.chess.service import ChessService

__all__ = [
    "KIND_DEADLINE",
    "KIND_EXPIRE",
    "KIND_REMINDER",
    "MAX_GAMES_PER_PAIR",
    "REMINDER_BEFORE",
    "ChessPort",
    "ChessService",
    "DrawAnswer",
    "GameLine",
    "GameView",
    "Moved",
    "Picker",
    "Player",
    "PortFor",
    "Promotion",
    "StandingRow",
    "Standings",
    "hold_clocks",
    "restart_clocks",
]
