"""A profile card's buttons: its owner edits the profile, pauses or comes back."""

from __future__ import annotations

from typing import Any

import discord

from bot.app import Twinbridge
from bot.domain.exchange import ParticipantStatus, Role
from bot.i18n import t
from bot.services.roster import ProfileView
from cogs.common.components import RestartButton, buttons
from cogs.common.interactions import begin, show
from cogs.common.text import NO_PINGS
from cogs.join.words import profile_embed


def card_view(profile: ProfileView) -> discord.ui.View:
    """Edit, and Pause or Resume for a student, in the participant's language."""
    me = profile.participant
    lang = me.language
    ids: dict[str, Any] = {"owner": me.user_id, "exchange": profile.exchange.id}
    items: list[discord.ui.Item[Any]] = [
        EditProfile.make(t("roster.edit", lang), style=discord.ButtonStyle.primary, **ids)
    ]
    if me.role is Role.STUDENT:
        paused = me.status is ParticipantStatus.PAUSED
        items.append(
            SetOwnStatus.make(
                t("roster.resume" if paused else "roster.pause", lang),
                style=discord.ButtonStyle.success if paused else discord.ButtonStyle.secondary,
                status=ParticipantStatus.ACTIVE if paused else ParticipantStatus.PAUSED,
                **ids,
            )
        )
    return buttons(*items)


class CardButton(RestartButton):
    """A button of someone's profile card."""

    owner: int
    exchange: int


class EditProfile(CardButton, key="profile.edit"):
    """Edit: the panel opens with what the profile holds."""

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        # The card and the panel open each other: one of the two imports the other late.
        from cogs.join.panel import panel_message

        actor = await begin(interaction, update=True)
        panel = await interaction.client.services.roster.open_edit(actor, self.exchange)
        await show(interaction, **panel_message(panel))


class SetOwnStatus(CardButton, key="profile.status"):
    """Pause (left out of new pairing rounds) or Resume."""

    status: ParticipantStatus  # what pressing sets

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction, update=True)
        pause = self.status is ParticipantStatus.PAUSED
        saved = await interaction.client.services.roster.set_own_pause(actor, self.exchange, pause)
        lang = saved.participant.language
        await show(
            interaction,
            content=t("roster.paused_now" if pause else "roster.resumed_now", lang),
            embed=profile_embed(saved, lang),
            view=card_view(saved),
            allowed_mentions=NO_PINGS,
        )
