"""Cooldowns: at most `rate` uses in any window, per key, with the time to retry."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.cooldown import Cooldowns, SlidingWindow

START = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)


def test_uses_within_the_rate_are_allowed() -> None:
    """Three uses in a three-per-minute window all pass."""
    window = SlidingWindow(3, timedelta(minutes=1))
    assert [window.hit("ben", START + timedelta(seconds=i)) for i in range(3)] == [None] * 3


def test_one_use_too_many_says_when_to_retry() -> None:
    """The fourth use is refused until the first one leaves the window."""
    window = SlidingWindow(3, timedelta(minutes=1))
    for i in range(3):
        window.hit("ben", START + timedelta(seconds=i * 10))
    assert window.hit("ben", START + timedelta(seconds=30)) == START + timedelta(minutes=1)
    assert window.hit("ben", START + timedelta(minutes=1)) is None


def test_a_refused_use_does_not_count() -> None:
    """Hammering while refused does not push the retry time further."""
    window = SlidingWindow(1, timedelta(minutes=1))
    window.hit("ben", START)
    for i in range(10):
        assert window.hit("ben", START + timedelta(seconds=i)) == START + timedelta(minutes=1)


def test_keys_are_independent() -> None:
    """One student's flood never slows another."""
    window = SlidingWindow(1, timedelta(minutes=1))
    window.hit("ben", START)
    assert window.hit("ali", START) is None


def test_buckets_are_independent_and_shared_by_name() -> None:
    """Commands sharing a bucket share the count; other buckets do not."""
    cooldowns = Cooldowns()
    per = timedelta(minutes=10)
    assert cooldowns.hit("report", "ben", START, rate=1, per=per) is None
    assert cooldowns.hit("report", "ben", START, rate=1, per=per) is not None
    assert cooldowns.hit("answer", "ben", START, rate=1, per=per) is None


def test_idle_keys_are_forgotten(monkeypatch: pytest.MonkeyPatch) -> None:
    """Memory stays bounded: keys idle for a whole window are dropped."""
    monkeypatch.setattr("bot.domain.cooldown.PRUNE_ABOVE", 5)
    window = SlidingWindow(1, timedelta(minutes=1))
    for i in range(5):
        window.hit(i, START)
    window.hit("late", START + timedelta(minutes=2))
    assert list(window._uses) == ["late"]


def test_a_window_needs_a_positive_rate() -> None:
    with pytest.raises(ValueError, match="positive"):
        SlidingWindow(0, timedelta(minutes=1))


def test_a_use_given_back_frees_its_place() -> None:
    """A refused action's use is taken back: the next one passes; other uses still count."""
    cooldowns = Cooldowns()
    per = timedelta(minutes=10)
    assert cooldowns.hit("space", "ben", START, rate=2, per=per) is None
    later = START + timedelta(seconds=1)
    assert cooldowns.hit("space", "ben", later, rate=2, per=per) is None
    cooldowns.refund("space", "ben", later)
    assert cooldowns.hit("space", "ben", later, rate=2, per=per) is None
    assert cooldowns.hit("space", "ben", later, rate=2, per=per) is not None
    cooldowns.refund("nothing counted here", "ben", later)  # harmless
