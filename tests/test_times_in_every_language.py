"""Days and times people read, in each of the five languages as CLDR writes them (issue 22):
never ISO dates or a 24-hour clock built by hand. English "3:00 PM", French "15:00", Arabic
"3:00 م" (Latin digits, as bot.cldr decided), each city's zone named in the reader's words."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain import sessions as rules
from bot.domain.exchange import City, Exchange
from bot.domain.suggest import Local
from bot.errors import BotMissingPermissionError, UserError
from bot.i18n import unisolated
from bot.services.session_plans import description_for
from bot.services.session_port import EventRefusedError
from bot.services.surveys import closed_error
from bot.store.sessions import OccurrenceRecord
from cogs.common.errors import render_error
from cogs.sessions.suggest import city_line
from cogs.sessions.words import (
    city_times,
    rule_text,
    school_hours,
    warning_line,
    with_event_warning,
)

LANGUAGES = ("en", "ar", "es", "fr", "tr")
# 20:00 UTC on Tuesday 6 October 2026: 15:00 in Chicago (summer time), 23:00 in Najaf.
START = datetime(2026, 10, 6, 20, tzinfo=UTC)
END = START + timedelta(hours=1)
CHICAGO, BAGHDAD = "America/Chicago", "Asia/Baghdad"
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")

# Chicago's 15:00–16:00, as each language writes it; its day; its zone's name.
CHICAGO_SPAN = {
    "en": ("3:00\u202fPM–4:00\u202fPM", "Tue, Oct 6, 2026", "Central Daylight Time"),
    "ar": ("3:00 م–4:00 م", "الثلاثاء، 6 أكتوبر 2026", "التوقيت الصيفي المركزي لأمريكا الشمالية"),
    "es": ("15:00–16:00", "mar, 6 oct 2026", "hora de verano central"),
    "fr": ("15:00–16:00", "mar. 6 oct. 2026", "heure d’été du centre nord-américain"),
    "tr": ("15:00–16:00", "6 Eki 2026 Sal", "Kuzey Amerika Merkezi Yaz Saati"),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_city_s_clock_under_a_post(language: str) -> None:
    """A post's city lines: the city's own day and clock, with its zone's name, in the
    reader's language; a span past midnight names the next day too."""
    text = unisolated(
        city_times(START, END, (("Minneapolis", CHICAGO), ("Najaf", BAGHDAD)), language)
    )
    clock, day, zone = CHICAGO_SPAN[language]
    minneapolis, najaf = text.split("\n")
    assert "Minneapolis" in minneapolis and f"{day} {clock} ({zone})" in minneapolis
    assert "Najaf" in najaf and not ISO_DAY.search(text)
    late = {"en": "11:00\u202fPM", "ar": "11:00 م", "es": "23:00", "fr": "23:00", "tr": "23:00"}
    midnight = {"en": "12:00\u202fAM", "ar": "12:00 ص", "es": "0:00", "fr": "00:00", "tr": "00:00"}
    assert f"{late[language]} – " in najaf and f" {midnight[language]} (" in najaf


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_discord_event_gives_every_city_in_each_language_the_exchange_reads(
    language: str,
) -> None:
    """The event's description (Discord renders no timestamps there): a block per language of
    the exchange, each city's time in it."""
    cities = (
        City(1, 0, "Minneapolis", CHICAGO, ("en",), frozenset({6, 7})),
        City(2, 1, "Najaf", BAGHDAD, (language,), frozenset({5, 6})),
    )
    exchange = Exchange(1, 1, "Minneapolis–Najaf", cities)
    occurrence = OccurrenceRecord(
        1, 1, START, START, END, rules.OccurrenceStatus.SCHEDULED, 0, None, None, None, None
    )
    text = unisolated(description_for(exchange, occurrence))
    assert text.startswith("Minneapolis–Najaf\n\n")
    clock, day, zone = CHICAGO_SPAN[language]
    assert f"Minneapolis{':' if language != 'fr' else ' :'} {day} {clock} ({zone})" in text
    assert "Minneapolis: Tue, Oct 6, 2026 3:00\u202fPM–4:00\u202fPM" in text  # English always
    assert not ISO_DAY.search(text) and "15:00–16:00" not in text.split("\n\n")[1]


WALLS = {
    "en": ("12:00\u202fAM", "11:00\u202fPM", "November 4, 2026", "7:00\u202fAM", "9:00\u202fPM"),
    "ar": ("12:00 ص", "11:00 م", "4 نوفمبر 2026", "7:00 ص", "9:00 م"),
    "es": ("0:00", "23:00", "4 de noviembre de 2026", "7:00", "21:00"),
    "fr": ("00:00", "23:00", "4 novembre 2026", "07:00", "21:00"),
    "tr": ("00:00", "23:00", "4 Kasım 2026", "07:00", "21:00"),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_preview_s_warnings_write_days_and_clocks_the_reader_s_way(language: str) -> None:
    """Clock change, school hours and a skipped hour: CLDR days and times, the school day
    itself too."""
    baghdad = ZoneInfo(BAGHDAD)
    before = datetime(2026, 10, 6, 23, tzinfo=baghdad)
    after = datetime(2026, 11, 4, 0, tzinfo=baghdad)
    midnight, late, day, opens, closes = WALLS[language]
    change = unisolated(
        warning_line(
            rules.Warning("clock_change", "Najaf", example=after, before=before, after=after),
            language,
        )
    )
    assert day in change and midnight in change and late in change
    hours = unisolated(
        warning_line(
            rules.Warning(
                "hours", "Najaf", 3, 3, example=before, until=before + timedelta(hours=1)
            ),
            language,
        )
    )
    assert f"{opens}–{closes}" in hours and late in hours
    chicago = ZoneInfo(CHICAGO)
    skipped = datetime(2027, 3, 14, 2, 30, tzinfo=chicago)
    gap = unisolated(
        warning_line(
            rules.Warning(
                "gap", CHICAGO, example=skipped, before=skipped, after=skipped.replace(hour=3)
            ),
            language,
        )
    )
    half = {"en": "2:30\u202fAM", "ar": "2:30 ص", "es": "2:30", "fr": "02:30", "tr": "02:30"}
    assert half[language] in gap
    for text in (change, hours, gap):
        assert not ISO_DAY.search(text)
    assert school_hours(language) == {"opens": opens, "closes": closes}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_rule_names_its_wall_time_the_reader_s_way(language: str) -> None:
    text = unisolated(
        rule_text(rules.describe("FREQ=WEEKLY;BYDAY=TU"), language, time(15), CHICAGO)
    )
    expected = {"en": "3:00\u202fPM", "ar": "3:00 م", "es": "15:00", "fr": "15:00", "tr": "15:00"}
    assert f"{expected[language]} ({CHICAGO})" in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_suggested_hours_are_each_city_s_clock_the_reader_s_way(language: str) -> None:
    local = Local("Najaf", BAGHDAD, time(17, 30), time(18, 30), (2, 3, 4), True)
    text = unisolated(city_line(local, language))
    expected = {
        "en": "5:30\u202fPM–6:30\u202fPM",
        "ar": "5:30 م–6:30 م",
        "es": "17:30–18:30",
        "fr": "17:30–18:30",
        "tr": "17:30–18:30",
    }
    assert expected[language] in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_days_and_hours_services_name_are_written_by_the_edge(language: str) -> None:
    """A service names a day, a wall time or a moment, not text: a refused first due day and
    school hours the CLDR way; a survey's closing a Discord timestamp in a message and CLDR in
    plain text."""
    due = UserError("rounds.error.start_past", day=date(2026, 8, 1))
    august = {
        "en": "August 1, 2026",
        "ar": "1 أغسطس 2026",
        "es": "1 de agosto de 2026",
        "fr": "1 août 2026",
        "tr": "1 Ağustos 2026",
    }
    assert august[language] in unisolated(render_error(due, language))
    hours = UserError("error.suggest_hours", start=time(18), end=time(8), minutes=60)
    evening = {"en": "6:00\u202fPM", "ar": "6:00 م", "es": "18:00", "fr": "18:00", "tr": "18:00"}
    assert evening[language] in unisolated(render_error(hours, language))

    class Closed:
        title = "Before the exchange"
        closed_at = START

    error = closed_error(Closed())  # type: ignore[arg-type]
    assert f"<t:{int(START.timestamp())}:f>" in render_error(error, language)
    plain = unisolated(render_error(error, language, markdown=False))
    assert not ISO_DAY.search(plain)
    october = {"en": "October 6, 2026", "ar": "6 أكتوبر 2026", "es": "6 de octubre de 2026"}
    october |= {"fr": "6 octobre 2026", "tr": "6 Ekim 2026"}
    assert october[language] in plain


SINGULAR = {
    "en": "I need the **Manage Roles** permission for that. Ask a server admin to grant it",
    "ar": "أحتاج إلى صلاحية **إدارة الأدوار** لذلك",
    "es": "Necesito el permiso **Gestionar roles** para eso",
    "fr": "J'ai besoin de la permission **Gérer les rôles** pour ça",
    "tr": "Bunun için **Rolleri Yönet** iznine ihtiyacım var",
}
PLURAL = {
    "en": "the **Manage Roles and Manage Channels** permissions for that. Ask a server admin to "
    "grant them",
    "ar": "صلاحيتَي",
    "es": "los permisos **Gestionar roles y Gestionar canales**",
    "fr": "des permissions **Gérer les rôles et Gérer les salons**",
    "tr": "izinlerine",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_missing_permission_is_singular_and_two_are_plural(language: str) -> None:
    one = BotMissingPermissionError("error.bot_missing_permission", permission=("manage_roles",))
    two = BotMissingPermissionError(
        "error.bot_missing_permission", permission=("manage_roles", "manage_channels")
    )
    assert SINGULAR[language] in unisolated(render_error(one, language))
    assert PLURAL[language] in unisolated(render_error(two, language))


GIVE = {
    "en": ("**Manage Events** in that channel. Give it", "in that channel. Give them"),
    "ar": ("صلاحية **إدارة الفعاليات**", "صلاحيتَي"),
    "es": ("Dáselo a su rol", "Dáselos a su rol"),
    "fr": ("Accordez-la à son rôle", "Accordez-les à son rôle"),
    "tr": ("**Etkinlikleri Yönet** iznine sahip", "izinlerine sahip"),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_event_refused_in_a_channel_names_one_permission_or_several(language: str) -> None:
    one = EventRefusedError("channel", "", missing=("manage_events",), channel_id=1)
    two = EventRefusedError("channel", "", missing=("manage_events", "connect"), channel_id=1)
    singular, plural = GIVE[language]
    assert singular in unisolated(with_event_warning("", one, language))
    assert plural in unisolated(with_event_warning("", two, language))
