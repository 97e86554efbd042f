"""Reports to teachers and pausing paired spaces: "Report to teacher", /concern, /concerns, /space.

`cog` holds the commands, `components` the restart-proof select, buttons and form, `embeds`
the words, `adapters` the teachers' channel.
"""

from __future__ import annotations

from bot.app import Twinbridge
from cogs.safety.cog import SafetyCog


async def setup(bot: Twinbridge) -> None:
    """Extension entry point."""
    await bot.add_cog(SafetyCog(bot))
