"""The school year: each city's public-holiday region (`cities.holiday_region`).

A country code with an optional subdivision ("US-MN", "IQ"); empty means the country its time
zone gives (bot/domain/holidays.py).

Revision ID: 0019
Revises: 0016
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cities") as batch:
        batch.add_column(sa.Column("holiday_region", sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cities") as batch:
        batch.drop_column("holiday_region")
