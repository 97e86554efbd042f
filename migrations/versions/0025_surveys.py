"""Surveys for funders and research (issue 23): surveys of an exchange (`surveys`; a post
survey names the pre survey it is compared with), their items (`survey_items`) and the
students' answers (`survey_answers`, one per student and item; a later one replaces it).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(table: str, column: str, target: str, ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}", ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("named", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(8), server_default="draft", nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=True),
        sa.Column("pre_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("closed_by", sa.BigInteger(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("kind IN ('pre', 'post', 'single')", name="ck_surveys_kind"),
        sa.CheckConstraint("status IN ('draft', 'open', 'closed')", name="ck_surveys_status"),
        _fk("surveys", "partnership_id", "partnerships"),
        _fk("surveys", "pre_id", "surveys", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_surveys"),
    )
    op.create_index("ix_surveys_partnership_id", "surveys", ["partnership_id"])
    op.create_table(
        "survey_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("text", sa.String(200), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("choices", sa.Text(), server_default="[]", nullable=False),
        sa.CheckConstraint("kind IN ('scale', 'choice', 'text')", name="ck_survey_items_kind"),
        _fk("survey_items", "survey_id", "surveys"),
        sa.PrimaryKeyConstraint("id", name="pk_survey_items"),
        sa.UniqueConstraint("survey_id", "position", name="uq_survey_items_survey_id"),
    )
    op.create_table(
        "survey_answers",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("choice", sa.Integer(), nullable=True),
        sa.Column("text", sa.String(300), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=False),
        _fk("survey_answers", "item_id", "survey_items"),
        _fk("survey_answers", "participant_id", "participants"),
        _fk("survey_answers", "survey_id", "surveys"),
        sa.PrimaryKeyConstraint("item_id", "participant_id", name="pk_survey_answers"),
    )
    op.create_index("ix_survey_answers_participant_id", "survey_answers", ["participant_id"])
    op.create_index("ix_survey_answers_survey_id", "survey_answers", ["survey_id"])


def downgrade() -> None:
    op.drop_index("ix_survey_answers_survey_id", table_name="survey_answers")
    op.drop_index("ix_survey_answers_participant_id", table_name="survey_answers")
    op.drop_table("survey_answers")
    op.drop_table("survey_items")
    op.drop_index("ix_surveys_partnership_id", table_name="surveys")
    op.drop_table("surveys")
