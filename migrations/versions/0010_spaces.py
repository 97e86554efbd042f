"""Paired spaces: when a space was paused and reopened, so chess clocks stop meanwhile.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pair_pauses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("paused_at", sa.DateTime(), nullable=False),
        sa.Column("reopened_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["pair_id"], ["pairs.id"], name="fk_pair_pauses_pair_id_pairs", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_pair_pauses"),
    )
    op.create_index("ix_pair_pauses_pair", "pair_pauses", ["pair_id", "paused_at"])
    # A space paused before this revision gets a pause that starts now: its games' clocks
    # stop from here on (earlier time already counted; nobody loses for the gap).
    op.execute(
        "INSERT INTO pair_pauses (pair_id, paused_at) "
        "SELECT id, CURRENT_TIMESTAMP FROM pairs WHERE status = 'paused'"
    )


def downgrade() -> None:
    op.drop_index("ix_pair_pauses_pair", table_name="pair_pauses")
    op.drop_table("pair_pauses")
