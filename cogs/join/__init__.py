"""`/join` and `/profile`: students and teachers of either city say who they are.

A student joins in two steps: `/join` names the exchange and city; an ephemeral panel then
offers menus (their language, age band, the languages they speak, interests from the curated
list) and a button opening a form for a short introduction and any other interests. Teachers
and coordinators run the same `/join` and are registered with their city at once. `/profile`
shows one's profile with buttons to change it, pause or come back.

One job a file: `cog` (the commands), `words` (the panel's and the profile's embeds), `panel`
(the panel's menus and buttons and the form they open), `card` (the profile's buttons).
Panels and cards survive a restart: what a panel holds is a draft in the database.
"""

from __future__ import annotations

from bot.app import Twinbridge
from cogs.join.cog import JoinCog


async def setup(bot: Twinbridge) -> None:
    """Extension entry point."""
    await bot.add_cog(JoinCog(bot))
