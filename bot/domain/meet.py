""" "Did you meet?" check-ins: some days after a pairing round or a session, each pair is asked
privately whether they talked with their partner (yes / not yet / we need help).

One check-in per pair and occasion (the pair's start, or a session of the exchange held while
the pair runs); each student gives one answer, which they may change until the pair's next
check-in. Pairs whose students answered "not yet" at two check-ins in a row join the pairs
teachers are asked to nudge.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

# The days after an occasion a check-in may be set to come; 0 turns check-ins off.
MAX_DAYS = 28
# A check-in the bot could not post (it was down) is still worth posting this long after.
USEFUL_FOR = timedelta(days=3)
# "Not yet" at this many check-ins of a pair in a row: teachers are asked to nudge it.
NOT_YET_IN_A_ROW = 2


class Answer(StrEnum):
    YES = "yes"
    NOT_YET = "not_yet"
    HELP = "help"


@dataclass(frozen=True, slots=True)
class Occasion:
    """What a check-in follows: the pair's start (`pair`) or a session (`session:<id>`)."""

    key: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Tally:
    """Answers counted (one per student and check-in)."""

    yes: int = 0
    not_yet: int = 0
    help: int = 0

    @property
    def total(self) -> int:
        return self.yes + self.not_yet + self.help


def latest_occasion(
    pair_started: datetime, sessions: Iterable[tuple[int, datetime]], now: datetime
) -> Occasion:
    """The latest thing a pair's check-in follows: a session held (begun) since the pair
    started, else the pair's start."""
    held = [(at, sid) for sid, at in sessions if pair_started <= at <= now]
    if not held:
        return Occasion("pair", pair_started)
    at, sid = max(held)
    return Occasion(f"session:{sid}", at)


def due_at(occasion: Occasion, days: int) -> datetime:
    return occasion.at + timedelta(days=days)


def tally(answers: Iterable[str]) -> Tally:
    found = list(answers)
    return Tally(
        yes=found.count(Answer.YES),
        not_yet=found.count(Answer.NOT_YET),
        help=found.count(Answer.HELP),
    )


def dormant_by_answers(
    checkins: Mapping[int, Sequence[tuple[int, Sequence[str]]]],
) -> set[int]:
    """Pairs (by id) whose last NOT_YET_IN_A_ROW check-ins each had a "not yet" and no "yes".

    `checkins`: pair id -> its check-ins oldest first, each (check-in id, the answers given).
    """
    quiet: set[int] = set()
    for pair_id, rows in checkins.items():
        answered = [a for _, a in rows if a]
        last = answered[-NOT_YET_IN_A_ROW:]
        if len(last) == NOT_YET_IN_A_ROW and all(
            Answer.NOT_YET in a and Answer.YES not in a for a in last
        ):
            quiet.add(pair_id)
    return quiet
