"""The one translation function for user-facing text, backed by JSON catalogues per language."""

from __future__ import annotations

import json
import logging
from functools import cache
from importlib import resources
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_LANGUAGE = "en"


@cache
def _catalogue(language: str) -> dict[str, str]:
    try:
        text = resources.files("bot").joinpath("locales", f"{language}.json").read_text("utf-8")
    except FileNotFoundError:
        return {}
    data: dict[str, str] = json.loads(text)
    return data


def available_languages() -> list[str]:
    """Languages that have a catalogue, English first."""
    names = [
        p.name.removesuffix(".json")
        for p in resources.files("bot").joinpath("locales").iterdir()
        if p.name.endswith(".json")
    ]
    return sorted(names, key=lambda n: (n != DEFAULT_LANGUAGE, n))


def t(key: str, language: str | None = None, /, **params: Any) -> str:
    """The text for `key` in `language` (falling back to English), formatted with params."""
    template = _catalogue(language or DEFAULT_LANGUAGE).get(key)
    if template is None:
        template = _catalogue(DEFAULT_LANGUAGE).get(key)
    if template is None:
        log.error("missing translation key %r", key)
        return key
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        log.exception("bad parameters for translation key %r", key)
        return template
