"""`/report attendance|exchange|student|link|links|digest`: `cog` holds the commands,
`embeds` the reports' words, `outside` dashboard links and the monthly digest."""

from __future__ import annotations

from bot.app import Twinbridge
from bot.services.digest import KIND as DIGEST
from cogs.reporting.cog import ReportingCog


async def setup(bot: Twinbridge) -> None:
    """Extension entry point: the cog, and the monthly digest's timed posts."""
    cog = ReportingCog(bot)
    await bot.add_cog(cog)
    bot.ctx.scheduler.handle(DIGEST, cog.on_digest)
