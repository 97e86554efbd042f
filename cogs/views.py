"""Views, modals and buttons that answer errors the way slash commands do.

discord.py sends errors of slash commands to the tree's handler (bot/app.py), but errors in a
view, a modal or a dynamic item only reach the log, and the user sees "This interaction
failed". These bases send them down the same path, `bot.app.answer_error`: a `UserError` is
answered ephemerally in the user's language; anything else is logged and reported as a
generic failure.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, ClassVar, Self

import discord

from bot.i18n import t
from cogs.common.errors import answer_failure
from cogs.common.interactions import language_for, say


async def guarded(
    interaction: discord.Interaction[Any], action: Callable[[], Awaitable[None]]
) -> None:
    """Run a component callback, answering its errors (for `DynamicItem` callbacks)."""
    try:
        await action()
    except Exception as error:
        await answer_failure(interaction, error)


class GuardedView(discord.ui.View):
    """A view only its owner may use, whose errors are answered like a command's."""

    def __init__(self, owner_id: int, *, timeout: float | None = 840) -> None:
        # 14 minutes: an interaction's token lives 15, after which nothing could be answered.
        super().__init__(timeout=timeout)
        self.owner_id = owner_id

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await say(interaction, t("error.not_your_panel", await language_for(interaction)))
        return False

    async def on_error(
        self,
        interaction: discord.Interaction[Any],
        error: Exception,
        item: discord.ui.Item[Any],
    ) -> None:
        await answer_failure(interaction, error)


class GuardedModal(discord.ui.Modal):
    """A modal whose errors are answered like a command's."""

    async def on_error(  # type: ignore[override]  # Modal drops View's `item` argument
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        await answer_failure(interaction, error)


def wire(
    item: discord.ui.Item[Any], handler: Callable[[discord.Interaction[Any]], Awaitable[None]]
) -> None:
    """Give a component built at run time its callback (menus whose options vary)."""
    item.callback = handler  # type: ignore[method-assign,assignment]


def pager(
    page: int, pages: int, button: Callable[[int, str, bool], discord.ui.Item[Any]]
) -> discord.ui.View | None:
    """◀ ▶ under a paged list, or None for a single page.

    `button(target_page, label, disabled)` makes each button; restart-proof lists pass a
    `DynamicItem` that carries the page in its custom_id.
    """
    if pages <= 1:
        return None
    view = discord.ui.View(timeout=None)
    for target, label in ((page - 1, "◀"), (page + 1, "▶")):
        view.add_item(button(min(max(target, 1), pages), label, not 1 <= target <= pages))
    return view


class ExchangePageButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"(?!)",  # matches nothing: each subclass has its own, from its prefix
):
    """◀ or ▶ under a paged list of one exchange. The custom_id is `<prefix>:<exchange>:<page>`,
    so the button works after a restart; `show` rebuilds the page from the database.

    A subclass names its prefix (`class X(ExchangePageButton, prefix="pair:history")`),
    implements `show` and is registered with `bot.add_dynamic_items`.
    """

    prefix: ClassVar[str]

    def __init_subclass__(cls, *, prefix: str) -> None:
        cls.prefix = prefix
        super().__init_subclass__(template=rf"{re.escape(prefix)}:(?P<ex>\d+):(?P<page>\d+)")

    def __init__(self, exchange_id: int, page: int, label: str, *, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=f"{self.prefix}:{exchange_id}:{page}",
                disabled=disabled,
            )
        )
        self.exchange_id = exchange_id
        self.page = page

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: Any,
    ) -> Self:
        return cls(int(match["ex"]), int(match["page"]), getattr(item, "label", "") or "")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await guarded(interaction, lambda: self.show(interaction))

    async def show(self, interaction: discord.Interaction[Any]) -> None:
        """Answer the press with page `self.page` of the list."""
        raise NotImplementedError


def chunk_lines(lines: Sequence[str], limit: int) -> list[str]:
    """Lines joined into texts of at most `limit` characters each (a longer line is clipped)."""
    chunks: list[str] = []
    current = ""
    for line in lines:
        line = line if len(line) <= limit else line[: limit - 1] + "…"
        if current and len(current) + 1 + len(line) > limit:
            chunks.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        chunks.append(current)
    return chunks


def pack_fields(
    fields: Sequence[tuple[str, str]], *, budget: int, max_fields: int = 25
) -> list[list[tuple[str, str]]]:
    """Embed fields (name, value) in pages: at most `max_fields` and `budget` characters each.

    Discord refuses a message whose embeds pass 6000 characters in all, or an embed with more
    than 25 fields; the caller keeps `budget` under 6000 less its title, description and footer.
    """
    pages: list[list[tuple[str, str]]] = [[]]
    used = 0
    for name, value in fields:
        size = len(name) + len(value)
        if pages[-1] and (used + size > budget or len(pages[-1]) >= max_fields):
            pages.append([])
            used = 0
        pages[-1].append((name, value))
        used += size
    return pages
