"""Roll call marks in the report maths: the teacher's mark stands over the evidence, excused
students are not expected, and voice counts from a share of the session."""

from __future__ import annotations

import csv
import io

from bot.domain.reporting import (
    Evidence,
    StudentActivity,
    Tally,
    attendance,
    attendance_csv,
    seen_from,
    student_report,
    voice_needed,
)
from tests.domain.test_reporting import ALI, BEN, MAYA, MPLS, NAJAF, ZAINAB, Period, seen, slot

SLOTS = [slot(1), slot(2), slot(3)]


def test_a_teachers_present_counts_a_student_the_bot_never_saw() -> None:
    """Six students at two computers never press check-in: the teacher's marks count them."""
    evidence = seen({BEN: "nnn", MAYA: "yyy"})
    marks = {(1, BEN.id): "present", (2, BEN.id): "late", (3, BEN.id): "present"}
    report = attendance([MPLS, NAJAF], SLOTS, [BEN, MAYA], evidence, marks)
    ben = next(s for s in report.students if s.student is BEN)
    assert ben.tally == Tally(expected=3, attended=3, marked=3, excused=0)
    assert not ben.flagged
    city = report.city(MPLS.id)
    assert city is not None
    assert city.tally == Tally(expected=6, attended=6, marked=3, excused=0)


def test_absent_stands_over_a_check_in() -> None:
    """A check-in pressed for a friend is undone by the teacher's "absent"."""
    report = attendance([MPLS], SLOTS[:1], [BEN], seen({BEN: "y"}), {(1, BEN.id): "absent"})
    assert report.students[0].tally == Tally(1, 0, 1, 0)


def test_excused_is_not_expected_and_is_no_miss_in_a_row() -> None:
    """Excused, then missed: one miss, not two in a row; the rate counts only the expected."""
    marks = {(1, ALI.id): "excused"}
    report = attendance([NAJAF], SLOTS[:2], [ALI, ZAINAB], seen({ZAINAB: "yy"}), marks)
    ali = next(s for s in report.students if s.student is ALI)
    assert ali.tally == Tally(expected=1, attended=0, marked=1, excused=1)
    assert ali.longest_missed_run == 1
    assert not ali.flagged
    assert report.flagged == ()
    assert report.sessions[0].by_city[NAJAF.id] == Tally(1, 1, 1, 1)
    assert report.total == Tally(expected=3, attended=2, marked=1, excused=1)
    # Without the excuse the same absences are two in a row.
    plain = attendance([NAJAF], SLOTS[:2], [ALI], set())
    assert plain.students[0].flagged


def test_an_excused_session_between_two_misses_is_skipped_not_a_break() -> None:
    """Ignoring an excused absence means the run goes on across it: missed, excused, missed
    is two expected sessions missed one after another."""
    marks = {(2, ALI.id): "excused"}
    report = attendance([NAJAF], SLOTS, [ALI], set(), marks)
    assert report.students[0].longest_missed_run == 2


def test_the_csv_says_how_many_a_teacher_marked() -> None:
    """Every level of the CSV carries `excused` and `marked_by_teacher`."""
    marks = {(1, BEN.id): "present", (2, BEN.id): "excused"}
    text = attendance_csv(attendance([MPLS], SLOTS, [BEN], set(), marks))
    rows = list(csv.DictReader(io.StringIO(text)))
    city = next(r for r in rows if r["level"] == "city")
    student = next(r for r in rows if r["level"] == "student")
    assert (city["marked_by_teacher"], city["excused"]) == ("2", "1")
    assert (student["expected"], student["attended"], student["marked_by_teacher"]) == (
        "2",
        "1",
        "2",
    )


def test_voice_counts_from_ten_minutes_or_half_the_session() -> None:
    """The default threshold is the lesser of 10 minutes and half the session; an exchange's
    own setting replaces it; rows from before minutes were counted still count."""
    assert voice_needed(60) == 10
    assert voice_needed(12) == 6
    assert voice_needed(60, 25) == 25
    short = slot(1, minutes=12)
    evidence = [
        Evidence(1, BEN.id, "voice", 6 * 60),  # half of 12 minutes: present
        Evidence(1, MAYA.id, "voice", 5 * 60 + 59),  # a second short
        Evidence(1, ALI.id, "voice", None),  # recorded before minutes were counted
        Evidence(1, ZAINAB.id, "button", None),
    ]
    assert seen_from(evidence, [short]) == {(1, BEN.id), (1, ALI.id), (1, ZAINAB.id)}
    assert seen_from(evidence, [short], setting=7) == {(1, ALI.id), (1, ZAINAB.id)}


def test_a_students_own_report_uses_the_marks() -> None:
    """One student's months: a present mark counts, an excused session is left out."""
    marks = {(1, BEN.id): "present", (2, BEN.id): "excused"}
    found = student_report(
        BEN,
        "Minneapolis",
        Period(SLOTS[0].starts_at.date(), SLOTS[2].starts_at.date()),
        SLOTS,
        set(),
        StudentActivity(),
        marks,
    )
    assert [came for _slot, came in found.sessions] == [True, False]
    assert found.attendance.tally == Tally(2, 1, 2, 1)
