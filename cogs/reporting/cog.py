"""`/report attendance|exchange|student`: summaries for coordinators, teachers and funders.

Each command acknowledges first (the figures and the chart take a moment), asks the reporting
service for the figures, and renders them: an embed, the same figures as CSV, and for
attendance a chart.
"""

from __future__ import annotations

import asyncio
import shlex

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import Twinbridge
from bot.domain.report_chart import attendance_chart
from bot.domain.reporting import Period, attendance_csv, exchange_csv
from bot.domain.spreadsheet import csv_bytes
from cogs.common.files import Attachment, pack, say_packed
from cogs.common.interactions import begin, say
from cogs.common.params import CityName, ExchangeId, PastDay
from cogs.common.text import NO_PINGS
from cogs.reporting.embeds import attendance_embed, chart_title, exchange_embed, student_embed

DATE_HINT = "YYYY-MM-DD, UTC"


def _stem(kind: str, exchange_id: int, period: Period) -> str:
    """The name of a report's files (without extension)."""
    return f"{kind}-{exchange_id}-{period.start}-{period.end}"


def _command_line(
    kind: str, exchange_id: int, period: Period, stem: str, city: str | None = None
) -> str:
    """The `python -m bot report` line that writes the same CSV, for one too large for
    Discord."""
    line = f"python -m bot report {kind} --exchange {exchange_id}"
    line += f" --from {period.start} --to {period.end}"
    if city is not None:
        line += f" --city {shlex.quote(city)}"
    return f"{line} --output {stem}.csv"


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
    )
    @app_commands.rename(start="from", end="to")
    async def attendance(
        self,
        interaction: discord.Interaction[Twinbridge],
        start: PastDay | None = None,
        end: PastDay | None = None,
        city: CityName | None = None,
        exchange: ExchangeId | None = None,
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
        files = [Attachment(f"{stem}.csv", csv_bytes(attendance_csv(found.attendance)))]
        if found.attendance.ended:
            png = await asyncio.to_thread(
                attendance_chart,
                found.attendance,
                chart_title(scope.exchange.name, period, city_name),
            )
            files.append(Attachment(f"{stem}.png", png))
        packed = pack(files)
        if packed.holds(f"{stem}.png"):
            embed.set_image(url=f"attachment://{stem}.png")
        # The command line writes the CSV (the chart is only ever a few hundred KB).
        command = _command_line("attendance", scope.exchange.id, period, stem, city_name)
        await say_packed(
            interaction,
            packed,
            language=actor.language,
            command=command if f"{stem}.csv" in packed.left_out else None,
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
    )
    @app_commands.rename(start="from", end="to")
    async def exchange_figures(
        self,
        interaction: discord.Interaction[Twinbridge],
        start: PastDay | None = None,
        end: PastDay | None = None,
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        found = await self.bot.services.reporting.exchange_report(
            actor, exchange, start=start, end=end
        )
        figures = found.figures
        stem = _stem("exchange", found.scope.exchange.id, figures.period)
        await say_packed(
            interaction,
            pack([Attachment(f"{stem}.csv", csv_bytes(exchange_csv(figures)))]),
            language=actor.language,
            command=_command_line("exchange", found.scope.exchange.id, figures.period, stem),
            embed=exchange_embed(figures, actor.language),
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
    )
    @app_commands.rename(start="from", end="to")
    async def student(
        self,
        interaction: discord.Interaction[Twinbridge],
        student: discord.Member,
        start: PastDay | None = None,
        end: PastDay | None = None,
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        found = await self.bot.services.reporting.student_participation(
            actor, exchange, student.id, start=start, end=end
        )
        await say(
            interaction,
            embed=student_embed(found.report, actor.language),
            allowed_mentions=NO_PINGS,
        )
