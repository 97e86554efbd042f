"""`/roster`: teachers list the exchange's students, import them from a CSV, move, pause, resume
and remove them, and keep two apart.

One job a file: `cog` (the commands), `pages` (the roster's and the keep-apart marks' pages and
their ◀ ▶ buttons), `importing` (what an import did, and finding members for it), `removal`
(the confirmation before a student is taken off the roster).
"""

from __future__ import annotations

from bot.app import Twinbridge
from bot.services.consent import NOTICE_KIND
from cogs.roster.cog import RosterCog


async def setup(bot: Twinbridge) -> None:
    """Extension entry point; students with a band under the minimum age are announced to
    their teachers at start-up (issue 23)."""
    cog = RosterCog(bot)
    await bot.add_cog(cog)
    bot.ctx.scheduler.handle(NOTICE_KIND, cog.on_band_notice)
    bot.ctx.scheduler.at_start(bot.services.consent.at_start)
