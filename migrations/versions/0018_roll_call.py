"""Roll call: `session_marks`, voice minutes in `session_attendance`, the voice threshold.

A teacher's mark (present, late, excused, absent) stands over the bot's evidence; voice
attendance counts seconds between joining and leaving, and an exchange may set how many minutes
make someone present (NULL: 10 minutes or half the session, whichever is less). Rows recorded
before this keep NULL seconds and count as present, as they did.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("session_attendance") as batch:
        batch.add_column(sa.Column("voice_seconds", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("voice_since", sa.DateTime(), nullable=True))
    with op.batch_alter_table("session_settings") as batch:
        batch.add_column(sa.Column("voice_minutes", sa.Integer(), nullable=True))
    op.create_table(
        "session_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurrence_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("mark", sa.String(8), nullable=False),
        sa.Column("reason", sa.String(100), nullable=True),
        sa.Column("marked_by", sa.BigInteger(), nullable=False),
        sa.Column("marked_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "mark IN ('present', 'late', 'excused', 'absent')", name="ck_session_marks_mark"
        ),
        sa.ForeignKeyConstraint(
            ["occurrence_id"],
            ["session_occurrences.id"],
            name="fk_session_marks_occurrence_id_session_occurrences",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name="fk_session_marks_participant_id_participants",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_session_marks"),
        sa.UniqueConstraint(
            "occurrence_id",
            "participant_id",
            name="uq_session_marks_occurrence_id",
        ),
    )
    op.create_index("ix_session_marks_participant_id", "session_marks", ["participant_id"])


def downgrade() -> None:
    op.drop_index("ix_session_marks_participant_id", table_name="session_marks")
    op.drop_table("session_marks")
    with op.batch_alter_table("session_settings") as batch:
        batch.drop_column("voice_minutes")
    with op.batch_alter_table("session_attendance") as batch:
        batch.drop_column("voice_since")
        batch.drop_column("voice_seconds")
