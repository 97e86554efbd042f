"""The roll call panel: a page of a city's students with what the bot saw, a select menu per
mark (present, late, excused, absent), ◀ ▶ pages, "the rest are present", and for
coordinators the other city. Restart-proof: every component carries the session, city and page.

The button under the teachers' summary (`OpenRollCall`) opens the panel for whoever presses it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from bot.domain.sessions import title_in
from bot.i18n import shown_name, t
from bot.limits import EMBED_DESCRIPTION, EMBED_TITLE, SELECT_OPTION_TEXT
from bot.plurals import amount
from bot.services.roll_call import RollCall, RollLine
from cogs.common.components import RestartButton, RestartSelect, buttons
from cogs.common.interactions import begin, show
from cogs.common.text import NO_PINGS, clip, shown, timestamp

if TYPE_CHECKING:
    from bot.app import Twinbridge

# The marks in the order the panel offers them, with how each is shown.
MARK_EMOJI = {"present": "✅", "late": "🕒", "excused": "📝", "absent": "❌"}
MARK_STYLE = discord.ButtonStyle.secondary


def _mark_name(mark: str, lang: str) -> str:
    return t(f"rollcall.mark_{mark}", lang)


def _evidence(line: RollLine, lang: str) -> str:
    parts = []
    if line.checked_in_at is not None:
        parts.append(t("rollcall.checked_in", lang, at=timestamp(line.checked_in_at, "t")))
    if line.voice_minutes is not None:
        parts.append(t("rollcall.voice", lang, minutes=line.voice_minutes))
    return " · ".join(parts) or t("rollcall.not_seen", lang)


def _line(line: RollLine, lang: str) -> str:
    if line.mark is not None:
        name = shown(line.name, language=lang)
        head = f"{MARK_EMOJI[line.mark]} **{name}** — {_mark_name(line.mark, lang)}"
        if line.reason:
            head += f" ({shown(line.reason)})"
    else:
        head = ("☑️" if line.counted else "⬜") + f" {shown(line.name, language=lang)}"
    return f"{head}\n  {_evidence(line, lang)}"


def roll_embed(roll: RollCall, lang: str) -> discord.Embed:
    """The page: a line per student (the mark or what the bot counts), and the totals."""
    title = t(
        "rollcall.title",
        lang,
        title=title_in(roll.title, lang),
        city=roll.city.name,
    )
    intro = t(
        "rollcall.intro",
        lang,
        start=timestamp(roll.occurrence.starts_at, "F"),
        minutes=amount(roll.voice_minutes),
    )
    body = "\n".join(_line(line, lang) for line in roll.lines) or t("rollcall.empty", lang)
    embed = discord.Embed(
        title=clip(title, EMBED_TITLE),
        description=clip(f"{intro}\n\n{body}", EMBED_DESCRIPTION),
    )
    embed.set_footer(
        text=t(
            "rollcall.footer",
            lang,
            marked=roll.marked,
            students=roll.students,
            page=roll.page + 1,
            pages=roll.pages,
        )
    )
    return embed


def roll_view(roll: RollCall, lang: str) -> discord.ui.View | None:
    """Four select menus (one per mark, this page's students) and a row of buttons."""
    if not roll.lines:
        return None
    fields: dict[str, Any] = {
        "occurrence": roll.occurrence.id,
        "city": roll.city.id,
        "page": roll.page,
    }
    items: list[discord.ui.Item[Any]] = []
    for row, mark in enumerate(MARK_EMOJI):
        options = [
            discord.SelectOption(
                label=clip(shown_name(line.name, lang), SELECT_OPTION_TEXT),
                value=str(line.participant_id),
                emoji=MARK_EMOJI[line.mark] if line.mark else None,
            )
            for line in roll.lines
        ]
        items.append(
            MarkSelect.make(
                options,
                placeholder=t("rollcall.choose", lang, mark=_mark_name(mark, lang)),
                min_values=1,
                max_values=len(options),
                row=row,
                mark=mark,
                **fields,
            )
        )
    last = len(MARK_EMOJI)
    items.append(
        MarkRest.make(
            t("rollcall.rest_present", lang), style=discord.ButtonStyle.success, row=last, **fields
        )
    )
    if roll.pages > 1:
        for label, page in (("◀", roll.page - 1), ("▶", roll.page + 1)):
            items.append(
                RollPage.make(
                    label,
                    disabled=not 0 <= page < roll.pages,
                    # A disabled arrow still needs an id of its own (never a negative page).
                    page=min(max(page, 0), roll.pages - 1),
                    row=last,
                    occurrence=roll.occurrence.id,
                    city=roll.city.id,
                )
            )
    for city in roll.cities:
        if city.id != roll.city.id:
            items.append(
                RollPage.make(
                    t("rollcall.other_city", lang, city=city.name),
                    row=last,
                    occurrence=roll.occurrence.id,
                    city=city.id,
                    page=0,
                )
            )
    return buttons(*items)


async def show_roll(
    interaction: discord.Interaction[Twinbridge], roll: RollCall, lang: str, note: str = ""
) -> None:
    """Put the roll call page in the acknowledged answer."""
    await show(
        interaction,
        content=note or None,
        embed=roll_embed(roll, lang),
        view=roll_view(roll, lang),
        allowed_mentions=NO_PINGS,
    )


class MarkSelect(RestartSelect, key="rollcall.mark"):
    """A teacher picks the students of this page who get one mark."""

    occurrence: int
    city: int
    page: int
    mark: str

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction, update=True)
        roll = await interaction.client.services.roll_call.mark(
            actor,
            self.occurrence,
            self.city,
            [int(v) for v in self.chosen if v.isdigit()],
            self.mark,
            page=self.page,
        )
        await show_roll(interaction, roll, actor.language)


class MarkRest(RestartButton, key="rollcall.rest"):
    """Every student of this page not yet marked is marked present (a class in one room)."""

    occurrence: int
    city: int
    page: int

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction, update=True)
        roll = await interaction.client.services.roll_call.mark_rest(
            actor, self.occurrence, self.city, self.page
        )
        await show_roll(interaction, roll, actor.language)


class RollPage(RestartButton, key="rollcall.page"):
    """Another page of the roll call, or the other city's (coordinators)."""

    occurrence: int
    city: int
    page: int

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction, update=True)
        roll = await interaction.client.services.roll_call.panel(
            actor, self.occurrence, self.city, self.page
        )
        await show_roll(interaction, roll, actor.language)


class OpenRollCall(RestartButton, key="rollcall.open"):
    """Under the teachers' summary: the roll call of this session, for whoever presses it."""

    occurrence: int

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction)
        roll = await interaction.client.services.roll_call.panel(actor, self.occurrence)
        await show_roll(interaction, roll, actor.language)

    @classmethod
    def on_summary(cls, occurrence_id: int, languages: tuple[str, ...]) -> OpenRollCall:
        """The button as posted: labelled in the exchange's languages."""
        label = " · ".join(dict.fromkeys(t("rollcall.open", lang) for lang in languages))
        return cls.make(label, style=discord.ButtonStyle.primary, occurrence=occurrence_id)
