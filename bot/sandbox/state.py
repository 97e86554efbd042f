"""The sandbox's world: guilds, members, channels, messages, events, as Discord would hold them."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.limits import THREAD_DEFAULT_AUTO_ARCHIVE_MINUTES
from bot.sandbox.permissions import (
    EVERYONE_DEFAULT,
    Overwrite,
    P,
    base_permissions,
    channel_permissions,
)

# Discord's epoch (2015-01-01) in ms: snowflakes carry their creation time.
DISCORD_EPOCH_MS = 1_420_070_400_000

JSON = dict[str, Any]


class Snowflakes:
    """Unique, increasing ids shaped like Discord's (time in the high bits)."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def next(self) -> int:
        millis = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (millis << 22) | (next(self._counter) & 0x3FFFFF)

    def on_shard(self, shard_id: int, shard_count: int) -> int:
        """An id whose server Discord routes to that shard (`(id >> 22) % count`): its time
        is moved back at most `shard_count - 1` milliseconds (the counter keeps it unique)."""
        millis = int(time.time() * 1000) - DISCORD_EPOCH_MS
        millis -= (millis - shard_id) % shard_count
        return (millis << 22) | (next(self._counter) & 0x3FFFFF)


def iso(dt: datetime) -> str:
    """Discord's ISO-8601 timestamp format."""
    return dt.astimezone(UTC).isoformat()


class ChannelType:
    """Discord channel type numbers the sandbox models."""

    TEXT = 0
    DM = 1
    VOICE = 2
    CATEGORY = 4
    PUBLIC_THREAD = 11
    PRIVATE_THREAD = 12
    STAGE = 13
    THREADS = (11, 12)


@dataclass
class User:
    id: int
    username: str
    bot: bool = False
    global_name: str | None = None
    # The person's privacy setting "Allow direct messages from server members".
    accepts_direct_messages: bool = True

    def to_payload(self) -> JSON:
        return {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name or self.username,
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
            "flags": 0,
            "primary_guild": None,
        }


@dataclass
class Role:
    id: int
    name: str
    permissions: int
    position: int = 1
    managed: bool = False

    def to_payload(self) -> JSON:
        return {
            "id": str(self.id),
            "name": self.name,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": self.managed,
            "mentionable": False,
            "flags": 0,
        }


@dataclass
class Member:
    user: User
    roles: list[int] = field(default_factory=list)
    nick: str | None = None
    locale: str = "en-US"
    joined_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def to_payload(self) -> JSON:
        return {
            "user": self.user.to_payload(),
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "roles": [str(r) for r in self.roles],
            "joined_at": iso(self.joined_at),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }


@dataclass
class Channel:
    id: int
    guild_id: int
    type: int
    name: str
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    overwrites: list[Overwrite] = field(default_factory=list)
    # Threads only.
    owner_id: int | None = None
    archived: bool = False
    locked: bool = False
    invitable: bool = True
    thread_members: set[int] = field(default_factory=set)
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    # Threads: minutes of inactivity before Discord archives it, the last "activity" (a
    # message, an unarchive, a new duration) and when `archived` last changed.
    auto_archive_duration: int = THREAD_DEFAULT_AUTO_ARCHIVE_MINUTES
    last_activity: datetime | None = None
    archive_timestamp: datetime | None = None

    @property
    def is_thread(self) -> bool:
        return self.type in ChannelType.THREADS

    def archives_at(self) -> datetime | None:
        """When Discord archives this thread if nothing happens in it (None: not an active thread).

        topics/threads.md: "Threads automatically archive after a period of inactivity";
        activity is a message, an unarchive, or a change of `auto_archive_duration`.
        """
        if not self.is_thread or self.archived:
            return None
        since = self.last_activity or self.created_at
        return since + timedelta(minutes=self.auto_archive_duration)

    def to_payload(self) -> JSON:
        data: JSON = {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(self.guild_id),
            "name": self.name,
            "parent_id": str(self.parent_id) if self.parent_id else None,
            "flags": 0,
            "rate_limit_per_user": 0,
        }
        if self.is_thread:
            data.update(
                owner_id=str(self.owner_id) if self.owner_id else None,
                member_count=len(self.thread_members),
                message_count=0,
                total_message_sent=0,
                thread_metadata={
                    "archived": self.archived,
                    "auto_archive_duration": self.auto_archive_duration,
                    "archive_timestamp": iso(self.archive_timestamp or self.created_at),
                    "locked": self.locked,
                    "invitable": self.invitable,
                    "create_timestamp": iso(self.created_at),
                },
            )
            return data
        data.update(
            position=self.position,
            permission_overwrites=[o.to_payload() for o in self.overwrites],
            nsfw=False,
        )
        if self.type == ChannelType.TEXT:
            data.update(topic=self.topic, last_message_id=None)
        elif self.type in (ChannelType.VOICE, ChannelType.STAGE):
            data.update(bitrate=64000, user_limit=0, rtc_region=None)
        return data


@dataclass
class Attachment:
    id: int
    filename: str
    content_type: str
    data: bytes
    url: str

    def to_payload(self) -> JSON:
        return {
            "id": str(self.id),
            "filename": self.filename,
            "size": len(self.data),
            "url": self.url,
            "proxy_url": self.url,
            "content_type": self.content_type,
        }


@dataclass
class Message:
    id: int
    channel_id: int
    guild_id: int
    author: User
    content: str = ""
    embeds: list[JSON] = field(default_factory=list)
    components: list[JSON] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    flags: int = 0
    mention_everyone: bool = False
    mentions: list[int] = field(default_factory=list)
    mention_roles: list[int] = field(default_factory=list)
    # Interaction responses and follow-ups: which interaction, and who may see an ephemeral one.
    interaction_id: int | None = None
    visible_to: int | None = None
    application_id: int | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    edited_at: datetime | None = None
    deleted: bool = False

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & 64)

    def to_payload(self, users: dict[int, User]) -> JSON:
        data: JSON = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "author": self.author.to_payload(),
            "content": self.content,
            "timestamp": iso(self.created_at),
            "edited_timestamp": iso(self.edited_at) if self.edited_at else None,
            "tts": False,
            "mention_everyone": self.mention_everyone,
            "mentions": [users[u].to_payload() for u in self.mentions if u in users],
            "mention_roles": [str(r) for r in self.mention_roles],
            "attachments": [a.to_payload() for a in self.attachments],
            "embeds": self.embeds,
            "components": self.components,
            "pinned": False,
            "type": 0 if self.interaction_id is None else 20,
            "flags": self.flags,
        }
        if self.guild_id:  # 0: a direct message, which belongs to no server
            data["guild_id"] = str(self.guild_id)
        if self.application_id is not None:
            data["application_id"] = str(self.application_id)
            data["webhook_id"] = str(self.application_id)
        return data


class EventStatus:
    """Guild scheduled event statuses (resources/guild-scheduled-event.md)."""

    SCHEDULED = 1
    ACTIVE = 2
    COMPLETED = 3
    CANCELED = 4


class EntityType:
    """Guild scheduled event entity types."""

    STAGE_INSTANCE = 1
    VOICE = 2
    EXTERNAL = 3


@dataclass
class ScheduledEvent:
    id: int
    guild_id: int
    name: str
    start: str
    end: str | None
    entity_type: int
    channel_id: int | None
    location: str | None
    description: str | None
    creator_id: int
    status: int = 1
    privacy_level: int = 2
    # When `status` last changed (creation included): an active voice or stage event that
    # nobody is in is ended a few minutes after the later of this and the last leave.
    status_since: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def starts(self) -> datetime:
        return datetime.fromisoformat(self.start)

    @property
    def ends(self) -> datetime | None:
        return datetime.fromisoformat(self.end) if self.end else None

    @property
    def finished(self) -> bool:
        return self.status in (EventStatus.COMPLETED, EventStatus.CANCELED)

    def to_payload(self, creator: User | None) -> JSON:
        return {
            "id": str(self.id),
            "guild_id": str(self.guild_id),
            "channel_id": str(self.channel_id) if self.channel_id else None,
            "creator_id": str(self.creator_id),
            "creator": creator.to_payload() if creator else None,
            "name": self.name,
            "description": self.description,
            "scheduled_start_time": self.start,
            "scheduled_end_time": self.end,
            "privacy_level": self.privacy_level,
            "status": self.status,
            "entity_type": self.entity_type,
            "entity_id": None,
            "entity_metadata": {"location": self.location} if self.location else None,
            "user_count": 0,
            "image": None,
            "recurrence_rule": None,
            "guild_scheduled_event_exceptions": [],
        }


@dataclass
class VoiceState:
    user_id: int
    channel_id: int | None
    session_id: str


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    events: dict[int, ScheduledEvent] = field(default_factory=dict)
    voice: dict[int, VoiceState] = field(default_factory=dict)
    preferred_locale: str = "en-US"
    # Voice and stage channels: when the last person in each left it.
    voice_left_at: dict[int, datetime] = field(default_factory=dict)

    def everyone(self) -> Role:
        return self.roles[self.id]

    def base_permissions(self, user_id: int) -> int:
        member = self.members[user_id]
        return base_permissions(
            guild_id=self.id,
            owner_id=self.owner_id,
            user_id=user_id,
            member_role_ids=member.roles,
            role_permissions={r.id: r.permissions for r in self.roles.values()},
        )

    def permissions_in(self, user_id: int, channel_id: int) -> int:
        """What a member may do in a channel; threads inherit their parent's and membership."""
        channel = self.channels[channel_id]
        target = (
            self.channels[channel.parent_id] if channel.is_thread and channel.parent_id else channel
        )
        overwrites = list(target.overwrites)
        if target.parent_id and not target.is_thread and not overwrites:
            # A channel without overwrites of its own is synced with its category.
            overwrites = list(self.channels[target.parent_id].overwrites)
        member = self.members[user_id]
        perms = channel_permissions(
            self.base_permissions(user_id),
            guild_id=self.id,
            user_id=user_id,
            member_role_ids=member.roles,
            overwrites=overwrites,
        )
        if (
            channel.type == ChannelType.PRIVATE_THREAD
            and user_id not in channel.thread_members
            and not perms & P.MANAGE_THREADS
            and not perms & P.ADMINISTRATOR
        ):
            return 0
        return perms

    def can_view(self, user_id: int, channel_id: int) -> bool:
        return bool(self.permissions_in(user_id, channel_id) & P.VIEW_CHANNEL)

    def in_voice(self, channel_id: int) -> list[int]:
        """Who is connected to a voice or stage channel."""
        return [v.user_id for v in self.voice.values() if v.channel_id == channel_id]

    def top_role_position(self, user_id: int) -> int:
        member = self.members[user_id]
        return max((self.roles[r].position for r in member.roles if r in self.roles), default=0)

    def to_payload(
        self, users: dict[int, User], *, self_id: int | None = None, every_member: bool = False
    ) -> JSON:
        """The guild as GUILD_CREATE carries it to the bot `self_id`; `every_member` with the
        members intent.

        Without that privileged intent Discord still sends the bot's own member and every
        member in a voice channel (with their voice states): discord.py needs both to fill
        `VoiceChannel.members`.
        """
        channels = [c for c in self.channels.values() if not c.is_thread]
        in_voice = {v.user_id for v in self.voice.values() if v.channel_id}
        # gateway-events.md, Guild Create: "all active threads in the guild that the current
        # user is able to view" (an archived thread comes back only when fetched).
        threads = [
            c
            for c in self.channels.values()
            if c.is_thread and not c.archived and (self_id is None or self.can_view(self_id, c.id))
        ]
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "roles": [r.to_payload() for r in self.roles.values()],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": self.preferred_locale,
            "public_updates_channel_id": None,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "joined_at": iso(datetime.now(UTC)),
            "large": False,
            "unavailable": False,
            "member_count": len(self.members),
            "voice_states": [
                {
                    "user_id": str(v.user_id),
                    "channel_id": str(v.channel_id),
                    "session_id": v.session_id,
                    "deaf": False,
                    "mute": False,
                    "self_deaf": False,
                    "self_mute": False,
                    "self_video": False,
                    "suppress": False,
                    "request_to_speak_timestamp": None,
                }
                for v in self.voice.values()
                if v.channel_id
            ],
            "members": [
                m.to_payload()
                for m in self.members.values()
                if every_member or m.user.id == self_id or m.user.id in in_voice
            ],
            "channels": [c.to_payload() for c in channels],
            "threads": [c.to_payload() for c in threads],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [
                e.to_payload(users.get(e.creator_id)) for e in self.events.values()
            ],
            "soundboard_sounds": [],
        }


def new_guild(
    ids: Snowflakes, name: str, owner: User, shard: tuple[int, int] | None = None
) -> Guild:
    """A guild with an @everyone role carrying Discord's defaults, owned by owner (on that
    (shard id, shard count) when given)."""
    guild_id = ids.on_shard(*shard) if shard is not None else ids.next()
    guild = Guild(id=guild_id, name=name, owner_id=owner.id)
    guild.roles[guild.id] = Role(guild.id, "@everyone", int(EVERYONE_DEFAULT), position=0)
    guild.members[owner.id] = Member(owner)
    return guild
