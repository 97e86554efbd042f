"""`/session schedule|list|cancel|skip|move|edit|reminders|ics`, check-in, voice presence.

Buttons are `DynamicItem`s carrying their ids in the custom_id, so they keep working after a
restart. The service does the work; this module parses, renders and talks to Discord.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import Twinbridge, http_reason
from bot.domain import sessions as rules
from bot.domain.reporting import csv_bytes, to_csv
from bot.domain.sessions import OccurrenceStatus
from bot.domain.timezones import search_zones
from bot.errors import UserError
from bot.i18n import listing, t
from bot.services import exchanges as exchange_service
from bot.services import sessions as service
from bot.services.scheduler import RetryLaterError, UndeliverableError
from bot.services.session_plans import EVENT_STATUS
from bot.services.session_port import (
    Announcement,
    CityAttendance,
    EventRefusedError,
    EventSpec,
    Post,
    PromptPost,
    Reminder,
    Started,
    Summary,
)
from bot.store.sends import Send
from cogs.adapters.prompts import DiscordPrompts
from cogs.common.errors import render_error
from cogs.common.interactions import language_for
from cogs.common.params import PromptParam
from cogs.utils import NO_PINGS, actor_of, clip, exchange_autocomplete, timestamp

log = logging.getLogger(__name__)

PER_PAGE = 5
SCHEDULED, ACTIVE, COMPLETED, CANCELED = 1, 2, 3, 4
EXTERNAL, STAGE, VOICE = 3, 1, 2
# Discord's error code when a server has 100 scheduled events not yet finished.
MAX_EVENTS_REACHED = 30038


# -- rendering -------------------------------------------------------------------------------------


def weekday_name(iso_day: int, language: str) -> str:
    return t(f"session.weekday_{iso_day}", language)


def rule_text(shape: rules.RuleShape, language: str, local_time: str = "", zone: str = "") -> str:
    """A rule in words: "The first Tuesday of each month at 15:00 (America/Chicago), 6 times"."""
    day = weekday_name(shape.weekday, language) if shape.weekday else ""
    if shape.kind == "once":
        text = t("session.rule_once", language)
    elif shape.kind == "weekly" and shape.interval == 1:
        text = t("session.rule_weekly", language, weekday=day)
    elif shape.kind == "weekly":
        text = t("session.rule_weeks", language, count=shape.interval, weekday=day)
    elif shape.kind == "monthly_nth":
        nth = t(f"session.nth_{shape.nth if shape.nth > 0 else 'last'}", language)
        text = t("session.rule_monthly_nth", language, nth=nth, weekday=day)
    elif shape.kind == "monthly_day":
        text = t("session.rule_monthly_day", language, day=shape.monthday)
    else:
        text = t("session.rule_custom", language, rule=shape.raw)
    if local_time:
        text += " " + t("session.rule_at", language, time=local_time, zone=zone)
    if shape.kind == "once":
        return text
    sep = t("session.sep", language)
    if shape.count is not None:
        return text + sep + t("session.rule_count", language, count=shape.count)
    if shape.until is not None:
        return text + sep + t("session.rule_until", language, date=timestamp(shape.until, "D"))
    return text + sep + t("session.rule_forever", language)


def local_line(slot: rules.Slot, zone: str, language: str) -> str:
    """ "Tue 2026-10-06 15:00–16:00" in a city's own time."""
    start = slot.start.astimezone(ZoneInfo(zone))
    end = slot.end.astimezone(ZoneInfo(zone))
    short = t(f"session.day_{start.isoweekday()}", language)
    return f"{short} {start:%Y-%m-%d} {start:%H:%M}–{end:%H:%M}"


def warning_line(warning: rules.Warning, language: str) -> str:
    params = {
        "city": warning.city,
        "count": warning.count,
        "total": warning.total,
        "example": warning.example,
        "before": warning.before,
        "after": warning.after,
    }
    return "⚠️ " + t(f"session.warn_{warning.kind}", language, **params)


def preview_embed(preview: service.Preview, language: str, *, move: bool = False) -> discord.Embed:
    """Both cities' local times, the rule in words, and every warning."""
    key = "session.move_title" if move else "session.preview_title"
    first = preview.slots[0]
    lines = [] if move else [rule_text(preview.shape, language, preview.local_time, preview.zone)]
    lines.append(
        t(
            "session.preview_details",
            language,
            minutes=int(preview.duration.total_seconds() // 60),
            start=timestamp(first.start, "F"),
            relative=timestamp(first.start, "R"),
        )
    )
    if preview.channel_id:
        lines.append(t("session.preview_voice", language, channel=f"<#{preview.channel_id}>"))
    if preview.free_text_prompt:
        lines.append(t("session.preview_prompt_hint", language))
    embed = discord.Embed(
        title=clip(t(key, language, title=preview.title), 256),
        description="\n".join(lines),
        colour=discord.Colour.orange()
        if preview.warnings or preview.overlap
        else discord.Colour.green(),
    )
    for city in preview.exchange.cities:
        shown = [local_line(s, city.timezone, language) for s in preview.slots[: service.SHOWN]]
        more = len(preview.slots) - service.SHOWN
        if more > 0 or not preview.finite:
            shown.append(t("session.preview_more", language))
        embed.add_field(
            name=clip(f"{city.name} · {city.timezone}", 256),
            value=clip("\n".join(shown), 1024),
            inline=True,
        )
    warned = [warning_line(w, language) for w in preview.warnings]
    if preview.overlap is not None:
        warned.insert(
            0,
            "⛔ "
            + t(
                "session.warn_overlap",
                language,
                other=preview.overlap.other,
                when=timestamp(preview.overlap.start, "F"),
            ),
        )
    embed.add_field(
        name=t("session.warnings", language),
        value=clip("\n".join(warned) or t("session.no_warnings", language), 1024),
        inline=False,
    )
    embed.set_footer(text=t("session.preview_footer", language))
    return embed


def blocks(languages: tuple[str, ...], render: Callable[[str], str]) -> str:
    """The same post in each reader's language, one block per language."""
    return "\n\n".join(render(language) for language in languages)


def with_event_warning(text: str, refused: EventRefusedError | None, language: str) -> str:
    """A teacher's confirmation, plus why the Discord event is missing when it is."""
    if refused is None:
        return text
    kind = "event_update_refused" if refused.updating else "event_refused"
    return text + "\n\n" + t(f"session.{kind}_{refused.why}", language)


def mention_line(user_ids: tuple[int, ...]) -> str:
    return " ".join(f"<@{u}>" for u in user_ids)


def render_announcement(post: Announcement, language: str) -> str:
    times = {
        "start": timestamp(post.start, "F") if post.start else "",
        "relative": timestamp(post.start, "R") if post.start else "",
        "previous": timestamp(post.previous, "F") if post.previous else "",
    }
    if post.kind == "scheduled" and post.shape is not None:
        rule = rule_text(post.shape, language, post.local_time, post.zone)
        return t("session.ann_scheduled", language, title=post.title, rule=rule, **times)
    return t(f"session.ann_{post.kind}", language, title=post.title, **times)


def render_reminder(post: Reminder, language: str) -> str:
    text = t(
        "session.reminder",
        language,
        lead=duration_text(post.minutes_before, language),
        title=post.title,
        start=timestamp(post.start, "F"),
        relative=timestamp(post.start, "R"),
    )
    if post.voice_channel_id:
        text += "\n" + t("session.reminder_voice", language, channel=f"<#{post.voice_channel_id}>")
    return text


def render_started(post: Started, language: str) -> str:
    text = t("session.started", language, title=post.title, end=timestamp(post.end, "t"))
    if post.voice_channel_id:
        text += "\n" + t("session.started_voice", language, channel=f"<#{post.voice_channel_id}>")
    return text


FIELD_VALUE = 1024
EMBED_TOTAL = 6000
EMBED_FIELDS = 25


def name_chunks(names: tuple[str, ...], room: int) -> list[str]:
    """Names joined with ", " in pieces of at most `room` characters, never cutting one."""
    chunks: list[str] = []
    current = ""
    for name in names:
        name = clip(name, room)
        joined = f"{current}, {name}" if current else name
        if len(joined) > room:
            chunks.append(current)
            joined = name
        current = joined
    if current or not chunks:
        chunks.append(current or "—")
    return chunks


def city_fields(
    city: CityAttendance, detailed: bool, *, names: bool = True
) -> list[tuple[str, str]]:
    """One city's fields: the count, and for teachers every name (unless `names` is off),
    split into fields of at most 1024 characters when a big class does not fit in one."""
    count = f"✅ {len(city.present)} / {len(city.present) + len(city.absent)}"
    teachers = [f"🧑‍🏫 {city.teachers}"] if detailed and city.teachers else []
    if not detailed or not names:
        return [(clip(city.city, 256), "\n".join([count, *teachers]))]
    lists = [("✅", city.present), ("❌", city.absent)]
    compact = "\n".join(
        [count] + [f"{mark} " + (", ".join(people) or "—") for mark, people in lists] + teachers
    )
    if len(compact) <= FIELD_VALUE:
        return [(clip(city.city, 256), compact)]
    fields = [(clip(city.city, 256), "\n".join([count, *teachers]))]
    for mark, people in lists:
        pieces = name_chunks(people, FIELD_VALUE - len(mark) - 1)
        for number, piece in enumerate(pieces, start=1):
            label = f"{city.city} · {mark}" + (f" ({number})" if number > 1 else "")
            fields.append((clip(label, 256), f"{mark} {piece}"))
    return fields


def summary_csv(post: Summary) -> discord.File:
    """Every student of the summary, per city, attended or not: for classes too big to show."""
    rows = [
        {"city": city.city, "student": name, "attended": attended}
        for city in post.cities
        for names, attended in ((city.present, "yes"), (city.absent, "no"))
        for name in names
    ]
    data = csv_bytes(to_csv(("city", "student", "attended"), rows))
    day = post.start.date().isoformat()
    return discord.File(io.BytesIO(data), filename=f"attendance-{day}.csv")


def summary_embed(post: Summary) -> tuple[discord.Embed, discord.File | None]:
    """Per city: ✅ who came (names only for teachers) and ❌ who did not.

    Teachers get every name: in fields of at most 1024 characters while the embed stays
    within Discord's 25 fields and 6000 characters; a class too big for that gets the counts
    in the embed and every name in an attached CSV file.
    """
    first = post.languages[0]
    present = sum(len(c.present) for c in post.cities)
    total = sum(len(c.present) + len(c.absent) for c in post.cities)

    def embed_with(fields: list[tuple[str, str]], note: str | None = None) -> discord.Embed:
        description = blocks(
            post.languages,
            lambda lang: t(
                "session.summary_detailed" if post.detailed else "session.summary_public",
                lang,
                present=present,
                total=total,
            ),
        )
        if note:
            description += "\n\n" + note
        embed = discord.Embed(
            title=clip(
                t(
                    "session.summary_title",
                    first,
                    title=post.title,
                    date=timestamp(post.start, "D"),
                ),
                256,
            ),
            description=clip(description, 4096),
            colour=discord.Colour.teal(),
        )
        for name, value in fields:
            embed.add_field(name=name, value=clip(value, FIELD_VALUE))
        return embed

    full = [field for city in post.cities for field in city_fields(city, post.detailed)]
    embed = embed_with(full)
    if len(embed.fields) <= EMBED_FIELDS and len(embed) <= EMBED_TOTAL:
        return embed, None
    counts = [
        field for city in post.cities for field in city_fields(city, post.detailed, names=False)
    ]
    note = blocks(post.languages, lambda lang: t("session.summary_in_file", lang))
    return embed_with(counts, note), summary_csv(post)


# -- buttons that survive restarts -----------------------------------------------------------------


async def _guarded(
    interaction: discord.Interaction[Any], work: Callable[[], Awaitable[None]]
) -> None:
    """Run a button's work; a user error becomes an ephemeral answer in their language."""
    try:
        await work()
    except UserError as error:
        language = await language_for(interaction)
        message = render_error(error, language)
        if interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True)
        else:
            await interaction.response.send_message(message, ephemeral=True)


def _cog(interaction: discord.Interaction[Any]) -> SessionsCog:
    cog = interaction.client.get_cog(SessionsCog.__cog_name__)
    assert isinstance(cog, SessionsCog)
    return cog


class CheckInButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"tb:checkin:(?P<occurrence>\d+)",
):
    """ "Check in" on a session-started post: counted once, only during the session."""

    def __init__(self, occurrence_id: int, label: str = "Check in") -> None:
        super().__init__(
            discord.ui.Button(
                label=clip(label, 80),
                emoji="✅",
                style=discord.ButtonStyle.success,
                custom_id=f"tb:checkin:{occurrence_id}",
            )
        )
        self.occurrence_id = occurrence_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
    ) -> CheckInButton:
        return cls(int(match["occurrence"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _guarded(interaction, lambda: _cog(interaction).check_in(interaction, self))


class ScheduleButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"tb:sched:(?P<action>ok|no):(?P<draft>\d+)",
):
    """Confirm or drop a previewed schedule."""

    def __init__(self, action: str, draft_id: int, label: str = "OK") -> None:
        style = discord.ButtonStyle.primary if action == "ok" else discord.ButtonStyle.secondary
        super().__init__(
            discord.ui.Button(
                label=clip(label, 80), style=style, custom_id=f"tb:sched:{action}:{draft_id}"
            )
        )
        self.action = action
        self.draft_id = draft_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
    ) -> ScheduleButton:
        return cls(match["action"], int(match["draft"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _guarded(interaction, lambda: _cog(interaction).decide_schedule(interaction, self))


class MoveButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"tb:move:(?P<action>ok|no):(?P<session>\d+):(?P<original>\d+):(?P<to>\d+)",
):
    """Confirm or drop moving one occurrence."""

    def __init__(
        self, action: str, session_id: int, original: int, to: int, label: str = "OK"
    ) -> None:
        style = discord.ButtonStyle.primary if action == "ok" else discord.ButtonStyle.secondary
        super().__init__(
            discord.ui.Button(
                label=clip(label, 80),
                style=style,
                custom_id=f"tb:move:{action}:{session_id}:{original}:{to}",
            )
        )
        self.action, self.session_id, self.original, self.to = action, session_id, original, to

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
    ) -> MoveButton:
        return cls(match["action"], int(match["session"]), int(match["original"]), int(match["to"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _guarded(interaction, lambda: _cog(interaction).decide_move(interaction, self))


class EndSeriesButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"tb:endseries:(?P<action>ok|no):(?P<session>\d+)",
):
    """Confirm or drop cancelling a whole series."""

    def __init__(self, action: str, session_id: int, label: str = "OK") -> None:
        style = discord.ButtonStyle.danger if action == "ok" else discord.ButtonStyle.secondary
        super().__init__(
            discord.ui.Button(
                label=clip(label, 80),
                style=style,
                custom_id=f"tb:endseries:{action}:{session_id}",
            )
        )
        self.action, self.session_id = action, session_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
    ) -> EndSeriesButton:
        return cls(match["action"], int(match["session"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _guarded(interaction, lambda: _cog(interaction).decide_end(interaction, self))


def buttons(*items: discord.ui.Item[Any]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    return view


# -- the Discord side of sessions ------------------------------------------------------------------


class DiscordSessions:
    """The sessions service's `SessionPort`, done with discord.py in one guild."""

    def __init__(self, bot: Twinbridge, guild: discord.Guild) -> None:
        self.bot = bot
        self.guild = guild
        self.prompts = DiscordPrompts(guild, scheduled=True)

    def _event_payload(self, spec: EventSpec) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "name": clip(spec.name, 100),
            "description": clip(spec.description, 1000),
            "scheduled_start_time": spec.start.astimezone(UTC).isoformat(),
            "scheduled_end_time": spec.end.astimezone(UTC).isoformat(),
        }
        channel = self.guild.get_channel(spec.channel_id) if spec.channel_id else None
        if isinstance(channel, discord.StageChannel):
            payload.update(entity_type=STAGE, channel_id=channel.id, entity_metadata=None)
        elif isinstance(channel, discord.VoiceChannel):
            payload.update(entity_type=VOICE, channel_id=channel.id, entity_metadata=None)
        else:
            payload.update(
                entity_type=EXTERNAL,
                channel_id=None,
                entity_metadata={"location": clip(spec.location or "Discord", 100)},
            )
        return payload

    async def create_event(self, spec: EventSpec) -> int:
        try:
            created = await self.bot.http.create_guild_scheduled_event(
                self.guild.id, privacy_level=2, **self._event_payload(spec)
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

    async def set_event_status(self, event_id: int, status: str) -> None:
        code = {"active": ACTIVE, "completed": COMPLETED, "cancelled": CANCELED}[status]
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
        kwargs: dict[str, Any] = {"allowed_mentions": NO_PINGS}
        if nonce is not None:
            kwargs["nonce"] = nonce
        if isinstance(post, Announcement):
            kwargs["content"] = blocks(post.languages, lambda lang: render_announcement(post, lang))
        elif isinstance(post, Reminder):
            text = blocks(post.languages, lambda lang: render_reminder(post, lang))
            if post.mentions:
                text = mention_line(post.mentions) + "\n" + text
                kwargs["allowed_mentions"] = discord.AllowedMentions(
                    users=[discord.Object(u) for u in post.mentions]
                )
            kwargs["content"] = text
        elif isinstance(post, Started):
            kwargs["content"] = blocks(post.languages, lambda lang: render_started(post, lang))
            label = " · ".join(t("session.checkin_button", lang) for lang in post.languages)
            kwargs["view"] = buttons(CheckInButton(post.occurrence_id, label))
        elif isinstance(post, PromptPost):
            header = "\n".join(
                t("session.prompt_header", lang, title=post.title) for lang in post.languages
            )
            body = post.text or blocks(
                post.languages, lambda lang: t("session.prompt_default", lang)
            )
            text = f"{header}\n\n{body}"
            if post.mentions:
                text = mention_line(post.mentions) + "\n" + text
                kwargs["allowed_mentions"] = discord.AllowedMentions(
                    users=[discord.Object(u) for u in post.mentions]
                )
            kwargs["content"] = text
        else:
            kwargs["embed"], names = summary_embed(post)
            if names is not None:
                kwargs["file"] = names
        if "content" in kwargs:
            kwargs["content"] = clip(kwargs["content"], 2000)
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
        closed = blocks(languages, lambda lang: t("session.checkin_closed_note", lang, count=count))
        try:
            message = await channel.fetch_message(message_id)
            await message.edit(
                content=clip(f"{message.content}\n\n{closed}", 2000), allowed_mentions=NO_PINGS
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


# -- autocomplete ----------------------------------------------------------------------------------


def _namespace(interaction: discord.Interaction[Any], name: str) -> Any:
    return getattr(interaction.namespace, name, None)


async def date_autocomplete(
    interaction: discord.Interaction[Twinbridge], current: str
) -> list[app_commands.Choice[str]]:
    """The next weeks' dates with their weekday ("2026-10-06 · Tuesday")."""
    language = await language_for(interaction)
    today = interaction.client.ctx.clock.now().date()
    days: list[date] = []
    with contextlib.suppress(rules.RuleError):
        days.append(rules.parse_date(current))
    days += [today + timedelta(days=n) for n in range(1, 60)]
    needle = current.strip().casefold()
    choices = []
    for day in dict.fromkeys(days):
        name = f"{day.isoformat()} · {weekday_name(day.isoweekday(), language)}"
        if not needle or needle in name.casefold() or day == days[0]:
            choices.append(app_commands.Choice(name=name, value=day.isoformat()))
    return choices[:25]


async def repeat_autocomplete(
    interaction: discord.Interaction[Twinbridge], current: str
) -> list[app_commands.Choice[str]]:
    """Repeat choices in words for the start date already typed ("first Tuesday …")."""
    language = await language_for(interaction)
    start = _namespace(interaction, "start")
    try:
        day: date | None = rules.parse_date(start) if start else None
    except rules.RuleError:
        day = None
    choices = []
    for code in rules.repeat_codes(day):
        if day is not None:
            shape = rules.describe(rules.parse_repeat(code, day))
            sep = t("session.sep", language)
            name = rule_text(shape, language)
            name = name.rsplit(sep, 1)[0] if code != "once" else name
        else:
            name = t(f"session.repeat_{code.replace(':', '_')}", language)
        choices.append(app_commands.Choice(name=clip(name, 100), value=code))
    needle = current.strip().casefold()
    if needle.upper().startswith(("FREQ=", "RRULE:")):
        return [app_commands.Choice(name=clip(current, 100), value=current[:100])]
    return [c for c in choices if not needle or needle in c.name.casefold() or needle in c.value][
        :25
    ]


async def session_zone_autocomplete(
    interaction: discord.Interaction[Twinbridge], current: str
) -> list[app_commands.Choice[str]]:
    """The exchange's two city zones first, then any IANA zone matching what was typed."""
    choices: list[app_commands.Choice[str]] = []
    if interaction.guild_id is not None:
        for exchange in await exchange_service.exchanges(
            interaction.client.ctx.db, interaction.guild_id
        ):
            wanted = _namespace(interaction, "exchange")
            if wanted and str(exchange.id) != str(wanted):
                continue
            for city in exchange.cities:
                name = f"{city.timezone} · {city.name}"
                if current.strip().casefold() in name.casefold():
                    choices.append(app_commands.Choice(name=clip(name, 100), value=city.timezone))
    seen = {c.value for c in choices}
    choices += [
        app_commands.Choice(name=z, value=z) for z in search_zones(current) if z not in seen
    ]
    return choices[:25]


async def session_autocomplete(
    interaction: discord.Interaction[Twinbridge], current: str
) -> list[app_commands.Choice[int]]:
    """The guild's active series: "Monthly exchange (#3)"."""
    if interaction.guild_id is None:
        return []
    rt = _cog(interaction).sessions
    needle = current.strip().casefold()
    return [
        app_commands.Choice(name=clip(f"{s.title} (#{s.id})", 100), value=s.id)
        for s in await rt.series_in_guild(interaction.guild_id)
        if not needle or needle in s.title.casefold() or needle == str(s.id)
    ][:25]


async def occurrence_autocomplete(
    interaction: discord.Interaction[Twinbridge], current: str
) -> list[app_commands.Choice[str]]:
    """The chosen series' next occurrences, in the series' own local time."""
    if interaction.guild_id is None:
        return []
    rt = _cog(interaction).sessions
    language = await language_for(interaction)
    session_id = _namespace(interaction, "session")
    every = await rt.series_in_guild(interaction.guild_id)
    chosen = next((s for s in every if str(s.id) == str(session_id)), None)
    if chosen is None and len(every) == 1:
        chosen = every[0]
    if chosen is None:
        return []
    needle = current.strip().casefold()
    choices = []
    for slot in await rt.upcoming_of(interaction.guild_id, chosen.id):
        name = f"{local_line(slot, chosen.timezone, language)} ({chosen.timezone})"
        if slot.start != slot.original:
            name += " ↷"
        if not needle or needle in name.casefold():
            choices.append(
                app_commands.Choice(name=clip(name, 100), value=str(int(slot.original.timestamp())))
            )
    return choices[:25]


# -- the cog ---------------------------------------------------------------------------------------


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
        guild = self.bot.get_guild(guild_id)
        if guild is None or guild.unavailable:
            return None
        return DiscordSessions(self.bot, guild)

    def _port(self, interaction: discord.Interaction[Twinbridge]) -> DiscordSessions:
        assert interaction.guild is not None
        return DiscordSessions(self.bot, interaction.guild)

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
    @app_commands.autocomplete(
        start=date_autocomplete,
        repeat=repeat_autocomplete,
        zone=session_zone_autocomplete,
        until=date_autocomplete,
    )
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    async def schedule(
        self,
        interaction: discord.Interaction[Twinbridge],
        start: app_commands.Range[str, 1, 40],
        time: app_commands.Range[str, 1, 20],
        repeat: app_commands.Range[str, 1, 300],
        zone: app_commands.Range[str, 1, 64] | None = None,
        duration: int = 60,
        count: int | None = None,
        until: app_commands.Range[str, 1, 40] | None = None,
        channel: discord.VoiceChannel | discord.StageChannel | None = None,
        prompt: app_commands.Transform[str, PromptParam("active", longest=rules.MAX_PROMPT)]
        | None = None,
        title: app_commands.Range[str, 1, rules.MAX_TITLE] | None = None,
        exchange: int | None = None,
    ) -> None:
        actor = await actor_of(interaction)
        lang = actor.language
        await interaction.response.defer(ephemeral=True, thinking=True)
        preview = await self.sessions.preview_schedule(
            actor,
            exchange,
            service.ScheduleInput(
                title=title if title is not None else t("session.default_title", lang),
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
        assert preview.draft_id is not None
        ok = t("session.confirm_anyway" if preview.overlap else "session.confirm", lang)
        view = buttons(
            ScheduleButton("ok", preview.draft_id, ok),
            ScheduleButton("no", preview.draft_id, t("session.discard", lang)),
        )
        await interaction.followup.send(
            embed=preview_embed(preview, lang),
            view=view,
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    async def decide_schedule(
        self, interaction: discord.Interaction[Twinbridge], button: ScheduleButton
    ) -> None:
        actor = await actor_of(interaction)
        lang = actor.language
        if button.action == "no":
            await self.sessions.discard_draft(actor, button.draft_id)
            await interaction.response.edit_message(
                content=t("session.discarded", lang), embed=None, view=None
            )
            return
        await interaction.response.defer()
        done = await self.sessions.confirm_schedule(actor, button.draft_id, self._port(interaction))
        upcoming = "\n".join(
            f"• {timestamp(s.start, 'F')} ({timestamp(s.start, 'R')})" for s in done.next_slots
        )
        key = "session.scheduled" if done.event_refused is None else "session.scheduled_no_event"
        text = t(key, lang, title=done.series.title, id=done.series.id, upcoming=upcoming)
        await interaction.edit_original_response(
            content=with_event_warning(text, done.event_refused, lang),
            embed=None,
            view=None,
            allowed_mentions=NO_PINGS,
        )

    # -- reading -----------------------------------------------------------------------------------

    @app_commands.command(name="list", description="Upcoming sessions of the exchange")
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    async def list_(
        self,
        interaction: discord.Interaction[Twinbridge],
        page: app_commands.Range[int, 1, 100] = 1,
        exchange: int | None = None,
    ) -> None:
        actor = await actor_of(interaction)
        lang = actor.language
        views = await self.sessions.list_sessions(actor, exchange)
        pages = max(1, math.ceil(len(views) / PER_PAGE))
        page = min(page, pages)
        embed = discord.Embed(title=t("session.list_title", lang), colour=discord.Colour.blurple())
        if not views:
            embed.description = t("session.list_empty", lang)
        for view in views[(page - 1) * PER_PAGE : page * PER_PAGE]:
            series = view.series
            lines = [
                rule_text(view.shape, lang, series.first_local[-5:], series.timezone),
            ]
            for slot in view.upcoming:
                cities = " · ".join(
                    f"{c.name} {local_line(slot, c.timezone, lang)}" for c in view.exchange.cities
                )
                lines.append(f"• {timestamp(slot.start, 'F')}\n  {cities}")
            if not view.upcoming:
                lines.append(t("session.list_no_upcoming", lang))
            embed.add_field(
                name=clip(f"{series.title} (#{series.id})", 256),
                value=clip("\n".join(lines), 1024),
                inline=False,
            )
        embed.set_footer(text=t("session.page", lang, page=page, pages=pages))
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=NO_PINGS
        )

    # -- changes -----------------------------------------------------------------------------------

    @app_commands.command(
        name="cancel", description="Cancel one session, or the whole series (teachers)"
    )
    @app_commands.describe(
        session="The series", occurrence="One date to cancel; leave empty to end the series"
    )
    @app_commands.autocomplete(session=session_autocomplete)
    @app_commands.autocomplete(occurrence=occurrence_autocomplete)
    async def cancel(
        self,
        interaction: discord.Interaction[Twinbridge],
        session: int | None = None,
        occurrence: app_commands.Range[str, 1, 40] | None = None,
    ) -> None:
        actor = await actor_of(interaction)
        lang = actor.language
        await interaction.response.defer(ephemeral=True, thinking=True)
        if occurrence is None:
            end = await self.sessions.preview_cancel_series(actor, session)
            view = buttons(
                EndSeriesButton("ok", end.series.id, t("session.end_series", lang)),
                EndSeriesButton("no", end.series.id, t("session.keep", lang)),
            )
            await interaction.followup.send(
                t("session.end_series_ask", lang, title=end.series.title, count=end.upcoming),
                view=view,
                ephemeral=True,
                allowed_mentions=NO_PINGS,
            )
            return
        done = await self.sessions.cancel_occurrence(
            actor, session, occurrence, self._port(interaction)
        )
        assert done.occurrence is not None
        text = t(
            "session.cancelled",
            lang,
            title=done.series.title,
            start=timestamp(done.occurrence.starts_at, "F"),
        )
        await interaction.followup.send(
            with_event_warning(text, done.event_refused, lang),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    async def decide_end(
        self, interaction: discord.Interaction[Twinbridge], button: EndSeriesButton
    ) -> None:
        actor = await actor_of(interaction)
        lang = actor.language
        if button.action == "no":
            await interaction.response.edit_message(content=t("session.kept", lang), view=None)
            return
        await interaction.response.defer()
        end = await self.sessions.cancel_series(actor, button.session_id, self._port(interaction))
        await interaction.edit_original_response(
            content=t("session.series_cancelled", lang, title=end.series.title, count=end.upcoming),
            view=None,
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(name="skip", description="Skip the next session of a series (teachers)")
    @app_commands.autocomplete(session=session_autocomplete)
    async def skip(
        self, interaction: discord.Interaction[Twinbridge], session: int | None = None
    ) -> None:
        actor = await actor_of(interaction)
        lang = actor.language
        await interaction.response.defer(ephemeral=True, thinking=True)
        done = await self.sessions.cancel_occurrence(
            actor, session, None, self._port(interaction), kind=OccurrenceStatus.SKIPPED
        )
        assert done.occurrence is not None
        text = t(
            "session.skipped",
            lang,
            title=done.series.title,
            start=timestamp(done.occurrence.starts_at, "F"),
        )
        await interaction.followup.send(
            with_event_warning(text, done.event_refused, lang),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(name="move", description="Move one session to another date or time")
    @app_commands.describe(
        occurrence="The session to move",
        date="New date (YYYY-MM-DD)",
        time="New local start time, in the series' time zone",
    )
    @app_commands.autocomplete(session=session_autocomplete)
    @app_commands.autocomplete(occurrence=occurrence_autocomplete, date=date_autocomplete)
    async def move(
        self,
        interaction: discord.Interaction[Twinbridge],
        occurrence: app_commands.Range[str, 1, 40],
        date: app_commands.Range[str, 1, 40],
        time: app_commands.Range[str, 1, 20],
        session: int | None = None,
    ) -> None:
        actor = await actor_of(interaction)
        lang = actor.language
        await interaction.response.defer(ephemeral=True, thinking=True)
        preview, found, start = await self.sessions.preview_move(
            actor, session, occurrence, date, time
        )
        ids = (found.session_id, int(found.original_start.timestamp()), int(start.timestamp()))
        ok = t("session.move_anyway" if preview.overlap else "session.move_confirm", lang)
        view = buttons(
            MoveButton("ok", *ids, label=ok),
            MoveButton("no", *ids, label=t("session.keep", lang)),
        )
        await interaction.followup.send(
            t("session.move_from", lang, start=timestamp(found.starts_at, "F")),
            embed=preview_embed(preview, lang, move=True),
            view=view,
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    async def decide_move(
        self, interaction: discord.Interaction[Twinbridge], button: MoveButton
    ) -> None:
        actor = await actor_of(interaction)
        lang = actor.language
        if button.action == "no":
            await interaction.response.edit_message(
                content=t("session.kept", lang), embed=None, view=None
            )
            return
        await interaction.response.defer()
        done = await self.sessions.move_occurrence(
            actor,
            button.session_id,
            str(button.original),
            button.to,
            self._port(interaction),
        )
        assert done.occurrence is not None
        text = t(
            "session.moved",
            lang,
            title=done.series.title,
            start=timestamp(done.occurrence.starts_at, "F"),
        )
        await interaction.edit_original_response(
            content=with_event_warning(text, done.event_refused, lang),
            embed=None,
            view=None,
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
    @app_commands.autocomplete(session=session_autocomplete)
    async def edit(
        self,
        interaction: discord.Interaction[Twinbridge],
        session: int | None = None,
        title: app_commands.Range[str, 1, rules.MAX_TITLE] | None = None,
        prompt: app_commands.Transform[str, PromptParam("active", longest=rules.MAX_PROMPT)]
        | None = None,
        duration: int | None = None,
        channel: discord.VoiceChannel | discord.StageChannel | None = None,
        no_channel: bool = False,
    ) -> None:
        # Acknowledge before any database work: under load the answer stays within Discord's 3 s.
        await interaction.response.defer(ephemeral=True, thinking=True)
        actor = await actor_of(interaction)
        done = await self.sessions.edit_series(
            actor,
            session,
            service.SeriesEdit(
                title=title,
                prompt=prompt,
                duration=duration,
                channel_id=channel.id if channel else None,
                no_channel=no_channel,
            ),
            self._port(interaction),
        )
        text = t("session.edited", actor.language, title=done.series.title)
        await interaction.followup.send(
            with_event_warning(text, done.event_refused, actor.language),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(
        name="reminders", description="When reminders go out before each session (teachers)"
    )
    @app_commands.describe(before='e.g. "24h, 1h", "2d, 30m", or "off"; empty shows the current')
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    async def reminders(
        self,
        interaction: discord.Interaction[Twinbridge],
        before: app_commands.Range[str, 1, 60] | None = None,
        exchange: int | None = None,
    ) -> None:
        actor = await actor_of(interaction)
        lang = actor.language
        if before is None:
            found, minutes = await self.sessions.reminders_of(actor, exchange)
            key = "session.reminders_now"
        else:
            found, minutes = await self.sessions.set_reminders(actor, exchange, before)
            key = "session.reminders_set"
        when = listing((duration_text(m, lang) for m in minutes), lang)
        await interaction.response.send_message(
            t(key, lang, exchange=found.name, when=when or t("session.reminders_off", lang)),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(name="ics", description="An iCalendar file of a series for your calendar")
    @app_commands.autocomplete(session=session_autocomplete)
    async def ics(
        self, interaction: discord.Interaction[Twinbridge], session: int | None = None
    ) -> None:
        actor = await actor_of(interaction)
        series, data = await self.sessions.ics(actor, session, self._port(interaction))
        slug = re.sub(r"[^a-z0-9]+", "-", series.title.casefold()).strip("-") or "session"
        await interaction.response.send_message(
            t("session.ics", actor.language, title=series.title),
            file=discord.File(io.BytesIO(data), filename=f"{slug[:40]}-{series.id}.ics"),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    # -- attendance --------------------------------------------------------------------------------

    async def check_in(
        self, interaction: discord.Interaction[Twinbridge], button: CheckInButton
    ) -> None:
        actor = await actor_of(interaction)
        done = await self.sessions.runs.check_in(actor, button.occurrence_id)
        key = "session.checked_in_again" if done.already else "session.checked_in"
        await interaction.response.send_message(
            t(key, actor.language, title=done.title, when=timestamp(done.first_seen, "t")),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    @commands.Cog.listener()
    async def on_voice_state_update(
        self, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        if after.channel is None or (
            before.channel is not None and before.channel == after.channel
        ):
            return
        await self.sessions.runs.voice_seen(member.guild.id, member.id, after.channel.id)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        # After a start or a fresh gateway session: close what ended while away, roll the
        # horizon and events forward, count who is already in voice. Idempotent.
        await self.sessions.runs.catch_up(self.port_for)

    # -- timed work --------------------------------------------------------------------------------

    def _guild_port(self, send: Send) -> DiscordSessions:
        guild = self.bot.get_guild(send.guild_id)
        if guild is None or guild.unavailable:
            # Discord's outages make a server unavailable for a while; the send is tried
            # again within its useful window.
            raise RetryLaterError(f"guild {send.guild_id} is not available")
        return DiscordSessions(self.bot, guild)

    async def on_remind(self, send: Send) -> None:
        await self.sessions.runs.on_remind(send, self._guild_port(send))

    async def on_start(self, send: Send) -> None:
        await self.sessions.runs.on_start(send, self._guild_port(send))

    async def on_end(self, send: Send) -> None:
        await self.sessions.runs.on_end(send, self._guild_port(send))

    async def on_post(self, send: Send) -> None:
        await self.sessions.runs.on_post(send, self._guild_port(send))

    async def on_event_status(self, send: Send) -> None:
        await self.sessions.runs.on_event_status(send, self._guild_port(send))


def duration_text(minutes: int, language: str) -> str:
    """ "24 h", "1 h 30 min", "2 days"."""
    if minutes % 1440 == 0 and minutes > 1440:
        return t("session.days", language, count=minutes // 1440)
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return t("session.hours_minutes", language, hours=hours, minutes=rest)
    if hours:
        return t("session.hours", language, count=hours)
    return t("session.minutes", language, count=rest)


async def setup(bot: Twinbridge) -> None:
    """Extension entry point: the cog, its restart-proof buttons, its timed work."""
    cog = SessionsCog(bot)
    await bot.add_cog(cog)
    bot.add_dynamic_items(CheckInButton, ScheduleButton, MoveButton, EndSeriesButton)
    bot.ctx.scheduler.handle("session.remind", cog.on_remind)
    bot.ctx.scheduler.handle("session.start", cog.on_start)
    bot.ctx.scheduler.handle("session.end", cog.on_end)
    bot.ctx.scheduler.handle(EVENT_STATUS, cog.on_event_status)
    # One post per channel, independent of each other: done several at a time.
    bot.ctx.scheduler.handle("session.post", cog.on_post, fan_out=True)
