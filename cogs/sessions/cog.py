"""`/session schedule|list|suggest|cancel|skip|move|edit|reminders|ics|calendar|attendance|
voice-minutes`, voice presence (minutes from joining to leaving), and the
session's timed steps handed to the service.

Each command acknowledges first (`begin`), calls the sessions service, and renders what it
returns; failures take the one error path (`cogs.common.errors`).
"""

from __future__ import annotations

import re
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import Twinbridge
from bot.domain import sessions as rules
from bot.domain.sessions import OccurrenceStatus, title_in
from bot.domain.suggest import LONGEST, SHORTEST
from bot.errors import UserError
from bot.i18n import listing, t
from bot.services.roll_call import MAX_REASON, MAX_VOICE_MINUTES
from bot.services.scheduler import RetryLaterError
from bot.services.session_suggest import SuggestInput
from bot.services.sessions import ScheduleInput, SeriesEdit
from bot.store.sends import Send
from cogs.common.components import buttons
from cogs.common.files import Attachment, pack, say_packed
from cogs.common.interactions import begin, say, show
from cogs.common.params import CityName, Day, ExchangeId, PromptParam
from cogs.common.text import NO_PINGS, shown, timestamp
from cogs.sessions.adapter import DiscordSessions, guild_port, session_port
from cogs.sessions.answers import list_embed, preview_embed
from cogs.sessions.components import (
    ConfirmMove,
    EndSeries,
    KeepAsIs,
    preview_view,
)
from cogs.sessions.params import Occurrence, Repeat, SeriesId, SessionZone
from cogs.sessions.rollcall import show_roll
from cogs.sessions.suggest import suggest_embed
from cogs.sessions.words import duration_text, with_event_warning

# A session's prompt: prompt ids offered from the exchange's active prompts, or a teacher's
# own words, up to the service's limit.
SessionPrompt = app_commands.Transform[str, PromptParam("active", longest=rules.MAX_PROMPT)]
# The longest a calendar file's name grows from the series' title.
SLUG_LONGEST = 40


@app_commands.guild_only()
class SessionsCog(
    commands.GroupCog,
    group_name="session",
    group_description="Monthly sessions of the two classes",
):
    """Live sessions: schedules, reminders, Discord events, check-in and attendance."""

    def __init__(self, bot: Twinbridge) -> None:
        self.bot = bot
        self.sessions = bot.services.sessions

    def port_for(self, guild_id: int) -> DiscordSessions | None:
        """The port for a server, or None while Discord has it unavailable."""
        return guild_port(self.bot, guild_id)

    # -- scheduling --------------------------------------------------------------------------------

    @app_commands.command(name="schedule", description="Schedule a session series (teachers)")
    @app_commands.describe(
        start="First date (YYYY-MM-DD)",
        time="Local start time, e.g. 15:00 or 3pm",
        repeat="How it repeats, e.g. the first Tuesday of each month, every 4 weeks, once",
        zone="Time zone of that local time (default: your city's)",
        duration="Minutes (default 60)",
        count="How many sessions in all (or give an end date)",
        until="Last date (YYYY-MM-DD)",
        channel="Voice or stage channel where presence counts as attendance",
        prompt="Prompt ids from /prompt list, or your own words (empty: each pair's next prompt)",
        title="Name of the session (default: Exchange session)",
    )
    async def schedule(
        self,
        interaction: discord.Interaction[Twinbridge],
        start: Day,
        time: app_commands.Range[str, 1, 20],
        repeat: Repeat,
        zone: SessionZone | None = None,
        duration: int = 60,
        count: int | None = None,
        until: Day | None = None,
        channel: discord.VoiceChannel | discord.StageChannel | None = None,
        prompt: SessionPrompt | None = None,
        title: app_commands.Range[str, 1, rules.MAX_TITLE] | None = None,
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        lang = actor.language
        preview = await self.sessions.preview_schedule(
            actor,
            exchange,
            ScheduleInput(
                title=title,
                repeat=repeat,
                start=start,
                time=time,
                zone=zone,
                duration=duration,
                count=count,
                until=until,
                channel_id=channel.id if channel else None,
                prompt=prompt,
            ),
        )
        await show(
            interaction,
            embed=preview_embed(preview, lang),
            view=preview_view(preview, 1, lang),
            allowed_mentions=NO_PINGS,
        )

    # -- reading -----------------------------------------------------------------------------------

    @app_commands.command(name="list", description="Upcoming sessions of the exchange")
    async def list_(
        self,
        interaction: discord.Interaction[Twinbridge],
        page: app_commands.Range[int, 1, 100] = 1,
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        views = await self.sessions.list_sessions(actor, exchange)
        await show(
            interaction, embed=list_embed(views, page, actor.language), allowed_mentions=NO_PINGS
        )

    @app_commands.command(
        name="suggest", description="Best weekly times in every city's school hours (teachers)"
    )
    @app_commands.describe(
        week="Any day of the week to plan (YYYY-MM-DD; default: the coming week)",
        minutes="How long the session lasts (default 60)",
        earliest="School day's start in every city, local time (default 07:00)",
        latest="School day's end in every city, local time (default 21:00)",
    )
    async def suggest(
        self,
        interaction: discord.Interaction[Twinbridge],
        week: Day | None = None,
        minutes: app_commands.Range[int, SHORTEST, LONGEST] = 60,
        earliest: app_commands.Range[str, 1, 20] | None = None,
        latest: app_commands.Range[str, 1, 20] | None = None,
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        found = await self.sessions.suggest(
            actor, exchange, SuggestInput(week, minutes, earliest, latest)
        )
        await show(
            interaction, embed=suggest_embed(found, actor.language), allowed_mentions=NO_PINGS
        )

    # -- changes -----------------------------------------------------------------------------------

    @app_commands.command(
        name="cancel", description="Cancel one session, or the whole series (teachers)"
    )
    @app_commands.describe(
        session="The series", occurrence="One date to cancel; leave empty to end the series"
    )
    async def cancel(
        self,
        interaction: discord.Interaction[Twinbridge],
        session: SeriesId | None = None,
        occurrence: Occurrence | None = None,
    ) -> None:
        actor = await begin(interaction)
        lang = actor.language
        if occurrence is None:
            end = await self.sessions.preview_cancel_series(actor, session)
            view = buttons(
                EndSeries.make(
                    t("session.end_series", lang),
                    style=discord.ButtonStyle.danger,
                    session=end.series.id,
                ),
                KeepAsIs.make(t("session.keep", lang)),
            )
            await show(
                interaction,
                content=t(
                    "session.end_series_ask",
                    lang,
                    title=shown(title_in(end.series.title, lang)),
                    count=end.upcoming,
                ),
                view=view,
                allowed_mentions=NO_PINGS,
            )
            return
        done = await self.sessions.cancel_occurrence(
            actor, session, occurrence, session_port(interaction)
        )
        assert done.occurrence is not None
        text = t(
            "session.cancelled",
            lang,
            title=shown(title_in(done.series.title, lang)),
            start=timestamp(done.occurrence.starts_at, "F"),
        )
        await show(
            interaction,
            content=with_event_warning(text, done.event_refused, lang),
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(name="skip", description="Skip the next session of a series (teachers)")
    async def skip(
        self, interaction: discord.Interaction[Twinbridge], session: SeriesId | None = None
    ) -> None:
        actor = await begin(interaction)
        lang = actor.language
        done = await self.sessions.cancel_occurrence(
            actor, session, None, session_port(interaction), kind=OccurrenceStatus.SKIPPED
        )
        assert done.occurrence is not None
        text = t(
            "session.skipped",
            lang,
            title=shown(title_in(done.series.title, lang)),
            start=timestamp(done.occurrence.starts_at, "F"),
        )
        await show(
            interaction,
            content=with_event_warning(text, done.event_refused, lang),
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(name="move", description="Move one session to another date or time")
    @app_commands.describe(
        occurrence="The session to move",
        date="New date (YYYY-MM-DD)",
        time="New local start time, in the series' time zone",
    )
    async def move(
        self,
        interaction: discord.Interaction[Twinbridge],
        occurrence: Occurrence,
        date: Day,
        time: app_commands.Range[str, 1, 20],
        session: SeriesId | None = None,
    ) -> None:
        actor = await begin(interaction)
        lang = actor.language
        preview, found, start = await self.sessions.preview_move(
            actor, session, occurrence, date, time
        )
        ok = t("session.move_anyway" if preview.overlap else "session.move_confirm", lang)
        view = buttons(
            ConfirmMove.make(
                ok,
                style=discord.ButtonStyle.primary,
                session=found.session_id,
                original=int(found.original_start.timestamp()),
                to=int(start.timestamp()),
            ),
            KeepAsIs.make(t("session.keep", lang)),
        )
        await show(
            interaction,
            content=t("session.move_from", lang, start=timestamp(found.starts_at, "F")),
            embed=preview_embed(preview, lang, move=True),
            view=view,
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(
        name="edit", description="Change a series from now on: title, prompt, length, channel"
    )
    @app_commands.describe(
        title="New name",
        prompt="Prompt ids from /prompt list, or your own words, for the sessions to come",
        duration="New length in minutes (sessions not yet started)",
        channel="New voice or stage channel",
        no_channel="Stop using a voice channel",
    )
    async def edit(
        self,
        interaction: discord.Interaction[Twinbridge],
        session: SeriesId | None = None,
        title: app_commands.Range[str, 1, rules.MAX_TITLE] | None = None,
        prompt: SessionPrompt | None = None,
        duration: int | None = None,
        channel: discord.VoiceChannel | discord.StageChannel | None = None,
        no_channel: bool = False,
    ) -> None:
        actor = await begin(interaction)
        done = await self.sessions.edit_series(
            actor,
            session,
            SeriesEdit(
                title=title,
                prompt=prompt,
                duration=duration,
                channel_id=channel.id if channel else None,
                no_channel=no_channel,
            ),
            session_port(interaction),
        )
        text = t(
            "session.edited",
            actor.language,
            title=shown(title_in(done.series.title, actor.language)),
        )
        await show(
            interaction,
            content=with_event_warning(text, done.event_refused, actor.language),
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(
        name="reminders", description="When reminders go out before each session (teachers)"
    )
    @app_commands.describe(before='e.g. "24h, 1h", "2d, 30m", or "off"; empty shows the current')
    async def reminders(
        self,
        interaction: discord.Interaction[Twinbridge],
        before: app_commands.Range[str, 1, 60] | None = None,
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        lang = actor.language
        if before is None:
            found, minutes = await self.sessions.reminders_of(actor, exchange)
            key = "session.reminders_now"
        else:
            found, minutes = await self.sessions.set_reminders(actor, exchange, before)
            key = "session.reminders_set"
        when = listing((duration_text(m, lang) for m in minutes), lang)
        await show(
            interaction,
            content=t(
                key, lang, exchange=shown(found.name), when=when or t("session.reminders_off", lang)
            ),
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(name="ics", description="An iCalendar file of a series for your calendar")
    async def ics(
        self, interaction: discord.Interaction[Twinbridge], session: SeriesId | None = None
    ) -> None:
        actor = await begin(interaction)
        series, data = await self.sessions.ics(actor, session, session_port(interaction))
        slug = (
            re.sub(r"[^a-z0-9]+", "-", title_in(series.title, actor.language).casefold()).strip("-")
            or "session"
        )
        await say_packed(
            interaction,
            pack([Attachment(f"{slug[:SLUG_LONGEST]}-{series.id}.ics", data)]),
            t("session.ics", actor.language, title=shown(title_in(series.title, actor.language))),
            language=actor.language,
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(
        name="calendar",
        description="A calendar subscription of the sessions that follows every change",
    )
    @app_commands.describe(
        city="Only this city's name on it, in its time zone (default: the whole exchange)",
        exchange="Which exchange, if the server has several",
    )
    async def calendar(
        self,
        interaction: discord.Interaction[Twinbridge],
        city: CityName | None = None,
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        made = await self.bot.services.feeds.create(actor, exchange, city)
        scope = f"{made.exchange.name} · {made.city.name}" if made.city else made.exchange.name
        await say(
            interaction,
            t("feeds.made", actor.language, scope=scope, webcal=made.webcal, url=made.url),
            allowed_mentions=NO_PINGS,
        )

    # -- roll call ---------------------------------------------------------------------------------

    @app_commands.command(
        name="attendance",
        description="Roll call of a session: mark your city's students (teachers)",
    )
    @app_commands.describe(
        session="The series (default: the latest session that has begun)",
        day="The session's date (YYYY-MM-DD); default: the latest",
        city="Whose roll call (coordinators; teachers take their own city's)",
        student="Mark one student (with mark)",
        mark="Their mark",
        reason="Why they are excused (optional, short)",
    )
    async def attendance(
        self,
        interaction: discord.Interaction[Twinbridge],
        session: SeriesId | None = None,
        day: Day | None = None,
        city: CityName | None = None,
        student: discord.Member | None = None,
        mark: Literal["present", "late", "excused", "absent"] | None = None,
        reason: app_commands.Range[str, 1, MAX_REASON] | None = None,
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        lang = actor.language
        if (student is None) != (mark is None) or (reason is not None and student is None):
            raise UserError("error.rollcall_student_and_mark")
        roll_call = self.bot.services.roll_call
        occurrence = await roll_call.find(actor, exchange, session, day)
        if student is not None and mark is not None:
            roll, name = await roll_call.mark_student(actor, occurrence, student.id, mark, reason)
            note = t(
                "rollcall.marked_one", lang, name=shown(name), mark=t(f"rollcall.mark_{mark}", lang)
            )
            await show_roll(interaction, roll, lang, note)
            return
        roll = await roll_call.panel(actor, occurrence, city_name=city)
        await show_roll(interaction, roll, lang)

    @app_commands.command(
        name="voice-minutes", description="Minutes in voice that count as present (teachers)"
    )
    @app_commands.describe(
        minutes="Minutes in the session's voice channel; 0: 10 minutes or half the session"
    )
    async def voice_minutes(
        self,
        interaction: discord.Interaction[Twinbridge],
        minutes: app_commands.Range[int, 0, MAX_VOICE_MINUTES],
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        found = await self.bot.services.roll_call.set_voice_minutes(
            actor, exchange, minutes or None
        )
        key = "rollcall.voice_minutes_set" if minutes else "rollcall.voice_minutes_default"
        await show(
            interaction,
            content=t(key, actor.language, exchange=shown(found.name), minutes=minutes),
            allowed_mentions=NO_PINGS,
        )

    # -- attendance by voice, and catching up --------------------------------------------------

    @commands.Cog.listener()
    async def on_voice_state_update(
        self, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        if before.channel is not None and before.channel == after.channel:
            return  # muted, deafened, streaming: still there
        if before.channel is not None:
            await self.sessions.runs.voice_gone(member.guild.id, member.id, before.channel.id)
        if after.channel is not None:
            await self.sessions.runs.voice_seen(member.guild.id, member.id, after.channel.id)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        # After a start or a fresh gateway session: close what ended while away, roll the
        # horizon and events forward, count who is already in voice. Idempotent.
        await self.sessions.runs.catch_up(self.port_for)

    # -- timed work --------------------------------------------------------------------------------

    def _send_port(self, send: Send) -> DiscordSessions:
        port = self.port_for(send.guild_id)
        if port is None:
            # Discord's outages make a server unavailable for a while; the send is tried
            # again within its useful window.
            raise RetryLaterError(f"guild {send.guild_id} is not available")
        return port

    async def on_remind(self, send: Send) -> None:
        """A reminder is due (a scheduled send of kind "session.remind")."""
        await self.sessions.runs.on_remind(send, self._send_port(send))

    async def on_start(self, send: Send) -> None:
        """A session starts."""
        await self.sessions.runs.on_start(send, self._send_port(send))

    async def on_end(self, send: Send) -> None:
        """A session ends."""
        await self.sessions.runs.on_end(send, self._send_port(send))

    async def on_post(self, send: Send) -> None:
        """One post of a session's fan-out, in one channel."""
        await self.sessions.runs.on_post(send, self._send_port(send))

    async def on_event_status(self, send: Send) -> None:
        """A session's Discord event is started, ended or cancelled."""
        await self.sessions.runs.on_event_status(send, self._send_port(send))
