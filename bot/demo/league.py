"""The league between a network's cities, told inside the network chapter (`bot.demo.network`):
a season, round 1 by rating with two games a board, one board played out, the table (embed
and picture) and the match's games in one PGN file. Short on purpose: one student per city
enters."""

from __future__ import annotations

import re

from bot.demo.story import DemoRun
from bot.sandbox.state import Member

SCHOLARS_MATE = ("e4", "e5", "Bc4", "Nc6", "Qh5", "Nf6", "Qxf7#")
FOOLS_MATE = ("f3", "e5", "g4", "Qh4#")
# One student of each city: Winston-Salem, Buchanan, Kumasi, Chengdu.
ENTRANTS = ("Ava", "Musu", "Kofi", "Li Wei")


async def league_round(run: DemoRun, network: int) -> None:
    """The coordinator starts a season (correspondence, three days a move, as Winston-Salem's
    exchange played) and its first round; Ava and Li Wei play their board out."""
    sb, story = run.sb, run.story
    coordinator = run.coordinator
    channel = run.announcements
    assert coordinator is not None and channel is not None
    story.section("A chess league between the network's cities")
    story.note("each city meets each other once; each board plays one game with each colour")
    await sb.command(coordinator, "chess league create", exchange=network)
    for name in ENTRANTS:
        await sb.command(run.students[name], "chess league join")
    await sb.command(coordinator, "chess league round", where=channel, exchange=network)

    story.section("Winston-Salem – Chengdu, board 1: Ava and Li Wei play both games")
    ava, li = run.students["Ava"], run.students["Li Wei"]
    told = next(
        m.content for m in sb.messages_in(channel) if m.content.startswith(f"<@{ava.user.id}> — ")
    )
    white_game, black_game = (int(g) for g in re.findall(r"#(\d+)", told)[:2])
    await _play(run, white_game, ava, li, SCHOLARS_MATE)
    await _play(run, black_game, li, ava, FOOLS_MATE)

    story.section("The league table, and the match's games as one PGN file")
    table = await sb.command(coordinator, "chess league standings", exchange=network)
    folder = run.out / "chess"
    folder.mkdir(parents=True, exist_ok=True)
    for attachment in table.files:
        (folder / attachment.filename).write_bytes(attachment.data)
        run.highlights.append(("The chess league's table", f"chess/{attachment.filename}"))
    match = re.search(r"match #(\d+): Winston-Salem", table.text)
    assert match, table.text
    pgn = await sb.command(coordinator, "chess league pgn", match=int(match.group(1)))
    for attachment in pgn.files:
        (folder / attachment.filename).write_bytes(attachment.data)
    story.note(f"the table's picture and the match's PGN saved in {folder}/")


async def _play(
    run: DemoRun, game: int, white: Member, black: Member, moves: tuple[str, ...]
) -> None:
    for index, move in enumerate(moves):
        player = white if index % 2 == 0 else black
        await run.sb.advance(hours=5)
        await run.sb.command(player, "chess move", where=run.announcements, move=move, game=game)
