"""Table metadata. Migrations build the same schema; a test checks they never drift."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from bot.store.types import UTCDateTime

# Stable constraint names let Alembic's batch mode alter SQLite tables later.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

guild_settings = Table(
    "guild_settings",
    metadata,
    Column("guild_id", BigInteger, primary_key=True, autoincrement=False),
    Column("language", String(8), nullable=False, server_default="en"),
    Column("student_role_id", BigInteger),
    Column("teacher_role_id", BigInteger),
    Column("coordinator_role_id", BigInteger),
    Column("created_at", UTCDateTime, nullable=False),
)

partnerships = Table(
    "partnerships",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("guild_id", BigInteger, nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("status", String(16), nullable=False, server_default="active"),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("status IN ('active', 'ended')", name="status"),
)

cities = Table(
    "cities",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "partnership_id",
        Integer,
        ForeignKey("partnerships.id", ondelete="CASCADE"),
        nullable=False,
    ),
    # 0 or 1: the two sides of a partnership.
    Column("position", SmallInteger, nullable=False),
    Column("name", String(100), nullable=False),
    Column("timezone", String(64), nullable=False),
    # Comma-separated language codes, e.g. "en,es".
    Column("languages", String(100), nullable=False),
    # Comma-separated ISO weekdays (1 = Monday … 7 = Sunday).
    Column("weekend_days", String(20), nullable=False, server_default="6,7"),
    UniqueConstraint("partnership_id", "position"),
    CheckConstraint("position IN (0, 1)", name="position"),
)

participants = Table(
    "participants",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("guild_id", BigInteger, nullable=False),
    Column(
        "partnership_id",
        Integer,
        ForeignKey("partnerships.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("city_id", Integer, ForeignKey("cities.id", ondelete="SET NULL")),
    Column("user_id", BigInteger, nullable=False),
    Column("role", String(16), nullable=False),
    Column("display_name", String(100), nullable=False),
    Column("language", String(8), nullable=False, server_default="en"),
    Column("status", String(16), nullable=False, server_default="active"),
    Column("grade_band", String(8)),
    # Comma-separated language codes and a JSON list of interests.
    Column("languages", String(100), nullable=False, server_default=""),
    Column("interests", Text, nullable=False, server_default="[]"),
    Column("intro", Text, nullable=False, server_default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("partnership_id", "user_id"),
    CheckConstraint("role IN ('student', 'teacher', 'coordinator')", name="role"),
    CheckConstraint("status IN ('active', 'paused', 'removed')", name="status"),
    Index("ix_participants_guild_user", "guild_id", "user_id"),
)

# -- 0002: exchanges, roster, pairing, activity -----------------------------------------------

exchange_spaces = Table(
    "exchange_spaces",
    metadata,
    Column(
        "partnership_id",
        Integer,
        ForeignKey("partnerships.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    # Where pairs live: categories of private channels, or private threads in one channel.
    Column("category_ids", Text, nullable=False, server_default="[]"),
    Column("thread_parent_id", BigInteger),
    Column("exchange_channel_id", BigInteger),
    Column("teachers_channel_id", BigInteger),
)

keep_apart = Table(
    "keep_apart",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "partnership_id",
        Integer,
        ForeignKey("partnerships.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("first_id", Integer, ForeignKey("participants.id", ondelete="CASCADE"), nullable=False),
    Column("second_id", Integer, ForeignKey("participants.id", ondelete="CASCADE"), nullable=False),
    Column("created_by", BigInteger, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("partnership_id", "first_id", "second_id"),
    CheckConstraint("first_id < second_id", name="ordered"),
)

pairing_rounds = Table(
    "pairing_rounds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "partnership_id",
        Integer,
        ForeignKey("partnerships.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("created_by", BigInteger, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("space_kind", String(16), nullable=False),
    Column("total_score", Integer, nullable=False, server_default="0"),
    CheckConstraint("space_kind IN ('channels', 'threads')", name="space_kind"),
)

pairs = Table(
    "pairs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "round_id", Integer, ForeignKey("pairing_rounds.id", ondelete="CASCADE"), nullable=False
    ),
    Column(
        "partnership_id",
        Integer,
        ForeignKey("partnerships.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("space_id", BigInteger),
    Column("status", String(16), nullable=False, server_default="active"),
    Column("reasons", Text, nullable=False, server_default="{}"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime),
    CheckConstraint("status IN ('active', 'paused', 'archived')", name="status"),
    Index("ix_pairs_partnership_status", "partnership_id", "status"),
)

pair_members = Table(
    "pair_members",
    metadata,
    Column("pair_id", Integer, ForeignKey("pairs.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "participant_id",
        Integer,
        ForeignKey("participants.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)

activity = Table(
    "activity",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("guild_id", BigInteger, nullable=False),
    Column("partnership_id", Integer),
    # The Discord user who acted (None for the bot's own scheduled work).
    Column("actor_id", BigInteger),
    Column("kind", String(40), nullable=False),
    Column("details", Text, nullable=False, server_default="{}"),
    Index("ix_activity_partnership_kind_at", "partnership_id", "kind", "at"),
    Index("ix_activity_guild_at", "guild_id", "at"),
)

# -- 0003: scheduled sends (reminders, session posts, chess deadlines) -------------------------

scheduled_sends = Table(
    "scheduled_sends",
    metadata,
    Column("id", Integer, primary_key=True),
    # Stable identity of a send (e.g. "session:4:2026-12-01T21:00:00+00:00:remind-24h"): planning
    # the same send twice is a no-op, so restarts and re-plans never double a reminder.
    Column("key", String(200), nullable=False, unique=True),
    Column("kind", String(40), nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("status", String(16), nullable=False, server_default="pending"),
    Column("payload", Text, nullable=False, server_default="{}"),
    Column("guild_id", BigInteger, nullable=False),
    Column("partnership_id", Integer),
    Column("done_at", UTCDateTime),
    CheckConstraint(
        "status IN ('pending', 'sending', 'sent', 'missed', 'cancelled', 'failed')", name="status"
    ),
    Index("ix_scheduled_sends_status_due", "status", "due_at"),
)

# -- 0008: safety -------------------------------------------------------------------------------

# When an exchange ended (the retention period counts from here) and when its personal data was
# pruned. Appended here so this feature's schema stays in its own section.
partnerships.append_column(Column("ended_at", UTCDateTime))
partnerships.append_column(Column("pruned_at", UTCDateTime))

# "Report to teacher" and /concern. Never the reported message's text: the link is enough for a
# teacher, who can see every paired space, and copying children's words would keep them here.
reports = Table(
    "reports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("guild_id", BigInteger, nullable=False),
    Column(
        "partnership_id",
        Integer,
        ForeignKey("partnerships.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("kind", String(16), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("reporter_id", BigInteger, nullable=False),
    # Whose message it is, or whom a concern is about (None: nobody named).
    Column("subject_id", BigInteger),
    Column("channel_id", BigInteger),
    Column("message_id", BigInteger),
    # The paired space concerned, if any (what "Pause space" pauses).
    Column("pair_id", Integer, ForeignKey("pairs.id", ondelete="SET NULL")),
    # The reporter's own few words (at most 300 characters), optional.
    Column("details", Text, nullable=False, server_default=""),
    Column("status", String(16), nullable=False, server_default="open"),
    # The embed in the teachers' channel, to update it when the report changes.
    Column("notice_channel_id", BigInteger),
    Column("notice_message_id", BigInteger),
    Column("created_at", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime),
    Column("resolved_by", BigInteger),
    CheckConstraint("kind IN ('message', 'concern')", name="kind"),
    CheckConstraint("status IN ('open', 'resolved')", name="status"),
    Index("ix_reports_partnership_status", "partnership_id", "status"),
)
