""" "Report to teacher", `/concern`, `/concerns`, and `/space pause|reopen`.

A student right-clicks a message (Apps → Report to teacher) or runs /concern, picks a reason,
and is told privately that their teachers know; they may add a few words. The report goes to
the exchange's private teachers' channel as an embed with buttons to pause or reopen the paired
space and to mark the report resolved. The reported message's text is never copied.
"""

from __future__ import annotations

from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import Twinbridge
from bot.domain.safety import CHECKIN_HELP
from bot.i18n import t
from bot.limits import CONTENT
from bot.services.access import Actor
from bot.services.safety import ReportDraft
from bot.services.scheduler import RetryLaterError
from bot.store.sends import Send
from cogs.adapters.spaces import spaces_for
from cogs.common.checks import cooldown
from cogs.common.components import buttons
from cogs.common.interactions import begin, show
from cogs.common.params import ExchangeId
from cogs.common.text import NO_PINGS, clip, shown
from cogs.safety.components import (
    REPORT_RATE,
    REPORT_WINDOW,
    SPACE_RATE,
    SPACE_WINDOW,
    ReasonSelect,
    teachers_port,
)
from cogs.safety.embeds import NAME_SHOWN, intro, reports_embed, space_done

REPORT_MENU = "Report to teacher"


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
        self, interaction: discord.Interaction[Twinbridge], actor: Actor, draft: ReportDraft
    ) -> None:
        await show(
            interaction,
            content=intro(draft, actor.language),
            view=buttons(ReasonSelect.offer(draft, actor.language)),
            allowed_mentions=NO_PINGS,
        )

    @cooldown("report", rate=REPORT_RATE, per=REPORT_WINDOW)
    async def report_message(
        self, interaction: discord.Interaction[Twinbridge], message: discord.Message
    ) -> None:
        """Apps → Report to teacher, on any message."""
        actor = await begin(interaction)
        draft = await self.bot.services.safety.draft_message_report(
            actor, message.channel.id, message.id, message.author.id
        )
        await self._offer_reasons(interaction, actor, draft)

    @app_commands.command(
        name="concern", description="Tell your teachers privately about something that worries you"
    )
    @app_commands.describe(
        about="Someone this is about (optional)", exchange="Your exchange, if you are in several"
    )
    @app_commands.guild_only()
    @cooldown("report", rate=REPORT_RATE, per=REPORT_WINDOW)
    async def concern(
        self,
        interaction: discord.Interaction[Twinbridge],
        about: discord.Member | None = None,
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        draft = await self.bot.services.safety.draft_concern(
            actor, exchange, about.id if about else None
        )
        await self._offer_reasons(interaction, actor, draft)

    @app_commands.command(
        name="concerns", description="Students' reports and concerns in an exchange (teachers)"
    )
    @app_commands.describe(which="Open reports only (default) or all", page="Page number")
    @app_commands.rename(which="show")
    @app_commands.guild_only()
    async def reports(
        self,
        interaction: discord.Interaction[Twinbridge],
        which: Literal["open", "all"] = "open",
        exchange: ExchangeId | None = None,
        page: app_commands.Range[int, 1, 1000] = 1,
    ) -> None:
        actor = await begin(interaction)
        open_only = which == "open"
        found = await self.bot.services.safety.reports(
            actor, exchange, open_only=open_only, page=page
        )
        await show(
            interaction,
            embed=reports_embed(found, open_only, actor.language),
            allowed_mentions=NO_PINGS,
        )

    async def _set_paused(
        self,
        interaction: discord.Interaction[Twinbridge],
        paused: bool,
        student: discord.Member | None,
        exchange: int | None,
    ) -> None:
        actor = await begin(interaction)
        guild = interaction.guild
        assert guild is not None
        change = await self.bot.services.safety.set_space_paused(
            actor,
            await spaces_for(self.bot, guild),
            teachers_port(guild),
            paused=paused,
            exchange_id=exchange,
            student_id=student.id if student else None,
            space_id=None if student else interaction.channel_id,
        )
        await show(
            interaction, content=space_done(change, actor.language), allowed_mentions=NO_PINGS
        )

    @space.command(name="pause", description="Make a paired space read-only for its students")
    @app_commands.describe(
        student="A student of the space (default: the space you run this in)",
        exchange="The student's exchange, if there are several",
    )
    @cooldown("space", rate=SPACE_RATE, per=SPACE_WINDOW)
    async def pause(
        self,
        interaction: discord.Interaction[Twinbridge],
        student: discord.Member | None = None,
        exchange: ExchangeId | None = None,
    ) -> None:
        await self._set_paused(interaction, True, student, exchange)

    @space.command(name="reopen", description="Let a paused space's students write again")
    @app_commands.describe(
        student="A student of the space (default: the space you run this in)",
        exchange="The student's exchange, if there are several",
    )
    @cooldown("space", rate=SPACE_RATE, per=SPACE_WINDOW)
    async def reopen(
        self,
        interaction: discord.Interaction[Twinbridge],
        student: discord.Member | None = None,
        exchange: ExchangeId | None = None,
    ) -> None:
        await self._set_paused(interaction, False, student, exchange)

    async def on_notice(self, send: Send) -> None:
        """A report the bot filed (a check-in's "we need help"), posted in the teachers'
        channel as a scheduled send: tried again when Discord fails for a moment, after a
        restart too, and not posted twice."""
        found = await self.bot.services.safety.notice_for(send)
        if found is None:
            return
        view, channel_id = found
        guild = self.bot.get_guild(send.guild_id)
        if guild is None or guild.unavailable:
            raise RetryLaterError(f"guild {send.guild_id} is not available")
        report = view.report
        content = None
        if report.reason == CHECKIN_HELP and view.space_id is not None:
            who = shown(view.reporter_name or "—", NAME_SHOWN)
            content = clip(
                "\n".join(
                    t("meet.help_notice", lang, names=who, space=f"<#{view.space_id}>")
                    for lang in view.languages
                ),
                CONTENT,
            )
        message_id = await teachers_port(guild).deliver(
            channel_id, view, content=content, nonce=send.nonce
        )
        await self.bot.services.safety.noticed(send.guild_id, report.id, channel_id, message_id)
