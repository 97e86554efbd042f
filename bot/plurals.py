"""The subset of ICU MessageFormat the catalogues use: `{name}`, `{name, number}` and
`{name, plural, …}`.

    "{students, plural, one {# student} other {# students}} from {rows, plural, =0 {no row}
     one {# row} other {# rows}}"

A plural names its forms by CLDR category (zero, one, two, few, many, other — the ones its
language has) or by exact value (`=0`); `other` is required. `#` inside a form is the innermost
plural's number. Plurals nest. `#` and `{name, number}` are written the language's way
("1,234", "1 234", "1234" in Spanish); a plain `{name}` is written as it is, so an id, a year
or a number inside a command or a link stays as it was given: a text declares which of its
numbers are quantities (`{minutes, number} min`). An apostrophe before `{`, `}` (or `#`
inside a plural) quotes text up to the next apostrophe and `''` is one apostrophe, as in ICU;
any other apostrophe is text, so "don't" needs no escaping. This module knows no language:
the caller passes how a number is categorised and written (bot.i18n does, through Babel's
CLDR data).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

CATEGORIES = ("zero", "one", "two", "few", "many", "other")

Number = int | float | Decimal


class MessageSyntaxError(ValueError):
    """A catalogue text that is not valid message syntax."""


@dataclass(frozen=True)
class Arg:
    """A plain `{name}` placeholder, or `{name, number}` (a quantity: `number` is True)."""

    name: str
    number: bool = False


@dataclass(frozen=True)
class Pound:
    """`#`: the number of the innermost plural."""


@dataclass(frozen=True)
class Plural:
    """`{name, plural, …}`: one form per category or exact value (selector `=N`)."""

    name: str
    forms: tuple[tuple[str, Message], ...]

    def form(self, selector: str) -> Message | None:
        """The form for `selector` ("one", "=0"), None if the message has none."""
        return next((m for s, m in self.forms if s == selector), None)


Node = str | Arg | Pound | Plural
Message = tuple[Node, ...]


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, why: str) -> MessageSyntaxError:
        return MessageSyntaxError(f"{why} at character {self.pos} of {self.text!r}")

    def peek(self, ahead: int = 0) -> str:
        at = self.pos + ahead
        return self.text[at] if at < len(self.text) else ""

    def message(self, in_plural: bool, nested: bool) -> Message:
        nodes: list[Node] = []
        literal: list[str] = []

        def flush() -> None:
            if literal:
                nodes.append("".join(literal))
                literal.clear()

        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "'":
                literal.append(self.quoted(in_plural))
            elif char == "{":
                flush()
                nodes.append(self.argument())
            elif char == "}":
                if not nested:
                    raise self.fail("unmatched }")
                break
            elif char == "#" and in_plural:
                flush()
                nodes.append(Pound())
                self.pos += 1
            else:
                literal.append(char)
                self.pos += 1
        else:
            if nested:
                raise self.fail("unclosed {")
        flush()
        return tuple(nodes)

    def quoted(self, in_plural: bool) -> str:
        following = self.peek(1)
        if following == "'":
            self.pos += 2
            return "'"
        if following not in ("{", "}") and not (in_plural and following == "#"):
            self.pos += 1
            return "'"
        # Quoted text runs to the next lone apostrophe (or the end, as ICU does).
        self.pos += 1
        out: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "'":
                if self.peek(1) == "'":
                    out.append("'")
                    self.pos += 2
                    continue
                self.pos += 1
                break
            out.append(char)
            self.pos += 1
        return "".join(out)

    def skip_spaces(self) -> None:
        while self.peek().isspace():
            self.pos += 1

    def word(self, what: str) -> str:
        start = self.pos
        while self.peek().isalnum() or self.peek() == "_":
            self.pos += 1
        if start == self.pos:
            raise self.fail(f"expected {what}")
        return self.text[start : self.pos]

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise self.fail(f"expected {char!r}")
        self.pos += 1

    def argument(self) -> Arg | Plural:
        self.expect("{")
        self.skip_spaces()
        name = self.word("a placeholder name")
        self.skip_spaces()
        if self.peek() == "}":
            self.pos += 1
            return Arg(name)
        self.expect(",")
        self.skip_spaces()
        kind = self.word("plural")
        if kind == "number":
            self.skip_spaces()
            self.expect("}")
            return Arg(name, number=True)
        if kind != "plural":
            raise self.fail(f"unsupported argument type {kind!r} (only plural and number)")
        self.skip_spaces()
        self.expect(",")
        forms: list[tuple[str, Message]] = []
        while True:
            self.skip_spaces()
            if self.peek() == "}":
                self.pos += 1
                break
            if self.peek() == "=":
                self.pos += 1
                selector = "=" + self.word("a number after =")
                if not selector[1:].isdigit():
                    raise self.fail(f"{selector!r} is not an exact number")
            else:
                selector = self.word("a plural category")
                if selector not in CATEGORIES:
                    raise self.fail(f"{selector!r} is not a plural category")
            if any(s == selector for s, _ in forms):
                raise self.fail(f"{selector!r} twice")
            self.skip_spaces()
            self.expect("{")
            forms.append((selector, self.message(in_plural=True, nested=True)))
            self.expect("}")
        if not any(s == "other" for s, _ in forms):
            raise self.fail(f"the plural of {name!r} has no 'other' form")
        return Plural(name, tuple(forms))


@lru_cache(maxsize=8192)
def parse(text: str) -> Message:
    """The parsed form of a catalogue text; MessageSyntaxError if it is malformed."""
    parser = _Parser(text)
    return parser.message(in_plural=False, nested=False)


def _walk(message: Message) -> list[Node]:
    found: list[Node] = []
    for node in message:
        found.append(node)
        if isinstance(node, Plural):
            for _, form in node.forms:
                found.extend(_walk(form))
    return found


def placeholders(text: str) -> set[str]:
    """Every name a text reads, plain or counted."""
    return {n.name for n in _walk(parse(text)) if isinstance(n, Arg | Plural)}


def plural_forms(text: str) -> dict[str, set[str]]:
    """The categories each counted name has in `text` (exact `=N` forms left out)."""
    found: dict[str, set[str]] = {}
    for node in _walk(parse(text)):
        if isinstance(node, Plural):
            categories = {s for s, _ in node.forms if not s.startswith("=")}
            found.setdefault(node.name, set()).update(categories)
    return found


def numbers(text: str) -> set[str]:
    """The names a text writes as quantities (`{name, number}`), the language's way."""
    return {n.name for n in _walk(parse(text)) if isinstance(n, Arg) and n.number}


def is_counted(text: str) -> bool:
    """Whether a text has a plural."""
    return any(isinstance(n, Plural) for n in _walk(parse(text)))


@dataclass(frozen=True)
class Style:
    """How one language categorises and writes numbers, and shows what is put into a text."""

    category: Callable[[Number], str]
    number: Callable[[Number], str]
    value: Callable[[str], str] = str
    # False in tests and debug runs: a float count (`minutes=10.0`) is a caller's slip that
    # happens to render; a count is an int, or a Decimal (`amount`) when it has a fraction.
    floats: bool = True


def amount(value: float) -> int | Decimal:
    """A measured quantity as a count: 10.0 → 10, 7.5 → Decimal("7.5") (its shortest form)."""
    return int(value) if value.is_integer() else Decimal(repr(value))


def _count(name: str, value: Any, floats: bool = True) -> Number:
    # bool is an int to Python, but never a count; a pre-formatted "3" is a caller's mistake.
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise TypeError(f"{name} counts something and must be a number, not {value!r}")
    if isinstance(value, float) and not floats:
        raise TypeError(
            f"{name} counts something and must be an int (or a Decimal), not the float {value!r}"
        )
    return value


def render(message: Message, params: Mapping[str, Any], style: Style) -> str:
    """The text of a parsed message; KeyError for a missing name, TypeError for a count
    that is not a number."""
    out: list[str] = []
    _render(message, params, style, None, out)
    return "".join(out)


def _render(
    message: Message,
    params: Mapping[str, Any],
    style: Style,
    pound: Number | None,
    out: list[str],
) -> None:
    for node in message:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, Arg):
            if node.number:
                value = _count(node.name, params[node.name], style.floats)
                out.append(style.value(style.number(value)))
            else:
                out.append(style.value(format(params[node.name], "")))
        elif isinstance(node, Pound):
            # The parser only makes a Pound inside a plural, so `pound` is set.
            out.append(style.value(style.number(pound if pound is not None else 0)))
        else:
            count = _count(node.name, params[node.name], style.floats)
            form = node.form(f"={int(count)}") if count % 1 == 0 else None
            if form is None:
                form = node.form(style.category(count))
            if form is None:
                form = node.form("other")
            _render(form or (), params, style, count, out)
