"""Reports over a year of a large exchange, and the batched activity writer: on SQLite and on
PostgreSQL, side by side in one run.

The data: one exchange, 1,000 students (500 per city) in 500 pairs, the activity log over 365
days (9 rows in 10 messages in paired spaces, the rest check-ins), the daily message totals
built from those rows exactly as migration 0009 builds them, 24 ended sessions with ~70%
attendance, 50,000 prompts posted with ~60,000 answers, and 2,000 finished chess games. The log
has 200,000 rows by default (`make bench` stays a few minutes); `python -m bench --rows 1000000
reports` measures the issue's year of 1,000,000 rows (a few minutes more). The same rows
are generated in each database by INSERT … SELECT (SQLite: a recursive CTE; PostgreSQL:
generate_series), then measured through the same `compute_*` functions /report and
`python -m bot report` call.

Each database is measured as the bot runs on it: SQLite gets no ANALYZE (the bot never runs
it, and SQLite has no background statistics); PostgreSQL gets the VACUUM ANALYZE its
autovacuum runs by itself within a minute of a bulk load (measured before that, a plan would
depend on when autovacuum woke up).

Ratios, so the figures travel between machines: each database's time against its floor in
the same run (reports: one pass summing the year's daily totals, the least any report reads;
the writer: the same rows inserted bare, in the same batches, without the writer and without
the daily totals), and PostgreSQL ÷ SQLite.

PostgreSQL: `BENCH_DATABASE_URL` (default the server `make test-postgres` uses, which
`.ci/postgres` starts); a database is made for the run and dropped after. Without a reachable
server its rows say so and are not measured.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bench.core import Figure, median_ms, time_async, time_sync
from bot.clock import ManualClock
from bot.domain.exchange import Role
from bot.domain.report_chart import attendance_chart
from bot.domain.reporting import Attendance, MessageTally, Period, Student, attendance_csv
from bot.sandbox.databases import PostgresDatabases
from bot.services.activity_writer import ActivityWriter
from bot.services.reporting import ReportingService
from bot.store import Database, create_database, roster
from bot.store import exchanges as exchange_store
from bot.store import pairing as pairing_store
from bot.store.migrate import upgrade
from bot.store.schema import activity, message_days, metadata

# The log's size: `python -m bench --rows N` sets it (see bench/__main__.py).
ROWS_ENV = "BENCH_REPORT_ROWS"
DEFAULT_ROWS = 200_000
PG_ENV = "BENCH_DATABASE_URL"
PG_DEFAULT = "postgresql+asyncpg://twinbridge:twinbridge@localhost/twinbridge"
STUDENTS = 1_000
SESSIONS = 24
POSTS_PER_PAIR = 100
GAMES = 2_000
START = datetime(2026, 1, 1, tzinfo=UTC)
END = date(2026, 12, 31)
NOW = datetime(2026, 12, 31, 18, tzinfo=UTC)
WRITES = 100_000
WRITER_BATCH = 5_000
TARGET_MS = 200.0
SQLITE, POSTGRES = "SQLite", "PostgreSQL"

# The pair (0-based) a chess game `i` is played in.
_PAIR = f"((i - 1) % {STUDENTS // 2})"


class _Dialect:
    """The few spellings the generating SQL needs that differ between the two databases."""

    def __init__(self, name: str) -> None:
        self.name = name

    def numbers(self, limit: int) -> str:
        """A CTE `n(i)` of 1..limit, put before an INSERT … SELECT … FROM n."""
        if self.name == POSTGRES:
            return f"WITH n(i) AS (SELECT generate_series(1, {limit})) "
        return f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {limit}) "

    def at(self, seconds: str) -> str:
        """The instant `seconds` after 2026-01-01 00:00 UTC, as the column stores it."""
        if self.name == POSTGRES:
            return f"(TIMESTAMP '2026-01-01 00:00:00' + ({seconds}) * INTERVAL '1 second')"
        # SQLAlchemy's SQLite DATETIME text: "YYYY-MM-DD HH:MM:SS.ffffff".
        return (
            f"strftime('%Y-%m-%d %H:%M:%S', '2026-01-01', '+' || ({seconds}) || ' seconds')"
            " || '.000000'"
        )

    def hour_after(self, column: str) -> str:
        if self.name == POSTGRES:
            return f"{column} + INTERVAL '1 hour'"
        return f"datetime({column}, '+1 hour') || '.000000'"

    def pair_of(self, details: str) -> str:
        """The `pair` of an activity row's JSON details, as an integer."""
        if self.name == POSTGRES:
            return f"CAST(CAST({details} AS json) ->> 'pair' AS integer)"
        return f"json_extract({details}, '$.pair')"

    def day_of(self, column: str) -> str:
        if self.name == POSTGRES:
            return f"CAST({column} AS date)"
        return f"substr({column}, 1, 10)"


def _statements(d: _Dialect, rows: int) -> list[str]:
    """Fill a migrated database with a year of a large exchange (see the module docstring)."""
    t0 = d.at("0")
    return [
        f"INSERT INTO guild_settings (guild_id, created_at) VALUES (1, {t0})",
        "INSERT INTO partnerships (id, guild_id, name, status, created_at) "
        f"VALUES (1, 1, 'Minneapolis–Najaf', 'active', {t0})",
        "INSERT INTO cities (id, partnership_id, position, name, timezone, languages) VALUES "
        "(1, 1, 0, 'Minneapolis', 'America/Chicago', 'en'), "
        "(2, 1, 1, 'Najaf', 'Asia/Baghdad', 'ar')",
        # Students 1..1000: odd ones in Minneapolis, even ones in Najaf.
        d.numbers(STUDENTS) + "INSERT INTO participants (id, guild_id, partnership_id, city_id, "
        "user_id, role, display_name, status, created_at, updated_at) "
        f"SELECT i, 1, 1, 2 - (i % 2), 10000 + i, 'student', 'Student ' || i, "
        f"CASE WHEN i % 50 = 0 THEN 'paused' ELSE 'active' END, {t0}, {t0} FROM n",
        "INSERT INTO pairing_rounds (id, partnership_id, created_by, created_at, space_kind) "
        f"VALUES (1, 1, 1, {t0}, 'channels')",
        d.numbers(STUDENTS // 2) + "INSERT INTO pairs (id, round_id, partnership_id, space_id, "
        f"status, created_at) SELECT i, 1, 1, 1000000 + i, 'active', {t0} FROM n",
        d.numbers(STUDENTS) + "INSERT INTO pair_members (pair_id, participant_id) "
        "SELECT (i + 1) / 2, i FROM n",
        "INSERT INTO sessions (id, guild_id, partnership_id, title, timezone, first_local, "
        "starts_at, rrule, duration_minutes, status, created_by, created_at, updated_at) "
        f"VALUES (1, 1, 1, 'Exchange', 'America/Chicago', '2026-01-06T15:00', {t0}, "
        f"'FREQ=WEEKLY;INTERVAL=2', 60, 'active', 1, {t0}, {t0})",
        d.numbers(SESSIONS) + "INSERT INTO session_occurrences (id, session_id, original_start, "
        "starts_at, ends_at, status) SELECT i, 1, "
        f"{d.at('(i * 15 - 10) * 86400 + 72000')}, {d.at('(i * 15 - 10) * 86400 + 72000')}, "
        f"{d.at('(i * 15 - 10) * 86400 + 75600')}, 'done' FROM n",
        "INSERT INTO session_attendance (occurrence_id, session_id, occurrence_start, "
        "participant_id, method, first_seen) "
        "SELECT o.id, 1, o.starts_at, p.id, 'button', o.starts_at "
        "FROM session_occurrences o CROSS JOIN participants p "
        "WHERE (p.id * 7 + o.id * 3) % 10 < 7",
        d.numbers(STUDENTS // 2 * POSTS_PER_PAIR) + "INSERT INTO prompt_posts (id, "
        "partnership_id, pair_id, prompt_key, reason, posted_at) "
        f"SELECT i, 1, (i - 1) % {STUDENTS // 2} + 1, 'daily.' || (i % 79), 'pair', "
        f"{d.at(f'(i - 1) / {STUDENTS // 2} * 315360')} FROM n",
        "INSERT INTO prompt_responses (post_id, participant_id, at, length) "
        f"SELECT pp.id, pm.participant_id, {d.hour_after('pp.posted_at')}, NULL "
        "FROM prompt_posts pp JOIN pair_members pm ON pm.pair_id = pp.pair_id "
        "WHERE (pp.id + pm.participant_id) % 5 < 3",
        d.numbers(GAMES) + "INSERT INTO chess_games (id, guild_id, partnership_id, white_id, "
        "black_id, challenger_id, space_id, status, time_kind, base_seconds, result, "
        "created_at, started_at, finished_at) "
        f"SELECT i, 1, 1, {_PAIR} * 2 + 1, {_PAIR} * 2 + 2, {_PAIR} * 2 + 1, 1000001 + {_PAIR}, "
        "'finished', 'correspondence', 259200, "
        "CASE i % 3 WHEN 0 THEN '1-0' WHEN 1 THEN '0-1' ELSE '1/2-1/2' END, "
        f"{d.at('i * 15000')}, {d.at('i * 15000')}, {d.at('i * 15000 + 86400')} FROM n",
        # The log: 9 messages in 10, spread over the year; the rest other kinds of events.
        d.numbers(rows) + "INSERT INTO activity (at, guild_id, partnership_id, actor_id, kind, "
        f"details) SELECT {d.at(f'i * {365 * 86400 // rows}')}, 1, 1, 10000 + (i * 7919) % "
        f"{STUDENTS} + 1, CASE WHEN i % 10 = 0 THEN 'session.checked_in' ELSE 'pair.message' "
        f"END, '{{\"length\": null, \"pair\": ' || (((i * 7919) % {STUDENTS}) / 2 + 1) || '}}' "
        "FROM n",
        # The daily totals, as migration 0009 builds them from the log.
        "INSERT INTO message_days (partnership_id, pair_id, participant_id, day, messages, "
        "measured, characters, last_at) "
        f"SELECT a.partnership_id, {d.pair_of('a.details')}, p.id, {d.day_of('a.at')}, "
        "count(*), 0, 0, max(a.at) FROM activity a "
        "JOIN participants p ON p.user_id = a.actor_id AND p.partnership_id = a.partnership_id "
        "WHERE a.kind = 'pair.message' GROUP BY 1, 2, 3, 4",
    ]


def _generate_sqlite(path: Path, rows: int) -> None:
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=OFF")
    for statement in _statements(_Dialect(SQLITE), rows):
        con.execute(statement)
    con.commit()
    con.close()


async def _generate_postgres(url: str, rows: int) -> None:
    import asyncpg

    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    con = await asyncpg.connect(plain)
    try:
        async with con.transaction():
            for statement in _statements(_Dialect(POSTGRES), rows):
                await con.execute(statement)
        # What autovacuum does by itself shortly after a bulk load (see the module docstring).
        await con.execute("VACUUM ANALYZE")
    finally:
        await con.close()


_COUNTED = ("activity", "message_days", "session_attendance", "prompt_responses", "chess_games")


async def _counts(db: Database) -> dict[str, int]:
    async with db.read() as conn:
        return {
            name: int(
                await conn.scalar(select(func.count()).select_from(metadata.tables[name])) or 0
            )
            for name in _COUNTED
        }


@dataclass
class Measured:
    """One database's figures (milliseconds, or writes per second for the writer)."""

    counts: dict[str, int]
    generated: float
    floor_ms: float
    reports: dict[str, float]
    attendance: Attendance
    writes: float
    bare_writes: float


# The reports timed, in the order the table lists them: (name, what to run).
REPORTS = (
    "/report attendance, 90 days, 1,000 students",
    "/report attendance, a whole year (24 sessions)",
    "/report attendance, a teacher's city, a year",
    "/report exchange, 90 days",
    "/report exchange, a whole year",
    "/report student, a whole year",
)


async def _measure_reports(db: Database) -> tuple[float, dict[str, float], Attendance]:
    service = ReportingService(db, ManualClock(NOW))
    scope = await service.operator_scope(1, None)
    najaf = await service.operator_scope(1, "Najaf")
    quarter = Period(END - timedelta(days=89), END)
    year = Period(date(2026, 1, 1), END)
    student = Student(2, "Student 2", 2)

    async def floor() -> None:
        # The least any report reads: one pass summing the exchange's daily totals of a year.
        async with db.read() as conn:
            await conn.execute(
                select(func.count(), func.sum(message_days.c.messages)).where(
                    message_days.c.partnership_id == 1,
                    message_days.c.day.between(year.start, year.end),
                )
            )

    runs: dict[str, Callable[[], Awaitable[object]]] = {
        REPORTS[0]: lambda: service.compute_attendance(scope, quarter),
        REPORTS[1]: lambda: service.compute_attendance(scope, year),
        REPORTS[2]: lambda: service.compute_attendance(najaf, year),
        REPORTS[3]: lambda: service.compute_exchange(scope, quarter),
        REPORTS[4]: lambda: service.compute_exchange(scope, year),
        REPORTS[5]: lambda: service.compute_student(scope.exchange, student, year),
    }
    floor_ms = median_ms(await time_async(floor))
    found = {name: median_ms(await time_async(run)) for name, run in runs.items()}
    return floor_ms, found, await service.compute_attendance(scope, year)


async def _pairs(db: Database, count: int) -> list[tuple[int, tuple[int, int]]]:
    async with db.transaction() as conn:
        exchange_id = await exchange_store.create_exchange(
            conn,
            guild_id=1,
            name="Bench",
            sides=[
                ("A", "America/Chicago", ("en",), frozenset({6, 7})),
                ("B", "Asia/Baghdad", ("ar",), frozenset({5, 6})),
            ],
            now=START,
        )
        round_id = await pairing_store.create_round(conn, exchange_id, 1, START, "channels", 0)
        found = []
        for index in range(count):
            members = tuple(
                [
                    await roster.add(
                        conn,
                        guild_id=1,
                        exchange_id=exchange_id,
                        user_id=20_000 + index * 2 + side,
                        role=Role.STUDENT,
                        display_name=f"S{index}-{side}",
                        city_id=None,
                        now=START,
                    )
                    for side in (0, 1)
                ]
            )
            pair_id = await pairing_store.add_pair(
                conn,
                round_id=round_id,
                exchange_id=exchange_id,
                space_id=None,
                reasons={},
                members=members,
                now=START,
            )
            found.append((pair_id, (members[0], members[1])))
    return found


async def _writer_rates(db: Database) -> tuple[float, float]:
    """Events per second through the batched writer (queue 100,000 messages, then write them,
    with the daily totals), and the floor: the same log rows inserted bare in the same
    batches. Medians of three runs each, alternating."""
    await upgrade(db)
    pairs = await _pairs(db, 250)
    rates: list[float] = []
    bare: list[float] = []
    for run in range(3):
        writer = ActivityWriter(db, batch_size=WRITER_BATCH)
        start = time.perf_counter()
        for n in range(WRITES):
            pair_id, members = pairs[n % len(pairs)]
            who = members[n % 2]
            at = START + timedelta(days=run, seconds=n)
            writer.log(
                at=at,
                guild_id=1,
                partnership_id=1,
                actor_id=10_000 + who,
                kind="pair.message",
                details={"pair": pair_id, "length": None},
                tally=MessageTally(1, pair_id, who, at, None),
            )
        await writer.flush()
        rates.append(WRITES / (time.perf_counter() - start))
        rows: list[dict[str, Any]] = [
            {
                "at": START + timedelta(days=10 + run, seconds=n),
                "guild_id": 1,
                "partnership_id": 1,
                "actor_id": 10_000 + pairs[n % len(pairs)][1][n % 2],
                "kind": "pair.message",
                "details": '{"length": null, "pair": 1}',
            }
            for n in range(WRITES)
        ]
        start = time.perf_counter()
        for first in range(0, WRITES, WRITER_BATCH):
            async with db.transaction() as conn:
                await conn.execute(activity.insert(), rows[first : first + WRITER_BATCH])
        bare.append(WRITES / (time.perf_counter() - start))
    return sorted(rates)[1], sorted(bare)[1]


async def _on(
    db: Database, generate: Callable[[], Awaitable[None]], writer_db: Database
) -> Measured:
    await upgrade(db)
    started = time.perf_counter()
    await generate()
    generated = time.perf_counter() - started
    counts = await _counts(db)
    floor_ms, reports, attendance = await _measure_reports(db)
    writes, bare = await _writer_rates(writer_db)
    return Measured(counts, generated, floor_ms, reports, attendance, writes, bare)


async def _sqlite(folder: Path, rows: int) -> Measured:
    path = folder / "reports.db"
    db = create_database(f"sqlite+aiosqlite:///{path}")
    writer_db = create_database(f"sqlite+aiosqlite:///{folder / 'writer.db'}")
    try:
        return await _on(db, lambda: asyncio.to_thread(_generate_sqlite, path, rows), writer_db)
    finally:
        await db.dispose()
        await writer_db.dispose()


async def _postgres(folder: Path, server: str, rows: int) -> Measured:
    source = PostgresDatabases(server)
    try:
        reports_url = await source.fresh(folder, migrated=False)
        writer_url = await source.fresh(folder, migrated=False)
        db, writer_db = create_database(reports_url), create_database(writer_url)
        try:
            return await _on(db, lambda: _generate_postgres(reports_url, rows), writer_db)
        finally:
            await db.dispose()
            await writer_db.dispose()
    finally:
        await source.close()


def _rows() -> int:
    return int(os.environ.get(ROWS_ENV) or DEFAULT_ROWS)


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def _figures(rows: int, lite: Measured, pg: Measured | None, why_not: str) -> list[Figure]:
    size = f"{rows:,} log rows"
    found = [
        Figure(
            f"reports: the floor, one pass over a year of daily totals — {SQLITE}",
            lite.floor_ms,
            "ms",
            None,
            note=f"{lite.counts['message_days']:,} daily totals from {size}",
        ),
        Figure(
            f"reports: the floor, one pass over a year of daily totals — {POSTGRES}",
            pg.floor_ms if pg else None,
            "ms",
            None,
            note=why_not or "the same rows",
        ),
    ]
    for index, name in enumerate(REPORTS):
        here = f"reports: {name}"
        mine, theirs = lite.reports[name], pg.reports[name] if pg else None
        found.append(
            Figure(
                f"{here} — {SQLITE}",
                mine,
                "ms",
                TARGET_MS,
                note=f"{mine / lite.floor_ms:.3g} × its floor"
                + (
                    f"; {lite.counts['activity']:,} log rows, {lite.counts['message_days']:,} "
                    f"daily totals, {lite.counts['session_attendance']:,} attendance, "
                    f"{lite.counts['prompt_responses']:,} answers; generated in "
                    f"{lite.generated:.1f} s"
                    if index == 0
                    else ""
                ),
            )
        )
        found.append(
            Figure(
                f"{here} — {POSTGRES}",
                theirs,
                "ms",
                TARGET_MS,
                note=(
                    why_not
                    if pg is None or theirs is None
                    else f"{theirs / pg.floor_ms:.3g} × its floor"
                    + (f"; generated in {pg.generated:.1f} s" if index == 0 else "")
                ),
            )
        )
        found.append(
            Figure(
                f"{here} — {POSTGRES} ÷ {SQLITE}",
                _ratio(theirs, mine),
                "×",
                None,
                note=why_not
                or f"floors: {_ratio(pg.floor_ms if pg else None, lite.floor_ms) or 0:.3g} ×",
            )
        )
    # Drawn from the report's figures, not read from a database: once.
    csv_ms = median_ms(time_sync(lambda: attendance_csv(lite.attendance)))
    chart_ms = median_ms(time_sync(lambda: attendance_chart(lite.attendance, "Bench"), repeat=3))
    found += [
        Figure("reports: attendance CSV of a year (1,000 students)", csv_ms, "ms", 100.0),
        Figure(
            "reports: attendance chart PNG (24 sessions, 2 cities)",
            chart_ms,
            "ms",
            1000.0,
            note="drawn in a worker thread after the command deferred",
        ),
    ]
    writer = "reports: batched activity writer, pair.message events"
    batches = f"queue then write, with the daily totals; {WRITER_BATCH:,} per transaction"

    def against_floor(m: Measured) -> str:
        return (
            f"{batches}; {m.writes / m.bare_writes:.3g} × the floor's rate "
            f"({m.bare_writes:,.0f}/s: the same log rows inserted bare)"
        )

    found += [
        Figure(
            f"{writer} — {SQLITE}",
            lite.writes,
            "writes/s",
            50_000.0,
            note=against_floor(lite),
            higher_is_better=True,
        ),
        Figure(
            f"{writer} — {POSTGRES}",
            pg.writes if pg else None,
            "writes/s",
            50_000.0,
            note=against_floor(pg) if pg else why_not,
            higher_is_better=True,
        ),
        Figure(
            f"{writer} — {POSTGRES} ÷ {SQLITE}",
            _ratio(pg.writes, lite.writes) if pg else None,
            "×",
            None,
            note=f"floors: {pg.bare_writes / lite.bare_writes:.3g} ×" if pg else why_not,
            higher_is_better=True,
        ),
    ]
    return found


async def figures() -> list[Figure]:
    rows = _rows()
    server = os.environ.get(PG_ENV, "").strip() or PG_DEFAULT
    with tempfile.TemporaryDirectory(prefix="twinbridge-bench-") as name:
        folder = Path(name)
        print(f"  SQLite, {rows:,} log rows …", flush=True)
        lite = await _sqlite(folder, rows)
        pg: Measured | None = None
        try:
            await PostgresDatabases(server).check()
        except Exception as exc:  # any reason: the rows say it, SQLite's stand on their own
            shown = make_url(server).render_as_string(hide_password=True)
            why_not = f"PostgreSQL not measured: {shown} did not answer ({type(exc).__name__})"
        else:
            why_not = ""
            print(f"  PostgreSQL, {rows:,} log rows …", flush=True)
            pg = await _postgres(folder, server, rows)
            if pg.counts != lite.counts:
                raise RuntimeError(f"not the same data: {lite.counts} and {pg.counts}")
    return _figures(rows, lite, pg, why_not)
