"""Migrations: upgrade from empty, round trip, and no drift from the code's metadata."""

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from bot.store import create_database
from bot.store.migrate import downgrade, upgrade
from bot.store.schema import activity, message_days, metadata
from tests.databases import sqlite_only


async def test_upgrade_from_empty_creates_every_table(empty_database_url: str) -> None:
    """An empty database upgraded to head has every table the code declares."""
    db = create_database(empty_database_url)
    await upgrade(db)
    async with db.read() as conn:
        names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    await db.dispose()
    assert set(metadata.tables) <= names


async def test_downgrade_then_upgrade_round_trip(empty_database_url: str) -> None:
    """Down to base removes our tables; up again restores them."""
    db = create_database(empty_database_url)
    await upgrade(db)
    await downgrade(db, "base")
    async with db.read() as conn:
        empty = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert not (set(metadata.tables) & empty)
    await upgrade(db)
    async with db.read() as conn:
        again = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    await db.dispose()
    assert set(metadata.tables) <= again


async def test_migrations_match_metadata(empty_database_url: str) -> None:
    """What the migrations build is exactly what the code's tables describe."""
    db = create_database(empty_database_url)
    await upgrade(db)

    def diff(sync_conn: object) -> list[object]:
        context = MigrationContext.configure(sync_conn, opts={"compare_type": True})  # type: ignore[arg-type]
        return list(compare_metadata(context, metadata))

    async with db.read() as conn:
        differences = await conn.run_sync(diff)
    await db.dispose()
    assert differences == []


@sqlite_only("the connection pragmas are SQLite's")
async def test_sqlite_connections_use_wal_and_foreign_keys(empty_database_url: str) -> None:
    """Every SQLite connection gets WAL, foreign keys and a busy timeout."""
    db = create_database(empty_database_url)
    async with db.read() as conn:
        journal = (await conn.execute(text("PRAGMA journal_mode"))).scalar_one()
        fks = (await conn.execute(text("PRAGMA foreign_keys"))).scalar_one()
        busy = (await conn.execute(text("PRAGMA busy_timeout"))).scalar_one()
    await db.dispose()
    assert (journal, fks, busy) == ("wal", 1, 5000)


async def test_0009_builds_the_message_totals_from_the_log_already_kept(
    empty_database_url: str,
) -> None:
    """Messages logged before reports existed are counted per student and day after upgrading;
    a teacher's note in a space and other kinds are not."""
    db = create_database(empty_database_url)
    await upgrade(db, "0008")
    at = datetime(2026, 10, 7, 9, tzinfo=UTC)
    async with db.transaction() as conn:
        await conn.execute(
            text(
                "INSERT INTO partnerships (id, guild_id, name, status, created_at) "
                "VALUES (1, 1, 'X', 'active', '2026-09-01 00:00:00')"
            )
        )
        for pid, user in ((10, 101), (11, 202), (12, 303)):
            role = "teacher" if user == 303 else "student"
            await conn.execute(
                text(
                    "INSERT INTO participants (id, guild_id, partnership_id, user_id, role, "
                    "display_name, created_at, updated_at) VALUES (:id, 1, 1, :user, :role, "
                    "'n', '2026-09-01 00:00:00', '2026-09-01 00:00:00')"
                ),
                {"id": pid, "user": user, "role": role},
            )
        await conn.execute(
            text(
                "INSERT INTO pairing_rounds (id, partnership_id, created_by, created_at, "
                "space_kind) VALUES (1, 1, 303, '2026-09-01 00:00:00', 'channels')"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO pairs (id, round_id, partnership_id, space_id, created_at) "
                "VALUES (5, 1, 1, 555, '2026-09-01 00:00:00')"
            )
        )
        await conn.execute(
            text("INSERT INTO pair_members (pair_id, participant_id) VALUES (5, 10), (5, 11)")
        )
        logged = [
            (101, "pair.message", {"pair": 5, "length": 12}, 0),
            (101, "pair.message", {"pair": 5, "length": None}, 3600),
            (202, "pair.message", {"pair": 5, "length": 7}, 60),
            (101, "pair.message", {"pair": 5, "length": 4}, 86400),
            (303, "pair.message", {"pair": 5, "length": 9}, 120),  # the teacher: not counted
            (101, "prompt.requested", {"pair": 5}, 30),
        ]
        for actor, kind, details, seconds in logged:
            await conn.execute(
                activity.insert().values(
                    at=at + timedelta(seconds=seconds),
                    guild_id=1,
                    partnership_id=1,
                    actor_id=actor,
                    kind=kind,
                    details=json.dumps(details),
                )
            )
    await upgrade(db)
    async with db.read() as conn:
        rows = (await conn.execute(select(message_days))).all()
    await db.dispose()
    found = {(r.participant_id, r.day): (r.messages, r.measured, r.characters) for r in rows}
    assert found == {
        (10, date(2026, 10, 7)): (2, 1, 12),
        (11, date(2026, 10, 7)): (1, 1, 7),
        (10, date(2026, 10, 8)): (1, 1, 4),
    }
    ben_day = next(r for r in rows if r.participant_id == 10 and r.day == date(2026, 10, 7))
    assert ben_day.last_at == datetime(2026, 10, 7, 10, tzinfo=UTC)
    assert {r.pair_id for r in rows} == {5} and {r.partnership_id for r in rows} == {1}


async def test_0013_logs_each_students_first_reply_as_an_answer(empty_database_url: str) -> None:
    """Replies stored before `prompt.answered` existed become one event per student and post,
    at the first reply, naming the pair, post and prompt."""
    db = create_database(empty_database_url)
    await upgrade(db, "0009")
    t0 = "'2026-10-07 09:00:00.000000'"
    statements = [
        "INSERT INTO partnerships (id, guild_id, name, status, created_at) "
        f"VALUES (1, 7, 'X', 'active', {t0})",
        "INSERT INTO participants (id, guild_id, partnership_id, user_id, role, display_name, "
        f"created_at, updated_at) VALUES (10, 7, 1, 101, 'student', 'n', {t0}, {t0}), "
        f"(11, 7, 1, 202, 'student', 'n', {t0}, {t0})",
        "INSERT INTO pairing_rounds (id, partnership_id, created_by, created_at, space_kind) "
        f"VALUES (1, 1, 303, {t0}, 'channels')",
        f"INSERT INTO pairs (id, round_id, partnership_id, space_id, created_at) "
        f"VALUES (5, 1, 1, 555, {t0})",
        "INSERT INTO prompt_posts (id, partnership_id, pair_id, prompt_key, reason, posted_at) "
        f"VALUES (40, 1, 5, 'food.breakfast', 'teacher', {t0})",
        "INSERT INTO prompt_responses (post_id, participant_id, at, length) VALUES "
        "(40, 10, '2026-10-07 09:05:00.000000', NULL), "
        "(40, 10, '2026-10-07 09:06:00.000000', 12), "
        "(40, 11, '2026-10-07 09:07:00.000000', NULL)",
    ]
    async with db.transaction() as conn:
        for statement in statements:
            await conn.execute(text(statement))
    await upgrade(db)
    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(activity).where(activity.c.kind == "prompt.answered").order_by(activity.c.id)
            )
        ).all()
    await db.dispose()
    assert [(r.actor_id, r.at, r.guild_id, r.partnership_id) for r in rows] == [
        (101, datetime(2026, 10, 7, 9, 5, tzinfo=UTC), 7, 1),
        (202, datetime(2026, 10, 7, 9, 7, tzinfo=UTC), 7, 1),
    ]
    assert json.loads(rows[0].details) == {"pair": 5, "post": 40, "prompt": "food.breakfast"}


async def test_0020_networks_keeps_every_row_and_allows_more_cities(tmp_path: Path) -> None:
    """Upgrading rewrites no row: a two-city exchange keeps its cities, students' cities and
    school breaks (a copied-and-dropped `cities` would have cascaded them away), gets policy
    'any' and no hub; then a third city fits, a negative position does not, and removing the
    hub city leaves no hub behind. Downgrading refuses while an exchange has three cities."""
    db = create_database(f"sqlite+aiosqlite:///{tmp_path / 'n.db'}")
    await upgrade(db, "0019")
    t0 = "'2026-09-01 00:00:00.000000'"
    statements = [
        f"INSERT INTO partnerships (id, guild_id, name, created_at) VALUES (1, 7, 'X', {t0})",
        "INSERT INTO cities (id, partnership_id, position, name, timezone, languages) VALUES "
        "(1, 1, 0, 'Minneapolis', 'America/Chicago', 'en'), "
        "(2, 1, 1, 'Najaf', 'Asia/Baghdad', 'ar')",
        "INSERT INTO participants (id, guild_id, partnership_id, city_id, user_id, role, "
        f"display_name, created_at, updated_at) VALUES (10, 7, 1, 2, 101, 'student', 'n', {t0},"
        f" {t0})",
        "INSERT INTO school_breaks (guild_id, partnership_id, city_id, starts_on, ends_on, "
        f"created_by, created_at) VALUES (7, 1, 2, '2026-12-20', '2026-12-31', 1, {t0})",
    ]
    async with db.transaction() as conn:
        for statement in statements:
            await conn.execute(text(statement))
    await upgrade(db)
    async with db.transaction() as conn:
        policy = (
            await conn.execute(text("SELECT pairing_policy, hub_city_id FROM partnerships"))
        ).one()
        student_city = await conn.scalar(text("SELECT city_id FROM participants WHERE id = 10"))
        breaks = await conn.scalar(text("SELECT count(*) FROM school_breaks"))
        check = await conn.scalar(text("PRAGMA integrity_check"))
        await conn.execute(
            text(
                "INSERT INTO cities (id, partnership_id, position, name, timezone, languages) "
                "VALUES (3, 1, 2, 'Kumasi', 'Africa/Accra', 'en')"
            )
        )
        await conn.execute(text("UPDATE partnerships SET pairing_policy = 'hub', hub_city_id = 3"))
    assert tuple(policy) == ("any", None)
    assert (student_city, breaks, check) == (2, 1, "ok")
    refused: list[str] = []
    for statement in (
        "INSERT INTO cities (partnership_id, position, name, timezone, languages) "
        "VALUES (1, -1, 'Nowhere', 'UTC', 'en')",
        "INSERT INTO cities (partnership_id, position, name, timezone, languages) "
        "VALUES (1, 2, 'Twice', 'UTC', 'en')",
        "UPDATE partnerships SET pairing_policy = 'all'",
        "UPDATE partnerships SET hub_city_id = 99",
    ):
        try:
            async with db.transaction() as conn:
                await conn.execute(text(statement))
        except IntegrityError:
            refused.append(statement)
    assert len(refused) == 4
    try:
        await downgrade(db, "0019")
    except RuntimeError as exc:
        assert "more than two cities" in str(exc)
    else:
        raise AssertionError("downgraded with a three-city exchange")
    async with db.transaction() as conn:
        await conn.execute(text("DELETE FROM cities WHERE id = 3"))
        hub = await conn.scalar(text("SELECT hub_city_id FROM partnerships"))
    assert hub is None
    await downgrade(db, "0019")
    await upgrade(db)
    await db.dispose()


async def test_0028_clears_the_translated_default_titles_and_keeps_typed_ones(
    empty_database_url: str,
) -> None:
    """A session stored with a catalogue's default title (any of the five languages) becomes
    untitled, shown to each reader in theirs; a title a teacher typed stays; a downgrade gives
    untitled ones English's default back."""
    db = create_database(empty_database_url)
    await upgrade(db, "0027")
    t0 = "'2026-10-07 09:00:00.000000'"
    titles = {
        1: "Exchange session",
        2: "جلسة التبادل",
        3: "Sesión de intercambio",
        4: "Séance d'échange",
        5: "Değişim oturumu",
        6: "Book club",
        7: "Exchange session 2",
    }
    async with db.transaction() as conn:
        await conn.execute(
            text(
                "INSERT INTO partnerships (id, guild_id, name, status, created_at) "
                f"VALUES (1, 7, 'X', 'active', {t0})"
            )
        )
        for id_, title in titles.items():
            await conn.execute(
                text(
                    "INSERT INTO sessions (id, guild_id, partnership_id, title, timezone, "
                    "first_local, starts_at, rrule, duration_minutes, created_by, created_at, "
                    f"updated_at) VALUES ({id_}, 7, 1, :title, 'UTC', '2026-10-07T09:00', {t0}, "
                    f"'FREQ=DAILY;COUNT=1', 60, 303, {t0}, {t0})"
                ),
                {"title": title},
            )

    async def stored() -> dict[int, str]:
        async with db.read() as conn:
            rows = (await conn.execute(text("SELECT id, title FROM sessions"))).all()
        return {row.id: row.title for row in rows}

    await upgrade(db)
    assert await stored() == {1: "", 2: "", 3: "", 4: "", 5: "", 6: "Book club", 7: titles[7]}
    await downgrade(db, "0027")
    after = await stored()
    await db.dispose()
    assert after == {**dict.fromkeys(range(1, 6), "Exchange session"), 6: "Book club", 7: titles[7]}
