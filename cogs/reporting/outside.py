"""What reaches outside Discord, as Discord shows it: dashboard links and their list (with a
restart-proof Revoke button each), the digest's on/off answer, and the monthly digest post."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence

import discord

from bot.app import Twinbridge
from bot.cldr import format_number
from bot.domain.digest import Change
from bot.domain.report_chart import attendance_chart
from bot.domain.reporting import rate_text
from bot.domain.workbook import exchange_workbook
from bot.i18n import month_of_year, t
from bot.limits import (
    ACTION_ROWS,
    CONTENT,
    EMBED_DESCRIPTION,
    EMBED_TITLE,
    FIELD_VALUE,
    ROW_BUTTONS,
)
from bot.services.dashboard import LinkLine, NewLink
from bot.services.digest import Digest, DigestState
from cogs.common.components import RestartButton, buttons
from cogs.common.interactions import begin, show
from cogs.common.text import NO_PINGS, clip, mention, timestamp
from cogs.reporting.embeds import COLOUR, chart_title, marked_line

# Revoke buttons shown under `/report links`: every row Discord allows but one, kept free.
REVOKE_BUTTONS = ROW_BUTTONS * (ACTION_ROWS - 1)


def link_answer(made: NewLink, language: str) -> str:
    """The new link, shown once, with what it shows and until when."""
    scope = made.scope
    where = f"{scope.exchange.name} · {scope.city.name}" if scope.city else scope.exchange.name
    return clip(
        t(
            "dashboard.link_made",
            language,
            scope=where,
            url=made.url,
            expires=timestamp(made.expires_at, "f"),
        ),
        CONTENT,
    )


class RevokeLink(RestartButton, key="dashboard.revoke"):
    """Revoke one dashboard link (a coordinator any, a teacher their own)."""

    link: int

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction, update=True)
        dashboard = interaction.client.services.dashboard
        exchange_id = await dashboard.revoke(actor, self.link)
        scope, lines = await dashboard.links(actor, exchange_id)
        content, view = links_answer(scope.exchange.name, lines, actor.language)
        note = t("dashboard.revoked", actor.language, id=self.link)
        await show(
            interaction,
            content=clip(f"{note}\n\n{content}", CONTENT),
            view=view,
            allowed_mentions=NO_PINGS,
        )


def links_answer(
    exchange: str, lines: Sequence[LinkLine], language: str
) -> tuple[str, discord.ui.View]:
    """The live links, a line each, and a Revoke button per link."""
    head = t("dashboard.links_title", language, exchange=exchange)
    if not lines:
        return f"{head}\n{t('dashboard.links_none', language)}", buttons()
    shown = []
    for line in lines:
        last = (
            t("dashboard.link_last", language, when=timestamp(line.last_used_at, "R"))
            if line.last_used_at
            else ""
        )
        shown.append(
            t(
                "dashboard.link_line",
                language,
                id=line.id,
                scope=line.city or t("dashboard.whole_exchange", language),
                who=mention(line.created_by),
                expires=timestamp(line.expires_at, "d"),
                uses=line.uses,
                last=last,
            )
        )
    view = buttons(
        *(
            RevokeLink.make(
                t("dashboard.revoke_button", language, id=line.id),
                style=discord.ButtonStyle.danger,
                link=line.id,
            )
            for line in lines[:REVOKE_BUTTONS]
        )
    )
    return clip("\n".join([head, *shown]), CONTENT), view


def digest_answer(state: DigestState, language: str) -> str:
    """`/report digest on|off` answered."""
    if not state.on:
        return t("digest.off", language, exchange=state.exchange.name)
    assert state.next_at is not None
    return t(
        "digest.on",
        language,
        exchange=state.exchange.name,
        channel=f"<#{state.channel_id}>" if state.channel_id else "—",
        next=timestamp(state.next_at, "F"),
    )


def _value(metric: str, value: float | None, language: str) -> str:
    if value is None:
        return "—"
    if metric == "attendance_rate":
        return rate_text(value, language)
    return format_number(int(value) if value == int(value) else value, language)


def _changes(changes: Sequence[Change], language: str) -> str:
    lines = [
        t(
            "digest.change_line",
            language,
            metric=t(f"digest.metric_{c.metric}", language),
            before=_value(c.metric, c.before, language),
            now=_value(c.metric, c.now, language),
        )
        for c in changes
        if c.moved
    ]
    return "\n".join(lines) if lines else t("digest.unchanged", language)


def digest_embed(digest: Digest, language: str) -> discord.Embed:
    """One language's digest: what moved, the pairs to nudge, the footer."""
    figures = digest.figures
    month = month_of_year(figures.period.start, language)
    embed = discord.Embed(
        title=clip(
            t("digest.title", language, exchange=digest.exchange.name, month=month), EMBED_TITLE
        ),
        description=clip(t("digest.intro", language), EMBED_DESCRIPTION),
        colour=COLOUR,
    )
    embed.add_field(
        name=t("digest.moved_title", language),
        value=clip(_changes(digest.changes, language), FIELD_VALUE),
        inline=False,
    )
    dormant = figures.dormant_pairs
    names = "\n".join(" & ".join(p.names) or "—" for p in dormant)
    embed.add_field(
        name=t("digest.dormant_title", language, count=len(dormant)),
        value=clip(names, FIELD_VALUE) if dormant else t("digest.dormant_none", language),
        inline=False,
    )
    embed.set_footer(text=t("digest.footer", language))
    return embed


async def post_digest(channel: discord.abc.Messageable, digest: Digest, nonce: str) -> None:
    """The digest in the teachers' channel: an embed per language, the chart, the workbook."""
    figures = digest.figures
    stem = f"digest-{digest.exchange.id}-{figures.period.start:%Y-%m}"
    files = [
        discord.File(
            io.BytesIO(await asyncio.to_thread(exchange_workbook, figures, digest.languages[0])),
            filename=f"{stem}.xlsx",
        )
    ]
    embeds = [digest_embed(digest, language) for language in digest.languages]
    if figures.attendance.ended:
        png = await asyncio.to_thread(
            attendance_chart,
            figures.attendance,
            chart_title(digest.exchange.name, figures.period, None, digest.languages[0]),
            marked_line(figures.attendance.total, digest.languages[0]),
            digest.languages[0],
        )
        files.append(discord.File(io.BytesIO(png), filename=f"{stem}.png"))
        embeds[-1].set_image(url=f"attachment://{stem}.png")
    await channel.send(embeds=embeds, files=files, nonce=nonce, allowed_mentions=NO_PINGS)
