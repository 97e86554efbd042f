"""The database's own dangers: logs that print what people wrote, erased words left in the
write-ahead log, and the file deleted or replaced under the running bot."""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from bot import app
from bot.i18n import t
from bot.logs import PERSONAL_AT_DEBUG, setup_logging
from bot.sandbox.driver import Sandbox
from bot.store.schema import participants
from tests.sandbox.roster_steps import join, on_roster
from tests.sandbox.world import World, make_world

LOGGERS = ("discord.gateway", "discord.http", "alembic", *PERSONAL_AT_DEBUG)


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put the global logging configuration back as it was after the test."""
    root = logging.getLogger()
    saved = (root.level, list(root.handlers), {n: logging.getLogger(n).level for n in LOGGERS})
    yield
    root.setLevel(saved[0])
    root.handlers[:] = saved[1]
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


def database_files(folder: Path) -> dict[str, bytes]:
    """The database file and its companions (-wal, -shm), as they are on disk now."""
    return {p.name: p.read_bytes() for p in sorted(folder.glob("sandbox.db*"))}


def delete_database(folder: Path) -> None:
    """Remove the database file and its companions, as a careless operator might."""
    for path in folder.glob("sandbox.db*"):
        path.unlink()


def replace_database(folder: Path) -> None:
    """Put a copy in the database file's place (another file with the same contents)."""
    path = folder / "sandbox.db"
    shutil.copy(path, folder / "copy.db")
    os.replace(folder / "copy.db", path)


def written_since(folder: Path) -> int:
    """Bytes in a database file at the old place (0 when there is none)."""
    path = folder / "sandbox.db"
    return path.stat().st_size if path.exists() else 0


async def student_with_words(world: World, marker: str) -> None:
    """Ali joins through the /join panel with `marker` in his introduction and is paired."""
    sb = world.sb
    ali = sb.add_member("Ali", roles=[world.students_role])
    await join(sb, ali, "Najaf", intro=f"{marker} أحب الشطرنج")
    world.students["Ali"] = ali
    await world.add_student("Ben", 0)
    await sb.command(world.teacher, "pair confirm")


# -- logs -----------------------------------------------------------------------------------------


@pytest.mark.usefixtures("restore_logging")
async def test_no_log_level_prints_what_people_wrote(
    sb: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    """LOG_LEVEL=DEBUG: an introduction and a report's words go through the database driver
    and SQLAlchemy, and a failing statement is logged with its traceback; none shows them."""
    setup_logging("DEBUG")  # what LOG_LEVEL=DEBUG does
    caplog.set_level(logging.DEBUG)
    world = await make_world(sb)
    marker = f"SENTINEL-{uuid.uuid4().hex}"
    await student_with_words(world, marker)
    ali = world.students["Ali"]
    offer = await sb.command(ali, "concern")
    done = await sb.choose(ali, offer, ["uncomfortable"])
    form = await sb.click(ali, done, "Add a few words")
    await sb.submit(ali, form, details=f"{marker} in a report")
    me = await on_roster(sb, world.exchange_id, ali)
    assert me is not None and marker in me.intro, "the words did reach the database"
    # A statement that fails with the words among its parameters, logged as the error path
    # logs unexpected failures (with the traceback).
    with pytest.raises(IntegrityError) as failure:
        async with sb.bot.ctx.db.transaction() as conn:
            await conn.execute(
                insert(participants).values(
                    id=me.id, guild_id=sb.guild.id, user_id=1, role="student", intro=marker
                )
            )
    logging.getLogger("bot.test").error("a failed statement", exc_info=failure.value)
    assert any(r.levelno == logging.DEBUG for r in caplog.records), "DEBUG records were kept"
    statements = [r for r in caplog.records if r.name.startswith("sqlalchemy.engine")]
    assert statements, "SQLAlchemy logged its statements (without their parameters)"
    assert marker not in caplog.text, "a log line holds what a student wrote"
    assert marker not in str(failure.value), "an error's text holds what a student wrote"


# -- erasure ---------------------------------------------------------------------------------------


async def test_an_erased_person_s_words_are_in_no_file_of_the_database(
    sb: Sandbox, tmp_path: Path
) -> None:
    """After /privacy erase, neither the database file nor its -wal or -shm holds the words
    the student wrote (SQLite keeps old page versions in the -wal until a checkpoint)."""
    world = await make_world(sb)
    marker = f"SENTINEL-{uuid.uuid4().hex}"
    await student_with_words(world, marker)
    ali = world.students["Ali"]
    await sb.idle()
    before = database_files(tmp_path)
    assert any(marker.encode() in data for data in before.values()), "the words were on disk"
    ask = await sb.command(world.coordinator, "privacy erase", student=ali)
    done = await sb.click(world.coordinator, ask, "Erase for good")
    assert "is erased" in done.text
    await sb.idle()
    after = database_files(tmp_path)
    assert "sandbox.db" in after
    for name, data in after.items():
        assert marker.encode() not in data, f"{name} still holds the erased words"
    # The bot goes on working with the checkpointed database.
    assert "Ben" in (await sb.command(world.teacher, "roster list")).text


# -- the file under the bot -----------------------------------------------------------------------


@contextmanager
def bugs_expected(sb: Sandbox) -> Iterator[list[str]]:
    """Within the block the bot's failures are collected instead of failing the action."""
    found: list[str] = []
    sb.check = lambda: None  # type: ignore[method-assign]
    try:
        yield found
    finally:
        del sb.check
        found += sb.expect_problems()


async def gone_and_refused(sb: Sandbox, world: World, caplog: pytest.LogCaptureFixture) -> None:
    """After the file went: a teacher's command is answered truthfully, nothing is stored in
    a ghost file, the bot says why in its log and its health, and stops."""
    ben = world.students["Ben"]
    with bugs_expected(sb) as problems:
        reply = await sb.command(world.teacher, "roster pause", student=ben)
    assert t("error.generic", "en") in reply.text, reply.text
    assert "nothing was changed" in reply.text
    assert problems and all("DatabaseGoneError" in p for p in problems), problems
    assert sb.bot.problem is not None and "sandbox.db" in sb.bot.problem
    report = await sb.bot.ctx.health.run()
    assert not report.checks["database"].ok, report.checks["database"]
    critical = [r for r in caplog.records if r.levelno == logging.CRITICAL]
    assert critical and "stopping now" in critical[0].getMessage()
    await sb.wait_for(sb.bot.is_closed, "the bot to stop")


async def test_a_deleted_database_file_stops_the_bot_loudly(
    sb: Sandbox, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The file deleted under the running bot: noticed at the next use, never written to."""
    world = await make_world(sb)
    await world.add_student("Ben", 0)
    await sb.idle()
    delete_database(tmp_path)
    await gone_and_refused(sb, world, caplog)
    assert written_since(tmp_path) == 0, "nothing was written to a new, empty file"


async def test_a_replaced_database_file_stops_the_bot_loudly(
    sb: Sandbox, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A copy put in its place (a restore while running) is another file: the bot stops."""
    world = await make_world(sb)
    await world.add_student("Ben", 0)
    await sb.idle()
    replace_database(tmp_path)
    await gone_and_refused(sb, world, caplog)


async def test_an_idle_bot_notices_too(
    sb: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without any command, the bot's watch finds the file gone and stops the bot."""
    monkeypatch.setattr(app, "DATABASE_WATCH_SECONDS", 0.05)
    await sb.restart_bot()  # its watch now looks every 50 ms
    delete_database(tmp_path)
    await sb.wait_for(sb.bot.is_closed, "the bot to stop")
    assert sb.bot.problem is not None and "deleted" in sb.bot.problem
    report = await sb.bot.ctx.health.run()
    assert not report.checks["database"].ok, report.checks["database"]
