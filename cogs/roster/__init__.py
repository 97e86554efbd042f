"""`/roster`: teachers list the exchange's students, import them from a CSV, move, pause, resume
and remove them, and keep two apart.

One job a file: `cog` (the commands), `pages` (the roster's and the keep-apart marks' pages and
their ◀ ▶ buttons), `importing` (what an import did, and finding members for it), `removal`
(the confirmation before a student is taken off the roster), `consent` (a paired student's
consent withdrawn: the teachers are told, with an End this pair button).
"""

from __future__ import annotations

from bot.app import Twinbridge
from bot.services.consent import NOTICE_KIND, WITHDRAWN_KIND
from cogs.roster.cog import RosterCog
from cogs.roster.consent import post_withdrawn


async def setup(bot: Twinbridge) -> None:
    """Extension entry point; students with a band under the minimum age are announced to
    their teachers at start-up (issue 23)."""
    cog = RosterCog(bot)
    await bot.add_cog(cog)
    bot.ctx.scheduler.handle(NOTICE_KIND, cog.on_band_notice)
    # A paired student's consent withdrawn: the teachers' channel is told (issue 23).
    bot.ctx.scheduler.handle(WITHDRAWN_KIND, lambda send: post_withdrawn(bot, send))
    bot.ctx.scheduler.at_start(bot.services.consent.at_start)
