"""Roster: `profile_drafts`, what a person chose in a /join or /profile panel not yet sent.

The panel's menus and buttons carry only the draft's id, so a panel survives a restart; the
draft goes when it is sent or cancelled, and one untouched for a day is deleted.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-14
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "profile_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("editing", sa.Boolean(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("grade_band", sa.String(8), nullable=True),
        sa.Column("languages", sa.String(100), server_default="", nullable=False),
        sa.Column("interests", sa.Text(), server_default="[]", nullable=False),
        sa.Column("other_interests", sa.Text(), server_default="", nullable=False),
        sa.Column("intro", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "role IN ('student', 'teacher', 'coordinator')", name="ck_profile_drafts_role"
        ),
        sa.ForeignKeyConstraint(
            ["city_id"],
            ["cities.id"],
            name="fk_profile_drafts_city_id_cities",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnerships.id"],
            name="fk_profile_drafts_partnership_id_partnerships",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_profile_drafts"),
    )
    op.create_index("ix_profile_drafts_updated_at", "profile_drafts", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_profile_drafts_updated_at", table_name="profile_drafts")
    op.drop_table("profile_drafts")
