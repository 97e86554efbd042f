"""Validates the bot's REST bodies against Discord's official OpenAPI spec.

The spec is read from `DISCORD_OPENAPI_SPEC`, or from `shared/discord-api-spec/openapi.json`
beside the project. Without it validation is skipped, with one warning, never silently.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

log = logging.getLogger("bot.sandbox.spec")

SPEC_ENV = "DISCORD_OPENAPI_SPEC"
_BASE_URI = "urn:discord-openapi"
_PROJECT = Path(__file__).resolve().parents[2]
DEFAULT_LOCATIONS = (
    _PROJECT.parent / "shared" / "discord-api-spec" / "openapi.json",
    _PROJECT / "shared" / "discord-api-spec" / "openapi.json",
)


# Distinct bodies whose verdict is remembered (oldest forgotten first).
_VERDICTS = 4096


class SpecMissingWarning(UserWarning):
    """No OpenAPI spec was found: REST bodies are not checked against Discord's schema."""


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


@dataclass(frozen=True, slots=True)
class _Route:
    template: str
    pattern: re.Pattern[str]
    literals: int  # more literal segments = more specific (`/@original` beats `{id}`)


class SpecValidator:
    """Finds the spec's operation for a request and validates its JSON body."""

    def __init__(
        self, document: dict[str, Any], source: str = "", *, partial: bool = False
    ) -> None:
        """`partial`: the document covers only some routes; others pass unchecked."""
        self.source = source
        self.partial = partial
        schemas = document.get("components", {}).get("schemas", {})
        if "SnowflakeType" in schemas:
            # Discord takes a snowflake as a JSON string or an integer, and discord.py sends
            # integers (overwrite ids, for one); the spec only lists the string form.
            schemas["SnowflakeType"] = {
                "anyOf": [schemas["SnowflakeType"], {"type": "integer", "minimum": 0}]
            }
        if "InnerErrors" in schemas and "Error" in schemas:
            # Discord names a field's errors with string codes ("BASE_TYPE_REQUIRED"); the spec
            # only lists the integer codes of a whole answer's error.
            schemas["InnerError"] = {
                "type": "object",
                "properties": {
                    "code": {"type": ["integer", "string"]},
                    "message": {"type": "string"},
                },
                "required": ["code", "message"],
            }
            items = schemas["InnerErrors"].get("properties", {}).get("_errors", {})
            if "items" in items:
                items["items"] = {"$ref": "#/components/schemas/InnerError"}
        self._document = document
        self._paths: dict[str, Any] = document.get("paths", {})
        self._registry: Registry[Any] = Registry().with_resource(
            _BASE_URI, Resource.from_contents(document, default_specification=DRAFT202012)
        )
        self._routes = sorted((self._route(t) for t in self._paths), key=lambda r: -r.literals)
        self._validators: dict[tuple[str, str], Draft202012Validator | None] = {}
        self._verdicts: dict[tuple[str, str, bytes], tuple[str, ...]] = {}
        # How remembered request verdicts outline ids and times (`ids_alike`); None: not.
        self.ids_outlined = ids_alike(document)
        # Answers alike in `shape` get the same verdict; kept with the spec (one per process),
        # so every test's sandbox reuses them: checking the answer to the bot's command
        # registration alone takes almost half a second.
        self._response_verdicts: dict[tuple[str, str, int, Any], tuple[str, ...]] = {}
        self._response_validators: dict[tuple[str, str, str], Draft202012Validator | None] = {}
        # The same verdicts by the answer's outlined JSON text (`response_verdict`).
        self._response_texts: dict[tuple[str, str, int, bytes], tuple[str, ...]] = {}

    @staticmethod
    def _route(template: str) -> _Route:
        parts = template.strip("/").split("/")
        regex = "/".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
        literals = sum(not p.startswith("{") for p in parts)
        return _Route(template, re.compile(f"^/{regex}$"), literals)

    @classmethod
    def load(cls, path: str | Path | None = None) -> SpecValidator | None:
        """The validator for the spec found, or None (with a warning) when there is none."""
        candidates = [Path(p) for p in (path, os.environ.get(SPEC_ENV)) if p]
        candidates += list(DEFAULT_LOCATIONS)
        for candidate in candidates:
            if candidate.is_file():
                document = json.loads(candidate.read_text("utf-8"))
                return cls(document, str(candidate))
        message = (
            "Discord's OpenAPI spec was not found (set DISCORD_OPENAPI_SPEC or put it at "
            f"{DEFAULT_LOCATIONS[0]}): the sandbox will NOT validate request bodies"
        )
        log.warning(message)
        warnings.warn(message, SpecMissingWarning, stacklevel=2)
        return None

    def template_for(self, path: str) -> str | None:
        """The spec's path template matching a concrete path, the most specific first."""
        for route in self._routes:
            if route.pattern.match(path):
                return route.template
        return None

    def _validator(self, method: str, template: str) -> Draft202012Validator | None:
        key = (method, template)
        if key not in self._validators:
            operation = self._paths.get(template, {}).get(method.lower())
            content = ((operation or {}).get("requestBody") or {}).get("content") or {}
            if "application/json" not in content:
                self._validators[key] = None
            else:
                pointer = _pointer(
                    "paths",
                    template,
                    method.lower(),
                    "requestBody",
                    "content",
                    "application/json",
                    "schema",
                )
                schema = {"$ref": f"{_BASE_URI}#/{pointer}"}
                self._validators[key] = Draft202012Validator(schema, registry=self._registry)
        return self._validators[key]

    def validate(self, method: str, path: str, body: Any) -> list[str]:
        """What is wrong with `body` for `method path` per the spec (empty when fine)."""
        template = self.template_for(path)
        if template is None:
            return [] if self.partial else [f"the spec has no path {path}"]
        if method.lower() not in self._paths[template]:
            return [f"the spec has no {method} {template}"]
        validator = self._validator(method, template)
        if validator is None:
            return []
        # Validation is deterministic and the same bodies come again and again (every test's
        # bot registers the same commands): remember what each distinct body gave, its ids
        # and times outlined when the spec cannot tell them apart (`ids_outlined`), since each
        # test's ids are new.
        try:
            text = json.dumps(body, sort_keys=True).encode()
        except (TypeError, ValueError):
            key = None
        else:
            key = (method, template, self.ids_outlined(text) if self.ids_outlined else text)
        if key is not None and key in self._verdicts:
            return list(self._verdicts[key])
        found = self._check(validator, body)
        if key is not None:
            if len(self._verdicts) >= _VERDICTS:
                self._verdicts.pop(next(iter(self._verdicts)))
            self._verdicts[key] = tuple(found)
        return found

    def _response_validator(
        self, method: str, template: str, status: int
    ) -> tuple[Draft202012Validator | None, bool]:
        """The validator of the spec's answer for a status, and whether the spec has one."""
        responses = (self._paths.get(template, {}).get(method.lower()) or {}).get("responses", {})
        # OpenAPI: an exact status wins over a range ("4XX"), which wins over "default".
        for key in (str(status), f"{str(status)[0]}XX", "default"):
            if key in responses:
                break
        else:
            return None, False
        cache_key = (method, template, key)
        if cache_key not in self._response_validators:
            response = responses[key]
            pointer = _pointer("paths", template, method.lower(), "responses", key)
            if "$ref" in response:
                ref = response["$ref"]
                pointer = ref.lstrip("#/")
                response = self._resolve(ref)
            content = (response.get("content") or {}).get("application/json")
            if content is None or "schema" not in content:
                self._response_validators[cache_key] = None
            else:
                schema = {"$ref": f"{_BASE_URI}#/{pointer}/content/application~1json/schema"}
                self._response_validators[cache_key] = Draft202012Validator(
                    schema, registry=self._registry
                )
        return self._response_validators[cache_key], True

    def _resolve(self, ref: str) -> dict[str, Any]:
        node: Any = self._document
        for part in ref.lstrip("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        assert isinstance(node, dict)
        return node

    def validate_response(self, method: str, path: str, status: int, body: Any) -> list[str]:
        """What is wrong with Discord's (here: the sandbox's) answer per the spec."""
        template = self.template_for(path)
        if template is None or method.lower() not in self._paths[template]:
            return [] if self.partial else [f"the spec has no {method} {path}"]
        operation = self._paths[template][method.lower()] or {}
        if not operation.get("responses"):
            return []  # a spec that leaves this operation's answers out
        validator, known = self._response_validator(method, template, status)
        if not known:
            return [f"the spec lists no {status} answer for {method} {template}"]
        if validator is None:
            return [] if body is None else [f"(body): the spec has no body for a {status}"]
        if body is None:
            return [f"(body): a {status} answer has a JSON body in the spec"]
        return self._check(validator, body)

    def response_verdict(
        self, method: str, path: str, status: int, body: Any, raw: bytes | None = None
    ) -> list[str]:
        """`validate_response`, remembered for every answer of the same `shape`.

        `raw` is the answer's JSON text, when there is one: answers whose texts are the same
        once ids and timestamps are outlined (`outline`) have the same shape, and outlining
        text is far cheaper than `shape` (the answer to a command registration is large)."""
        template = self.template_for(path) or path
        quick = None
        if raw is not None:
            quick = (method, template, status, hashlib.blake2b(outline(raw)).digest())
            known = self._response_texts.get(quick)
            if known is not None:
                return list(known)
        key = (method, template, status, shape(body))
        found = self._response_verdicts.get(key)
        if found is None:
            if len(self._response_verdicts) >= _VERDICTS:
                self._response_verdicts.pop(next(iter(self._response_verdicts)))
            found = tuple(self.validate_response(method, path, status, body))
            self._response_verdicts[key] = found
        if quick is not None:
            if len(self._response_texts) >= _VERDICTS:
                self._response_texts.pop(next(iter(self._response_texts)))
            self._response_texts[quick] = found
        return list(found)

    @staticmethod
    def _check(validator: Draft202012Validator, body: Any) -> list[str]:
        errors = list(validator.iter_errors(body))
        if not errors:
            return []
        described = [_describe(best_match(errors)), *(_describe(e) for e in errors)]
        return list(dict.fromkeys(described))[:3]


def _describe(error: ValidationError) -> str:
    where = "/".join(str(p) for p in error.absolute_path) or "(body)"
    message = error.message if len(error.message) < 300 else error.message[:297] + "..."
    return f"{where}: {message}"


_SNOWFLAKE = re.compile(r"^[0-9]{1,20}$")
_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d")
_WORD = re.compile(r"^[a-z_]{1,24}$")


# A string token of JSON text (`json.dumps`' separators) that `shape` outlines as a snowflake
# or a timestamp, never an object's key. Inside a string a quote is always escaped, so a quote
# after ": ", ", " or "[" opens a string token, and its digits run to the quote that closes it.
# The quote comes first and the lookbehinds after it: a pattern that starts with a literal is
# searched for by that literal, five times faster on a large answer than lookbehinds first.
_OUTLINED = re.compile(
    rb'"(?:(?<=: ")|(?<=, ")|(?<=\["))(?:[0-9]{1,20}|\d{4}-\d\d-\d\dT\d\d:\d\d[^"\\]*)"(?!:)'
)


# A snowflake of today (17 to 20 digits) anywhere in JSON text: a string, part of a string
# ("<@id>" in a message) or an integer (discord.py sends some ids as integers), never part
# of a longer number, a negative one or a float.
_ID_DIGITS = re.compile(rb"(?<![0-9.\-])[1-9][0-9]{16,19}(?![0-9.eE])")
# An ISO 8601 time string token (as `_OUTLINED`).
_TIME = re.compile(
    rb'"(?:(?<=: ")|(?<=, ")|(?<=\["))'
    rb'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|[+-]\d\d:\d\d)?"(?!:)'
)
# The spec's string patterns under which any two strings of one length that differ only in
# such ids or times are judged alike: Discord's snowflake (an id string matches, a string
# with anything else does not) and a hex colour (none matches).
_PATTERNS_ALIKE = frozenset({"^(0|[1-9][0-9]*)$", "^#(([0-9a-fA-F]{2}){3}|([0-9a-fA-F]){3})$"})
# Keywords whose rules could tell such strings or integers apart in ways not checked here.
_UNCHECKED = frozenset({"patternProperties", "propertyNames", "multipleOf"})
# Today's snowflakes are near this: the integers outlined lie between the spec's bounds
# around it (`ids_alike`).
_SNOWFLAKE_NOW = 1 << 60


@dataclass(frozen=True, slots=True)
class IdOutline:
    """Outlines snowflakes and times in JSON text (`json.dumps`' separators) for a spec that
    judges the bodies that differ only in them alike (`ids_alike`): each becomes `#` and its
    length (a bare `#` is no JSON); integers only between `above` and `below`, where no
    minimum or maximum of the spec lies, digits in text whatever their value (discord.py's
    random nonces too)."""

    above: int
    below: int

    def __call__(self, raw: bytes) -> bytes:
        def digits(found: re.Match[bytes]) -> bytes:
            start, end = found.span()
            text = found.string
            bare = text[end : end + 1] in (b",", b"}", b"]", b"") and (
                text[start - 2 : start] in (b": ", b", ") or text[start - 1 : start] == b"["
            )
            # An integer (or text that looks like one: outlined less often, never wrongly).
            if bare and not self.above < int(found.group()) < self.below:
                return found.group()
            return b"#%d" % len(found.group())

        text = _ID_DIGITS.sub(digits, raw)
        return _TIME.sub(lambda found: b"#t%d" % (len(found.group()) - 2), text)


def ids_alike(document: Any) -> IdOutline | None:
    """The outline under which the spec judges two bodies alike, or None when it may not.

    Bodies that differ only in outlined ids and times have strings of the same lengths, and
    JSON Schema tells such strings apart only by `pattern` (formats are not asserted),
    `enum` and `const`; integers only by bounds, `multipleOf`, `enum` and `const`. Checked,
    not assumed: a later spec with another pattern turns the outlining off rather than let a
    body pass unchecked.
    """
    bounds: list[int | float] = []
    values: list[Any] = []
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        if _UNCHECKED & node.keys():
            return None
        pattern = node.get("pattern")
        if isinstance(pattern, str) and pattern not in _PATTERNS_ALIKE:
            return None
        for word in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            bound = node.get(word)
            if isinstance(bound, (int, float)) and not isinstance(bound, bool):
                bounds.append(bound)
        for word in ("enum", "const"):
            found = node.get(word)
            values.extend(found if isinstance(found, list) else [found])
        stack.extend(node.values())
    above = max((b for b in bounds if b <= _SNOWFLAKE_NOW), default=0)
    below = min((b for b in bounds if b > _SNOWFLAKE_NOW), default=10**20)
    outline = IdOutline(int(above), int(below))
    for value in values:
        text = json.dumps(value).encode()
        if isinstance(value, str) and outline(text) != text:
            return None  # an enum holding an id or a time
        if isinstance(value, int) and above < value < below:
            return None
    return outline


def outline(raw: bytes) -> bytes:
    """JSON text with its snowflakes and timestamps outlined as `#` (a bare `#` is no JSON, so
    it never stands for anything else): two texts outlined alike have the same `shape`."""
    return _OUTLINED.sub(b"#", raw)


def shape(value: Any) -> Any:
    """A hashable outline of a JSON value that two answers share when the spec would judge them
    alike: ids, timestamps and text are outlined, enum-like values (numbers, lower-case words)
    kept. Lets the sandbox check each kind of answer once instead of every answer (a check
    takes milliseconds; a busy test sends thousands)."""
    if isinstance(value, dict):
        return tuple(sorted((k, shape(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("[]", tuple(dict.fromkeys(shape(v) for v in value)))
    if isinstance(value, str):
        if _SNOWFLAKE.match(value):
            return "<snowflake>"
        if _TIMESTAMP.match(value):
            return "<timestamp>"
        if _WORD.match(value):
            return value  # enum-like ("rich", "deprecated")
        return ("<text>", bool(value), len(value) > 100, len(value) > 2000)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        return "<float>"
    return value
