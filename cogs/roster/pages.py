"""The roster's pages and the keep-apart marks' pages, with ◀ ▶ buttons that survive a restart."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

import discord

from bot.app import Twinbridge
from bot.domain.exchange import (
    KNOWN_BANDS,
    Exchange,
    ParticipantStatus,
    Role,
    band_flagged,
    native_name,
)
from bot.i18n import listing, t
from bot.limits import EMBED_DESCRIPTION, EMBED_TITLE
from bot.services.roster import (
    PAGE_SIZE,
    KeepApartMark,
    RosterEntry,
    RosterFilter,
    RosterPage,
    StatusFilter,
)
from cogs.common.components import PageButton, pager
from cogs.common.interactions import begin, show
from cogs.common.text import NO_PINGS, band_label, clip, shown

# Each line is at most ~150 characters (two names clipped to 60): twenty stay well inside an
# embed description's 4096.
MARKS_PER_PAGE = 20


def status_label(status: ParticipantStatus, language: str) -> str:
    return t(f"roster.status_{status}", language)


def _person_line(
    number: int, entry: RosterEntry, exchange: Exchange, lang: str, consent: bool | None
) -> str:
    """One person; for a student also their band (flagged when under the minimum age) and
    whether consent is on file (`consent`: None for staff)."""
    p = entry.participant
    city = shown(exchange.city(p.city_id).name) if p.city_id is not None else "—"
    parts = [f"`{number:>3}` **{shown(p.display_name, 40)}**", city]
    if p.role is Role.STUDENT:
        band = band_label(p.grade_band, lang)
        if band_flagged(p.grade_band):
            band = "⚠️ " + band + " " + t("consent.band_flag", lang)
        parts += [band, clip(listing(map(native_name, p.languages), lang), 40) or "—"]
    if p.status is not ParticipantStatus.ACTIVE:
        mark = "⏸️ " if p.status is ParticipantStatus.PAUSED else "🚫 "
        parts.append(mark + status_label(p.status, lang))
    if entry.space_id is not None:
        parts.append(f"<#{entry.space_id}>")
    if consent is not None:
        parts.append(t("consent.on_file_mark" if consent else "consent.missing_mark", lang))
    return clip(" · ".join(parts), 160)


def roster_embed(page: RosterPage, language: str) -> discord.Embed:
    """One page of the roster: head counts per city, then up to 25 people."""
    exchange, filters = page.exchange, page.filters
    lang = language
    counts = []
    for city in exchange.cities:
        active = page.counts.get((city.id, ParticipantStatus.ACTIVE), 0)
        paused = page.counts.get((city.id, ParticipantStatus.PAUSED), 0)
        counts.append(
            t("roster.city_counts", lang, city=shown(city.name), active=active, paused=paused)
        )
    filtered = [t(f"roster.people_{filters.role}", lang)]
    if filters.city_id is not None:
        filtered.append(shown(exchange.city(filters.city_id).name))
    if filters.grade_band is not None:
        filtered.append(band_label(filters.grade_band, lang))
    filtered.append(t(f"roster.filter_{filters.status}", lang))
    first = (page.page - 1) * PAGE_SIZE
    lines = [
        _person_line(first + i, entry, exchange, lang, page.consents.get(entry.participant.id))
        for i, entry in enumerate(page.entries, 1)
    ]
    body = "\n".join(counts) + "\n" + " · ".join(filtered) + "\n"
    if page.flagged and filters.role is Role.STUDENT:
        body += t("consent.bands_flagged", lang, count=page.flagged) + "\n"
    body += "\n"
    body += "\n".join(lines) if lines else t("roster.nobody", lang)
    embed = discord.Embed(
        title=clip(t("roster.list_title", lang, exchange=shown(exchange.name)), EMBED_TITLE),
        description=clip(body, EMBED_DESCRIPTION),
        colour=discord.Colour.blurple(),
    )
    embed.set_footer(
        text=t("roster.list_footer", lang, page=page.page, pages=page.pages, total=page.total)
    )
    return embed


class ListedStatus(StrEnum):
    """The status filter as a page button's custom_id names it (one letter, as it always has)."""

    CURRENT = "c"
    ACTIVE = "a"
    PAUSED = "p"
    REMOVED = "r"
    ALL = "e"


class ListedPeople(StrEnum):
    """Whom a roster page lists, as a page button's custom_id names it."""

    STUDENT = "s"
    TEACHER = "t"
    COORDINATOR = "c"


EVERY_BAND = "-"  # a page button's band when the list is not narrowed to one


class RosterPageButton(
    PageButton,
    key="roster.list",
    legacy=r"roster:list:(?P<exchange>\d+):(?P<city>\d+):(?P<status>[capre]):(?P<band>\d|-)"
    r":(?P<people>[stc]):(?P<page>\d+)",
):
    """◀ or ▶ under /roster list; the filters ride in the custom_id, so it survives restarts."""

    city: int  # 0: both cities
    status: ListedStatus
    # A position in KNOWN_BANDS (legacy bands first, so buttons already posted keep their
    # meaning), or EVERY_BAND.
    band: str
    people: ListedPeople

    @classmethod
    def to(cls, page: RosterPage, target: int, label: str, disabled: bool) -> RosterPageButton:
        """The button that shows page `target` of the list `page` belongs to."""
        filters = page.filters
        band = filters.grade_band
        return cls.make(
            label,
            disabled=disabled,
            exchange=page.exchange.id,
            page=target,
            city=filters.city_id or 0,
            status=ListedStatus[filters.status.name],
            band=str(KNOWN_BANDS.index(band)) if band else EVERY_BAND,
            people=ListedPeople[filters.role.name],
        )

    def filters(self) -> RosterFilter:
        """The filters the list was asked for."""
        band = None if self.band == EVERY_BAND else KNOWN_BANDS[int(self.band)]
        return RosterFilter(
            city_id=self.city or None,
            status=StatusFilter[self.status.name],
            grade_band=band,
            role=Role[self.people.name],
        )

    async def show(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction, update=True)
        found = await interaction.client.services.roster.roster_page(
            actor, self.exchange, self.filters(), self.page
        )
        await show(
            interaction,
            embed=roster_embed(found, actor.language),
            view=roster_pager(found),
            allowed_mentions=NO_PINGS,
        )


def roster_pager(page: RosterPage) -> discord.ui.View | None:
    """◀ ▶ buttons when the roster has more than one page."""
    return pager(
        page.page,
        page.pages,
        lambda target, label, disabled: RosterPageButton.to(page, target, label, disabled),
    )


def marks_page(
    exchange: Exchange, marks: Sequence[KeepApartMark], lang: str, page: int
) -> tuple[discord.Embed, discord.ui.View | None]:
    """One page of keep-apart marks, and ◀ ▶ when there are more."""
    pages = max(1, -(-len(marks) // MARKS_PER_PAGE))
    page = min(max(page, 1), pages)
    lines = [
        f"• **{shown(m.first.display_name, 60, language=lang)}** ↔ "
        f"**{shown(m.second.display_name, 60, language=lang)}** · "
        f"<t:{int(m.marked_at.timestamp())}:d>"
        for m in marks[(page - 1) * MARKS_PER_PAGE : page * MARKS_PER_PAGE]
    ]
    embed = discord.Embed(
        title=clip(t("roster.marks_title", lang, exchange=shown(exchange.name)), EMBED_TITLE),
        description="\n".join(lines) if lines else t("roster.no_marks", lang),
        colour=discord.Colour.dark_red(),
    )
    footer = t("roster.marks_footer", lang, count=len(marks))
    if pages > 1:
        footer += " · " + t("roster.marks_page", lang, page=page, pages=pages)
    embed.set_footer(text=footer)
    view = pager(
        page,
        pages,
        lambda target, label, disabled: MarksPageButton.make(
            label, disabled=disabled, exchange=exchange.id, page=target
        ),
    )
    return embed, view


class MarksPageButton(
    PageButton, key="roster.apart", legacy=r"roster:apart:(?P<exchange>\d+):(?P<page>\d+)"
):
    """◀ or ▶ under /roster keep-apart list; the page is rebuilt on each press."""

    async def show(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction, update=True)
        found, marks = await interaction.client.services.roster.keep_apart_marks(
            actor, self.exchange
        )
        embed, view = marks_page(found, marks, actor.language, self.page)
        await show(interaction, embed=embed, view=view, allowed_mentions=NO_PINGS)
