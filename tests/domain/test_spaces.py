"""Where pairs live, and how many waking hours two cities share."""

from datetime import UTC, date, datetime

import pytest

from bot.domain.spaces import (
    category_name,
    is_pair_space_name,
    plan_spaces,
    same_name,
    shared_waking_window,
    space_name,
    utc_offset_minutes,
    waking_overlap_hours,
)


@pytest.mark.parametrize(
    ("existing", "pairs", "free_slots", "kind", "categories"),
    [
        (3, 10, 0, "channels", 1),
        (3, 50, 0, "channels", 1),
        (3, 51, 0, "channels", 2),
        (3, 40, 45, "channels", 0),
        (480, 30, 0, "threads", 0),
        (449, 50, 0, "channels", 1),
        (450, 50, 0, "threads", 0),
    ],
)
def test_channels_while_they_fit_then_threads(
    existing: int, pairs: int, free_slots: int, kind: str, categories: int
) -> None:
    """Channels (plus the categories they need) while under 500 a guild, else threads."""
    plan = plan_spaces(existing, pairs, free_slots)
    assert (plan.kind, plan.categories) == (kind, categories)


def test_minneapolis_and_najaf_share_five_waking_hours_in_winter() -> None:
    """07–21 in Chicago (UTC-6) and Baghdad (UTC+3) overlap 13:00–18:00 UTC."""
    assert waking_overlap_hours("America/Chicago", "Asia/Baghdad", date(2026, 12, 1)) == 5.0


def test_summer_time_in_chicago_adds_an_hour_of_overlap() -> None:
    """With daylight saving (UTC-5), the overlap grows to six hours."""
    assert waking_overlap_hours("America/Chicago", "Asia/Baghdad", date(2027, 6, 1)) == 6.0


def test_same_zone_overlaps_all_waking_day() -> None:
    """Two cities in one zone share the whole 14-hour waking day."""
    assert waking_overlap_hours("Europe/London", "Europe/London", date(2026, 12, 1)) == 14.0


def test_space_names_carry_no_student_names() -> None:
    """Channel names are neutral numbers."""
    assert space_name(7) == "pair-007"


def test_offsets_follow_daylight_saving() -> None:
    """Chicago is UTC-6 in winter and UTC-5 in summer; Baghdad is UTC+3 all year."""
    winter, summer = datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 6, 1, tzinfo=UTC)
    assert utc_offset_minutes("America/Chicago", winter) == -360
    assert utc_offset_minutes("America/Chicago", summer) == -300
    assert utc_offset_minutes("Asia/Baghdad", summer) == 180
    assert utc_offset_minutes("Asia/Kolkata", winter) == 330


def test_minneapolis_and_najaf_are_awake_together_from_13_to_18_utc_in_winter() -> None:
    """The shared stretch is the same five hours as `waking_overlap_hours` counts."""
    window = shared_waking_window(
        ["America/Chicago", "Asia/Baghdad"], datetime(2026, 12, 1, 9, tzinfo=UTC)
    )
    assert window == (datetime(2026, 12, 1, 13, tzinfo=UTC), datetime(2026, 12, 1, 18, tzinfo=UTC))


def test_after_todays_window_the_next_days_is_given() -> None:
    """Asked in the evening, the window is tomorrow's; while it lasts, today's."""
    zones = ["America/Chicago", "Asia/Baghdad"]
    late = shared_waking_window(zones, datetime(2026, 12, 1, 19, tzinfo=UTC))
    during = shared_waking_window(zones, datetime(2026, 12, 1, 15, tzinfo=UTC))
    assert late is not None and late[0] == datetime(2026, 12, 2, 13, tzinfo=UTC)
    assert during is not None and during[0] == datetime(2026, 12, 1, 13, tzinfo=UTC)


def test_a_trio_across_three_zones_shares_the_narrowest_window() -> None:
    """Every member must be awake: Los Angeles, Chicago and Baghdad share 15:00-18:00 UTC."""
    window = shared_waking_window(
        ["America/Los_Angeles", "America/Chicago", "Asia/Baghdad"],
        datetime(2026, 12, 1, 9, tzinfo=UTC),
    )
    assert window == (datetime(2026, 12, 1, 15, tzinfo=UTC), datetime(2026, 12, 1, 18, tzinfo=UTC))


def test_zones_twelve_hours_apart_share_mornings_and_evenings() -> None:
    """Chicago (UTC-6) and Kolkata (UTC+5:30): each one's evening is the other's morning."""
    window = shared_waking_window(
        ["America/Chicago", "Asia/Kolkata"], datetime(2026, 12, 1, 0, tzinfo=UTC)
    )
    assert window is not None
    start, end = window
    assert (end - start).total_seconds() / 3600 == 1.5


@pytest.mark.parametrize(
    ("name", "ours"),
    [
        ("pair-001", True),
        ("archived-pair-012", True),
        ("pair-1234", True),
        ("closed-pair-001", False),
        ("pair-1", False),
        ("pair-001-notes", False),
        ("teachers-notes", False),
    ],
)
def test_pair_spaces_are_known_by_the_name_the_bot_gives(name: str, ours: bool) -> None:
    """Only names the bot gives paired spaces (archived or not) count as one of its spaces."""
    assert is_pair_space_name(name) is ours


def test_a_name_discord_shows_is_matched_with_the_one_given() -> None:
    """Discord lower-cases text channel names and turns spaces into dashes; a long name was
    clipped with an ellipsis; another number is another space."""
    assert same_name("pair-002", "pair-002")
    assert not same_name("pair-002", "pair-003")
    assert same_name("minneapolis–najaf-pairs", "Minneapolis–Najaf pairs")
    assert same_name(category_name("Minneapolis–Najaf", 2), "Minneapolis–Najaf · pairs 2")
    long = category_name("E" * 120, 1)
    assert same_name(long[:99] + "…", long)
    assert not same_name(long[:99] + "…", category_name("F" * 120, 1))
