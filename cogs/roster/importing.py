"""A roster CSV import: finding the members it names, and telling the teacher what it did."""

from __future__ import annotations

import io
from collections.abc import Sequence

import discord
from discord.utils import escape_markdown

from bot.domain import roster_csv
from bot.errors import UserError
from bot.i18n import listing, t
from bot.limits import EMBED_DESCRIPTION, EMBED_TITLE, FIELD_VALUE, MEMBERS_PER_QUERY
from bot.services.roster import FoundMember, ImportReport
from cogs.common.errors import render_error
from cogs.common.files import Attachment
from cogs.common.text import clip

PROBLEMS_SHOWN = 15
# Kept free in the report's description when listing problem rows: the count of the rest.
SPARE = 500


class DiscordDirectory:
    """The roster's `MemberDirectory`, asking Discord's gateway (no privileged intent needed)."""

    def __init__(self, guild: discord.Guild) -> None:
        self.guild = guild

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

    async def by_name(self, name: str) -> list[FoundMember]:
        wanted = name.casefold()
        members = await self.guild.query_members(query=name, limit=MEMBERS_PER_QUERY, cache=False)
        return [
            self._found(m)
            for m in members
            if wanted
            in {m.name.casefold(), (m.global_name or "").casefold(), (m.nick or "").casefold()}
        ]


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
        " · ".join(f"{c.name}: {per_city.get(c.id, 0)}" for c in exchange.cities),
    ]
    if restored:
        lines.append(t("roster.import_restored", lang, count=restored))
    if report.ignored_columns:
        columns = clip(listing(report.ignored_columns, lang), 200)
        lines.append(t("roster.import_ignored", lang, columns=columns))
    shown = 0
    if report.problems:
        lines += ["", "**" + t("roster.import_problems", lang, count=len(report.problems)) + "**"]
        # List rows while they fit in the description, then count the rest.
        room = EMBED_DESCRIPTION - SPARE - sum(len(x) + 1 for x in lines)
        for problem in report.problems[:PROBLEMS_SHOWN]:
            line = escape_markdown(clip(problem_text(problem, lang), 300))
            if len(line) + 1 > room:
                break
            lines.append(line)
            room -= len(line) + 1
            shown += 1
        if shown < len(report.problems):
            lines.append(t("roster.import_more", lang, count=len(report.problems) - shown))
    embed = discord.Embed(
        title=clip(t("roster.import_title", lang, exchange=exchange.name), EMBED_TITLE),
        description="\n".join(lines),
        colour=discord.Colour.orange() if report.problems else discord.Colour.green(),
    )
    if report.imported:
        names = listing((escape_markdown(i.name) for i in report.imported), lang)
        embed.add_field(
            name=t("roster.import_who", lang), value=clip(names, FIELD_VALUE), inline=False
        )
    return embed, shown == len(report.problems)


def problems_file(report: ImportReport, lang: str) -> Attachment:
    """Every row that was not imported, as a CSV a teacher can fix and import again."""
    out = io.StringIO()
    out.write("line,reason\n")
    for p in report.problems:
        reason = render_error(UserError(p.key, **p.params), lang).replace('"', '""')
        out.write(f'{p.line},"{reason}"\n')
    return Attachment("import-problems.csv", out.getvalue().encode("utf-8-sig"))
