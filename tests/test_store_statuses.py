"""Status enums name exactly the values the database's CHECK constraints allow."""

from __future__ import annotations

import re
from enum import StrEnum

import pytest
from sqlalchemy import CheckConstraint, Table

from bot.domain.chess_game import GameStatus
from bot.store.schema import chess_games, scheduled_sends
from bot.store.sends import SendStatus


def allowed_statuses(table: Table) -> set[str]:
    """The values of the table's `status IN (…)` constraint."""
    for constraint in table.constraints:
        text = str(getattr(constraint, "sqltext", ""))
        if isinstance(constraint, CheckConstraint) and text.startswith("status IN"):
            return set(re.findall(r"'([^']+)'", text))
    raise AssertionError(f"{table.name} has no status constraint")


@pytest.mark.parametrize(
    ("enum", "table"), [(GameStatus, chess_games), (SendStatus, scheduled_sends)]
)
def test_an_enum_names_every_stored_status(enum: type[StrEnum], table: Table) -> None:
    assert {member.value for member in enum} == allowed_statuses(table)
