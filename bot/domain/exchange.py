"""Exchanges, cities and student profiles: the rules their values must follow."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum

from bot.domain.text import ascii_digits, clean, echo, same_name

MAX_NAME = 100
MAX_INTRO = 500
MAX_INTEREST = 40
MAX_INTERESTS = 8
MAX_WEEKEND = 40  # weekend days as typed: "fri,sat", "saturday, sunday"
# Age bands a student may be enrolled in. They start at 13, Discord's minimum age (older in some
# countries: schools check theirs). The bands students already had from 13 up are kept as they
# were (13-15, 16-18), so no profile, CSV or prompt's age range changes meaning.
GRADE_BANDS = ("13-15", "16-18")
# Bands from before issue 23: still stored for some students, never accepted again. Such a
# student is flagged to their teachers until a teacher sets one of GRADE_BANDS.
LEGACY_BANDS = ("10-12",)
# Every band a stored profile may hold (prompts still suit them by age).
KNOWN_BANDS = LEGACY_BANDS + GRADE_BANDS
MINIMUM_AGE = 13

# Language codes (ISO 639-1) with their names, for parsing what people type and for display.
LANGUAGES: dict[str, str] = {
    "ak": "Akan (Twi)",
    "ar": "Arabic",
    "de": "German",
    "ee": "Ewe",
    "en": "English",
    "es": "Spanish",
    "fa": "Persian",
    "fr": "French",
    "ha": "Hausa",
    "hi": "Hindi",
    "it": "Italian",
    "ja": "Japanese",
    "ko": "Korean",
    "ku": "Kurdish",
    "pt": "Portuguese",
    "ro": "Romanian",
    "ru": "Russian",
    "so": "Somali",
    "sw": "Swahili",
    "tr": "Turkish",
    "uk": "Ukrainian",
    "ur": "Urdu",
    "yo": "Yoruba",
    "zh": "Chinese",
}
# How each language names itself, for menus a speaker of that language reads.
NATIVE_NAMES: dict[str, str] = {
    "ak": "Akan (Twi)",
    "ar": "العربية",
    "de": "Deutsch",
    "ee": "Eʋegbe",
    "en": "English",
    "es": "Español",
    "fa": "فارسی",
    "fr": "Français",
    "ha": "Hausa",
    "hi": "हिन्दी",
    "it": "Italiano",
    "ja": "日本語",
    "ko": "한국어",
    "ku": "Kurdî / کوردی",
    "pt": "Português",
    "ro": "Română",
    "ru": "Русский",
    "so": "Soomaali",
    "sw": "Kiswahili",
    "tr": "Türkçe",
    "uk": "Українська",
    "ur": "اردو",
    "yo": "Yorùbá",
    "zh": "中文",
}
_BY_NAME = {name.lower(): code for code, name in LANGUAGES.items()} | {
    "twi": "ak",
    "mandarin": "zh",
    "farsi": "fa",
    "castellano": "es",
    "español": "es",
    "français": "fr",
    "عربي": "ar",
    "العربية": "ar",
}

# A curated list students pick from; free text adds to it.
INTERESTS = (
    "football",
    "basketball",
    "chess",
    "music",
    "drawing",
    "reading",
    "video games",
    "cooking",
    "science",
    "maths",
    "history",
    "animals",
    "nature",
    "films",
    "photography",
    "dance",
    "fashion",
    "coding",
    "languages",
    "travel",
)

WEEKDAYS = {
    "mon": 1,
    "tue": 2,
    "wed": 3,
    "thu": 4,
    "fri": 5,
    "sat": 6,
    "sun": 7,
}


class Role(StrEnum):
    """What a participant is in an exchange."""

    STUDENT = "student"
    TEACHER = "teacher"
    COORDINATOR = "coordinator"


class PairingPolicy(StrEnum):
    """Which cities' students an exchange of more than two cities pairs together."""

    HUB = "hub"  # the hub city's students with the other (partner) cities' students
    ANY = "any"  # any two different cities


class ParticipantStatus(StrEnum):
    """Where a participant stands on the roster (the stored value is the member's value)."""

    ACTIVE = "active"  # paired in the next round
    PAUSED = "paused"  # on the roster, left out of new rounds until resumed
    REMOVED = "removed"  # off the roster: a teacher took them off (nothing is deleted)


class ProfileError(ValueError):
    """A value a user typed breaks a rule; `key` names the message, `params` fill it."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def clean_text(text: str, *, limit: int, what: str, multiline: bool = False) -> str:
    """Text as stored (`bot.domain.text.clean`) within `limit` characters; empty or too long
    raises ProfileError. One line unless `multiline` (an introduction, a prompt)."""
    value = clean(text, multiline=multiline)
    if not value:
        raise ProfileError("error.empty", field=what)
    if len(value) > limit:
        raise ProfileError("error.too_long", field=what, limit=limit, length=len(value))
    return value


def parse_languages(text: str) -> tuple[str, ...]:
    """Language codes from "en, ar" or "English and Arabic"; unknown ones raise ProfileError."""
    parts = [p for p in re.split(r"[,;/ ]+|\band\b|\bو\b", clean(text).lower()) if p]
    codes: list[str] = []
    for part in parts:
        code = part if part in LANGUAGES else _BY_NAME.get(part)
        if code is None:
            raise ProfileError("error.unknown_language", language=echo(part, 40))
        if code not in codes:
            codes.append(code)
    if not codes:
        raise ProfileError("error.empty", field="languages")
    return tuple(codes)


def parse_grade_band(text: str) -> str:
    """One of GRADE_BANDS from "13-15", "13–15" or "13 - 15"; anything else raises ProfileError."""
    typed = clean(text)
    value = re.sub(r"\s*[-–—−]\s*", "-", ascii_digits(typed))
    if value in LEGACY_BANDS:
        raise ProfileError(
            "error.grade_band_under_age", band=value, age=MINIMUM_AGE, bands=", ".join(GRADE_BANDS)
        )
    if value not in GRADE_BANDS:
        raise ProfileError(
            "error.unknown_grade_band", band=echo(typed, 20), bands=", ".join(GRADE_BANDS)
        )
    return value


def band_flagged(band: str | None) -> bool:
    """Whether a stored band is one no longer accepted (under Discord's minimum age)."""
    return band in LEGACY_BANDS


def split_interests(interests: tuple[str, ...] | list[str]) -> tuple[list[str], list[str]]:
    """(curated, free text): which interests come from INTERESTS and which were typed."""
    curated = [i for i in interests if i in INTERESTS]
    return curated, [i for i in interests if i not in INTERESTS]


def parse_weekend(text: str) -> frozenset[int]:
    """ISO weekdays from "fri,sat" or "Friday Saturday"."""
    days: set[int] = set()
    for part in re.split(r"[,;/ ]+|\band\b", clean(text).lower()):
        if not part:
            continue
        day = WEEKDAYS.get(part[:3])
        if day is None:
            raise ProfileError("error.unknown_weekday", day=echo(part, 20))
        days.add(day)
    if not days or len(days) > 3:
        raise ProfileError("error.weekend_days")
    return frozenset(days)


def parse_interests(chosen: list[str], free_text: str = "") -> tuple[str, ...]:
    """Curated choices plus comma-separated free text, de-duplicated, within limits."""
    found: list[str] = []
    for item in [*chosen, *free_text.split(",")]:
        value = clean(item).lower()
        if not value:
            continue
        if len(value) > MAX_INTEREST:
            raise ProfileError(
                "error.too_long", field="interest", limit=MAX_INTEREST, length=len(value)
            )
        if value not in found:
            found.append(value)
    if len(found) > MAX_INTERESTS:
        raise ProfileError("error.too_many_interests", limit=MAX_INTERESTS)
    return tuple(found)


def native_name(code: str) -> str:
    """ "العربية" for "ar": how a speaker writes their own language."""
    return NATIVE_NAMES.get(code, LANGUAGES.get(code, code))


def native_names(codes: tuple[str, ...] | list[str]) -> str:
    """ "العربية, English" for ("ar", "en"), for text read in several languages at once."""
    return ", ".join(native_name(c) for c in codes)


# Letters of other scripts that look like Latin ones (Cyrillic, Greek), as a typed name may mix
# them in by keyboard: "Кumasi" with a Cyrillic К is Kumasi to a reader.
_LOOKALIKES = str.maketrans(
    "авсеһіјкмнорѕтхуАВСЕНІЈКМНОРЅТХУαβεικνορτυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "abcehijkmhopstxyABCEHIJKMHOPSTXYabeikvoptuxABEZHIKMNOPTYX",
)


def folded_name(text: str) -> str:
    """A city name with case, accents, full-width forms and look-alike letters of other scripts
    folded away: "KUMASİ", "Kümasi", "Ｋｕｍａｓｉ" and "Кumasi" all give "kumasi"."""
    wide = unicodedata.normalize("NFKD", same_name(text))
    bare = "".join(ch for ch in wide if not unicodedata.combining(ch))
    return bare.translate(_LOOKALIKES).casefold().replace("ı", "i")


def same_city(name: str, zone: str, other_name: str, other_zone: str) -> bool:
    """Whether a city typed as (`name`, `zone`) is one already there: the same name (any case),
    or the same time zone and the same name once `folded_name` folds it."""
    if same_name(name) == same_name(other_name):
        return True
    return zone == other_zone and folded_name(name) == folded_name(other_name)


@dataclass(frozen=True, slots=True)
class City:
    """One city of an exchange (two, or a network of more)."""

    id: int
    position: int
    name: str
    timezone: str
    languages: tuple[str, ...]
    weekend_days: frozenset[int]
    # Public holidays: "US-MN", "IQ"; None takes the country of the time zone.
    holiday_region: str | None = None


@dataclass(frozen=True, slots=True)
class Exchange:
    """A partnership of sister cities in one guild: two, or a network of more.

    For two cities both policies pair the one city with the other, as exchanges always did.
    """

    id: int
    guild_id: int
    name: str
    cities: tuple[City, ...]  # two or more, in position order
    pairing_policy: PairingPolicy = PairingPolicy.ANY
    # The home city of a 'hub' network (None: no hub chosen, or its city was removed).
    hub_city_id: int | None = None

    def city(self, city_id: int) -> City:
        for city in self.cities:
            if city.id == city_id:
                return city
        raise KeyError(city_id)

    @property
    def is_network(self) -> bool:
        """More than two cities."""
        return len(self.cities) > 2

    @property
    def hub(self) -> City | None:
        """The hub city when the policy is 'hub' and one is set (and still in the exchange)."""
        if self.pairing_policy is not PairingPolicy.HUB or self.hub_city_id is None:
            return None
        return next((c for c in self.cities if c.id == self.hub_city_id), None)

    def partner_of(self, city_id: int) -> City:
        """The other city of a two-city exchange; in a network, the first city this one may
        be paired with (the hub for a partner city of a hub network)."""
        return self.partners_of(city_id)[0]

    def partners_of(self, city_id: int) -> tuple[City, ...]:
        """The cities whose students this city's students may be paired with."""
        hub = self.hub
        if hub is not None and city_id != hub.id:
            return (hub,)
        return tuple(c for c in self.cities if c.id != city_id)

    def may_pair(self, first_city: int, second_city: int) -> bool:
        """Whether students of these two cities may be in one pair (never one city twice)."""
        if first_city == second_city:
            return False
        hub = self.hub
        return hub is None or hub.id in (first_city, second_city)

    def partnerships(self) -> tuple[tuple[City, City], ...]:
        """The city pairs that report as partnerships: each hub–partner pair of a hub network,
        every pair of cities otherwise (the one pair of a two-city exchange)."""
        return tuple(
            (a, b)
            for i, a in enumerate(self.cities)
            for b in self.cities[i + 1 :]
            if self.may_pair(a.id, b.id)
        )

    def city_named(self, text: str, *, by_id: bool = False) -> City | None:
        """The city called `text` (any case, invisible characters ignored), or with that id
        when `by_id`; None if no city is."""
        wanted = same_name(text)
        for city in self.cities:
            if wanted == same_name(city.name) or (by_id and ascii_digits(wanted) == str(city.id)):
                return city
        return None


@dataclass(frozen=True, slots=True)
class Participant:
    """Someone in an exchange with their profile."""

    id: int
    partnership_id: int
    user_id: int
    role: Role
    display_name: str
    city_id: int | None
    status: ParticipantStatus
    grade_band: str | None = None
    languages: tuple[str, ...] = ()
    interests: tuple[str, ...] = ()
    intro: str = ""
    language: str = "en"  # the language the bot speaks to this person (from their profile)
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ProfileDraft:
    """A profile being filled in a /join or /profile panel, not on the roster until sent."""

    id: int
    partnership_id: int
    user_id: int
    city_id: int | None
    role: Role
    editing: bool  # changing a profile already on the roster (else joining)
    language: str  # the language the bot is to speak to them
    grade_band: str | None = None
    languages: tuple[str, ...] = ()
    interests: tuple[str, ...] = ()  # picked from INTERESTS
    other_interests: str = ""  # typed, comma-separated
    intro: str = ""
