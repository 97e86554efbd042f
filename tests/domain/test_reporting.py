"""Report maths: periods, attendance rates, "missed two in a row", figures, CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from bot.domain.reporting import (
    CityCounts,
    CityRef,
    ExchangeFigures,
    MessageTally,
    PairActivity,
    Period,
    ReportError,
    SessionSlot,
    Student,
    StudentActivity,
    Tally,
    attendance,
    attendance_csv,
    attendance_json,
    exchange_csv,
    exchange_json,
    message_days,
    missed_runs,
    months_of,
    period_between,
    period_of,
    rate_text,
    student_report,
)
from bot.domain.spreadsheet import csv_bytes

TODAY = date(2026, 12, 15)
MPLS, NAJAF = CityRef(1, "Minneapolis"), CityRef(2, "Najaf")
BEN, MAYA, ALI, ZAINAB = (
    Student(10, "Ben", 1),
    Student(11, "Maya", 1),
    Student(20, "Ali", 2),
    Student(21, "Zainab", 2),
)


def slot(number: int, status: str = "done", minutes: int = 60) -> SessionSlot:
    """Session `number` (1-based): 6 October 2026, then every four weeks, at 20:00 UTC."""
    start = datetime(2026, 10, 6, 20, tzinfo=UTC) + timedelta(weeks=4 * (number - 1))
    return SessionSlot(
        number, "Monthly exchange", start, start + timedelta(minutes=minutes), status
    )


def seen(table: dict[Student, str]) -> set[tuple[int, int]]:
    """One string per student, a letter per session: "y" came, anything else did not."""
    return {
        (number, student.id)
        for student, row in table.items()
        for number, cell in enumerate(row, start=1)
        if cell == "y"
    }


# -- the period ------------------------------------------------------------------------------------


def test_the_default_period_is_the_last_90_days_up_to_today() -> None:
    """No dates: today and the 89 days before it."""
    period = period_of(None, None, TODAY)
    assert (period.start, period.end, period.days) == (date(2026, 9, 17), TODAY, 90)


def test_a_start_alone_runs_to_today_and_an_end_alone_looks_back_90_days() -> None:
    """Each missing end of the period gets its default from the other."""
    assert period_of("2026-10-01", None, TODAY) == Period(date(2026, 10, 1), TODAY)
    assert period_of(None, "2026-10-31", TODAY) == Period(date(2026, 8, 3), date(2026, 10, 31))


def test_the_period_covers_whole_utc_days_with_the_end_included() -> None:
    """From midnight UTC of the first day to midnight after the last."""
    period = Period(date(2026, 10, 1), date(2026, 10, 31))
    assert period.starts_at == datetime(2026, 10, 1, tzinfo=UTC)
    assert period.ends_at == datetime(2026, 11, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "typed", ["2026/10/06", "06-10-2026", "2026-02-30", "yesterday", "20261006"]
)
def test_a_date_not_written_as_yyyy_mm_dd_is_refused(typed: str) -> None:
    """Slashes, day first, impossible days, words and run-together digits are all refused."""
    with pytest.raises(ReportError) as refused:
        period_of(typed, None, TODAY)
    assert refused.value.key == "error.reporting_bad_date"
    assert refused.value.params["value"] == typed


def test_a_date_typed_with_arabic_indic_digits_is_read() -> None:
    """A teacher on an Arabic keyboard types ٢٠٢٦-١٠-٠٦: the 6th of October 2026."""
    assert period_of("٢٠٢٦-١٠-٠٦", "٢٠٢٦-١٠-٣١", TODAY) == Period(
        date(2026, 10, 6), date(2026, 10, 31)
    )


def test_an_end_before_the_start_is_refused() -> None:
    """The message names both dates (as days, written the reader's way when rendered)."""
    with pytest.raises(ReportError) as refused:
        period_of("2026-11-01", "2026-10-01", TODAY)
    assert refused.value.key == "error.reporting_end_before_start"
    assert refused.value.params == {"start": date(2026, 11, 1), "end": date(2026, 10, 1)}


def test_a_start_after_today_with_no_end_is_an_end_before_the_start() -> None:
    """The default end (today) comes before a future start."""
    with pytest.raises(ReportError) as refused:
        period_of("2027-01-01", None, TODAY)
    assert refused.value.key == "error.reporting_end_before_start"


def test_two_years_is_the_longest_period() -> None:
    """Two calendar years fit exactly; one more day is refused."""
    assert period_of("2025-01-01", "2026-12-31", TODAY).days == 730
    with pytest.raises(ReportError) as refused:
        period_of("2025-01-01", "2027-01-01", TODAY)
    assert refused.value.key == "error.reporting_too_long"


def test_two_years_from_the_29th_of_february_end_on_the_27th() -> None:
    """A leap day has no twin two years later: the limit is the 28th."""
    assert period_of("2024-02-29", "2026-02-27", TODAY).days == 730
    with pytest.raises(ReportError):
        period_of("2024-02-29", "2026-02-28", TODAY)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("0001-01-01", None),
        (None, "0001-01-05"),
        ("9999-12-30", "9999-12-31"),
        (None, "9999-12-31"),
    ],
)
def test_days_at_the_ends_of_the_calendar_are_refused_not_overflowed(
    start: str | None, end: str | None
) -> None:
    """Year 1 less 90 days, or 9999-12-31 plus a day, cannot be counted: a clear refusal."""
    with pytest.raises(ReportError) as refused:
        period_of(start, end, TODAY)
    assert refused.value.key == "error.day_range"


def test_a_period_given_as_days_is_checked_too() -> None:
    with pytest.raises(ReportError) as refused:
        period_between(date(1, 1, 1), date(1, 1, 2), TODAY)
    assert refused.value.key == "error.day_range"
    assert period_between(None, date(2000, 1, 5), TODAY).start == date(2000, 1, 1)


def test_one_day_is_a_period() -> None:
    """From and to the same day is a one-day report."""
    assert period_of("2026-10-06", "2026-10-06", TODAY).days == 1


# -- runs of misses --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("came", "longest", "lately"),
    [
        ([], 0, 0),
        ([True, True], 0, 0),
        ([False], 1, 1),
        ([True, False, False], 2, 2),
        ([False, False, True], 2, 0),
        ([False, True, False], 1, 1),
        ([False, False, False, True, False], 3, 1),
    ],
)
def test_missed_runs_count_sessions_missed_one_after_another(
    came: list[bool], longest: int, lately: int
) -> None:
    """The longest run of misses, and the run the student is in now."""
    assert missed_runs(came) == (longest, lately)


# -- attendance ------------------------------------------------------------------------------------


# Ali joined after the first session had ended.
ALI_LATE = replace(ALI, joined_at=slot(1).ends_at + timedelta(minutes=5))
EVERYONE = [BEN, MAYA, ALI_LATE, ZAINAB]


def story() -> tuple[list[SessionSlot], set[tuple[int, int]]]:
    """Three ended sessions (the third nobody came to), one cancelled, one still to come.

    Ben came, came, missed; Maya missed all three; Ali joined after the first, came, missed;
    Zainab came to the first only.
    """
    slots = [slot(1), slot(2, minutes=90), slot(3), slot(4, "cancelled"), slot(5, "scheduled")]
    return slots, seen({BEN: "yyn", MAYA: "nnn", ALI_LATE: "-yn", ZAINAB: "ynn"})


def test_rates_per_city_count_expected_students_at_ended_sessions() -> None:
    """Minneapolis 2 of 6, Najaf 2 of 5 (Ali was not expected before he joined)."""
    slots, came = story()
    report = attendance([MPLS, NAJAF], slots, EVERYONE, came)
    mpls, najaf = report.cities
    assert (mpls.tally.attended, mpls.tally.expected) == (2, 6)
    assert (najaf.tally.attended, najaf.tally.expected) == (2, 5)
    assert rate_text(mpls.tally.rate) == "33%" and rate_text(najaf.tally.rate) == "40%"
    assert (report.total.attended, report.total.expected) == (4, 11)


def test_a_session_is_held_when_a_student_came_and_only_ended_ones_count() -> None:
    """Sessions 1 and 2 held, 3 not (nobody came), 4 cancelled, 5 still to come."""
    slots, came = story()
    report = attendance([MPLS, NAJAF], slots, EVERYONE, came)
    assert [s.outcome for s in report.sessions] == [
        "held",
        "held",
        "not_held",
        "cancelled",
        "upcoming",
    ]
    assert (report.ended, report.held, report.cancelled) == (3, 2, 1)
    first = report.sessions[0]
    assert first.by_city[MPLS.id] == Tally(2, 1) and first.by_city[NAJAF.id] == Tally(1, 1)


def test_a_city_held_a_session_when_one_of_its_students_came() -> None:
    """Minneapolis students came to sessions 1 and 2; Najaf's to 1 and 2 as well."""
    slots, came = story()
    report = attendance([MPLS, NAJAF], slots, EVERYONE, came)
    assert [c.held for c in report.cities] == [2, 2]


def test_live_minutes_add_each_attending_students_session_length() -> None:
    """Ben: 60 + 90; Ali: 90; Zainab: 60 — the second session lasted 90 minutes."""
    slots, came = story()
    report = attendance([MPLS, NAJAF], slots, EVERYONE, came)
    assert [c.minutes for c in report.cities] == [150, 150]
    assert report.minutes == 300


def test_students_who_missed_two_in_a_row_are_flagged_latest_run_first() -> None:
    """Maya missed three (and still), Zainab the last two; Ben and Ali missed only one."""
    slots, came = story()
    report = attendance([MPLS, NAJAF], slots, EVERYONE, came)
    assert [(s.student.name, s.missed_lately) for s in report.flagged] == [
        ("Maya", 3),
        ("Zainab", 2),
    ]


def test_a_run_of_misses_followed_by_attending_is_still_flagged() -> None:
    """Missed two, then came: flagged for the run, with no current run."""
    slots = [slot(1), slot(2), slot(3)]
    report = attendance([MPLS], slots, [BEN], seen({BEN: "nny"}))
    (line,) = report.flagged
    assert (line.longest_missed_run, line.missed_lately) == (2, 0)


def test_runs_follow_the_session_dates_not_the_order_sessions_are_given_in() -> None:
    """Sessions listed out of order: missed, came, missed is still no run of two."""
    slots = [slot(3), slot(1), slot(2)]
    (line,) = attendance([MPLS], slots, [BEN], seen({BEN: "nyn"})).students
    assert (line.longest_missed_run, line.missed_lately) == (1, 1)


def test_sessions_not_ended_and_students_not_listed_count_nowhere() -> None:
    """Seen at a running session, or a student of the other city: not in the figures."""
    slots = [slot(1), slot(2, "started")]
    report = attendance([MPLS], slots, [BEN], {(1, BEN.id), (2, BEN.id), (1, ALI.id)})
    assert report.total == Tally(1, 1)
    assert [s.outcome for s in report.sessions] == ["held", "running"]


def test_a_student_who_joined_after_every_session_is_listed_with_no_rate() -> None:
    """Listed, nothing expected, no rate rather than 0%."""
    late = replace(MAYA, joined_at=slot(1).ends_at)
    report = attendance([MPLS], [slot(1)], [BEN, late], seen({BEN: "y"}))
    maya = next(s for s in report.students if s.student.name == "Maya")
    assert maya.tally == Tally(0, 0) and maya.tally.rate is None
    assert rate_text(maya.tally.rate) == "—"


def test_a_student_who_joined_during_a_session_was_expected_at_it() -> None:
    """Joined ten minutes into the session: it counts for them."""
    during = replace(MAYA, joined_at=slot(1).starts_at + timedelta(minutes=10))
    (line,) = attendance([MPLS], [slot(1)], [during], set()).students
    assert line.tally == Tally(1, 0)


def test_paused_students_are_expected_only_where_they_came() -> None:
    """A paused student is not counted absent; if they came anyway, it counts."""
    paused = replace(MAYA, status="paused")
    (line,) = attendance([MPLS], [slot(1), slot(2)], [paused], seen({paused: "ny"})).students
    assert line.tally == Tally(1, 1)


def test_removed_students_count_where_they_came_and_are_otherwise_left_out() -> None:
    """Removed after coming once: that session counts; removed and never seen: not listed."""
    came_once = replace(BEN, status="removed")
    never = replace(MAYA, status="removed")
    report = attendance([MPLS], [slot(1), slot(2)], [came_once, never], seen({came_once: "yn"}))
    assert [(s.student.name, s.tally) for s in report.students] == [("Ben", Tally(1, 1))]


def between(first: int, second: int) -> datetime:
    """A moment between the end of session `first` and the start of session `second`."""
    return slot(first).ends_at + (slot(second).starts_at - slot(first).ends_at) / 2


def test_a_pause_after_a_session_leaves_that_session_as_it_was() -> None:
    """Maya missed session 1, then paused: still absent at 1, not expected at 2 or 3."""
    paused_later = replace(MAYA, status="paused", history=((between(1, 2), "paused"),))
    sessions = [slot(1), slot(2), slot(3)]
    (line,) = attendance([MPLS], sessions, [paused_later], set()).students
    assert line.tally == Tally(1, 0)
    report = attendance([MPLS], sessions, [BEN, paused_later], seen({BEN: "yyy"}))
    assert [s.by_city[MPLS.id] for s in report.sessions] == [Tally(2, 1), Tally(1, 1), Tally(1, 1)]


def test_a_student_back_from_a_pause_is_expected_from_then_on() -> None:
    """Paused before session 1, back before session 3: expected at 3 only."""
    back = replace(MAYA, history=((slot(1).starts_at, "paused"), (between(2, 3), "active")))
    (line,) = attendance([MPLS], [slot(1), slot(2), slot(3)], [back], set()).students
    assert line.tally == Tally(1, 0)


def test_a_student_removed_after_missing_sessions_still_counts_there() -> None:
    """Removed after missing sessions 1 and 2: listed, absent at both, not expected at 3;
    a student removed, restored and present is expected again."""
    gone = replace(BEN, status="removed", history=((between(2, 3), "removed"),))
    restored = replace(MAYA, history=((between(1, 2), "removed"), (between(2, 3), "active")))
    report = attendance(
        [MPLS], [slot(1), slot(2), slot(3)], [gone, restored], seen({restored: "nny"})
    )
    lines = {s.student.name: s for s in report.students}
    assert lines["Ben"].tally == Tally(2, 0) and lines["Ben"].longest_missed_run == 2
    assert lines["Maya"].tally == Tally(2, 1)


def test_no_ended_session_gives_no_rate_anywhere() -> None:
    """Only upcoming sessions: nothing expected, nothing held, no rates."""
    report = attendance([MPLS, NAJAF], [slot(1, "scheduled")], [BEN, ALI], set())
    assert report.ended == 0 and report.held == 0
    assert all(c.tally.rate is None for c in report.cities)


# -- CSV and JSON ----------------------------------------------------------------------------------


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_attendance_csv_has_a_row_per_city_session_and_student_that_agree() -> None:
    """City rows equal the sums of their session rows and of their student rows."""
    slots, came = story()
    report = attendance([MPLS, NAJAF], slots, EVERYONE, came)
    rows = rows_of(attendance_csv(report))
    by_level: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_level.setdefault(row["level"], []).append(row)
    assert len(by_level["city"]) == 2
    assert len(by_level["session"]) == 5 * 2
    assert len(by_level["student"]) == 4
    for city in by_level["city"]:
        name = city["city"]
        sessions = [r for r in by_level["session"] if r["city"] == name]
        students = [r for r in by_level["student"] if r["city"] == name]
        for column in ("expected", "attended", "missed"):
            assert int(city[column]) == sum(int(r[column]) for r in sessions)
            assert int(city[column]) == sum(int(r[column]) for r in students)
    mpls = by_level["city"][0]
    assert (mpls["city"], mpls["rate"], mpls["live_minutes"]) == ("Minneapolis", "0.3333", "150")
    maya = next(r for r in by_level["student"] if r["student"] == "Maya")
    assert (maya["longest_missed_run"], maya["missed_lately"]) == ("3", "3")


def test_a_name_that_looks_like_a_formula_is_written_as_text() -> None:
    """A student named "=HYPERLINK(…)" cannot run in a coordinator's spreadsheet."""
    sneaky = Student(12, '=HYPERLINK("http://x","hi")', 1)
    rows = rows_of(attendance_csv(attendance([MPLS], [slot(1)], [sneaky], seen({sneaky: "y"}))))
    student = next(r for r in rows if r["level"] == "student")
    assert student["student"] == "'" + sneaky.name


def test_csv_bytes_carry_a_byte_order_mark_for_arabic_names() -> None:
    """Spreadsheet programs read UTF-8 with a BOM as UTF-8: Arabic names survive."""
    data = csv_bytes("student\r\nعلي\r\n")
    assert data.startswith(b"\xef\xbb\xbf") and data.decode("utf-8-sig").endswith("علي\r\n")


def test_the_attendance_json_names_the_students_who_missed_two_in_a_row() -> None:
    """The same rows as the CSV, plus the flagged students."""
    slots, came = story()
    report = attendance([MPLS, NAJAF], slots, EVERYONE, came)
    document = json.loads(attendance_json("Minneapolis–Najaf", Period(TODAY, TODAY), report))
    assert document["sessions_held"] == 2
    assert [s["student"] for s in document["missed_two_in_a_row"]] == ["Maya", "Zainab"]
    assert len(document["rows"]) == len(rows_of(attendance_csv(report)))


# -- exchange figures ------------------------------------------------------------------------------

NOW = datetime(2026, 12, 15, 12, tzinfo=UTC)


def figures(pairs: tuple[PairActivity, ...] = ()) -> ExchangeFigures:
    slots, came = story()
    return ExchangeFigures(
        exchange="Minneapolis–Najaf",
        period=Period(date(2026, 9, 17), TODAY),
        attendance=attendance([MPLS, NAJAF], slots, EVERYONE, came),
        counts={
            MPLS.id: CityCounts(
                enrolled=2, active=1, prompt_answers=3, messages=40, chess_points=1.5
            ),
            NAJAF.id: CityCounts(
                enrolled=2, active=2, prompt_answers=5, messages=35, chess_points=0.5
            ),
        },
        prompts_posted=6,
        chess_games=2,
        pairs=pairs,
        now=NOW,
    )


def test_a_pair_is_active_with_a_message_in_the_last_14_days() -> None:
    """13 days ago: active; exactly 14 days ago or never: dormant, the longest silent first."""
    pairs = (
        PairActivity(1, ("Ben", "Ali"), NOW - timedelta(days=13)),
        PairActivity(2, ("Maya", "Zainab"), NOW - timedelta(days=14)),
        PairActivity(3, ("Sofia", "Noor"), None),
        PairActivity(4, ("Sam", "Huda"), NOW - timedelta(days=40)),
    )
    found = figures(pairs)
    assert [p.pair_id for p in found.active_pairs] == [1]
    assert [p.pair_id for p in found.dormant_pairs] == [3, 4, 2]


def test_a_pair_that_said_not_yet_twice_is_to_nudge_even_if_it_wrote_lately() -> None:
    pairs = (
        PairActivity(1, ("Ben", "Ali"), NOW - timedelta(days=1), not_met=True),
        PairActivity(2, ("Maya", "Zainab"), NOW - timedelta(days=1)),
    )
    found = figures(pairs)
    assert [p.pair_id for p in found.active_pairs] == [2]
    assert [p.pair_id for p in found.dormant_pairs] == [1]


def test_the_exchange_csv_has_a_column_per_city_and_totals_that_add_up() -> None:
    """Per-city figures sum to the total; exchange-wide figures have only a total."""
    rows = {r["metric"]: r for r in rows_of(exchange_csv(figures()))}
    assert list(rows["messages"]) == ["metric", "Minneapolis", "Najaf", "total"]
    for metric in ("students_enrolled", "students_active", "prompt_answers", "messages"):
        row = rows[metric]
        assert int(row["Minneapolis"]) + int(row["Najaf"]) == int(row["total"]), metric
    assert rows["chess_points"]["total"] == "2.0"
    assert rows["attendance_rate"]["total"] == "0.3636"  # 4 of 11
    assert rows["live_minutes"]["total"] == "300"
    assert rows["sessions_held"]["total"] == "2" and rows["sessions_ended"]["total"] == "3"
    assert rows["prompts_posted"]["Najaf"] == ""


def test_the_exchange_json_names_dormant_pairs_for_teachers() -> None:
    """The metrics of the CSV, and each dormant pair by its students' names."""
    pairs = (PairActivity(3, ("Sofia", "Noor"), None),)
    document = json.loads(exchange_json(figures(pairs)))
    assert document["metrics"]["messages"] == {"total": 75, "Minneapolis": 40, "Najaf": 35}
    assert document["dormant_pairs"] == [{"students": ["Sofia", "Noor"], "last_message": None}]


# -- one student -----------------------------------------------------------------------------------


def test_months_of_a_period_include_every_month_it_touches() -> None:
    """From the 17th of September to the 15th of December: four months."""
    assert months_of(Period(date(2026, 9, 17), TODAY)) == [
        "2026-09",
        "2026-10",
        "2026-11",
        "2026-12",
    ]


def test_a_students_participation_month_by_month() -> None:
    """Ben: came in October and November, missed December; answers, messages and games."""
    slots, came = story()
    activity = StudentActivity(
        message_days={date(2026, 10, 7): 3, date(2026, 10, 20): 2, date(2026, 12, 1): 4},
        answers=[datetime(2026, 10, 7, 9, tzinfo=UTC), datetime(2026, 11, 5, 9, tzinfo=UTC)],
        games=[
            (datetime(2026, 11, 20, tzinfo=UTC), 1.0),
            (datetime(2026, 11, 28, tzinfo=UTC), 0.5),
        ],
    )
    report = student_report(
        BEN, "Minneapolis", Period(date(2026, 9, 17), TODAY), slots, came, activity
    )
    months = {m.month: m for m in report.months}
    assert months["2026-10"].sessions == Tally(1, 1)
    assert months["2026-12"].sessions == Tally(1, 0)
    assert months["2026-10"].messages == 5 and months["2026-11"].prompt_answers == 1
    assert (months["2026-11"].games, months["2026-11"].points) == (2, 1.5)
    assert (report.messages, report.prompt_answers, report.games, report.points) == (9, 2, 2, 1.5)
    assert [came for _, came in report.sessions] == [True, True, False]
    assert report.attendance.tally == Tally(3, 2)


# -- message counts --------------------------------------------------------------------------------


def test_a_batch_of_messages_folds_into_one_total_per_student_pair_and_utc_day() -> None:
    """Two messages of Ben the same day are one row; lengths add up only where known."""
    at = datetime(2026, 10, 7, 9, tzinfo=UTC)
    days = message_days(
        [
            MessageTally(1, 5, BEN.id, at, 12),
            MessageTally(1, 5, BEN.id, at + timedelta(hours=2), None),
            MessageTally(1, 5, ALI.id, at, 30),
            MessageTally(1, 5, BEN.id, at + timedelta(days=1), 7),
        ]
    )
    by_key = {(d.participant_id, d.day): d for d in days}
    ben = by_key[(BEN.id, date(2026, 10, 7))]
    assert (ben.messages, ben.measured, ben.characters) == (2, 1, 12)
    assert ben.last_at == at + timedelta(hours=2)
    assert by_key[(ALI.id, date(2026, 10, 7))].messages == 1
    assert by_key[(BEN.id, date(2026, 10, 8))].messages == 1
    assert len(days) == 3


def test_the_day_of_a_message_is_its_utc_day() -> None:
    """23:30 in Baghdad on the 7th is 20:30 UTC on the 7th; 01:00 there is the 6th in UTC."""
    baghdad = timezone(timedelta(hours=3))
    days = message_days(
        [
            MessageTally(1, 5, ALI.id, datetime(2026, 10, 7, 23, 30, tzinfo=baghdad), None),
            MessageTally(1, 5, ALI.id, datetime(2026, 10, 7, 1, 0, tzinfo=baghdad), None),
        ]
    )
    assert sorted(d.day for d in days) == [date(2026, 10, 6), date(2026, 10, 7)]
