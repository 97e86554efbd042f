"""Discord's permission arithmetic: base permissions from roles, then channel overwrites."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntFlag


class P(IntFlag):
    """Permission bits, named as in Discord's documentation."""

    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_AUDIT_LOG = 1 << 7
    PRIORITY_SPEAKER = 1 << 8
    STREAM = 1 << 9
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    SEND_TTS_MESSAGES = 1 << 12
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    VIEW_GUILD_INSIGHTS = 1 << 19
    CONNECT = 1 << 20
    SPEAK = 1 << 21
    MUTE_MEMBERS = 1 << 22
    DEAFEN_MEMBERS = 1 << 23
    MOVE_MEMBERS = 1 << 24
    USE_VAD = 1 << 25
    CHANGE_NICKNAME = 1 << 26
    MANAGE_NICKNAMES = 1 << 27
    MANAGE_ROLES = 1 << 28
    MANAGE_WEBHOOKS = 1 << 29
    MANAGE_GUILD_EXPRESSIONS = 1 << 30
    USE_APPLICATION_COMMANDS = 1 << 31
    REQUEST_TO_SPEAK = 1 << 32
    MANAGE_EVENTS = 1 << 33
    MANAGE_THREADS = 1 << 34
    CREATE_PUBLIC_THREADS = 1 << 35
    CREATE_PRIVATE_THREADS = 1 << 36
    USE_EXTERNAL_STICKERS = 1 << 37
    SEND_MESSAGES_IN_THREADS = 1 << 38
    USE_EMBEDDED_ACTIVITIES = 1 << 39
    MODERATE_MEMBERS = 1 << 40
    CREATE_EVENTS = 1 << 44


ALL = P(sum(p.value for p in P))

# What @everyone gets in a new Discord server (a useful default for seeded guilds).
EVERYONE_DEFAULT = (
    P.VIEW_CHANNEL
    | P.SEND_MESSAGES
    | P.SEND_MESSAGES_IN_THREADS
    | P.CREATE_PUBLIC_THREADS
    | P.EMBED_LINKS
    | P.ATTACH_FILES
    | P.READ_MESSAGE_HISTORY
    | P.ADD_REACTIONS
    | P.CONNECT
    | P.SPEAK
    | P.USE_VAD
    | P.USE_APPLICATION_COMMANDS
    | P.CHANGE_NICKNAME
)


@dataclass(frozen=True, slots=True)
class Overwrite:
    """A channel permission overwrite for a role (type 0) or a member (type 1)."""

    id: int
    type: int
    allow: int
    deny: int

    def to_payload(self) -> dict[str, object]:
        return {
            "id": str(self.id),
            "type": self.type,
            "allow": str(self.allow),
            "deny": str(self.deny),
        }


def base_permissions(
    *,
    guild_id: int,
    owner_id: int,
    user_id: int,
    member_role_ids: Iterable[int],
    role_permissions: dict[int, int],
) -> int:
    """Guild-level permissions: @everyone's plus every role's; owners and admins get all."""
    if user_id == owner_id:
        return int(ALL)
    perms = role_permissions.get(guild_id, 0)
    for role_id in member_role_ids:
        perms |= role_permissions.get(role_id, 0)
    if perms & P.ADMINISTRATOR:
        return int(ALL)
    return perms


def channel_permissions(
    base: int,
    *,
    guild_id: int,
    user_id: int,
    member_role_ids: Iterable[int],
    overwrites: Iterable[Overwrite],
) -> int:
    """Apply a channel's overwrites in Discord's order: @everyone, roles, then the member."""
    if base & P.ADMINISTRATOR:
        return int(ALL)
    by_id = {(o.type, o.id): o for o in overwrites}
    perms = base
    everyone = by_id.get((0, guild_id))
    if everyone:
        perms = (perms & ~everyone.deny) | everyone.allow
    allow = deny = 0
    for role_id in member_role_ids:
        o = by_id.get((0, role_id))
        if o:
            allow |= o.allow
            deny |= o.deny
    perms = (perms & ~deny) | allow
    member = by_id.get((1, user_id))
    if member:
        perms = (perms & ~member.deny) | member.allow
    if not perms & P.VIEW_CHANNEL:
        # A channel you cannot see grants nothing else.
        return 0
    return perms


def names(bits: int) -> list[str]:
    """Human names of the bits set, for error messages."""
    return [p.name.replace("_", " ").title() for p in P if p.name and bits & p]
