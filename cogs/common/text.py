"""Text at the edge: clipping to Discord's limits, timestamps, pings, and embed paging."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import discord

from bot.domain.exchange import INTERESTS
from bot.domain.text import echo
from bot.i18n import listing, lookup, shown_name, t
from bot.limits import EMBED_FIELDS

# Text users typed that the bot repeats must never ping anyone (users, roles, @everyone).
NO_PINGS = discord.AllowedMentions.none()


def only_users(user_ids: Iterable[int]) -> discord.AllowedMentions:
    """Ping exactly these users (when the ping is the point), never @everyone or a role."""
    return discord.AllowedMentions(
        everyone=False,
        roles=False,
        replied_user=False,
        users=[discord.Object(id=u) for u in user_ids],
    )


def mention(user_id: int) -> str:
    """A user mention; it pings only where `allowed_mentions` lets it."""
    return f"<@{user_id}>"


def clip(text: str, limit: int) -> str:
    """Text cut to Discord's limit with an ellipsis."""
    return echo(text, limit)


def shown(name: str, limit: int | None = None, *, language: str | None = None) -> str:
    """A name people typed (a student, an exchange, a city, a session's title), as markdown
    shows it: literally, never bold, a link, a heading, a quote or a mention of someone.

    For text Discord renders as markdown (contents, embed titles, descriptions and fields);
    not for plain-text places (button and menu labels, event and channel names, files).
    With `language`, an erased person's name reads in it (`bot.i18n.shown_name`): for a name
    shown outside `t()`, which does that for the names put into a text.
    """
    if language is not None:
        name = shown_name(name, language)
    text = clip(name, limit) if limit is not None else name
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def timestamp(when: datetime, style: str = "F") -> str:
    """A Discord timestamp: every reader sees it in their own time zone."""
    return f"<t:{int(when.timestamp())}:{style}>"


def interest_label(interest: str, language: str) -> str:
    """A curated interest in the reader's language; free-text interests as the student typed."""
    return t(f"interest.{interest}", language) if interest in INTERESTS else interest


def band_label(band: str | None, language: str) -> str:
    """An age band as people write it ("Age 13–15"), or "—" when there is none."""
    return t("roster.band", language, band=band.replace("-", "–")) if band else "—"


def chunk_lines(lines: Sequence[str], limit: int) -> list[str]:
    """Lines joined into texts of at most `limit` characters each (a longer line is clipped)."""
    chunks: list[str] = []
    current = ""
    for line in lines:
        line = clip(line, limit)
        if current and len(current) + 1 + len(line) > limit:
            chunks.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        chunks.append(current)
    return chunks


def pack_fields(
    fields: Sequence[tuple[str, str]], *, budget: int, max_fields: int = EMBED_FIELDS
) -> list[list[tuple[str, str]]]:
    """Embed fields (name, value) in pages: at most `max_fields` and `budget` characters each.

    Discord refuses a message whose embeds pass 6000 characters in all, or an embed with more
    than 25 fields; the caller keeps `budget` under 6000 less its title, description and footer.
    """
    pages: list[list[tuple[str, str]]] = [[]]
    used = 0
    for name, value in fields:
        size = len(name) + len(value)
        if pages[-1] and (used + size > budget or len(pages[-1]) >= max_fields):
            pages.append([])
            used = 0
        pages[-1].append((name, value))
        used += size
    return pages


def permission_names(names: Iterable[str], language: str) -> str:
    """Discord permissions ("manage_channels") as the reader's Discord settings name them,
    listed their way; one the catalogue lacks as Discord's English name."""
    return listing(
        (
            t(f"permission.{name}", language)
            if lookup(f"permission.{name}", "en")
            else name.replace("_", " ").title()
            for name in names
        ),
        language,
    )
