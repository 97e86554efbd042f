""" "Did you meet?" rules: the occasion a check-in follows, counts, pairs to nudge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.meet import Answer, Occasion, dormant_by_answers, due_at, latest_occasion, tally

START = datetime(2026, 10, 1, 12, tzinfo=UTC)


def test_a_new_pair_is_asked_after_its_start() -> None:
    found = latest_occasion(START, [], START + timedelta(days=2))
    assert found == Occasion("pair", START)
    assert due_at(found, 7) == START + timedelta(days=7)


def test_the_latest_session_held_since_the_pair_started_is_the_occasion() -> None:
    before = START - timedelta(days=3)
    first, second = START + timedelta(days=5), START + timedelta(days=12)
    later = START + timedelta(days=40)  # not held yet
    now = START + timedelta(days=13)
    found = latest_occasion(START, [(1, before), (2, first), (3, second), (4, later)], now)
    assert found == Occasion("session:3", second)


def test_tally_counts_each_answer() -> None:
    found = tally(["yes", "yes", "not_yet", "help"])
    assert (found.yes, found.not_yet, found.help, found.total) == (2, 1, 1, 4)


def test_not_yet_twice_in_a_row_makes_a_pair_to_nudge() -> None:
    history = {
        1: [(10, [Answer.NOT_YET]), (11, [Answer.NOT_YET, Answer.NOT_YET])],
        2: [(12, [Answer.NOT_YET]), (13, [Answer.YES])],  # met at last
        3: [(14, [Answer.NOT_YET])],  # once only
        4: [(15, [Answer.NOT_YET]), (16, []), (17, [Answer.NOT_YET])],  # unanswered skipped
        5: [(18, [Answer.NOT_YET, Answer.YES]), (19, [Answer.NOT_YET])],  # one of them met
    }
    assert dormant_by_answers(history) == {1, 4}
