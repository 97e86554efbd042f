"""`/pair preview|confirm|cadence|swap|remove|history`: pairing rounds (also on a schedule) and
who was paired with whom.

- `cog`: the commands (thin: parse, call `services.pairing`, render).
- `pages`: the preview and history pages, and their ◀ ▶ buttons (restart-proof).
- `words`: why a group was made, in the reader's language.
- `rounds`: a scheduled round's preview in the teachers' channel, with Confirm / Skip.
- `work`: the welcome posts (scheduled sends), and at start-up settling what a restart cut
  short and checking Discord's spaces against the database.

The Discord side of paired spaces (`DiscordSpaces`) is shared with other features, so it lives
in `cogs.adapters.spaces`.
"""

from __future__ import annotations

from bot.app import Twinbridge
from bot.services.operations import RECOVER_KIND
from bot.services.pairing import GREET_KIND, LABEL_KIND, WELCOME_KIND
from bot.services.rounds import DUE_KIND
from cogs.pairing.cog import PairingCog
from cogs.pairing.rounds import on_due
from cogs.pairing.work import PairingWork


async def setup(bot: Twinbridge) -> None:
    """Extension entry point: the cog and its timed work (buttons register themselves)."""
    cog = PairingCog(bot)
    await bot.add_cog(cog)
    work = PairingWork(bot)
    scheduler = bot.ctx.scheduler
    # One post per space, independent of each other: done several at a time.
    scheduler.handle(WELCOME_KIND, work.on_welcome, fan_out=True)
    scheduler.handle(GREET_KIND, work.on_greet, fan_out=True)
    # Ended pairs' channels renamed, once the pair is stored archived.
    scheduler.handle(LABEL_KIND, cog.on_label)
    scheduler.handle(RECOVER_KIND, work.on_recover)
    scheduler.at_start(work.at_start)
    # Scheduled rounds: the due round's preview in the teachers' channel.
    scheduler.handle(DUE_KIND, lambda send: on_due(bot, send))
    scheduler.at_start(bot.services.rounds.at_start)
