"""`/pair preview|confirm|swap|remove|history`, and the Discord side of paired spaces."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands
from discord.utils import MISSING, escape_markdown

from bot.app import Twinbridge
from bot.domain.exchange import native_name, native_names
from bot.errors import BotMissingPermissionError, UserError
from bot.i18n import listing, t
from bot.services import pairing as service
from bot.store.exchanges import role_ids
from cogs.utils import (
    NO_PINGS,
    actor_of,
    clip,
    exchange_autocomplete,
    interest_label,
    only_users,
    timestamp,
)
from cogs.views import ExchangePageButton, chunk_lines, pack_fields, pager

PER_PAGE = 10
WELCOME_BUDGET = 5900  # of Discord's 6000 characters over a message's embeds

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


def permission_label(name: str) -> str:
    """A permission as Discord's settings name it ("add_reactions" → "Add Reactions")."""
    return name.replace("_", " ").title()


ARCHIVED = "archived-"


@asynccontextmanager
async def refused(space_id: int) -> AsyncIterator[None]:
    """Discord refusing to change one space (an admin's overwrite there denies the bot) is
    something a teacher can act on: say which space, instead of a generic failure."""
    try:
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
                permission=", ".join(permission_label(m) for m in missing),
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
        category = await self.guild.create_category(
            clip(name, 100), overwrites=self._staff_overwrites()
        )
        return category.id

    async def create_channel(self, category_id: int, name: str, user_ids: Sequence[int]) -> int:
        category = self.guild.get_channel(category_id)
        assert isinstance(category, discord.CategoryChannel)
        overwrites = self._staff_overwrites()
        for user_id in user_ids:
            overwrites[discord.Object(id=user_id, type=discord.Member)] = MEMBER_ALLOW
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
        channel = await self.guild.create_text_channel(clip(name, 100), overwrites=overwrites)
        return channel.id

    async def create_thread(self, parent_id: int, name: str, user_ids: Sequence[int]) -> int:
        parent = self.guild.get_channel(parent_id)
        assert isinstance(parent, discord.TextChannel)
        thread = await parent.create_thread(
            name=name, type=discord.ChannelType.private_thread, invitable=False
        )
        for user_id in user_ids:
            await thread.add_user(discord.Object(id=user_id))
        return thread.id

    async def _space(self, space_id: int) -> discord.abc.GuildChannel | discord.Thread | None:
        return self.guild.get_channel_or_thread(space_id)

    async def welcome(self, space_id: int, welcome: service.Welcome) -> None:
        space = await self._space(space_id)
        assert isinstance(space, (discord.TextChannel, discord.Thread))
        mentions = " ".join(f"<@{m.user_id}>" for m in welcome.members)
        await space.send(
            mentions,
            embeds=welcome_embeds(welcome),
            # The students of this space are pinged on purpose; nobody else ever is.
            allowed_mentions=only_users(m.user_id for m in welcome.members),
        )

    async def greet(self, space_id: int, newcomer: service.Newcomer) -> None:
        space = await self._space(space_id)
        if not isinstance(space, (discord.TextChannel, discord.Thread)):
            return
        member = newcomer.member
        partners = ", ".join(escape_markdown(p) for p in newcomer.partners) or "—"
        name = escape_markdown(member.name)
        lines = [
            t("pair.swap_welcome", lang, name=name, city=member.city, partners=partners)
            for lang in newcomer.languages[:3] or ("en",)
        ]
        card = service.Welcome(
            exchange="", members=(member,), shared_interests=(), common_languages=()
        )
        await space.send(
            clip(f"<@{member.user_id}> " + "\n".join(dict.fromkeys(lines)), 2000),
            embed=welcome_embeds(card)[-1],
            # Only the newcomer is pinged; names and the introduction never ping anyone.
            allowed_mentions=only_users([member.user_id]),
        )

    async def set_members(
        self, space_id: int, kind: str, add: Sequence[int], remove: Sequence[int]
    ) -> None:
        async with refused(space_id):
            space = await self._space(space_id)
            if isinstance(space, discord.Thread):
                for user_id in remove:
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
        async with refused(space_id):
            space = await self._space(space_id)
            if isinstance(space, discord.Thread):
                # Archived and locked: read-only, and only Manage Threads may open it again.
                await space.edit(archived=True, locked=True)
            elif isinstance(space, discord.TextChannel):
                overwrites = dict(space.overwrites)
                for user_id in user_ids:
                    overwrites[discord.Object(id=user_id, type=discord.Member)] = READ_ONLY
                name = space.name
                if not name.startswith(ARCHIVED):
                    name = f"{ARCHIVED}{name}"
                await space.edit(name=clip(name, 100), overwrites=overwrites)

    async def restore(
        self, space_id: int, kind: str, user_ids: Sequence[int], *, paused: bool
    ) -> None:
        """Undo `archive` (when a change it was part of failed): writable, or paused again."""
        async with refused(space_id):
            space = await self._space(space_id)
            if isinstance(space, discord.Thread):
                await space.edit(archived=False, locked=paused)
            elif isinstance(space, discord.TextChannel):
                await self._set_members(space, user_ids, READ_ONLY if paused else MEMBER_ALLOW)
                if space.name.startswith(ARCHIVED):
                    await space.edit(name=space.name.removeprefix(ARCHIVED))

    async def pause(
        self, space_id: int, kind: str, user_ids: Sequence[int], languages: Sequence[str]
    ) -> None:
        async with refused(space_id):
            space = await self._space(space_id)
            if isinstance(space, discord.Thread):
                # Since March 2023 Discord lets only Manage Threads holders write in a locked
                # thread; it stays in the members' list, readable. (Archiving it too would
                # hide it from their sidebar.)
                await self._notice(space, "space.paused_notice", languages)
                await space.edit(locked=True)
            elif isinstance(space, discord.TextChannel):
                await self._set_members(space, user_ids, READ_ONLY)
                await self._notice(space, "space.paused_notice", languages)

    async def reopen(
        self, space_id: int, kind: str, user_ids: Sequence[int], languages: Sequence[str]
    ) -> None:
        async with refused(space_id):
            space = await self._space(space_id)
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

    async def _notice(
        self, space: discord.TextChannel | discord.Thread, key: str, languages: Sequence[str]
    ) -> None:
        lines = [t(key, language) for language in dict.fromkeys(languages or ("en",))]
        await space.send("\n".join(dict.fromkeys(lines)), allowed_mentions=NO_PINGS)

    async def delete_unused(self, space_id: int) -> None:
        space = await self._space(space_id)
        if space is not None:
            await space.delete()


async def spaces_for(bot: Twinbridge, guild: discord.Guild) -> DiscordSpaces:
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
                title=clip(t("pair.welcome_title", lang, exchange=welcome.exchange), 256),
                description="\n\n".join(lines),
                colour=discord.Colour.gold(),
            )
        )
    people = discord.Embed(
        title=clip(" · ".join(t("pair.welcome_people", lang) for lang in languages), 256),
        colour=discord.Colour.gold(),
    )
    abouts = []
    for member in welcome.members:
        about = f"🗣️ {native_names(member.languages) or '—'}\n🕒 {member.local_time}"
        if member.awake is not None:
            start, end = member.awake
            about += f" · ☀️ {timestamp(start, 't')}–{timestamp(end, 't')}"
        abouts.append(clip(f"{about}\n🌍 {member.timezone}", 300))
    # Discord allows 6000 characters over all a message's embeds. Intros are at most 500
    # each, but a trio in three languages with long free-text interests could pass the
    # limit: then the intros share what is left, each clipped alike.
    names = [clip(f"{m.name} · {m.city}", 200) for m in welcome.members]
    used = sum(len(e) for e in embeds) + len(people.title or "")
    used += sum(len(n) + len(a) + 2 for n, a in zip(names, abouts, strict=True))
    room = max(40, (WELCOME_BUDGET - used) // max(1, len(welcome.members)))
    for member, name, about in zip(welcome.members, names, abouts, strict=True):
        intro = clip(member.intro or "—", min(room, 1024 - len(about) - 2))
        people.add_field(name=name, value=f"{about}\n\n{intro}", inline=False)
    embeds.append(people)
    return embeds


def reasons_text(reasons: dict[str, Any], language: str) -> str:
    """Why a group was made, in one or two lines."""
    parts = []
    shared = reasons.get("shared_interests") or []
    if shared:
        labels = listing((interest_label(i, language) for i in shared), language)
        parts.append(t("pair.why_interests", language, interests=labels))
    if reasons.get("same_grade_band"):
        parts.append(t("pair.why_grade", language))
    common = reasons.get("common_languages") or []
    if common:
        parts.append(
            t(
                "pair.why_language",
                language,
                languages=listing(map(native_name, common), language),
            )
        )
    hours = reasons.get("waking_overlap_hours")
    if hours:
        parts.append(t("pair.why_awake", language, hours=f"{hours:g}"))
    if reasons.get("repeats_earlier_partner"):
        parts.append(t("pair.why_repeat", language))
    return " · ".join(parts) or t("pair.why_balance", language)


class PreviewPageButton(ExchangePageButton, prefix="pair:preview"):
    """◀ or ▶ under /pair preview. The same students give the same plan, so a page is
    recomputed on each press: nothing to keep in memory, and it survives restarts."""

    async def show(self, interaction: discord.Interaction[Any]) -> None:
        bot: Twinbridge = interaction.client
        actor = await actor_of(interaction)
        # Pairing a large exchange can take a moment: acknowledge before computing.
        await interaction.response.defer()
        assert interaction.guild is not None
        proposal = await service.propose(
            bot.ctx.db,
            bot.ctx.clock,
            actor,
            self.exchange_id,
            await spaces_for(bot, interaction.guild),
        )
        embed, view = proposal_page(proposal, actor.language, self.page)
        await interaction.edit_original_response(embed=embed, view=view, allowed_mentions=NO_PINGS)


def proposal_page(
    proposal: service.Proposal, lang: str, page: int
) -> tuple[discord.Embed, discord.ui.View | None]:
    """One page of proposed groups (ten, to stay within 6000 characters) and ◀ ▶ buttons."""
    pages = max(1, math.ceil(len(proposal.groups) / PER_PAGE))
    page = min(max(page, 1), pages)
    trios = sum(1 for g in proposal.groups if len(g.members) > 2)
    header = t(
        "pair.preview_header",
        lang,
        pairs=len(proposal.groups),
        trios=trios,
        hours=f"{proposal.waking_overlap:g}",
        kind=t(f"pair.kind_{proposal.space_plan.kind}", lang),
    )
    if proposal.replaces:
        header += "\n" + t("pair.preview_replaces", lang, count=proposal.replaces)
    if proposal.paused:
        header += "\n" + t("pair.preview_paused", lang, count=proposal.paused)
    embed = discord.Embed(
        title=clip(t("pair.preview_title", lang, exchange=proposal.exchange.name), 256),
        description=clip(header, 600),
        colour=discord.Colour.blurple(),
    )
    first = (page - 1) * PER_PAGE
    for number, group in enumerate(proposal.groups[first : first + PER_PAGE], start=first + 1):
        names = " · ".join(
            f"{m.display_name} ({proposal.exchange.city(m.city_id).name})"
            if m.city_id
            else m.display_name
            for m in group.members
        )
        # Ten fields of at most 200 + 300 characters, a header of 600, a title of 256 and
        # the footer stay under Discord's 6000 for an embed.
        embed.add_field(
            name=clip(f"{number}. {names}", 200),
            value=clip(reasons_text(group.reasons, lang), 300),
            inline=False,
        )
    embed.set_footer(text=t("pair.page", lang, page=page, pages=pages))
    view = pager(
        page,
        pages,
        lambda target, label, disabled: PreviewPageButton(
            proposal.exchange.id, target, label, disabled=disabled
        ),
    )
    return embed, view


@app_commands.guild_only()
class PairingCog(
    commands.GroupCog, group_name="pair", group_description="Pair students across the two cities"
):
    """Pairing rounds and paired spaces."""

    def __init__(self, bot: Twinbridge) -> None:
        self.bot = bot

    async def _port(self, interaction: discord.Interaction[Twinbridge]) -> DiscordSpaces:
        assert interaction.guild is not None
        return await spaces_for(self.bot, interaction.guild)

    @app_commands.command(
        name="preview", description="Show the proposed pairs and why each was made"
    )
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    async def preview(
        self,
        interaction: discord.Interaction[Twinbridge],
        exchange: int | None = None,
        page: app_commands.Range[int, 1, 500] = 1,
    ) -> None:
        # Acknowledge before any database work: under load the answer stays within Discord's 3 s.
        await interaction.response.defer(ephemeral=True, thinking=True)
        actor = await actor_of(interaction)
        proposal = await service.propose(
            self.bot.ctx.db, self.bot.ctx.clock, actor, exchange, await self._port(interaction)
        )
        embed, view = proposal_page(proposal, actor.language, page)
        await interaction.followup.send(
            embed=embed,
            ephemeral=True,
            allowed_mentions=NO_PINGS,
            view=view or MISSING,
        )

    @app_commands.command(
        name="confirm", description="Create the proposed pairs and their private spaces"
    )
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    async def confirm(
        self, interaction: discord.Interaction[Twinbridge], exchange: int | None = None
    ) -> None:
        # Acknowledge before any database work: under load the answer stays within Discord's 3 s.
        await interaction.response.defer(ephemeral=True, thinking=True)
        actor = await actor_of(interaction)
        done = await service.confirm(
            self.bot.ctx.db,
            self.bot.ctx.clock,
            actor,
            exchange,
            await self._port(interaction),
            self.bot.ctx.scheduler,
        )
        kind = done.proposal.space_plan.kind
        await interaction.followup.send(
            t(
                "pair.confirmed",
                actor.language,
                pairs=len(done.space_ids),
                kind=t(f"pair.kind_{kind}", actor.language),
                archived=done.proposal.replaces,
            ),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(
        name="swap", description="Swap two students of the same city between their pairs"
    )
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    async def swap(
        self,
        interaction: discord.Interaction[Twinbridge],
        first: discord.Member,
        second: discord.Member,
        exchange: int | None = None,
    ) -> None:
        # Acknowledge before any database work: under load the answer stays within Discord's 3 s.
        await interaction.response.defer(ephemeral=True, thinking=True)
        actor = await actor_of(interaction)
        await service.swap(
            self.bot.ctx.db,
            self.bot.ctx.clock,
            actor,
            exchange,
            first.id,
            second.id,
            await self._port(interaction),
        )
        await interaction.followup.send(
            t("pair.swapped", actor.language, first=first.display_name, second=second.display_name),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(
        name="remove", description="End a student's pair; its space becomes read-only"
    )
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    async def remove(
        self,
        interaction: discord.Interaction[Twinbridge],
        student: discord.Member,
        exchange: int | None = None,
    ) -> None:
        # Acknowledge before any database work: under load the answer stays within Discord's 3 s.
        await interaction.response.defer(ephemeral=True, thinking=True)
        actor = await actor_of(interaction)
        await service.remove(
            self.bot.ctx.db,
            self.bot.ctx.clock,
            actor,
            exchange,
            student.id,
            await self._port(interaction),
            self.bot.ctx.scheduler,
        )
        await interaction.followup.send(
            t("pair.removed", actor.language, name=student.display_name),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(
        name="history", description="Every pairing round and who was paired with whom"
    )
    @app_commands.describe(page="Which page")
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    async def history(
        self,
        interaction: discord.Interaction[Twinbridge],
        exchange: int | None = None,
        page: app_commands.Range[int, 1, 500] = 1,
    ) -> None:
        actor = await actor_of(interaction)
        found = await service.history(self.bot.ctx.db, actor, exchange)
        embed, view = history_page(found, actor.language, page)
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=NO_PINGS, view=view or MISSING
        )


# Of Discord's 6000 characters per message: the fields' share, leaving room for the title (256)
# and the footer.
HISTORY_BUDGET = 5400


def history_fields(found: service.History, lang: str) -> list[tuple[str, str]]:
    """Each round as fields: one line per group, split over more fields when a big round
    passes a field's 1024 characters (never cut short)."""
    fields: list[tuple[str, str]] = []
    for r in found.rounds:
        lines = []
        for index, names in enumerate(r.pairs):
            left = r.left[index] if index < len(r.left) else ()
            # Students who left a pair that went on (removed, or swapped out) are struck through.
            names_shown = [escape_markdown(n) for n in names]
            lines.append(" · ".join([*names_shown, *(f"~~{escape_markdown(n)}~~" for n in left)]))
        header = t(
            "pair.history_round",
            lang,
            id=r.id,
            date=f"<t:{int(r.created_at.timestamp())}:D>",
            pairs=len(r.pairs),
            archived=r.archived,
        )
        for number, chunk in enumerate(chunk_lines(lines, 1024) or ["—"]):
            name = header if number == 0 else t("pair.history_continued", lang, round=r.id)
            fields.append((clip(name, 256), chunk))
    return fields


def history_page(
    found: service.History, lang: str, page: int
) -> tuple[discord.Embed, discord.ui.View | None]:
    """One page of /pair history within Discord's limits, and ◀ ▶ when there are more."""
    pages = pack_fields(history_fields(found, lang), budget=HISTORY_BUDGET)
    page = min(max(page, 1), len(pages))
    embed = discord.Embed(title=t("pair.history_title", lang), colour=discord.Colour.blurple())
    if not found.rounds:
        embed.description = t("pair.history_empty", lang)
    for name, value in pages[page - 1]:
        embed.add_field(name=name, value=value, inline=False)
    if len(pages) > 1:
        embed.set_footer(text=t("pair.page", lang, page=page, pages=len(pages)))
    view = pager(
        page,
        len(pages),
        lambda target, label, disabled: HistoryPageButton(
            found.exchange.id, target, label, disabled=disabled
        ),
    )
    return embed, view


class HistoryPageButton(ExchangePageButton, prefix="pair:history"):
    """◀ or ▶ under /pair history; the page is rebuilt from the database on each press."""

    async def show(self, interaction: discord.Interaction[Any]) -> None:
        bot: Twinbridge = interaction.client
        actor = await actor_of(interaction)
        found = await service.history(bot.ctx.db, actor, self.exchange_id)
        embed, view = history_page(found, actor.language, self.page)
        await interaction.response.edit_message(embed=embed, view=view, allowed_mentions=NO_PINGS)


async def setup(bot: Twinbridge) -> None:
    """Extension entry point."""
    await bot.add_cog(PairingCog(bot))
    bot.add_dynamic_items(PreviewPageButton, HistoryPageButton)
