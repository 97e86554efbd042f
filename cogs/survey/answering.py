"""How a student answers a survey, privately: the Start button in the pair's space opens the
survey in a message only they see, one item at a time — five buttons for the agree scale, a
menu for a choice, a form for a short text. Every component is restart-proof (its custom_id
carries the survey and item), and every answer is stored as it is given, so a student who
stops and presses Start again (even after a restart) resumes at the first unanswered item.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import discord

from bot.app import Twinbridge
from bot.domain.surveys import SCALE_POINTS, TEXT_LENGTH, Item, ItemKind
from bot.i18n import t
from bot.limits import (
    BUTTON_LABEL,
    CONTENT,
    SELECT_OPTION_TEXT,
    SELECT_OPTIONS,
    TEXT_INPUT_LABEL,
)
from bot.services.surveys import Step
from cogs.common.components import RestartButton, RestartModal, RestartSelect, buttons
from cogs.common.interactions import begin, language_soon, open_modal, show
from cogs.common.text import NO_PINGS, clip, shown


def question(item: Item, language: str) -> str:
    """An item's words for this reader: the template's in their language, a teacher's as typed."""
    return t(item.text, language) if item.builtin else item.text


def scale_label(point: int, language: str) -> str:
    return clip(f"{point} · {t(f'survey.scale.{point}', language)}", BUTTON_LABEL)


def render_step(step: Step, language: str, *, saved: bool = False) -> dict[str, Any]:
    """The student's private message for where they are: the next item, or "all answered"
    with a menu to change an answer."""
    lines: list[str] = []
    if saved:
        lines.append(t("survey.replaced" if step.replaced else "survey.saved", language))
    title = shown(step.survey.title)
    item = step.item
    if item is None:
        lines.append(t("survey.done", language, title=title, count=step.total))
        options = [
            discord.SelectOption(
                label=clip(
                    t("survey.item_label", language, number=i.position, text=question(i, language)),
                    SELECT_OPTION_TEXT,
                ),
                value=str(i.id),
            )
            for i in step.items[:SELECT_OPTIONS]
        ]
        view = buttons(
            ChangeAnswer.make(
                options, placeholder=t("survey.change", language), survey=step.survey.id
            )
        )
        return {"content": clip("\n".join(lines), CONTENT), "view": view}
    lines.append(
        t("survey.progress", language, title=title, number=item.position, count=step.total)
    )
    lines.append(f"> {shown(question(item, language))}")
    if item.id in step.answered:
        lines.append(t("survey.answered_before", language))
    if item.kind is ItemKind.TEXT:
        lines.append(t("survey.text_hint", language, limit=TEXT_LENGTH))
    lines.append(t("survey.stop_any_time", language))
    return {"content": clip("\n".join(lines), CONTENT), "view": item_view(step, item, language)}


def item_view(step: Step, item: Item, language: str) -> discord.ui.View:
    """The answer components of one item."""
    survey = step.survey.id
    if item.kind is ItemKind.SCALE:
        return buttons(
            *(
                ScaleAnswer.make(
                    scale_label(point, language),
                    style=discord.ButtonStyle.primary,
                    survey=survey,
                    entry=item.id,
                    point=point,
                )
                for point in range(1, SCALE_POINTS + 1)
            )
        )
    if item.kind is ItemKind.CHOICE:
        options = [
            discord.SelectOption(label=clip(choice, SELECT_OPTION_TEXT), value=str(number))
            for number, choice in enumerate(item.choices, 1)
        ]
        return buttons(
            ChoiceAnswer.make(
                options, placeholder=t("survey.choose", language), survey=survey, entry=item.id
            )
        )
    return buttons(
        WriteAnswer.make(
            t("survey.write", language),
            style=discord.ButtonStyle.primary,
            survey=survey,
            entry=item.id,
        )
    )


class SurveyStart(RestartButton, key="survey.start"):
    """Start (or continue) a survey: opens it privately at the first unanswered item."""

    survey: int

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction)
        step = await interaction.client.services.surveys.start(actor, self.survey)
        await show(interaction, allowed_mentions=NO_PINGS, **render_step(step, actor.language))


class ScaleAnswer(RestartButton, key="survey.scale"):
    """One point of the 5-point agree scale."""

    survey: int
    entry: int  # the item's id (`item` is the component itself)
    point: int

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction, update=True)
        step = await interaction.client.services.surveys.answer(
            actor, self.survey, self.entry, str(self.point)
        )
        await show(
            interaction, allowed_mentions=NO_PINGS, **render_step(step, actor.language, saved=True)
        )


class ChoiceAnswer(RestartSelect, key="survey.choice"):
    """One option of a choice item."""

    survey: int
    entry: int  # the item's id (`item` is the component itself)

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction, update=True)
        step = await interaction.client.services.surveys.answer(
            actor, self.survey, self.entry, self.chosen[0]
        )
        await show(
            interaction, allowed_mentions=NO_PINGS, **render_step(step, actor.language, saved=True)
        )


class ChangeAnswer(RestartSelect, key="survey.change"):
    """Every item answered: pick one to answer again (before the survey closes)."""

    survey: int

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction, update=True)
        step = await interaction.client.services.surveys.start(
            actor, self.survey, int(self.chosen[0])
        )
        await show(interaction, allowed_mentions=NO_PINGS, **render_step(step, actor.language))


class WriteAnswer(RestartButton, key="survey.write"):
    """Opens the form for a short text answer."""

    survey: int
    entry: int  # the item's id (`item` is the component itself)

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        # A form must be the first answer: nothing may read the database slowly before it.
        language = await language_soon(interaction)
        await open_modal(
            interaction, TextAnswerForm(survey=self.survey, entry=self.entry, language=language)
        )


class TextAnswerForm(RestartModal, key="survey.text"):
    """A short text answer (at most TEXT_LENGTH characters); received after a restart too."""

    survey: int
    entry: int  # the item's id (`item` is the component itself)

    def __init__(self, *, survey: int, entry: int, language: str) -> None:
        super().__init__(title=t("survey.form_title", language), survey=survey, entry=entry)
        self.add_item(
            discord.ui.TextInput(
                label=clip(t("survey.form_label", language), TEXT_INPUT_LABEL),
                style=discord.TextStyle.paragraph,
                custom_id="answer",
                min_length=1,
                max_length=TEXT_LENGTH,
            )
        )

    async def submit(
        self, interaction: discord.Interaction[Twinbridge], answers: Mapping[str, str]
    ) -> None:
        actor = await begin(interaction, update=True)
        step = await interaction.client.services.surveys.answer(
            actor, self.survey, self.entry, answers.get("answer", "")
        )
        await show(
            interaction, allowed_mentions=NO_PINGS, **render_step(step, actor.language, saved=True)
        )


def start_view(survey_id: int, languages: tuple[str, ...]) -> discord.ui.View:
    """The Start button under a survey's post, labelled in the pair's languages."""
    label = " · ".join(t("survey.start", lang) for lang in languages)
    return buttons(
        SurveyStart.make(
            clip(label, BUTTON_LABEL), style=discord.ButtonStyle.primary, survey=survey_id
        )
    )
