"""Directory listings hidden because the bot left their server (paused with that reason).

Revision ID: 0027
Revises: 0024
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("directory_listings", sa.Column("paused_reason", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("directory_listings") as batch:
        batch.drop_column("paused_reason")
