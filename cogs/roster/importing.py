"""A roster CSV import: finding the members it names, and telling the teacher what it did."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from typing import Any

import discord
from discord.http import Route

from bot.domain import roster_csv
from bot.domain.member_search import Progress, find_by_prefix
from bot.domain.spreadsheet import csv_bytes, to_csv
from bot.errors import UserError
from bot.i18n import listing, t
from bot.limits import (
    EMBED_DESCRIPTION,
    EMBED_TITLE,
    FIELD_VALUE,
    MEMBERS_PER_QUERY,
    MEMBERS_PER_SEARCH,
)
from bot.services.roster import FoundMember, ImportReport
from cogs.common.errors import render_error
from cogs.common.files import Attachment
from cogs.common.text import clip, shown

PROBLEMS_SHOWN = 15
# Kept free in the report's description when listing problem rows: the count of the rest.
SPARE = 500


class DiscordDirectory:
    """The roster's `MemberDirectory`: ids through the gateway, names through Discord's
    member search, a thousand a search (neither needs a privileged intent)."""

    def __init__(self, guild: discord.Guild, http: discord.http.HTTPClient) -> None:
        self.guild = guild
        self.http = http

    @staticmethod
    def _found(member: discord.Member) -> FoundMember:
        return FoundMember(
            user_id=member.id,
            username=member.name,
            display_name=member.display_name,
            role_ids=frozenset(r.id for r in member.roles),
            bot=member.bot,
        )

    async def by_ids(self, user_ids: Sequence[int]) -> dict[int, FoundMember]:
        found: dict[int, FoundMember] = {}
        for start in range(0, len(user_ids), MEMBERS_PER_QUERY):
            chunk = list(user_ids[start : start + MEMBERS_PER_QUERY])
            members = await self.guild.query_members(
                user_ids=chunk, limit=MEMBERS_PER_QUERY, cache=False
            )
            found |= {m.id: self._found(m) for m in members}
        return found

    async def _search(self, prefix: str) -> list[JsonMember]:
        route = Route("GET", "/guilds/{guild_id}/members/search", guild_id=self.guild.id)
        found = await self.http.request(
            route, params={"query": prefix[:SEARCH_QUERY], "limit": MEMBERS_PER_SEARCH}
        )
        return list(found)

    async def by_names(
        self, names: Sequence[str], progress: Progress | None = None
    ) -> dict[str, list[FoundMember]]:
        found = await find_by_prefix(
            names, self._search, _names_of, limit=MEMBERS_PER_SEARCH, progress=progress
        )
        return {key: [_member(m) for m in members] for key, members in found.items()}


JsonMember = dict[str, Any]
# Discord's longest search query.
SEARCH_QUERY = 100


def _names_of(member: JsonMember) -> tuple[str, ...]:
    user = member.get("user") or {}
    return (user.get("username") or "", user.get("global_name") or "", member.get("nick") or "")


def _member(member: JsonMember) -> FoundMember:
    """A member as Discord's search answers it (JSON), as the roster wants it."""
    user = member["user"]
    return FoundMember(
        user_id=int(user["id"]),
        username=user["username"],
        display_name=member.get("nick") or user.get("global_name") or user["username"],
        role_ids=frozenset(int(r) for r in member.get("roles", [])),
        bot=bool(user.get("bot", False)),
    )


class ImportProgress:
    """Tells the teacher how far the member lookup of a big import got: the "thinking…"
    answer becomes "Looking up students: 1,000 of 5,000 names…", every EVERY seconds."""

    EVERY = 3.0

    def __init__(self, interaction: discord.Interaction[Any], language: str) -> None:
        self.interaction = interaction
        self.language = language
        self._last = time.monotonic()

    async def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done >= total or now - self._last < self.EVERY:
            return
        self._last = now
        text = t("roster.import_progress", self.language, done=done, total=total)
        # Only news: if Discord refuses the edit, the import goes on; its answer replaces this.
        with contextlib.suppress(discord.HTTPException):
            await self.interaction.edit_original_response(content=text)


def problem_text(problem: roster_csv.CsvProblem, lang: str) -> str:
    return t(
        "roster.import_problem",
        lang,
        line=problem.line,
        reason=render_error(UserError(problem.key, **problem.params), lang),
    )


def import_embed(report: ImportReport, lang: str) -> tuple[discord.Embed, bool]:
    """What an import did: how many joined per city, and the rows that did not.

    Returns the embed and whether every problem fits in it (if not, a file carries them all).
    """
    exchange = report.exchange
    per_city = report.per_city()
    restored = sum(1 for i in report.imported if i.restored)
    lines = [
        t("roster.import_done", lang, count=len(report.imported), rows=report.rows),
        " · ".join(f"{shown(c.name)}: {per_city.get(c.id, 0)}" for c in exchange.cities),
    ]
    if restored:
        lines.append(t("roster.import_restored", lang, count=restored))
    if report.ignored_columns:
        columns = clip(listing(report.ignored_columns, lang), 200)
        lines.append(t("roster.import_ignored", lang, columns=columns))
    listed = 0
    if report.problems:
        lines += ["", "**" + t("roster.import_problems", lang, count=len(report.problems)) + "**"]
        # List rows while they fit in the description, then count the rest.
        room = EMBED_DESCRIPTION - SPARE - sum(len(x) + 1 for x in lines)
        for problem in report.problems[:PROBLEMS_SHOWN]:
            line = clip(problem_text(problem, lang), 300)
            if len(line) + 1 > room:
                break
            lines.append(line)
            room -= len(line) + 1
            listed += 1
        if listed < len(report.problems):
            lines.append(t("roster.import_more", lang, count=len(report.problems) - listed))
    embed = discord.Embed(
        title=clip(t("roster.import_title", lang, exchange=shown(exchange.name)), EMBED_TITLE),
        description="\n".join(lines),
        colour=discord.Colour.orange() if report.problems else discord.Colour.green(),
    )
    if report.imported:
        names = listing((shown(i.name) for i in report.imported), lang)
        embed.add_field(
            name=t("roster.import_who", lang), value=clip(names, FIELD_VALUE), inline=False
        )
    return embed, listed == len(report.problems)


def problems_file(report: ImportReport, lang: str) -> Attachment:
    """Every row that was not imported, as a CSV a teacher can fix and import again."""
    rows = [
        {
            "line": p.line,
            "reason": render_error(UserError(p.key, **p.params), lang, markdown=False),
        }
        for p in report.problems
    ]
    return Attachment("import-problems.csv", csv_bytes(to_csv(("line", "reason"), rows)))
