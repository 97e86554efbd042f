"""Check-in: the button under a "session started" post, restart-proof.

Its custom_id is `tb:session.checkin:<occurrence>`; posts made before that form carry
`tb:checkin:<occurrence>`, which still works.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from bot.domain.sessions import title_in
from bot.i18n import t
from cogs.common.components import RestartButton
from cogs.common.interactions import begin, show
from cogs.common.text import NO_PINGS, shown, timestamp

if TYPE_CHECKING:
    from bot.app import Twinbridge


class CheckInButton(RestartButton, key="session.checkin", legacy=r"tb:checkin:(?P<occurrence>\d+)"):
    """ "Check in" on a session-started post: counted once, only during the session."""

    occurrence: int

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction)
        done = await interaction.client.services.sessions.runs.check_in(actor, self.occurrence)
        key = "session.checked_in_again" if done.already else "session.checked_in"
        await show(
            interaction,
            content=t(
                key,
                actor.language,
                title=shown(title_in(done.title, actor.language)),
                when=timestamp(done.first_seen, "t"),
            ),
            allowed_mentions=NO_PINGS,
        )

    @classmethod
    def on_post(cls, occurrence: int, languages: tuple[str, ...]) -> CheckInButton:
        """The button for a started post, labelled in each of its readers' languages."""
        label = " · ".join(t("session.checkin_button", lang) for lang in languages)
        return cls.make(label, emoji="✅", style=discord.ButtonStyle.success, occurrence=occurrence)
