"""Reports as .xlsx workbooks: a sheet per level, frozen headers, typed cells, no formulas."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from typing import Any

from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from bot.domain.reporting import (
    PairActivity,
    Period,
    Student,
    StudentActivity,
    attendance,
    attendance_rows,
    student_report,
)
from bot.domain.workbook import attendance_workbook, exchange_workbook, student_workbook
from tests.domain.test_reporting import BEN, EVERYONE, MAYA, MPLS, NAJAF, NOW, figures, story


def sheets(data: bytes) -> dict[str, Worksheet]:
    book = load_workbook(io.BytesIO(data))
    return {ws.title: ws for ws in book.worksheets}


def records(sheet: Worksheet) -> list[dict[str, Any]]:
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    return [dict(zip(header, row, strict=True)) for row in rows[1:]]


def test_attendance_has_a_sheet_per_level_with_a_frozen_header() -> None:
    slots, came = story()
    report = attendance([MPLS, NAJAF], slots, EVERYONE, came)
    found = sheets(attendance_workbook(report))
    assert list(found) == ["cities", "sessions", "students"]
    for sheet in found.values():
        assert sheet.freeze_panes == "A2"
        assert all(cell.font.b for cell in sheet[1])
    csv_rows = attendance_rows(report)
    for title, level in (("cities", "city"), ("sessions", "session"), ("students", "student")):
        assert len(records(found[title])) == sum(1 for r in csv_rows if r["level"] == level)


def test_dates_are_dates_counts_are_numbers_and_rates_are_percentages() -> None:
    slots, came = story()
    found = sheets(attendance_workbook(attendance([MPLS, NAJAF], slots, EVERYONE, came)))
    session = found["sessions"]
    header = [c.value for c in session[1]]
    first = {h: c for h, c in zip(header, session[2], strict=True)}
    assert first["date"].value == datetime(2026, 10, 6) and first["date"].is_date
    assert first["date"].number_format == "yyyy-mm-dd"
    assert first["starts_at_utc"].value == datetime(2026, 10, 6, 20, 0)
    assert isinstance(first["expected"].value, int)
    cities = {r["city"]: r for r in records(found["cities"])}
    assert cities["Minneapolis"]["attended"] == 2 and cities["Minneapolis"]["expected"] == 6
    assert abs(cities["Minneapolis"]["rate"] - 2 / 6) < 1e-3
    rate_cell = next(
        c for c in found["cities"][2] if found["cities"].cell(1, c.column).value == "rate"
    )
    assert rate_cell.number_format == "0.0%"


def test_a_name_that_looks_like_a_formula_stays_text() -> None:
    sneaky = Student(99, '=HYPERLINK("http://x")', 1)
    slots, came = story()
    found = sheets(attendance_workbook(attendance([MPLS, NAJAF], slots, [sneaky, BEN], came)))
    cell = next(
        c for row in found["students"].iter_rows(min_row=2) for c in row if c.value == sneaky.name
    )
    assert cell.data_type == "s"


def test_the_exchange_workbook_holds_the_figures_and_names_only_pairs_to_nudge() -> None:
    pairs = (
        PairActivity(1, ("Ben", "Ali"), NOW - timedelta(days=1)),
        PairActivity(2, ("Maya", "Zainab"), None),
    )
    found = sheets(exchange_workbook(figures(pairs)))
    assert list(found) == ["figures", "cities", "sessions", "dormant pairs"]
    metrics = {r["metric"]: r for r in records(found["figures"])}
    assert metrics["students_enrolled"]["Minneapolis"] == 2
    assert metrics["students_enrolled"]["total"] == 4
    assert metrics["messages"]["Najaf"] == 35
    assert [r["students"] for r in records(found["dormant pairs"])] == ["Maya & Zainab"]


def test_one_student_month_by_month() -> None:
    slots, came = story()
    report = student_report(
        MAYA,
        "Minneapolis",
        Period(date(2026, 10, 1), date(2026, 12, 31)),
        slots,
        came,
        StudentActivity(message_days={date(2026, 11, 2): 3}),
    )
    found = sheets(student_workbook(report))
    months = records(found["months"])
    assert [m["month"] for m in months] == ["2026-10", "2026-11", "2026-12"]
    assert months[1]["messages"] == 3
    assert [s["attended"] for s in records(found["sessions"])] == [False, False, False]
