"""Helpers for chess stories in the sandbox: partners in a paired space, games, moves."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image
from sqlalchemy import select

from bot.domain.board_render import render_game
from bot.domain.chess_game import ChessGame
from bot.sandbox.driver import Reply, Sandbox
from bot.sandbox.state import Channel, Member, Message
from bot.store import chess as store
from bot.store.schema import activity
from tests.sandbox.world import World


@dataclass
class Table:
    """Two partners and the paired space they play in."""

    world: World
    ben: Member  # Minneapolis
    ali: Member  # Najaf
    space: Channel

    @property
    def sb(self) -> Sandbox:
        return self.world.sb


async def partners(world: World) -> Table:
    """Ben (Minneapolis) and Ali (Najaf), paired by a teacher into a private channel."""
    ben = await world.add_student("Ben", 0)
    ali = await world.add_student("Ali", 1, languages=("en", "ar"))
    await world.sb.command(world.teacher, "pair confirm")
    space = next(c for c in world.sb.guild.channels.values() if c.name.startswith("pair-"))
    return Table(world, ben, ali, space)


def last_message(sb: Sandbox, channel: Channel) -> Message:
    return sb.messages_in(channel)[-1]


def boards(sb: Sandbox, channel: Channel) -> list[Message]:
    """The board messages (with a picture) in a channel, oldest first."""
    return [m for m in sb.messages_in(channel) if m.attachments]


async def challenge(
    table: Table,
    challenger: Member,
    opponent: Member,
    *,
    colour: str = "white",
    time: str = "2d",
) -> Reply:
    return await table.sb.command(
        challenger,
        "chess challenge",
        where=table.space,
        opponent=opponent,
        colour=colour,
        time=time,
    )


async def start_game(table: Table, *, time: str = "2d") -> int:
    """Ben challenges Ali with White; Ali accepts. Returns the game id."""
    await challenge(table, table.ben, table.ali, time=time)
    offer = last_message(table.sb, table.space)
    await table.sb.click(table.ali, offer, "Accept")
    return await latest_game_id(table.sb)


async def latest_game_id(sb: Sandbox) -> int:
    from bot.store.schema import chess_games

    async with sb.bot.ctx.db.read() as conn:
        found = await conn.scalar(select(chess_games.c.id).order_by(chess_games.c.id.desc()))
    assert found is not None
    return int(found)


async def game_record(sb: Sandbox, game_id: int) -> store.GameRecord:
    async with sb.bot.ctx.db.read() as conn:
        record = await store.get_game(conn, game_id)
    assert record is not None
    return record


async def stored_moves(sb: Sandbox, game_id: int) -> list[str]:
    async with sb.bot.ctx.db.read() as conn:
        return [m.san for m in await store.moves(conn, game_id)]


async def play(table: Table, sans: list[str], *, first: str = "ben") -> None:
    """Alternate moves with /chess move, Ben (White) first unless told otherwise."""
    players = [table.ben, table.ali] if first == "ben" else [table.ali, table.ben]
    for index, san in enumerate(sans):
        reply = await table.sb.command(
            players[index % 2], "chess move", where=table.space, move=san
        )
        assert "You played" in reply.text, reply.text


def expected_board(moves: list[str]) -> bytes:
    """The PNG the bot should show after these moves (SAN from the start)."""
    game = ChessGame(1, 2)
    for san in moves:
        game.play(game.player_to_move, san)
    return render_game(game)


def picture(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


async def activity_kinds(sb: Sandbox) -> list[str]:
    async with sb.bot.ctx.db.read() as conn:
        rows = (await conn.execute(select(activity.c.kind).order_by(activity.c.id))).all()
    return [r.kind for r in rows if r.kind.startswith("chess.")]
