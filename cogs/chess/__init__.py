"""`/chess`: games between partners, boards in their paired space, buttons that survive restarts.

- `cog`: the `/chess` commands and the scheduled sends' handlers (thin);
- `components`: every button and select, and the panels and pickers made of them;
- `table`: `DiscordChessTable`, the chess service's port to Discord;
- `board`: the board's picture and embed; `words`: chess in the reader's language;
- `params`: the game, move and time-control options.
"""

from __future__ import annotations

from bot.app import Twinbridge
from bot.services.chess import KIND_DEADLINE, KIND_EXPIRE, KIND_REMINDER
from cogs.chess.cog import ChessCog


async def setup(bot: Twinbridge) -> None:
    """Extension entry point: the cog, its scheduled sends and its start-up sweep.

    The buttons are registered by the bot (`cogs.common.components.item_routes`).
    """
    cog = ChessCog(bot)
    await bot.add_cog(cog)
    scheduler = bot.ctx.scheduler
    scheduler.handle(KIND_DEADLINE, cog.on_deadline)
    scheduler.handle(KIND_REMINDER, cog.on_reminder)
    scheduler.handle(KIND_EXPIRE, cog.on_expire)
    scheduler.at_start(cog.sweep)
