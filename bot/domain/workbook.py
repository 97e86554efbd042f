"""Reports as Excel workbooks (.xlsx, openpyxl): the same rows as the CSV files, one sheet
per level, typed cells.

Each sheet has one frozen header row (it stays in view while scrolling), dates are real
dates, times real date-times (UTC, as the header says: Excel has no time zones), counts
integers and rates fractions shown as percentages, so a coordinator sorts, filters and sums
without converting anything. Column names are the CSV's, so formulas written for one work on
the other. Text people typed is kept as text: a name starting with "=" never becomes a
formula.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from bot.domain.reporting import (
    ATTENDANCE_COLUMNS,
    Attendance,
    ExchangeFigures,
    StudentReport,
    attendance_rows,
    exchange_rows,
)
from bot.domain.sessions import title_in
from bot.i18n import DEFAULT_LANGUAGE, shown_name

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Which columns of the attendance rows each level's sheet keeps, in the CSV's order.
LEVEL_SHEETS: Mapping[str, tuple[str, ...]] = {
    "cities": (
        "city",
        "expected",
        "attended",
        "missed",
        "rate",
        "excused",
        "marked_by_teacher",
        "sessions_held",
        "live_minutes",
    ),
    "sessions": (
        "date",
        "starts_at_utc",
        "session",
        "outcome",
        "city",
        "expected",
        "attended",
        "missed",
        "rate",
        "excused",
        "marked_by_teacher",
    ),
    "students": (
        "city",
        "student",
        "expected",
        "attended",
        "missed",
        "rate",
        "excused",
        "marked_by_teacher",
        "live_minutes",
        "longest_missed_run",
        "missed_lately",
    ),
}
LEVEL_OF_SHEET = {"cities": "city", "sessions": "session", "students": "student"}
assert all(set(c) <= set(ATTENDANCE_COLUMNS) for c in LEVEL_SHEETS.values())

PERCENT = "0.0%"
DATE = "yyyy-mm-dd"
DATETIME = "yyyy-mm-dd hh:mm"
# Columns no wider than this many characters: long names wrap in the cell instead.
WIDEST = 48


def _typed(column: str, value: Any) -> Any:
    """A CSV cell as the value a spreadsheet should hold."""
    if value is None or value == "":
        return None
    if column == "rate":
        return float(value)
    if column == "date" and isinstance(value, str):
        return date.fromisoformat(value)
    if column.endswith("_utc") and isinstance(value, str):
        return _naive_utc(datetime.fromisoformat(value))
    if isinstance(value, datetime):
        return _naive_utc(value)
    return value


def _naive_utc(value: datetime) -> datetime:
    # Excel stores no offset; the header says UTC.
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def _number_format(column: str, value: Any) -> str | None:
    if column == "rate" and isinstance(value, float):
        return PERCENT
    if isinstance(value, datetime):
        return DATETIME
    if isinstance(value, date):
        return DATE
    return None


class Workbook:
    """A workbook being filled, sheet by sheet; `bytes()` gives the .xlsx file."""

    def __init__(self) -> None:
        from openpyxl import Workbook as OpenpyxlWorkbook

        self._book = OpenpyxlWorkbook()
        self._empty = True

    def sheet(self, title: str, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> None:
        """Add a sheet: a bold, frozen header row of `columns`, then one line per row."""
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        if self._empty:
            sheet = self._book.active
            assert sheet is not None
            sheet.title = title
            self._empty = False
        else:
            sheet = self._book.create_sheet(title)
        sheet.append(list(columns))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        widths = [len(c) for c in columns]
        for row in rows:
            values = [_typed(c, row.get(c)) for c in columns]
            sheet.append(values)
            line = sheet.max_row
            for index, (column, value) in enumerate(zip(columns, values, strict=True)):
                cell = sheet.cell(row=line, column=index + 1)
                if isinstance(value, str):
                    # openpyxl reads a leading "=" as a formula: names are only ever text.
                    cell.data_type = "s"
                shown = _number_format(column, value)
                if shown is not None:
                    cell.number_format = shown
                widths[index] = max(widths[index], len(str(value)) if value is not None else 0)
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = sheet.dimensions
        for index, width in enumerate(widths):
            sheet.column_dimensions[get_column_letter(index + 1)].width = min(width + 2, WIDEST)

    def bytes(self) -> bytes:
        """The workbook as an .xlsx file."""
        if self._empty:
            self.sheet("empty", ["nothing"], [])
        out = io.BytesIO()
        self._book.save(out)
        return out.getvalue()


def attendance_workbook(report: Attendance, language: str = DEFAULT_LANGUAGE) -> bytes:
    """The attendance report: sheets `cities`, `sessions` and `students` (names and titles
    read in `language`)."""
    rows = attendance_rows(report, language)
    book = Workbook()
    for title, columns in LEVEL_SHEETS.items():
        level = LEVEL_OF_SHEET[title]
        book.sheet(title, columns, [r for r in rows if r["level"] == level])
    return book.bytes()


def exchange_workbook(figures: ExchangeFigures, language: str = DEFAULT_LANGUAGE) -> bytes:
    """The exchange's figures: `figures` (a metric a line, a column per city and the total),
    then `cities` and `sessions` (the whole exchange's attendance, counts only) and `dormant
    pairs` (the pairs to nudge, named as `/report exchange` names them)."""
    names = [c.city.name for c in figures.attendance.cities]
    lines = []
    for row in exchange_rows(figures):
        line: dict[str, Any] = {"metric": row["metric"], "total": row["total"]}
        for index, name in enumerate(names):
            line[name] = row.get(f"city_{index + 1}", "")
        lines.append(line)
    book = Workbook()
    columns = ["metric", *names, "total"]
    book.sheet("figures", columns, [_rate_metric(line, columns) for line in lines])
    rows = attendance_rows(figures.attendance, language)
    for title in ("cities", "sessions"):
        level = LEVEL_OF_SHEET[title]
        book.sheet(title, LEVEL_SHEETS[title], [r for r in rows if r["level"] == level])
    book.sheet(
        "dormant pairs",
        ("students", "last_message_utc"),
        [
            {
                "students": " & ".join(shown_name(n, language) for n in p.names),
                "last_message_utc": p.last_message,
            }
            for p in figures.dormant_pairs
        ],
    )
    return book.bytes()


def _rate_metric(line: dict[str, Any], columns: Sequence[str]) -> dict[str, Any]:
    """The attendance rate's line holds fractions: typed as rates, the others as they are."""
    if line["metric"] != "attendance_rate":
        return line
    return {c: (float(line[c]) if c != "metric" and line.get(c) else line.get(c)) for c in columns}


def student_workbook(report: StudentReport, language: str = DEFAULT_LANGUAGE) -> bytes:
    """One student: `months` (a month a line) and `sessions` (each counted session)."""
    book = Workbook()
    book.sheet(
        "months",
        ("month", "sessions_expected", "sessions_attended", "prompt_answers", "messages", "games"),
        [
            {
                "month": m.month,
                "sessions_expected": m.sessions.expected,
                "sessions_attended": m.sessions.attended,
                "prompt_answers": m.prompt_answers,
                "messages": m.messages,
                "games": m.games,
            }
            for m in report.months
        ],
    )
    book.sheet(
        "sessions",
        ("date", "starts_at_utc", "session", "attended"),
        [
            {
                "date": slot.starts_at.date().isoformat(),
                "starts_at_utc": slot.starts_at.isoformat(),
                "session": title_in(slot.title, language),
                "attended": came,
            }
            for slot, came in report.sessions
        ],
    )
    return book.bytes()
