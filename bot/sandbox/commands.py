"""Discord's rules for registering application commands, checked on every PUT of a command list.

Source: discord/discord-api-docs, interactions/application-commands.md (Application Command
Naming, the command, option and choice structures, Registering a Command) and reference.md
(Locales). Errors have Discord's shape: 400, code 50035, `errors` mirroring the body.
"""

from __future__ import annotations

import functools
import json
import unicodedata
from collections.abc import Callable
from typing import Any

from bot.limits import (
    CHOICE_NAME,
    CHOICE_VALUE,
    CHOICES,
    COMMAND_DESCRIPTION,
    COMMAND_NAME,
    COMMAND_OPTIONS,
    COMMAND_TOTAL_CHARACTERS,
    LOCALES,
)
from bot.sandbox.limits import DiscordLimitError

JSON = dict[str, Any]
Path = list[str | int]

CHAT_INPUT, USER, MESSAGE = 1, 2, 3
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, NUMBER = 3, 4, 10
# Commands of each type one scope (global, or one guild) may hold.
PER_SCOPE = {CHAT_INPUT: 100, USER: 5, MESSAGE: 5}
# Minimum and maximum of a string option's min_length and max_length.
OPTION_LENGTH = 6000


def _allowed_name_character(char: str) -> bool:
    """`^[-_'\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]$` without the `regex` module."""
    if char in "-_'":
        return True
    if unicodedata.category(char)[0] in "LN":
        return True
    code = ord(char)
    deva = 0x0900 <= code <= 0x097F or 0xA8E0 <= code <= 0xA8FF
    thai = 0x0E00 <= code <= 0x0E7F
    return deva or thai


def chat_input_name_problem(name: Any) -> str | None:
    """Why `name` cannot name a slash command or an option, or None when it can."""
    if not isinstance(name, str) or not 1 <= len(name) <= COMMAND_NAME:
        return f"Must be between 1 and {COMMAND_NAME} in length."
    if not all(_allowed_name_character(c) for c in name):
        return "Command name is invalid"
    if any(c.lower() != c for c in name):
        # "If there is a lowercase variant of any letters used, you must use those."
        return "Command name must be lower case"
    return None


class _Checker:
    def __init__(self) -> None:
        self.errors: JSON = {}

    def add(self, path: Path, code: str, message: str) -> None:
        node = self.errors
        for part in path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def text(self, path: Path, value: Any, low: int, high: int) -> None:
        if not isinstance(value, str) or not low <= len(value) <= high:
            self.add(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")

    def name(self, path: Path, value: Any, *, chat_input: bool) -> None:
        if chat_input:
            problem = chat_input_name_problem(value)
            if problem is not None:
                self.add(path, "APPLICATION_COMMAND_INVALID_NAME", problem)
        else:
            self.text(path, value, 1, COMMAND_NAME)

    def localizations(self, path: Path, value: Any, check: Callable[[Path, Any], None]) -> None:
        if value is None:
            return
        if not isinstance(value, dict):
            self.add(path, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
            return
        for locale, text in value.items():
            if locale not in LOCALES:
                self.add(
                    [*path, locale],
                    "ENUM_TYPE_COERCE",
                    f'Value "{locale}" is not a valid enum value (Discord\'s locales).',
                )
            else:
                check([*path, locale], text)


def _longest(value: Any, localized: Any) -> int:
    """Discord counts a field at the length of its longest localisation (default included)."""
    lengths = [len(str(value or ""))]
    if isinstance(localized, dict):
        lengths += [len(str(v or "")) for v in localized.values()]
    return max(lengths)


def _characters(item: JSON) -> int:
    """The characters of a command or option that count toward Discord's per-command total."""
    total = _longest(item.get("name"), item.get("name_localizations"))
    total += _longest(item.get("description"), item.get("description_localizations"))
    for choice in item.get("choices") or []:
        total += _longest(choice.get("name"), choice.get("name_localizations"))
        total += len(str(choice.get("value", "")))
    for option in item.get("options") or []:
        total += _characters(option)
    return total


def _check_options(out: _Checker, path: Path, options: Any, depth: int) -> None:
    """`depth` 0: a command's options; 1: a group's or subcommand's; 2: a grouped subcommand's."""
    if not isinstance(options, list):
        return
    if len(options) > COMMAND_OPTIONS:
        out.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {COMMAND_OPTIONS} or fewer in length.")
    kinds = [o.get("type") for o in options]
    nesting = [k for k in kinds if k in (SUB_COMMAND, SUB_COMMAND_GROUP)]
    if nesting and len(nesting) != len(kinds):
        out.add(
            path,
            "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
            "Sub-command and sub-command group option types are mutually exclusive to all "
            "other types",
        )
    seen: set[str] = set()
    optional_seen = False
    for i, option in enumerate(options):
        here: Path = [*path, i]
        kind = option.get("type")
        name = option.get("name")
        out.name([*here, "name"], name, chat_input=True)
        out.localizations(
            [*here, "name_localizations"],
            option.get("name_localizations"),
            lambda p, v: out.name(p, v, chat_input=True),
        )
        if isinstance(name, str):
            if name in seen:
                out.add([*here, "name"], "APPLICATION_COMMAND_OPTION_NAME_NOT_UNIQUE", "Duplicate")
            seen.add(name)
        out.text([*here, "description"], option.get("description"), 1, COMMAND_DESCRIPTION)
        out.localizations(
            [*here, "description_localizations"],
            option.get("description_localizations"),
            lambda p, v: out.text(p, v, 1, COMMAND_DESCRIPTION),
        )
        if kind == SUB_COMMAND_GROUP and depth != 0:
            out.add([*here, "type"], "APPLICATION_COMMAND_OPTION_TYPE_INVALID", "Nested group")
        if kind == SUB_COMMAND and depth == 2:
            out.add([*here, "type"], "APPLICATION_COMMAND_OPTION_TYPE_INVALID", "Too deep")
        if kind == SUB_COMMAND_GROUP:
            inner = option.get("options") or []
            if any(o.get("type") != SUB_COMMAND for o in inner):
                out.add(
                    [*here, "options"],
                    "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                    "A sub-command group holds sub-commands only",
                )
            _check_options(out, [*here, "options"], inner, depth + 1)
            continue
        if kind == SUB_COMMAND:
            _check_options(out, [*here, "options"], option.get("options") or [], 2)
            continue
        if option.get("required"):
            if optional_seen:
                out.add(
                    [*here, "required"],
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            optional_seen = True
        choices = option.get("choices")
        if choices:
            if kind not in (STRING, INTEGER, NUMBER):
                out.add(
                    [*here, "choices"], "CHOICES_NOT_ALLOWED", "Choices need a string or number"
                )
            if option.get("autocomplete"):
                out.add(
                    [*here, "autocomplete"],
                    "AUTOCOMPLETE_CHOICES_MUTUALLY_EXCLUSIVE",
                    "Autocomplete and choices are mutually exclusive",
                )
            if len(choices) > CHOICES:
                out.add([*here, "choices"], "BASE_TYPE_MAX_LENGTH", f"Must be {CHOICES} or fewer.")
            for j, choice in enumerate(choices):
                at: Path = [*here, "choices", j]
                out.text([*at, "name"], choice.get("name"), 1, CHOICE_NAME)
                out.localizations(
                    [*at, "name_localizations"],
                    choice.get("name_localizations"),
                    lambda p, v: out.text(p, v, 1, CHOICE_NAME),
                )
                value = choice.get("value")
                if isinstance(value, str) and len(value) > CHOICE_VALUE:
                    out.add(
                        [*at, "value"],
                        "BASE_TYPE_MAX_LENGTH",
                        f"Must be {CHOICE_VALUE} or fewer in length.",
                    )
        for key, low in (("min_length", 0), ("max_length", 1)):
            if key in option and not low <= int(option[key]) <= OPTION_LENGTH:
                out.add([*here, key], "NUMBER_TYPE_MAX", f"Between {low} and {OPTION_LENGTH}.")


# Command lists (their JSON text) already found acceptable, newest last: every test's bot
# registers the same list, and checking it takes longer than the rest of the registration.
_ACCEPTED: dict[str, None] = {}
_ACCEPTED_KEPT = 64


def check_commands(commands: Any) -> None:
    """Refuse a command list Discord would refuse, with Discord's 400 / 50035 answer."""
    try:
        text: str | None = json.dumps(commands)
    except (TypeError, ValueError):
        text = None
    if text is not None and text in _ACCEPTED:
        return
    _check(commands)  # raises when Discord would refuse the list
    if text is not None:
        if len(_ACCEPTED) >= _ACCEPTED_KEPT:
            _ACCEPTED.pop(next(iter(_ACCEPTED)))
        _ACCEPTED[text] = None


def _check(commands: Any) -> None:
    out = _Checker()
    if not isinstance(commands, list):
        out.add([], "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType")
        raise DiscordLimitError(out.errors)
    names: set[tuple[int, str]] = set()
    counts: dict[int, int] = {}
    for i, command in enumerate(commands):
        kind = int(command.get("type", CHAT_INPUT))
        chat_input = kind == CHAT_INPUT
        name = command.get("name")
        out.name([i, "name"], name, chat_input=chat_input)
        out.localizations(
            [i, "name_localizations"],
            command.get("name_localizations"),
            functools.partial(out.name, chat_input=chat_input),
        )
        if (kind, str(name)) in names:
            out.add(
                [i, "name"],
                "APPLICATION_COMMANDS_DUPLICATE_NAME",
                f"Application command names must be unique: {name}",
            )
        names.add((kind, str(name)))
        counts[kind] = counts.get(kind, 0) + 1
        description = command.get("description", "")
        if chat_input:
            out.text([i, "description"], description, 1, COMMAND_DESCRIPTION)
            out.localizations(
                [i, "description_localizations"],
                command.get("description_localizations"),
                lambda p, v: out.text(p, v, 1, COMMAND_DESCRIPTION),
            )
            _check_options(out, [i, "options"], command.get("options") or [], 0)
            if _characters(command) > COMMAND_TOTAL_CHARACTERS:
                out.add(
                    [i],
                    "APPLICATION_COMMAND_TOO_LARGE",
                    f"Command exceeds maximum size ({COMMAND_TOTAL_CHARACTERS})",
                )
        else:
            if description:
                out.add([i, "description"], "BASE_TYPE_BAD_LENGTH", "Must be empty")
            if command.get("options"):
                out.add([i, "options"], "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", "No options")
    for kind, count in counts.items():
        limit = PER_SCOPE.get(kind)
        if limit is not None and count > limit:
            out.add([], "BASE_TYPE_MAX_LENGTH", f"At most {limit} commands of type {kind}.")
    if out.errors:
        raise DiscordLimitError(out.errors)
