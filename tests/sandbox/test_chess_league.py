"""The chess league between cities through the real bot: a three-city season, a round, games
played through the ordinary move path, standings (embed and picture), a match's PGN, and bad
input answered with nothing changed."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import chess.pgn
import pytest
from PIL import Image
from sqlalchemy import func, select

from bot.domain.exchange import Role
from bot.sandbox.driver import Sandbox
from bot.sandbox.ratelimit import Limits
from bot.sandbox.state import Channel, Member
from bot.store import roster
from bot.store.schema import (
    chess_boards,
    chess_games,
    chess_season_players,
    chess_seasons,
    cities,
)
from tests.sandbox.world import World, make_world

SCHOLARS_MATE = ["e4", "e5", "Bc4", "Nc6", "Qh5", "Nf6", "Qxf7#"]
FOOLS_MATE = ["f3", "e5", "g4", "Qh4#"]


@pytest.fixture
async def sb(tmp_path: Path) -> AsyncIterator[Sandbox]:
    """Discord's per-channel post limit on a 50 ms window: a round posts many boards at once."""
    async with Sandbox.running(tmp_path, limits=Limits(messages_window=0.05)) as sandbox:
        yield sandbox


async def add_city(world: World, name: str, zone: str) -> int:
    """A third city, added by the coordinator (a network, issue 18 part A); returns its id."""
    reply = await world.sb.command(
        world.coordinator, "exchange city add", city=name, zone=zone, languages="en"
    )
    async with world.sb.bot.ctx.db.read() as conn:
        found = await conn.scalar(
            select(cities.c.id).where(
                cities.c.partnership_id == world.exchange_id, cities.c.name == name
            )
        )
    assert found is not None, reply.text
    return int(found)


async def add_student(world: World, name: str, city_id: int) -> Member:
    member = world.sb.add_member(name, roles=[world.students_role])
    async with world.sb.bot.ctx.db.transaction() as conn:
        await roster.add(
            conn,
            guild_id=world.sb.guild.id,
            exchange_id=world.exchange_id,
            user_id=member.user.id,
            role=Role.STUDENT,
            display_name=name,
            city_id=city_id,
            now=world.sb.now(),
        )
    world.students[name] = member
    return member


@pytest.fixture
async def world(sb: Sandbox) -> World:
    """Minneapolis (Ben, Bea), Najaf (Ali) and Accra (Kofi, Ama)."""
    world = await make_world(sb)
    accra = await add_city(world, "Accra", "Africa/Accra")
    await add_student(world, "Ben", world.city_ids[0])
    await add_student(world, "Bea", world.city_ids[0])
    await add_student(world, "Ali", world.city_ids[1])
    await add_student(world, "Kofi", accra)
    await add_student(world, "Ama", accra)
    return world


async def count(sb: Sandbox, table: object) -> int:
    async with sb.bot.ctx.db.read() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table)) or 0)  # type: ignore[arg-type]


async def play(
    sb: Sandbox, channel: Channel, game: int, white: Member, black: Member, moves: list[str]
) -> None:
    for index, san in enumerate(moves):
        mover = white if index % 2 == 0 else black
        reply = await sb.command(mover, "chess move", where=channel, move=san, game=game)
        assert "You played" in reply.text, reply.text


def told(sb: Sandbox, channel: Channel, member: Member, round_number: int = 1) -> str:
    """What the round's post to one student says."""
    mine = [
        m.content
        for m in sb.messages_in(channel)
        if m.content.startswith(f"<@{member.user.id}> — round {round_number}")
    ]
    assert len(mine) == 1, mine
    return mine[0]


async def test_a_three_city_season_round_standings_and_match_pgn(sb: Sandbox, world: World) -> None:
    s = world.students
    created = await sb.command(world.teacher, "chess league create")
    assert "League #1 created between Minneapolis, Najaf, and Accra: 3 rounds, 3d" in created.text
    for name in s:
        joined = await sb.command(s[name], "chess league join")
        assert "You're in league #1" in joined.text, joined.text
    again = await sb.command(s["Ben"], "chess league join")
    assert "already in league #1" in again.text

    # Circle method with Minneapolis fixed: round 1 is Accra (home) – Najaf, Minneapolis rests.
    league = sb.add_channel("league")
    started = await sb.command(world.teacher, "chess league round", where=league)
    assert "Round 1 of 3 of league #1 started" in started.text, started.text
    assert "1 board, 2 games" in started.text
    async with sb.bot.ctx.db.read() as conn:
        games = (await conn.execute(select(chess_games).order_by(chess_games.c.id))).all()
    assert [(g.status, g.time_kind, g.base_seconds, g.space_id) for g in games] == [
        ("active", "correspondence", 3 * 86400, league.id)
    ] * 2
    first, second = games[0].id, games[1].id
    # Ratings are level (1200), so the first to enter plays: Kofi on board 1, Ama sits out.
    kofi = told(sb, league, s["Kofi"])
    assert f"board 1: you play Ali (Najaf) twice, with White in game #{first}" in kofi
    assert f"with Black in game #{second}" in kofi
    assert f"you play Kofi (Accra) twice, with White in game #{second}" in told(
        sb, league, s["Ali"]
    )
    assert "you sit out this round. Accra has more players than Najaf" in told(sb, league, s["Ama"])
    assert "Minneapolis rests this round" in told(sb, league, s["Ben"])
    assert "Minneapolis rests this round" in told(sb, league, s["Bea"])
    assert sum(1 for m in sb.messages_in(league) if m.attachments) == 2  # each game's board

    # The next round waits for this one's games; nothing changes.
    early = await sb.command(world.teacher, "chess league round", where=league)
    assert "Round 1 still has games in play" in early.text
    assert await count(sb, chess_games) == 2

    # Played through the ordinary move path: Kofi wins both (White, then Black).
    await play(sb, league, first, s["Kofi"], s["Ali"], SCHOLARS_MATE)
    await play(sb, league, second, s["Ali"], s["Kofi"], FOOLS_MATE)

    # The exchange's own /chess standings counts every city of the network too.
    overall = await sb.command(s["Ama"], "chess standings")
    assert "**Minneapolis 0 · Najaf 0 · Accra 2** · 2 finished games" in overall.text

    table = await sb.command(s["Ama"], "chess league standings")
    embed = table.embeds[0]
    assert embed["title"] == "Chess league #1 — Minneapolis–Najaf"
    description = embed["description"]
    assert "A match won scores 2, drawn 1, lost 0" in description
    assert "Sonneborn–Berger" in description
    lines = [line for line in description.splitlines() if line.startswith("**")]
    assert lines == [
        "**1. Accra** — 2 match points · 2 game points · SB 0 (1 won, 0 drawn, 0 lost)",
        "**2. Minneapolis** — 0 match points · 0 game points · SB 0 (0 won, 0 drawn, 0 lost)",
        "**2. Najaf** — 0 match points · 0 game points · SB 0 (0 won, 0 drawn, 1 lost)",
    ]
    players = embed["fields"][0]["value"]
    assert players.splitlines()[0].startswith(
        "1. **Kofi** (Accra) · points: 2 · played 2: won 2, drawn 0, lost 0 · rating 12"
    )
    assert "**Ali** (Najaf) · points: 0 · played 2: won 0, drawn 0, lost 2" in players
    assert "**Ben** (Minneapolis) · points: 0 · played 0" in players
    assert "Round 1 · match #1: Accra 2–0 Najaf ✓" in embed["fields"][1]["value"]
    assert "Round 2 · match #2" in embed["fields"][1]["value"]
    picture = Image.open(io.BytesIO(table.file("twinbridge-league-1.png").data))
    assert picture.format == "PNG"

    pgn = await sb.command(s["Ben"], "chess league pgn", match=1)
    text = pgn.file("twinbridge-league-match-1.pgn").data.decode("utf-8")
    stream = io.StringIO(text)
    parsed = [chess.pgn.read_game(stream), chess.pgn.read_game(stream)]
    assert chess.pgn.read_game(stream) is None
    assert [
        (g.headers["White"], g.headers["Black"], g.headers["Result"], g.headers["Round"])
        for g in parsed
        if g is not None
    ] == [
        ("Kofi", "Ali", "1-0", "1.1"),
        ("Ali", "Kofi", "0-1", "1.1"),
    ]

    # A new season while this one runs: refused, nothing written.
    refused = await sb.command(world.teacher, "chess league create", cities="Najaf, Accra")
    assert "League #1 is still running" in refused.text
    assert await count(sb, chess_seasons) == 1

    # Round 2: Accra (home) – Minneapolis, two boards a side; Najaf rests.
    second_round = await sb.command(world.teacher, "chess league round", where=league)
    assert "Round 2 of 3" in second_round.text
    assert "2 boards, 4 games" in second_round.text
    assert await count(sb, chess_boards) == 3
    # Kofi won twice, so he leads Accra on board 1 against Minneapolis's first to enter.
    assert "board 1: you play Ben (Minneapolis)" in told(sb, league, s["Kofi"], 2)
    assert "board 2: you play Bea (Minneapolis)" in told(sb, league, s["Ama"], 2)
    assert "Najaf rests this round" in told(sb, league, s["Ali"], 2)


async def test_bad_input_is_answered_and_nothing_changes(sb: Sandbox, world: World) -> None:
    s = world.students
    one = await sb.command(world.teacher, "chess league create", cities="Najaf")
    assert "A league needs at least two cities" in one.text
    twice = await sb.command(world.teacher, "chess league create", cities="Najaf, najaf")
    assert "Najaf is named twice" in twice.text
    unknown = await sb.command(world.teacher, "chess league create", cities="Najaf, Lagos")
    assert "no city called Lagos" in unknown.text
    long = await sb.command(world.teacher, "chess league create", cities="Lagos" * 100)
    assert "no city called LagosLagos" in long.text and "…" in long.text
    assert len(long.text) < 400
    student = await sb.command(s["Ben"], "chess league create")
    assert student.text == "Only teachers can do that."
    assert await count(sb, chess_seasons) == 0

    made = await sb.command(world.teacher, "chess league create", cities="Minneapolis, Najaf")
    assert "League #1 created between Minneapolis and Najaf: 1 round," in made.text
    outsider = await sb.command(s["Kofi"], "chess league join")
    assert "Your city, Accra, is not taking part in league #1" in outsider.text
    assert await count(sb, chess_season_players) == 0

    missing = await sb.command(world.teacher, "chess league standings", league=99)
    assert "There is no league #99 here" in missing.text
    no_match = await sb.command(world.teacher, "chess league pgn", match=99)
    assert "There is no league match #99 here" in no_match.text
    waiting = await sb.command(world.teacher, "chess league pgn", match=1)
    assert "Match #1 has not started yet" in waiting.text

    # Nobody entered in Najaf: Minneapolis wins the match without games, and is told so.
    await sb.command(s["Ben"], "chess league join")
    league = sb.add_channel("league")
    await sb.command(world.teacher, "chess league round", where=league)
    assert "Najaf has no players in the league, so Minneapolis wins the match without games" in (
        told(sb, league, s["Ben"])
    )
    assert await count(sb, chess_games) == 0
    table = await sb.command(s["Ben"], "chess league standings")
    assert "**1. Minneapolis** — 2 match points" in table.embeds[0]["description"]
    finished = await sb.command(world.teacher, "chess league round", where=league)
    assert "League #1 has played all its rounds" in finished.text


async def test_a_city_of_a_running_season_is_not_removed(sb: Sandbox, world: World) -> None:
    """A city with nobody left, but in a season still running, keeps its place until the
    season ends: its matches and the table would otherwise lose a team half-way."""
    lagos = await add_city(world, "Lagos", "Africa/Lagos")
    made = await sb.command(world.teacher, "chess league create", cities="Najaf, Lagos")
    assert "League #1 created" in made.text
    refused = await sb.command(world.coordinator, "exchange city remove", city="Lagos")
    assert "still running" in refused.text
    async with sb.bot.ctx.db.read() as conn:
        assert await conn.scalar(select(func.count()).where(cities.c.id == lagos)) == 1
