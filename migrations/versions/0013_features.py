"""Fixes across features.

- `chess_clock_extensions`: time given back to a player whose deadline passed while the bot
  was down (bot downtime never costs a student a game).

Revision ID: 0013
Revises: 0009
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chess_clock_extensions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("game_id", sa.Integer(), nullable=False),
        sa.Column("ply", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("granted_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("seconds > 0", name="ck_chess_clock_extensions_seconds"),
        sa.ForeignKeyConstraint(
            ["game_id"],
            ["chess_games.id"],
            name="fk_chess_clock_extensions_game_id_chess_games",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_chess_clock_extensions"),
    )
    op.create_index("ix_chess_clock_extensions_game_id", "chess_clock_extensions", ["game_id"])


def downgrade() -> None:
    op.drop_index("ix_chess_clock_extensions_game_id", table_name="chess_clock_extensions")
    op.drop_table("chess_clock_extensions")
