""" "Did you meet?" check-ins (issue 23): `/checkins` (teachers set the delay), the check-in
post in each pair's space with its restart-proof answer buttons, and "we need help" in the
teachers' channel.
"""

from __future__ import annotations

from bot.app import Twinbridge
from bot.services.meet import CHECKIN_KIND, SWEEP_KIND
from cogs.meet.cog import MeetCog


async def setup(bot: Twinbridge) -> None:
    """Extension entry point: the command, the timed posts and the start-up planning."""
    cog = MeetCog(bot)
    await bot.add_cog(cog)
    scheduler = bot.ctx.scheduler
    # One post per pair's space, independent of each other.
    scheduler.handle(CHECKIN_KIND, cog.on_checkin, fan_out=True)
    scheduler.handle(SWEEP_KIND, cog.on_sweep)
    scheduler.at_start(bot.services.meet.at_start)
