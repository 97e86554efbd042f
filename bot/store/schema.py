"""Table metadata. Migrations build the same schema; a test checks they never drift."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
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
    # 0, 1, 2 …: the order of the exchange's cities (two or more; 0020 allowed more than 0, 1).
    Column("position", SmallInteger, nullable=False),
    Column("name", String(100), nullable=False),
    Column("timezone", String(64), nullable=False),
    # Comma-separated language codes, e.g. "en,es".
    Column("languages", String(100), nullable=False),
    # Comma-separated ISO weekdays (1 = Monday … 7 = Sunday).
    Column("weekend_days", String(20), nullable=False, server_default="6,7"),
    # Public holidays: "US-MN", "IQ"; NULL takes the country of the time zone.
    Column("holiday_region", String(40)),
    UniqueConstraint("partnership_id", "position"),
    CheckConstraint("position >= 0", name="position"),
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
    # Set when a student leaves a pair that goes on (removed from the roster): the row stays,
    # so history still shows who was paired with whom and later rounds avoid the repeat.
    Column("left_at", UTCDateTime),
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
    # 0011: the latest time the send is still useful (NULL: `due_at` plus the grace window);
    # tries that failed for a passing reason (each moves `due_at` on) and Discord's last reason.
    Column("expires_at", UTCDateTime),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("error", String(200)),
    CheckConstraint(
        "status IN ('pending', 'sending', 'sent', 'missed', 'cancelled', 'failed')", name="status"
    ),
    Index("ix_scheduled_sends_status_due", "status", "due_at"),
)

# -- 0004: prompts ----------------------------------------------------------------------------

# Finding the pair of a paired space happens for every message in it.
Index("ix_pairs_space_id", pairs.c.space_id)

# An exchange's own prompts; built-in ones ship as data files (bot/data/prompts/).
prompts = Table(
    "prompts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "partnership_id",
        Integer,
        ForeignKey("partnerships.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    # A JSON object of language code -> text, e.g. {"en": "...", "ar": "..."}.
    Column("texts", Text, nullable=False),
    Column("ages", String(8), nullable=False, server_default="10-18"),
    Column("theme", String(24), nullable=False, server_default="other"),
    Column("created_by", BigInteger, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Prompts (built-in or own, by key) an exchange no longer wants posted.
prompt_retirements = Table(
    "prompt_retirements",
    metadata,
    Column(
        "partnership_id",
        Integer,
        ForeignKey("partnerships.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("prompt_key", String(64), primary_key=True),
    Column("retired_by", BigInteger, nullable=False),
    Column("retired_at", UTCDateTime, nullable=False),
)

# Every prompt posted in a pair's space: rotation history, the daily limit, response rates.
prompt_posts = Table(
    "prompt_posts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "partnership_id",
        Integer,
        ForeignKey("partnerships.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("pair_id", Integer, ForeignKey("pairs.id", ondelete="CASCADE"), nullable=False),
    Column("prompt_key", String(64), nullable=False),
    Column("reason", String(16), nullable=False),
    # Set when a session posts: one post per pair per session key, however often it is asked.
    Column("session_key", String(100)),
    Column("posted_by", BigInteger),
    Column("posted_at", UTCDateTime, nullable=False),
    Column("message_id", BigInteger),
    UniqueConstraint("pair_id", "session_key"),
    CheckConstraint("reason IN ('session', 'teacher', 'pair')", name="reason"),
    Index("ix_prompt_posts_pair_posted", "pair_id", "posted_at"),
    Index("ix_prompt_posts_partnership_key", "partnership_id", "prompt_key"),
)

# Who answered which post, when, and how long the message was (NULL when unknown). Never text.
prompt_responses = Table(
    "prompt_responses",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "post_id",
        Integer,
        ForeignKey("prompt_posts.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column(
        "participant_id",
        Integer,
        ForeignKey("participants.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("at", UTCDateTime, nullable=False),
    Column("length", Integer),
)

# -- 0005: chess --------------------------------------------------------------------------------

chess_settings = Table(
    "chess_settings",
    metadata,
    Column(
        "partnership_id",
        Integer,
        ForeignKey("partnerships.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    # Games two students may have going at once (offered or in play); teachers raise it.
    Column("games_per_pair", SmallInteger, nullable=False, server_default="1"),
    Column("updated_by", BigInteger, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint("games_per_pair BETWEEN 1 AND 10", name="games_per_pair"),
)

chess_games = Table(
    "chess_games",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("guild_id", BigInteger, nullable=False),
    Column(
        "partnership_id",
        Integer,
        ForeignKey("partnerships.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("white_id", Integer, ForeignKey("participants.id", ondelete="CASCADE"), nullable=False),
    Column("black_id", Integer, ForeignKey("participants.id", ondelete="CASCADE"), nullable=False),
    Column(
        "challenger_id", Integer, ForeignKey("participants.id", ondelete="CASCADE"), nullable=False
    ),
    # The channel or thread where the game is played: the pair's space for partners.
    Column("space_id", BigInteger, nullable=False),
    Column("status", String(16), nullable=False, server_default="offered"),
    Column("time_kind", String(16), nullable=False),
    Column("base_seconds", Integer, nullable=False),
    Column("increment_seconds", Integer, nullable=False, server_default="0"),
    # Moves played so far. Every change to a game in play is conditional on it, so two
    # submissions for the same position (a double click) cannot both be played.
    Column("ply", Integer, nullable=False, server_default="0"),
    Column("draw_offer", String(8)),
    Column("result", String(8)),
    Column("termination", String(32)),
    # When the side to move runs out of time (clock or correspondence allowance).
    Column("deadline_at", UTCDateTime),
    Column("challenge_message_id", BigInteger),
    Column("board_message_id", BigInteger),
    Column("created_at", UTCDateTime, nullable=False),
    Column("started_at", UTCDateTime),
    Column("finished_at", UTCDateTime),
    CheckConstraint(
        "status IN ('offered', 'active', 'finished', 'declined', 'withdrawn', 'expired')",
        name="status",
    ),
    CheckConstraint("time_kind IN ('correspondence', 'live')", name="time_kind"),
    CheckConstraint("white_id <> black_id", name="players"),
    CheckConstraint("ply >= 0", name="ply"),
    CheckConstraint("draw_offer IN ('white', 'black')", name="draw_offer"),
    CheckConstraint("result IN ('1-0', '0-1', '1/2-1/2')", name="result"),
    Index("ix_chess_games_partnership_status", "partnership_id", "status"),
    Index("ix_chess_games_status_deadline", "status", "deadline_at"),
    Index("ix_chess_games_white", "white_id"),
    Index("ix_chess_games_black", "black_id"),
)

chess_moves = Table(
    "chess_moves",
    metadata,
    Column("game_id", Integer, ForeignKey("chess_games.id", ondelete="CASCADE"), primary_key=True),
    # 1 for white's first move, 2 for black's reply…: one row per ply, never two.
    Column("ply", Integer, primary_key=True),
    Column("uci", String(5), nullable=False),
    Column("san", String(10), nullable=False),
    Column("played_by", BigInteger, nullable=False),
    Column("played_at", UTCDateTime, nullable=False),
)

# -- 0006: sessions ------------------------------------------------------------------------------

sessions = Table(
    "sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("guild_id", BigInteger, nullable=False),
    Column(
        "partnership_id",
        Integer,
        ForeignKey("partnerships.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("title", String(100), nullable=False),
    # The organiser's IANA zone and first start as wall-clock text ("2026-10-06T15:00"): the
    # RRULE repeats that local time, whatever each date's UTC offset (RFC 5545 DTSTART;TZID).
    Column("timezone", String(64), nullable=False),
    Column("first_local", String(19), nullable=False),
    Column("starts_at", UTCDateTime, nullable=False),
    # An RFC 5545 RRULE value, e.g. "FREQ=MONTHLY;BYDAY=1TU;COUNT=6".
    Column("rrule", String(300), nullable=False),
    Column("duration_minutes", Integer, nullable=False),
    # A voice or stage channel where presence counts as attendance.
    Column("channel_id", BigInteger),
    # The teacher-written discussion prompt posted in every paired space at the start.
    Column("prompt", Text),
    Column("status", String(16), nullable=False, server_default="active"),
    Column("created_by", BigInteger, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint("status IN ('draft', 'active', 'cancelled')", name="status"),
    CheckConstraint("duration_minutes > 0", name="duration"),
    Index("ix_sessions_partnership_status", "partnership_id", "status"),
)

session_occurrences = Table(
    "session_occurrences",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("session_id", Integer, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    # The occurrence's place in the series (its RECURRENCE-ID); it stays when the time moves.
    Column("original_start", UTCDateTime, nullable=False),
    Column("starts_at", UTCDateTime, nullable=False),
    Column("ends_at", UTCDateTime, nullable=False),
    Column("status", String(16), nullable=False, server_default="scheduled"),
    # Bumped by every re-plan, so that re-planned sends get keys of their own.
    Column("revision", Integer, nullable=False, server_default="0"),
    # The Discord scheduled event standing for this occurrence, while it has one.
    Column("event_id", BigInteger),
    # A digest of what that event was last set to; when it differs from what the occurrence
    # says now (a move, an edit, an update Discord refused), the next sync updates the event.
    Column("event_digest", String(64)),
    Column("checkin_channel_id", BigInteger),
    Column("checkin_message_id", BigInteger),
    Column("changed_by", BigInteger),
    Column("changed_at", UTCDateTime),
    UniqueConstraint("session_id", "original_start"),
    CheckConstraint(
        "status IN ('scheduled', 'started', 'done', 'cancelled', 'skipped')", name="status"
    ),
    Index("ix_session_occurrences_status_start", "status", "starts_at"),
)

session_attendance = Table(
    "session_attendance",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "occurrence_id",
        Integer,
        ForeignKey("session_occurrences.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("session_id", Integer, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("occurrence_start", UTCDateTime, nullable=False),
    Column(
        "participant_id",
        Integer,
        ForeignKey("participants.id", ondelete="CASCADE"),
        nullable=False,
    ),
    # "button" (check-in) or "voice" (present in the session's voice or stage channel).
    Column("method", String(16), nullable=False),
    Column("first_seen", UTCDateTime, nullable=False),
    UniqueConstraint("occurrence_id", "participant_id", "method"),
    CheckConstraint("method IN ('button', 'voice')", name="method"),
    Index("ix_session_attendance_session_participant", "session_id", "participant_id"),
)

session_settings = Table(
    "session_settings",
    metadata,
    Column(
        "partnership_id",
        Integer,
        ForeignKey("partnerships.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    # Minutes before each session, comma-separated ("1440,60"); empty: no reminders.
    Column("reminder_minutes", String(40), nullable=False, server_default="1440,60"),
)

# -- 0007: roster ---------------------------------------------------------------------------------
# 0007 adds `pair_members.left_at` (defined in place above); the roster needs no new table.

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

# -- 0009: reports ------------------------------------------------------------------------------

# Students' messages in their paired spaces, per student and UTC day: a running total of the
# `pair.message` rows of the activity log, written in the same transaction as those rows (see
# bot/services/activity_writer.py), so reports add up days instead of scanning the whole log.
# Counts and lengths only: never text.
message_days = Table(
    "message_days",
    metadata,
    Column(
        "partnership_id",
        Integer,
        ForeignKey("partnerships.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("pair_id", Integer, ForeignKey("pairs.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "participant_id",
        Integer,
        ForeignKey("participants.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("day", Date, primary_key=True),
    Column("messages", Integer, nullable=False),
    # Messages whose length is known (Message Content on), and the sum of those lengths.
    Column("measured", Integer, nullable=False, server_default="0"),
    Column("characters", Integer, nullable=False, server_default="0"),
    Column("last_at", UTCDateTime, nullable=False),
    CheckConstraint("messages > 0 AND measured <= messages", name="counts"),
    # A student's messages over a date range, read from the index alone (per student, then
    # per city: a year of a busy exchange is hundreds of thousands of rows).
    Index("ix_message_days_participant_day", "participant_id", "day", "messages"),
    # "When did this pair last write?" for each pair, without reading its other days.
    Index("ix_message_days_pair_last", "pair_id", "last_at"),
)

# A student's prompt answers over a date range, counted from the index alone.
Index(
    "ix_prompt_responses_participant_at",
    prompt_responses.c.participant_id,
    prompt_responses.c.at,
    prompt_responses.c.post_id,
)
# Prompts posted to an exchange over a date range.
Index("ix_prompt_posts_partnership_posted", prompt_posts.c.partnership_id, prompt_posts.c.posted_at)
# Chess results over a date range.
Index(
    "ix_chess_games_partnership_finished", chess_games.c.partnership_id, chess_games.c.finished_at
)

# -- 0010: spaces -------------------------------------------------------------------------------

# When teachers paused a pair's space and when they reopened it (NULL while it stays paused):
# chess clocks of games in that space do not run during these stretches.
pair_pauses = Table(
    "pair_pauses",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("pair_id", Integer, ForeignKey("pairs.id", ondelete="CASCADE"), nullable=False),
    Column("paused_at", UTCDateTime, nullable=False),
    Column("reopened_at", UTCDateTime),
    Index("ix_pair_pauses_pair", "pair_id", "paused_at"),
)

# -- 0012: platform --

# Small facts the bot keeps about itself between runs (e.g. a digest of the slash commands last
# registered with Discord, so an unchanged tree is not registered again at every start).
app_state = Table(
    "app_state",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# -- 0013: features ----------------------------------------------------------------------------

# Time added to the clock of the side to move in one position of a game because the bot was
# down when it ran out (or when its reminder was due): bot downtime never costs a game. The
# clocks are derived from the move times plus these rows (bot.domain.chess_game.clock_state).
chess_clock_extensions = Table(
    "chess_clock_extensions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "game_id",
        Integer,
        ForeignKey("chess_games.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    # The position after this many moves.
    Column("ply", Integer, nullable=False),
    Column("seconds", Integer, nullable=False),
    Column("granted_at", UTCDateTime, nullable=False),
    CheckConstraint("seconds > 0", name="seconds"),
)

# "Has this student replied to this post before?": the first reply is the `prompt.answered`
# event, and reports count first replies only.
Index(
    "ix_prompt_responses_post_participant",
    prompt_responses.c.post_id,
    prompt_responses.c.participant_id,
)

# -- 0015: profile drafts ------------------------------------------------------------------------

# What a person chose and typed in a /join or /profile panel they have not sent yet. The panel's
# menus and buttons carry only the draft's id, so a panel opened before a restart goes on after
# it; nobody is on the roster before they send the form. A draft goes when it is sent or
# cancelled; one untouched for a day is no longer used, and goes when a panel next opens or the
# bot starts (`bot.services.roster.DRAFT_LIFETIME`).
profile_drafts = Table(
    "profile_drafts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("guild_id", BigInteger, nullable=False),
    Column(
        "partnership_id",
        Integer,
        ForeignKey("partnerships.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("city_id", Integer, ForeignKey("cities.id", ondelete="CASCADE")),
    Column("user_id", BigInteger, nullable=False),
    Column("role", String(16), nullable=False),
    # False: joining (no roster row yet); True: changing the profile already on the roster.
    Column("editing", Boolean, nullable=False),
    Column("language", String(8), nullable=False),
    Column("grade_band", String(8)),
    # As in `participants`: comma-separated codes, a JSON list (the curated interests picked).
    Column("languages", String(100), nullable=False, server_default=""),
    Column("interests", Text, nullable=False, server_default="[]"),
    Column("other_interests", Text, nullable=False, server_default=""),
    Column("intro", Text, nullable=False, server_default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False, index=True),
    CheckConstraint("role IN ('student', 'teacher', 'coordinator')", name="role"),
)

# -- 0016: outside Discord (dashboard links, calendar feeds, the monthly digest) ---------------

# A read-only dashboard page of one exchange (or one of its cities), reached by a secret link.
# The link is `<selector>.<secret>`: the selector finds the row, the secret is compared with
# `secret_hash` (SHA-256) in constant time; the secret itself is never stored. The page shows
# what its creator may see in /report (`city_id` set for a teacher's link: their own city).
dashboard_links = Table(
    "dashboard_links",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("guild_id", BigInteger, nullable=False),
    Column(
        "partnership_id",
        Integer,
        ForeignKey("partnerships.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("city_id", Integer, ForeignKey("cities.id", ondelete="CASCADE")),
    Column("created_by", BigInteger, nullable=False),
    # coordinator or teacher: what the creator was when they made it.
    Column("role", String(16), nullable=False),
    Column("language", String(8), nullable=False),
    Column("selector", String(32), nullable=False, unique=True),
    Column("secret_hash", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    Column("revoked_by", BigInteger),
    Column("last_used_at", UTCDateTime),
    Column("uses", Integer, nullable=False, server_default="0"),
    CheckConstraint("role IN ('coordinator', 'teacher')", name="role"),
)

# A calendar subscription (webcal) of an exchange's sessions, or of one city's: the same
# selector and hashed secret as a dashboard link. It does not expire (calendar apps poll it
# for a year); a new one for the same person and scope replaces it.
calendar_feeds = Table(
    "calendar_feeds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("guild_id", BigInteger, nullable=False),
    Column(
        "partnership_id",
        Integer,
        ForeignKey("partnerships.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("city_id", Integer, ForeignKey("cities.id", ondelete="CASCADE")),
    Column("created_by", BigInteger, nullable=False),
    Column("selector", String(32), nullable=False, unique=True),
    Column("secret_hash", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    Column("last_used_at", UTCDateTime),
    Column("uses", Integer, nullable=False, server_default="0"),
)

# An exchange whose coordinators turned the monthly digest on (no row: off).
report_digests = Table(
    "report_digests",
    metadata,
    Column(
        "partnership_id",
        Integer,
        ForeignKey("partnerships.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("guild_id", BigInteger, nullable=False),
    Column("turned_on_by", BigInteger, nullable=False),
    Column("turned_on_at", UTCDateTime, nullable=False),
)

# -- 0017: operations --
# A change that takes several Discord calls (a pairing round, a swap, ending an exchange, an
# erasure) is written here before its first call, with what it has done so far, and deleted in
# the transaction that records its outcome. A row left by a stopped process is a change cut
# short: the next start finishes it or undoes it (bot/services/operations.py).
operations = Table(
    "operations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("guild_id", BigInteger, nullable=False),
    Column("partnership_id", Integer, ForeignKey("partnerships.id", ondelete="CASCADE")),
    Column("kind", String(32), nullable=False),
    Column("status", String(16), nullable=False, server_default="running"),
    # The process running it ("" once no process does: the next recovery takes it over).
    Column("owner", String(32), nullable=False, server_default=""),
    Column("actor_id", BigInteger),
    # What it is to do, and what it has done so far (Discord ids of spaces made or changed).
    Column("plan", Text, nullable=False, server_default="{}"),
    Column("steps", Text, nullable=False, server_default="{}"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint("status IN ('running', 'undoing')", name="status"),
)


# A city's school break: its days off, both ends included (issue 19).
school_breaks = Table(
    "school_breaks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("guild_id", BigInteger, nullable=False),
    Column(
        "partnership_id",
        Integer,
        ForeignKey("partnerships.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("city_id", Integer, ForeignKey("cities.id", ondelete="CASCADE"), nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("created_by", BigInteger, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)


# -- 0018: roll call -------------------------------------------------------------------------------

# Voice minutes: seconds spent in the session's channel within its times, and since when someone
# is there now. NULL seconds: a row from before minutes were counted (it counts as present).
session_attendance.append_column(Column("voice_seconds", Integer))
session_attendance.append_column(Column("voice_since", UTCDateTime))
# Minutes in voice that make someone present; NULL: 10 minutes or half the session, the lesser.
session_settings.append_column(Column("voice_minutes", Integer))

# A teacher's mark for one student at one session: it stands over the bot's evidence.
session_marks = Table(
    "session_marks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "occurrence_id",
        Integer,
        ForeignKey("session_occurrences.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column(
        "participant_id",
        Integer,
        ForeignKey("participants.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("mark", String(8), nullable=False),
    # A short reason for an excused absence, as the teacher wrote it.
    Column("reason", String(100)),
    Column("marked_by", BigInteger, nullable=False),  # the teacher's Discord user id
    Column("marked_at", UTCDateTime, nullable=False),
    UniqueConstraint("occurrence_id", "participant_id"),
    CheckConstraint("mark IN ('present', 'late', 'excused', 'absent')", name="mark"),
)


# -- 0020: networks ------------------------------------------------------------------------------

# How an exchange of more than two cities pairs its students: 'hub' pairs the hub city's students
# with the other cities' (the hub's sister cities), 'any' pairs any two different cities. For
# two cities both mean the same. A hub whose city is removed falls back to no hub (SET NULL).
partnerships.append_column(
    Column("pairing_policy", String(8), nullable=False, server_default="any")
)
partnerships.append_column(
    Column(
        "hub_city_id",
        Integer,
        # use_alter: partnerships → cities → partnerships is a cycle; the key is not needed to
        # order CREATE/DROP (SQLite checks keys only on writes).
        ForeignKey("cities.id", ondelete="SET NULL", use_alter=True),
    )
)
partnerships.append_constraint(
    CheckConstraint("pairing_policy IN ('hub', 'any')", name="pairing_policy")
)


# -- 0021: a chess league between the cities of an exchange (issue 18) ---------------------------

# A season: a round robin of the cities taking part, one time control for all its games.
chess_seasons = Table(
    "chess_seasons",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("guild_id", BigInteger, nullable=False),
    Column(
        "partnership_id",
        Integer,
        ForeignKey("partnerships.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("time_kind", String(16), nullable=False),
    Column("base_seconds", Integer, nullable=False),
    Column("increment_seconds", Integer, nullable=False, server_default="0"),
    Column("starts_on", Date, nullable=False),
    Column("status", String(16), nullable=False, server_default="running"),
    Column("created_by", BigInteger, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    CheckConstraint("status IN ('running', 'finished')", name="status"),
    CheckConstraint("time_kind IN ('correspondence', 'live')", name="time_kind"),
)

chess_season_cities = Table(
    "chess_season_cities",
    metadata,
    Column(
        "season_id", Integer, ForeignKey("chess_seasons.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("city_id", Integer, ForeignKey("cities.id", ondelete="CASCADE"), primary_key=True),
)

# The students who entered a season (`/chess league join`); boards are made from them.
chess_season_players = Table(
    "chess_season_players",
    metadata,
    Column(
        "season_id", Integer, ForeignKey("chess_seasons.id", ondelete="CASCADE"), primary_key=True
    ),
    Column(
        "participant_id",
        Integer,
        ForeignKey("participants.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("joined_at", UTCDateTime, nullable=False),
)

chess_rounds = Table(
    "chess_rounds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "season_id",
        Integer,
        ForeignKey("chess_seasons.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("number", SmallInteger, nullable=False),
    # The city resting this round when the number of cities is odd.
    Column("bye_city_id", Integer, ForeignKey("cities.id", ondelete="CASCADE")),
    Column("status", String(16), nullable=False, server_default="waiting"),
    # Where the round's games are played (the channel the round was started in).
    Column("channel_id", BigInteger),
    Column("started_at", UTCDateTime),
    UniqueConstraint("season_id", "number"),
    CheckConstraint("status IN ('waiting', 'started')", name="status"),
)

chess_matches = Table(
    "chess_matches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("round_id", Integer, ForeignKey("chess_rounds.id", ondelete="CASCADE"), nullable=False),
    Column("home_city_id", Integer, ForeignKey("cities.id", ondelete="CASCADE"), nullable=False),
    Column("away_city_id", Integer, ForeignKey("cities.id", ondelete="CASCADE"), nullable=False),
    # Whether each city had players when the round started (NULL before): a side with nobody
    # loses the match.
    Column("home_fielded", Boolean),
    Column("away_fielded", Boolean),
    Index("ix_chess_matches_round_id", "round_id"),
)

# A board: a player of each city, two games, one with each colour (the home player has White
# in the first).
chess_boards = Table(
    "chess_boards",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("match_id", Integer, ForeignKey("chess_matches.id", ondelete="CASCADE"), nullable=False),
    Column("number", SmallInteger, nullable=False),
    Column("home_id", Integer, ForeignKey("participants.id", ondelete="CASCADE"), nullable=False),
    Column("away_id", Integer, ForeignKey("participants.id", ondelete="CASCADE"), nullable=False),
    Column(
        "first_game_id", Integer, ForeignKey("chess_games.id", ondelete="CASCADE"), nullable=False
    ),
    Column(
        "second_game_id", Integer, ForeignKey("chess_games.id", ondelete="CASCADE"), nullable=False
    ),
    UniqueConstraint("match_id", "number"),
)


# -- 0024: cities seeking cities (issue 25) --------------------------------------------------------

# A school's listing in the directory: what it offers and seeks. No student data, ever; the
# coordinator who posted it (`author_id`) is never shown to other servers.
directory_listings = Table(
    "directory_listings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("guild_id", BigInteger, nullable=False, index=True),
    Column("author_id", BigInteger, nullable=False),
    # Where introductions to this listing arrive (the server's teachers' channel).
    Column("channel_id", BigInteger, nullable=False),
    Column("city", String(100), nullable=False),
    Column("country", String(2), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("languages", String(100), nullable=False),
    Column("age_bands", String(60), nullable=False),
    Column("class_size", Integer, nullable=False),
    Column("themes", String(300), nullable=False, server_default=""),
    # Comma-separated months 1–12 it can run.
    Column("months", String(40), nullable=False),
    Column("note", Text, nullable=False, server_default=""),
    # Whether its coordinator also wants introductions by direct message.
    Column("direct_messages", Boolean, nullable=False, server_default="0"),
    Column("status", String(8), nullable=False, server_default="active"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    # Why it is paused when its coordinator did not pause it: "bot_left" (the bot left the
    # server; shown again if the bot is invited back).
    Column("paused_reason", String(16), nullable=True),
    CheckConstraint("status IN ('active', 'paused', 'removed')", name="status"),
)

# A request to be introduced: from one listing's coordinator to another listing's server. Until
# `accepted`, neither coordinator's name reaches the other; a decline looks like silence.
directory_introductions = Table(
    "directory_introductions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "from_listing_id",
        Integer,
        ForeignKey("directory_listings.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column(
        "to_listing_id",
        Integer,
        ForeignKey("directory_listings.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("from_guild_id", BigInteger, nullable=False, index=True),
    Column("from_user_id", BigInteger, nullable=False),
    Column("to_guild_id", BigInteger, nullable=False),
    Column("note", Text, nullable=False, server_default=""),
    # pending → accepted | declined | blocked (the receiver blocked the asker: never delivered).
    Column("status", String(10), nullable=False, server_default="pending"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("answered_at", UTCDateTime),
    Column("answered_by", BigInteger),
    # The request as posted in the receiving server, to update it once answered.
    Column("channel_id", BigInteger),
    Column("message_id", BigInteger),
    CheckConstraint("status IN ('pending', 'accepted', 'declined', 'blocked')", name="status"),
)

# A server that hid another: neither sees the other's listings; its requests are never delivered.
directory_blocks = Table(
    "directory_blocks",
    metadata,
    Column("guild_id", BigInteger, primary_key=True, autoincrement=False),
    Column("blocked_guild_id", BigInteger, primary_key=True, autoincrement=False),
    Column("created_by", BigInteger, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# Abuse reports sent to the bot's operator: which listing, from which server, and why.
directory_reports = Table(
    "directory_reports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("listing_id", Integer, ForeignKey("directory_listings.id", ondelete="SET NULL")),
    Column("listing_guild_id", BigInteger, nullable=False),
    Column("reporter_guild_id", BigInteger, nullable=False),
    Column("reporter_id", BigInteger, nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)


# -- 0023: consent and age (issue 23) ----------------------------------------------------------

# Guardian consent on file for a student, as a teacher recorded it: on file or withdrawn, by
# whom and when. No row: nothing recorded (the same as not on file).
consents = Table(
    "consents",
    metadata,
    Column(
        "participant_id",
        Integer,
        ForeignKey("participants.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    Column(
        "partnership_id",
        Integer,
        ForeignKey("partnerships.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("on_file", Boolean, nullable=False),
    Column("recorded_by", BigInteger, nullable=False),  # the teacher's Discord user id
    Column("recorded_at", UTCDateTime, nullable=False),
)

# An exchange's consent rule. No row: the default, consent required before pairing.
consent_settings = Table(
    "consent_settings",
    metadata,
    Column(
        "partnership_id",
        Integer,
        ForeignKey("partnerships.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("required", Boolean, nullable=False),
    Column("changed_by", BigInteger, nullable=False),
    Column("changed_at", UTCDateTime, nullable=False),
)

# -- 0023: "did you meet?" check-ins (issue 23) ------------------------------------------------

# How many days after a pairing round or a session each pair is asked; no row: off.
meet_settings = Table(
    "meet_settings",
    metadata,
    Column(
        "partnership_id",
        Integer,
        ForeignKey("partnerships.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("days", Integer, nullable=False),
    Column("changed_by", BigInteger, nullable=False),
    Column("changed_at", UTCDateTime, nullable=False),
)

# One check-in per pair and occasion ("pair": its start; "session:<id>"), once posted.
meet_checkins = Table(
    "meet_checkins",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("pair_id", Integer, ForeignKey("pairs.id", ondelete="CASCADE"), nullable=False),
    Column(
        "partnership_id",
        Integer,
        ForeignKey("partnerships.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("occasion", String(40), nullable=False),
    Column("posted_at", UTCDateTime, nullable=False),
    UniqueConstraint("pair_id", "occasion"),
)

# A student's answer to a check-in (the latest one given counts).
meet_answers = Table(
    "meet_answers",
    metadata,
    Column(
        "checkin_id",
        Integer,
        ForeignKey("meet_checkins.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "participant_id",
        Integer,
        ForeignKey("participants.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
    Column("answer", String(8), nullable=False),
    Column("answered_at", UTCDateTime, nullable=False),
    CheckConstraint("answer IN ('yes', 'not_yet', 'help')", name="answer"),
)
