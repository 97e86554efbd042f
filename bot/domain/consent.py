"""Guardian consent and age: who may be paired, and how much of a city is covered.

Discord's Terms require users to be at least 13 (older in some countries); schools also need a
guardian's consent on file before a student talks with a partner abroad. A teacher records the
consent per student; an exchange that requires it (the default) pairs only students with
consent on file. Students without it still join and read announcements.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.domain.exchange import Participant, band_flagged

# Why a student is left out of a pairing round by this module.
NO_CONSENT = "no_consent"


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    """What a teacher recorded for one student: on file or withdrawn, by whom, when."""

    participant_id: int
    on_file: bool
    recorded_by: int
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class Coverage:
    """Consent coverage of one city's current students."""

    city_id: int | None
    students: int
    on_file: int

    @property
    def missing(self) -> int:
        return self.students - self.on_file

    @property
    def share(self) -> float:
        """The fraction covered (1.0 for a city with no students: nobody waits)."""
        return self.on_file / self.students if self.students else 1.0


def has_consent(record: ConsentRecord | None) -> bool:
    """Whether consent is on file (nothing recorded counts as not on file)."""
    return record is not None and record.on_file


def may_pair(
    students: Iterable[Participant],
    records: Mapping[int, ConsentRecord],
    *,
    required: bool,
) -> tuple[list[Participant], list[Participant]]:
    """(paired, held back): the students a round may place, and those waiting for consent
    (none on file while the rule requires it, or withdrawn whatever the rule).

    Applied before the pairing algorithm, so a student without consent is never in a group,
    and the preview can name who waits and why.
    """
    allowed: list[Participant] = []
    held: list[Participant] = []
    for student in students:
        record = records.get(student.id)
        # A guardian's withdrawal holds the student back whatever the exchange's rule: the
        # rule only decides whether a missing record is enough.
        withdrawn = record is not None and not record.on_file
        if withdrawn or (required and not has_consent(record)):
            held.append(student)
        else:
            allowed.append(student)
    return allowed, held


def coverage(
    students: Iterable[Participant], records: Mapping[int, ConsentRecord]
) -> list[Coverage]:
    """Coverage per city, in the order cities first appear among `students`."""
    counts: dict[int | None, list[int]] = {}
    for student in students:
        seen = counts.setdefault(student.city_id, [0, 0])
        seen[0] += 1
        seen[1] += has_consent(records.get(student.id))
    return [Coverage(city, total, on) for city, (total, on) in counts.items()]


def flagged_bands(students: Iterable[Participant]) -> list[Participant]:
    """Students whose stored band is under Discord's minimum age: teachers must set a new one."""
    return [s for s in students if band_flagged(s.grade_band)]
