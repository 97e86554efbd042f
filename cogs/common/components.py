"""Components that survive a restart, from one base: buttons, selects and modals.

A restart-proof component keeps its state in its custom_id, so a message posted before a
restart (a chess board, a check-in post, a confirmation) still works after it. Each one is a
class that names a `key` and declares its fields as annotations; the base owns the rest:

    class AcceptChallenge(RestartButton, key="chess.accept", legacy=r"chess:accept:(?P<game>\\d+)"):
        game: int

        async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
            ...

    AcceptChallenge.make("Accept", style=discord.ButtonStyle.success, game=12)

- The custom_id is `tb:<key>:<field>:<field>…` (int, str without ":" or a StrEnum), checked
  against Discord's 100-character limit when the component is made.
- `legacy` patterns route custom_ids of an older form (posted in servers already) to the same
  class; their named groups are the fields.
- Every failure in `run` takes the one error path (`cogs.common.errors`); a field named
  `owner` (a user id) limits the component to that person.
- Modals (`RestartModal`) are answered by `dispatch_modal`, which the bot calls for every
  modal submission, so a form opened before a restart is still received after it.

The bot registers every class made this way at start-up (`item_routes`).
"""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar

import discord

from bot.i18n import t
from bot.limits import (
    BUTTON_LABEL,
    CUSTOM_ID,
    INTERACTION_TOKEN_LIFETIME,
    MODAL_TITLE,
    PLACEHOLDER,
)
from cogs.common.errors import answer_failure, guarded
from cogs.common.interactions import acknowledge, language_soon, say
from cogs.common.text import clip

if TYPE_CHECKING:
    from bot.app import Twinbridge

PREFIX = "tb"
_NEVER = r"(?!)"  # the template of an abstract base: matches nothing


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    kind: type

    @property
    def pattern(self) -> str:
        if self.kind is int:
            return r"-?\d+"
        if isinstance(self.kind, type) and issubclass(self.kind, StrEnum):
            return "|".join(re.escape(m.value) for m in self.kind)
        return r"[^:]+"

    def parse(self, text: str) -> Any:
        return self.kind(text)

    def render(self, value: Any) -> str:
        text = str(value.value if isinstance(value, StrEnum) else value)
        if self.kind is str and (not text or ":" in text):
            raise ValueError(f"field {self.name!r} cannot carry {text!r} in a custom_id")
        return text


def _own_fields(klass: type) -> list[_Field]:
    """The fields a class declares itself (annotations that are not ClassVar)."""
    module = vars(sys.modules[klass.__module__])
    found = []
    for name, hint in inspect.get_annotations(klass).items():
        if isinstance(hint, str):
            if hint.startswith(("ClassVar", "typing.ClassVar")):
                continue
            hint = eval(hint, module, dict(vars(klass)))  # our own annotations, as written
        if getattr(hint, "__origin__", None) is ClassVar:
            continue
        if not (hint in (int, str) or (isinstance(hint, type) and issubclass(hint, StrEnum))):
            raise TypeError(f"{klass.__name__}.{name}: a custom_id field is int, str or StrEnum")
        found.append(_Field(name, hint))
    return found


class _Route:
    """What restart-proof items and modals share: a key, fields, and their custom_id."""

    key: ClassVar[str]
    fields: ClassVar[tuple[_Field, ...]] = ()
    # Framework classes (the bases below) declare no fields of their own.
    _framework: ClassVar[bool] = True

    @classmethod
    def _collect(cls, key: str) -> re.Pattern[str]:
        fields: dict[str, _Field] = {}
        for klass in reversed(cls.__mro__):
            own = isinstance(klass, type) and issubclass(klass, _Route)
            if own and not klass.__dict__.get("_framework", False):
                fields.update({f.name: f for f in _own_fields(klass)})
        cls.key = key
        cls.fields = tuple(fields.values())
        parts = [re.escape(f"{PREFIX}:{key}")] + [f"(?P<{f.name}>{f.pattern})" for f in cls.fields]
        return re.compile(":".join(parts))

    @classmethod
    def custom_id_for(cls, **values: Any) -> str:
        """The custom_id carrying these field values."""
        missing = {f.name for f in cls.fields} - values.keys()
        if missing:
            raise TypeError(f"{cls.__name__} needs {sorted(missing)}")
        custom_id = ":".join([PREFIX, cls.key] + [f.render(values[f.name]) for f in cls.fields])
        if len(custom_id) > CUSTOM_ID:
            raise ValueError(f"custom_id {custom_id!r} is over Discord's {CUSTOM_ID} characters")
        return custom_id

    @classmethod
    def values_from(cls, match: re.Match[str]) -> dict[str, Any]:
        """Field values parsed from a matched custom_id (of this form or a legacy one)."""
        return {f.name: f.parse(match[f.name]) for f in cls.fields}

    def _set_fields(self, values: Mapping[str, Any]) -> None:
        for field in self.fields:
            setattr(self, field.name, values[field.name])


# Keyed by where a class is defined: an extension loaded again (a new bot in the same process)
# replaces its classes instead of adding copies.
_ITEM_ROUTES: dict[str, type[discord.ui.DynamicItem[Any]]] = {}


def _route_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


BaseT = TypeVar("BaseT", bound=discord.ui.Item[Any])


class Restartable(_Route, discord.ui.DynamicItem[BaseT], template=_NEVER):
    """A button or select whose custom_id carries its state; see the module's docstring."""

    _framework = True
    legacy_of: ClassVar[type[Restartable[Any]] | None] = None

    def __init_subclass__(
        cls,
        *,
        key: str | None = None,
        legacy: str | Sequence[str] = (),
        template: str | None = None,
        **kwargs: Any,
    ) -> None:
        if template is not None:  # a legacy route made below
            super().__init_subclass__(template=template, **kwargs)
            return
        if key is None:  # an abstract base of several components
            super().__init_subclass__(template=_NEVER, **kwargs)
            return
        pattern = cls._collect(key)
        super().__init_subclass__(template=pattern, **kwargs)
        _ITEM_ROUTES[_route_name(cls)] = cls
        olds = [legacy] if isinstance(legacy, str) else legacy
        for number, old in enumerate(olds):
            route = type(f"{cls.__name__}Legacy", (cls,), {"legacy_of": cls}, template=old)
            _ITEM_ROUTES[f"{_route_name(cls)}#legacy{number}"] = route

    def __init__(self, item: BaseT, **values: Any) -> None:
        super().__init__(item)
        self._set_fields(values)

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        main = cls.legacy_of or cls
        values = main.values_from(match)
        if cls.legacy_of is not None:
            # An id of the older form: answered by the current class, under the current form.
            item.custom_id = main.custom_id_for(**values)  # type: ignore[attr-defined]
        return main(item, **values)  # type: ignore[return-value,arg-type]

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        owner = getattr(self, "owner", None)
        if owner is None or interaction.user.id == owner:
            return True
        await say(interaction, t("error.not_your_panel", await language_soon(interaction)))
        return False

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await guarded(interaction, lambda: self.run(interaction))

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        """What pressing (or choosing) does. Start with `begin`, as every handler does."""
        raise NotImplementedError


class RestartButton(Restartable[discord.ui.Button[Any]]):
    """A restart-proof button."""

    _framework = True

    @classmethod
    def make(
        cls,
        label: str | None = None,
        *,
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
        emoji: str | None = None,
        disabled: bool = False,
        row: int | None = None,
        **values: Any,
    ) -> Self:
        """The button, labelled in the reader's language, carrying `values`."""
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=clip(label, BUTTON_LABEL) if label else None,
            style=style,
            emoji=emoji,
            disabled=disabled,
            row=row,
            custom_id=cls.custom_id_for(**values),
        )
        return cls(button, **values)


class RestartSelect(Restartable[discord.ui.Select[Any]]):
    """A restart-proof select menu; `chosen` holds what the person picked."""

    _framework = True

    @classmethod
    def make(
        cls,
        options: Sequence[discord.SelectOption],
        *,
        placeholder: str | None = None,
        min_values: int = 1,
        max_values: int = 1,
        disabled: bool = False,
        row: int | None = None,
        **values: Any,
    ) -> Self:
        """The select with its options, carrying `values`."""
        select: discord.ui.Select[Any] = discord.ui.Select(
            custom_id=cls.custom_id_for(**values),
            options=list(options),
            placeholder=clip(placeholder, PLACEHOLDER) if placeholder else None,
            min_values=min_values,
            max_values=min(max_values, max(1, len(options))),
            disabled=disabled,
            row=row,
        )
        return cls(select, **values)

    @property
    def chosen(self) -> list[str]:
        """The values the person picked."""
        return list(self.item.values)


class PageButton(RestartButton):
    """◀ or ▶ under a paged list of one exchange; `show` answers with page `self.page`."""

    # A base, but one whose fields every page button carries: they are collected.
    _framework = False
    exchange: int
    page: int

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        await acknowledge(interaction, update=True)
        await self.show(interaction)

    async def show(self, interaction: discord.Interaction[Twinbridge]) -> None:
        """Replace the list's message with page `self.page`."""
        raise NotImplementedError


def pager(
    page: int, pages: int, button: Callable[[int, str, bool], discord.ui.Item[Any]]
) -> discord.ui.View | None:
    """◀ ▶ under a paged list, or None for a single page.

    `button(target_page, label, disabled)` makes each button, e.g. a `PageButton`'s `make`.
    """
    if pages <= 1:
        return None
    view = discord.ui.View(timeout=None)
    for target, label in ((page - 1, "◀"), (page + 1, "▶")):
        view.add_item(button(min(max(target, 1), pages), label, not 1 <= target <= pages))
    return view


def buttons(*items: discord.ui.Item[Any]) -> discord.ui.View:
    """A view of restart-proof items (no timeout: their ids carry everything)."""
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    return view


def item_routes() -> list[type[discord.ui.DynamicItem[Any]]]:
    """Every restart-proof button and select class, legacy routes included, to register."""
    return list(_ITEM_ROUTES.values())


# --- modals ------------------------------------------------------------------------------------

_MODAL_ROUTES: dict[str, tuple[re.Pattern[str], type[RestartModal]]] = {}


class RestartModal(_Route, discord.ui.Modal):
    """A form whose submission is received even after a restart.

    Text inputs need a stable `custom_id` (the key of `answers` in `submit`). Build the
    inputs in `__init__` in the reader's language; `submit` gets what was typed.
    """

    _framework = True

    def __init_subclass__(
        cls, *, key: str | None = None, legacy: str | Sequence[str] = (), **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        if key is None:
            return
        _MODAL_ROUTES[_route_name(cls)] = (cls._collect(key), cls)
        olds = [legacy] if isinstance(legacy, str) else legacy
        for number, old in enumerate(olds):
            _MODAL_ROUTES[f"{_route_name(cls)}#legacy{number}"] = (re.compile(old), cls)

    def __init__(self, *, title: str, **values: Any) -> None:
        super().__init__(
            title=clip(title, MODAL_TITLE),
            custom_id=self.custom_id_for(**values),
            # The form can be sent back as long as the interaction that opened it lives.
            timeout=INTERACTION_TOKEN_LIFETIME.total_seconds(),
        )
        self._set_fields(values)

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        # Submissions are answered by `dispatch_modal` (before and after a restart alike).
        return False

    @classmethod
    def restored(cls, **values: Any) -> Self:
        """The modal as its custom_id describes it, to receive a submission (the title and
        inputs a subclass builds in `__init__` are not needed for that)."""
        modal = cls.__new__(cls)
        discord.ui.Modal.__init__(modal, title="-", custom_id=cls.custom_id_for(**values))
        modal._set_fields(values)
        return modal

    async def submit(
        self, interaction: discord.Interaction[Twinbridge], answers: Mapping[str, str]
    ) -> None:
        """What sending the form does; `answers` maps each input's custom_id to its text."""
        raise NotImplementedError

    async def on_error(  # type: ignore[override]  # Modal drops View's `item` argument
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        await answer_failure(interaction, error)


def modal_answers(data: Mapping[str, Any]) -> dict[str, str]:
    """What a modal submission carries: each text input's custom_id and value."""
    answers: dict[str, str] = {}

    def walk(components: Sequence[Mapping[str, Any]]) -> None:
        for component in components:
            if "components" in component:
                walk(component["components"])
            elif "component" in component:  # a label around its input
                walk([component["component"]])
            elif "custom_id" in component and "value" in component:
                answers[str(component["custom_id"])] = str(component["value"])

    walk(data.get("components") or [])
    return answers


async def dispatch_modal(interaction: discord.Interaction[Any]) -> bool:
    """Answer a modal submission with its restart-proof class; False if none matches."""
    if interaction.type is not discord.InteractionType.modal_submit or not interaction.data:
        return False
    custom_id = str(interaction.data.get("custom_id", ""))
    for pattern, cls in _MODAL_ROUTES.values():
        match = pattern.fullmatch(custom_id)
        if match is None:
            continue

        async def work(cls: type[RestartModal] = cls, match: re.Match[str] = match) -> None:
            modal = cls.restored(**cls.values_from(match))
            owner = getattr(modal, "owner", None)
            if owner is not None and owner != interaction.user.id:
                await say(interaction, t("error.not_your_panel", await language_soon(interaction)))
                return
            await modal.submit(interaction, modal_answers(interaction.data or {}))

        await guarded(interaction, work)
        return True
    return False


# --- panels that live only while their interaction does ----------------------------------------


class OwnedView(discord.ui.View):
    """A view only its owner may use, whose failures take the one error path.

    For panels that need not outlive the interaction that opened them (14 minutes: the
    token lives 15); anything a person may come back to later is a `Restartable`.
    """

    def __init__(self, owner_id: int, *, timeout: float | None = 840) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await say(interaction, t("error.not_your_panel", await language_soon(interaction)))
        return False

    async def on_error(
        self,
        interaction: discord.Interaction[Any],
        error: Exception,
        item: discord.ui.Item[Any],
        /,
    ) -> None:
        await answer_failure(interaction, error)


class OwnedModal(discord.ui.Modal):
    """A modal opened from an `OwnedView`, whose failures take the one error path."""

    async def on_error(  # type: ignore[override]  # Modal drops View's `item` argument
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        await answer_failure(interaction, error)


def wire(
    item: discord.ui.Item[Any], handler: Callable[[discord.Interaction[Any]], Awaitable[None]]
) -> None:
    """Give a component built at run time its callback (menus whose options vary)."""
    item.callback = handler  # type: ignore[method-assign,assignment]
