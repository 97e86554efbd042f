"""Consent and age (issue 23): guardian consent on file per student (`consents`) and each
exchange's rule whether students need it before they are paired (`consent_settings`; no row:
required).

Grade bands now start at 13 (Discord's minimum age): stored "10-12" bands are left as they are
and flagged to teachers (bot/domain/exchange.py), so this migration changes no profile.

Revision ID: 0023
Revises: 0019
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consents",
        sa.Column("participant_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("on_file", sa.Boolean(), nullable=False),
        sa.Column("recorded_by", sa.BigInteger(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["participant_id"], ["participants.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["partnership_id"], ["partnerships.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("participant_id"),
    )
    op.create_index("ix_consents_partnership_id", "consents", ["partnership_id"])
    op.create_table(
        "consent_settings",
        sa.Column("partnership_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("changed_by", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["partnership_id"], ["partnerships.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("partnership_id"),
    )


def downgrade() -> None:
    op.drop_table("consent_settings")
    op.drop_index("ix_consents_partnership_id", table_name="consents")
    op.drop_table("consents")
