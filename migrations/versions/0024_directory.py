"""Cities seeking cities: directory listings, introductions, blocks and abuse reports.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "directory_listings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("languages", sa.String(100), nullable=False),
        sa.Column("age_bands", sa.String(60), nullable=False),
        sa.Column("class_size", sa.Integer(), nullable=False),
        sa.Column("themes", sa.String(300), server_default="", nullable=False),
        sa.Column("months", sa.String(40), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("direct_messages", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("status", sa.String(8), server_default="active", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'paused', 'removed')", name="ck_directory_listings_status"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_directory_listings"),
    )
    op.create_index(
        "ix_directory_listings_guild_id", "directory_listings", ["guild_id"], unique=False
    )
    op.create_table(
        "directory_introductions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("from_listing_id", sa.Integer(), nullable=False),
        sa.Column("to_listing_id", sa.Integer(), nullable=False),
        sa.Column("from_guild_id", sa.BigInteger(), nullable=False),
        sa.Column("from_user_id", sa.BigInteger(), nullable=False),
        sa.Column("to_guild_id", sa.BigInteger(), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("status", sa.String(10), server_default="pending", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("answered_by", sa.BigInteger(), nullable=True),
        sa.Column("channel_id", sa.BigInteger(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'declined', 'blocked')",
            name="ck_directory_introductions_status",
        ),
        sa.ForeignKeyConstraint(
            ["from_listing_id"],
            ["directory_listings.id"],
            name="fk_directory_introductions_from_listing_id_directory_listings",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["to_listing_id"],
            ["directory_listings.id"],
            name="fk_directory_introductions_to_listing_id_directory_listings",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_directory_introductions"),
    )
    op.create_index(
        "ix_directory_introductions_to_listing_id",
        "directory_introductions",
        ["to_listing_id"],
        unique=False,
    )
    op.create_index(
        "ix_directory_introductions_from_guild_id",
        "directory_introductions",
        ["from_guild_id"],
        unique=False,
    )
    op.create_table(
        "directory_blocks",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("blocked_guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "blocked_guild_id", name="pk_directory_blocks"),
    )
    op.create_table(
        "directory_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=True),
        sa.Column("listing_guild_id", sa.BigInteger(), nullable=False),
        sa.Column("reporter_guild_id", sa.BigInteger(), nullable=False),
        sa.Column("reporter_id", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["directory_listings.id"],
            name="fk_directory_reports_listing_id_directory_listings",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_directory_reports"),
    )


def downgrade() -> None:
    op.drop_table("directory_reports")
    op.drop_table("directory_blocks")
    op.drop_index("ix_directory_introductions_from_guild_id", table_name="directory_introductions")
    op.drop_index("ix_directory_introductions_to_listing_id", table_name="directory_introductions")
    op.drop_table("directory_introductions")
    op.drop_index("ix_directory_listings_guild_id", table_name="directory_listings")
    op.drop_table("directory_listings")
