"""Core tables: guild settings, partnerships, their two cities, participants.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "guild_settings",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("language", sa.String(8), server_default="en", nullable=False),
        sa.Column("student_role_id", sa.BigInteger(), nullable=True),
        sa.Column("teacher_role_id", sa.BigInteger(), nullable=True),
        sa.Column("coordinator_role_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name="pk_guild_settings"),
    )
    op.create_table(
        "partnerships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("status", sa.String(16), server_default="active", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("status IN ('active', 'ended')", name="ck_partnerships_status"),
        sa.PrimaryKeyConstraint("id", name="pk_partnerships"),
    )
    op.create_index("ix_partnerships_guild_id", "partnerships", ["guild_id"])
    op.create_table(
        "cities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("languages", sa.String(100), nullable=False),
        sa.Column("weekend_days", sa.String(20), server_default="6,7", nullable=False),
        sa.CheckConstraint("position IN (0, 1)", name="ck_cities_position"),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnerships.id"],
            name="fk_cities_partnership_id_partnerships",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_cities"),
        sa.UniqueConstraint("partnership_id", "position", name="uq_cities_partnership_id"),
    )
    op.create_table(
        "participants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("language", sa.String(8), server_default="en", nullable=False),
        sa.Column("status", sa.String(16), server_default="active", nullable=False),
        sa.Column("profile", sa.Text(), server_default="{}", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "role IN ('student', 'teacher', 'coordinator')", name="ck_participants_role"
        ),
        sa.CheckConstraint(
            "status IN ('active', 'paused', 'removed')", name="ck_participants_status"
        ),
        sa.ForeignKeyConstraint(
            ["city_id"],
            ["cities.id"],
            name="fk_participants_city_id_cities",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnerships.id"],
            name="fk_participants_partnership_id_partnerships",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_participants"),
        sa.UniqueConstraint("partnership_id", "user_id", name="uq_participants_partnership_id"),
    )
    op.create_index("ix_participants_guild_user", "participants", ["guild_id", "user_id"])


def downgrade() -> None:
    op.drop_index("ix_participants_guild_user", table_name="participants")
    op.drop_table("participants")
    op.drop_table("cities")
    op.drop_index("ix_partnerships_guild_id", table_name="partnerships")
    op.drop_table("partnerships")
    op.drop_table("guild_settings")
