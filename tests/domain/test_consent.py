"""Consent and age: who a round may pair, coverage per city, flagged bands (issue 23)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.consent import ConsentRecord, coverage, flagged_bands, has_consent, may_pair
from bot.domain.exchange import GRADE_BANDS, Participant, ParticipantStatus, Role, band_flagged
from bot.domain.prompts import fits_ages

NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)


def student(pid: int, city: int = 1, band: str | None = "13-15") -> Participant:
    return Participant(
        pid, 1, 1000 + pid, Role.STUDENT, f"S{pid}", city, ParticipantStatus.ACTIVE, band
    )


def on(pid: int, on_file: bool = True) -> ConsentRecord:
    return ConsentRecord(pid, on_file, 7, NOW)


def test_bands_start_at_discords_minimum_age() -> None:
    assert all(int(b.split("-")[0]) >= 13 for b in GRADE_BANDS)
    assert band_flagged("10-12")
    assert not band_flagged("13-15")
    assert not band_flagged(None)


def test_prompt_ages_still_suit_students_of_the_old_band() -> None:
    """A stored 10-12 profile keeps narrowing prompts by age until a teacher re-bands it."""
    assert not fits_ages("13-18", ["10-12"])
    assert fits_ages("10-15", ["10-12"])


def test_only_students_with_consent_on_file_are_paired_when_required() -> None:
    students = [student(1), student(2), student(3)]
    records = {1: on(1), 2: on(2, on_file=False)}
    allowed, held = may_pair(students, records, required=True)
    assert [s.id for s in allowed] == [1]
    assert [s.id for s in held] == [2, 3]  # withdrawn, and never recorded


def test_nobody_is_held_back_when_the_exchange_does_not_require_consent() -> None:
    students = [student(1), student(2)]
    allowed, held = may_pair(students, {}, required=False)
    assert (len(allowed), held) == (2, [])


def test_a_withdrawn_consent_holds_a_student_back_whatever_the_rule() -> None:
    """The rule decides whether a missing record is enough; a guardian's "no" is never."""
    students = [student(1), student(2), student(3)]
    allowed, held = may_pair(students, {1: on(1), 2: on(2, on_file=False)}, required=False)
    assert [s.id for s in allowed] == [1, 3]
    assert [s.id for s in held] == [2]


def test_coverage_counts_each_city_on_its_own() -> None:
    students = [student(1, 1), student(2, 1), student(3, 2)]
    found = {c.city_id: c for c in coverage(students, {1: on(1), 3: on(3, on_file=False)})}
    assert (found[1].students, found[1].on_file, found[1].missing) == (2, 1, 1)
    assert (found[2].students, found[2].on_file, found[2].share) == (1, 0, 0.0)


def test_withdrawn_consent_is_no_consent() -> None:
    assert has_consent(on(1))
    assert not has_consent(on(1, on_file=False))
    assert not has_consent(None)


def test_flagged_bands_names_students_under_13_only() -> None:
    students = [student(1, band="10-12"), student(2), student(3, band=None)]
    assert [s.id for s in flagged_bands(students)] == [1]
