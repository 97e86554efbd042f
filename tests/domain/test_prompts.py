"""Prompt rules: the shipped bank, age bands, rotation without repeats, windows and rates."""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.exchange import GRADE_BANDS, ProfileError
from bot.domain.prompts import (
    AGE_RANGES,
    MAX_PROMPT_TEXT,
    PAIR_REQUEST_INTERVAL,
    PROMPT_LANGUAGES,
    RESPONSE_WINDOW,
    THEMES,
    PostRow,
    Prompt,
    ResponseRow,
    bank_for,
    builtin_prompts,
    clean_texts,
    counts_as_response,
    fits_ages,
    next_prompt,
    next_request_at,
    own_id,
    own_key,
    response_rates,
)
from bot.i18n import available_languages

BANK = builtin_prompts()
ALL = "10-18"
THEMES_ASKED = ("daily", "school", "food", "festivals", "sports", "arts", "city", "family")
THEMES_ASKED += ("hopes", "words")

# -- the shipped bank ---------------------------------------------------------------------------


def test_the_bank_has_at_least_sixty_prompts_with_unique_ids() -> None:
    """At least 60 built-in prompts, each with its own stable id."""
    assert len(BANK) >= 60
    keys = [p.key for p in BANK]
    assert len(set(keys)) == len(keys)
    for key in keys:
        assert re.fullmatch(r"[a-z]+\.[a-z0-9_]+", key), key


def test_every_theme_the_issue_names_is_well_covered() -> None:
    """Each of the ten themes has at least five prompts; ids start with their theme."""
    per_theme = Counter(p.theme for p in BANK)
    for theme in THEMES_ASKED:
        assert per_theme[theme] >= 5, theme
    for prompt in BANK:
        assert prompt.key.startswith(prompt.theme + "."), prompt.key


@pytest.mark.parametrize("prompt", BANK, ids=lambda p: p.key)
def test_every_builtin_prompt_speaks_every_shipped_language(prompt: Prompt) -> None:
    """English, Arabic and Spanish texts (every catalogue language), real and short enough."""
    assert set(available_languages()) <= set(PROMPT_LANGUAGES)
    for language in PROMPT_LANGUAGES:
        text = prompt.texts.get(language, "")
        assert text.strip(), language
        assert len(text) <= MAX_PROMPT_TEXT, language
    assert re.search(r"[\u0600-\u06FF]", prompt.texts["ar"]), "Arabic in Arabic script"
    assert not re.search(r"[\u0600-\u06FF]", prompt.texts["es"] + prompt.texts["en"])
    assert prompt.texts["es"] != prompt.texts["en"], "Spanish is a translation, not a copy"


@pytest.mark.parametrize("prompt", BANK, ids=lambda p: p.key)
def test_every_builtin_prompt_has_an_age_band(prompt: Prompt) -> None:
    """Each prompt names which ages it suits, from the bands profiles use."""
    assert prompt.ages in AGE_RANGES
    assert prompt.theme in THEMES


def test_every_age_band_has_plenty_of_prompts() -> None:
    """A pair in any band (or of mixed bands) still has a long rotation."""
    for band in GRADE_BANDS:
        assert len(bank_for([], [], [band])) >= 50, band
    assert len(bank_for([], [], ["10-12", "16-18"])) >= 45


def test_rotation_order_varies_the_theme() -> None:
    """Neighbouring prompts in the bank's order are of different themes."""
    first = [p.theme for p in BANK[:10]]
    assert len(set(first)) == 10


# A guard, not the real protection (that is careful writing): words that would put a student
# on the spot about religion, politics or war, or that do not belong with minors.
SENSITIVE_LATIN = {
    "en": (
        r"religio\w*|gods?|pray\w*|church\w*|mosques?|temples?|islam\w*|muslims?|christian\w*"
        r"|jew\w*|bible|qur'?an|koran|christmas|easter|eid|ramadan|hanukkah|ashura|diwali"
        r"|politic\w*|president\w*|elections?|vot(e|es|ing)|government\w*|wars?|army|armies"
        r"|military|soldiers?|weapons?|guns?|bombs?|terror\w*|sunni|shia|shiite|israel\w*"
        r"|palestin\w*|iraq war|saddam|trump|biden|alcohol|beer|wine|pork|dating|boyfriend"
        r"|girlfriend"
    ),
    "es": (
        r"religi\w*|dios(es)?|rezar|iglesias?|mezquitas?|islam\w*|musulman\w*|musulmán"
        r"|cristian\w*|judí\w*|judi\w*|biblia|corán|navidad|ramadán|polític\w*|president\w*"
        r"|eleccion\w*|elección|votar|gobierno\w*|guerras?|ejércitos?|militar\w*|soldad\w*"
        r"|armas?|bombas?|terror\w*|alcohol|cerveza|vino|cerdo|novios?|novias?"
    ),
}
ARABIC_EXACT = {"دين", "ديني", "دينية", "أديان", "الأديان", "الله", "صلاة", "الصلاة", "عيد"}
ARABIC_STEMS = (
    "سياس",
    "انتخاب",
    "حكوم",
    "حرب",
    "حروب",
    "جيش",
    "جيوش",
    "عسكر",
    "جندي",
    "جنود",
    "سلاح",
    "أسلح",
    "قنبل",
    "إرهاب",
    "ارهاب",
    "مسجد",
    "مساجد",
    "كنيس",
    "كنائس",
    "قرآن",
    "إسلام",
    "اسلام",
    "مسيحي",
    "يهود",
    "طائف",
    "شيعي",
    "شيعة",
    "سنّي",
    "رمضان",
    "عاشوراء",
    "الفطر",
    "الأضحى",
    "خمر",
    "خنزير",
)
ARABIC_PREFIXES = ("وبال", "وال", "بال", "فال", "كال", "لل", "ال", "و", "ف", "ب", "ل")


def _arabic_words(text: str) -> list[str]:
    words = []
    for word in re.findall(r"[\u0600-\u06FF]+", re.sub(r"[\u064B-\u0652]", "", text)):
        words.append(word)
        for prefix in ARABIC_PREFIXES:
            if word.startswith(prefix) and len(word) > len(prefix) + 2:
                words.append(word[len(prefix) :])
    return words


def sensitive_words(prompt: Prompt) -> list[str]:
    found = []
    for language, pattern in SENSITIVE_LATIN.items():
        found += re.findall(rf"\b(?:{pattern})\b", prompt.texts[language].lower())
    for word in _arabic_words(prompt.texts["ar"]):
        if word in ARABIC_EXACT or word.startswith(ARABIC_STEMS):
            found.append(word)
    return found


def test_the_sensitive_word_guard_can_fire() -> None:
    """The guard catches such words in each language (so its silence below means something)."""
    probe = Prompt(
        "x.y",
        "other",
        ALL,
        {
            "en": "What do you think of the war?",
            "ar": "ما رأيك في السياسة؟",
            "es": "¿Y la iglesia?",
        },
    )
    assert len(sensitive_words(probe)) == 3
    harmless = Prompt("x.z", "other", ALL, {"en": "a", "ar": "مدينتك ودينار", "es": "b"})
    assert sensitive_words(harmless) == []


@pytest.mark.parametrize("prompt", BANK, ids=lambda p: p.key)
def test_no_builtin_prompt_puts_a_student_on_the_spot(prompt: Prompt) -> None:
    """No religion, politics, war (or adult topics) in any language of any built-in prompt."""
    assert sensitive_words(prompt) == []


# -- ages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ages", "bands", "fits"),
    [
        ("10-18", ["10-12", "16-18"], True),
        ("13-18", ["13-15", "16-18"], True),
        ("13-18", ["10-12", "13-15"], False),
        ("10-15", ["16-18"], False),
        ("16-18", [None, "16-18"], True),
        ("16-18", [None], True),
    ],
)
def test_a_prompt_suits_a_pair_when_it_suits_every_known_band(
    ages: str, bands: list[str | None], fits: bool
) -> None:
    """A prompt for 13–18 is not posted to a pair with a 10–12 student; unknown bands fit."""
    assert fits_ages(ages, bands) is fits


# -- rotation ------------------------------------------------------------------------------------


def test_rotation_never_repeats_until_the_bank_is_used_up_over_many_rounds() -> None:
    """Over ten whole rounds, every window of len(bank) picks holds each prompt exactly once."""
    bank = [f"p{i}" for i in range(13)]
    history: list[str] = []
    for _ in range(len(bank) * 10):
        chosen = next_prompt(bank, history)
        assert chosen is not None
        history.append(chosen)
    for start in range(len(history) - len(bank) + 1):
        window = history[start : start + len(bank)]
        assert sorted(window) == sorted(bank), start


def test_rotation_holds_with_a_real_pairs_bank_and_random_interleaving() -> None:
    """Two pairs sharing a bank, picked in random order, each see no repeat per round."""
    bank = [p.key for p in bank_for([], [], ["13-15"])]
    histories: dict[str, list[str]] = {"a": [], "b": []}
    rng = random.Random(7)
    for _ in range(len(bank) * 3):
        pair = rng.choice("ab")
        chosen = next_prompt(bank, histories[pair])
        assert chosen is not None
        histories[pair].append(chosen)
    for history in histories.values():
        for first in range(0, len(history), len(bank)):
            chunk = history[first : first + len(bank)]
            assert len(chunk) == len(set(chunk))


def test_a_prompt_added_mid_round_comes_before_any_repeat() -> None:
    """A teacher's new prompt is used next, not after the round ends."""
    bank = ["a", "b", "c"]
    history = ["a", "b"]
    assert next_prompt(["new", *bank], history) == "new"
    assert next_prompt(bank, [*history, "new"]) == "c"


def test_a_retired_prompt_is_never_chosen() -> None:
    """Retired prompts leave the pair's bank; the rest keep rotating."""
    own = [Prompt(own_key(1), "other", ALL, {"en": "Mine"}, builtin=False)]
    bank = bank_for(own, {"own-1", BANK[0].key}, ["13-15"])
    keys = [p.key for p in bank]
    assert "own-1" not in keys and BANK[0].key not in keys
    history: list[str] = []
    for _ in range(len(keys) * 2):
        chosen = next_prompt(keys, history)
        assert chosen in keys
        history.append(chosen)


def test_an_exchanges_own_prompts_come_first() -> None:
    """A fresh pair gets the exchange's own prompts before built-in ones."""
    own = [Prompt(own_key(4), "food", ALL, {"en": "Ours"}, builtin=False)]
    bank = [p.key for p in bank_for(own, set(), ["13-15"])]
    assert next_prompt(bank, []) == "own-4"
    assert next_prompt(bank, ["own-4"]) == BANK[0].key


def test_an_empty_bank_gives_no_prompt() -> None:
    """With every prompt retired there is nothing to post (and no crash)."""
    assert next_prompt([], ["a"]) is None


# -- teachers' texts, pacing, windows, rates -------------------------------------------------


def test_teacher_texts_need_one_language_and_respect_the_limit() -> None:
    """Blank texts are refused; one language is enough; too long names the limit."""
    assert clean_texts({"ar": "  ما لونك المفضل؟ 🎨 ", "en": None}) == {"ar": "ما لونك المفضل؟ 🎨"}
    with pytest.raises(ProfileError) as empty:
        clean_texts({"en": "   ", "ar": None})
    assert empty.value.key == "error.empty"
    with pytest.raises(ProfileError) as none:
        clean_texts({"en": None})
    assert none.value.key == "error.prompt_no_text"
    with pytest.raises(ProfileError) as long:
        clean_texts({"es": "x" * (MAX_PROMPT_TEXT + 1)})
    assert long.value.params["limit"] == MAX_PROMPT_TEXT


def test_own_keys_round_trip() -> None:
    """`own-12` names database prompt 12; a built-in key names none."""
    assert own_id(own_key(12)) == 12
    assert own_id("food.breakfast") is None
    assert own_id("own-x") is None


def test_a_pair_may_ask_again_a_day_after_its_last_prompt() -> None:
    """The next own request is allowed 24 hours after the last prompt, at once if none."""
    posted = datetime(2026, 9, 1, 12, tzinfo=UTC)
    assert next_request_at(None) is None
    assert next_request_at(posted) == posted + PAIR_REQUEST_INTERVAL == posted + timedelta(days=1)


def test_replies_count_within_the_window_only() -> None:
    """A message days later still answers the prompt; weeks later it does not."""
    posted = datetime(2026, 9, 1, 12, tzinfo=UTC)
    assert counts_as_response(posted, posted + timedelta(minutes=3))
    assert counts_as_response(posted, posted + RESPONSE_WINDOW)
    assert not counts_as_response(posted, posted + RESPONSE_WINDOW + timedelta(seconds=1))


def test_response_rates_count_distinct_pairs() -> None:
    """Per prompt: pairs reached, pairs that replied (many replies count once), lengths."""
    posts = [PostRow(1, "food.x", 10), PostRow(2, "food.x", 11), PostRow(3, "city.y", 10)]
    responses = [ResponseRow(1, 40), ResponseRow(1, None), ResponseRow(1, 20), ResponseRow(3, None)]
    rates = {r.key: r for r in response_rates(posts, responses)}
    food = rates["food.x"]
    assert (food.posted, food.responded, food.messages) == (2, 1, 3)
    assert food.rate == 0.5
    assert food.average_length == 30
    city = rates["city.y"]
    assert (city.posted, city.responded, city.rate, city.average_length) == (1, 1, 1.0, None)
    assert [r.key for r in response_rates(posts, responses)] == ["food.x", "city.y"]
