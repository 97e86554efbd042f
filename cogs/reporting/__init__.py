"""`/report attendance|exchange|student`: `cog` holds the commands, `embeds` the words."""

from __future__ import annotations

from bot.app import Twinbridge
from cogs.reporting.cog import ReportingCog


async def setup(bot: Twinbridge) -> None:
    """Extension entry point."""
    await bot.add_cog(ReportingCog(bot))
