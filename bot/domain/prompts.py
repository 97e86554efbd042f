"""Discussion prompts: the built-in bank, age bands, rotation, response windows and rates.

Pure rules on plain values. The bank ships as JSON under `bot/data/prompts/` (one file per
theme); an exchange adds its own prompts in the database and may retire any prompt.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from importlib import resources

from bot.domain.exchange import GRADE_BANDS, ProfileError, clean_text
from bot.domain.text import snowflake
from bot.i18n import available_languages

# Themes of the bank, in the order rotation interleaves them; "other" is for teachers' own.
THEMES = (
    "daily",
    "school",
    "food",
    "festivals",
    "sports",
    "arts",
    "city",
    "family",
    "hopes",
    "words",
    "other",
)

# Age ranges a prompt may suit, aligned with the profile's grade bands ("10-12", "13-15",
# "16-18") so "does this prompt suit this student" is a plain containment.
AGE_RANGES = ("10-18", "10-12", "13-15", "16-18", "10-15", "13-18")
ALL_AGES = "10-18"

# Every built-in prompt speaks the bot's languages (a catalogue each, so French and Turkish
# join when theirs land); a teacher's own prompt needs at least one of them.
PROMPT_LANGUAGES = tuple(available_languages())

MAX_PROMPT_TEXT = 300  # per language: short enough to read at a glance, and fits an embed field
OWN_PREFIX = "own-"
# A session's own words, posted in place of a bank prompt: "session-<series id>".
SESSION_PREFIX = "session-"

# A pair may ask for its own next prompt once per this interval.
PAIR_REQUEST_INTERVAL = timedelta(hours=24)

# Messages count as replies to the pair's latest prompt until the next prompt arrives, and
# for at most this long: a chat weeks later is not an answer to it.
RESPONSE_WINDOW = timedelta(days=7)


class PromptDataError(ValueError):
    """A built-in prompt file breaks the format (a packaging mistake, not a user's)."""


def _bounds(ages: str) -> tuple[int, int]:
    low, _, high = ages.partition("-")
    return int(low), int(high)


def fits_ages(prompt_ages: str, bands: Iterable[str | None]) -> bool:
    """Whether a prompt for `prompt_ages` suits every student band given (unknown bands fit)."""
    low, high = _bounds(prompt_ages)
    for band in bands:
        if band is None or band not in GRADE_BANDS:
            continue
        band_low, band_high = _bounds(band)
        if band_low < low or band_high > high:
            return False
    return True


@dataclass(frozen=True, slots=True)
class Prompt:
    """A discussion prompt: built-in (`theme.slug`) or an exchange's own (`own-12`)."""

    key: str
    theme: str
    ages: str
    texts: Mapping[str, str] = field(hash=False)
    builtin: bool = True

    def text_in(self, language: str) -> tuple[str, str]:
        """(language used, text): the reader's language, else English, else the first given."""
        if language in self.texts:
            return language, self.texts[language]
        if "en" in self.texts:
            return "en", self.texts["en"]
        first = next(iter(self.texts))
        return first, self.texts[first]


def own_key(prompt_id: int) -> str:
    return f"{OWN_PREFIX}{prompt_id}"


def own_id(key: str) -> int | None:
    """The database id behind an exchange's own prompt key, or None for a built-in key."""
    if not key.startswith(OWN_PREFIX):
        return None
    number = key[len(OWN_PREFIX) :]
    return snowflake(number) if number.isascii() else None


def session_prompt_key(series_id: int) -> str:
    """The prompt key of a session series' teacher-written prompt."""
    return f"{SESSION_PREFIX}{series_id}"


def session_series_id(key: str) -> int | None:
    """The series whose teacher-written prompt a key stands for, or None for a bank key."""
    if not key.startswith(SESSION_PREFIX):
        return None
    number = key[len(SESSION_PREFIX) :]
    return snowflake(number) if number.isascii() else None


def clean_prompt_text(text: str) -> str:
    """A teacher's prompt text, trimmed and within the limit (ProfileError otherwise)."""
    return clean_text(text, limit=MAX_PROMPT_TEXT, what="prompt", multiline=True)


def clean_texts(texts: Mapping[str, str | None]) -> dict[str, str]:
    """The given translations cleaned; at least one language must have text."""
    cleaned = {
        language: clean_prompt_text(text)
        for language, text in texts.items()
        if text is not None and language in PROMPT_LANGUAGES
    }
    if not cleaned:
        raise ProfileError("error.prompt_no_text")
    return cleaned


# -- the built-in bank --------------------------------------------------------------------------


def _parse_file(name: str, data: object) -> tuple[str, list[Prompt]]:
    if not isinstance(data, dict) or data.get("theme") not in THEMES:
        raise PromptDataError(f"{name}: needs a known 'theme'")
    theme = str(data["theme"])
    prompts = []
    for entry in data.get("prompts") or []:
        key = entry.get("id", "")
        if not isinstance(key, str) or not key.startswith(theme + "."):
            raise PromptDataError(f"{name}: id {key!r} must start with '{theme}.'")
        if entry.get("ages") not in AGE_RANGES:
            raise PromptDataError(f"{name}: {key} has ages {entry.get('ages')!r}")
        texts = entry.get("text") or {}
        missing = [lang for lang in PROMPT_LANGUAGES if not str(texts.get(lang, "")).strip()]
        if missing:
            raise PromptDataError(f"{name}: {key} lacks {missing}")
        prompts.append(Prompt(key, theme, entry["ages"], dict(texts)))
    return theme, prompts


@cache
def builtin_prompts() -> tuple[Prompt, ...]:
    """The shipped bank in rotation order: themes interleaved, so neighbours differ in theme."""
    folder = resources.files("bot").joinpath("data", "prompts")
    by_theme: dict[str, list[Prompt]] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            theme, prompts = _parse_file(entry.name, json.loads(entry.read_text("utf-8")))
            by_theme.setdefault(theme, []).extend(prompts)
    ordered: list[Prompt] = []
    seen: set[str] = set()
    for rank in range(max((len(p) for p in by_theme.values()), default=0)):
        for prompts in by_theme.values():
            if rank < len(prompts):
                prompt = prompts[rank]
                if prompt.key in seen:
                    raise PromptDataError(f"prompt id {prompt.key} is used twice")
                seen.add(prompt.key)
                ordered.append(prompt)
    return tuple(ordered)


@cache
def builtin_by_key() -> dict[str, Prompt]:
    """The shipped bank by id (shared: do not modify)."""
    return {p.key: p for p in builtin_prompts()}


def bank_for(
    own: Sequence[Prompt],
    retired: Iterable[str],
    bands: Iterable[str | None],
    builtin: Sequence[Prompt] | None = None,
) -> list[Prompt]:
    """The prompts a pair may get: the exchange's own first, then the built-ins, minus the
    retired ones and those that do not suit every member's age band."""
    gone = set(retired)
    member_bands = list(bands)
    every = [*own, *(builtin_prompts() if builtin is None else builtin)]
    return [p for p in every if p.key not in gone and fits_ages(p.ages, member_bands)]


# -- rotation -----------------------------------------------------------------------------------


def next_prompt(bank: Sequence[str], history: Sequence[str]) -> str | None:
    """The next prompt for a pair: never repeated until the whole bank has been used.

    `bank` is in preference order, `history` the keys the pair got, oldest first. A prompt
    the pair never had comes first (in bank order); when all were used, the least recently
    used starts the next round. This is round-robin over the bank, so any run of
    len(bank) consecutive picks has no repeat, and a prompt added mid-round comes up next.
    """
    if not bank:
        return None
    last_use: dict[str, int] = {}
    for index, key in enumerate(history):
        last_use[key] = index
    position = {key: index for index, key in enumerate(bank)}
    return min(bank, key=lambda key: (last_use.get(key, -1), position[key]))


# -- pacing and responses ------------------------------------------------------------------------


def next_request_at(last_posted_at: datetime | None) -> datetime | None:
    """When a pair may next ask for a prompt itself (None: right away)."""
    if last_posted_at is None:
        return None
    return last_posted_at + PAIR_REQUEST_INTERVAL


def counts_as_response(posted_at: datetime, at: datetime) -> bool:
    """Whether a message at `at` answers the pair's latest prompt posted at `posted_at`."""
    return posted_at <= at <= posted_at + RESPONSE_WINDOW


@dataclass(frozen=True, slots=True)
class PostRow:
    """One prompt posted to one pair."""

    post_id: int
    key: str
    pair_id: int


@dataclass(frozen=True, slots=True)
class ResponseRow:
    """One reply to a post: its length in characters when known (never its text)."""

    post_id: int
    length: int | None


@dataclass(frozen=True, slots=True)
class PromptRate:
    """How one prompt did: pairs it reached, pairs that answered, and the replies."""

    key: str
    posted: int
    responded: int
    messages: int
    average_length: float | None  # None when no reply length was recorded

    @property
    def rate(self) -> float:
        return self.responded / self.posted if self.posted else 0.0


def response_rates(posts: Iterable[PostRow], responses: Iterable[ResponseRow]) -> list[PromptRate]:
    """Per prompt: distinct pairs posted to and that replied, most posted first."""
    key_of = {}
    pairs_posted: dict[str, set[int]] = defaultdict(set)
    for post in posts:
        key_of[post.post_id] = (post.key, post.pair_id)
        pairs_posted[post.key].add(post.pair_id)
    pairs_answered: dict[str, set[int]] = defaultdict(set)
    messages: dict[str, int] = defaultdict(int)
    lengths: dict[str, list[int]] = defaultdict(list)
    for response in responses:
        if response.post_id not in key_of:
            continue
        key, pair_id = key_of[response.post_id]
        pairs_answered[key].add(pair_id)
        messages[key] += 1
        if response.length is not None:
            lengths[key].append(response.length)
    rates = [
        PromptRate(
            key=key,
            posted=len(pairs),
            responded=len(pairs_answered[key]),
            messages=messages[key],
            average_length=(sum(lengths[key]) / len(lengths[key])) if lengths[key] else None,
        )
        for key, pairs in pairs_posted.items()
    ]
    return sorted(rates, key=lambda r: (-r.posted, -r.rate, r.key))
