"""`/prompt now|next|add|edit|retire|restore|list|stats`, and counting replies in paired spaces.

- `cog`: the commands (thin: parse, call `services.prompts`, render) and the message listener
  that counts replies.
- `pages`: the embeds of `/prompt list` and `/prompt stats`.
- `words`: the options' choices and labels.

Prompt cards are posted through `cogs.adapters.prompts` (sessions post them too); a teacher's
`/prompt now` is one scheduled send per pair, retried when Discord fails for a moment.
"""

from __future__ import annotations

from bot.app import Twinbridge
from bot.services.prompts import NOW_KIND
from cogs.prompts.cog import PromptsCog


async def setup(bot: Twinbridge) -> None:
    """Extension entry point: the cog, and the posts of /prompt now (one scheduled send per
    pair, done several at a time)."""
    cog = PromptsCog(bot)
    await bot.add_cog(cog)
    bot.ctx.scheduler.handle(NOW_KIND, cog.on_now_post, fan_out=True)
