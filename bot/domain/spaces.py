"""Where pairs talk: private channels while Discord's limits allow, private threads beyond."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.i18n import DEFAULT_LANGUAGE, t
from bot.pseudo import unmarked

CHANNELS_PER_CATEGORY = 50
CHANNELS_PER_GUILD = 500
WAKING_START = time(7, 0)
WAKING_END = time(21, 0)


@dataclass(frozen=True, slots=True)
class SpacePlan:
    """How a round's pairs will be housed."""

    kind: str  # "channels" or "threads"
    categories: int  # categories needed (channels only)
    free_channels: int  # what the guild had left before this round


def plan_spaces(
    existing_channels: int,
    pairs: int,
    reusable_category_slots: int = 0,
    *,
    per_category: int = CHANNELS_PER_CATEGORY,
    guild_limit: int = CHANNELS_PER_GUILD,
) -> SpacePlan:
    """Channels if the pairs plus their categories fit under the guild limit, else threads.

    `reusable_category_slots` counts free places in the exchange's existing categories.
    Threads need one parent channel, so they always fit while one channel slot is free.
    """
    free = guild_limit - existing_channels
    overflow = max(0, pairs - reusable_category_slots)
    categories = math.ceil(overflow / per_category)
    if pairs + categories <= free:
        return SpacePlan("channels", categories, free)
    return SpacePlan("threads", 0, free)


def waking_overlap_hours(zone_a: str, zone_b: str, on: date) -> float:
    """Hours on a given day when it is between 07:00 and 21:00 in both cities."""
    a, b = ZoneInfo(zone_a), ZoneInfo(zone_b)
    start_a = datetime.combine(on, WAKING_START, a)
    end_a = datetime.combine(on, WAKING_END, a)
    best = timedelta(0)
    # The partner's waking window may fall on the previous, same or next local date.
    for shift in (-1, 0, 1):
        day_b = on + timedelta(days=shift)
        start_b = datetime.combine(day_b, WAKING_START, b)
        end_b = datetime.combine(day_b, WAKING_END, b)
        overlap = min(end_a, end_b) - max(start_a, start_b)
        best = max(best, overlap)
    return best.total_seconds() / 3600


def utc_offset_minutes(zone: str, at: datetime) -> int:
    """The zone's offset from UTC at an instant, in minutes (Chicago in winter: -360)."""
    offset = at.astimezone(ZoneInfo(zone)).utcoffset()
    assert offset is not None
    return int(offset.total_seconds() // 60)


def shared_waking_window(
    zones: Sequence[str], around: datetime
) -> tuple[datetime, datetime] | None:
    """The stretch of the day around `around` when it is 07:00-21:00 in every zone (UTC).

    The first such stretch that has not ended yet, so a welcome post can show it as a
    daily time window; None when the zones share no waking hour at all.
    """
    if not zones:
        return None
    now = around.astimezone(UTC)
    common: list[tuple[datetime, datetime]] = [(now - timedelta(days=2), now + timedelta(days=3))]
    for name in dict.fromkeys(zones):
        zone = ZoneInfo(name)
        local_day = now.astimezone(zone).date()
        awake = [
            (
                datetime.combine(local_day + timedelta(days=shift), WAKING_START, zone),
                datetime.combine(local_day + timedelta(days=shift), WAKING_END, zone),
            )
            for shift in (-1, 0, 1, 2)
        ]
        common = [
            (max(a_start, b_start), min(a_end, b_end))
            for a_start, a_end in common
            for b_start, b_end in awake
            if max(a_start, b_start) < min(a_end, b_end)
        ]
    upcoming = sorted((s.astimezone(UTC), e.astimezone(UTC)) for s, e in common if e > now)
    return upcoming[0] if upcoming else None


def space_name(index: int) -> str:
    """A neutral channel name: no student names in the channel list."""
    return f"pair-{index:03d}"


_PAIR_SPACE = re.compile(r"(archived-)?pair-\d{3,}")


def is_pair_space_name(name: str) -> bool:
    """Whether a channel or thread is named as the bot names paired spaces (archived or not)."""
    return _PAIR_SPACE.fullmatch(name) is not None


def category_name(exchange: str, number: int, language: str = DEFAULT_LANGUAGE) -> str:
    """The name of an exchange's `number`-th category of paired channels."""
    return t("pairing.category_name", language, exchange=exchange, number=number)


def thread_parent_name(exchange: str, language: str = DEFAULT_LANGUAGE) -> str:
    """The name of the channel holding an exchange's private pair threads."""
    return t("pairing.thread_parent_name", language, exchange=exchange)


def same_name(shown: str, given: str) -> bool:
    """Whether a name Discord shows is the one the bot gave: text channel names come back
    lower-cased with dashes for spaces, and a long name was clipped (ending in "…")."""

    def plain(name: str) -> str:
        # The pseudo-locale's marks (bot.pseudo) are no part of a name.
        return re.sub(r"[\s-]+", "-", unmarked(name).strip().casefold())

    if shown.endswith("…"):
        return plain(given).startswith(plain(shown[:-1]))
    return plain(shown) == plain(given)
