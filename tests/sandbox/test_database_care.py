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
from tests.databases import sqlite_only
from tests.sandbox.roster_steps import join, on_roster
from tests.sandbox.world import World, make_world

pytestmark = sqlite_only("the database file moved, replaced, or read byte by byte")

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


def move_database(folder: Path, to: Path) -> Path:
    """Move the database file and its companions to another folder, as a careless clean-up
    might (for the bot, the same as deleting them); returns where they went."""
    to.mkdir(exist_ok=True)
    for path in folder.glob("sandbox.db*"):
        path.rename(to / path.name)
    return to


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


async def refused_while_gone(sb: Sandbox, world: World, caplog: pytest.LogCaptureFixture) -> None:
    """While the file is not the one the bot opened: a teacher's command is answered
    truthfully and changes nothing; the log (CRITICAL) and the health check say why."""
    ben = world.students["Ben"]
    with bugs_expected(sb) as problems:
        reply = await sb.command(world.teacher, "roster pause", student=ben)
    assert t("error.generic", "en") in reply.text, reply.text
    assert "nothing was changed" in reply.text
    assert problems and all("DatabaseGoneError" in p for p in problems), problems
    report = await sb.bot.ctx.health.run()
    assert not report.checks["database"].ok, report.checks["database"]
    critical = [r.getMessage() for r in caplog.records if r.levelno == logging.CRITICAL]
    assert critical and "sandbox.db" in critical[0] and "Put the file back" in critical[0]


async def test_a_database_file_moved_away_is_never_written_and_used_again_when_back(
    sb: Sandbox, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The file moved (or deleted) under the running bot: noticed at the next use, nothing
    written, no empty file made in its place; moved back, the bot goes on."""
    world = await make_world(sb)
    await world.add_student("Ben", 0)
    await sb.idle()
    aside = move_database(tmp_path, tmp_path / "aside")
    await refused_while_gone(sb, world, caplog)
    assert written_since(tmp_path) == 0, "no new, empty database file at the old place"
    move_database(aside, tmp_path)
    reply = await sb.command(world.teacher, "roster pause", student=world.students["Ben"])
    assert "**Ben** is paused" in reply.text
    report = await sb.bot.ctx.health.run()
    assert report.checks["database"].ok, report.checks["database"]


async def test_a_replaced_database_file_is_never_written(
    sb: Sandbox, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A copy put in its place (a restore while running) is another file: refused too, since
    the bot's connections still write to the old one."""
    world = await make_world(sb)
    await world.add_student("Ben", 0)
    await sb.idle()
    replace_database(tmp_path)
    await refused_while_gone(sb, world, caplog)


async def test_an_idle_bot_notices_too(
    sb: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Without any command, the bot's watch finds the file gone and says so."""
    monkeypatch.setattr(app, "DATABASE_WATCH_SECONDS", 0.05)
    await sb.restart_bot()  # its watch now looks every 50 ms
    aside = move_database(tmp_path, tmp_path / "aside")

    def told() -> bool:
        return any(r.levelno == logging.CRITICAL for r in caplog.records)

    await sb.wait_for(told, "the bot to log that its database file is gone")
    assert sb.bot.ctx.db.fault is not None and "deleted or moved" in sb.bot.ctx.db.fault
    move_database(aside, tmp_path)
    await sb.wait_for(lambda: sb.bot.ctx.db.fault is None, "the file to be used again")
