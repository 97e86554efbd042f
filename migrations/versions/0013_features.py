"""Fixes across features.

- `chess_clock_extensions`: time given back to a player whose deadline passed while the bot
  was down (bot downtime never costs a student a game).
- An index to find a student's earlier replies to a post: the first reply is the
  `prompt.answered` activity event, and /report counts first replies only. The events are
  added to the log here for the replies already stored, so the log and the reports agree from
  the first day. (A downgrade leaves them: the log is append-only, and older code ignores
  kinds it does not know.)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chess_clock_extensions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("game_id", sa.Integer(), nullable=False),
        sa.Column("ply", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("granted_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("seconds > 0", name="ck_chess_clock_extensions_seconds"),
        sa.ForeignKeyConstraint(
            ["game_id"],
            ["chess_games.id"],
            name="fk_chess_clock_extensions_game_id_chess_games",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_chess_clock_extensions"),
    )
    op.create_index("ix_chess_clock_extensions_game_id", "chess_clock_extensions", ["game_id"])
    op.create_index(
        "ix_prompt_responses_post_participant",
        "prompt_responses",
        ["post_id", "participant_id"],
    )
    _log_first_answers()


def _log_first_answers() -> None:
    """One `prompt.answered` event per student and post already answered, at the first reply.

    Plain SQL any database runs: the details are the JSON the bot writes (sorted keys).
    """
    op.execute(
        """
        INSERT INTO activity (at, guild_id, partnership_id, actor_id, kind, details)
        SELECT r.at, x.guild_id, p.partnership_id, person.user_id, 'prompt.answered',
               '{"pair": ' || p.pair_id || ', "post": ' || p.id
               || ', "prompt": "' || p.prompt_key || '"}'
        FROM prompt_responses r
        JOIN prompt_posts p ON p.id = r.post_id
        JOIN partnerships x ON x.id = p.partnership_id
        JOIN participants person ON person.id = r.participant_id
        WHERE NOT EXISTS (
            SELECT 1 FROM prompt_responses earlier
            WHERE earlier.post_id = r.post_id
              AND earlier.participant_id = r.participant_id
              AND earlier.id < r.id
        )
        ORDER BY r.at, r.id
        """
    )


def downgrade() -> None:
    op.drop_index("ix_prompt_responses_post_participant", table_name="prompt_responses")
    op.drop_index("ix_chess_clock_extensions_game_id", table_name="chess_clock_extensions")
    op.drop_table("chess_clock_extensions")
