"""Values stored once for readers of every language: shown in each reader's words."""

from __future__ import annotations

import pytest

from bot.domain.privacy import ERASED
from bot.i18n import available_languages, shown_name, t, unisolated

ERASED_IN = {"en": "[erased]", "fr": "[effacé]", "es": "[borrado]", "tr": "[silindi]"}


@pytest.mark.parametrize("language", available_languages())
def test_an_erased_name_reads_in_the_readers_language(language: str) -> None:
    word = t("privacy.erased_name", language)
    assert word.startswith("[") and word.endswith("]")
    assert word == ERASED_IN.get(language, word)
    if language != "en":
        assert word != ERASED
    assert shown_name(ERASED, language) == word
    # Inside scrubbed text too (bot.domain.privacy.replace_names writes it into sentences).
    assert shown_name(f"{ERASED} met Ana", language) == f"{word} met Ana"
    assert shown_name("Ana", language) == "Ana"


def test_a_text_shows_an_erased_name_in_its_language() -> None:
    said = t("pair.removed", "fr", name=ERASED)
    assert "[effacé]" in said and ERASED not in said
    assert ERASED in t("pair.removed", "en", name=ERASED)
    assert "[محذوف]" in unisolated(t("pair.removed", "ar", name=ERASED))
