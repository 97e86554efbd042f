"""The words of reports: the teachers' post, the `/concerns` list, and answers to the reporter.

The reported message's text is never shown: a post links to the message instead.
"""

from __future__ import annotations

import discord

from bot.domain.safety import ReportKind, ReportStatus
from bot.i18n import t
from bot.limits import EMBED_TITLE, FIELD_NAME, FIELD_VALUE, FOOTER_TEXT
from bot.services.safety import ReportDraft, ReportsPage, ReportView, SpaceChange
from cogs.common.text import clip, mention, shown, timestamp

# A display name shown next to a mention; longer ones are cut (names are the students' own).
NAME_SHOWN = 100

REASON_EMOJI = {
    "unkind": "💬",
    "uncomfortable": "😟",
    "personal_info": "🔒",
    "outside_contact": "🚪",
    "spam": "📢",
    "other": "❓",
    "checkin_help": "🆘",
}


def person(user_id: int | None, name: str | None) -> str:
    """Someone a report names: a mention, with their roster name when known."""
    if user_id is None or user_id < 0:  # negative: pseudonymised after an erasure
        return "—"
    who = mention(user_id)
    return f"{who} ({shown(name, NAME_SHOWN)})" if name else who


def _status(view: ReportView, language: str) -> str:
    report = view.report
    if report.status is ReportStatus.OPEN:
        return t("report.status_open", language)
    return t(
        "report.status_resolved",
        language,
        who=person(report.resolved_by, None),
        when=timestamp(report.resolved_at, "R") if report.resolved_at else "",
    )


def report_embeds(view: ReportView) -> list[discord.Embed]:
    """The report, once per language of the exchange's teachers."""
    report = view.report
    embeds = []
    for lang in view.languages:
        reason = t(f"report.reason.{report.reason}", lang)
        embed = discord.Embed(
            title=clip(t("report.post_title", lang, id=report.id, reason=reason), EMBED_TITLE),
            colour=(
                discord.Colour.red()
                if report.status is ReportStatus.OPEN
                else discord.Colour.green()
            ),
            description=_status(view, lang),
        )
        if report.kind is ReportKind.CONCERN:
            embed.description = f"{embed.description}\n{t('report.kind_concern', lang)}"
        embed.add_field(
            name=t("report.field_reporter", lang),
            value=person(report.reporter_id, view.reporter_name),
        )
        if report.subject_id is not None:
            field = (
                "report.field_author" if report.kind is ReportKind.MESSAGE else "report.field_about"
            )
            embed.add_field(name=t(field, lang), value=person(report.subject_id, view.subject_name))
        if view.link and report.channel_id is not None:
            embed.add_field(
                name=t("report.field_where", lang),
                value=f"<#{report.channel_id}> · [{t('report.open_message', lang)}]({view.link})",
                inline=False,
            )
        embed.add_field(
            name=t("report.field_when", lang),
            value=f"{timestamp(report.created_at, 'F')} · {timestamp(report.created_at, 'R')}",
            inline=False,
        )
        if view.space_id is not None and view.space_status is not None:
            embed.add_field(
                name=t("report.field_space", lang),
                value=f"<#{view.space_id}> · {t(f'report.space_{view.space_status}', lang)}",
                inline=False,
            )
        if report.details:
            embed.add_field(
                name=t("report.field_details", lang),
                value=clip(shown(report.details), FIELD_VALUE),
                inline=False,
            )
        embed.set_footer(text=clip(t("report.footer", lang, exchange=view.exchange), FOOTER_TEXT))
        embeds.append(embed)
    return embeds


def reports_embed(found: ReportsPage, open_only: bool, language: str) -> discord.Embed:
    """`/concerns`: one page of an exchange's reports, each with links to act on it."""
    lang = language
    embed = discord.Embed(
        title=clip(t("reports.title", lang, exchange=shown(found.exchange.name)), EMBED_TITLE),
        colour=discord.Colour.red(),
    )
    if not found.views:
        embed.description = t("reports.empty_open" if open_only else "reports.empty", lang)
    for view in found.views:
        report = view.report
        lines = [
            # When, in the value: Discord leaves a timestamp in a field's name as typed.
            f"{_status(view, lang)} · {timestamp(report.created_at, 'R')}",
            f"{t('report.field_reporter', lang)}: {person(report.reporter_id, view.reporter_name)}",
        ]
        if report.subject_id is not None:
            lines.append(
                f"{t('report.field_about', lang)}: {person(report.subject_id, view.subject_name)}"
            )
        if view.link:
            lines.append(f"[{t('report.open_message', lang)}]({view.link})")
        if report.notice_channel_id and report.notice_message_id:
            post = f"https://discord.com/channels/{report.guild_id}/"
            post += f"{report.notice_channel_id}/{report.notice_message_id}"
            lines.append(f"[{t('reports.post', lang)}]({post})")
        reason = t(f"report.reason.{report.reason}", lang)
        embed.add_field(
            name=clip(f"#{report.id} · {reason}", FIELD_NAME),
            value=clip("\n".join(lines), FIELD_VALUE),
            inline=False,
        )
    embed.set_footer(
        text=t("reports.page", lang, page=found.page, pages=found.pages, total=found.total)
    )
    return embed


def intro(draft: ReportDraft, language: str) -> str:
    """What the reporter reads above the reasons."""
    if draft.subject_id is None:
        return t("report.intro_concern", language)
    who = mention(draft.subject_id)
    if draft.kind is ReportKind.MESSAGE:
        return t("report.intro_message", language, author=who)
    return t("report.intro_concern_about", language, person=who)


def space_done(change: SpaceChange, language: str) -> str:
    """A paired space was paused or reopened."""
    key = "report.paused_done" if change.status == "paused" else "report.reopened_done"
    return t(key, language, space=f"<#{change.space_id}>", count=change.members)
