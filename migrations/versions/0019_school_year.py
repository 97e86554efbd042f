"""The school year: each city's public-holiday region (`cities.holiday_region`) and its
school breaks (`school_breaks`).

A region is a country code with an optional subdivision ("US-MN", "IQ"); empty means the
country its time zone gives (bot/domain/holidays.py). A break is a city's days off, both ends
included (bot/domain/breaks.py).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cities") as batch:
        batch.add_column(sa.Column("holiday_region", sa.String(40), nullable=True))
    op.create_table(
        "school_breaks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["partnership_id"], ["partnerships.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["city_id"], ["cities.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_school_breaks_partnership_id", "school_breaks", ["partnership_id"])


def downgrade() -> None:
    op.drop_index("ix_school_breaks_partnership_id", table_name="school_breaks")
    op.drop_table("school_breaks")
    with op.batch_alter_table("cities") as batch:
        batch.drop_column("holiday_region")
