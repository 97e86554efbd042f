"""Chess between partners: games, their moves, and each exchange's games-per-pair limit.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chess_settings",
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("games_per_pair", sa.SmallInteger(), server_default="1", nullable=False),
        sa.Column("updated_by", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "games_per_pair BETWEEN 1 AND 10", name="ck_chess_settings_games_per_pair"
        ),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnerships.id"],
            name="fk_chess_settings_partnership_id_partnerships",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("partnership_id", name="pk_chess_settings"),
    )
    op.create_table(
        "chess_games",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("white_id", sa.Integer(), nullable=False),
        sa.Column("black_id", sa.Integer(), nullable=False),
        sa.Column("challenger_id", sa.Integer(), nullable=False),
        sa.Column("space_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), server_default="offered", nullable=False),
        sa.Column("time_kind", sa.String(16), nullable=False),
        sa.Column("base_seconds", sa.Integer(), nullable=False),
        sa.Column("increment_seconds", sa.Integer(), server_default="0", nullable=False),
        sa.Column("ply", sa.Integer(), server_default="0", nullable=False),
        sa.Column("draw_offer", sa.String(8), nullable=True),
        sa.Column("result", sa.String(8), nullable=True),
        sa.Column("termination", sa.String(32), nullable=True),
        sa.Column("deadline_at", sa.DateTime(), nullable=True),
        sa.Column("challenge_message_id", sa.BigInteger(), nullable=True),
        sa.Column("board_message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('offered', 'active', 'finished', 'declined', 'withdrawn', 'expired')",
            name="ck_chess_games_status",
        ),
        sa.CheckConstraint(
            "time_kind IN ('correspondence', 'live')", name="ck_chess_games_time_kind"
        ),
        sa.CheckConstraint("white_id <> black_id", name="ck_chess_games_players"),
        sa.CheckConstraint("ply >= 0", name="ck_chess_games_ply"),
        sa.CheckConstraint("draw_offer IN ('white', 'black')", name="ck_chess_games_draw_offer"),
        sa.CheckConstraint("result IN ('1-0', '0-1', '1/2-1/2')", name="ck_chess_games_result"),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnerships.id"],
            name="fk_chess_games_partnership_id_partnerships",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["white_id"],
            ["participants.id"],
            name="fk_chess_games_white_id_participants",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["black_id"],
            ["participants.id"],
            name="fk_chess_games_black_id_participants",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["challenger_id"],
            ["participants.id"],
            name="fk_chess_games_challenger_id_participants",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_chess_games"),
    )
    op.create_index(
        "ix_chess_games_partnership_status", "chess_games", ["partnership_id", "status"]
    )
    op.create_index("ix_chess_games_status_deadline", "chess_games", ["status", "deadline_at"])
    op.create_index("ix_chess_games_white", "chess_games", ["white_id"])
    op.create_index("ix_chess_games_black", "chess_games", ["black_id"])
    op.create_table(
        "chess_moves",
        sa.Column("game_id", sa.Integer(), nullable=False),
        sa.Column("ply", sa.Integer(), nullable=False),
        sa.Column("uci", sa.String(5), nullable=False),
        sa.Column("san", sa.String(10), nullable=False),
        sa.Column("played_by", sa.BigInteger(), nullable=False),
        sa.Column("played_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["game_id"],
            ["chess_games.id"],
            name="fk_chess_moves_game_id_chess_games",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("game_id", "ply", name="pk_chess_moves"),
    )


def downgrade() -> None:
    op.drop_table("chess_moves")
    op.drop_index("ix_chess_games_black", table_name="chess_games")
    op.drop_index("ix_chess_games_white", table_name="chess_games")
    op.drop_index("ix_chess_games_status_deadline", table_name="chess_games")
    op.drop_index("ix_chess_games_partnership_status", table_name="chess_games")
    op.drop_table("chess_games")
    op.drop_table("chess_settings")
