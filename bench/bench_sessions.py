"""Sessions: recurrence across zones, the calendar file, and the start-up catch-up."""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from bench.core import Figure, median_ms, time_async, time_sync
from bot.domain import sessions as rules
from bot.domain.ical import SeriesFile, series_calendar
from bot.store import create_database
from bot.store import exchanges as exchange_store
from bot.store import sessions as store
from bot.store.migrate import upgrade

CITIES = [
    rules.CityClock("Minneapolis", "America/Chicago", frozenset({6, 7})),
    rules.CityClock("Najaf", "Asia/Baghdad", frozenset({5, 6})),
]
FIRST = rules.local_start(date(2026, 9, 1), time(15), "America/Chicago")
HOUR = timedelta(hours=1)
SERIES = 50


def _preview() -> None:
    slots = rules.occurrences("FREQ=WEEKLY;BYDAY=TU;COUNT=52", FIRST, HOUR, limit=52)
    rules.warnings(slots, CITIES)
    rules.find_overlap(slots, [("other", slots[::2])])


def _calendar() -> None:
    slots = rules.occurrences("FREQ=WEEKLY;BYDAY=TU;COUNT=52", FIRST, HOUR, limit=52)
    series_calendar(
        SeriesFile(
            uid="bench@twinbridge",
            title="Weekly exchange",
            description="Minneapolis · Najaf",
            zone="America/Chicago",
            first=FIRST,
            duration=HOUR,
            rule="FREQ=WEEKLY;BYDAY=TU;COUNT=52",
            location="#exchange",
            stamp=datetime(2026, 9, 1, tzinfo=UTC),
            cancelled=[s.original for s in slots[:5]],
            moved=[rules.Slot(s.original, s.start + HOUR, s.end + HOUR) for s in slots[5:10]],
        )
    )


async def _catch_up_figure() -> Figure:
    """Re-deriving 50 weekly series' horizons (what every start-up does) on SQLite."""
    from bot.services.session_plans import extend

    with tempfile.TemporaryDirectory() as folder:
        db = create_database(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}")
        await upgrade(db)
        now = datetime(2026, 9, 1, 12, tzinfo=UTC)
        async with db.transaction() as conn:
            exchange_id = await exchange_store.create_exchange(
                conn,
                guild_id=1,
                name="Bench",
                sides=[
                    ("Minneapolis", "America/Chicago", ("en",), frozenset({6, 7})),
                    ("Najaf", "Asia/Baghdad", ("ar",), frozenset({5, 6})),
                ],
                now=now,
            )
            for n in range(SERIES):
                await store.create(
                    conn,
                    guild_id=1,
                    exchange_id=exchange_id,
                    title=f"Series {n}",
                    timezone="America/Chicago",
                    first_local="2026-09-01T15:00",
                    starts_at=FIRST.astimezone(UTC),
                    rrule="FREQ=WEEKLY;BYDAY=TU",
                    duration=HOUR,
                    channel_id=None,
                    prompt=None,
                    created_by=1,
                    now=now,
                    status=rules.SeriesStatus.ACTIVE,
                )

        async def catch_up() -> None:
            async with db.read() as conn:
                every = await store.active(conn)
            for series in every:
                async with db.transaction() as conn:
                    await extend(conn, series, now)

        await catch_up()  # the first run plans; later runs find everything in place
        samples = await time_async(catch_up, repeat=5)
        await db.dispose()
    return Figure(
        f"start-up catch-up of {SERIES} weekly series",
        median_ms(samples),
        "ms",
        500.0,
        "idempotent re-derivation of each series' rolling horizon from the store",
    )


async def figures() -> list[Figure]:
    return [
        Figure(
            "a year of weekly sessions: occurrences, warnings, overlap",
            median_ms(time_sync(_preview, repeat=15)),
            "ms",
            50.0,
            "what /session schedule computes before showing its preview",
        ),
        Figure(
            "calendar file of 52 sessions with 10 changes",
            median_ms(time_sync(_calendar, repeat=15)),
            "ms",
            100.0,
            "/session ics, VTIMEZONE included",
        ),
        await _catch_up_figure(),
    ]
