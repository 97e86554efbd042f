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
from cogs.common.channels import active_space, find_space
from cogs.common.text import NO_PINGS, clip
from cogs.sessions.posts import closed_note, message_for

log = logging.getLogger(__name__)

# Discord's error code when a server has 100 scheduled events not yet finished.
MAX_EVENTS_REACHED = 30038
# Discord's error code for a change to an event it already completed or cancelled.
EVENT_FINISHED = 180000
_EVENT_STATUS = {
    EventStatus.ACTIVE: discord.EventStatus.active,
    EventStatus.COMPLETED: discord.EventStatus.completed,
    EventStatus.CANCELLED: discord.EventStatus.cancelled,
}
# The only status changes Discord allows ("Valid Guild Scheduled Event Status Transitions").
_STATUS_MOVES = {
    discord.EventStatus.scheduled: (discord.EventStatus.active, discord.EventStatus.cancelled),
    discord.EventStatus.active: (discord.EventStatus.completed,),
}
_FINISHED = (discord.EventStatus.completed, discord.EventStatus.cancelled)
# What Discord asks of the bot in an event's channel, by kind of channel (resources/guild-
# scheduled-event.md, "Guild Scheduled Event Permissions Requirements"); the README says so.
EVENT_CHANNEL_PERMISSIONS = {
    discord.ChannelType.stage_voice: discord.Permissions(
        manage_channels=True, mute_members=True, move_members=True
    ),
    discord.ChannelType.voice: discord.Permissions(view_channel=True, connect=True),
}


class DiscordSessions:
    """The sessions service's `SessionPort`, done with discord.py in one guild."""

    def __init__(self, bot: Twinbridge, guild: discord.Guild) -> None:
        self.bot = bot
        self.guild = guild
        self.prompts = DiscordPrompts(guild, scheduled=True)

    def _event_channel(self, spec: EventSpec) -> discord.VoiceChannel | discord.StageChannel | None:
        channel = self.guild.get_channel(spec.channel_id) if spec.channel_id else None
        return (
            channel if isinstance(channel, (discord.VoiceChannel, discord.StageChannel)) else None
        )

    def _event_payload(self, spec: EventSpec) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "name": clip(spec.name, EVENT_NAME),
            "description": clip(spec.description, EVENT_DESCRIPTION),
            "scheduled_start_time": spec.start.astimezone(UTC).isoformat(),
            "scheduled_end_time": spec.end.astimezone(UTC).isoformat(),
        }
        channel = self._event_channel(spec)
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

    def _refusal(self, spec: EventSpec, *, updating: bool) -> EventRefusedError | None:
        """What Discord would refuse, seen before asking it (a refusal is an invalid request,
        which Discord counts toward a ban): Create Events to make an event, Create Events or
        Manage Events to change one the bot made, and its channel's own permissions."""
        me = self.guild.me
        guild_wide = me.guild_permissions
        if guild_wide.administrator:
            return None
        may = guild_wide.create_events or (updating and guild_wide.manage_events)
        if not may:
            lacks = "Create Events and Manage Events" if updating else "Create Events"
            return EventRefusedError(
                "permission", f"the bot's role lacks {lacks}", updating=updating
            )
        channel = self._event_channel(spec)
        if channel is None:
            return None
        have = channel.permissions_for(me)
        needed = EVENT_CHANNEL_PERMISSIONS[channel.type]
        missing = tuple(name for name, wanted in needed if wanted and not getattr(have, name))
        if not missing:
            return None
        return EventRefusedError(
            "channel",
            f"missing in channel {channel.id}: {', '.join(missing)}",
            updating=updating,
            missing=missing,
            channel_id=channel.id,
        )

    async def create_event(self, spec: EventSpec) -> int:
        refused = self._refusal(spec, updating=False)
        if refused is not None:
            raise refused
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
        known = self.guild.get_scheduled_event(event_id)
        if known is not None and known.status in _FINISHED:
            return False  # Discord ended or cancelled it: it cannot change, a new one is made
        refused = self._refusal(spec, updating=True)
        if refused is not None:
            raise refused
        try:
            await self.bot.http.edit_scheduled_event(
                self.guild.id, event_id, **self._event_payload(spec)
            )
        except discord.NotFound:
            return False
        except discord.Forbidden as exc:
            raise EventRefusedError("permission", http_reason(exc), updating=True) from exc
        except discord.HTTPException as exc:
            if exc.code == EVENT_FINISHED:
                return False  # finished just now, before the gateway said so
            raise EventRefusedError("error", http_reason(exc), updating=True) from exc
        return True

    async def _event_status(self, event_id: int) -> discord.EventStatus | None:
        """Where Discord has an event now (the gateway keeps discord.py's copy in step with
        the changes Discord makes by itself); None when it is gone."""
        known = self.guild.get_scheduled_event(event_id)
        if known is not None:
            return known.status
        try:
            found = await self.bot.http.get_scheduled_event(
                self.guild.id, event_id, with_user_count=False
            )
        except discord.NotFound:
            return None
        return discord.EventStatus(int(found["status"]))

    async def set_event_status(self, event_id: int, status: EventStatus) -> None:
        wanted = _EVENT_STATUS[status]
        now = await self._event_status(event_id)
        if now is None or now is wanted or wanted not in _STATUS_MOVES.get(now, ()):
            # Gone, there already, or moved on by Discord (a finished event cannot change;
            # an active one cannot be cancelled, an unstarted one not completed).
            log.info("event %s is %s: left as it is rather than set %s", event_id, now, wanted)
            return
        try:
            await self.bot.http.edit_scheduled_event(self.guild.id, event_id, status=wanted.value)
        except discord.DiscordServerError:
            raise  # passing: the scheduler tries again, reading the status first
        except discord.HTTPException as exc:
            # Moved on by Discord in the instant before (it finishes events by itself).
            log.warning("could not set event %s to %s: %s", event_id, status, exc)

    async def delete_event(self, event_id: int) -> None:
        try:
            await self.bot.http.delete_scheduled_event(self.guild.id, event_id)
        except discord.HTTPException as exc:
            log.warning("could not delete event %s: %s", event_id, exc)

    async def post(self, channel_id: int, post: Post, *, nonce: str | None = None) -> int:
        kwargs = message_for(post)
        if nonce is not None:
            kwargs["nonce"] = nonce
        try:
            # A paired thread that archived itself is fetched; the post reopens it.
            channel = await find_space(self.guild, channel_id)
            if channel is None:
                raise UndeliverableError(f"channel {channel_id} is gone")
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
        try:
            # Editing a message needs its thread active (a post does not).
            channel = await active_space(self.guild, channel_id)
            if channel is None:
                return
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
