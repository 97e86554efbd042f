"""`/report attendance|exchange|student|link|links|digest`: summaries for coordinators,
teachers and funders, and what reaches people outside Discord.

Each report acknowledges first (the figures and the chart take a moment), asks the reporting
service for the figures, and renders them: an embed, the same figures as a CSV file or an
Excel workbook, and for attendance a chart. `link` gives a read-only dashboard page, `links`
lists and revokes them, `digest` turns the monthly digest on or off.
"""

from __future__ import annotations

import asyncio
import shlex

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import Twinbridge, http_reason
from bot.domain.exchange import NATIVE_NAMES
from bot.domain.report_chart import attendance_chart
from bot.domain.reporting import Period, attendance_csv, exchange_csv
from bot.domain.spreadsheet import csv_bytes
from bot.domain.workbook import attendance_workbook, exchange_workbook, student_workbook
from bot.i18n import available_languages
from bot.services.scheduler import RetryLaterError, UndeliverableError
from bot.store.sends import Send
from cogs.common.files import Attachment, pack, say_packed
from cogs.common.interactions import begin, say
from cogs.common.params import CityName, ExchangeId, PastDay
from cogs.common.text import NO_PINGS
from cogs.reporting.embeds import (
    add_consent,
    add_meet,
    attendance_embed,
    chart_title,
    exchange_embed,
    marked_line,
    student_embed,
)
from cogs.reporting.outside import digest_answer, link_answer, links_answer, post_digest

DATE_HINT = "YYYY-MM-DD, UTC"
FILE_CHOICES = [
    app_commands.Choice(name="CSV (one sheet)", value="csv"),
    app_commands.Choice(name="Excel workbook (.xlsx)", value="xlsx"),
]
DIGEST_CHOICES = [
    app_commands.Choice(name="on", value="on"),
    app_commands.Choice(name="off", value="off"),
]
LANGUAGE_CHOICES = [
    app_commands.Choice(name=NATIVE_NAMES.get(code, code), value=code)
    for code in available_languages()
]


def _suffix(file: str | None) -> str:
    return "xlsx" if file == "xlsx" else "csv"


def _stem(kind: str, exchange_id: int, period: Period) -> str:
    """The name of a report's files (without extension)."""
    return f"{kind}-{exchange_id}-{period.start}-{period.end}"


def _command_line(
    kind: str,
    exchange_id: int,
    period: Period,
    stem: str,
    city: str | None = None,
    *,
    file: str | None = None,
) -> str:
    """The `python -m bot report` line that writes the same file, for one too large for
    Discord."""
    line = f"python -m bot report {kind} --exchange {exchange_id}"
    line += f" --from {period.start} --to {period.end}"
    if city is not None:
        line += f" --city {shlex.quote(city)}"
    if file == "xlsx":
        line += " --format xlsx"
    return f"{line} --output {stem}.{_suffix(file)}"


@app_commands.guild_only()
class ReportingCog(
    commands.GroupCog,
    group_name="report",
    group_description="Attendance and activity summaries (teachers and coordinators)",
):
    """Reports on attendance and participation, for teachers, coordinators and funders."""

    def __init__(self, bot: Twinbridge) -> None:
        self.bot = bot

    @app_commands.command(
        name="attendance",
        description="Attendance per session, city and student, with a CSV and a chart",
    )
    @app_commands.describe(
        start=f"First day ({DATE_HINT}); default: 90 days before the last",
        end=f"Last day, included ({DATE_HINT}); default: today",
        city="Only this city (teachers always see their own)",
        exchange="Which exchange, if the server has several",
        file="A CSV file (the default) or an Excel workbook",
    )
    @app_commands.rename(start="from", end="to")
    @app_commands.choices(file=FILE_CHOICES)
    async def attendance(
        self,
        interaction: discord.Interaction[Twinbridge],
        start: PastDay | None = None,
        end: PastDay | None = None,
        city: CityName | None = None,
        exchange: ExchangeId | None = None,
        file: str = "csv",
    ) -> None:
        actor = await begin(interaction)
        found = await self.bot.services.reporting.attendance_report(
            actor, exchange, start=start, end=end, city=city
        )
        scope, period = found.scope, found.period
        city_name = scope.city.name if scope.city else None
        embed = attendance_embed(
            found.attendance, scope.exchange.name, city_name, period, actor.language
        )
        stem = _stem("attendance", scope.exchange.id, period)
        if file == "xlsx":
            data = await asyncio.to_thread(attendance_workbook, found.attendance, actor.language)
        else:
            data = csv_bytes(attendance_csv(found.attendance, actor.language))
        files = [Attachment(f"{stem}.{_suffix(file)}", data)]
        if found.attendance.ended:
            png = await asyncio.to_thread(
                attendance_chart,
                found.attendance,
                chart_title(scope.exchange.name, period, city_name, actor.language),
                marked_line(found.attendance.total, actor.language),
                actor.language,
            )
            files.append(Attachment(f"{stem}.png", png))
        packed = pack(files)
        if packed.holds(f"{stem}.png"):
            embed.set_image(url=f"attachment://{stem}.png")
        # The command line writes the CSV (the chart is only ever a few hundred KB).
        command = _command_line("attendance", scope.exchange.id, period, stem, city_name, file=file)
        await say_packed(
            interaction,
            packed,
            language=actor.language,
            command=command if f"{stem}.{_suffix(file)}" in packed.left_out else None,
            embed=embed,
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(
        name="exchange",
        description="The exchange's figures for funders and boards, with a CSV",
    )
    @app_commands.describe(
        start=f"First day ({DATE_HINT}); default: 90 days before the last",
        end=f"Last day, included ({DATE_HINT}); default: today",
        exchange="Which exchange, if the server has several",
        file="A CSV file (the default) or an Excel workbook",
    )
    @app_commands.rename(start="from", end="to")
    @app_commands.choices(file=FILE_CHOICES)
    async def exchange_figures(
        self,
        interaction: discord.Interaction[Twinbridge],
        start: PastDay | None = None,
        end: PastDay | None = None,
        exchange: ExchangeId | None = None,
        file: str = "csv",
    ) -> None:
        actor = await begin(interaction)
        found = await self.bot.services.reporting.exchange_report(
            actor, exchange, start=start, end=end
        )
        figures = found.figures
        embed = exchange_embed(figures, actor.language)
        if found.consent is not None:
            add_consent(embed, found.consent, actor.language)
        if found.meet is not None:
            add_meet(embed, found.meet, actor.language)
        stem = _stem("exchange", found.scope.exchange.id, figures.period)
        if file == "xlsx":
            data = await asyncio.to_thread(exchange_workbook, figures, actor.language)
        else:
            data = csv_bytes(exchange_csv(figures))
        await say_packed(
            interaction,
            pack([Attachment(f"{stem}.{_suffix(file)}", data)]),
            language=actor.language,
            command=_command_line(
                "exchange", found.scope.exchange.id, figures.period, stem, file=file
            ),
            embed=embed,
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(
        name="student", description="One student's participation over time (teachers)"
    )
    @app_commands.describe(
        student="The student",
        start=f"First day ({DATE_HINT}); default: 90 days before the last",
        end=f"Last day, included ({DATE_HINT}); default: today",
        exchange="Which exchange, if the server has several",
        file="Also as an Excel workbook (month by month, each session)",
    )
    @app_commands.rename(start="from", end="to")
    @app_commands.choices(file=FILE_CHOICES[1:])
    async def student(
        self,
        interaction: discord.Interaction[Twinbridge],
        student: discord.Member,
        start: PastDay | None = None,
        end: PastDay | None = None,
        exchange: ExchangeId | None = None,
        file: str | None = None,
    ) -> None:
        actor = await begin(interaction)
        found = await self.bot.services.reporting.student_participation(
            actor, exchange, student.id, start=start, end=end
        )
        files: list[Attachment] = []
        if file == "xlsx":
            data = await asyncio.to_thread(student_workbook, found.report, actor.language)
            # The file is named by the exchange and the period, never by the child.
            stem = _stem("student", found.scope.exchange.id, found.report.period)
            files.append(Attachment(f"{stem}.xlsx", data))
        await say_packed(
            interaction,
            pack(files),
            language=actor.language,
            embed=student_embed(found.report, actor.language),
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(
        name="link", description="A read-only web page of the reports, for people not on Discord"
    )
    @app_commands.describe(
        city="Only this city (teachers always share their own)",
        language="The page's language (default: yours)",
        exchange="Which exchange, if the server has several",
    )
    @app_commands.choices(language=LANGUAGE_CHOICES)
    async def link(
        self,
        interaction: discord.Interaction[Twinbridge],
        city: CityName | None = None,
        language: str | None = None,
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        made = await self.bot.services.dashboard.create(actor, exchange, city, language)
        await say(interaction, link_answer(made, actor.language), allowed_mentions=NO_PINGS)

    @app_commands.command(name="links", description="The dashboard links still working; revoke one")
    @app_commands.describe(exchange="Which exchange, if the server has several")
    async def links(
        self, interaction: discord.Interaction[Twinbridge], exchange: ExchangeId | None = None
    ) -> None:
        actor = await begin(interaction)
        scope, lines = await self.bot.services.dashboard.links(actor, exchange)
        content, view = links_answer(scope.exchange.name, lines, actor.language)
        await say(interaction, content, view=view, allowed_mentions=NO_PINGS)

    @app_commands.command(
        name="digest",
        description="A monthly digest in the teachers' channel (coordinators)",
    )
    @app_commands.describe(
        state="On: posted on the first school day of each month; off: no more",
        exchange="Which exchange, if the server has several",
    )
    @app_commands.choices(state=DIGEST_CHOICES)
    async def digest(
        self,
        interaction: discord.Interaction[Twinbridge],
        state: str,
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        service = self.bot.services.digest
        if state == "on":
            found = await service.turn_on(actor, exchange)
        else:
            found = await service.turn_off(actor, exchange)
        await say(
            interaction,
            digest_answer(found, actor.language),
            allowed_mentions=NO_PINGS,
        )

    # -- the monthly digest ----------------------------------------------------------------------

    async def on_digest(self, send: Send) -> None:
        """Post this month's digest in the teachers' channel (planned by the service)."""
        digest = await self.bot.services.digest.prepare(send)
        if digest is None:
            return
        channel = self.bot.get_channel(digest.channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            raise UndeliverableError(f"channel {digest.channel_id} is gone")
        try:
            await post_digest(channel, digest, send.nonce)
        except discord.DiscordServerError as exc:
            raise RetryLaterError(http_reason(exc)) from exc
        except discord.HTTPException as exc:
            # Closed to the bot or gone: trying again would fail the same way.
            raise UndeliverableError(http_reason(exc)) from exc
        await self.bot.services.digest.posted(digest)
