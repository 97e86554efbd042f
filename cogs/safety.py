""" "Report to teacher", `/concern`, `/concerns`, and `/space pause|reopen`.

A student right-clicks a message (Apps → Report to teacher) or runs /concern, picks a reason,
and is told privately that their teachers know; they may add a few words. The report goes to
the exchange's private teachers' channel as an embed with buttons to pause or reopen the paired
space and to mark the report resolved. The reported message's text is never copied.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import Twinbridge
from bot.domain.safety import MAX_DETAILS, REASONS
from bot.i18n import t
from bot.services import safety as service
from bot.services.access import Actor
from cogs.adapters.spaces import spaces_for
from cogs.common.interactions import language_for
from cogs.utils import (
    NO_PINGS,
    actor_of,
    clip,
    cooldown,
    enforce_cooldown,
    exchange_autocomplete,
    timestamp,
    user_errors,
)

log = logging.getLogger(__name__)

REPORT_MENU = "Report to teacher"
# Reports must never be blocked when a child needs them, yet one student must not be able to
# flood the teachers' channel: five in ten minutes covers reporting several messages in a row.
REPORT_RATE = 5
REPORT_WINDOW = timedelta(minutes=10)
# Pausing and reopening post a notice in the space: generous for teachers, but a stuck
# double-click loop cannot flood a pair with notices.
SPACE_RATE = 10
SPACE_WINDOW = timedelta(minutes=10)
REASON_EMOJI = {
    "unkind": "💬",
    "uncomfortable": "😟",
    "personal_info": "🔒",
    "outside_contact": "🚪",
    "spam": "📢",
    "other": "❓",
}


def _bot(interaction: discord.Interaction[Any]) -> Twinbridge:
    client = interaction.client
    assert isinstance(client, Twinbridge)
    return client


def _person(user_id: int | None, name: str | None) -> str:
    if user_id is None:
        return "—"
    if user_id < 0:
        return "—"  # pseudonymised after an erasure
    shown = f"<@{user_id}>"
    return f"{shown} ({clip(discord.utils.escape_markdown(name), 100)})" if name else shown


# -- the teachers' post ------------------------------------------------------------------------


def report_embeds(view: service.ReportView) -> list[discord.Embed]:
    """The report, once per language of the exchange's teachers."""
    report = view.report
    embeds = []
    for lang in view.languages:
        reason = t(f"report.reason.{report.reason}", lang)
        embed = discord.Embed(
            title=clip(t("report.post_title", lang, id=report.id, reason=reason), 256),
            colour=discord.Colour.red() if report.status == "open" else discord.Colour.green(),
        )
        if report.status == "open":
            embed.description = t("report.status_open", lang)
        else:
            embed.description = t(
                "report.status_resolved",
                lang,
                who=_person(report.resolved_by, None),
                when=timestamp(report.resolved_at, "R") if report.resolved_at else "",
            )
        if report.kind == "concern":
            embed.description += "\n" + t("report.kind_concern", lang)
        embed.add_field(
            name=t("report.field_reporter", lang),
            value=_person(report.reporter_id, view.reporter_name),
        )
        if report.subject_id is not None:
            field = "report.field_author" if report.kind == "message" else "report.field_about"
            embed.add_field(
                name=t(field, lang), value=_person(report.subject_id, view.subject_name)
            )
        if view.link and report.channel_id is not None:
            embed.add_field(
                name=t("report.field_where", lang),
                value=f"<#{report.channel_id}> · [{t('report.open_message', lang)}]({view.link})",
                inline=False,
            )
        embed.add_field(
            name=t("report.field_when", lang),
            value=f"{timestamp(report.created_at, 'F')} · {timestamp(report.created_at, 'R')}",
            inline=False,
        )
        if view.space_id is not None and view.space_status is not None:
            embed.add_field(
                name=t("report.field_space", lang),
                value=f"<#{view.space_id}> · {t(f'report.space_{view.space_status}', lang)}",
                inline=False,
            )
        if report.details:
            embed.add_field(
                name=t("report.field_details", lang),
                value=clip(discord.utils.escape_markdown(report.details), 1024),
                inline=False,
            )
        embed.set_footer(text=clip(t("report.footer", lang, exchange=view.exchange), 2048))
        embeds.append(embed)
    return embeds


def report_actions(view: service.ReportView) -> discord.ui.View:
    """Buttons under a report: pause or reopen its space, mark it resolved."""
    lang = view.languages[0]
    actions = discord.ui.View(timeout=None)
    if view.space_status == "active":
        actions.add_item(ReportAction(view.report.id, "pause", t("report.button_pause", lang)))
    elif view.space_status == "paused":
        actions.add_item(ReportAction(view.report.id, "reopen", t("report.button_reopen", lang)))
    if view.report.status == "open":
        actions.add_item(ReportAction(view.report.id, "resolve", t("report.button_resolve", lang)))
    return actions


class DiscordTeachers:
    """The safety service's `TeachersPort`: posts in the exchange's teachers' channel."""

    def __init__(self, guild: discord.Guild) -> None:
        self.guild = guild

    def _channel(self, channel_id: int) -> discord.TextChannel | None:
        channel = self.guild.get_channel(channel_id)
        return channel if isinstance(channel, discord.TextChannel) else None

    async def post_report(self, channel_id: int, view: service.ReportView) -> int | None:
        channel = self._channel(channel_id)
        if channel is None:
            log.warning(
                "teachers' channel %d is gone: report %d not posted", channel_id, view.report.id
            )
            return None
        try:
            message = await channel.send(
                embeds=report_embeds(view), view=report_actions(view), allowed_mentions=NO_PINGS
            )
        except discord.HTTPException as exc:
            log.warning("could not post report %d: %s", view.report.id, exc)
            return None
        return message.id

    async def refresh_report(
        self, channel_id: int, message_id: int, view: service.ReportView
    ) -> None:
        channel = self._channel(channel_id)
        if channel is None:
            return
        try:
            await channel.get_partial_message(message_id).edit(
                embeds=report_embeds(view), view=report_actions(view), allowed_mentions=NO_PINGS
            )
        except discord.HTTPException as exc:
            log.warning("could not update report %d: %s", view.report.id, exc)


# -- components (their ids carry what they act on, so they work after a restart) ---------------


def _draft_id(draft: service.ReportDraft) -> str:
    return (
        f"tb:rr:{draft.kind[0]}:{draft.exchange_id}:{draft.channel_id or 0}:"
        f"{draft.message_id or 0}:{draft.subject_id or 0}"
    )


class ReasonSelect(
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=r"tb:rr:(?P<kind>[mc]):(?P<ex>\d+):(?P<ch>\d+):(?P<msg>\d+):(?P<sub>\d+)",
):
    """The reasons a reporter picks from; picking one files the report."""

    def __init__(self, draft: service.ReportDraft, language: str = "en") -> None:
        super().__init__(
            discord.ui.Select(
                custom_id=_draft_id(draft),
                placeholder=t("report.pick", language),
                options=[
                    discord.SelectOption(
                        label=clip(t(f"report.reason.{reason}", language), 100),
                        value=reason,
                        emoji=REASON_EMOJI[reason],
                    )
                    for reason in REASONS
                ],
            )
        )
        self.draft = draft

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
    ) -> ReasonSelect:
        def optional(name: str) -> int | None:
            return int(match[name]) or None

        draft = service.ReportDraft(
            kind="message" if match["kind"] == "m" else "concern",
            exchange_id=int(match["ex"]),
            channel_id=optional("ch"),
            message_id=optional("msg"),
            subject_id=optional("sub"),
        )
        return cls(draft)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        async with user_errors(interaction):
            enforce_cooldown(interaction, "report.file", rate=REPORT_RATE, per=REPORT_WINDOW)
            actor = await actor_of(interaction)
            await interaction.response.defer()
            bot = _bot(interaction)
            assert interaction.guild is not None
            filed = await service.file_report(
                bot.ctx.db,
                bot.ctx.clock,
                actor,
                self.draft,
                self.item.values[0] if self.item.values else "",
                DiscordTeachers(interaction.guild),
            )
            key = "report.ack" if filed.posted else "report.ack_unposted"
            await interaction.edit_original_response(
                content=t(key, actor.language, id=filed.view.report.id),
                view=details_view(filed.view.report.id, actor.language),
                allowed_mentions=NO_PINGS,
            )


def details_view(report_id: int, language: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(DetailsButton(report_id, t("report.add_details", language)))
    return view


class DetailsButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"tb:rd:(?P<id>\d+)"):
    """Opens a short form for the reporter's own words."""

    def __init__(self, report_id: int, label: str = "Add details") -> None:
        super().__init__(
            discord.ui.Button(
                label=clip(label, 80),
                emoji="✏️",
                style=discord.ButtonStyle.secondary,
                custom_id=f"tb:rd:{report_id}",
            )
        )
        self.report_id = report_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
    ) -> DetailsButton:
        return cls(int(match["id"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        language = await language_for(interaction)
        await interaction.response.send_modal(DetailsModal(self.report_id, language))


class DetailsModal(discord.ui.Modal):
    """The reporter's few words (optional, at most MAX_DETAILS characters)."""

    def __init__(self, report_id: int, language: str) -> None:
        super().__init__(title=clip(t("report.details_title", language), 45), timeout=900)
        self.report_id = report_id
        self.details: discord.ui.TextInput[DetailsModal] = discord.ui.TextInput(
            label=clip(t("report.details_label", language), 45),
            placeholder=clip(t("report.details_placeholder", language), 100),
            style=discord.TextStyle.paragraph,
            custom_id="details",
            min_length=1,
            max_length=MAX_DETAILS,
        )
        self.add_item(self.details)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        async with user_errors(interaction):
            actor = await actor_of(interaction)
            await interaction.response.defer()
            bot = _bot(interaction)
            assert interaction.guild is not None
            await service.add_details(
                bot.ctx.db,
                bot.ctx.clock,
                actor,
                self.report_id,
                self.details.value,
                DiscordTeachers(interaction.guild),
            )
            await interaction.edit_original_response(
                content=t("report.details_saved", actor.language, id=self.report_id),
                view=None,
                allowed_mentions=NO_PINGS,
            )


ACTION_STYLES = {
    "pause": (discord.ButtonStyle.danger, "⏸️"),
    "reopen": (discord.ButtonStyle.success, "▶️"),
    "resolve": (discord.ButtonStyle.secondary, "✅"),
}


class ReportAction(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"tb:ra:(?P<id>\d+):(?P<action>pause|reopen|resolve)",
):
    """A teacher's button under a report in the teachers' channel."""

    def __init__(self, report_id: int, action: str, label: str = "") -> None:
        style, emoji = ACTION_STYLES[action]
        super().__init__(
            discord.ui.Button(
                label=clip(label or action, 80),
                style=style,
                emoji=emoji,
                custom_id=f"tb:ra:{report_id}:{action}",
            )
        )
        self.report_id = report_id
        self.action = action

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
    ) -> ReportAction:
        return cls(int(match["id"]), match["action"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        async with user_errors(interaction):
            actor = await actor_of(interaction)
            await interaction.response.defer()
            bot = _bot(interaction)
            guild = interaction.guild
            assert guild is not None
            teachers = DiscordTeachers(guild)
            lang = actor.language
            if self.action == "resolve":
                await service.resolve_report(
                    bot.ctx.db, bot.ctx.clock, actor, self.report_id, teachers
                )
                text = t("report.resolved_done", lang, id=self.report_id)
            else:
                enforce_cooldown(interaction, "space", rate=SPACE_RATE, per=SPACE_WINDOW)
                change = await service.set_space_paused(
                    bot.ctx.db,
                    bot.ctx.clock,
                    actor,
                    await spaces_for(bot, guild),
                    teachers,
                    bot.ctx.scheduler,
                    paused=self.action == "pause",
                    report_id=self.report_id,
                )
                text = _space_done(change, lang)
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_PINGS)


def _space_done(change: service.SpaceChange, language: str) -> str:
    key = "report.paused_done" if change.status == "paused" else "report.reopened_done"
    return t(key, language, space=f"<#{change.space_id}>", count=change.members)


# -- the cog ------------------------------------------------------------------------------------


def _intro(draft: service.ReportDraft, language: str) -> str:
    if draft.kind == "message":
        return t("report.intro_message", language, author=f"<@{draft.subject_id}>")
    if draft.subject_id is not None:
        return t("report.intro_concern_about", language, person=f"<@{draft.subject_id}>")
    return t("report.intro_concern", language)


class SafetyCog(commands.Cog):
    """Reports to teachers and pausing paired spaces."""

    space = app_commands.Group(
        name="space", description="Pause or reopen a paired space", guild_only=True
    )

    def __init__(self, bot: Twinbridge) -> None:
        self.bot = bot
        self.report_menu = app_commands.ContextMenu(name=REPORT_MENU, callback=self.report_message)
        self.report_menu.guild_only = True

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.report_menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.report_menu.name, type=self.report_menu.type)

    async def _offer_reasons(
        self,
        interaction: discord.Interaction[Twinbridge],
        actor: Actor,
        draft: service.ReportDraft,
    ) -> None:
        view = discord.ui.View(timeout=None)
        view.add_item(ReasonSelect(draft, actor.language))
        await interaction.response.send_message(
            _intro(draft, actor.language), view=view, ephemeral=True, allowed_mentions=NO_PINGS
        )

    @cooldown("report", rate=REPORT_RATE, per=REPORT_WINDOW)
    async def report_message(
        self, interaction: discord.Interaction[Twinbridge], message: discord.Message
    ) -> None:
        """Apps → Report to teacher, on any message."""
        actor = await actor_of(interaction)
        draft = await service.draft_message_report(
            self.bot.ctx.db, actor, message.channel.id, message.id, message.author.id
        )
        await self._offer_reasons(interaction, actor, draft)

    @app_commands.command(
        name="concern", description="Tell your teachers privately about something that worries you"
    )
    @app_commands.describe(
        about="Someone this is about (optional)", exchange="Your exchange, if you are in several"
    )
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    @app_commands.guild_only()
    @cooldown("report", rate=REPORT_RATE, per=REPORT_WINDOW)
    async def concern(
        self,
        interaction: discord.Interaction[Twinbridge],
        about: discord.Member | None = None,
        exchange: int | None = None,
    ) -> None:
        actor = await actor_of(interaction)
        draft = await service.draft_concern(
            self.bot.ctx.db, actor, exchange, about.id if about else None
        )
        await self._offer_reasons(interaction, actor, draft)

    @app_commands.command(
        name="concerns", description="Students' reports and concerns in an exchange (teachers)"
    )
    @app_commands.describe(show="Open reports only (default) or all", page="Page number")
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    @app_commands.guild_only()
    async def reports(
        self,
        interaction: discord.Interaction[Twinbridge],
        show: Literal["open", "all"] = "open",
        exchange: int | None = None,
        page: app_commands.Range[int, 1, 1000] = 1,
    ) -> None:
        actor = await actor_of(interaction)
        found = await service.reports(
            self.bot.ctx.db, actor, exchange, open_only=show == "open", page=page
        )
        lang = actor.language
        embed = discord.Embed(
            title=clip(t("reports.title", lang, exchange=found.exchange.name), 256),
            colour=discord.Colour.red(),
        )
        if not found.views:
            embed.description = t("reports.empty_open" if show == "open" else "reports.empty", lang)
        for view in found.views:
            report = view.report
            lines = [
                t("report.status_open", lang)
                if report.status == "open"
                else t(
                    "report.status_resolved",
                    lang,
                    who=_person(report.resolved_by, None),
                    when=timestamp(report.resolved_at, "R") if report.resolved_at else "",
                ),
                f"{t('report.field_reporter', lang)}: "
                f"{_person(report.reporter_id, view.reporter_name)}",
            ]
            if report.subject_id is not None:
                lines.append(
                    f"{t('report.field_about', lang)}: "
                    f"{_person(report.subject_id, view.subject_name)}"
                )
            if view.link:
                lines.append(f"[{t('report.open_message', lang)}]({view.link})")
            if report.notice_channel_id and report.notice_message_id:
                post = f"https://discord.com/channels/{report.guild_id}/"
                post += f"{report.notice_channel_id}/{report.notice_message_id}"
                lines.append(f"[{t('reports.post', lang)}]({post})")
            reason = t(f"report.reason.{report.reason}", lang)
            embed.add_field(
                name=clip(f"#{report.id} · {reason} · {timestamp(report.created_at, 'R')}", 256),
                value=clip("\n".join(lines), 1024),
                inline=False,
            )
        embed.set_footer(
            text=t("reports.page", lang, page=found.page, pages=found.pages, total=found.total)
        )
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=NO_PINGS
        )

    async def _set_paused(
        self,
        interaction: discord.Interaction[Twinbridge],
        paused: bool,
        student: discord.Member | None,
        exchange: int | None,
    ) -> None:
        actor = await actor_of(interaction)
        guild = interaction.guild
        assert guild is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        change = await service.set_space_paused(
            self.bot.ctx.db,
            self.bot.ctx.clock,
            actor,
            await spaces_for(self.bot, guild),
            DiscordTeachers(guild),
            self.bot.ctx.scheduler,
            paused=paused,
            exchange_id=exchange,
            student_id=student.id if student else None,
            space_id=None if student else interaction.channel_id,
        )
        await interaction.followup.send(
            _space_done(change, actor.language), ephemeral=True, allowed_mentions=NO_PINGS
        )

    @space.command(name="pause", description="Make a paired space read-only for its students")
    @app_commands.describe(
        student="A student of the space (default: the space you run this in)",
        exchange="The student's exchange, if there are several",
    )
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    @cooldown("space", rate=SPACE_RATE, per=SPACE_WINDOW)
    async def pause(
        self,
        interaction: discord.Interaction[Twinbridge],
        student: discord.Member | None = None,
        exchange: int | None = None,
    ) -> None:
        await self._set_paused(interaction, True, student, exchange)

    @space.command(name="reopen", description="Let a paused space's students write again")
    @app_commands.describe(
        student="A student of the space (default: the space you run this in)",
        exchange="The student's exchange, if there are several",
    )
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    @cooldown("space", rate=SPACE_RATE, per=SPACE_WINDOW)
    async def reopen(
        self,
        interaction: discord.Interaction[Twinbridge],
        student: discord.Member | None = None,
        exchange: int | None = None,
    ) -> None:
        await self._set_paused(interaction, False, student, exchange)


async def setup(bot: Twinbridge) -> None:
    """Extension entry point."""
    bot.add_dynamic_items(ReasonSelect, DetailsButton, ReportAction)
    await bot.add_cog(SafetyCog(bot))
