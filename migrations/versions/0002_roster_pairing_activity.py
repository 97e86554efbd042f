"""Roster profiles, keep-apart marks, pairing rounds and pairs, exchange spaces, activity log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("participants") as batch:
        batch.drop_column("profile")
        batch.add_column(sa.Column("grade_band", sa.String(8), nullable=True))
        batch.add_column(sa.Column("languages", sa.String(100), server_default="", nullable=False))
        batch.add_column(sa.Column("interests", sa.Text(), server_default="[]", nullable=False))
        batch.add_column(sa.Column("intro", sa.Text(), server_default="", nullable=False))

    op.create_table(
        "exchange_spaces",
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("category_ids", sa.Text(), server_default="[]", nullable=False),
        sa.Column("thread_parent_id", sa.BigInteger(), nullable=True),
        sa.Column("exchange_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("teachers_channel_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnerships.id"],
            name="fk_exchange_spaces_partnership_id_partnerships",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("partnership_id", name="pk_exchange_spaces"),
    )
    op.create_table(
        "keep_apart",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("first_id", sa.Integer(), nullable=False),
        sa.Column("second_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("first_id < second_id", name="ck_keep_apart_ordered"),
        sa.ForeignKeyConstraint(
            ["first_id"],
            ["participants.id"],
            name="fk_keep_apart_first_id_participants",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnerships.id"],
            name="fk_keep_apart_partnership_id_partnerships",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["second_id"],
            ["participants.id"],
            name="fk_keep_apart_second_id_participants",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_keep_apart"),
        sa.UniqueConstraint(
            "partnership_id", "first_id", "second_id", name="uq_keep_apart_partnership_id"
        ),
    )
    op.create_table(
        "pairing_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("space_kind", sa.String(16), nullable=False),
        sa.Column("total_score", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint(
            "space_kind IN ('channels', 'threads')", name="ck_pairing_rounds_space_kind"
        ),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnerships.id"],
            name="fk_pairing_rounds_partnership_id_partnerships",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_pairing_rounds"),
    )
    op.create_table(
        "pairs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("space_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(16), server_default="active", nullable=False),
        sa.Column("reasons", sa.Text(), server_default="{}", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("status IN ('active', 'paused', 'archived')", name="ck_pairs_status"),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnerships.id"],
            name="fk_pairs_partnership_id_partnerships",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["pairing_rounds.id"],
            name="fk_pairs_round_id_pairing_rounds",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_pairs"),
    )
    op.create_index("ix_pairs_partnership_status", "pairs", ["partnership_id", "status"])
    op.create_table(
        "pair_members",
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pair_id"], ["pairs.id"], name="fk_pair_members_pair_id_pairs", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name="fk_pair_members_participant_id_participants",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pair_id", "participant_id", name="pk_pair_members"),
    )
    op.create_table(
        "activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("details", sa.Text(), server_default="{}", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_activity"),
    )
    op.create_index("ix_activity_partnership_kind_at", "activity", ["partnership_id", "kind", "at"])
    op.create_index("ix_activity_guild_at", "activity", ["guild_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_activity_guild_at", table_name="activity")
    op.drop_index("ix_activity_partnership_kind_at", table_name="activity")
    op.drop_table("activity")
    op.drop_table("pair_members")
    op.drop_index("ix_pairs_partnership_status", table_name="pairs")
    op.drop_table("pairs")
    op.drop_table("pairing_rounds")
    op.drop_table("keep_apart")
    op.drop_table("exchange_spaces")
    with op.batch_alter_table("participants") as batch:
        batch.drop_column("intro")
        batch.drop_column("interests")
        batch.drop_column("languages")
        batch.drop_column("grade_band")
        batch.add_column(sa.Column("profile", sa.Text(), server_default="{}", nullable=False))
