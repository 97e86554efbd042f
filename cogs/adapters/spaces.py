"""Paired spaces in Discord: private channels (or private threads in a full server) for each
pair, their permissions, welcomes, pauses and archiving.

The pairing, roster, safety, privacy and exchange services all change spaces through the
`SpacePort` this adapter implements, so it lives here, shared, rather than in one feature.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import discord

from bot.app import http_reason
from bot.cldr import format_wall
from bot.domain.exchange import native_name, native_names
from bot.errors import BotMissingPermissionError, UserError
from bot.i18n import listing, t
from bot.limits import (
    CHANNEL_NAME,
    CONTENT,
    EMBED_TITLE,
    EMBEDS_TOTAL,
    FIELD_VALUE,
    THREAD_MAX_AUTO_ARCHIVE_MINUTES,
    THREAD_NAME,
)
from bot.pseudo import unmarked
from bot.services import pairing as service
from bot.services.scheduler import RetryLaterError, UndeliverableError
from bot.store.exchanges import role_ids
from cogs.common.channels import Space, active_space, find_space
from cogs.common.text import NO_PINGS, clip, interest_label, only_users, shown, timestamp

if TYPE_CHECKING:
    from bot.app import Twinbridge

log = logging.getLogger(__name__)

# How many of a space's latest messages a post cut short by a stop is looked for among.
POSTED_LOOKUP = 50
# Of Discord's 6000 characters over a message's embeds, what a welcome may use.
WELCOME_BUDGET = EMBEDS_TOTAL - 100

# Students may read and write in their own space; staff roles see every space.
MEMBER_ALLOW = discord.PermissionOverwrite(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    read_message_history=True,
    attach_files=True,
    embed_links=True,
)
# Archived and paused spaces: students keep reading but cannot write, react, or open a thread
# (their @everyone defaults would otherwise let them start one and write there).
READ_ONLY = discord.PermissionOverwrite(
    view_channel=True,
    read_message_history=True,
    send_messages=False,
    send_messages_in_threads=False,
    create_public_threads=False,
    create_private_threads=False,
    add_reactions=False,
)
HIDDEN = discord.PermissionOverwrite(view_channel=False)
# The channel that holds a full server's private pair threads: staff see and manage every
# thread; students write only in their own thread and cannot start one.
STAFF_THREAD_PARENT = discord.PermissionOverwrite(
    view_channel=True, send_messages_in_threads=True, manage_threads=True
)
STUDENT_THREAD_PARENT = discord.PermissionOverwrite(
    view_channel=True,
    send_messages=False,
    send_messages_in_threads=True,
    create_public_threads=False,
    create_private_threads=False,
)


def _bits(*overwrites: discord.PermissionOverwrite) -> int:
    """Every permission these overwrites allow or deny."""
    found = 0
    for overwrite in overwrites:
        allow, deny = overwrite.pair()
        found |= allow.value | deny.value
    return found


# Discord lets a bot allow or deny in an overwrite only permissions it holds itself, so each of
# these must be in the invite (README; bot/sandbox/driver.py INVITE_PERMISSIONS, which a test
# compares with this). @everyone's defaults are no help: school servers often strip them.
CHANNEL_OVERWRITES = _bits(MEMBER_ALLOW, READ_ONLY, HIDDEN)
THREAD_OVERWRITES = CHANNEL_OVERWRITES | _bits(STAFF_THREAD_PARENT, STUDENT_THREAD_PARENT)
OVERWRITE_PERMISSIONS = THREAD_OVERWRITES
# What each kind of space needs besides: channels and overwrites; threads and locking them.
SPACE_PERMISSIONS = {
    "channels": discord.Permissions(CHANNEL_OVERWRITES, manage_channels=True, manage_roles=True),
    "threads": discord.Permissions(
        THREAD_OVERWRITES,
        manage_channels=True,
        manage_roles=True,
        create_private_threads=True,
        manage_threads=True,
    ),
}


ARCHIVED = "archived-"
# A space the bot made that nothing stored explains, kept for staff because someone wrote there.
CLOSED = "closed-"


def _member_target(target: object) -> bool:
    """Whether a permission overwrite is for one member (a student), not a role."""
    if isinstance(target, discord.Member):
        return True
    # Uncached, discord.py gives a member's overwrite as an Object of type User.
    return isinstance(target, discord.Object) and target.type is not discord.Role


@asynccontextmanager
async def passing() -> AsyncIterator[None]:
    """Discord failing for a moment (a 5xx) is the services' passing failure: a change is
    undone and the person told to try again, a scheduled post tried again."""
    try:
        yield
    except discord.DiscordServerError as exc:
        raise RetryLaterError(http_reason(exc)) from exc


@asynccontextmanager
async def refused(space_id: int) -> AsyncIterator[None]:
    """Discord refusing to change one space (an admin's overwrite there denies the bot) is
    something a teacher can act on: say which space, instead of a generic failure."""
    try:
        async with passing():
            yield
    except discord.Forbidden:
        raise UserError("error.space_refused", space=f"<#{space_id}>") from None


class DiscordSpaces:
    """The pairing service's `SpacePort`, done with discord.py in one guild."""

    def __init__(
        self, guild: discord.Guild, staff_role_ids: Sequence[int], student_role_id: int | None
    ) -> None:
        self.guild = guild
        self.staff = [r for r in (guild.get_role(i) for i in staff_role_ids) if r is not None]
        self.student_role = guild.get_role(student_role_id) if student_role_id else None

    async def check_permissions(self, kind: str) -> None:
        """Name every permission the bot lacks for this kind of space, before anything changes."""
        me = self.guild.me.guild_permissions
        if me.administrator:
            return
        needed = SPACE_PERMISSIONS.get(kind, SPACE_PERMISSIONS["threads"])
        missing = [name for name, value in needed if value and not getattr(me, name)]
        if missing:
            raise BotMissingPermissionError(
                "error.bot_missing_permission",
                permission=tuple(missing),
            )

    async def channel_count(self) -> int:
        return len(self.guild.channels)

    async def children(self, category_id: int) -> int | None:
        category = self.guild.get_channel(category_id)
        return len(category.channels) if isinstance(category, discord.CategoryChannel) else None

    def _staff_overwrites(
        self,
    ) -> dict[discord.Role | discord.Member | discord.Object, discord.PermissionOverwrite]:
        overwrites: dict[
            discord.Role | discord.Member | discord.Object, discord.PermissionOverwrite
        ] = {
            self.guild.default_role: HIDDEN,
            self.guild.me: MEMBER_ALLOW,
        }
        for role in self.staff:
            overwrites[role] = MEMBER_ALLOW
        return overwrites

    async def create_category(self, name: str) -> int:
        async with passing():
            category = await self.guild.create_category(
                clip(name, CHANNEL_NAME), overwrites=self._staff_overwrites()
            )
        return category.id

    async def create_channel(self, category_id: int, name: str, user_ids: Sequence[int]) -> int:
        category = self.guild.get_channel(category_id)
        assert isinstance(category, discord.CategoryChannel)
        overwrites = self._staff_overwrites()
        for user_id in user_ids:
            overwrites[discord.Object(id=user_id, type=discord.Member)] = MEMBER_ALLOW
        async with passing():
            channel = await self.guild.create_text_channel(
                name, category=category, overwrites=overwrites
            )
        return channel.id

    async def create_thread_parent(self, name: str) -> int:
        overwrites = self._staff_overwrites()
        for role in self.staff:
            # Private threads are visible to Manage Threads holders: teachers see every pair.
            overwrites[role] = STAFF_THREAD_PARENT
        if self.student_role is not None:
            overwrites[self.student_role] = STUDENT_THREAD_PARENT
        async with passing():
            channel = await self.guild.create_text_channel(
                clip(name, CHANNEL_NAME), overwrites=overwrites
            )
        return channel.id

    async def create_thread(self, parent_id: int, name: str, user_ids: Sequence[int]) -> int:
        parent = self.guild.get_channel(parent_id)
        assert isinstance(parent, discord.TextChannel)
        async with passing():
            thread = await parent.create_thread(
                name=name,
                type=discord.ChannelType.private_thread,
                invitable=False,
                # A pair that goes quiet for a few days should not drop out of its members'
                # sidebars: the longest Discord allows (a week); the bot reopens it after that.
                auto_archive_duration=THREAD_MAX_AUTO_ARCHIVE_MINUTES,
            )
            for user_id in user_ids:
                await thread.add_user(discord.Object(id=user_id))
        return thread.id

    async def _postable(self, space_id: int) -> Space:
        """Where a post goes: a thread that archived itself is found all the same (a message
        reopens it by itself); a space that is gone cannot take the post."""
        async with passing():
            space = await find_space(self.guild, space_id)
        if space is None:
            raise UndeliverableError(f"space {space_id} is gone")
        return space

    async def _posted(
        self,
        space: Space,
        again: bool,
        same: Callable[[discord.Message], bool],
    ) -> bool:
        """Whether the bot already posted this in the space (an earlier try cut short may
        have): one read of the latest messages, only when it may be so."""
        if not again:
            return False
        async with passing():
            async for message in space.history(limit=POSTED_LOOKUP):
                if message.author.id == self.guild.me.id and same(message):
                    return True
        return False

    async def welcome(
        self,
        space_id: int,
        welcome: service.Welcome,
        *,
        nonce: str | None = None,
        again: bool = False,
    ) -> None:
        space = await self._postable(space_id)
        mentions = " ".join(f"<@{m.user_id}>" for m in welcome.members)
        embeds = welcome_embeds(welcome)
        # What Discord keeps has no pseudo-locale marks (bot.pseudo): compare without them.
        titles = [unmarked(e.title or "") for e in embeds]
        # A space gets one welcome ever: one with the same parts is this one.
        if await self._posted(space, again, lambda m: [e.title or "" for e in m.embeds] == titles):
            return
        extra: dict[str, Any] = {"nonce": nonce} if nonce is not None else {}
        # Failures go to the scheduler as they are: a 5xx is tried again, a 403/404 recorded.
        await space.send(
            mentions,
            embeds=embeds,
            # The students of this space are pinged on purpose; nobody else ever is.
            allowed_mentions=only_users(m.user_id for m in welcome.members),
            **extra,
        )

    async def greet(
        self,
        space_id: int,
        newcomer: service.Newcomer,
        *,
        nonce: str | None = None,
        again: bool = False,
    ) -> None:
        space = await self._postable(space_id)
        member = newcomer.member
        partners = [shown(p) for p in newcomer.partners]
        name = shown(member.name)
        lines = [
            t(
                "pair.swap_welcome",
                lang,
                name=name,
                city=shown(member.city),
                partners=listing(partners, lang) or "—",
            )
            for lang in newcomer.languages[:3] or ("en",)
        ]
        card = service.Welcome(
            exchange="", members=(member,), shared_interests=(), common_languages=()
        )
        content = clip(f"<@{member.user_id}> " + "\n".join(dict.fromkeys(lines)), CONTENT)
        if await self._posted(space, again, lambda m: m.content == unmarked(content)):
            return
        extra: dict[str, Any] = {"nonce": nonce} if nonce is not None else {}
        await space.send(
            content,
            embed=welcome_embeds(card)[-1],
            # Only the newcomer is pinged; names and the introduction never ping anyone.
            allowed_mentions=only_users([member.user_id]),
            **extra,
        )

    async def set_members(
        self, space_id: int, kind: str, add: Sequence[int], remove: Sequence[int]
    ) -> None:
        async with refused(space_id):
            space = await active_space(self.guild, space_id)
            if isinstance(space, discord.Thread):
                for user_id in remove:
                    # Putting back a move that never happened may remove a non-member.
                    with contextlib.suppress(discord.NotFound):
                        await space.remove_user(discord.Object(id=user_id))
                for user_id in add:
                    await space.add_user(discord.Object(id=user_id))
            elif isinstance(space, discord.TextChannel):
                overwrites = dict(space.overwrites)
                for user_id in remove:
                    overwrites = {k: v for k, v in overwrites.items() if k.id != user_id}
                for user_id in add:
                    overwrites[discord.Object(id=user_id, type=discord.Member)] = MEMBER_ALLOW
                await space.edit(overwrites=overwrites)

    async def archive(self, space_id: int, kind: str, user_ids: Sequence[int]) -> None:
        """Read-only for its students. A channel's new name (`archived-…`) is not given here
        but by `label`, once the pair is stored as archived: this change may still be undone
        (`restore`), and Discord allows only two renames per channel per ten minutes."""
        async with refused(space_id):
            space = await find_space(self.guild, space_id)
            if isinstance(space, discord.Thread):
                if space.archived and space.locked:
                    return  # archived by the bot already
                # Archived and locked: read-only, and only Manage Threads may open it again.
                # An archived thread changes only once unarchived, even to be locked.
                if space.archived:
                    space = await space.edit(archived=False)
                await space.edit(archived=True, locked=True)
            elif isinstance(space, discord.TextChannel):
                overwrites = dict(space.overwrites)
                for user_id in user_ids:
                    overwrites[discord.Object(id=user_id, type=discord.Member)] = READ_ONLY
                await space.edit(overwrites=overwrites)

    async def restore(
        self, space_id: int, kind: str, user_ids: Sequence[int], *, paused: bool
    ) -> None:
        """Undo `archive` (when a change it was part of failed): writable, or paused again."""
        async with refused(space_id):
            space = await find_space(self.guild, space_id)
            if isinstance(space, discord.Thread):
                # Unarchiving is the one change an archived thread takes; the lock goes with it.
                await space.edit(archived=False, locked=paused)
            elif isinstance(space, discord.TextChannel):
                await self._set_members(space, user_ids, READ_ONLY if paused else MEMBER_ALLOW)

    async def label(self, space_id: int, *, archived: bool) -> None:
        """Put a channel's name in step with its pair: `archived-…` once the pair has ended.

        Threads need nothing (they are archived and locked instead), nor a channel that is
        gone. When Discord asks for a long wait (its two renames per channel per ten minutes),
        `RetryLaterError` says how long, for the scheduler to try again then.
        """
        space = await find_space(self.guild, space_id)
        if not isinstance(space, discord.TextChannel):
            return
        bare = space.name.removeprefix(ARCHIVED)
        name = clip(f"{ARCHIVED}{bare}", CHANNEL_NAME) if archived else bare
        if name == space.name:
            return
        try:
            await space.edit(name=name)
        except discord.RateLimited as waited:
            raise RetryLaterError(
                f"Discord asks to wait {waited.retry_after:.0f} s before renaming {space_id}",
                retry_after=waited.retry_after,
            ) from waited

    async def pause(
        self, space_id: int, kind: str, user_ids: Sequence[int], languages: Sequence[str]
    ) -> None:
        async with refused(space_id):
            space = await active_space(self.guild, space_id)
            if isinstance(space, discord.Thread):
                # Since March 2023 Discord lets only Manage Threads holders write in a locked
                # thread; it stays in the members' list, readable. (Archiving it too would
                # hide it from their sidebar.) A thread that archived itself after a quiet
                # week was unarchived first: an archived thread cannot be locked, and a
                # member's message would reopen it.
                await self._notice(space, "space.paused_notice", languages)
                await space.edit(locked=True)
            elif isinstance(space, discord.TextChannel):
                await self._set_members(space, user_ids, READ_ONLY)
                await self._notice(space, "space.paused_notice", languages)

    async def reopen(
        self, space_id: int, kind: str, user_ids: Sequence[int], languages: Sequence[str]
    ) -> None:
        async with refused(space_id):
            space = await find_space(self.guild, space_id)
            if isinstance(space, discord.Thread):
                await space.edit(locked=False, archived=False)
                await self._notice(space, "space.reopened_notice", languages)
            elif isinstance(space, discord.TextChannel):
                await self._set_members(space, user_ids, MEMBER_ALLOW)
                await self._notice(space, "space.reopened_notice", languages)

    async def _set_members(
        self,
        space: discord.TextChannel,
        user_ids: Sequence[int],
        overwrite: discord.PermissionOverwrite,
    ) -> None:
        overwrites = dict(space.overwrites)
        for user_id in user_ids:
            overwrites = {k: v for k, v in overwrites.items() if k.id != user_id}
            overwrites[discord.Object(id=user_id, type=discord.Member)] = overwrite
        await space.edit(overwrites=overwrites)

    async def _notice(self, space: Space, key: str, languages: Sequence[str]) -> None:
        lines = [t(key, language) for language in dict.fromkeys(languages or ("en",))]
        await space.send("\n".join(dict.fromkeys(lines)), allowed_mentions=NO_PINGS)

    async def _found(self, space_id: int) -> discord.abc.GuildChannel | discord.Thread | None:
        """A category or channel (always in discord.py's cache) or a thread, archived ones
        included (`find_space`); None when it is gone."""
        channel = self.guild.get_channel(space_id)
        if channel is not None:
            return channel
        async with passing():
            return await find_space(self.guild, space_id)

    async def delete_unused(self, space_id: int) -> None:
        space = await self._found(space_id)
        if space is not None:
            with contextlib.suppress(discord.NotFound):  # gone already
                async with passing():
                    await space.delete()

    async def retire(self, space_id: int) -> str:
        space = await self._found(space_id)
        if space is None:
            return "gone"
        if isinstance(space, (discord.TextChannel, discord.Thread)):
            used = False
            async with passing():
                # A thread that archived itself is read without reopening it.
                async for message in space.history(limit=POSTED_LOOKUP):
                    if message.author.id != self.guild.me.id:
                        used = True
                        break
            if used:
                await self._close(space)
                return "closed"
        await self.delete_unused(space_id)
        return "deleted"

    async def _close(self, space: Space) -> None:
        """Students lose a space someone wrote in; staff keep it to read (renamed "closed-")."""
        name = space.name if space.name.startswith(CLOSED) else f"{CLOSED}{space.name}"
        async with refused(space.id):
            if isinstance(space, discord.Thread):
                if space.archived and space.locked and space.name == name:
                    return  # closed already
                # An archived thread changes only once unarchived. Then archived and locked:
                # nobody but Manage Threads holders writes or reopens it.
                if space.archived:
                    space = await space.edit(archived=False)
                await space.edit(name=clip(name, THREAD_NAME), archived=True, locked=True)
                return
            me = self.guild.me.id
            staff_only = {
                target: overwrite
                for target, overwrite in space.overwrites.items()
                if not _member_target(target) or target.id == me
            }
            await space.edit(name=clip(name, CHANNEL_NAME), overwrites=staff_only)

    def _made_by_me(self, channel: discord.abc.GuildChannel) -> bool:
        """A category or channel the bot made: every one it makes carries an overwrite for
        the bot's own member (admins give roles, not the bot itself, their overwrites)."""
        me = self.guild.me.id
        return any(target.id == me for target in channel.overwrites)

    async def made_in(self, parent_id: int | None) -> list[service.FoundSpace]:
        if parent_id is None:
            return [
                service.FoundSpace(c.id, c.name, "category" if c.type.value == 4 else "channel")
                for c in self.guild.channels
                if isinstance(c, (discord.CategoryChannel, discord.TextChannel))
                and (isinstance(c, discord.CategoryChannel) or c.category is None)
                and self._made_by_me(c)
            ]
        parent = self.guild.get_channel(parent_id)
        if isinstance(parent, discord.CategoryChannel):
            return [
                service.FoundSpace(c.id, c.name, "channel")
                for c in parent.channels
                if isinstance(c, discord.TextChannel) and self._made_by_me(c)
            ]
        if isinstance(parent, discord.TextChannel):
            return [
                service.FoundSpace(t.id, t.name, "thread")
                for t in parent.threads
                if t.owner_id == self.guild.me.id
            ]
        return []

    async def missing(self, channel_ids: Collection[int]) -> set[int]:
        # Every channel of a guild is in the cache (threads are not: see the Protocol).
        return {i for i in channel_ids if self.guild.get_channel(i) is None}


async def spaces_for(bot: Twinbridge, guild: discord.Guild) -> DiscordSpaces:
    """The spaces adapter for a server, with the roles it chose for staff and students."""
    async with bot.ctx.db.read() as conn:
        roles = await role_ids(conn, guild.id)
    staff = [r for r in (roles["teacher"], roles["coordinator"]) if r is not None]
    return DiscordSpaces(guild, staff, roles["student"])


def welcome_embeds(welcome: service.Welcome) -> list[discord.Embed]:
    """One post for a new space: a short welcome in each member's language, then the people.

    Each student reads the welcome in the language they chose; the introductions are shown
    once, as written. Three languages at most, so the post stays within Discord's 6000.
    """
    languages = list(dict.fromkeys(m.language for m in welcome.members)) or ["en"]
    count = len(welcome.members)
    embeds = []
    for lang in languages:
        # A group larger than two (a trio, or more when one city has over twice the other's
        # students) is told why: nobody is left out.
        lines = [
            t("pair.welcome_body_trio" if count > 2 else "pair.welcome_body", lang, count=count)
        ]
        if count > 2 and len(welcome.round_counts) == 2:
            (bigger, more), (smaller, fewer) = welcome.round_counts
            lines.append(
                t(
                    "pair.trio_why",
                    lang,
                    count=count,
                    bigger=bigger,
                    more=more,
                    smaller=smaller,
                    fewer=fewer,
                )
            )
        if welcome.awake_together is not None:
            start, end = welcome.awake_together
            lines.append(
                t("pair.welcome_awake", lang, start=timestamp(start, "t"), end=timestamp(end, "t"))
            )
        if welcome.shared_interests:
            shared = listing((interest_label(i, lang) for i in welcome.shared_interests), lang)
            lines.append(t("pair.welcome_shared", lang, interests=shared))
        else:
            lines.append(t("pair.welcome_no_shared", lang))
        if welcome.common_languages:
            common = listing(map(native_name, welcome.common_languages), lang)
            lines.append(t("pair.welcome_common", lang, languages=common))
        else:
            lines.append(t("pair.welcome_no_common", lang))
        lines.append(t("pair.welcome_legend", lang))
        embeds.append(
            discord.Embed(
                title=clip(t("pair.welcome_title", lang, exchange=welcome.exchange), EMBED_TITLE),
                description="\n\n".join(lines),
                colour=discord.Colour.gold(),
            )
        )
    people = discord.Embed(
        title=clip(" · ".join(t("pair.welcome_people", lang) for lang in languages), EMBED_TITLE),
        colour=discord.Colour.gold(),
    )
    abouts = []
    for member in welcome.members:
        # Their clock when the space opened, as each reader of the post writes a time.
        clock = " / ".join(
            dict.fromkeys(format_wall(member.local_time, lang) for lang in languages)
            if member.local_time is not None
            else ["—"]
        )
        about = f"🗣️ {native_names(member.languages) or '—'}\n🕒 {clock}"
        if member.awake is not None:
            start, end = member.awake
            about += f" · ☀️ {timestamp(start, 't')}–{timestamp(end, 't')}"
        abouts.append(clip(f"{about}\n🌍 {member.timezone}", 300))
    # Discord allows 6000 characters over all a message's embeds. Intros are at most 500
    # each, but a trio in three languages with long free-text interests could pass the
    # limit: then the intros share what is left, each clipped alike.
    names = [shown(f"{m.name} · {m.city}", 200) for m in welcome.members]
    used = sum(len(e) for e in embeds) + len(people.title or "")
    used += sum(len(n) + len(a) + 2 for n, a in zip(names, abouts, strict=True))
    room = max(40, (WELCOME_BUDGET - used) // max(1, len(welcome.members)))
    for member, name, about in zip(welcome.members, names, abouts, strict=True):
        intro = clip(member.intro or "—", min(room, FIELD_VALUE - len(about) - 2))
        people.add_field(name=name, value=f"{about}\n\n{intro}", inline=False)
    embeds.append(people)
    return embeds
