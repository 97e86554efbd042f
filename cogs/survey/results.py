"""A survey's results for teachers: embeds (per item and city, pre beside post; a group under
five shows "too few to show"), a chart, and the figures as CSV or an Excel workbook."""

from __future__ import annotations

from collections.abc import Callable

import discord

from bot.domain.spreadsheet import csv_bytes, to_csv
from bot.domain.survey_chart import survey_chart
from bot.domain.surveys import (
    FIGURE_COLUMNS,
    Cell,
    Item,
    ItemKind,
    SurveyKind,
    figure_rows,
    text_columns,
    text_rows,
)
from bot.domain.workbook import Workbook
from bot.i18n import t
from bot.limits import EMBED_DESCRIPTION, EMBED_TITLE, EMBEDS_TOTAL, FIELD_NAME, FIELD_VALUE
from bot.services.surveys import Results
from cogs.common.text import clip, pack_fields, shown
from cogs.survey.answering import question

# What a page's title, description and footer may use of an embed's 6000 characters.
PAGE_BUDGET = EMBEDS_TOTAL - EMBED_TITLE - EMBED_DESCRIPTION // 4 - 200


def phase_name(phase: SurveyKind, language: str) -> str:
    return t(f"survey.kind.{phase.value}", language)


def city_namer(found: Results) -> Callable[[int | None], str]:
    names = {c.id: c.name for c in found.exchange.cities}
    return lambda city_id: names.get(city_id or 0, "?")


def _cell_text(item: Item, cell: Cell, language: str, several: bool) -> str:
    head = f"{phase_name(cell.phase, language)}: " if several else ""
    figure = cell.figure
    if item.kind is ItemKind.TEXT:
        if not cell.texts:
            key = "survey.too_few" if figure.respondents else "survey.no_answers"
            return head + t(key, language, count=figure.respondents)
        quoted = [
            f"{shown(name, language=language)}: “{shown(text)}”" if name else f"“{shown(text)}”"
            for name, text in cell.texts
        ]
        return (
            head
            + t("survey.answers", language, count=figure.respondents)
            + "\n"
            + "\n".join(quoted)
        )
    if not figure.shown:
        key = "survey.too_few" if figure.respondents else "survey.no_answers"
        return head + t(key, language, count=figure.respondents)
    if item.kind is ItemKind.SCALE:
        spread = " ".join(f"{n}:{c}" for n, c in enumerate(figure.counts, 1))
        mean = f"{figure.mean or 0:.2f}"
        return head + t(
            "survey.scale_line", language, mean=mean, count=figure.respondents, spread=spread
        )
    spread = " · ".join(
        f"{shown(clip(choice, 40))}: {c}"
        for choice, c in zip(item.choices, figure.counts, strict=False)
    )
    return head + t("survey.choice_line", language, count=figure.respondents, spread=spread)


def result_embeds(found: Results, language: str) -> list[discord.Embed]:
    """One embed per page of fields (each ≤ 25 fields and within Discord's 6000 characters)."""
    survey = found.survey
    city = city_namer(found)
    several = len({c.phase for r in found.rows for c in r.cells}) > 1
    fields: list[tuple[str, str]] = []
    for row in found.rows:
        name = clip(
            t(
                "survey.item_label",
                language,
                number=row.item.position,
                text=f"{city(row.city_id)} — {question(row.item, language)}",
            ),
            FIELD_NAME,
        )
        value = "\n".join(_cell_text(row.item, c, language, several) for c in row.cells) or "—"
        fields.append((name, clip(value, FIELD_VALUE)))
    lines = [
        t(
            "survey.results_head",
            language,
            kind=phase_name(survey.kind, language),
            status=t(f"survey.status.{survey.status.value}", language),
            count=found.respondents,
        )
    ]
    if found.compared_with is not None:
        lines.append(t("survey.compared", language, title=shown(found.compared_with.title)))
    lines.append(t("survey.privacy_note", language))
    pages = pack_fields(fields, budget=PAGE_BUDGET)
    embeds = []
    for number, page in enumerate(pages, 1):
        title = shown(survey.title)
        if len(pages) > 1:
            title = f"{title} ({number}/{len(pages)})"
        embed = discord.Embed(title=clip(title, EMBED_TITLE))
        if number == 1:
            embed.description = clip("\n".join(lines), EMBED_DESCRIPTION)
        for name, value in page:
            embed.add_field(name=name, value=value, inline=False)
        embeds.append(embed)
    return embeds


def results_csv(found: Results, language: str) -> bytes:
    """The figures (every group: respondents; figures only for groups of five or more)."""
    rows = figure_rows(found.rows, city_namer(found), lambda i: question(i, language))
    return csv_bytes(to_csv(FIGURE_COLUMNS, rows))


def answers_csv(found: Results, language: str) -> bytes | None:
    """The free-text answers (without names unless the survey is named); None when none."""
    rows = text_rows(
        found.rows,
        city_namer(found),
        lambda i: question(i, language),
        named=found.survey.named,
    )
    if not rows:
        return None
    return csv_bytes(to_csv(text_columns(found.survey.named), rows))


def results_workbook(found: Results, language: str) -> bytes:
    """Sheets `results` (the figures) and `answers` (free text)."""
    city = city_namer(found)
    book = Workbook()
    book.sheet(
        "results", FIGURE_COLUMNS, figure_rows(found.rows, city, lambda i: question(i, language))
    )
    book.sheet(
        "answers",
        text_columns(found.survey.named),
        text_rows(found.rows, city, lambda i: question(i, language), named=found.survey.named),
    )
    return book.bytes()


def results_chart(found: Results, language: str) -> bytes | None:
    """The chart of the scale items' means, or None for a survey without scale items."""
    if not any(r.item.kind is ItemKind.SCALE for r in found.rows):
        return None
    names = {c.id: c.name for c in found.exchange.cities}
    phases = {k: phase_name(k, language) for k in SurveyKind}
    return survey_chart(
        found.rows,
        names,
        phases,
        found.survey.title,
        t("survey.too_few_short", language),
    )
