"""Every CSV the bot writes (reports, attendance summaries, import problems) goes through here.

One writer, so no file can skip what keeps a spreadsheet safe: a cell that starts like a
formula (=, +, -, @, a tab or a carriage return, or their full-width forms ＝ ＋ － ＠) is
written with a leading ' and shown as text, never run; a name typed by a person cannot
make a coordinator's spreadsheet fetch a link or start a program.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# A spreadsheet runs a cell that starts with these (and their full-width forms) as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def safe_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as text: one starting like a formula gets a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """CSV text (UTF-8 with a BOM when encoded by `csv_bytes`), one header row."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: safe_cell(v) for k, v in row.items()})
    return buffer.getvalue()


def csv_bytes(text: str) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read Arabic names correctly."""
    return text.encode("utf-8-sig")
