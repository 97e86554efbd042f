"""Outside Discord: `dashboard_links`, `calendar_feeds` and `report_digests`.

Read-only dashboard links and calendar subscriptions are found by a selector and checked
against a hash of their secret (the secret is never stored); an exchange with a row in
`report_digests` gets a monthly digest in its teachers' channel.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-20
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dashboard_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("selector", sa.String(32), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_by", sa.BigInteger(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.Column("uses", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint("role IN ('coordinator', 'teacher')", name="ck_dashboard_links_role"),
        sa.ForeignKeyConstraint(
            ["city_id"], ["cities.id"], name="fk_dashboard_links_city_id_cities", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnerships.id"],
            name="fk_dashboard_links_partnership_id_partnerships",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_dashboard_links"),
        sa.UniqueConstraint("selector", name="uq_dashboard_links_selector"),
    )
    op.create_index("ix_dashboard_links_partnership_id", "dashboard_links", ["partnership_id"])
    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("selector", sa.String(32), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.Column("uses", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"], ["cities.id"], name="fk_calendar_feeds_city_id_cities", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnerships.id"],
            name="fk_calendar_feeds_partnership_id_partnerships",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_calendar_feeds"),
        sa.UniqueConstraint("selector", name="uq_calendar_feeds_selector"),
    )
    op.create_index("ix_calendar_feeds_partnership_id", "calendar_feeds", ["partnership_id"])
    op.create_table(
        "report_digests",
        sa.Column("partnership_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("turned_on_by", sa.BigInteger(), nullable=False),
        sa.Column("turned_on_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnerships.id"],
            name="fk_report_digests_partnership_id_partnerships",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("partnership_id", name="pk_report_digests"),
    )


def downgrade() -> None:
    op.drop_table("report_digests")
    op.drop_index("ix_calendar_feeds_partnership_id", table_name="calendar_feeds")
    op.drop_table("calendar_feeds")
    op.drop_index("ix_dashboard_links_partnership_id", table_name="dashboard_links")
    op.drop_table("dashboard_links")
