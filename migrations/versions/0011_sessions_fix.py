"""Scheduled sends: how long each stays useful, retries of passing failures, and their reason.

A session's start may be done late until the session ends (not only within the grace window);
a send that failed for a passing reason (Discord 5xx, the server briefly unavailable) is tried
again within that window; a failure records Discord's reason.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("scheduled_sends") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("error", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scheduled_sends") as batch:
        batch.drop_column("error")
        batch.drop_column("attempts")
        batch.drop_column("expires_at")
