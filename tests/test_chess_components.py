"""Chess's restart-proof components: one id form, and every form posted before it still routed."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

import pytest

from cogs.common.components import item_routes

# Every custom_id chess posted before the edge kit, the class that must answer it, and the
# fields it carries.
OLD_IDS: list[tuple[str, str, dict[str, Any]]] = [
    ("chess:accept:12", "AcceptChallenge", {"game": 12}),
    ("chess:decline:12", "DeclineChallenge", {"game": 12}),
    ("chess:move:12", "MoveButton", {"game": 12}),
    ("chess:piece:12:33", "PieceSelect", {"game": 12, "ply": 33}),
    ("chess:to:12:33:1", "SquareSelect", {"game": 12, "ply": 33, "part": 1}),
    ("chess:promote:12:33:e7e8q", "PromoteButton", {"game": 12, "ply": 33, "uci": "e7e8q"}),
    ("chess:back:12:33", "BackButton", {"game": 12, "ply": 33}),
    ("chess:draw:12", "OfferDrawButton", {"game": 12}),
    ("chess:draw-yes:12:33", "AcceptDraw", {"game": 12, "ply": 33}),
    ("chess:draw-no:12:33", "DeclineDraw", {"game": 12, "ply": 33}),
    ("chess:resign:12", "ResignButton", {"game": 12}),
    ("chess:resign-yes:12", "ConfirmResign", {"game": 12}),
    ("chess:claim:12", "ClaimDrawButton", {"game": 12}),
]


@pytest.fixture
def chess_components() -> ModuleType:
    """The components as the bot registers them now (a bot that unloads the extension takes
    the module away; importing it again registers its classes again)."""
    return importlib.import_module("cogs.chess.components")


def routes_for(custom_id: str) -> list[tuple[type[Any], dict[str, Any]]]:
    """The classes the bot would hand this custom_id to, with the fields they parse."""
    found = []
    for route in item_routes():
        match = route.__discord_ui_compiled_template__.fullmatch(custom_id)
        if match is not None:
            main = getattr(route, "legacy_of", None) or route
            found.append((main, main.values_from(match)))
    return found


@pytest.mark.parametrize(("custom_id", "name", "fields"), OLD_IDS)
def test_an_id_posted_before_the_edge_kit_reaches_the_same_component(
    chess_components: ModuleType, custom_id: str, name: str, fields: dict[str, Any]
) -> None:
    """Exactly one class answers an old id, with the fields the old id carried."""
    [(cls, values)] = routes_for(custom_id)
    assert cls is getattr(chess_components, name)
    assert values == fields


@pytest.mark.parametrize(("custom_id", "name", "fields"), OLD_IDS)
def test_each_component_posts_one_new_form_that_routes_back_to_it(
    chess_components: ModuleType, custom_id: str, name: str, fields: dict[str, Any]
) -> None:
    """New posts carry `tb:chess.…` ids, answered by the same class with the same fields."""
    cls = getattr(chess_components, name)
    new_id = cls.custom_id_for(**fields)
    assert new_id.startswith("tb:chess.") and new_id != custom_id
    assert routes_for(new_id) == [(cls, fields)]
