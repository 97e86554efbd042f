"""The store and the migrations write SQL both databases run (see bot/store/engine.py's
docstring): SQLite's own spellings are found here before PostgreSQL meets them.

Run the suite with TEST_DATABASE_URL=postgresql+asyncpg://… (`make test-postgres`) to run it
all on PostgreSQL; this check only catches what reading the source can.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# SQLite's own features, by design: its connection set-up, its file's backups.
SQLITE_MODULES = {"bot/store/engine.py", "bot/store/backup.py"}
# PostgreSQL's own features, by design: shard leases are its advisory locks, read from its
# catalogue, where `oid` is a column of pg_database, not SQLite's rowid alias.
POSTGRESQL_MODULES = {"bot/store/leases.py": {"rowid"}}
SQLITE_ONLY = {
    "INSERT OR IGNORE / REPLACE": re.compile(r"\bINSERT\s+OR\s+(IGNORE|REPLACE)\b", re.I),
    "PRAGMA": re.compile(r"\bPRAGMA\b"),
    "strftime()": re.compile(r"\bstrftime\s*\(\s*['\"]%"),
    "julianday()": re.compile(r"\bjulianday\b", re.I),
    "SQL date()/datetime()": re.compile(r"\b(func\.(date|datetime)\b|\b(date|datetime)\('now')"),
    "rowid": re.compile(r"\b(rowid|_rowid_|oid)\b", re.I),
    "sqlite_master": re.compile(r"\bsqlite_(master|schema|sequence)\b"),
    "GROUP_CONCAT": re.compile(r"\bgroup_concat\b", re.I),
    "func.ifnull": re.compile(r"\bfunc\.ifnull\b|\bIFNULL\s*\(", re.I),
    "a unary + (SQLite's index hint)": re.compile(r"custom_op\(\s*['\"]\+['\"]"),
}
# The sqlite dialect's insert (upserts) only beside its PostgreSQL twin.
SQLITE_INSERT = re.compile(r"\bsqlite\.insert\b|from sqlalchemy\.dialects\.sqlite import")
PG_INSERT = re.compile(r"\bpostgresql\.insert\b")
# A line may carry a per-dialect branch: `if conn.dialect.name == "sqlite"` just above it.
DIALECT_BRANCH = re.compile(r"dialect(\.name)?\s*(==|!=)\s*['\"](sqlite|postgresql)['\"]")


def _sources() -> list[Path]:
    found = sorted((ROOT / "bot" / "store").glob("*.py"))
    found += sorted((ROOT / "migrations").rglob("*.py"))
    return [p for p in found if str(p.relative_to(ROOT)) not in SQLITE_MODULES]


def _code_lines(text: str) -> list[tuple[int, str]]:
    return [
        (n, line) for n, line in enumerate(text.splitlines(), 1) if not line.strip().startswith("#")
    ]


def _inside_branch(lines: list[str], index: int) -> bool:
    """Whether one of the few lines above opens a per-dialect branch."""
    return any(DIALECT_BRANCH.search(line) for line in lines[max(0, index - 8) : index + 1])


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_sqlite_only_sql(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    found = [
        f"{path.relative_to(ROOT)}:{n}: {name}: {line.strip()}"
        for n, line in _code_lines(text)
        for name, pattern in SQLITE_ONLY.items()
        if pattern.search(line)
        and not _inside_branch(lines, n - 1)
        and name not in POSTGRESQL_MODULES.get(str(path.relative_to(ROOT)), set())
    ]
    if SQLITE_INSERT.search(text) and not PG_INSERT.search(text):
        found.append(f"{path.relative_to(ROOT)}: sqlite.insert without postgresql.insert")
    assert not found, "SQLite-only SQL (see bot/store/engine.py):\n" + "\n".join(found)


def test_the_check_finds_what_it_looks_for(tmp_path: Path) -> None:
    """Each pattern matches the spelling it names (a check that finds nothing proves nothing)."""
    samples = {
        "INSERT OR IGNORE / REPLACE": 'op.execute("INSERT OR IGNORE INTO x VALUES (1)")',
        "PRAGMA": 'conn.exec_driver_sql("PRAGMA foreign_keys")',
        "strftime()": "text(\"SELECT strftime('%Y', at) FROM activity\")",
        "julianday()": 'text("SELECT julianday(at) FROM x")',
        "SQL date()/datetime()": "select(func.date(activity.c.at))",
        "rowid": 'text("SELECT rowid FROM x")',
        "sqlite_master": 'text("SELECT name FROM sqlite_master")',
        "GROUP_CONCAT": "select(func.group_concat(x.c.name))",
        "func.ifnull": "select(func.ifnull(x.c.a, 0))",
        "a unary + (SQLite's index hint)": 'UnaryExpression(c, operator=operators.custom_op("+"))',
    }
    assert set(samples) == set(SQLITE_ONLY)
    for name, sample in samples.items():
        assert SQLITE_ONLY[name].search(sample), name
    assert not _inside_branch(['x = text("PRAGMA a")'], 0)
    assert _inside_branch(['if conn.dialect.name == "sqlite":', '    text("PRAGMA a")'], 1)
