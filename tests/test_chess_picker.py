"""The move picker's selects stay within Discord's 25 options, whatever the position."""

from __future__ import annotations

from types import SimpleNamespace

from bot.domain.chess_game import ChessGame
from bot.services.chess import Picker
from cogs.chess.components import piece_picker, square_picker

OPEN_QUEEN = "4k3/8/8/3Q4/8/8/8/4K3 w - - 0 1"  # the queen on d5 reaches 27 squares


def parts(view: object) -> list[object]:
    """The buttons and selects of a view (unwrapping the restart-proof dynamic items)."""
    return [getattr(child, "item", child) for child in view.children]  # type: ignore[attr-defined]


def picker_for(fen: str) -> Picker:
    game = ChessGame(1, 2, start_fen=fen)
    view = SimpleNamespace(id=7, record=SimpleNamespace(ply=0), game=game)
    return Picker(view=view, pieces=game.legal_moves_by_piece())  # type: ignore[arg-type]


async def test_a_queen_with_27_squares_gets_two_selects_of_at_most_25() -> None:
    """27 destinations become a select of 25 and one of 2, plus Back."""
    found = picker_for(OPEN_QUEEN)
    queen = next(p for p in found.pieces if p.square == "d5")
    view = square_picker(found, queen, "en")
    selects = [item for item in parts(view) if hasattr(item, "options")]
    assert [len(s.options) for s in selects] == [25, 2]  # type: ignore[attr-defined]
    assert len({s.custom_id for s in selects}) == 2  # type: ignore[attr-defined]


async def test_every_custom_id_fits_discords_100_characters() -> None:
    """Game ids and plies in custom_ids stay far below the limit, even for large numbers."""
    found = picker_for(OPEN_QUEEN)
    found.view.id = 10**12  # type: ignore[misc]
    found.view.record.ply = 10**4  # type: ignore[attr-defined]
    queen = next(p for p in found.pieces if p.square == "d5")
    for view in (piece_picker(found, "en"), square_picker(found, queen, "en")):
        assert all(len(getattr(item, "custom_id", "")) <= 100 for item in parts(view))


async def test_a_promotion_square_is_offered_once_and_asks_for_the_piece_next() -> None:
    """The a7 pawn's a8 is one option (value a7a8) described as a promotion."""
    found = picker_for("8/P5k1/8/8/8/8/6K1/8 w - - 0 1")
    pawn = next(p for p in found.pieces if p.square == "a7")
    view = square_picker(found, pawn, "en")
    (select,) = [item for item in parts(view) if hasattr(item, "options")]
    (option,) = select.options  # type: ignore[attr-defined]
    assert option.value == "a7a8" and "promotion" in (option.description or "")
