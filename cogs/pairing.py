"""`/pair preview|confirm|swap|remove|history`, and the Discord side of paired spaces."""

from __future__ import annotations

import math
from collections.abc import Sequence

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import Twinbridge
from bot.domain.exchange import language_names
from bot.errors import BotMissingPermissionError
from bot.i18n import t
from bot.services import pairing as service
from bot.services.access import Actor
from bot.store.exchanges import role_ids
from cogs.utils import NO_PINGS, actor_of, clip, exchange_autocomplete, only_users

PER_PAGE = 10

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


class DiscordSpaces:
    """The pairing service's `SpacePort`, done with discord.py in one guild."""

    def __init__(
        self, guild: discord.Guild, staff_role_ids: Sequence[int], student_role_id: int | None
    ) -> None:
        self.guild = guild
        self.staff = [r for r in (guild.get_role(i) for i in staff_role_ids) if r is not None]
        self.student_role = guild.get_role(student_role_id) if student_role_id else None

    async def check_permissions(self, kind: str) -> None:
        me = self.guild.me.guild_permissions
        needed = {"manage_channels": "Manage Channels", "manage_roles": "Manage Roles"}
        if kind == "threads":
            needed |= {
                "create_private_threads": "Create Private Threads",
                "manage_threads": "Manage Threads",
            }
        for attribute, label in needed.items():
            if not me.administrator and not getattr(me, attribute):
                raise BotMissingPermissionError("error.bot_missing_permission", permission=label)

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
            overwrites[role] = discord.PermissionOverwrite(
                view_channel=True, send_messages_in_threads=True, manage_threads=True
            )
        if self.student_role is not None:
            overwrites[self.student_role] = discord.PermissionOverwrite(
                view_channel=True,
                send_messages=False,
                send_messages_in_threads=True,
                create_public_threads=False,
                create_private_threads=False,
            )
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
        languages = {lang for m in welcome.members for lang in m.languages[:1]} or {"en"}
        for language in sorted(languages):
            embed = discord.Embed(
                title=clip(t("pair.welcome_title", language, exchange=welcome.exchange), 256),
                description=t("pair.welcome_body", language),
                colour=discord.Colour.gold(),
            )
            for member in welcome.members:
                embed.add_field(
                    name=clip(f"{member.name} · {member.city}", 256),
                    value=clip(
                        t(
                            "pair.welcome_member",
                            language,
                            mention=f"<@{member.user_id}>",
                            intro=member.intro or "—",
                            languages=language_names(member.languages),
                            zone=member.timezone,
                        ),
                        1024,
                    ),
                    inline=False,
                )
            if welcome.shared_interests:
                embed.add_field(
                    name=t("pair.shared", language),
                    value=clip(", ".join(welcome.shared_interests), 1024),
                    inline=False,
                )
            if len(welcome.members) > 2:
                embed.set_footer(text=t("pair.trio_why", language))
            mentions = " ".join(f"<@{m.user_id}>" for m in welcome.members)
            # Intros are the students' own words: only the pair's members are pinged.
            await space.send(
                mentions,
                embed=embed,
                allowed_mentions=only_users(m.user_id for m in welcome.members),
            )

    async def set_members(
        self, space_id: int, kind: str, add: Sequence[int], remove: Sequence[int]
    ) -> None:
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
        space = await self._space(space_id)
        if isinstance(space, discord.Thread):
            await space.edit(archived=True, locked=True)
        elif isinstance(space, discord.TextChannel):
            overwrites = dict(space.overwrites)
            for user_id in user_ids:
                overwrites[discord.Object(id=user_id, type=discord.Member)] = READ_ONLY
            name = space.name if space.name.startswith("archived-") else f"archived-{space.name}"
            await space.edit(name=clip(name, 100), overwrites=overwrites)

    async def pause(
        self, space_id: int, kind: str, user_ids: Sequence[int], languages: Sequence[str]
    ) -> None:
        space = await self._space(space_id)
        if isinstance(space, discord.Thread):
            # A locked thread stays visible to its members; only Manage Threads may write.
            await self._notice(space, "space.paused_notice", languages)
            await space.edit(locked=True)
        elif isinstance(space, discord.TextChannel):
            await self._set_members(space, user_ids, READ_ONLY)
            await self._notice(space, "space.paused_notice", languages)

    async def reopen(
        self, space_id: int, kind: str, user_ids: Sequence[int], languages: Sequence[str]
    ) -> None:
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


def reasons_text(reasons: dict[str, object], language: str) -> str:
    """Why a group was made, in one or two lines."""
    parts = []
    shared = reasons.get("shared_interests") or []
    if shared:
        parts.append(t("pair.why_interests", language, interests=", ".join(shared)))  # type: ignore[arg-type]
    if reasons.get("same_grade_band"):
        parts.append(t("pair.why_grade", language))
    common = reasons.get("common_languages") or []
    if common:
        parts.append(t("pair.why_language", language, languages=language_names(list(common))))  # type: ignore[call-overload]
    if reasons.get("repeats_earlier_partner"):
        parts.append(t("pair.why_repeat", language))
    return " · ".join(parts) or t("pair.why_balance", language)


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
        actor = await actor_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        proposal = await service.propose(
            self.bot.ctx.db, self.bot.ctx.clock, actor, exchange, await self._port(interaction)
        )
        await interaction.followup.send(
            embed=self._proposal_embed(proposal, actor, page),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    def _proposal_embed(self, proposal: service.Proposal, actor: Actor, page: int) -> discord.Embed:
        lang = actor.language
        pages = max(1, math.ceil(len(proposal.groups) / PER_PAGE))
        page = min(page, pages)
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
            description=header,
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
            # Ten fields of at most 200 + 300 characters keep the embed under its 6000 total.
            embed.add_field(
                name=clip(f"{number}. {names}", 200),
                value=clip(reasons_text(group.reasons, lang), 300),
                inline=False,
            )
        embed.set_footer(text=t("pair.page", lang, page=page, pages=pages))
        return embed

    @app_commands.command(
        name="confirm", description="Create the proposed pairs and their private spaces"
    )
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    async def confirm(
        self, interaction: discord.Interaction[Twinbridge], exchange: int | None = None
    ) -> None:
        actor = await actor_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        done = await service.confirm(
            self.bot.ctx.db, self.bot.ctx.clock, actor, exchange, await self._port(interaction)
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
        actor = await actor_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
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
        actor = await actor_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        await service.remove(
            self.bot.ctx.db,
            self.bot.ctx.clock,
            actor,
            exchange,
            student.id,
            await self._port(interaction),
        )
        await interaction.followup.send(
            t("pair.removed", actor.language, name=student.display_name),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(
        name="history", description="Every pairing round and who was paired with whom"
    )
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    async def history(
        self, interaction: discord.Interaction[Twinbridge], exchange: int | None = None
    ) -> None:
        actor = await actor_of(interaction)
        rounds = await service.history(self.bot.ctx.db, actor, exchange)
        lang = actor.language
        embed = discord.Embed(title=t("pair.history_title", lang), colour=discord.Colour.blurple())
        if not rounds:
            embed.description = t("pair.history_empty", lang)
        for r in rounds[:25]:
            lines = [" · ".join(names) for names in r.pairs]
            embed.add_field(
                name=clip(
                    t(
                        "pair.history_round",
                        lang,
                        id=r.id,
                        date=f"<t:{int(r.created_at.timestamp())}:D>",
                        pairs=len(r.pairs),
                        archived=r.archived,
                    ),
                    256,
                ),
                value=clip("\n".join(lines) or "—", 1024),
                inline=False,
            )
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=NO_PINGS
        )


async def setup(bot: Twinbridge) -> None:
    """Extension entry point."""
    await bot.add_cog(PairingCog(bot))
