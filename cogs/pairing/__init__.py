"""`/pair preview|confirm|swap|remove|history`: pairing rounds and who was paired with whom.

- `cog`: the commands (thin: parse, call `services.pairing`, render).
- `pages`: the preview and history pages, and their ◀ ▶ buttons (restart-proof).
- `words`: why a group was made, in the reader's language.

The Discord side of paired spaces (`DiscordSpaces`) is shared with other features, so it lives
in `cogs.adapters.spaces`.
"""

from __future__ import annotations

from bot.app import Twinbridge
from bot.services.pairing import LABEL_KIND
from cogs.pairing.cog import PairingCog


async def setup(bot: Twinbridge) -> None:
    """Extension entry point: the cog, and the renaming of ended pairs' channels."""
    cog = PairingCog(bot)
    await bot.add_cog(cog)
    bot.ctx.scheduler.handle(LABEL_KIND, cog.on_label)
