"""Sessions: series, their occurrences, attendance, and each exchange's reminder times.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(100), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("first_local", sa.String(19), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("rrule", sa.String(300), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=True),
        sa.Column("prompt", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), server_default="active", nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("status IN ('draft', 'active', 'cancelled')", name="ck_sessions_status"),
        sa.CheckConstraint("duration_minutes > 0", name="ck_sessions_duration"),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnerships.id"],
            name="fk_sessions_partnership_id_partnerships",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_sessions"),
    )
    op.create_index("ix_sessions_partnership_status", "sessions", ["partnership_id", "status"])
    op.create_table(
        "session_occurrences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("original_start", sa.DateTime(), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(16), server_default="scheduled", nullable=False),
        sa.Column("revision", sa.Integer(), server_default="0", nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=True),
        sa.Column("checkin_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("checkin_message_id", sa.BigInteger(), nullable=True),
        sa.Column("changed_by", sa.BigInteger(), nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('scheduled', 'started', 'done', 'cancelled', 'skipped')",
            name="ck_session_occurrences_status",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name="fk_session_occurrences_session_id_sessions",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_session_occurrences"),
        sa.UniqueConstraint(
            "session_id", "original_start", name="uq_session_occurrences_session_id"
        ),
    )
    op.create_index(
        "ix_session_occurrences_status_start",
        "session_occurrences",
        ["status", "starts_at"],
    )
    op.create_table(
        "session_attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurrence_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("occurrence_start", sa.DateTime(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.CheckConstraint("method IN ('button', 'voice')", name="ck_session_attendance_method"),
        sa.ForeignKeyConstraint(
            ["occurrence_id"],
            ["session_occurrences.id"],
            name="fk_session_attendance_occurrence_id_session_occurrences",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name="fk_session_attendance_participant_id_participants",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name="fk_session_attendance_session_id_sessions",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_session_attendance"),
        sa.UniqueConstraint(
            "occurrence_id",
            "participant_id",
            "method",
            name="uq_session_attendance_occurrence_id",
        ),
    )
    op.create_index(
        "ix_session_attendance_session_participant",
        "session_attendance",
        ["session_id", "participant_id"],
    )
    op.create_table(
        "session_settings",
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("reminder_minutes", sa.String(40), server_default="1440,60", nullable=False),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnerships.id"],
            name="fk_session_settings_partnership_id_partnerships",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("partnership_id", name="pk_session_settings"),
    )


def downgrade() -> None:
    op.drop_table("session_settings")
    op.drop_index("ix_session_attendance_session_participant", table_name="session_attendance")
    op.drop_table("session_attendance")
    op.drop_index("ix_session_occurrences_status_start", table_name="session_occurrences")
    op.drop_table("session_occurrences")
    op.drop_index("ix_sessions_partnership_status", table_name="sessions")
    op.drop_table("sessions")
