"""What chess needs from Discord; the cog implements it with discord.py (`DiscordChessTable`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from bot.domain.chess_game import PlayedMove
from bot.services.chess.games import GameView, Player


class ChessPort(Protocol):
    """Posting a game's challenge, boards and notices in its space."""

    async def can_play_in(self, channel_id: int, user_ids: Sequence[int]) -> str | None:
        """None if both players can see the channel and the bot can post boards there;
        otherwise an error key saying why not."""

    async def show_challenge(self, view: GameView) -> int | None:
        """Post the challenge with Accept and Decline; returns the message id."""

    async def close_challenge(self, view: GameView) -> None:
        """Mark the challenge message answered (accepted, declined, withdrawn, expired)."""

    async def show_board(self, view: GameView, played: PlayedMove | None) -> int | None:
        """Post the board: a "your turn" notice in play, the ending once over; returns its id."""

    async def retire_board(self, space_id: int, message_id: int) -> None:
        """Take the buttons off a board that a newer one replaced."""

    async def notice(self, view: GameView, kind: str, by: Player) -> None:
        """Post a short notice in the game's space ("draw_offered", "draw_declined")."""

    async def remind(self, view: GameView) -> None:
        """Tell the player to move that their deadline is near."""

    async def extended(self, view: GameView) -> None:
        """Tell the player to move that the bot was down when their time ran out (or their
        reminder was due), so they have until the new deadline."""


# The port of a server, for work that no interaction started (scheduled sends, the sweep);
# None when the bot is not in that server any more.
PortFor = Callable[[int], Awaitable[ChessPort | None]]
