"""What the session tests share: a paired exchange with a voice channel, and small readers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.sandbox.driver import Reply, Sandbox, message_text
from bot.sandbox.ratelimit import Limits
from bot.sandbox.state import Channel, ChannelType, Message
from bot.store.schema import (
    scheduled_sends,
    session_attendance,
    session_occurrences,
    sessions,
)
from tests.sandbox.calendar_check import calendars_agree
from tests.sandbox.world import World, make_world

# The first Tuesday of October 2026 at 15:00 in Minneapolis (CDT) is 20:00 UTC; November's
# and December's (CST) are at 21:00 UTC.
OCT = datetime(2026, 10, 6, 20, tzinfo=UTC)
NOV = datetime(2026, 11, 3, 21, tzinfo=UTC)
DEC = datetime(2026, 12, 1, 21, tzinfo=UTC)


# Discord allows 5 messages per channel in 5 real seconds. These tests compress months into
# seconds, so posts that would be weeks apart must not wait on a real-time window.
MONTHS_IN_SECONDS = Limits(messages_window=0.01)


@asynccontextmanager
async def compressed_time(
    folder: Path, request: pytest.FixtureRequest | None = None
) -> AsyncIterator[Sandbox]:
    """A sandbox whose per-channel message window suits a clock moving by weeks; in the
    pseudo-locale for a test marked `pseudo_locale` (`request`), as the `sb` fixture is."""
    marked = request is not None and request.node.get_closest_marker("pseudo_locale")
    pseudo_locale = True if marked else None
    async with Sandbox.running(
        folder, limits=MONTHS_IN_SECONDS, pseudo_locale=pseudo_locale
    ) as sandbox:
        yield sandbox
        await calendars_agree(sandbox)


@dataclass
class Exchange:
    """The world plus what sessions use: two pairs and a voice channel."""

    world: World
    voice: Channel

    @property
    def sb(self) -> Sandbox:
        return self.world.sb

    def student(self, name: str) -> Any:
        return self.world.students[name]

    def spaces(self) -> list[Channel]:
        return sorted(
            (c for c in self.sb.guild.channels.values() if c.name.startswith("pair-")),
            key=lambda c: c.name,
        )


async def paired_exchange(sb: Sandbox) -> Exchange:
    """Minneapolis ↔ Najaf with Ben and Maya, Ali and Zainab, paired across the cities."""
    world = await make_world(sb)
    await world.add_student("Ali", 1, languages=("ar", "en"))
    await world.add_student("Zainab", 1, languages=("ar",))
    await world.add_student("Ben", 0)
    await world.add_student("Maya", 0, languages=("en", "es"))
    await sb.command(world.teacher, "pair confirm")
    voice = sb.add_channel("Exchange call", kind=ChannelType.VOICE)
    return Exchange(world, voice)


def preview_of(reply: Reply) -> Message:
    """The ephemeral preview with its buttons (the acknowledged answer, or a follow-up)."""
    return reply.followups[-1] if reply.followups else reply.message  # type: ignore[return-value]


async def schedule(ex: Exchange, **options: Any) -> Reply:
    """A teacher asks for the first Tuesday of each month at 15:00 Chicago, three times."""
    values: dict[str, Any] = {
        "start": "2026-10-06",
        "time": "15:00",
        "repeat": "monthly:nth",
        "count": 3,
        "channel": ex.voice,
        "prompt": "What does your family eat for breakfast?",
    }
    values.update(options)
    values = {k: v for k, v in values.items() if v is not None}
    member = values.pop("member", ex.world.teacher)
    return await ex.sb.command(member, "session schedule", **values)


async def schedule_confirmed(ex: Exchange, **options: Any) -> Reply:
    reply = await schedule(ex, **options)
    label = "Schedule anyway" if "Overlaps" in reply.text else "Schedule"
    return await ex.sb.click(ex.world.teacher, preview_of(reply), label)


def texts(sb: Sandbox, channel: Channel, marker: str) -> list[str]:
    """The texts of the bot's posts in a channel that contain `marker`."""
    return [message_text(m) for m in sb.messages_in(channel) if marker in message_text(m)]


def started_post(ex: Exchange) -> Message:
    return [m for m in ex.sb.messages_in(ex.world.announcements) if "▶️" in m.content][-1]


async def count(sb: Sandbox, table: Any, *where: Any) -> int:
    async with sb.bot.ctx.db.read() as conn:
        query = select(func.count()).select_from(table)
        for clause in where:
            query = query.where(clause)
        return int((await conn.execute(query)).scalar_one())


async def nothing_scheduled(sb: Sandbox) -> bool:
    """No active series, no occurrence, no planned session send, no Discord event."""
    return (
        await count(sb, sessions, sessions.c.status == "active") == 0
        and await count(sb, session_occurrences) == 0
        and await count(sb, scheduled_sends, scheduled_sends.c.kind.startswith("session.")) == 0
        and sb.events() == []
    )


async def attendance_rows(sb: Sandbox) -> list[tuple[str, str]]:
    """(participant display name, method) of every attendance record."""
    from bot.store.schema import participants

    async with sb.bot.ctx.db.read() as conn:
        rows = await conn.execute(
            select(participants.c.display_name, session_attendance.c.method).join(
                participants, participants.c.id == session_attendance.c.participant_id
            )
        )
        return sorted((r[0], r[1]) for r in rows)


async def send_statuses(sb: Sandbox, kind: str) -> list[str]:
    async with sb.bot.ctx.db.read() as conn:
        rows = await conn.execute(
            select(scheduled_sends.c.status)
            .where(scheduled_sends.c.kind == kind)
            .order_by(scheduled_sends.c.due_at)
        )
        return [r[0] for r in rows]


async def add_city(world: World, name: str, zone: str, languages: str, weekend: str) -> None:
    """Another city in the world's exchange, added by its coordinator (weekend: ISO days)."""
    days = ",".join(
        ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[int(d) - 1] for d in weekend.split(",")
    )
    reply = await world.sb.command(
        world.coordinator,
        "exchange city add",
        city=name,
        zone=zone,
        languages=languages,
        weekend=days,
    )
    assert name in reply.text, reply.text
