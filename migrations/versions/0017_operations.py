"""Operations: changes of several Discord calls, written down before the first one.

`operations` holds a pairing round, a swap, a removal, the end of an exchange or an erasure
while it runs, with what it has done so far (the spaces it made or changed). The row goes in
the transaction that records the outcome; one left by a stopped process is finished or undone
at the next start.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-20
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "operations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), server_default="running", nullable=False),
        sa.Column("owner", sa.String(32), server_default="", nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("plan", sa.Text(), server_default="{}", nullable=False),
        sa.Column("steps", sa.Text(), server_default="{}", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("status IN ('running', 'undoing')", name="ck_operations_status"),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnerships.id"],
            name="fk_operations_partnership_id_partnerships",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_operations"),
    )


def downgrade() -> None:
    op.drop_table("operations")
