"""Where pairs live, and how many waking hours two cities share."""

from datetime import date

import pytest

from bot.domain.spaces import plan_spaces, space_name, waking_overlap_hours


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
