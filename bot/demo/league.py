"""Chapter: a league between the exchange's cities — a season, a round, a board played out,
the table (embed and picture) and the match's PGN."""

from __future__ import annotations

import re

from bot.demo.story import DemoRun
from bot.sandbox.state import Member

TITLE = "A chess league between cities"

SCHOLARS_MATE = ("e4", "e5", "Bc4", "Nc6", "Qh5", "Nf6", "Qxf7#")
FOOLS_MATE = ("f3", "e5", "g4", "Qh4#")
ENTRANTS = ("Ben", "Maya", "Ali", "Zainab")


async def chapter(run: DemoRun) -> None:
    """Ms Rivera starts a season (correspondence, three days a move, as Winston-Salem's
    exchange played); four students enter; round 1 pairs them by rating, two games a board."""
    sb, story = run.sb, run.story
    teacher = run.teachers["Ms Rivera"]
    channel = run.announcements
    assert channel is not None
    story.section("A league season between the cities")
    story.note("each city meets each other once; each board plays one game with each colour")
    await sb.command(teacher, "chess league create")
    for name in ENTRANTS:
        await sb.command(run.students[name], "chess league join")
    await sb.command(teacher, "chess league round", where=channel)

    story.section("Board 1 is played out")
    told = {
        name: next(
            m.content
            for m in sb.messages_in(channel)
            if m.content.startswith(f"<@{run.students[name].user.id}> — ")
        )
        for name in ENTRANTS
    }
    board_one = [n for n, text in told.items() if re.search(r"(board|اللوحة|tablero) 1\b", text)]
    games = [int(g) for g in re.findall(r"#(\d+)", told[board_one[0]])]
    first, second = sorted(games)
    home, away = _sides(run, board_one, first)
    await _play(run, first, home, away, SCHOLARS_MATE)
    await _play(run, second, away, home, FOOLS_MATE)

    story.section("The league table and the match's games")
    table = await sb.command(teacher, "chess league standings")
    folder = run.out / "chess"
    folder.mkdir(parents=True, exist_ok=True)
    for attachment in table.files:
        (folder / attachment.filename).write_bytes(attachment.data)
        run.highlights.append(("The league table", f"chess/{attachment.filename}"))
    pgn = await sb.command(teacher, "chess league pgn", match=1)
    for attachment in pgn.files:
        (folder / attachment.filename).write_bytes(attachment.data)
    story.note(f"the table's picture and the match's PGN saved in {folder}/")


def _sides(run: DemoRun, names: list[str], first_game: int) -> tuple[Member, Member]:
    """(White, Black) of the board's first game: the player told "White in game #first"."""
    members = [run.students[n] for n in names]
    for member in members:
        for message in run.sb.messages_in(run.announcements):  # type: ignore[arg-type]
            if message.content.startswith(f"<@{member.user.id}> — ") and re.search(
                rf"#{first_game}\D.*#\d+", message.content
            ):
                other = next(m for m in members if m is not member)
                return member, other
    raise RuntimeError("board 1's players were not told their games")


async def _play(
    run: DemoRun, game: int, white: Member, black: Member, moves: tuple[str, ...]
) -> None:
    for index, move in enumerate(moves):
        player = white if index % 2 == 0 else black
        await run.sb.advance(hours=5)
        await run.sb.command(player, "chess move", where=run.announcements, move=move, game=game)
