"""The teachers' channel as the safety service sees it (`TeachersPort`), with discord.py."""

from __future__ import annotations

import logging
from collections.abc import Callable

import discord

from bot.app import http_reason
from bot.services.safety import ReportView
from bot.services.scheduler import RetryLaterError, UndeliverableError
from cogs.common.text import NO_PINGS
from cogs.safety.embeds import report_embeds

log = logging.getLogger(__name__)


class DiscordTeachers:
    """Posts reports in the exchange's teachers' channel and keeps each post up to date.

    `actions` makes the buttons under a post (the components module owns them; passing
    them in keeps this module free of the components that use it).
    """

    def __init__(
        self, guild: discord.Guild, actions: Callable[[ReportView], discord.ui.View]
    ) -> None:
        self.guild = guild
        self.actions = actions

    def _channel(self, channel_id: int) -> discord.TextChannel | None:
        channel = self.guild.get_channel(channel_id)
        return channel if isinstance(channel, discord.TextChannel) else None

    async def post_report(self, channel_id: int, view: ReportView) -> int | None:
        """Post a report; its message id, or None if the channel cannot be posted to."""
        channel = self._channel(channel_id)
        if channel is None:
            log.warning(
                "teachers' channel %d is gone: report %d not posted", channel_id, view.report.id
            )
            return None
        try:
            message = await channel.send(
                embeds=report_embeds(view), view=self.actions(view), allowed_mentions=NO_PINGS
            )
        except discord.HTTPException as exc:
            log.warning("could not post report %d: %s", view.report.id, exc)
            return None
        return message.id

    async def deliver(
        self, channel_id: int, view: ReportView, *, content: str | None, nonce: str
    ) -> int:
        """Post a report as a scheduled send does: its message id; a passing failure raises
        RetryLaterError (tried again), any other UndeliverableError (recorded)."""
        channel = self._channel(channel_id)
        if channel is None:
            raise UndeliverableError(f"teachers' channel {channel_id} is gone")
        try:
            message = await channel.send(
                content,
                embeds=report_embeds(view),
                view=self.actions(view),
                nonce=nonce,
                allowed_mentions=NO_PINGS,
            )
        except discord.DiscordServerError as exc:
            raise RetryLaterError(http_reason(exc)) from exc
        except discord.HTTPException as exc:
            raise UndeliverableError(http_reason(exc)) from exc
        return message.id

    async def refresh_report(self, channel_id: int, message_id: int, view: ReportView) -> None:
        """Show a report's new state in its post (quietly nothing if the post is gone)."""
        channel = self._channel(channel_id)
        if channel is None:
            return
        try:
            await channel.get_partial_message(message_id).edit(
                embeds=report_embeds(view), view=self.actions(view), allowed_mentions=NO_PINGS
            )
        except discord.HTTPException as exc:
            log.warning("could not update report %d: %s", view.report.id, exc)
