"""The preview's warnings for a network: split into fields, within the room the embed has."""

from __future__ import annotations

from bot.limits import FIELD_VALUE
from cogs.sessions.answers import budgeted


def test_warnings_that_fit_are_all_kept_in_fields_of_discord_s_size() -> None:
    lines = [f"⚠️ City {n}: 3 of 3 sessions fall outside 07:00–21:00" + "." * 40 for n in range(40)]
    values = budgeted(lines, 10_000, "en")
    assert len(values) > 1 and all(len(v) <= FIELD_VALUE for v in values)
    assert "\n".join(values).split("\n") == lines


def test_warnings_past_the_room_are_counted_not_cut_silently() -> None:
    lines = [f"line {n:03d} " + "x" * 90 for n in range(60)]
    values = budgeted(lines, 2_000, "en")
    assert all(len(v) <= FIELD_VALUE for v in values)
    shown = [line for line in "\n".join(values).split("\n") if line.startswith("line ")]
    assert 0 < len(shown) < 60
    assert shown == lines[: len(shown)]  # whole lines, in order
    note = values[-1].rsplit("\n", 1)[1]
    assert note == f"… and {60 - len(shown)} more lines: schedule fewer dates to see them all."
    assert sum(map(len, values)) <= 2_000 + len(note)
