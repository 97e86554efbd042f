"""What sessions post in channels, in each reader's language: announcements, reminders, the
"session started" post with its check-in button, prompts, and attendance summaries.

`message_for` turns a service's `Post` (plain data) into what `channel.send` takes.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import discord

from bot.cldr import format_day
from bot.domain.sessions import title_in
from bot.domain.spreadsheet import csv_bytes, to_csv
from bot.i18n import t
from bot.limits import (
    CONTENT,
    EMBED_DESCRIPTION,
    EMBED_FIELDS,
    EMBED_TITLE,
    EMBEDS_TOTAL,
    FIELD_NAME,
    FIELD_VALUE,
)
from bot.services.session_port import (
    Announcement,
    CityAttendance,
    Post,
    PromptPost,
    Reminder,
    Started,
    Summary,
)
from cogs.common.components import buttons
from cogs.common.files import Attachment, fitted
from cogs.common.text import NO_PINGS, clip, mention, only_users, shown, timestamp
from cogs.sessions.checkin import CheckInButton
from cogs.sessions.rollcall import OpenRollCall
from cogs.sessions.words import blocks, city_times, duration_text, rule_text


def render_announcement(post: Announcement, language: str) -> str:
    """A change of the schedule (scheduled, cancelled, skipped, moved, series over)."""
    times = {
        "start": timestamp(post.start, "F") if post.start else "",
        "relative": timestamp(post.start, "R") if post.start else "",
        "previous": timestamp(post.previous, "F") if post.previous else "",
    }
    if post.kind == "scheduled" and post.shape is not None:
        rule = rule_text(post.shape, language, post.local_time, post.zone)
        title = shown(title_in(post.title, language))
        return t("session.ann_scheduled", language, title=title, rule=rule, **times)
    title = shown(title_in(post.title, language))
    return t(f"session.ann_{post.kind}", language, title=title, **times)


def render_reminder(post: Reminder, language: str) -> str:
    """ "🔔 **Exchange session** starts in 1 h …", with the voice channel when there is one."""
    text = t(
        "session.reminder",
        language,
        lead=duration_text(post.minutes_before, language),
        title=shown(title_in(post.title, language)),
        start=timestamp(post.start, "F"),
        relative=timestamp(post.start, "R"),
    )
    if post.voice_channel_id:
        text += "\n" + t("session.reminder_voice", language, channel=f"<#{post.voice_channel_id}>")
    return text


def render_started(post: Started, language: str) -> str:
    """The "session started" post, above its check-in button."""
    title = shown(title_in(post.title, language))
    text = t("session.started", language, title=title, end=timestamp(post.end, "t"))
    if post.voice_channel_id:
        text += "\n" + t("session.started_voice", language, channel=f"<#{post.voice_channel_id}>")
    return text


def render_prompt(post: PromptPost) -> str:
    """A session's prompt in one paired space: the teacher's words, or an invitation to talk."""
    header = "\n".join(
        t("session.prompt_header", lang, title=shown(title_in(post.title, lang)))
        for lang in post.languages
    )
    body = post.text or blocks(post.languages, lambda lang: t("session.prompt_default", lang))
    return f"{header}\n\n{body}"


def closed_note(content: str, count: int, languages: tuple[str, ...]) -> str:
    """A "session started" post once check-in has closed, with how many came."""
    closed = blocks(languages, lambda lang: t("session.checkin_closed_note", lang, count=count))
    return clip(f"{content}\n\n{closed}", CONTENT)


def with_times(text: str, post: Announcement | Reminder, language: str) -> str:
    """A post's text in `language` with, under it, each city's own clock in that language."""
    if post.start is None or post.end is None or not post.cities:
        return text
    return text + "\n" + city_times(post.start, post.end, post.cities, language)


def _mentioning(user_ids: tuple[int, ...], text: str) -> dict[str, Any]:
    """A post that pings exactly the pair's members (and nobody the text names)."""
    if not user_ids:
        return {"content": text, "allowed_mentions": NO_PINGS}
    line = " ".join(mention(u) for u in user_ids)
    return {"content": f"{line}\n{text}", "allowed_mentions": only_users(user_ids)}


def message_for(post: Post) -> dict[str, Any]:
    """What `channel.send` takes to post `post`: text in each reader's language, never a
    ping beyond the people a reminder or prompt is for."""
    kwargs: dict[str, Any] = {"allowed_mentions": NO_PINGS}
    if isinstance(post, Announcement):
        kwargs["content"] = blocks(
            post.languages, lambda lang: with_times(render_announcement(post, lang), post, lang)
        )
    elif isinstance(post, Reminder):
        text = blocks(
            post.languages, lambda lang: with_times(render_reminder(post, lang), post, lang)
        )
        kwargs.update(_mentioning(post.mentions, text))
    elif isinstance(post, Started):
        kwargs["content"] = blocks(post.languages, lambda lang: render_started(post, lang))
        kwargs["view"] = buttons(CheckInButton.on_post(post.occurrence_id, post.languages))
    elif isinstance(post, PromptPost):
        kwargs.update(_mentioning(post.mentions, render_prompt(post)))
    else:
        kwargs["embed"], names = summary_embed(post)
        if names is not None:
            kwargs["file"] = names
        if post.detailed and post.occurrence_id:
            kwargs["view"] = buttons(OpenRollCall.on_summary(post.occurrence_id, post.languages))
    if "content" in kwargs:
        kwargs["content"] = clip(kwargs["content"], CONTENT)
    return kwargs


# -- attendance summaries -----------------------------------------------------------------------


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
    if city.excused:
        teachers.append(f"📝 {len(city.excused)}")
    where = shown(city.city)
    if not detailed or not names:
        return [(clip(where, FIELD_NAME), "\n".join([count, *teachers]))]
    lists = [("✅", tuple(map(shown, city.present))), ("❌", tuple(map(shown, city.absent)))]
    compact = "\n".join(
        [count] + [f"{mark} " + (", ".join(people) or "—") for mark, people in lists] + teachers
    )
    if len(compact) <= FIELD_VALUE:
        return [(clip(where, FIELD_NAME), compact)]
    fields = [(clip(where, FIELD_NAME), "\n".join([count, *teachers]))]
    for mark, people in lists:
        pieces = name_chunks(people, FIELD_VALUE - len(mark) - 1)
        for number, piece in enumerate(pieces, start=1):
            label = f"{where} · {mark}" + (f" ({number})" if number > 1 else "")
            fields.append((clip(label, FIELD_NAME), f"{mark} {piece}"))
    return fields


def summary_csv(post: Summary) -> discord.File | None:
    """Every student of the summary, per city, attended or not: for classes too big to show
    (zipped past Discord's file limit; None past it even zipped, which no class reaches)."""
    rows = [
        {"city": city.city, "student": name, "attended": attended}
        for city in post.cities
        for names, attended in ((city.present, "yes"), (city.absent, "no"))
        for name in names
    ]
    data = csv_bytes(to_csv(("city", "student", "attended"), rows))
    day = post.start.date().isoformat()
    found = fitted(Attachment(f"attendance-{day}.csv", data))
    return found.file() if found is not None else None


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
        def summary(lang: str) -> str:
            text = t(
                "session.summary_detailed" if post.detailed else "session.summary_public",
                lang,
                present=present,
                total=total,
            )
            if post.end is None or not post.zones:
                return text
            return text + "\n" + city_times(post.start, post.end, post.zones, lang)

        description = blocks(post.languages, summary)
        if note:
            description += "\n\n" + note
        embed = discord.Embed(
            title=clip(
                t(
                    "session.summary_title",
                    first,
                    title=shown(title_in(post.title, first)),
                    # Discord leaves a timestamp in a title as typed: the day, the CLDR way, on
                    # the first city's clock.
                    date=format_day(
                        post.start.astimezone(
                            ZoneInfo(post.zones[0][1] if post.zones else "UTC")
                        ).date(),
                        first,
                    ),
                ),
                EMBED_TITLE,
            ),
            description=clip(description, EMBED_DESCRIPTION),
            colour=discord.Colour.teal(),
        )
        for name, value in fields:
            embed.add_field(name=name, value=clip(value, FIELD_VALUE))
        return embed

    full = [field for city in post.cities for field in city_fields(city, post.detailed)]
    embed = embed_with(full)
    if len(embed.fields) <= EMBED_FIELDS and len(embed) <= EMBEDS_TOTAL:
        return embed, None
    counts = [
        field for city in post.cities for field in city_fields(city, post.detailed, names=False)
    ]
    note = blocks(post.languages, lambda lang: t("session.summary_in_file", lang))
    return embed_with(counts, note), summary_csv(post)
