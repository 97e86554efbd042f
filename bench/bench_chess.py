"""Chess: rendering a board, replaying a stored game, and answering autocomplete.

A board is rendered after every move and a game is replayed from its stored moves on every
interaction, so both must be far inside Discord's 3-second answer window; the issue sets
10 ms for a board (converting SVG per move costs about 85 ms).
"""

from __future__ import annotations

import random

import chess

from bench.core import Figure, median_ms, time_sync
from bot.domain.board_render import render_game
from bot.domain.chess_game import ChessGame, parse_move

# Morphy's Opera game (33 plies), and a long game made of seeded random legal moves.
OPERA_GAME = [
    *("e4", "e5", "Nf3", "d6", "d4", "Bg4", "dxe5", "Bxf3", "Qxf3", "dxe5", "Bc4", "Nf6"),
    *("Qb3", "Qe7", "Nc3", "c6", "Bg5", "b5", "Nxb5", "cxb5", "Bxb5+", "Nbd7", "O-O-O"),
    *("Rd8", "Rxd7", "Rxd7", "Rd1", "Qe6", "Bxd7+", "Nxd7", "Qb8+", "Nxb8", "Rd8#"),
]


def _long_game(plies: int) -> list[str]:
    """`plies` legal moves in UCI from a seeded random walk that never ends the game."""
    board = chess.Board()
    chooser = random.Random(7)
    while len(board.move_stack) < plies:
        moves = list(board.legal_moves)
        chooser.shuffle(moves)
        for move in moves:
            board.push(move)
            if board.outcome(claim_draw=False) is None:
                break
            board.pop()
        else:
            raise RuntimeError("the walk ran into a dead end")
    return [move.uci() for move in board.move_stack]


def _played(moves: list[str]) -> ChessGame:
    game = ChessGame(1, 2)
    for san in moves:
        game.play(game.player_to_move, san)
    return game


async def figures() -> list[Figure]:
    middlegame = _played(OPERA_GAME[:20])
    render = median_ms(time_sync(lambda: render_game(middlegame), repeat=101, warmup=5))
    stored = _long_game(80)
    replay = median_ms(time_sync(lambda: ChessGame(1, 2, stored), repeat=21))
    board = middlegame.board
    parse = median_ms(time_sync(lambda: parse_move(board, "bxb5+"), repeat=101, warmup=5))
    hints = median_ms(time_sync(lambda: middlegame.move_hints(""), repeat=51, warmup=3))
    return [
        Figure(
            "chess: render a board PNG",
            render,
            "ms",
            10.0,
            "pre-rendered pieces composited with Pillow, fast zlib; the issue's target",
        ),
        Figure(
            "chess: rebuild an 80-ply game from stored moves",
            replay,
            "ms",
            100.0,
            "done on every move and button press; far inside the 3 s answer window",
        ),
        Figure('chess: read a typed move ("bxb5+": bishop or pawn?)', parse, "ms", 1.0),
        Figure(
            "chess: autocomplete all legal moves of a middlegame",
            hints,
            "ms",
            50.0,
            "Discord drops autocomplete answers slower than 3 s",
        ),
    ]
