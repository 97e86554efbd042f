"""The directory's rules: no contact details in notes, school-day overlap across zones and
seasons, and ranking with its reasons."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.domain.directory import (
    Filters,
    Listing,
    check_free_text,
    contact_in,
    local_window,
    parse_country,
    parse_months,
    parse_themes,
    rank,
    reference_day,
    school_overlap,
)
from bot.domain.exchange import ProfileError

NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)


def listing(listing_id: int, guild_id: int, city: str, zone: str, **changes: object) -> Listing:
    base = Listing(
        id=listing_id,
        guild_id=guild_id,
        city=city,
        country="US",
        timezone=zone,
        languages=("en",),
        age_bands=("13-15",),
        class_size=25,
        themes=(),
        months=tuple(range(1, 13)),
        note="",
        active=True,
        expires_at=NOW + timedelta(days=90),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Write to ms.rivera@school.org", "email"),
        ("rivera (at) school (dot) org", "email"),
        ("call +1 612 555 0134", "phone"),
        ("WhatsApp 6125550134 after class", "phone"),
        ("Iraq: ٠٧٨٠ ١٢٣ ٤٥٦٧", "phone"),
        ("(612) 555-0134", "phone"),
        ("see https://school.example.org", "link"),
        ("join discord.gg/abcdef", "link"),
        ("www.school.org", "link"),
    ],
)
def test_contact_details_are_found(text: str, kind: str) -> None:
    assert contact_in(text) == kind
    with pytest.raises(ProfileError) as raised:
        check_free_text(text)
    assert raised.value.key == f"seek.error.contact_{kind}"


@pytest.mark.parametrize(
    "text",
    [
        "We run 2026-2027, ages 13-15, about 25 students.",
        "Grade 9 and 10, 3 classes, from 08:00 to 15:30",
        "Chess club since 1998 ♟️ — مرحبا",
        "Room 12, 30 students",
        "Classes start at 8.30 each day; we meet at noon.Then lunch.",
    ],
)
def test_ordinary_school_words_are_not_contact_details(text: str) -> None:
    assert contact_in(text) is None
    assert check_free_text(text) == text


def test_a_note_over_the_limit_is_refused() -> None:
    with pytest.raises(ProfileError) as raised:
        check_free_text("a" * 501)
    assert raised.value.key == "error.too_long"


def test_months_read_ranges_names_numbers_and_wrap_around_the_new_year() -> None:
    assert parse_months("sep-dec, feb") == (2, 9, 10, 11, 12)
    assert parse_months("oct-mar") == (1, 2, 3, 10, 11, 12)
    assert parse_months("9-12") == (9, 10, 11, 12)
    assert parse_months("") == tuple(range(1, 13))
    with pytest.raises(ProfileError):
        parse_months("spring")


def test_countries_by_code_or_english_name() -> None:
    assert parse_country("gh") == "GH"
    assert parse_country("Ghana") == "GH"
    with pytest.raises(ProfileError):
        parse_country("Atlantis")


def test_themes_are_bounded_and_carry_no_contacts() -> None:
    assert parse_themes("Chess, sport; chess") == ("chess", "sport")
    with pytest.raises(ProfileError):
        parse_themes(",".join(f"t{i}" for i in range(7)))
    with pytest.raises(ProfileError):
        parse_themes("chess, me@x.org")


def test_school_days_overlap_computed_in_both_cities_clocks() -> None:
    # Minneapolis (UTC−6 in winter) and Kumasi (UTC+0): 08:00–16:00 Kumasi is 02:00–10:00 in
    # Minneapolis, so they share 08:00–10:00 Minneapolis = 14:00–16:00 Kumasi: two hours.
    day = date(2026, 12, 9)
    overlap = school_overlap("America/Chicago", "Africa/Accra", day)
    assert overlap.hours == 2
    assert local_window(overlap, "America/Chicago") == (time(8), time(10))
    assert local_window(overlap, "Africa/Accra") == (time(14), time(16))
    # Minneapolis and Najaf (UTC+3): nine hours apart, no shared school hour.
    assert school_overlap("America/Chicago", "Asia/Baghdad", day).hours == 0
    assert local_window(school_overlap("America/Chicago", "Asia/Baghdad", day), "UTC") is None


def test_daylight_saving_time_changes_the_overlap() -> None:
    # Chicago moves to UTC−5 in summer: Kumasi's school day then overlaps three hours.
    winter = school_overlap("America/Chicago", "Africa/Accra", date(2026, 12, 9))
    summer = school_overlap("America/Chicago", "Africa/Accra", date(2027, 5, 12))
    assert (winter.hours, summer.hours) == (2, 3)


def test_the_reference_day_is_the_coming_wednesday() -> None:
    assert reference_day(NOW) == date(2026, 12, 9)  # a Sunday → that week's Wednesday
    wednesday = datetime(2026, 12, 9, 9, tzinfo=UTC)
    assert reference_day(wednesday) == date(2026, 12, 16)


def test_ranking_puts_overlap_and_a_shared_language_first_with_reasons() -> None:
    mine = listing(1, 100, "Minneapolis", "America/Chicago", themes=("chess",))
    kumasi = listing(2, 200, "Kumasi", "Africa/Accra", country="GH", themes=("chess",))
    najaf = listing(3, 300, "Najaf", "Asia/Baghdad", country="IQ", languages=("ar",))
    found = rank(mine, [najaf, kumasi], NOW)
    assert [m.listing.city for m in found] == ["Kumasi", "Najaf"]
    keys = [r.key for r in found[0].reasons]
    assert keys[:4] == [
        "seek.reason.overlap",
        "seek.reason.language",
        "seek.reason.ages",
        "seek.reason.themes",
    ]
    assert found[0].score == sum(r.points for r in found[0].reasons)
    assert next(r.key for r in found[1].reasons) == "seek.reason.no_overlap"


def test_ranking_leaves_out_own_server_paused_expired_blocked_and_filtered() -> None:
    mine = listing(1, 100, "Minneapolis", "America/Chicago")
    same_server = listing(2, 100, "St Paul", "America/Chicago")
    paused = listing(3, 200, "Kumasi", "Africa/Accra", active=False)
    expired = listing(4, 300, "Accra", "Africa/Accra", expires_at=NOW)
    blocked = listing(5, 400, "Monrovia", "Africa/Monrovia", country="LR")
    french = listing(6, 500, "Dakar", "Africa/Dakar", country="SN", languages=("fr",))
    older = listing(7, 600, "Chisinau", "Europe/Chisinau", country="MD", age_bands=("16-18",))
    others = [same_server, paused, expired, blocked, french, older]
    found = rank(mine, others, NOW, hidden_servers=[400])
    assert {m.listing.city for m in found} == {"Dakar", "Chisinau"}
    assert [m.listing.city for m in rank(mine, others, NOW, Filters(language="fr"))] == ["Dakar"]
    assert [m.listing.city for m in rank(mine, others, NOW, Filters(country="MD"))] == ["Chisinau"]
    assert [m.listing.city for m in rank(mine, others, NOW, Filters(age_band="16-18"))] == [
        "Chisinau"
    ]
