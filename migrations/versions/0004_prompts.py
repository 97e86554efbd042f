"""Discussion prompts: an exchange's own prompts, retirements, posts to pairs and responses.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Every message in a paired space looks its pair up by space id.
    op.create_index("ix_pairs_space_id", "pairs", ["space_id"])

    op.create_table(
        "prompts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("texts", sa.Text(), nullable=False),
        sa.Column("ages", sa.String(8), server_default="10-18", nullable=False),
        sa.Column("theme", sa.String(24), server_default="other", nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnerships.id"],
            name="fk_prompts_partnership_id_partnerships",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_prompts"),
    )
    op.create_index("ix_prompts_partnership_id", "prompts", ["partnership_id"])

    op.create_table(
        "prompt_retirements",
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("prompt_key", sa.String(64), nullable=False),
        sa.Column("retired_by", sa.BigInteger(), nullable=False),
        sa.Column("retired_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnerships.id"],
            name="fk_prompt_retirements_partnership_id_partnerships",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("partnership_id", "prompt_key", name="pk_prompt_retirements"),
    )

    op.create_table(
        "prompt_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("prompt_key", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("session_key", sa.String(100), nullable=True),
        sa.Column("posted_by", sa.BigInteger(), nullable=True),
        sa.Column("posted_at", sa.DateTime(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "reason IN ('session', 'teacher', 'pair')", name="ck_prompt_posts_reason"
        ),
        sa.ForeignKeyConstraint(
            ["pair_id"], ["pairs.id"], name="fk_prompt_posts_pair_id_pairs", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnerships.id"],
            name="fk_prompt_posts_partnership_id_partnerships",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_prompt_posts"),
        sa.UniqueConstraint("pair_id", "session_key", name="uq_prompt_posts_pair_id"),
    )
    op.create_index("ix_prompt_posts_pair_posted", "prompt_posts", ["pair_id", "posted_at"])
    op.create_index(
        "ix_prompt_posts_partnership_key", "prompt_posts", ["partnership_id", "prompt_key"]
    )

    op.create_table(
        "prompt_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("length", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name="fk_prompt_responses_participant_id_participants",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["prompt_posts.id"],
            name="fk_prompt_responses_post_id_prompt_posts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_prompt_responses"),
    )
    op.create_index("ix_prompt_responses_post_id", "prompt_responses", ["post_id"])


def downgrade() -> None:
    op.drop_index("ix_prompt_responses_post_id", table_name="prompt_responses")
    op.drop_table("prompt_responses")
    op.drop_index("ix_prompt_posts_partnership_key", table_name="prompt_posts")
    op.drop_index("ix_prompt_posts_pair_posted", table_name="prompt_posts")
    op.drop_table("prompt_posts")
    op.drop_table("prompt_retirements")
    op.drop_index("ix_prompts_partnership_id", table_name="prompts")
    op.drop_table("prompts")
    op.drop_index("ix_pairs_space_id", table_name="pairs")
