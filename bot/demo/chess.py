"""Chapter: partners play chess in their paired space, to mate, with every board saved."""

from __future__ import annotations

from bot.demo.story import DemoRun
from bot.i18n import t
from bot.sandbox.state import Channel, Member, Message

# (player, how they move, the move): Ben types SAN, Ali, new to notation, uses the Move button.
SCHOLARS_MATE = (
    ("white", "type", "e4"),
    ("black", "pick", "e7e5"),
    ("white", "type", "Bc4"),
    ("black", "pick", "b8c6"),
    ("white", "type", "qh5"),  # lower case: read as the queen, and the reply says so
    ("black", "pick", "g8f6"),
    ("white", "type", "Qxf7#"),
)

# The chapter's heading on the demo's page (index.html).
TITLE = "Chess between partners"


def _partners(run: DemoRun) -> tuple[Channel, Member, Member]:
    """The first paired space with a Minneapolis and a Najaf student (Ben and Ali if paired)."""
    cities = {"Ben": 0, "Maya": 0, "Sofia": 0, "Ali": 1, "Zainab": 1}
    for space in run.pair_spaces:
        inside = [
            name
            for name, member in run.students.items()
            if run.sb.guild.can_view(member.user.id, space.id)
        ]
        west = [n for n in inside if cities.get(n) == 0]
        east = [n for n in inside if cities.get(n) == 1]
        if west and east:
            return space, run.students[west[0]], run.students[east[0]]
    raise RuntimeError("no paired space with students of both cities")


def _latest_board(run: DemoRun, space: Channel) -> Message:
    return [m for m in run.sb.messages_in(space) if m.attachments][-1]


async def chapter(run: DemoRun) -> None:
    """A challenge, a game to mate (typed and picked moves), a reminder, PGN and standings."""
    sb, story = run.sb, run.story
    space, white, black = _partners(run)
    white_name = white.user.global_name or "?"
    black_name = black.user.global_name or "?"
    story.section(f"Chess: {white_name} and {black_name} play in #{space.name}")
    story.note("correspondence chess: two days per move, boards from the next mover's side")
    await sb.command(
        white, "chess challenge", where=space, opponent=black, colour="white", time="2d"
    )
    black_language = run.speaks("ar" if black_name in ("Ali", "Zainab") else "en")
    await sb.click(black, sb.messages_in(space)[-1], t("chess.button.accept", black_language))
    for number, (side, how, move) in enumerate(SCHOLARS_MATE, start=1):
        player = white if side == "white" else black
        if number == 3:
            story.note("a day and a half passes without a move: the reminder comes first")
            await sb.advance(hours=43)
        else:
            await sb.advance(hours=3)
        if how == "type":
            await sb.command(player, "chess move", where=space, move=move)
        else:
            board = _latest_board(run, space)
            picker = await sb.click(player, board, t("chess.button.move", black_language))
            squares = await sb.choose(player, picker, [move[:2]])
            await sb.choose(player, squares, [move])
    folder = run.out / "chess"
    folder.mkdir(parents=True, exist_ok=True)
    saved = 0
    for message in sb.messages_in(space):
        for attachment in message.attachments:
            (folder / attachment.filename).write_bytes(attachment.data)
            saved += 1
    story.note(f"{saved} board pictures saved in {folder}/")

    story.section("The game as PGN, and the city-vs-city standings")
    game_id = int(_latest_board(run, space).attachments[0].filename.split("-")[1])
    pgn = await sb.command(white, "chess pgn", game=game_id)
    (folder / pgn.files[0].filename).write_bytes(pgn.files[0].data)
    story.note(f"{pgn.files[0].filename} saved in {folder}/")
    await sb.command(run.teachers["Ms Rivera"], "chess standings")
