"""Two exchanges in one server, for the tests of who may act where.

Exchange A is the usual world (Minneapolis ↔ Najaf, Ms Rivera and Ustadh Kareem its teachers);
exchange B (Winston-Salem ↔ Kumasi, Mr Owusu its teacher) sits in the same server with its own
channels. Mx Adler has the teacher role but joined no exchange. Each side gets what the staff
actions act on, on demand: students (paired, one paused), a session series, a report, a chess
game, an own prompt, a paused space, a dashboard link.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from bot.domain.exchange import Role
from bot.sandbox.driver import Reply, Sandbox, iter_components
from bot.sandbox.state import Channel, ChannelType, Member, Message
from bot.store import consent as consent_store
from bot.store import roster
from bot.store.exchanges import get_exchange
from bot.store.schema import (
    chess_games,
    chess_matches,
    chess_rounds,
    dashboard_links,
    metadata,
    reports,
    sessions,
)
from tests.sandbox.world import World, make_world, publish

# Where each side's first session is: the first Tuesday of October 2026, 15:00 local.
SESSION_START = "2026-10-06"


@dataclass
class Side:
    """One exchange and what its staff act on."""

    sb: Sandbox
    exchange_id: int
    cities: tuple[str, str]
    city_ids: tuple[int, int]
    teacher: Member
    teachers_channel: Channel
    announcements: Channel
    voice: Channel
    names: tuple[str, str, str, str, str]  # two per city, then a paused one (second city)
    students: dict[str, Member] = field(default_factory=dict)
    session_id: int | None = None
    report_id: int | None = None
    game_id: int | None = None
    own_prompt: str | None = None
    link_id: int | None = None  # a dashboard link of the side's teacher
    preview: Message | None = None  # a schedule preview of the side's teacher, not confirmed
    break_id: int | None = None  # a school break of the side's first city
    league_id: int | None = None  # a chess league season of the side's cities
    match_id: int | None = None  # its first match, started

    def student(self, index: int) -> Member:
        return self.students[self.names[index]]

    @property
    def paused_student(self) -> Member:
        return self.students[self.names[4]]

    async def add_student(self, name: str, city: int, *, status: str = "active") -> Member:
        sb = self.sb
        member = sb.add_member(name, roles=[student_role(sb)])
        sb.typed("Hello!")  # as if typed in /join's form: the introduction is data
        async with sb.bot.ctx.db.transaction() as conn:
            participant = await roster.add(
                conn,
                guild_id=sb.guild.id,
                exchange_id=self.exchange_id,
                user_id=member.user.id,
                role=Role.STUDENT,
                display_name=name,
                city_id=self.city_ids[city],
                now=sb.now(),
                grade_band="13-15",
                languages=("en",),
                interests=("chess",),
                intro="Hello!",
            )
            if status != "active":
                await roster.update_profile(conn, participant, sb.now(), status=status)
            # Enrolled with a guardian's consent on file, as pairing needs (issue 23).
            await consent_store.record(conn, self.exchange_id, participant, True, 0, sb.now())
        self.students[name] = member
        return member

    def space_of(self, member: Member) -> Channel:
        (space,) = [
            c
            for c in self.sb.guild.channels.values()
            if c.name.startswith("pair-") and self.sb.guild.can_view(member.user.id, c.id)
        ]
        return space


def student_role(sb: Sandbox) -> Any:
    return next(r for r in sb.guild.roles.values() if r.name == "Students")


@dataclass
class Scope:
    """Both exchanges, their teachers, and a teacher of none."""

    world: World
    a: Side
    b: Side
    lone: Member

    @property
    def sb(self) -> Sandbox:
        return self.world.sb


def side_of(world: World) -> Side:
    """Exchange A of the usual world, as a side."""
    sb = world.sb
    return Side(
        sb,
        world.exchange_id,
        ("Minneapolis", "Najaf"),
        world.city_ids,
        world.teacher,
        world.teachers_channel,
        world.announcements,
        sb.add_channel("A call", kind=ChannelType.VOICE),
        ("Ben", "Maya", "Ali", "Zainab", "Omar"),
    )


async def one_exchange(sb: Sandbox) -> Scope:
    """The usual world alone (B is A again), with Mx Adler, a teacher of no exchange."""
    world = await make_world(sb)
    a = side_of(world)
    lone = sb.add_member("Mx Adler", roles=[world.teachers_role])
    return Scope(world, a, a, lone)


async def two_exchanges(sb: Sandbox) -> Scope:
    """Exchange A (the usual world) and exchange B in the same server, with a teacher each."""
    scope = await one_exchange(sb)
    world = scope.world
    reply = await sb.command(
        world.coordinator,
        "exchange create",
        name="Winston-Salem–Kumasi",
        city_a="Winston-Salem",
        zone_a="America/New_York",
        languages_a="en",
        city_b="Kumasi",
        zone_b="Africa/Accra",
        languages_b="en",
    )
    b_id = int(reply.embeds[0]["footer"]["text"].rsplit("#", 1)[1])
    b_announcements = sb.add_channel("ws-kumasi")
    b_teachers = sb.add_channel(
        "ws-kumasi-teachers", private_to=[world.teachers_role, world.coordinators_role]
    )
    await sb.command(
        world.coordinator,
        "exchange channels",
        announcements=b_announcements,
        teachers=b_teachers,
        exchange=b_id,
    )
    owusu = sb.add_member("Mr Owusu", roles=[world.teachers_role])
    await sb.command(owusu, "join", city="Kumasi", exchange=b_id)
    async with sb.bot.ctx.db.read() as conn:
        b = await get_exchange(conn, sb.guild.id, b_id)
    assert b is not None
    scope.b = Side(
        sb,
        b_id,
        ("Winston-Salem", "Kumasi"),
        (b.cities[0].id, b.cities[1].id),
        owusu,
        b_teachers,
        b_announcements,
        sb.add_channel("B call", kind=ChannelType.VOICE),
        ("Will", "Sara", "Kofi", "Ama", "Yaw"),
    )
    return scope


# -- what a side's staff act on, made by its own teacher ---------------------------------------


async def paired(side: Side) -> None:
    """Two students per city, paired by the side's teacher; a fifth, paused, left out."""
    for index, name in enumerate(side.names[:4]):
        await side.add_student(name, index // 2)
    await side.add_student(side.names[4], 1, status="paused")
    reply = await side.sb.command(side.teacher, "pair confirm", exchange=side.exchange_id)
    assert "paired spaces created" in reply.text, reply.text


async def scheduled(side: Side) -> None:
    """A monthly series of three sessions, scheduled and confirmed by the side's teacher."""
    sb = side.sb
    reply = await sb.command(
        side.teacher,
        "session schedule",
        start=SESSION_START,
        time="15:00",
        repeat="monthly:nth",
        count=3,
        channel=side.voice,
        exchange=side.exchange_id,
        title=f"Monthly call {side.names[0]}",
    )
    preview = reply.followups[-1] if reply.followups else reply.message
    assert preview is not None
    label = "Schedule anyway" if "Overlaps" in reply.text else "Schedule"
    await sb.click(side.teacher, preview, label)
    async with sb.bot.ctx.db.read() as conn:
        side.session_id = await conn.scalar(
            select(sessions.c.id).where(
                sessions.c.partnership_id == side.exchange_id, sessions.c.status == "active"
            )
        )
    assert side.session_id is not None


async def reported(side: Side) -> None:
    """A paired student files a concern; it is posted in the side's teachers' channel."""
    sb = side.sb
    reporter = side.student(0)
    offer = await sb.command(reporter, "concern", exchange=side.exchange_id)
    done = await sb.choose(reporter, offer, ["uncomfortable"])
    assert "your teachers have been told" in done.text, done.text
    async with sb.bot.ctx.db.read() as conn:
        side.report_id = await conn.scalar(
            select(reports.c.id).where(reports.c.partnership_id == side.exchange_id)
        )
    assert side.report_id is not None


async def playing(side: Side) -> None:
    """The first paired student challenges their partner, who accepts."""
    sb = side.sb
    first = side.student(0)
    space = side.space_of(first)
    partner = next(
        m for m in (side.student(2), side.student(3)) if sb.guild.can_view(m.user.id, space.id)
    )
    await sb.command(first, "chess challenge", where=space, opponent=partner, time="2d")
    await sb.click(partner, sb.messages_in(space)[-1], "Accept")
    async with sb.bot.ctx.db.read() as conn:
        side.game_id = await conn.scalar(
            select(chess_games.c.id)
            .where(chess_games.c.partnership_id == side.exchange_id)
            .order_by(chess_games.c.id.desc())
        )
    assert side.game_id is not None


async def in_league(side: Side) -> None:
    """The side's teacher makes a league of its two cities; its first four students enter."""
    sb = side.sb
    reply = await sb.command(side.teacher, "chess league create", exchange=side.exchange_id)
    found = re.search(r"League #(\d+) created", reply.text)
    assert found, reply.text
    side.league_id = int(found.group(1))
    for index in range(4):
        await sb.command(side.student(index), "chess league join", exchange=side.exchange_id)


async def league_playing(side: Side) -> None:
    """The league's first round is started in the side's announcements channel."""
    sb = side.sb
    reply = await sb.command(
        side.teacher, "chess league round", where=side.announcements, league=side.league_id
    )
    assert "Round 1 of 1" in reply.text, reply.text
    async with sb.bot.ctx.db.read() as conn:
        side.match_id = await conn.scalar(
            select(chess_matches.c.id)
            .join(chess_rounds, chess_rounds.c.id == chess_matches.c.round_id)
            .where(chess_rounds.c.season_id == side.league_id)
        )
    assert side.match_id is not None


async def own_prompt(side: Side) -> None:
    """The side's teacher adds a prompt of the exchange's own."""
    reply = await side.sb.command(
        side.teacher,
        "prompt add",
        english=f"What did {side.names[0]} cook today?",
        exchange=side.exchange_id,
    )
    side.own_prompt = next(w.strip("*`.,:()") for w in reply.text.split() if "own-" in w)


async def paused_space(side: Side) -> None:
    """The second city's second student's space is paused by the side's teacher."""
    reply = await side.sb.command(
        side.teacher, "space pause", student=side.student(3), exchange=side.exchange_id
    )
    assert "paused" in reply.text, reply.text


async def published(side: Side) -> None:
    """The bot has a public address (PUBLIC_URL): dashboard links and feeds can be made."""
    publish(side.sb)


async def linked(side: Side) -> None:
    """The side's teacher makes a dashboard link of their city."""
    reply = await side.sb.command(side.teacher, "report link", exchange=side.exchange_id)
    assert "/d/" in reply.text, reply.text
    async with side.sb.bot.ctx.db.read() as conn:
        side.link_id = await conn.scalar(
            select(dashboard_links.c.id)
            .where(dashboard_links.c.partnership_id == side.exchange_id)
            .order_by(dashboard_links.c.id.desc())
        )
    assert side.link_id is not None


# -- what "nothing changed" compares --------------------------------------------------------------


async def database_state(sb: Sandbox) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    async with sb.bot.ctx.db.read() as conn:
        for table in metadata.sorted_tables:
            rows = (await conn.execute(select(table))).all()
            found[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return found


def discord_state(sb: Sandbox) -> dict[str, Any]:
    """What members of the server can see: channels, their permissions, posts, events."""
    channels = {
        c.id: (
            c.name,
            c.parent_id,
            repr(c.overwrites),
            c.archived,
            c.locked,
            sorted(c.thread_members),
        )
        for c in sb.guild.channels.values()
    }
    posts = {
        m.id: (m.channel_id, m.content, repr(m.embeds), repr(m.components), m.deleted)
        for m in sb.server.messages.values()
        if not m.ephemeral
    }
    events = {e.id: repr(e) for e in sb.guild.events.values()}
    return {"channels": channels, "posts": posts, "events": events}


def first_button(message: Message | Reply, label: str) -> dict[str, Any]:
    source = message.message if isinstance(message, Reply) else message
    assert source is not None
    return next(c for c in iter_components(source.components) if c.get("label") == label)


def stamp(day: str, hour: int = 20) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)
