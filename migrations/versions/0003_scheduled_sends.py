"""Scheduled sends: the database record of every reminder and timed post.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scheduled_sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(16), server_default="pending", nullable=False),
        sa.Column("payload", sa.Text(), server_default="{}", nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=True),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'missed', 'cancelled', 'failed')",
            name="ck_scheduled_sends_status",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_scheduled_sends"),
        sa.UniqueConstraint("key", name="uq_scheduled_sends_key"),
    )
    op.create_index("ix_scheduled_sends_status_due", "scheduled_sends", ["status", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_scheduled_sends_status_due", table_name="scheduled_sends")
    op.drop_table("scheduled_sends")
