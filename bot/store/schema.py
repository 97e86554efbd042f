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
    Column("profile", Text, nullable=False, server_default="{}"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("partnership_id", "user_id"),
    CheckConstraint("role IN ('student', 'teacher', 'coordinator')", name="role"),
    CheckConstraint("status IN ('active', 'paused', 'removed')", name="status"),
    Index("ix_participants_guild_user", "guild_id", "user_id"),
)
