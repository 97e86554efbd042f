"""The sessions service's `SessionPort`, done with discord.py in one guild: posts, Discord's
scheduled events, and who is in a voice channel."""

from __future__ import annotations

import logging
from datetime import UTC
from typing import Any

import discord

from bot.app import Twinbridge, http_reason
from bot.domain.sessions import EventStatus
from bot.limits import EVENT_DESCRIPTION, EVENT_LOCATION, EVENT_NAME
from bot.services.scheduler import RetryLaterError, UndeliverableError
from bot.services.session_port import EventRefusedError, EventSpec, Post
from cogs.adapters.prompts import DiscordPrompts
from cogs.common.text import NO_PINGS, clip
from cogs.sessions.posts import closed_note, message_for

log = logging.getLogger(__name__)

# Discord's error code when a server has 100 scheduled events not yet finished.
MAX_EVENTS_REACHED = 30038
_EVENT_STATUS = {
    EventStatus.ACTIVE: discord.EventStatus.active,
    EventStatus.COMPLETED: discord.EventStatus.completed,
    EventStatus.CANCELLED: discord.EventStatus.cancelled,
}


class DiscordSessions:
    """The sessions service's `SessionPort`, done with discord.py in one guild."""

    def __init__(self, bot: Twinbridge, guild: discord.Guild) -> None:
        self.bot = bot
        self.guild = guild
        self.prompts = DiscordPrompts(guild, scheduled=True)

    def _event_payload(self, spec: EventSpec) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "name": clip(spec.name, EVENT_NAME),
            "description": clip(spec.description, EVENT_DESCRIPTION),
            "scheduled_start_time": spec.start.astimezone(UTC).isoformat(),
            "scheduled_end_time": spec.end.astimezone(UTC).isoformat(),
        }
        channel = self.guild.get_channel(spec.channel_id) if spec.channel_id else None
        if isinstance(channel, discord.StageChannel):
            payload.update(
                entity_type=discord.EntityType.stage_instance.value,
                channel_id=channel.id,
                entity_metadata=None,
            )
        elif isinstance(channel, discord.VoiceChannel):
            payload.update(
                entity_type=discord.EntityType.voice.value,
                channel_id=channel.id,
                entity_metadata=None,
            )
        else:
            payload.update(
                entity_type=discord.EntityType.external.value,
                channel_id=None,
                entity_metadata={"location": clip(spec.location or "Discord", EVENT_LOCATION)},
            )
        return payload

    async def create_event(self, spec: EventSpec) -> int:
        try:
            created = await self.bot.http.create_guild_scheduled_event(
                self.guild.id,
                privacy_level=discord.PrivacyLevel.guild_only.value,
                **self._event_payload(spec),
            )
        except discord.Forbidden as exc:
            raise EventRefusedError("permission", http_reason(exc)) from exc
        except discord.HTTPException as exc:
            why = "limit" if exc.code == MAX_EVENTS_REACHED else "error"
            raise EventRefusedError(why, http_reason(exc)) from exc
        return int(created["id"])

    async def update_event(self, event_id: int, spec: EventSpec) -> bool:
        try:
            await self.bot.http.edit_scheduled_event(
                self.guild.id, event_id, **self._event_payload(spec)
            )
        except discord.NotFound:
            return False
        except discord.Forbidden as exc:
            raise EventRefusedError("permission", http_reason(exc), updating=True) from exc
        except discord.HTTPException as exc:
            raise EventRefusedError("error", http_reason(exc), updating=True) from exc
        return True

    async def set_event_status(self, event_id: int, status: EventStatus) -> None:
        code = _EVENT_STATUS[status].value
        try:
            await self.bot.http.edit_scheduled_event(self.guild.id, event_id, status=code)
        except discord.DiscordServerError:
            raise  # passing: the scheduler tries again
        except discord.HTTPException as exc:
            # Gone, or Discord already moved it on (it cancels unstarted events itself).
            log.warning("could not set event %s to %s: %s", event_id, status, exc)

    async def delete_event(self, event_id: int) -> None:
        try:
            await self.bot.http.delete_scheduled_event(self.guild.id, event_id)
        except discord.HTTPException as exc:
            log.warning("could not delete event %s: %s", event_id, exc)

    def _messageable(self, channel_id: int) -> discord.TextChannel | discord.Thread | None:
        channel = self.guild.get_channel_or_thread(channel_id)
        return channel if isinstance(channel, (discord.TextChannel, discord.Thread)) else None

    async def post(self, channel_id: int, post: Post, *, nonce: str | None = None) -> int:
        channel = self._messageable(channel_id)
        if channel is None:
            raise UndeliverableError(f"channel {channel_id} is gone")
        kwargs = message_for(post)
        if nonce is not None:
            kwargs["nonce"] = nonce
        try:
            message = await channel.send(**kwargs)
        except discord.DiscordServerError as exc:
            raise RetryLaterError(http_reason(exc)) from exc
        except discord.HTTPException as exc:
            # Closed to the bot (403), gone (404), an archived thread: trying again would
            # fail the same way, and Discord bans bots that repeat invalid requests.
            raise UndeliverableError(http_reason(exc)) from exc
        return message.id

    async def close_checkin(
        self, channel_id: int, message_id: int, count: int, languages: tuple[str, ...]
    ) -> None:
        channel = self._messageable(channel_id)
        if channel is None:
            return
        try:
            message = await channel.fetch_message(message_id)
            await message.edit(
                content=closed_note(message.content, count, languages),
                allowed_mentions=NO_PINGS,
            )
        except discord.HTTPException as exc:
            log.warning("could not close the check-in post %s: %s", message_id, exc)

    async def voice_members(self, channel_id: int) -> list[int]:
        channel = self.guild.get_channel(channel_id)
        if isinstance(channel, (discord.VoiceChannel, discord.StageChannel)):
            return [m.id for m in channel.members]
        return []

    def channel_label(self, channel_id: int | None) -> str:
        channel = self.guild.get_channel(channel_id) if channel_id else None
        return f"#{channel.name}" if channel is not None else ""


def session_port(interaction: discord.Interaction[Twinbridge]) -> DiscordSessions:
    """The port for the server an interaction came from (commands are server-only)."""
    assert interaction.guild is not None
    return DiscordSessions(interaction.client, interaction.guild)


def guild_port(bot: Twinbridge, guild_id: int) -> DiscordSessions | None:
    """The port for a server, or None while Discord has it unavailable (an outage)."""
    guild = bot.get_guild(guild_id)
    if guild is None or guild.unavailable:
        return None
    return DiscordSessions(bot, guild)
