"""Reports to teachers and pausing paired spaces: "Report to teacher", /concern, /concerns, /space.

`cog` holds the commands, `components` the restart-proof select, buttons and form, `embeds`
the words, `adapters` the teachers' channel.
"""

from __future__ import annotations

from bot.app import Twinbridge
from bot.services.safety import NOTICE_KIND
from cogs.safety.cog import SafetyCog


async def setup(bot: Twinbridge) -> None:
    """Extension entry point."""
    cog = SafetyCog(bot)
    await bot.add_cog(cog)
    # Reports the bot files itself ("we need help" at a check-in), posted as scheduled sends.
    bot.ctx.scheduler.handle(NOTICE_KIND, cog.on_notice)
