"""`/report attendance|exchange|student`: summaries for coordinators, teachers and funders.

Each command defers first (the chart takes a moment), asks the reporting service for the
figures, and renders them: an embed, the same figures as CSV, and for attendance a chart.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterable

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import Twinbridge
from bot.domain.chess_league import points_text
from bot.domain.report_chart import attendance_chart, isolate
from bot.domain.reporting import (
    Attendance,
    ExchangeFigures,
    Period,
    StudentReport,
    attendance_csv,
    csv_bytes,
    exchange_csv,
    rate_text,
)
from bot.i18n import t
from bot.services import reporting as service
from cogs.common.params import CityName
from cogs.utils import NO_PINGS, actor_of, clip, exchange_autocomplete, timestamp

FIELD = 1024
COLOUR = discord.Colour.teal()

DATE_HINT = "YYYY-MM-DD, UTC"


def _period_text(period: Period, language: str) -> str:
    return t("reporting.period", language, start=period.start, end=period.end)


def _lines(lines: Iterable[str], language: str, *, empty: str) -> str:
    """Lines that fit in one embed field; the rest are counted ("… and 4 more")."""
    every = list(lines)
    if not every:
        return empty
    shown: list[str] = []
    used = 0
    for index, line in enumerate(every):
        more = t("reporting.more", language, count=len(every) - index)
        if used + len(line) + 1 + len(more) > FIELD:
            shown.append(more)
            break
        shown.append(line)
        used += len(line) + 1
    return clip("\n".join(shown), FIELD)


def _stem(kind: str, exchange_id: int, period: Period) -> str:
    return f"{kind}-{exchange_id}-{period.start}-{period.end}"


def chart_title(exchange: str, period: Period, city: str | None) -> str:
    """The chart's title: no words to translate, only names (isolated) and dates."""
    where = f"{isolate(exchange)} · {isolate(city)}" if city else isolate(exchange)
    return f"{where} · {period.start} → {period.end}"


# -- embeds --------------------------------------------------------------------------------------


def attendance_embed(
    report: Attendance, exchange: str, city: str | None, period: Period, language: str
) -> discord.Embed:
    """The attendance summary: rate per city, sessions, students who missed two in a row."""
    lang = language
    title = (
        t("reporting.attendance_title_city", lang, exchange=exchange, city=city)
        if city
        else t("reporting.attendance_title", lang, exchange=exchange)
    )
    upcoming = sum(1 for s in report.sessions if s.outcome in ("upcoming", "running"))
    total = report.total
    description = [
        _period_text(period, lang),
        t(
            "reporting.sessions_line",
            lang,
            ended=report.ended,
            held=report.held,
            cancelled=report.cancelled,
            upcoming=upcoming,
        ),
    ]
    if report.ended:
        description.append(
            t(
                "reporting.overall",
                lang,
                attended=total.attended,
                expected=total.expected,
                rate=rate_text(total.rate),
            )
        )
    else:
        description.append(t("reporting.no_sessions", lang))
    embed = discord.Embed(title=clip(title, 256), description="\n".join(description), colour=COLOUR)
    for line in report.cities:
        embed.add_field(
            name=clip(line.city.name, 256),
            value=t(
                "reporting.city_value",
                lang,
                rate=rate_text(line.tally.rate),
                attended=line.tally.attended,
                expected=line.tally.expected,
                held=line.held,
                ended=report.ended,
                minutes=line.minutes,
            ),
        )
    session_lines = []
    for session in reversed(report.sessions):  # the latest first
        cities = " · ".join(
            f"{c.city.name} {session.by_city[c.city.id].attended}/"
            f"{session.by_city[c.city.id].expected}"
            for c in report.cities
        )
        session_lines.append(
            t(
                "reporting.session_line" if session.slot.counted else "reporting.session_plain",
                lang,
                date=session.slot.starts_at.date(),
                title=clip(session.slot.title, 60),
                outcome=t(f"reporting.outcome_{session.outcome}", lang),
                cities=cities,
            )
        )
    embed.add_field(
        name=t("reporting.sessions", lang),
        value=_lines(session_lines, lang, empty="—"),
        inline=False,
    )
    names = {c.city.id: c.city.name for c in report.cities}
    flagged = [
        t(
            "reporting.missed_lately" if s.missed_lately >= 2 else "reporting.missed_earlier",
            lang,
            name=clip(s.student.name, 60),
            city=names.get(s.student.city_id or 0, "—"),
            count=s.missed_lately if s.missed_lately >= 2 else s.longest_missed_run,
        )
        for s in report.flagged
    ]
    embed.add_field(
        name=t("reporting.missed_title", lang),
        value=_lines(flagged, lang, empty=t("reporting.missed_none", lang)),
        inline=False,
    )
    embed.set_footer(text=t("reporting.attendance_footer", lang))
    return embed


def _score(figures: ExchangeFigures) -> str:
    first, second = figures.attendance.cities
    return (
        f"{first.city.name} {points_text(figures.city_counts(first.city.id).chess_points)} – "
        f"{points_text(figures.city_counts(second.city.id).chess_points)} {second.city.name}"
    )


def exchange_embed(figures: ExchangeFigures, language: str) -> discord.Embed:
    """The figures funders and boards ask for, per city and for the exchange; pairs to nudge."""
    lang = language
    report = figures.attendance
    embed = discord.Embed(
        title=clip(t("reporting.exchange_title", lang, exchange=figures.exchange), 256),
        description=_period_text(figures.period, lang) + "\n" + t("reporting.youth_only", lang),
        colour=COLOUR,
    )
    for line in report.cities:
        counts = figures.city_counts(line.city.id)
        embed.add_field(
            name=clip(line.city.name, 256),
            value=t(
                "reporting.city_figures",
                lang,
                enrolled=counts.enrolled,
                active=counts.active,
                rate=rate_text(line.tally.rate),
                attended=line.tally.attended,
                expected=line.tally.expected,
                held=line.held,
                minutes=line.minutes,
                answers=counts.prompt_answers,
                messages=counts.messages,
                points=points_text(counts.chess_points),
            ),
        )
    total = report.total
    embed.add_field(
        name=t("reporting.exchange_field", lang),
        value=t(
            "reporting.exchange_figures",
            lang,
            held=report.held,
            ended=report.ended,
            rate=rate_text(total.rate),
            minutes=report.minutes,
            posted=figures.prompts_posted,
            answers=figures.total.prompt_answers,
            messages=figures.total.messages,
            games=figures.chess_games,
            score=_score(figures),
            active=len(figures.active_pairs),
            pairs=len(figures.pairs),
        ),
        inline=False,
    )
    dormant = figures.dormant_pairs
    lines = [
        t(
            "reporting.dormant_line",
            lang,
            names=clip(" & ".join(p.names) or "—", 120),
            when=timestamp(p.last_message, "R"),
        )
        if p.last_message
        else t("reporting.dormant_never", lang, names=clip(" & ".join(p.names) or "—", 120))
        for p in dormant
    ]
    embed.add_field(
        name=t("reporting.dormant_title", lang, count=len(dormant)),
        value=_lines(lines, lang, empty=t("reporting.dormant_none", lang)),
        inline=False,
    )
    embed.set_footer(text=t("reporting.exchange_footer", lang))
    return embed


def student_embed(report: StudentReport, language: str) -> discord.Embed:
    """One student's participation: totals, month by month, and each session."""
    lang = language
    line = report.attendance
    embed = discord.Embed(
        title=clip(
            t("reporting.student_title", lang, name=report.student.name, city=report.city), 256
        ),
        description=_period_text(report.period, lang),
        colour=COLOUR,
    )
    sessions = t(
        "reporting.student_sessions",
        lang,
        attended=line.tally.attended,
        expected=line.tally.expected,
        rate=rate_text(line.tally.rate),
    )
    if line.missed_lately >= 2:
        sessions += "\n" + t("reporting.student_missed", lang, count=line.missed_lately)
    embed.add_field(name=t("reporting.sessions", lang), value=sessions)
    embed.add_field(name=t("reporting.prompt_answers", lang), value=str(report.prompt_answers))
    embed.add_field(name=t("reporting.messages", lang), value=str(report.messages))
    embed.add_field(
        name=t("reporting.chess", lang),
        value=t(
            "reporting.student_chess", lang, games=report.games, points=points_text(report.points)
        ),
    )
    months = [
        t(
            "reporting.month_line",
            lang,
            month=m.month,
            attended=m.sessions.attended,
            expected=m.sessions.expected,
            answers=m.prompt_answers,
            messages=m.messages,
            games=m.games,
        )
        for m in report.months
    ]
    embed.add_field(
        name=t("reporting.months_title", lang), value=_lines(months, lang, empty="—"), inline=False
    )
    seen = [
        t(
            "reporting.session_attended" if came else "reporting.session_missed",
            lang,
            date=slot.starts_at.date(),
            title=clip(slot.title, 60),
        )
        for slot, came in reversed(report.sessions)
    ]
    embed.add_field(
        name=t("reporting.sessions_each", lang),
        value=_lines(seen, lang, empty=t("reporting.no_sessions", lang)),
        inline=False,
    )
    embed.set_footer(text=t("reporting.student_footer", lang))
    return embed


# -- the cog -------------------------------------------------------------------------------------


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
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    async def attendance(
        self,
        interaction: discord.Interaction[Twinbridge],
        start: app_commands.Range[str, 1, 20] | None = None,
        end: app_commands.Range[str, 1, 20] | None = None,
        city: CityName | None = None,
        exchange: int | None = None,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        actor = await actor_of(interaction)
        ctx = self.bot.ctx
        found = await service.attendance_report(
            ctx.db, ctx.clock, actor, exchange, start=start, end=end, city=city
        )
        scope, period = found.scope, found.period
        city_name = scope.city.name if scope.city else None
        embed = attendance_embed(
            found.attendance, scope.exchange.name, city_name, period, actor.language
        )
        stem = _stem("attendance", scope.exchange.id, period)
        files = [
            discord.File(
                io.BytesIO(csv_bytes(attendance_csv(found.attendance))), filename=f"{stem}.csv"
            )
        ]
        if found.attendance.ended:
            png = await asyncio.to_thread(
                attendance_chart,
                found.attendance,
                chart_title(scope.exchange.name, period, city_name),
            )
            files.append(discord.File(io.BytesIO(png), filename=f"{stem}.png"))
            embed.set_image(url=f"attachment://{stem}.png")
        await interaction.followup.send(
            embed=embed, files=files, ephemeral=True, allowed_mentions=NO_PINGS
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
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    async def exchange_figures(
        self,
        interaction: discord.Interaction[Twinbridge],
        start: app_commands.Range[str, 1, 20] | None = None,
        end: app_commands.Range[str, 1, 20] | None = None,
        exchange: int | None = None,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        actor = await actor_of(interaction)
        ctx = self.bot.ctx
        found = await service.exchange_report(
            ctx.db, ctx.clock, actor, exchange, start=start, end=end
        )
        figures = found.figures
        stem = _stem("exchange", found.scope.exchange.id, figures.period)
        await interaction.followup.send(
            embed=exchange_embed(figures, actor.language),
            file=discord.File(io.BytesIO(csv_bytes(exchange_csv(figures))), filename=f"{stem}.csv"),
            ephemeral=True,
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
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    async def student(
        self,
        interaction: discord.Interaction[Twinbridge],
        student: discord.Member,
        start: app_commands.Range[str, 1, 20] | None = None,
        end: app_commands.Range[str, 1, 20] | None = None,
        exchange: int | None = None,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        actor = await actor_of(interaction)
        ctx = self.bot.ctx
        found = await service.student_participation(
            ctx.db, ctx.clock, actor, exchange, student.id, start=start, end=end
        )
        await interaction.followup.send(
            embed=student_embed(found.report, actor.language),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )


async def setup(bot: Twinbridge) -> None:
    """Extension entry point."""
    await bot.add_cog(ReportingCog(bot))
