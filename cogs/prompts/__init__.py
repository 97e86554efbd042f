"""`/prompt now|next|add|edit|retire|restore|list|stats`, and counting replies in paired spaces.

- `cog`: the commands (thin: parse, call `services.prompts`, render) and the message listener
  that counts replies.
- `pages`: the embeds of `/prompt list` and `/prompt stats`.
- `words`: the options' choices and labels.

Prompt cards are posted through `cogs.adapters.prompts` (sessions post them too).
"""

from __future__ import annotations

from bot.app import Twinbridge
from cogs.prompts.cog import PromptsCog


async def setup(bot: Twinbridge) -> None:
    """Extension entry point."""
    await bot.add_cog(PromptsCog(bot))
