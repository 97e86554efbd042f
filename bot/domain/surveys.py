"""Surveys for funders and research (issue 23): what a survey is, the built-in pre/post
template, the checks on teachers' items and students' answers, and the results maths.

A survey has a title, a kind (`pre`, `post` or `single`) and 1 to `MAX_ITEMS` items: a
5-point agree scale, a choice of 2 to `MAX_CHOICES` options, or a short text. Results are per
city and per item, a pre survey's figures beside its post survey's; a group of fewer than
`MIN_GROUP` respondents shows no figure ("too few to show"), so no teacher can read one
student's answer off a mean. Free text is shown without names (sorted, so its order says
nothing about who wrote it) unless the survey was created `named`, and, when anonymous, only
for a group of `MIN_GROUP` or more.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.domain.text import clean
from bot.limits import BUTTON_LABEL, SELECT_OPTION_TEXT

MAX_ITEMS = 20
MIN_CHOICES = 2
MAX_CHOICES = 10
# A choice is shown on a select option (and may be on a button): the shorter of the two.
CHOICE_LENGTH = min(BUTTON_LABEL, SELECT_OPTION_TEXT)
TEXT_LENGTH = 300  # a student's short text answer
ITEM_LENGTH = 200  # a teacher's statement or question
TITLE_LENGTH = 100
SCALE_POINTS = 5
# A group (one city, one item, one survey) with fewer respondents shows no figure.
MIN_GROUP = 5
# Options of a teacher's choice item are typed in one line, separated by this.
CHOICE_SEPARATOR = ";"

# The built-in pre/post statements (their text is in every catalogue: survey.template.<key>),
# on curiosity about and understanding of the partner city, answered on the agree scale.
TEMPLATE = ("curious", "daily_life", "views", "in_common", "comfortable")
TEMPLATE_PREFIX = "survey.template."


class SurveyKind(StrEnum):
    PRE = "pre"
    POST = "post"
    SINGLE = "single"


class ItemKind(StrEnum):
    SCALE = "scale"
    CHOICE = "choice"
    TEXT = "text"


class SurveyStatus(StrEnum):
    DRAFT = "draft"  # items may still be added
    OPEN = "open"  # sent: students answer
    CLOSED = "closed"  # answers refused; results final


class SurveyError(ValueError):
    """A rule a teacher's or a student's input breaks; `key` names the message."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True, slots=True)
class Item:
    """One statement or question. `builtin`: `text` is a catalogue key (the template), shown
    in each reader's language; otherwise the teacher's words, shown as typed."""

    kind: ItemKind
    text: str
    choices: tuple[str, ...] = ()
    builtin: bool = False
    position: int = 0
    id: int = 0

    def same_as(self, other: Item) -> bool:
        """Whether two items (of a pre and a post survey) ask the same thing."""
        return (self.kind, self.text, self.choices, self.builtin) == (
            other.kind,
            other.text,
            other.choices,
            other.builtin,
        )

    @property
    def points(self) -> int:
        """How many values the item's answers take (0: free text)."""
        if self.kind is ItemKind.SCALE:
            return SCALE_POINTS
        return len(self.choices) if self.kind is ItemKind.CHOICE else 0


def template_items() -> list[Item]:
    """The built-in pre/post statements, on the 5-point agree scale."""
    return [
        Item(ItemKind.SCALE, f"{TEMPLATE_PREFIX}{key}", builtin=True, position=n)
        for n, key in enumerate(TEMPLATE, 1)
    ]


def clean_title(text: str) -> str:
    """A survey's title as stored; empty or too long is refused."""
    value = clean(text)
    if not value:
        raise SurveyError("survey.error.empty_title")
    if len(value) > TITLE_LENGTH:
        raise SurveyError("survey.error.title_too_long", limit=TITLE_LENGTH)
    return value


def new_item(kind: ItemKind, text: str, choices: str = "") -> Item:
    """A teacher's item: the statement (≤ ITEM_LENGTH) and, for a choice, its options typed
    in one line separated by ";" (2 to MAX_CHOICES, each ≤ CHOICE_LENGTH, all different)."""
    value = clean(text)
    if not value:
        raise SurveyError("survey.error.empty_item")
    if len(value) > ITEM_LENGTH:
        raise SurveyError("survey.error.item_too_long", limit=ITEM_LENGTH)
    if kind is not ItemKind.CHOICE:
        if clean(choices):
            raise SurveyError("survey.error.choices_only_for_choice")
        return Item(kind, value)
    options = [clean(part) for part in choices.split(CHOICE_SEPARATOR)]
    options = [o for o in options if o]
    if not MIN_CHOICES <= len(options) <= MAX_CHOICES:
        raise SurveyError(
            "survey.error.choice_count", least=MIN_CHOICES, most=MAX_CHOICES, count=len(options)
        )
    long = [o for o in options if len(o) > CHOICE_LENGTH]
    if long:
        raise SurveyError("survey.error.choice_too_long", limit=CHOICE_LENGTH, choice=long[0])
    if len({o.casefold() for o in options}) != len(options):
        raise SurveyError("survey.error.choice_twice")
    return Item(kind, value, tuple(options))


def check_item_count(count: int) -> None:
    """A survey is sent with 1 to MAX_ITEMS items; refuses none or more."""
    if count < 1:
        raise SurveyError("survey.error.no_items", limit=MAX_ITEMS)
    if count > MAX_ITEMS:
        raise SurveyError("survey.error.too_many_items", limit=MAX_ITEMS, count=count)


def parse_answer(item: Item, value: str) -> tuple[int | None, str | None]:
    """(point or option number, text) a student's answer stores: a scale point 1..5, an
    option 1..n, or a text of at most TEXT_LENGTH characters."""
    if item.kind is ItemKind.TEXT:
        text = clean(value, multiline=True)
        if not text:
            raise SurveyError("survey.error.empty_answer")
        if len(text) > TEXT_LENGTH:
            raise SurveyError("survey.error.answer_too_long", limit=TEXT_LENGTH)
        return None, text
    try:
        number = int(value)
    except ValueError:
        raise SurveyError("survey.error.bad_answer") from None
    if not 1 <= number <= item.points:
        raise SurveyError("survey.error.bad_answer")
    return number, None


# -- results ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Answer:
    """One student's answer to one item, as results read it."""

    item_id: int
    city_id: int | None
    choice: int | None
    text: str | None
    name: str = ""  # the student's name: used only for a `named` survey's free text


@dataclass(frozen=True, slots=True)
class Phase:
    """One survey's items and answers, as a column of the results (pre, post or single)."""

    kind: SurveyKind
    items: Sequence[Item]
    answers: Sequence[Answer]


@dataclass(frozen=True, slots=True)
class Figure:
    """One group's answers to one item: how many answered, and (only when enough did) how
    many chose each point or option and the mean of a scale."""

    respondents: int
    counts: tuple[int, ...] = ()
    mean: float | None = None

    @property
    def shown(self) -> bool:
        return self.respondents >= MIN_GROUP


@dataclass(frozen=True, slots=True)
class Cell:
    """One item in one city for one phase."""

    phase: SurveyKind
    figure: Figure
    # Free text: (name, text) sorted by text; names empty unless the survey is named; empty
    # when the group is too small to stay anonymous.
    texts: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Row:
    """One item in one city: a cell per phase (pre beside post, or the single survey)."""

    item: Item
    city_id: int | None
    cells: tuple[Cell, ...]


def figure_of(item: Item, answers: Iterable[Answer]) -> Figure:
    """The figure of one group; counts and mean only for a group of MIN_GROUP or more."""
    found = list(answers)
    if len(found) < MIN_GROUP or item.kind is ItemKind.TEXT:
        return Figure(len(found))
    counts = [0] * item.points
    for answer in found:
        if answer.choice is not None and 1 <= answer.choice <= item.points:
            counts[answer.choice - 1] += 1
    mean = None
    if item.kind is ItemKind.SCALE:
        mean = sum(n * (i + 1) for i, n in enumerate(counts)) / max(sum(counts), 1)
    return Figure(len(found), tuple(counts), mean)


def results(
    items: Sequence[Item],
    city_ids: Sequence[int | None],
    phases: Sequence[Phase],
    *,
    named: bool,
) -> list[Row]:
    """Per item (in `items`' order) and city, a cell per phase whose survey asks the same
    thing (a post survey's item matched to its pre survey's by kind, text and options)."""
    rows: list[Row] = []
    for item in items:
        for city_id in city_ids:
            cells: list[Cell] = []
            for phase in phases:
                match = next((i for i in phase.items if i.same_as(item)), None)
                if match is None:
                    continue
                group = [a for a in phase.answers if a.item_id == match.id and a.city_id == city_id]
                figure = figure_of(match, group)
                texts: tuple[tuple[str, str], ...] = ()
                if match.kind is ItemKind.TEXT and (named or figure.shown):
                    found = ((a.name if named else "", a.text or "") for a in group)
                    texts = tuple(sorted(found, key=_by_text))
                cells.append(Cell(phase.kind, figure, texts))
            rows.append(Row(item, city_id, tuple(cells)))
    return rows


def _by_text(entry: tuple[str, str]) -> tuple[str, str]:
    return entry[1].casefold(), entry[0]


FIGURE_COLUMNS = (
    "city",
    "item",
    "question",
    "kind",
    "phase",
    "respondents",
    "shown",
    "mean",
    *(f"count_{n}" for n in range(1, MAX_CHOICES + 1)),
)


def figure_rows(
    rows: Sequence[Row], city_name: Callable[[int | None], str], question: Callable[[Item], str]
) -> list[dict[str, Any]]:
    """The figures as spreadsheet rows (FIGURE_COLUMNS): a group too small has its count of
    respondents only, `shown` false."""
    out: list[dict[str, Any]] = []
    for row in rows:
        for cell in row.cells:
            line: dict[str, Any] = {
                "city": city_name(row.city_id),
                "item": row.item.position,
                "question": question(row.item),
                "kind": row.item.kind.value,
                "phase": cell.phase.value,
                "respondents": cell.figure.respondents,
                "shown": cell.figure.shown,
                "mean": "" if cell.figure.mean is None else round(cell.figure.mean, 2),
            }
            for n in range(1, MAX_CHOICES + 1):
                counts = cell.figure.counts
                line[f"count_{n}"] = counts[n - 1] if n <= len(counts) else ""
            out.append(line)
    return out


def text_columns(named: bool) -> tuple[str, ...]:
    """The columns of the free-text answers: a student's name only in a named survey."""
    base = ("city", "item", "question", "phase", "answer")
    return (*base, "student") if named else base


def text_rows(
    rows: Sequence[Row],
    city_name: Callable[[int | None], str],
    question: Callable[[Item], str],
    *,
    named: bool,
) -> list[dict[str, Any]]:
    """The free-text answers as spreadsheet rows (`text_columns`)."""
    out: list[dict[str, Any]] = []
    for row in rows:
        for cell in row.cells:
            for name, text in cell.texts:
                line = {
                    "city": city_name(row.city_id),
                    "item": row.item.position,
                    "question": question(row.item),
                    "phase": cell.phase.value,
                    "answer": text,
                }
                if named:
                    line["student"] = name
                out.append(line)
    return out
