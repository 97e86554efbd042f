"""Reports over a year of a large exchange, and how fast the batched activity writer writes.

The data: one exchange, 1,000 students (500 per city) in 500 pairs, 1,000,000 activity rows
over 365 days (900,000 messages in paired spaces, the rest check-ins and other events), the
daily message totals built from those rows exactly as migration 0009 builds them, 24 ended
sessions with ~70% attendance, 50,000 prompts posted with ~60,000 answers, and 2,000 finished
chess games. Generated with INSERT … SELECT in a temporary SQLite file (a few seconds), then
measured through the same `compute_*` functions /report and `python -m bot report` call. No
ANALYZE is run: the bot never runs it either, so the query plans are the ones it gets.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.core import Figure, median_ms, time_async, time_sync
from bot.clock import ManualClock
from bot.domain.exchange import Role
from bot.domain.report_chart import attendance_chart
from bot.domain.reporting import MessageTally, Period, Student, attendance_csv
from bot.services.activity_writer import ActivityWriter
from bot.services.reporting import ReportingService
from bot.store import Database, create_database, roster
from bot.store import exchanges as exchange_store
from bot.store import pairing as pairing_store
from bot.store.migrate import upgrade

ROWS = 1_000_000
STUDENTS = 1_000
SESSIONS = 24
POSTS_PER_PAIR = 100
GAMES = 2_000
START = datetime(2026, 1, 1, tzinfo=UTC)
END = date(2026, 12, 31)
NOW = datetime(2026, 12, 31, 18, tzinfo=UTC)
WRITES = 100_000
TARGET_MS = 200.0

# SQLAlchemy's SQLite DATETIME text: "YYYY-MM-DD HH:MM:SS.ffffff".
_AT = "strftime('%Y-%m-%d %H:%M:%S', '2026-01-01', '+' || ({seconds}) || ' seconds') || '.000000'"


# The pair (0-based) a chess game `i` is played in.
_PAIR = f"((i - 1) % {STUDENTS // 2})"


def _at(seconds: str) -> str:
    return _AT.format(seconds=seconds)


def _numbers(limit: int) -> str:
    return f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {limit}) "


def _generate(path: Path) -> None:
    """Fill a migrated database with a year of a large exchange (see the module docstring)."""
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=OFF")
    t0 = "'2026-01-01 00:00:00.000000'"
    statements = [
        f"INSERT INTO guild_settings (guild_id, created_at) VALUES (1, {t0})",
        "INSERT INTO partnerships (id, guild_id, name, status, created_at) "
        f"VALUES (1, 1, 'Minneapolis–Najaf', 'active', {t0})",
        "INSERT INTO cities (id, partnership_id, position, name, timezone, languages) VALUES "
        "(1, 1, 0, 'Minneapolis', 'America/Chicago', 'en'), "
        "(2, 1, 1, 'Najaf', 'Asia/Baghdad', 'ar')",
        # Students 1..1000: odd ones in Minneapolis, even ones in Najaf.
        _numbers(STUDENTS) + "INSERT INTO participants (id, guild_id, partnership_id, city_id, "
        "user_id, role, display_name, status, created_at, updated_at) "
        f"SELECT i, 1, 1, 2 - (i % 2), 10000 + i, 'student', 'Student ' || i, "
        f"CASE WHEN i % 50 = 0 THEN 'paused' ELSE 'active' END, {t0}, {t0} FROM n",
        "INSERT INTO pairing_rounds (id, partnership_id, created_by, created_at, space_kind) "
        f"VALUES (1, 1, 1, {t0}, 'channels')",
        _numbers(STUDENTS // 2) + "INSERT INTO pairs (id, round_id, partnership_id, space_id, "
        f"status, created_at) SELECT i, 1, 1, 1000000 + i, 'active', {t0} FROM n",
        _numbers(STUDENTS) + "INSERT INTO pair_members (pair_id, participant_id) "
        "SELECT (i + 1) / 2, i FROM n",
        "INSERT INTO sessions (id, guild_id, partnership_id, title, timezone, first_local, "
        "starts_at, rrule, duration_minutes, status, created_by, created_at, updated_at) "
        f"VALUES (1, 1, 1, 'Exchange', 'America/Chicago', '2026-01-06T15:00', {t0}, "
        f"'FREQ=WEEKLY;INTERVAL=2', 60, 'active', 1, {t0}, {t0})",
        _numbers(SESSIONS) + "INSERT INTO session_occurrences (id, session_id, original_start, "
        "starts_at, ends_at, status) SELECT i, 1, "
        f"{_at('(i * 15 - 10) * 86400 + 72000')}, {_at('(i * 15 - 10) * 86400 + 72000')}, "
        f"{_at('(i * 15 - 10) * 86400 + 75600')}, 'done' FROM n",
        "INSERT INTO session_attendance (occurrence_id, session_id, occurrence_start, "
        "participant_id, method, first_seen) "
        "SELECT o.id, 1, o.starts_at, p.id, 'button', o.starts_at "
        "FROM session_occurrences o JOIN participants p "
        "WHERE (p.id * 7 + o.id * 3) % 10 < 7",
        _numbers(STUDENTS // 2 * POSTS_PER_PAIR) + "INSERT INTO prompt_posts (id, "
        "partnership_id, pair_id, prompt_key, reason, posted_at) "
        f"SELECT i, 1, (i - 1) % {STUDENTS // 2} + 1, 'daily.' || (i % 79), 'pair', "
        f"{_at(f'(i - 1) / {STUDENTS // 2} * 315360')} FROM n",
        "INSERT INTO prompt_responses (post_id, participant_id, at, length) "
        "SELECT pp.id, pm.participant_id, datetime(pp.posted_at, '+1 hour') || '.000000', NULL "
        "FROM prompt_posts pp JOIN pair_members pm ON pm.pair_id = pp.pair_id "
        "WHERE (pp.id + pm.participant_id) % 5 < 3",
        _numbers(GAMES) + "INSERT INTO chess_games (id, guild_id, partnership_id, white_id, "
        "black_id, challenger_id, space_id, status, time_kind, base_seconds, result, "
        "created_at, started_at, finished_at) "
        f"SELECT i, 1, 1, {_PAIR} * 2 + 1, {_PAIR} * 2 + 2, {_PAIR} * 2 + 1, 1000001 + {_PAIR}, "
        "'finished', 'correspondence', 259200, "
        "CASE i % 3 WHEN 0 THEN '1-0' WHEN 1 THEN '0-1' ELSE '1/2-1/2' END, "
        f"{_at('i * 15000')}, {_at('i * 15000')}, {_at('i * 15000 + 86400')} FROM n",
        # The log: 9 messages in 10, spread over the year; the rest other kinds of events.
        _numbers(ROWS) + "INSERT INTO activity (at, guild_id, partnership_id, actor_id, kind, "
        f"details) SELECT {_at(f'i * {365 * 86400 // ROWS}')}, 1, 1, 10000 + (i * 7919) % "
        f"{STUDENTS} + 1, CASE WHEN i % 10 = 0 THEN 'session.checked_in' ELSE 'pair.message' "
        f"END, '{{\"length\": null, \"pair\": ' || (((i * 7919) % {STUDENTS}) / 2 + 1) || '}}' "
        "FROM n",
        # The daily totals, as migration 0009 builds them from the log.
        "INSERT INTO message_days (partnership_id, pair_id, participant_id, day, messages, "
        "measured, characters, last_at) "
        "SELECT a.partnership_id, json_extract(a.details, '$.pair'), p.id, substr(a.at, 1, 10), "
        "count(*), 0, 0, max(a.at) FROM activity a "
        "JOIN participants p ON p.user_id = a.actor_id AND p.partnership_id = a.partnership_id "
        "WHERE a.kind = 'pair.message' GROUP BY 1, 2, 3, 4",
    ]
    for statement in statements:
        con.execute(statement)
    con.commit()
    con.close()


def _counts(path: Path) -> dict[str, int]:
    con = sqlite3.connect(path)
    try:
        return {
            table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in (
                "activity",
                "message_days",
                "session_attendance",
                "prompt_responses",
                "chess_games",
            )
        }
    finally:
        con.close()


async def _writer_rate(folder: Path) -> float:
    """Events per second through the batched writer: queue 100,000 messages, then write them."""
    db = create_database(f"sqlite+aiosqlite:///{folder / 'writer.db'}")
    await upgrade(db)
    pairs = await _pairs(db, 250)
    rates = []
    for run in range(3):
        writer = ActivityWriter(db)
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
    await db.dispose()
    rates.sort()
    return rates[len(rates) // 2]


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


async def figures() -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="twinbridge-bench-") as name:
        folder = Path(name)
        path = folder / "reports.db"
        db = create_database(f"sqlite+aiosqlite:///{path}")
        await upgrade(db)
        started = time.perf_counter()
        _generate(path)
        generated = time.perf_counter() - started
        counts = _counts(path)
        service = ReportingService(db, ManualClock(NOW))
        scope = await service.operator_scope(1, None)
        quarter = Period(END - timedelta(days=89), END)
        year = Period(date(2026, 1, 1), END)
        najaf = await service.operator_scope(1, "Najaf")

        async def attend(period: Period) -> None:
            await service.compute_attendance(scope, period)

        async def exchange(period: Period) -> None:
            await service.compute_exchange(scope, period)

        student = Student(2, "Student 2", 2)
        attendance_quarter = median_ms(await time_async(lambda: attend(quarter)))
        attendance_year = median_ms(await time_async(lambda: attend(year)))
        attendance_city = median_ms(
            await time_async(lambda: service.compute_attendance(najaf, year))
        )
        exchange_quarter = median_ms(await time_async(lambda: exchange(quarter)))
        exchange_year = median_ms(await time_async(lambda: exchange(year)))
        one_student = median_ms(
            await time_async(lambda: service.compute_student(scope.exchange, student, year))
        )
        report = await service.compute_attendance(scope, year)
        csv_ms = median_ms(time_sync(lambda: attendance_csv(report)))
        chart_ms = median_ms(time_sync(lambda: attendance_chart(report, "Bench"), repeat=3))
        await db.dispose()
        writes = await _writer_rate(folder)
    data = (
        f"{counts['activity']:,} log rows, {counts['message_days']:,} daily totals, "
        f"{counts['session_attendance']:,} attendance, {counts['prompt_responses']:,} answers; "
        f"generated in {generated:.1f} s"
    )
    return [
        Figure(
            "reports: /report attendance, 90 days, 1,000 students, 1M log rows",
            attendance_quarter,
            "ms",
            TARGET_MS,
            note=data,
        ),
        Figure(
            "reports: /report attendance, a whole year (24 sessions)",
            attendance_year,
            "ms",
            TARGET_MS,
        ),
        Figure(
            "reports: /report attendance, a teacher's city, a year",
            attendance_city,
            "ms",
            TARGET_MS,
        ),
        Figure("reports: /report exchange, 90 days", exchange_quarter, "ms", TARGET_MS),
        Figure("reports: /report exchange, a whole year", exchange_year, "ms", TARGET_MS),
        Figure("reports: /report student, a whole year", one_student, "ms", TARGET_MS),
        Figure("reports: attendance CSV of a year (1,000 students)", csv_ms, "ms", 100.0),
        Figure(
            "reports: attendance chart PNG (24 sessions, 2 cities)",
            chart_ms,
            "ms",
            1000.0,
            note="drawn in a worker thread after the command deferred",
        ),
        Figure(
            "reports: batched activity writer, pair.message events",
            writes,
            "writes/s",
            50_000.0,
            note="queue then write, with the daily totals; 5,000 per transaction",
            higher_is_better=True,
        ),
    ]
