"""Discord's documented limits, enforced where the OpenAPI spec is more lenient.

The spec allows 4000 characters of content (a Nitro user's limit); a bot gets 2000. Errors
have Discord's shape: 400, code 50035, and an `errors` object that mirrors the body.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.limits import (
    ACTION_ROWS,
    ATTACHMENTS,
    AUTHOR_NAME,
    BUTTON_LABEL,
    CHANNEL_NAME,
    CHOICE_NAME,
    CHOICE_VALUE,
    CHOICES,
    COMPONENTS_V2,
    CONTENT,
    CUSTOM_ID,
    EMBED_DESCRIPTION,
    EMBED_FIELDS,
    EMBED_TITLE,
    EMBEDS,
    EMBEDS_TOTAL,
    FIELD_NAME,
    FIELD_VALUE,
    FILE_BYTES,
    FOOTER_TEXT,
    MODAL_ITEMS,
    MODAL_TITLE,
    PLACEHOLDER,
    REQUEST_BYTES,
    ROW_BUTTONS,
    SELECT_OPTION_TEXT,
    SELECT_OPTIONS,
    TEXT_INPUT_LABEL,
    TEXT_INPUT_VALUE,
    V2_COMPONENTS_TOTAL,
)

JSON = dict[str, Any]


class DiscordLimitError(Exception):
    """A body over one of Discord's limits, as Discord reports it."""

    def __init__(
        self,
        errors: JSON,
        message: str = "Invalid Form Body",
        *,
        status: int = 400,
        code: int = 50035,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors


class _Collector:
    """Gathers errors at their place in the body, like Discord's nested `errors` object."""

    def __init__(self) -> None:
        self.errors: JSON = {}

    def add(self, path: Iterable[str | int], code: str, message: str) -> None:
        node = self.errors
        for part in path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def max_length(self, path: list[str | int], value: Any, limit: int) -> None:
        if isinstance(value, str) and len(value) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def max_items(self, path: list[str | int], value: Any, limit: int) -> None:
        if isinstance(value, list) and len(value) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def raise_if_any(self) -> None:
        if self.errors:
            raise DiscordLimitError(self.errors)


def _embed_length(embed: JSON) -> int:
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    total += len((embed.get("footer") or {}).get("text") or "")
    total += len((embed.get("author") or {}).get("name") or "")
    for field in embed.get("fields") or []:
        total += len(field.get("name") or "") + len(field.get("value") or "")
    return total


def _check_embeds(out: _Collector, embeds: list[JSON]) -> None:
    out.max_items(["embeds"], embeds, EMBEDS)
    total = 0
    for i, embed in enumerate(embeds):
        out.max_length(["embeds", i, "title"], embed.get("title"), EMBED_TITLE)
        out.max_length(["embeds", i, "description"], embed.get("description"), EMBED_DESCRIPTION)
        out.max_length(
            ["embeds", i, "footer", "text"], (embed.get("footer") or {}).get("text"), FOOTER_TEXT
        )
        out.max_length(
            ["embeds", i, "author", "name"], (embed.get("author") or {}).get("name"), AUTHOR_NAME
        )
        fields = embed.get("fields") or []
        out.max_items(["embeds", i, "fields"], fields, EMBED_FIELDS)
        for j, field in enumerate(fields):
            out.max_length(["embeds", i, "fields", j, "name"], field.get("name"), FIELD_NAME)
            out.max_length(["embeds", i, "fields", j, "value"], field.get("value"), FIELD_VALUE)
        total += _embed_length(embed)
    if total > EMBEDS_TOTAL:
        out.add(["embeds"], "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")


def _check_interactive(out: _Collector, path: list[str | int], component: JSON) -> None:
    out.max_length([*path, "custom_id"], component.get("custom_id"), CUSTOM_ID)
    kind = component.get("type")
    if kind == 2:
        out.max_length([*path, "label"], component.get("label"), BUTTON_LABEL)
    elif kind in (3, 5, 6, 7, 8):
        out.max_length([*path, "placeholder"], component.get("placeholder"), PLACEHOLDER)
        options = component.get("options") or []
        out.max_items([*path, "options"], options, SELECT_OPTIONS)
        for k, option in enumerate(options):
            for key in ("label", "value", "description"):
                out.max_length([*path, "options", k, key], option.get(key), SELECT_OPTION_TEXT)


def _count_components(components: list[JSON]) -> int:
    total = 0
    for component in components:
        total += 1
        total += _count_components(component.get("components") or [])
        if isinstance(component.get("accessory"), dict):
            total += 1
    return total


def _check_components(out: _Collector, components: list[JSON], flags: int) -> None:
    if flags & COMPONENTS_V2:
        if _count_components(components) > V2_COMPONENTS_TOTAL:
            out.add(["components"], "BASE_TYPE_MAX_LENGTH", "Must be 40 or fewer in length.")
        return
    out.max_items(["components"], components, ACTION_ROWS)
    for i, row in enumerate(components):
        if row.get("type") != 1:
            out.add(["components", i, "type"], "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "Not a row")
            continue
        children = row.get("components") or []
        selects = [c for c in children if c.get("type") in (3, 5, 6, 7, 8)]
        if len(children) > ROW_BUTTONS or (selects and len(children) > 1):
            out.add(
                ["components", i, "components"],
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                "The specified component exceeds the maximum width",
            )
        for j, child in enumerate(children):
            _check_interactive(out, ["components", i, "components", j], child)


def check_message(body: JSON) -> None:
    """Content, embeds, components and attachments within a bot's limits."""
    out = _Collector()
    out.max_length(["content"], body.get("content"), CONTENT)
    _check_embeds(out, list(body.get("embeds") or []))
    _check_components(out, list(body.get("components") or []), int(body.get("flags") or 0))
    out.max_items(["attachments"], list(body.get("attachments") or []), ATTACHMENTS)
    out.raise_if_any()


def check_autocomplete_choices(choices: list[JSON]) -> None:
    """At most 25 choices, names and string values of 1 to 100 characters."""
    out = _Collector()
    out.max_items(["data", "choices"], choices, CHOICES)
    for i, choice in enumerate(choices):
        name = choice.get("name") or ""
        if not name:
            out.add(["data", "choices", i, "name"], "BASE_TYPE_MIN_LENGTH", "Must be 1 or more.")
        out.max_length(["data", "choices", i, "name"], name, CHOICE_NAME)
        out.max_length(["data", "choices", i, "value"], choice.get("value"), CHOICE_VALUE)
    out.raise_if_any()


def _modal_items(data: JSON) -> list[JSON]:
    items: list[JSON] = []
    for component in data.get("components") or []:
        if component.get("type") == 1:
            items.extend(component.get("components") or [])
        elif isinstance(component.get("component"), dict):  # a label wrapping one input
            items.append(component["component"])
        else:
            items.append(component)
    return items


def check_modal(data: JSON) -> None:
    """A title of 45 characters, at most 5 items, text inputs within their limits."""
    out = _Collector()
    out.max_length(["data", "title"], data.get("title"), MODAL_TITLE)
    out.max_length(["data", "custom_id"], data.get("custom_id"), CUSTOM_ID)
    out.max_items(["data", "components"], list(data.get("components") or []), MODAL_ITEMS)
    for i, item in enumerate(_modal_items(data)):
        path: list[str | int] = ["data", "components", i]
        out.max_length([*path, "custom_id"], item.get("custom_id"), CUSTOM_ID)
        if item.get("type") == 4:
            out.max_length([*path, "label"], item.get("label"), TEXT_INPUT_LABEL)
            out.max_length([*path, "value"], item.get("value"), TEXT_INPUT_VALUE)
    out.raise_if_any()


def _check_name(name: Any) -> None:
    out = _Collector()
    if not isinstance(name, str) or not name.strip():
        out.add(["name"], "BASE_TYPE_REQUIRED", "This field is required")
    else:
        out.max_length(["name"], name, CHANNEL_NAME)
    out.raise_if_any()


def check_channel_name(name: Any) -> None:
    """A channel name of 1 to 100 characters."""
    _check_name(name)


def check_thread_name(name: Any) -> None:
    """A thread name of 1 to 100 characters."""
    _check_name(name)


def check_files(files: Iterable[tuple[str, str, bytes]]) -> None:
    """At most 10 MiB a file (a server without boosts) and 25 MiB for all of a request's files.

    Discord answers 413 with error 40005, "Request entity too large" (topics/opcodes-and-status-
    codes.md; reference.md, Uploading Files).
    """
    sizes = [(name, len(data)) for name, _, data in files]
    too_big = [name for name, size in sizes if size > FILE_BYTES]
    if too_big or sum(size for _, size in sizes) > REQUEST_BYTES:
        what = f"files over {FILE_BYTES} bytes: {too_big}" if too_big else "the files together"
        raise DiscordLimitError(
            {"_errors": [{"code": "FILE_TOO_LARGE", "message": what}]},
            "Request entity too large",
            status=413,
            code=40005,
        )
