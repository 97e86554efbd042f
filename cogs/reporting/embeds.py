"""The reports' embeds: attendance, the exchange's figures, one student; and the chart's title.

Each fits in one embed within Discord's limits however large the exchange: long lists are
cut with "… and N more", all of which are in the CSV sent alongside.
"""

from __future__ import annotations

from collections.abc import Iterable

import discord

from bot.cldr import counted, format_day, format_days, format_number, format_short_day
from bot.domain.chess_league import points_text
from bot.domain.report_chart import isolate
from bot.domain.reporting import (
    Attendance,
    ExchangeFigures,
    Period,
    StudentReport,
    Tally,
    partnership_lines,
    rate_text,
)
from bot.domain.sessions import title_in
from bot.i18n import listing, month_of_year, t
from bot.limits import EMBED_TITLE, FIELD_NAME, FIELD_VALUE
from bot.services.consent import ConsentOverview
from bot.services.meet import MeetSummary
from cogs.common.text import clip, shown, timestamp

COLOUR = discord.Colour.teal()
# A session's title or a student's name within a line, and a pair's names, cut so that more
# lines fit in a field.
IN_LINE = 60
NAMES_SHOWN = 120


def _period_text(period: Period, language: str) -> str:
    return t(
        "reporting.period",
        language,
        start=format_day(period.start, language),
        end=format_day(period.end, language),
    )


def _lines(lines: Iterable[str], language: str, *, empty: str) -> str:
    """Lines that fit in one embed field; the rest are counted ("… and 4 more")."""
    every = list(lines)
    if not every:
        return empty
    shown: list[str] = []
    used = 0
    for index, line in enumerate(every):
        more = t("reporting.more", language, count=len(every) - index)
        if used + len(line) + 1 + len(more) > FIELD_VALUE:
            shown.append(more)
            break
        shown.append(line)
        used += len(line) + 1
    return clip("\n".join(shown), FIELD_VALUE)


def chart_title(exchange: str, period: Period, city: str | None, language: str) -> str:
    """The chart's title: no words to translate, only names (isolated) and the period's days
    as the reader writes them."""
    where = f"{isolate(exchange)} · {isolate(city)}" if city else isolate(exchange)
    return f"{where} · {format_days(period.start, period.end, language)}"


def attendance_embed(
    report: Attendance, exchange: str, city: str | None, period: Period, language: str
) -> discord.Embed:
    """The attendance summary: rate per city, sessions, students who missed two in a row."""
    lang = language
    title = (
        t("reporting.attendance_title_city", lang, exchange=shown(exchange), city=shown(city))
        if city
        else t("reporting.attendance_title", lang, exchange=shown(exchange))
    )
    upcoming = sum(1 for s in report.sessions if s.outcome in ("upcoming", "running"))
    total = report.total
    description = [
        _period_text(period, lang),
        counted(
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
            counted(
                "reporting.overall",
                lang,
                attended=total.attended,
                expected=total.expected,
                rate=rate_text(total.rate, lang),
            )
        )
        description.append(marked_line(total, lang))
    else:
        description.append(t("reporting.no_sessions", lang))
    embed = discord.Embed(
        title=clip(title, EMBED_TITLE), description="\n".join(description), colour=COLOUR
    )
    for line in report.cities:
        embed.add_field(
            name=shown(line.city.name, FIELD_NAME),
            value=counted(
                "reporting.city_value",
                lang,
                rate=rate_text(line.tally.rate, lang),
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
            f"{shown(c.city.name)} {session.by_city[c.city.id].attended}/"
            f"{session.by_city[c.city.id].expected}"
            for c in report.cities
        )
        session_lines.append(
            t(
                "reporting.session_line" if session.slot.counted else "reporting.session_plain",
                lang,
                date=format_short_day(session.slot.starts_at.date(), lang, year=True),
                title=shown(title_in(session.slot.title, lang), IN_LINE),
                outcome=t(f"reporting.outcome_{session.outcome}", lang),
                cities=cities,
            )
        )
    embed.add_field(
        name=t("reporting.sessions", lang),
        value=_lines(session_lines, lang, empty="—"),
        inline=False,
    )
    names = {c.city.id: shown(c.city.name) for c in report.cities}
    flagged = [
        t(
            "reporting.missed_lately" if s.missed_lately >= 2 else "reporting.missed_earlier",
            lang,
            name=shown(s.student.name, IN_LINE),
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


def marked_line(total: Tally, language: str) -> str:
    """How many of the counted attendances a teacher marked at roll call (and excused)."""
    return counted(
        "reporting.marked_by_teachers", language, marked=total.marked, excused=total.excused
    )


def _score(figures: ExchangeFigures) -> str:
    cities = figures.attendance.cities
    if len(cities) != 2:
        # A network: each city's points, in the exchange's order.
        return " · ".join(
            f"{shown(c.city.name)} {points_text(figures.city_counts(c.city.id).chess_points)}"
            for c in cities
        )
    first, second = cities
    ours = points_text(figures.city_counts(first.city.id).chess_points)
    theirs = points_text(figures.city_counts(second.city.id).chess_points)
    return f"{shown(first.city.name)} {ours} – {theirs} {shown(second.city.name)}"


def _partnership_fields(embed: discord.Embed, figures: ExchangeFigures, lang: str) -> None:
    """A hub network's partnerships, one field each (sister-city boards report per
    partnership); nothing for any other exchange."""
    for line in partnership_lines(figures):
        embed.add_field(
            name=clip(
                t(
                    "network.partnership_field",
                    lang,
                    hub=shown(line.hub.name),
                    partner=shown(line.partner.name),
                ),
                FIELD_NAME,
            ),
            value=counted(
                "network.partnership_figures",
                lang,
                pairs=line.pairs,
                active=line.active_pairs,
                partner=shown(line.partner.name),
                enrolled=line.counts.enrolled,
                took_part=line.counts.active,
                rate=rate_text(line.attendance.rate, lang),
                messages=line.counts.messages,
            ),
        )


def exchange_embed(figures: ExchangeFigures, language: str) -> discord.Embed:
    """The figures funders and boards ask for, per city and for the exchange; pairs to nudge."""
    lang = language
    report = figures.attendance
    embed = discord.Embed(
        title=clip(
            t("reporting.exchange_title", lang, exchange=shown(figures.exchange)), EMBED_TITLE
        ),
        description=_period_text(figures.period, lang) + "\n" + t("reporting.youth_only", lang),
        colour=COLOUR,
    )
    for line in report.cities:
        counts = figures.city_counts(line.city.id)
        embed.add_field(
            name=shown(line.city.name, FIELD_NAME),
            value=counted(
                "reporting.city_figures",
                lang,
                enrolled=counts.enrolled,
                active=counts.active,
                rate=rate_text(line.tally.rate, lang),
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
        value=counted(
            "reporting.exchange_figures",
            lang,
            held=report.held,
            ended=report.ended,
            rate=rate_text(total.rate, lang),
            minutes=report.minutes,
            posted=figures.prompts_posted,
            answers=figures.total.prompt_answers,
            messages=figures.total.messages,
            games=figures.chess_games,
            score=_score(figures),
            active=len(figures.active_pairs),
            pairs=len(figures.pairs),
        )
        + "\n"
        + marked_line(total, lang),
        inline=False,
    )
    _partnership_fields(embed, figures, lang)
    dormant = figures.dormant_pairs
    lines = [
        t(
            "meet.dormant_line",
            lang,
            names=clip(" & ".join(map(shown, p.names)) or "—", NAMES_SHOWN),
        )
        if p.not_met
        else t(
            "reporting.dormant_line",
            lang,
            names=clip(" & ".join(map(shown, p.names)) or "—", NAMES_SHOWN),
            when=timestamp(p.last_message, "R"),
        )
        if p.last_message
        else t(
            "reporting.dormant_never",
            lang,
            names=clip(" & ".join(map(shown, p.names)) or "—", NAMES_SHOWN),
        )
        for p in dormant
    ]
    embed.add_field(
        name=t("reporting.dormant_title", lang, count=len(dormant)),
        value=_lines(lines, lang, empty=t("reporting.dormant_none", lang)),
        inline=False,
    )
    embed.set_footer(text=t("reporting.exchange_footer", lang))
    return embed


def add_consent(embed: discord.Embed, overview: ConsentOverview, language: str) -> None:
    """Consent coverage per city (current students), the rule, and bands to fix."""
    lines = [
        counted(
            "consent.report_city",
            language,
            city=shown(overview.exchange.city(c.city_id).name) if c.city_id else "—",
            on_file=c.on_file,
            students=c.students,
        )
        for c in overview.coverage
    ]
    if not overview.required:
        lines.append(t("consent.report_not_required", language))
    if overview.flagged:
        lines.append("⚠️ " + t("consent.report_bands", language, count=len(overview.flagged)))
    embed.add_field(
        name=t("consent.report_title", language),
        value=clip("\n".join(lines), FIELD_VALUE),
        inline=False,
    )


def add_meet(embed: discord.Embed, summary: MeetSummary, language: str) -> None:
    """The check-ins' answers, and pairs that said "not yet" twice in a row (to nudge)."""
    found = summary.tally
    lines = [
        counted("meet.report_line", language, yes=found.yes, not_yet=found.not_yet, help=found.help)
    ]
    if summary.not_met:
        names = listing(
            (" & ".join(shown(n, 30) for n in pair) for pair in summary.not_met), language
        )
        lines.append(t("meet.report_quiet", language, names=names))
    embed.add_field(
        name=t("meet.report_title", language),
        value=clip("\n".join(lines), FIELD_VALUE),
        inline=False,
    )


def student_embed(report: StudentReport, language: str) -> discord.Embed:
    """One student's participation: totals, month by month, and each session."""
    lang = language
    line = report.attendance
    embed = discord.Embed(
        title=clip(
            t(
                "reporting.student_title",
                lang,
                name=shown(report.student.name),
                city=shown(report.city),
            ),
            EMBED_TITLE,
        ),
        description=_period_text(report.period, lang),
        colour=COLOUR,
    )
    sessions = counted(
        "reporting.student_sessions",
        lang,
        attended=line.tally.attended,
        expected=line.tally.expected,
        rate=rate_text(line.tally.rate, lang),
    )
    if line.missed_lately >= 2:
        sessions += "\n" + t("reporting.student_missed", lang, count=line.missed_lately)
    sessions += "\n" + marked_line(line.tally, lang)
    embed.add_field(name=t("reporting.sessions", lang), value=sessions)
    embed.add_field(
        name=t("reporting.prompt_answers", lang), value=format_number(report.prompt_answers, lang)
    )
    embed.add_field(name=t("reporting.messages", lang), value=format_number(report.messages, lang))
    embed.add_field(
        name=t("reporting.chess", lang),
        value=t(
            "reporting.student_chess", lang, games=report.games, points=points_text(report.points)
        ),
    )
    months = [
        counted(
            "reporting.month_line",
            lang,
            month=month_of_year(m.month, lang),
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
            date=format_short_day(slot.starts_at.date(), lang, year=True),
            title=shown(title_in(slot.title, lang), IN_LINE),
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
