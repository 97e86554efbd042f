"""Erasure and the batched activity writer: events queued about a person before their erasure
are written before the log is scrubbed, and none lands with their id afterwards."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select

from bot.clock import ManualClock
from bot.services.access import Actor
from bot.services.activity_writer import ActivityWriter
from bot.services.privacy import PrivacyService
from bot.store import Database
from bot.store.schema import activity
from tests.test_activity_writer import AT, a_pair, message

BEN = 101  # Ben's Discord id in a_pair
COORDINATOR = Actor(guild_id=1, user_id=999, role_ids=frozenset(), is_admin=True)


class Spaces:
    """The pairing port, recording what erasure asked of Discord."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, tuple[int, ...]]] = []

    async def check_permissions(self, kind: str) -> None:
        return None

    async def set_members(
        self, space_id: int, kind: str, add: Sequence[int], remove: Sequence[int]
    ) -> None:
        self.calls.append(("set_members", space_id, tuple(remove)))

    async def archive(self, space_id: int, kind: str, user_ids: Sequence[int]) -> None:
        self.calls.append(("archive", space_id, tuple(user_ids)))

    async def restore(
        self, space_id: int, kind: str, user_ids: Sequence[int], *, paused: bool
    ) -> None:
        self.calls.append(("restore", space_id, tuple(user_ids)))


class Scheduler:
    """The scheduler as erasure sees it: told to re-read the sends."""

    up_since: datetime | None = None

    def __init__(self) -> None:
        self.rearmed = 0

    async def rearm(self) -> None:
        self.rearmed += 1

    def wake_by(self, when: datetime) -> None:
        self.rearmed += 1


def privacy(db: Database, writer: ActivityWriter) -> PrivacyService:
    return PrivacyService(db, ManualClock(AT), Scheduler(), writer, retention_days=180)


async def rows_naming(db: Database, user_id: int) -> int:
    async with db.read() as conn:
        found = await conn.execute(
            select(activity.c.id).where(
                or_(activity.c.actor_id == user_id, activity.c.details.contains(str(user_id)))
            )
        )
        return len(found.all())


async def test_events_queued_before_an_erasure_do_not_bring_the_id_back(db: Database) -> None:
    """Ben's last messages, still queued when he is erased, end up without his id."""
    pair = await a_pair(db)
    writer = ActivityWriter(db)  # not started: nothing is written on a timer
    message(writer, pair, pair.ben, AT, 12)
    message(writer, pair, pair.ben, AT, 5)
    spaces = Spaces()
    await privacy(db, writer).erase_person(COORDINATOR, BEN, ("Ben",), spaces)
    assert writer.pending == 0
    await writer.flush()
    assert await rows_naming(db, BEN) == 0
    # He was taken out of his space first, and the pair he left (no partner city) ended.
    assert spaces.calls == [("set_members", 555, (BEN,)), ("archive", 555, (202,))]


async def test_events_queued_during_an_erasure_lose_the_id(db: Database) -> None:
    """While the writer is held for an erasure, new events queue; forgetting the person takes
    their id out of those before anything is written."""
    pair = await a_pair(db)
    writer = ActivityWriter(db)
    async with writer.quiet():
        message(writer, pair, pair.ben, AT, 3)
        message(writer, pair, pair.ali, AT, 4)
        assert writer.forget(BEN) == 1
    assert await writer.flush() == 2
    assert await rows_naming(db, BEN) == 0
    assert await rows_naming(db, 202) == 1


async def test_export_includes_events_still_queued(db: Database) -> None:
    """An export made right after Ben wrote holds that message too."""
    pair = await a_pair(db)
    writer = ActivityWriter(db)
    message(writer, pair, pair.ben, AT, 7)
    found = await privacy(db, writer).export_person(COORDINATOR, BEN)
    assert b'"pair.message"' in found.data
