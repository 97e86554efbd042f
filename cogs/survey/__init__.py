"""`/survey` (issue 23): teachers create surveys for funders and research (the built-in
pre/post template or their own items), send them to the students' pair spaces, close them and
read the results per city; students answer privately with restart-proof buttons, menus and a
form, and may stop and come back.

One job a file: `cog` (the commands and the Start posts), `answering` (the student's private
steps), `results` (embeds, chart, CSV and workbook).
"""

from __future__ import annotations

from bot.app import Twinbridge
from bot.services.surveys import INVITE_KIND
from cogs.survey.cog import SurveyCog


async def setup(bot: Twinbridge) -> None:
    """Extension entry point: the commands and the Start posts (one per pair space)."""
    cog = SurveyCog(bot)
    await bot.add_cog(cog)
    bot.ctx.scheduler.handle(INVITE_KIND, cog.on_invite, fan_out=True)
