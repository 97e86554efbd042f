"""Every /pair and /prompt command and page button acknowledges before it reads the database.

Discord waits 3 seconds for the first answer to an interaction. Here every database checkout
waits until the test lets it through: each interaction must still be acknowledged within
those 3 seconds, then answered with its outcome once the database is back.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.limits import ACKNOWLEDGE_WITHIN
from bot.sandbox.driver import Reply, Sandbox
from bot.sandbox.server import Interaction
from bot.store import Database
from tests.sandbox.safety_world import six_students, space_of
from tests.sandbox.test_pair_history_and_swaps import long_history
from tests.sandbox.world import World, make_world

# Discord's "deferred channel message" and "deferred update message" callbacks.
DEFERRED = (5, 6)


class HeldDatabase:
    """A database that answers nothing while held: every read and transaction waits."""

    def __init__(self, db: Database) -> None:
        self._read = db.read
        self._transaction = db.transaction
        self.open = asyncio.Event()
        self.open.set()
        self.asked = asyncio.Event()  # someone waited for the database while it was held

    def hold(self) -> None:
        self.open.clear()
        self.asked.clear()

    def release(self) -> None:
        self.open.set()

    async def _wait(self) -> None:
        if not self.open.is_set():
            self.asked.set()
            await self.open.wait()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        await self._wait()
        async with self._read() as conn:
            yield conn

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        await self._wait()
        async with self._transaction() as conn:
            yield conn


@pytest.fixture
def held(sb: Sandbox, monkeypatch: pytest.MonkeyPatch) -> HeldDatabase:
    """The bot's database, held whenever the test says (the services share this object)."""
    db = sb.bot.ctx.db
    gate = HeldDatabase(db)
    monkeypatch.setattr(db, "read", gate.read)
    monkeypatch.setattr(db, "transaction", gate.transaction)
    return gate


async def while_held(sb: Sandbox, held: HeldDatabase, act: Callable[[], Awaitable[Reply]]) -> Reply:
    """Do `act` (one interaction) with the database held until the bot has acknowledged it
    and is waiting for the database; then let the database answer and return the reply."""
    before = set(sb.server.interactions)
    within = ACKNOWLEDGE_WITHIN.total_seconds()
    held.hold()
    task = asyncio.ensure_future(act())
    try:
        await sb.wait_for(lambda: set(sb.server.interactions) - before, "the interaction")
        (new,) = set(sb.server.interactions) - before
        interaction: Interaction = sb.server.interactions[new]
        try:
            await asyncio.wait_for(interaction.answered.wait(), within)
        except TimeoutError:
            pytest.fail("not acknowledged within Discord's 3 s while the database was busy")
        assert interaction.response_type in DEFERRED
        # Acknowledged, and now waiting for the database: nothing was read before.
        await asyncio.wait_for(held.asked.wait(), within)
    except BaseException:
        held.release()
        await asyncio.gather(task, return_exceptions=True)
        raise
    held.release()
    reply = await task
    await sb.idle()
    sb.check()
    return reply


async def test_pair_commands_acknowledge_before_reading(sb: Sandbox, held: HeldDatabase) -> None:
    """preview, confirm, history, swap and remove: acknowledged at once, then answered."""
    world = await make_world(sb)
    await six_students(world)
    teacher = world.teacher
    ben, maya = world.students["Ben"], world.students["Maya"]

    reply = await while_held(sb, held, lambda: sb.command(teacher, "pair preview"))
    assert "Groups: 3" in reply.text
    reply = await while_held(sb, held, lambda: sb.command(teacher, "pair confirm"))
    assert "3 paired spaces created" in reply.text
    reply = await while_held(sb, held, lambda: sb.command(teacher, "pair history"))
    assert "Round 1" in reply.text
    reply = await while_held(
        sb, held, lambda: sb.command(teacher, "pair swap", first=ben, second=maya)
    )
    assert "Swapped Ben and Maya" in reply.text
    reply = await while_held(sb, held, lambda: sb.command(teacher, "pair remove", student=ben))
    assert "Ben's pair has ended" in reply.text


async def test_page_buttons_acknowledge_before_reading(sb: Sandbox, held: HeldDatabase) -> None:
    """▶ under /pair preview and /pair history: acknowledged at once, then the next page."""
    world = await long_history(sb)
    preview = await sb.command(world.teacher, "pair preview")
    history = await sb.command(world.teacher, "pair history")
    assert "Page 1 of" in preview.text and "Page 1 of" in history.text

    turned = await while_held(sb, held, lambda: sb.click(world.teacher, preview, "▶"))
    assert "Page 2 of" in turned.text and "11. " in turned.text
    turned = await while_held(sb, held, lambda: sb.click(world.teacher, history, "▶"))
    assert "Page 2 of" in turned.text


async def test_prompt_commands_acknowledge_before_reading(sb: Sandbox, held: HeldDatabase) -> None:
    """now, next, add, edit, retire, restore, list and stats: acknowledged, then answered."""
    world: World = await make_world(sb)
    await six_students(world)
    await sb.command(world.teacher, "pair confirm")
    teacher, ben = world.teacher, world.students["Ben"]

    async def prompt(path: str, **options: str) -> str:
        reply = await while_held(sb, held, lambda: sb.command(teacher, path, **options))
        return reply.text

    asked = await while_held(
        sb, held, lambda: sb.command(ben, "prompt next", where=space_of(sb, ben))
    )
    assert "Your pair's next prompt is posted" in asked.text
    assert "Posted the next prompt in 3 paired spaces" in await prompt("prompt now")
    assert "own-1" in await prompt("prompt add", english="What made you laugh today?")
    assert "own-1" in await prompt("prompt edit", prompt="own-1", spanish="¿Qué te hizo reír?")
    assert "daily.morning" in await prompt("prompt retire", prompt="daily.morning")
    assert "daily.morning" in await prompt("prompt restore", prompt="daily.morning")
    assert "What made you laugh today?" in await prompt("prompt list")
    assert "got a reply" in await prompt("prompt stats")
