"""Pairing rounds on a schedule (issue 23): an exchange's cadence of new rounds
(`round_cadences`; no row: off), and the latest due round teachers confirmed or skipped.

Revision ID: 0026
Revises: 0024
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "round_cadences",
        sa.Column("partnership_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("every_weeks", sa.Integer(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("handled_on", sa.Date(), nullable=True),
        sa.Column("changed_by", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnerships.id"],
            name="fk_round_cadences_partnership_id_partnerships",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("partnership_id", name="pk_round_cadences"),
    )


def downgrade() -> None:
    op.drop_table("round_cadences")
