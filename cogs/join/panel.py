"""The /join and /profile panel: menus for a profile, and the form that sends it.

Each menu and button carries only whose panel it is and its draft's id: what was picked is
kept in the draft (in the database), so a panel opened before a restart goes on after it,
and nothing is on the roster until the form is sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from typing import Any, TypeVar

import discord

from bot.app import Twinbridge
from bot.domain.exchange import (
    GRADE_BANDS,
    INTERESTS,
    LANGUAGES,
    MAX_INTEREST,
    MAX_INTERESTS,
    MAX_INTRO,
    NATIVE_NAMES,
    Role,
)
from bot.errors import UserError
from bot.i18n import language_name, t
from bot.limits import SELECT_OPTIONS, TEXT_INPUT_LABEL, TEXT_INPUT_PLACEHOLDER, TEXT_INPUT_VALUE
from bot.services.roster import DraftView, Sent, bot_languages, first_missing
from cogs.common.components import RestartButton, RestartModal, RestartSelect, buttons
from cogs.common.errors import render_error
from cogs.common.interactions import begin, open_modal, show
from cogs.common.text import NO_PINGS, band_label, clip, interest_label, shown
from cogs.join.card import card_view
from cogs.join.words import panel_embed, profile_embed

T = TypeVar("T")

# How long the button that opens the form waits for the draft. A form must be the first
# answer, within Discord's 3 s; an error answer may itself wait up to 1.5 s for the person's
# language (`language_soon`), so this read gets what is left with some room.
FORM_READ = 1.0
INTRO = "intro"  # the form's inputs, as `submit` receives them
OTHER = "other_interests"


async def read_soon(work: Awaitable[T]) -> T:
    """For an answer that must come first: the database's answer in time, or "busy, retry"."""
    try:
        async with asyncio.timeout(FORM_READ):
            return await work
    except TimeoutError:
        raise UserError("error.busy") from None


def _reader_name(code: str, lang: str) -> str | None:
    """A language's name for the reader, shown under the name its speakers use ("Español",
    "الإسبانية"), unless the two are the same."""
    name = language_name(code, lang)
    return None if NATIVE_NAMES.get(code, code) in name else name


def panel_view(panel: DraftView) -> discord.ui.View:
    """The panel's menus (only the language for teachers), and Continue or Save, and Cancel."""
    draft, exchange = panel.draft, panel.exchange
    lang = draft.language
    ids: dict[str, Any] = {"owner": draft.user_id, "draft": draft.id}
    items: list[discord.ui.Item[Any]] = [
        PickBotLanguage.make(
            [
                discord.SelectOption(
                    label=NATIVE_NAMES.get(code, code), value=code, default=code == lang
                )
                for code in bot_languages()
            ],
            placeholder=t("roster.pick_bot_language", lang),
            row=0,
            **ids,
        )
    ]
    if draft.role is Role.STUDENT:
        # The exchange's own languages first, then the rest, within Discord's 25 options.
        local = [c for city in exchange.cities for c in city.languages]
        codes = list(dict.fromkeys([*local, *draft.languages, *sorted(LANGUAGES)]))
        items += [
            PickBand.make(
                [
                    discord.SelectOption(
                        label=band_label(b, lang), value=b, default=b == draft.grade_band
                    )
                    for b in GRADE_BANDS
                ],
                placeholder=t("roster.pick_band", lang),
                row=1,
                **ids,
            ),
            PickLanguages.make(
                [
                    discord.SelectOption(
                        label=NATIVE_NAMES.get(c, c),
                        description=_reader_name(c, lang),
                        value=c,
                        default=c in draft.languages,
                    )
                    for c in codes[:SELECT_OPTIONS]
                ],
                placeholder=t("roster.pick_languages", lang),
                min_values=1,
                max_values=SELECT_OPTIONS,
                row=2,
                **ids,
            ),
            PickInterests.make(
                [
                    discord.SelectOption(
                        label=interest_label(i, lang), value=i, default=i in draft.interests
                    )
                    for i in INTERESTS
                ],
                placeholder=t("roster.pick_interests", lang, limit=MAX_INTERESTS),
                min_values=0,
                max_values=MAX_INTERESTS,
                row=3,
                **ids,
            ),
            OpenIntro.make(
                t("roster.continue", lang), style=discord.ButtonStyle.primary, row=4, **ids
            ),
        ]
    else:
        items.append(
            SaveProfile.make(
                t("roster.save", lang), style=discord.ButtonStyle.primary, row=4, **ids
            )
        )
    items.append(CancelPanel.make(t("roster.cancel", lang), row=4, **ids))
    return buttons(*items)


def panel_message(panel: DraftView, notice: str | None = None) -> dict[str, Any]:
    """The panel as a message, with a notice above it (what is missing, what was refused)."""
    return {
        "content": notice,
        "embed": panel_embed(panel),
        "view": panel_view(panel),
        "allowed_mentions": NO_PINGS,
    }


async def show_sent(interaction: discord.Interaction[Twinbridge], sent: Sent) -> None:
    """The profile saved (in the panel's place), or the refusal on the panel."""
    draft = sent.panel.draft
    lang = draft.language
    if sent.saved is None:
        assert sent.refusal is not None
        notice = "⚠️ " + render_error(sent.refusal, lang)
        if draft.role is Role.STUDENT:
            notice += "\n" + t("roster.typed_text_kept", lang)
        await show(interaction, **panel_message(sent.panel, notice))
        return
    if draft.editing:
        content = t("roster.saved", lang)
    else:
        content = t("roster.joined", lang, exchange=shown(sent.saved.exchange.name))
    await show(
        interaction,
        content=content,
        embed=profile_embed(sent.saved, lang),
        view=card_view(sent.saved),
        allowed_mentions=NO_PINGS,
    )


# -- the menus: each pick is kept in the draft at once ------------------------------------------


class PanelSelect(RestartSelect):
    """A menu of someone's panel."""

    owner: int
    draft: int


class PickBotLanguage(PanelSelect, key="join.language"):
    """The language the bot speaks to them: the panel is drawn again in it."""

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction, update=True)
        panel = await interaction.client.services.roster.choose(
            actor, self.draft, language=self.chosen[0]
        )
        await show(interaction, **panel_message(panel))


class PickBand(PanelSelect, key="join.band"):
    """A student's age band."""

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction, update=True)
        await interaction.client.services.roster.choose(
            actor, self.draft, grade_band=self.chosen[0]
        )


class PickLanguages(PanelSelect, key="join.languages"):
    """The languages a student speaks."""

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction, update=True)
        await interaction.client.services.roster.choose(actor, self.draft, languages=self.chosen)


class PickInterests(PanelSelect, key="join.interests"):
    """A student's interests from the curated list."""

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction, update=True)
        await interaction.client.services.roster.choose(actor, self.draft, interests=self.chosen)


# -- the buttons ---------------------------------------------------------------------------------


class PanelButton(RestartButton):
    """A button of someone's panel."""

    owner: int
    draft: int


class OpenIntro(PanelButton, key="join.continue"):
    """Continue: with an age band and languages chosen, the introduction form opens."""

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        if interaction.guild_id is None:
            raise UserError("error.guild_only")
        # A form must be the first answer: the draft is read, but never for too long.
        panel = await read_soon(
            interaction.client.services.roster.draft(interaction.guild_id, self.owner, self.draft)
        )
        draft = panel.draft
        missing = first_missing(draft)
        if missing is not None:
            await show(interaction, **panel_message(panel, "⚠️ " + t(missing, draft.language)))
            return
        form = IntroForm(
            language=draft.language,
            intro=draft.intro,
            other_interests=draft.other_interests,
            owner=self.owner,
            draft=self.draft,
        )
        await open_modal(interaction, form)


class SaveProfile(PanelButton, key="join.save"):
    """Save: a teacher's or coordinator's profile (their language) is saved at once."""

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction, update=True)
        await show_sent(
            interaction, await interaction.client.services.roster.send(actor, self.draft)
        )


class CancelPanel(PanelButton, key="join.cancel"):
    """Cancel: the draft goes; nothing joins the roster, nothing changes."""

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction, update=True)
        dropped = await interaction.client.services.roster.cancel(actor, self.draft)
        key = "roster.edit_cancelled" if dropped.editing else "roster.join_cancelled"
        await show(interaction, content=t(key, dropped.language), embed=None, view=None)


# -- the form ------------------------------------------------------------------------------------


class IntroForm(RestartModal, key="join.intro"):
    """The student's own words: a short introduction and interests not in the list."""

    owner: int
    draft: int

    def __init__(
        self, *, language: str, intro: str, other_interests: str, owner: int, draft: int
    ) -> None:
        super().__init__(title=t("roster.modal_title", language), owner=owner, draft=draft)
        # Up to Discord's own maximum, so an over-long text gets an answer, not a silent cut.
        self.add_item(
            discord.ui.TextInput(
                label=clip(t("roster.intro_label", language, limit=MAX_INTRO), TEXT_INPUT_LABEL),
                style=discord.TextStyle.paragraph,
                placeholder=clip(t("roster.intro_placeholder", language), TEXT_INPUT_PLACEHOLDER),
                default=intro or None,
                custom_id=INTRO,
                max_length=TEXT_INPUT_VALUE,
            )
        )
        self.add_item(
            discord.ui.TextInput(
                label=clip(t("roster.other_interests_label", language), TEXT_INPUT_LABEL),
                placeholder=clip(
                    t("roster.other_interests_placeholder", language), TEXT_INPUT_PLACEHOLDER
                ),
                default=other_interests or None,
                custom_id=OTHER,
                required=False,
                max_length=MAX_INTERESTS * (MAX_INTEREST + 2),
            )
        )

    async def submit(
        self, interaction: discord.Interaction[Twinbridge], answers: Mapping[str, str]
    ) -> None:
        actor = await begin(interaction, update=True)
        sent = await interaction.client.services.roster.send(
            actor, self.draft, intro=answers.get(INTRO, ""), other_interests=answers.get(OTHER, "")
        )
        await show_sent(interaction, sent)
