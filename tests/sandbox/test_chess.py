"""Chess between partners through the real bot: challenges, moves, endings, clocks, PGN."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import chess
import chess.pgn
import pytest
from sqlalchemy import func, select

from bot.domain.board_render import render_game
from bot.domain.chess_game import ChessGame
from bot.sandbox.driver import Sandbox, iter_components
from bot.sandbox.ratelimit import Limits
from bot.sandbox.state import Message
from bot.store import chess as chess_store
from bot.store.schema import activity, chess_games, scheduled_sends
from tests.sandbox.chess_helpers import (
    Table,
    activity_kinds,
    boards,
    challenge,
    expected_board,
    game_record,
    last_message,
    partners,
    play,
    start_game,
    stored_moves,
)
from tests.sandbox.world import World, make_world

SCHOLARS_MATE = ["e4", "e5", "Bc4", "Nc6", "Qh5", "Nf6", "Qxf7#"]
CASTLING_BOTH_SIDES = ["e4", "d5", "Nf3", "Bg4", "Bc4", "Nc6", "O-O", "Qd7", "d3", "O-O-O"]
# Sam Loyd's ten-move stalemate.
LOYD_STALEMATE = [
    *("e3", "a5", "Qh5", "Ra6", "Qxa5", "h5", "h4", "Rah6", "Qxc7", "f6"),
    *("Qxd7+", "Kf7", "Qxb7", "Qd3", "Qxb8", "Qh7", "Qxc8", "Kg6", "Qe6"),
]
KNIGHT_SHUFFLE = ["Nf3", "Nf6", "Ng1", "Ng8", "Nf3", "Nf6", "Ng1", "Ng8"]


@pytest.fixture
async def sb(tmp_path: Path) -> AsyncIterator[Sandbox]:
    """The sandbox with Discord's 5-posts-per-channel limit on a 50 ms window instead of 5 s.

    A scripted game moves far faster than two students; the limit still applies (and
    discord.py still waits out its 429s), it just costs milliseconds instead of seconds.
    """
    async with Sandbox.running(tmp_path, limits=Limits(messages_window=0.05)) as sandbox:
        yield sandbox


@pytest.fixture
async def world(sb: Sandbox) -> World:
    return await make_world(sb)


@pytest.fixture
async def table(world: World) -> Table:
    return await partners(world)


def buttons(message: Message) -> list[str]:
    return [c.get("label", "") for c in iter_components(message.components) if c.get("type") == 2]


async def count_games(sb: Sandbox) -> int:
    async with sb.bot.ctx.db.read() as conn:
        return int(await conn.scalar(select(func.count()).select_from(chess_games)) or 0)


# --- challenges -------------------------------------------------------------------------------


async def test_a_challenge_goes_to_the_paired_space_and_pings_the_partner(table: Table) -> None:
    """Ben challenges Ali from #general: the challenge lands in their space, mentioning Ali."""
    reply = await table.sb.command(
        table.ben, "chess challenge", opponent=table.ali, colour="white", time="2d"
    )
    assert reply.ephemeral and "Challenge #1 sent to Ali" in reply.text
    offer = last_message(table.sb, table.space)
    assert f"<@{table.ali.user.id}>" in offer.content and "Ben from Minneapolis" in offer.content
    assert table.ali.user.id in offer.mentions
    assert "White: **Ben** · Black: **Ali**" in offer.embeds[0]["description"]
    assert "2 days per move" in offer.embeds[0]["description"]
    assert buttons(offer) == ["Accept", "Decline"]


@pytest.mark.pseudo_locale  # always in the pseudo-locale: no text past the catalogue
async def test_accepting_starts_the_game_and_asks_white_to_move(table: Table) -> None:
    """Ali accepts: the challenge says so, and a board asks Ben (White) for his first move."""
    await challenge(table, table.ben, table.ali)
    offer = last_message(table.sb, table.space)
    await table.sb.click(table.ali, offer, "Accept")
    assert "Ali accepted: game #1 is on!" in offer.content and offer.components == []
    board = boards(table.sb, table.space)[-1]
    assert f"<@{table.ben.user.id}>" in board.content and "you have White" in board.content
    assert board.mentions == [table.ben.user.id]
    assert board.attachments[0].data == expected_board([])
    assert buttons(board) == ["Move", "Offer draw", "Resign"]
    assert (await game_record(table.sb, 1)).status == "active"


async def test_the_challenger_cannot_accept_their_own_challenge(table: Table) -> None:
    """Ben pressing Accept on his own challenge is told so; the game does not start."""
    await challenge(table, table.ben, table.ali)
    reply = await table.sb.click(table.ben, last_message(table.sb, table.space), "Accept")
    assert reply.ephemeral and "your own challenge" in reply.text
    assert (await game_record(table.sb, 1)).status == "offered"


async def test_declining_closes_the_challenge_and_frees_the_pair(table: Table) -> None:
    """Ali declines: the offer loses its buttons, and Ben may challenge again."""
    await challenge(table, table.ben, table.ali)
    offer = last_message(table.sb, table.space)
    await table.sb.click(table.ali, offer, "Decline")
    assert "Ali declined this challenge." in offer.content and offer.components == []
    assert (await game_record(table.sb, 1)).status == "declined"
    again = await challenge(table, table.ben, table.ali)
    assert "Challenge #2 sent" in again.text


async def test_a_student_cannot_flood_the_space_with_challenges(table: Table) -> None:
    """Five challenges in ten minutes at most: the sixth is refused with when to retry."""
    for _ in range(5):
        await challenge(table, table.ben, table.ali)
        await table.sb.click(table.ali, last_message(table.sb, table.space), "Decline")
    posted = len(table.sb.messages_in(table.space))
    refused = await table.sb.command(table.ben, "chess challenge", opponent=table.ali)
    assert refused.ephemeral and "You are doing that a lot" in refused.text
    assert len(table.sb.messages_in(table.space)) == posted
    await table.sb.advance(minutes=11)
    again = await challenge(table, table.ben, table.ali)
    assert "Challenge #6 sent" in again.text


async def test_an_unanswered_challenge_lapses(table: Table) -> None:
    """Three days without an answer: the correspondence challenge lapses and says so."""
    await challenge(table, table.ben, table.ali)
    offer = last_message(table.sb, table.space)
    await table.sb.advance(days=3, minutes=1)
    assert "lapsed without an answer" in offer.content and offer.components == []
    assert (await game_record(table.sb, 1)).status == "expired"


async def test_one_game_at_a_time_per_pair_until_a_teacher_allows_more(table: Table) -> None:
    """A second challenge between the same two students waits until a teacher raises the limit."""
    await start_game(table)
    refused = await challenge(table, table.ali, table.ben)
    assert "already have game #1 going" in refused.text and await count_games(table.sb) == 1
    student = await table.sb.command(table.ben, "chess limit", games=2)
    assert "Only teachers" in student.text
    allowed = await table.sb.command(table.world.teacher, "chess limit", games=2)
    assert "up to 2 games" in allowed.text
    again = await challenge(table, table.ali, table.ben)
    assert "Challenge #2 sent" in again.text and await count_games(table.sb) == 2


async def test_two_challenges_sent_at_the_same_moment_make_one_game(table: Table) -> None:
    """Ben and Ali challenge each other at the same moment: one challenge stands, the other
    is told about it, and the pair still has one game."""
    first, second = await asyncio.gather(
        challenge(table, table.ben, table.ali), challenge(table, table.ali, table.ben)
    )
    texts = [first.text, second.text]
    assert sum("Challenge #1 sent" in text for text in texts) == 1
    assert sum("already have game #1 going" in text for text in texts) == 1
    assert await count_games(table.sb) == 1
    offers = [m for m in table.sb.messages_in(table.space) if buttons(m) == ["Accept", "Decline"]]
    assert len(offers) == 1


async def test_two_accepts_at_the_same_moment_start_one_game(table: Table) -> None:
    """Two challenges made while two games were allowed, the limit back at one, both
    accepted at the same moment: one game starts, the other accept is refused."""
    await table.sb.command(table.world.teacher, "chess limit", games=2)
    await challenge(table, table.ben, table.ali)
    ben_offer = last_message(table.sb, table.space)
    await challenge(table, table.ali, table.ben)
    ali_offer = last_message(table.sb, table.space)
    await table.sb.command(table.world.teacher, "chess limit", games=1)
    first, second = await asyncio.gather(
        table.sb.click(table.ali, ben_offer, "Accept"),
        table.sb.click(table.ben, ali_offer, "Accept"),
    )
    assert sum("already have game" in reply.text for reply in (first, second)) == 1
    statuses = sorted([(await game_record(table.sb, g)).status for g in (1, 2)])
    assert statuses == ["active", "offered"]


async def test_a_student_of_ones_own_city_cannot_be_challenged(table: Table) -> None:
    """Maya (Minneapolis) challenging Ben (Minneapolis) is told it is city against city."""
    maya = await table.world.add_student("Maya", 0)
    reply = await table.sb.command(maya, "chess challenge", opponent=table.ben)
    assert reply.ephemeral and "from your own city" in reply.text
    assert await count_games(table.sb) == 0


async def test_a_partner_city_student_is_challenged_where_both_can_read(table: Table) -> None:
    """Ben may challenge Zainab (Najaf, not his partner) in #general, not in his private space."""
    zainab = await table.world.add_student("Zainab", 1)
    hidden = await table.sb.command(
        table.ben, "chess challenge", where=table.space, opponent=zainab
    )
    assert "Zainab can't see this channel" in hidden.text and await count_games(table.sb) == 0
    shared = await table.sb.command(table.ben, "chess challenge", opponent=zainab)
    assert "Challenge #1 sent to Zainab" in shared.text
    assert f"<@{zainab.user.id}>" in last_message(table.sb, table.sb.general).content


async def test_an_unreadable_time_control_is_explained(table: Table) -> None:
    """ "5d" is refused with the allowed days; nothing is created."""
    reply = await challenge(table, table.ben, table.ali, time="5d")
    assert "1, 2 or 3 days per move, not 5" in reply.text and await count_games(table.sb) == 0


# --- moves ------------------------------------------------------------------------------------


async def test_scholars_mate_is_played_to_checkmate_and_announced(table: Table) -> None:
    """A whole miniature through /chess move: mate ends the game, both players hear it."""
    game = await start_game(table)
    await play(table, SCHOLARS_MATE)
    record = await game_record(table.sb, game)
    assert (record.status, record.result, record.termination) == ("finished", "1-0", "checkmate")
    assert await stored_moves(table.sb, game) == SCHOLARS_MATE
    final = boards(table.sb, table.space)[-1]
    assert "Game #1: Ben wins by checkmate (1-0)." in final.content
    assert set(final.mentions) == {table.ben.user.id, table.ali.user.id}
    assert final.attachments[0].data == expected_board(SCHOLARS_MATE)
    assert final.components == []


async def test_each_move_posts_the_board_for_the_next_mover_with_the_last_move(
    table: Table,
) -> None:
    """After 1. e4 Ali is pinged with Ben's move in SAN and in words, under a board for her."""
    await start_game(table)
    await play(table, ["e4"])
    board = boards(table.sb, table.space)[-1]
    assert board.content == (
        f"<@{table.ali.user.id}>, your turn in game #1: Ben played **e4** (Pawn e2 → e4)."
    )
    assert board.mentions == [table.ali.user.id]
    assert board.embeds[0]["description"] == "1. e4"
    assert board.embeds[0]["image"]["url"].startswith("attachment://chess-1-1")
    # The picture is the domain's render: Black's side, e2-e4 highlighted, captures shown.
    assert board.attachments[0].data == expected_board(["e4"])


async def test_a_check_is_announced_and_drawn(table: Table) -> None:
    """Qe5+ puts Ben in check: the notice says so and the board is the one with the red king."""
    moves = ["e4", "d5", "exd5", "Qxd5", "Nc3", "Qe5+"]
    await start_game(table)
    await play(table, moves)
    board = boards(table.sb, table.space)[-1]
    assert "Your king is in check!" in board.content
    assert board.attachments[0].data == expected_board(moves)


async def test_the_previous_board_loses_its_buttons(table: Table) -> None:
    """Only the newest board has buttons, so nobody plays on an old picture."""
    await start_game(table)
    await play(table, ["e4", "e5"])
    first, second, third = boards(table.sb, table.space)
    assert first.components == [] and second.components == []
    assert buttons(third) == ["Move", "Offer draw", "Resign"]


@pytest.mark.parametrize(
    ("typed", "understood"),
    [("nf3", "Nf3"), ("g1f3", "Nf3"), ("NF3", "Nf3"), ("G1-F3", "Nf3"), ("e2e4", "e4")],
)
async def test_moves_in_any_case_or_uci_are_understood_and_named(
    table: Table, typed: str, understood: str
) -> None:
    """What Ben typed is read forgivingly, and the reply says which move was played."""
    await start_game(table)
    reply = await table.sb.command(table.ben, "chess move", where=table.space, move=typed)
    assert reply.ephemeral and f"You played **{understood}**" in reply.text
    assert await stored_moves(table.sb, 1) == [understood]


@pytest.mark.parametrize(
    ("who", "typed", "expected"),
    [
        ("ali", "e5", "It's Ben's turn, not yours"),
        ("ben", "e5", "“e5” is not a legal move in this position"),
        ("ben", "Nd2", "could mean more than one move: "),
        ("ben", "hello", "I can't read “hello” as a move"),
        ("ben", "صباح", "I can't read “صباح” as a move"),
    ],
)
async def test_a_refused_move_is_explained_and_changes_nothing(
    table: Table, who: str, typed: str, expected: str
) -> None:
    """Wrong turn, illegal, ambiguous or unreadable: an ephemeral reason, no move, no post."""
    await start_game(table)
    await play(table, ["d4", "a6", "Nf3", "a5"])
    before = len(table.sb.messages_in(table.space))
    player = table.ben if who == "ben" else table.ali
    reply = await table.sb.command(player, "chess move", where=table.space, move=typed)
    assert reply.ephemeral and expected in reply.text
    assert len(await stored_moves(table.sb, 1)) == 4
    assert len(table.sb.messages_in(table.space)) == before


async def test_an_ambiguous_move_lists_the_moves_it_could_be(table: Table) -> None:
    """ "Nd2" with knights on b1 and f3 names Nbd2 and Nfd2."""
    await start_game(table)
    await play(table, ["d4", "a6", "Nf3", "a5"])
    reply = await table.sb.command(table.ben, "chess move", where=table.space, move="Nd2")
    assert "Nbd2" in reply.text and "Nfd2" in reply.text


async def test_someone_outside_the_game_cannot_move(table: Table) -> None:
    """Maya, not a player of game #1, is told so; the game is untouched."""
    maya = await table.world.add_student("Maya", 0)
    await start_game(table)
    reply = await table.sb.command(maya, "chess move", move="e4", game=1)
    assert reply.ephemeral and "Only the two players of game #1" in reply.text
    assert await stored_moves(table.sb, 1) == []


async def test_no_move_is_taken_after_the_game_ended(table: Table) -> None:
    """After mate, Ali's move is refused as game over and nothing is posted."""
    await start_game(table)
    await play(table, SCHOLARS_MATE)
    before = len(table.sb.messages_in(table.space))
    reply = await table.sb.command(table.ali, "chess move", move="Ke7", game=1)
    assert "Game #1 is over." in reply.text and len(table.sb.messages_in(table.space)) == before


async def test_autocomplete_offers_the_players_legal_moves(table: Table) -> None:
    """Typing "n" suggests the four knight moves in SAN and in words; the waiting player
    is offered nothing."""
    await start_game(table)
    choices = await table.sb.autocomplete(table.ben, "chess move", "move", "n", where=table.space)
    assert [c["name"] for c in choices] == [
        "Na3 · Knight b1 → a3",
        "Nc3 · Knight b1 → c3",
        "Nf3 · Knight g1 → f3",
        "Nh3 · Knight g1 → h3",
    ]
    assert [c["value"] for c in choices] == ["b1a3", "b1c3", "g1f3", "g1h3"]
    everything = await table.sb.autocomplete(table.ben, "chess move", "move", "", where=table.space)
    assert len(everything) == 20
    waiting = await table.sb.autocomplete(table.ali, "chess move", "move", "", where=table.space)
    assert waiting == []


async def test_castling_on_both_sides(table: Table) -> None:
    """White castles king-side and Black queen-side; kings and rooks land right."""
    await start_game(table)
    await play(table, CASTLING_BOTH_SIDES)
    board = boards(table.sb, table.space)[-1]
    assert "Ali played **O-O-O** (castles queen-side)" in board.content
    game = ChessGame(1, 2)
    for san in await stored_moves(table.sb, 1):
        game.play(game.player_to_move, san)
    position = game.board
    assert position.piece_at(chess.G1) == chess.Piece.from_symbol("K")
    assert position.piece_at(chess.F1) == chess.Piece.from_symbol("R")
    assert position.piece_at(chess.C8) == chess.Piece.from_symbol("k")
    assert position.piece_at(chess.D8) == chess.Piece.from_symbol("r")


async def test_en_passant_takes_the_passed_pawn(table: Table) -> None:
    """exd6 en passant: the notice says a pawn was taken, and d5 is empty."""
    await start_game(table)
    await play(table, ["e4", "a6", "e5", "d5", "exd6"])
    board = boards(table.sb, table.space)[-1]
    assert "Ben played **exd6** (Pawn e5 takes the Pawn on d6)" in board.content
    assert board.attachments[0].data == expected_board(["e4", "a6", "e5", "d5", "exd6"])


# --- the Move button --------------------------------------------------------------------------


async def test_the_move_button_picks_a_piece_then_a_square(table: Table) -> None:
    """Ben presses Move, picks the g1 knight, then f3: Nf3 is played and the board moves on."""
    await start_game(table)
    board = boards(table.sb, table.space)[-1]
    picker = await table.sb.click(table.ben, board, "Move")
    assert picker.ephemeral and "which piece do you want to move?" in picker.text
    pieces = next(c for c in iter_components(picker.components) if c["type"] == 3)
    assert len(pieces["options"]) == 10  # eight pawns and two knights can move
    assert any(o["label"] == "Knight g1" and o["value"] == "g1" for o in pieces["options"])
    squares = await table.sb.choose(table.ben, picker, ["g1"])
    assert "Where should your Knight on g1 go?" in squares.text
    done = await table.sb.choose(table.ben, squares, ["g1f3"])
    assert "You played **Nf3** (Knight g1 → f3)" in done.text and done.components == []
    assert await stored_moves(table.sb, 1) == ["Nf3"]
    assert "Ben played **Nf3**" in boards(table.sb, table.space)[-1].content


async def test_the_move_button_is_only_for_the_player_to_move(table: Table) -> None:
    """Ali pressing Move while it is Ben's turn is told whose turn it is."""
    await start_game(table)
    reply = await table.sb.click(table.ali, boards(table.sb, table.space)[-1], "Move")
    assert reply.ephemeral and "It's Ben's turn" in reply.text


def _board(moves: list[str]) -> chess.Board:
    board = chess.Board()
    for san in moves:
        board.push_san(san)
    return board


async def test_promotion_through_the_picker_gives_the_piece_chosen(table: Table) -> None:
    """The b7 pawn takes on a8 and Ben chooses a knight: bxa8=N."""
    await start_game(table)
    await play(table, ["e4", "d5", "exd5", "c6", "dxc6", "Nf6", "cxb7", "Nbd7"])
    picker = await table.sb.click(table.ben, boards(table.sb, table.space)[-1], "Move")
    squares = await table.sb.choose(table.ben, picker, ["b7"])
    promotion = await table.sb.choose(table.ben, squares, ["b7a8"])
    assert "what should it become?" in promotion.text
    assert buttons(promotion.message) == ["Queen", "Rook", "Bishop", "Knight", "Back"]  # type: ignore[arg-type]
    done = await table.sb.click(table.ben, promotion, "Knight")
    assert "You played **bxa8=N**" in done.text and "becomes a Knight" in done.text
    assert (await stored_moves(table.sb, 1))[-1] == "bxa8=N"


async def test_a_picker_made_for_an_older_position_plays_nothing(table: Table) -> None:
    """Ben opens the picker, then moves by command; the stale picker is refused."""
    await start_game(table)
    picker = await table.sb.click(table.ben, boards(table.sb, table.space)[-1], "Move")
    squares = await table.sb.choose(table.ben, picker, ["g1"])
    await table.sb.command(table.ben, "chess move", where=table.space, move="e4")
    stale = await table.sb.choose(table.ben, squares, ["g1f3"])
    assert stale.ephemeral and "It's Ali's turn" in stale.text
    assert await stored_moves(table.sb, 1) == ["e4"]


async def test_two_submissions_for_the_same_position_play_exactly_one(table: Table) -> None:
    """A double click: two moves sent at the same moment; one is played, one refused."""
    await start_game(table)
    sb = table.sb
    first, second = await asyncio.gather(
        sb.command(table.ben, "chess move", where=table.space, move="e4"),
        sb.command(table.ben, "chess move", where=table.space, move="d4"),
    )
    texts = [first.text, second.text]
    assert sum("You played" in text for text in texts) == 1
    assert sum("has just changed" in text or "It's Ali's turn" in text for text in texts) == 1
    assert len(await stored_moves(sb, 1)) == 1
    assert (await game_record(sb, 1)).ply == 1
    assert len(boards(sb, table.space)) == 2  # the first board and one move's board


async def test_the_database_refuses_a_second_move_for_the_same_ply(table: Table) -> None:
    """The conditional update is the guard: a second write for ply 0 changes nothing."""
    await start_game(table)
    now = table.sb.now()
    written = []
    for uci, san in (("e2e4", "e4"), ("d2d4", "d4")):
        async with table.sb.bot.ctx.db.transaction() as conn:
            written.append(
                await chess_store.record_move(
                    conn,
                    1,
                    ply_before=0,
                    uci=uci,
                    san=san,
                    played_by=table.ben.user.id,
                    now=now,
                    deadline=now + timedelta(days=2),
                    draw_offer=None,
                )
            )
    assert written == [True, False]
    assert await stored_moves(table.sb, 1) == ["e4"]


# --- endings ----------------------------------------------------------------------------------


async def test_stalemate_ends_the_game_drawn(table: Table) -> None:
    """Loyd's ten-move stalemate: a draw, announced with the final board."""
    await start_game(table)
    await play(table, LOYD_STALEMATE)
    record = await game_record(table.sb, 1)
    assert (record.result, record.termination) == ("1/2-1/2", "stalemate")
    final = boards(table.sb, table.space)[-1]
    assert "draw by stalemate" in final.content
    assert final.attachments[0].data == expected_board(LOYD_STALEMATE)


async def test_threefold_repetition_is_claimed_with_the_board_button(table: Table) -> None:
    """The start position stands a third time: Ben's board offers Claim draw, and it works."""
    await start_game(table)
    await play(table, KNIGHT_SHUFFLE)
    board = boards(table.sb, table.space)[-1]
    assert "you may claim a draw" in board.content and "Claim draw" in buttons(board)
    reply = await table.sb.click(table.ben, board, "Claim draw")
    assert "Your claim in game #1 is accepted" in reply.text
    record = await game_record(table.sb, 1)
    assert (record.result, record.termination) == ("1/2-1/2", "threefold_repetition")
    assert "draw by threefold repetition" in boards(table.sb, table.space)[-1].content


async def test_a_claim_without_a_repetition_is_refused(table: Table) -> None:
    """Claiming in a fresh game explains what a claim needs; the game goes on."""
    await start_game(table)
    reply = await table.sb.command(table.ben, "chess claim", game=1)
    assert "There is no draw to claim" in reply.text
    assert (await game_record(table.sb, 1)).status == "active"


async def test_a_claim_can_name_the_move_that_repeats(table: Table) -> None:
    """Ali claims with Ng8, which repeats the start a third time: the move and the draw stand."""
    await start_game(table)
    await play(table, KNIGHT_SHUFFLE[:-1])
    reply = await table.sb.command(table.ali, "chess claim", game=1, move="Ng8")
    assert "accepted" in reply.text
    assert (await stored_moves(table.sb, 1))[-1] == "Ng8"
    assert (await game_record(table.sb, 1)).termination == "threefold_repetition"


async def test_resignation_asks_first_then_ends_the_game(table: Table) -> None:
    """Ali presses Resign, confirms, and Ben wins; until she confirms nothing happens."""
    await start_game(table)
    await play(table, ["e4"])
    asked = await table.sb.click(table.ali, boards(table.sb, table.space)[-1], "Resign")
    assert "Resign game #1? Ben will win." in asked.text
    assert (await game_record(table.sb, 1)).status == "active"
    done = await table.sb.click(table.ali, asked, "Yes, resign")
    assert "You resigned game #1." in done.text
    record = await game_record(table.sb, 1)
    assert (record.result, record.termination) == ("1-0", "resignation")
    assert "Ali resigned, Ben wins (1-0)" in boards(table.sb, table.space)[-1].content


async def test_an_accepted_draw_offer_ends_the_game(table: Table) -> None:
    """Ben offers a draw; Ali is pinged with buttons and accepts: a draw by agreement."""
    await start_game(table)
    await play(table, ["e4", "e5"])
    offered = await table.sb.click(table.ben, boards(table.sb, table.space)[-1], "Offer draw")
    assert "You offered Ali a draw" in offered.text
    notice = last_message(table.sb, table.space)
    assert notice.mentions == [table.ali.user.id] and "Ben offers a draw" in notice.content
    await table.sb.click(table.ali, notice, "Accept draw")
    record = await game_record(table.sb, 1)
    assert (record.result, record.termination) == ("1/2-1/2", "draw_agreed")
    assert "draw by agreement" in boards(table.sb, table.space)[-1].content


async def test_a_move_instead_of_an_answer_declines_the_offer(table: Table) -> None:
    """Ali plays on: Ben's offer lapses, and its old Accept button no longer works."""
    await start_game(table)
    await play(table, ["e4"])
    await table.sb.command(table.ben, "chess draw", game=1)
    notice = last_message(table.sb, table.space)
    await play(table, ["e5"], first="ali")
    late = await table.sb.click(table.ali, notice, "Accept draw")
    assert "There is no draw offer to answer" in late.text
    assert (await game_record(table.sb, 1)).status == "active"


def draw_notices(table: Table) -> list[Message]:
    return [m for m in table.sb.messages_in(table.space) if "offers a draw" in m.content]


async def use_up_bens_pings(table: Table) -> None:
    """Ben's challenge, then a draw offer after each of his moves while Ali plays on: five
    pings of Ali in a few minutes, every offer lapsed."""
    await start_game(table)
    await play(table, ["e4"])
    for black, white in zip(["a6", "b6", "c6", "d6"], ["d3", "c3", "b3", "a3"], strict=True):
        offered = await table.sb.command(table.ben, "chess draw", game=1)
        assert "You offered Ali a draw" in offered.text
        await play(table, [black, white], first="ali")
    assert len(draw_notices(table)) == 4


async def test_draw_offers_that_keep_lapsing_cannot_nag(table: Table) -> None:
    """Offer, Ali plays on, offer again: past five pings in ten minutes the offer is refused
    and Ali is not pinged again; ten minutes on Ben may offer once more."""
    await use_up_bens_pings(table)
    refused = await table.sb.command(table.ben, "chess draw", game=1)
    assert refused.ephemeral and "You are doing that a lot" in refused.text
    assert len(draw_notices(table)) == 4
    assert (await game_record(table.sb, 1)).draw_offer is None
    await table.sb.advance(minutes=11)
    again = await table.sb.command(table.ben, "chess draw", game=1)
    assert "You offered Ali a draw" in again.text and len(draw_notices(table)) == 5


async def test_a_student_out_of_pings_may_still_agree_a_draw(table: Table) -> None:
    """Ben has used his pings; when Ali offers, his /chess draw agrees it all the same."""
    await use_up_bens_pings(table)
    await table.sb.command(table.ali, "chess draw", game=1)
    agreed = await table.sb.command(table.ben, "chess draw", game=1)
    assert "drawn by agreement" in agreed.text
    assert (await game_record(table.sb, 1)).termination == "draw_agreed"


async def test_challenges_and_draw_offers_share_one_budget(table: Table) -> None:
    """After a challenge and four draw offers Ben may not challenge anyone else either."""
    await use_up_bens_pings(table)
    zainab = await table.world.add_student("Zainab", 1)
    refused = await table.sb.command(table.ben, "chess challenge", opponent=zainab)
    assert refused.ephemeral and "You are doing that a lot" in refused.text
    assert await count_games(table.sb) == 1


# --- clocks and deadlines ---------------------------------------------------------------------


def clock_field(message: Message) -> str:
    return str(next(f for f in message.embeds[0]["fields"] if f["name"] == "Clock")["value"])


async def reminders(table: Table, player_id: int) -> list[Message]:
    return [
        m
        for m in table.sb.messages_in(table.space)
        if m.content.startswith("⏰") and f"<@{player_id}>" in m.content
    ]


async def test_a_missed_correspondence_deadline_reminds_once_then_ends_the_game(
    table: Table,
) -> None:
    """Two days a move: a reminder six hours before, once; at the deadline Ben loses on time."""
    await start_game(table)
    await table.sb.advance(hours=41)
    assert await reminders(table, table.ben.user.id) == []
    await table.sb.advance(hours=2)
    first = await reminders(table, table.ben.user.id)
    assert len(first) == 1 and "Without a move by then, the game is lost on time" in (
        first[0].content
    )
    assert first[0].mentions == [table.ben.user.id]
    await table.sb.advance(hours=6)
    assert len(await reminders(table, table.ben.user.id)) == 1
    record = await game_record(table.sb, 1)
    assert (record.result, record.termination) == ("0-1", "timeout")
    final = boards(table.sb, table.space)[-1]
    assert "Ben ran out of time, Ali wins (0-1)" in final.content
    assert final.id > first[0].id


async def test_a_move_resets_the_correspondence_deadline(table: Table) -> None:
    """Ben moves after a day: no reminder for him later, and Ali now has two days."""
    await start_game(table)
    await table.sb.advance(days=1)
    await play(table, ["e4"])
    await table.sb.advance(days=1, hours=12)
    assert await reminders(table, table.ben.user.id) == []
    assert (await game_record(table.sb, 1)).status == "active"
    await table.sb.advance(hours=7)
    assert len(await reminders(table, table.ali.user.id)) == 1


async def test_a_live_clock_counts_down_and_flags(table: Table) -> None:
    """10+5: Ben's e4 after 30 s leaves him 9:35; Ali then lets ten minutes pass and loses."""
    await start_game(table, time="10+5")
    await table.sb.advance(seconds=30)
    await play(table, ["e4"])
    assert "⬜ Ben: 9:35 · ⬛ Ali: 10:00" in clock_field(boards(table.sb, table.space)[-1])
    await table.sb.advance(minutes=10)
    record = await game_record(table.sb, 1)
    assert (record.result, record.termination) == ("1-0", "timeout")
    assert "Ali ran out of time, Ben wins (1-0)" in boards(table.sb, table.space)[-1].content


async def test_a_restart_mid_game_keeps_buttons_and_clocks(table: Table) -> None:
    """After a restart, the board posted before it still opens the picker, and the clocks
    count the time that passed (the downtime too)."""
    await start_game(table, time="10+5")
    await table.sb.advance(seconds=30)
    await play(table, ["e4"])
    board = boards(table.sb, table.space)[-1]
    await table.sb.restart_bot(downtime=timedelta(minutes=1))
    seen = await table.sb.command(table.ali, "chess board", game=1)
    clock = clock_field(seen.messages[-1])
    assert "⬜ Ben: 9:35 · ⬛ Ali: 9:00" in clock
    picker = await table.sb.click(table.ali, board, "Move")
    squares = await table.sb.choose(table.ali, picker, ["e7"])
    done = await table.sb.choose(table.ali, squares, ["e7e5"])
    assert "You played **e5**" in done.text
    clock = clock_field(boards(table.sb, table.space)[-1])
    assert "⬛ Ali: 9:05" in clock
    await table.sb.advance(minutes=9, seconds=36)
    assert (await game_record(table.sb, 1)).termination == "timeout"


def outage_notices(table: Table, player_id: int) -> list[Message]:
    return [
        m
        for m in table.sb.messages_in(table.space)
        if m.content.startswith("⏸️") and f"<@{player_id}>" in m.content
    ]


async def test_a_deadline_that_passed_while_the_bot_was_down_gives_a_day_more(
    table: Table,
) -> None:
    """One day a move and a 25-hour outage: Ben does not lose; he is told why and has a day
    from start-up, with a fresh reminder six hours before it (not the one the outage ate)."""
    await start_game(table, time="1d")
    await table.sb.restart_bot(downtime=timedelta(hours=25))
    up = table.sb.now()
    record = await game_record(table.sb, 1)
    assert (record.status, record.result) == ("active", None)
    assert record.deadline_at == up + timedelta(hours=24)
    [notice] = outage_notices(table, table.ben.user.id)
    assert "Twinbridge was offline" in notice.content
    assert f"<t:{int((up + timedelta(hours=24)).timestamp())}:F>" in notice.content
    assert notice.mentions == [table.ben.user.id]
    assert await reminders(table, table.ben.user.id) == []
    await table.sb.advance(hours=18)
    assert len(await reminders(table, table.ben.user.id)) == 1
    assert "chess.clock_extended" in await activity_kinds(table.sb)


async def test_after_the_outage_a_deadline_passing_while_the_bot_is_up_ends_the_game(
    table: Table,
) -> None:
    """The day after the outage is a real deadline: without a move Ben loses on time."""
    await start_game(table, time="1d")
    await table.sb.restart_bot(downtime=timedelta(hours=25))
    await table.sb.advance(hours=24)
    record = await game_record(table.sb, 1)
    assert (record.result, record.termination) == ("0-1", "timeout")
    assert "Ben ran out of time" in boards(table.sb, table.space)[-1].content


async def test_a_move_after_the_outage_plays_normally(table: Table) -> None:
    """Ben, given more time after an outage, moves with the Move button of the notice."""
    await start_game(table, time="1d")
    await table.sb.restart_bot(downtime=timedelta(hours=25))
    [notice] = outage_notices(table, table.ben.user.id)
    picker = await table.sb.click(table.ben, notice, "Move")
    squares = await table.sb.choose(table.ben, picker, ["e2"])
    done = await table.sb.choose(table.ben, squares, ["e2e4"])
    assert "You played **e4**" in done.text
    record = await game_record(table.sb, 1)
    assert (record.status, record.ply) == ("active", 1)
    assert record.deadline_at == table.sb.now() + timedelta(days=1)


async def test_a_reminder_that_fell_in_the_outage_gives_a_day_more(table: Table) -> None:
    """Two days a move: the bot is down from hour 40 to 44, over Ben's reminder; with four
    hours left and no reminder, Ben gets a day from start-up instead."""
    await start_game(table, time="2d")
    await table.sb.advance(hours=40)
    await table.sb.restart_bot(downtime=timedelta(hours=4))
    up = table.sb.now()
    assert (await game_record(table.sb, 1)).deadline_at == up + timedelta(hours=24)
    assert len(outage_notices(table, table.ben.user.id)) == 1
    await table.sb.advance(hours=5)
    assert (await game_record(table.sb, 1)).status == "active"


async def test_an_outage_that_missed_nothing_changes_nothing(table: Table) -> None:
    """Ben was reminded before a one-hour outage: his deadline stays, and he loses at it."""
    await start_game(table, time="2d")
    await table.sb.advance(hours=43)
    assert len(await reminders(table, table.ben.user.id)) == 1
    deadline = (await game_record(table.sb, 1)).deadline_at
    await table.sb.restart_bot(downtime=timedelta(hours=1))
    assert (await game_record(table.sb, 1)).deadline_at == deadline
    assert outage_notices(table, table.ben.user.id) == []
    await table.sb.advance(hours=4)
    assert (await game_record(table.sb, 1)).termination == "timeout"


async def test_a_live_clock_that_ran_out_in_an_outage_gets_back_its_last_move_time(
    table: Table,
) -> None:
    """10+5: Ben plays e4, the bot is down an hour; Ali has her full ten minutes again from
    start-up, is told so, and loses only if those pass while the bot is up."""
    await start_game(table, time="10+5")
    await table.sb.advance(seconds=30)
    await play(table, ["e4"])
    await table.sb.restart_bot(downtime=timedelta(hours=1))
    [notice] = outage_notices(table, table.ali.user.id)
    assert "Twinbridge was offline" in notice.content
    seen = await table.sb.command(table.ali, "chess board", game=1)
    assert "⬜ Ben: 9:35 · ⬛ Ali: 10:00" in clock_field(seen.messages[-1])
    await table.sb.advance(minutes=2)
    await play(table, ["e5"], first="ali")
    assert "⬛ Ali: 8:05" in clock_field(boards(table.sb, table.space)[-1])
    await table.sb.advance(minutes=9, seconds=36)
    record = await game_record(table.sb, 1)
    assert (record.result, record.termination) == ("0-1", "timeout")


async def test_a_short_outage_gives_a_live_player_at_least_a_minute(table: Table) -> None:
    """1+0: Ali's minute runs out in a two-minute outage; she has a minute from start-up."""
    await start_game(table, time="1+0")
    await play(table, ["e4"])
    await table.sb.restart_bot(downtime=timedelta(minutes=2))
    assert (await game_record(table.sb, 1)).deadline_at == table.sb.now() + timedelta(minutes=1)
    await table.sb.advance(seconds=30)
    await play(table, ["e5"], first="ali")
    assert (await game_record(table.sb, 1)).status == "active"


async def test_nothing_is_left_scheduled_once_a_game_ends(table: Table) -> None:
    """After mate no deadline or reminder of the game is still pending."""
    await start_game(table)
    await play(table, SCHOLARS_MATE)
    async with table.sb.bot.ctx.db.read() as conn:
        pending = await conn.scalar(
            select(func.count())
            .select_from(scheduled_sends)
            .where(scheduled_sends.c.status == "pending", scheduled_sends.c.key.like("chess:1:%"))
        )
    assert pending == 0


# --- PGN, lists, standings, activity ----------------------------------------------------------


async def test_pgn_export_parses_and_replays_to_the_final_position(table: Table) -> None:
    """The PGN file carries the exchange's headers and replays to the game's final position."""
    await start_game(table)
    await play(table, SCHOLARS_MATE)
    reply = await table.sb.command(table.ali, "chess pgn", game=1)
    assert reply.ephemeral
    pgn = reply.file("twinbridge-chess-1.pgn").data.decode("utf-8")
    parsed = chess.pgn.read_game(io.StringIO(pgn))
    assert parsed is not None and not parsed.errors
    headers = dict(parsed.headers)
    assert {
        "Event": "Minneapolis–Najaf",
        "Site": "Minneapolis – Najaf",
        "Date": table.sb.now().strftime("%Y.%m.%d"),
        "White": "Ben",
        "Black": "Ali",
        "Result": "1-0",
        "TimeControl": "1/172800",
        "WhiteTeam": "Minneapolis",
        "BlackTeam": "Najaf",
    }.items() <= headers.items()
    assert parsed.end().board().fen() == _board(SCHOLARS_MATE).fen()


async def test_pgn_of_a_game_in_play_is_unfinished(table: Table) -> None:
    """An ongoing game exports with Result "*" and its moves so far."""
    await start_game(table)
    await play(table, ["e4", "e5"])
    reply = await table.sb.command(table.ben, "chess pgn", game=1)
    parsed = chess.pgn.read_game(io.StringIO(reply.files[0].data.decode("utf-8")))
    assert parsed is not None and parsed.headers["Result"] == "*"
    assert [m.uci() for m in parsed.mainline_moves()] == ["e2e4", "e7e5"]


async def test_a_student_cannot_export_someone_elses_game(table: Table) -> None:
    """Maya asking for Ben and Ali's PGN is refused; a teacher may have it."""
    maya = await table.world.add_student("Maya", 0)
    await start_game(table)
    refused = await table.sb.command(maya, "chess pgn", game=1)
    assert "Only the two players" in refused.text and refused.files == []
    teacher = await table.sb.command(table.world.teacher, "chess pgn", game=1)
    assert teacher.files[0].filename == "twinbridge-chess-1.pgn"


async def test_standings_score_every_finished_game_for_its_cities(table: Table) -> None:
    """Ben mates Ali, then they agree a draw: Minneapolis 1½ – ½ Najaf, Ben first."""
    await start_game(table)
    await play(table, SCHOLARS_MATE)
    await challenge(table, table.ali, table.ben, colour="white")
    await table.sb.click(table.ben, last_message(table.sb, table.space), "Accept")
    await table.sb.command(table.ali, "chess draw", game=2)
    await table.sb.click(table.ben, last_message(table.sb, table.space), "Accept draw")
    reply = await table.sb.command(table.world.teacher, "chess standings")
    assert reply.ephemeral
    assert "**Minneapolis 1½ – ½ Najaf** · finished games: 2" in reply.text
    lines = [line for line in reply.text.splitlines() if line[:2] in ("1.", "2.")]
    assert lines[0] == (
        "1. **Ben** (Minneapolis) · points: 1½ · played 2: won 1, drawn 1, lost 0 · rating 1215"
    )
    assert lines[1] == (
        "2. **Ali** (Najaf) · points: ½ · played 2: won 0, drawn 1, lost 1 · rating 1185"
    )


async def test_games_lists_ones_own_games_with_whose_turn(table: Table) -> None:
    """Ali sees her finished game and her game in play, her turn marked."""
    await start_game(table)
    await play(table, SCHOLARS_MATE)
    await challenge(table, table.ben, table.ali, colour="black")
    await table.sb.click(table.ali, last_message(table.sb, table.space), "Accept")
    reply = await table.sb.command(table.ali, "chess games")
    text = reply.text
    assert "#2 vs Ben (White) · **your turn**" in text
    assert "#1 vs Ben (Black) · lost, checkmate · 1-0" in text
    assert text.index("#2") < text.index("#1")


async def test_chess_activity_is_logged_without_any_text(table: Table) -> None:
    """Challenge, acceptance, each move and the result are logged; details hold ids only."""
    await start_game(table)
    await play(table, SCHOLARS_MATE)
    kinds = await activity_kinds(table.sb)
    assert kinds == [
        "chess.challenged",
        "chess.accepted",
        *["chess.moved"] * len(SCHOLARS_MATE),
        "chess.finished",
    ]
    async with table.sb.bot.ctx.db.read() as conn:
        rows = (
            await conn.execute(select(activity.c.details).where(activity.c.kind.like("chess.%")))
        ).all()
    for row in rows:
        details = json.loads(row.details)
        allowed = {"game", "ply", "uci", "time_control", "colour", "result", "termination"}
        assert set(details) <= allowed


async def test_a_board_from_the_domain_matches_what_the_bot_posts(table: Table) -> None:
    """The posted PNG is exactly the domain's render of the same game (sanity of helpers)."""
    await start_game(table)
    await play(table, ["d4"])
    game = ChessGame(1, 2)
    game.play(1, "d4")
    assert boards(table.sb, table.space)[-1].attachments[0].data == render_game(game)


async def test_a_student_is_told_their_turn_in_their_own_language(world: World) -> None:
    """Zainab's profile says Arabic: her "your turn" notice and buttons are in Arabic."""
    from bot.i18n import t

    ben = await world.add_student("Ben", 0)
    zainab = await world.add_student("Zainab", 1, languages=("ar",))
    await world.sb.command(world.teacher, "pair confirm")
    space = next(c for c in world.sb.guild.channels.values() if c.name.startswith("pair-"))
    table = Table(world, ben, zainab, space)
    await challenge(table, ben, zainab)
    await world.sb.click(zainab, last_message(world.sb, space), t("chess.button.accept", "ar"))
    await play(table, ["e4"])
    board = boards(world.sb, space)[-1]
    assert (
        t(
            "chess.your_turn",
            "ar",
            mention=f"<@{zainab.user.id}>",
            game=1,
            name="Ben",
            san="e4",
            words=t("chess.words.move", "ar", piece="البيدق", origin="e2", target="e4"),
        )
        == board.content
    )
    assert buttons(board) == [
        t(f"chess.button.{b}", "ar") for b in ("move", "offer_draw", "resign")
    ]


async def test_a_teacher_may_list_a_students_games_but_a_student_may_not(table: Table) -> None:
    """Ms Rivera sees Ali's games; Ben asking for Ali's list is told only teachers can."""
    await start_game(table)
    teacher = await table.sb.command(table.world.teacher, "chess games", student=table.ali)
    assert "Chess games of Ali" in teacher.text and "#1 vs Ben (Black)" in teacher.text
    student = await table.sb.command(table.ben, "chess games", student=table.ali)
    assert "Only teachers" in student.text and "#1" not in student.text


async def test_standings_are_only_for_the_exchanges_people(table: Table) -> None:
    """A server member outside the exchange is refused the students' results."""
    visitor = table.sb.add_member("Visitor")
    reply = await table.sb.command(visitor, "chess standings")
    assert reply.ephemeral and "for the students and teachers of this exchange" in reply.text
    assert "Ben" not in reply.text
    student = await table.sb.command(table.ben, "chess standings")
    assert "Minneapolis 0 – 0 Najaf" in student.text
