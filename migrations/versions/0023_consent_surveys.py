"""Consent and age (issue 23): guardian consent on file per student (`consents`) and each
exchange's rule whether students need it before they are paired (`consent_settings`; no row:
required); "did you meet?" check-ins: each exchange's delay (`meet_settings`; no row: off),
the check-ins posted to pairs (`meet_checkins`) and the students' answers (`meet_answers`).

Grade bands now start at 13 (Discord's minimum age): stored "10-12" bands are left as they are
and flagged to teachers (bot/domain/exchange.py), so this migration changes no profile.

Revision ID: 0023
Revises: 0021
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(table: str, column: str, target: str, target_column: str = "id") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.{target_column}"],
        name=f"fk_{table}_{column}_{target}",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "consents",
        sa.Column("participant_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("on_file", sa.Boolean(), nullable=False),
        sa.Column("recorded_by", sa.BigInteger(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        _fk("consents", "participant_id", "participants"),
        _fk("consents", "partnership_id", "partnerships"),
        sa.PrimaryKeyConstraint("participant_id", name="pk_consents"),
    )
    op.create_index("ix_consents_partnership_id", "consents", ["partnership_id"])
    op.create_table(
        "consent_settings",
        sa.Column("partnership_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("changed_by", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        _fk("consent_settings", "partnership_id", "partnerships"),
        sa.PrimaryKeyConstraint("partnership_id", name="pk_consent_settings"),
    )
    op.create_table(
        "meet_settings",
        sa.Column("partnership_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("changed_by", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        _fk("meet_settings", "partnership_id", "partnerships"),
        sa.PrimaryKeyConstraint("partnership_id", name="pk_meet_settings"),
    )
    op.create_table(
        "meet_checkins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("occasion", sa.String(40), nullable=False),
        sa.Column("posted_at", sa.DateTime(), nullable=False),
        _fk("meet_checkins", "pair_id", "pairs"),
        _fk("meet_checkins", "partnership_id", "partnerships"),
        sa.PrimaryKeyConstraint("id", name="pk_meet_checkins"),
        sa.UniqueConstraint("pair_id", "occasion", name="uq_meet_checkins_pair_id"),
    )
    op.create_index("ix_meet_checkins_partnership_id", "meet_checkins", ["partnership_id"])
    op.create_table(
        "meet_answers",
        sa.Column("checkin_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("answer", sa.String(8), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("answer IN ('yes', 'not_yet', 'help')", name="ck_meet_answers_answer"),
        _fk("meet_answers", "checkin_id", "meet_checkins"),
        _fk("meet_answers", "participant_id", "participants"),
        sa.PrimaryKeyConstraint("checkin_id", "participant_id", name="pk_meet_answers"),
    )
    op.create_index("ix_meet_answers_participant_id", "meet_answers", ["participant_id"])


def downgrade() -> None:
    op.drop_index("ix_meet_answers_participant_id", table_name="meet_answers")
    op.drop_table("meet_answers")
    op.drop_index("ix_meet_checkins_partnership_id", table_name="meet_checkins")
    op.drop_table("meet_checkins")
    op.drop_table("meet_settings")
    op.drop_table("consent_settings")
    op.drop_index("ix_consents_partnership_id", table_name="consents")
    op.drop_table("consents")
