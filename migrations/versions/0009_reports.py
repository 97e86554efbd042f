"""Reports: daily message counts per student, and indexes for summaries over date ranges.

`message_days` is a running total of the activity log's `pair.message` rows; this migration
builds it from the rows already logged, so reports agree with the log from the first day.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Rows read from the log per round trip while building the totals.
CHUNK = 20_000


def upgrade() -> None:
    op.create_table(
        "message_days",
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("measured", sa.Integer(), server_default="0", nullable=False),
        sa.Column("characters", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("messages > 0 AND measured <= messages", name="ck_message_days_counts"),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnerships.id"],
            name="fk_message_days_partnership_id_partnerships",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pair_id"], ["pairs.id"], name="fk_message_days_pair_id_pairs", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name="fk_message_days_participant_id_participants",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pair_id", "participant_id", "day", name="pk_message_days"),
    )
    op.create_index(
        "ix_message_days_participant_day", "message_days", ["participant_id", "day", "messages"]
    )
    op.create_index("ix_message_days_pair_last", "message_days", ["pair_id", "last_at"])
    op.create_index(
        "ix_prompt_responses_participant_at",
        "prompt_responses",
        ["participant_id", "at", "post_id"],
    )
    op.create_index(
        "ix_prompt_posts_partnership_posted", "prompt_posts", ["partnership_id", "posted_at"]
    )
    op.create_index(
        "ix_chess_games_partnership_finished", "chess_games", ["partnership_id", "finished_at"]
    )
    _build_message_days(op.get_bind())


def _build_message_days(bind: sa.engine.Connection) -> None:
    """Add up the `pair.message` rows already logged, per pair member and UTC day.

    Plain Python over the rows rather than JSON SQL functions, so it runs on any database.
    Only messages written by a member of the pair count (teachers' notes in a space do not).
    """
    members = {
        (pair_id, user_id): participant_id
        for pair_id, user_id, participant_id in bind.execute(
            sa.text(
                "SELECT pm.pair_id, p.user_id, p.id FROM pair_members pm "
                "JOIN participants p ON p.id = pm.participant_id"
            )
        )
    }
    totals: dict[tuple[int, int, Any], list[Any]] = {}
    exchange_of: dict[int, int] = {}
    last_id = 0
    while True:
        rows = bind.execute(
            sa.text(
                "SELECT id, at, partnership_id, actor_id, details FROM activity "
                "WHERE kind = 'pair.message' AND id > :last ORDER BY id LIMIT :chunk"
            ).columns(at=sa.DateTime()),
            {"last": last_id, "chunk": CHUNK},
        ).all()
        if not rows:
            break
        last_id = rows[-1].id
        for row in rows:
            details = json.loads(row.details or "{}")
            pair_id = details.get("pair")
            participant_id = members.get((pair_id, row.actor_id))
            if participant_id is None or row.partnership_id is None:
                continue
            at: datetime = row.at
            length = details.get("length")
            key = (pair_id, participant_id, at.date())
            exchange_of[pair_id] = row.partnership_id
            entry = totals.setdefault(key, [0, 0, 0, at])
            entry[0] += 1
            if isinstance(length, int):
                entry[1] += 1
                entry[2] += length
            entry[3] = max(entry[3], at)
    if totals:
        table = sa.table(
            "message_days",
            sa.column("partnership_id", sa.Integer()),
            sa.column("pair_id", sa.Integer()),
            sa.column("participant_id", sa.Integer()),
            sa.column("day", sa.Date()),
            sa.column("messages", sa.Integer()),
            sa.column("measured", sa.Integer()),
            sa.column("characters", sa.Integer()),
            sa.column("last_at", sa.DateTime()),
        )
        op.bulk_insert(
            table,
            [
                {
                    "partnership_id": exchange_of[pair_id],
                    "pair_id": pair_id,
                    "participant_id": participant_id,
                    "day": day,
                    "messages": messages,
                    "measured": measured,
                    "characters": characters,
                    "last_at": last_at,
                }
                for (pair_id, participant_id, day), (
                    messages,
                    measured,
                    characters,
                    last_at,
                ) in totals.items()
            ],
        )


def downgrade() -> None:
    op.drop_index("ix_chess_games_partnership_finished", table_name="chess_games")
    op.drop_index("ix_prompt_posts_partnership_posted", table_name="prompt_posts")
    op.drop_index("ix_prompt_responses_participant_at", table_name="prompt_responses")
    op.drop_index("ix_message_days_pair_last", table_name="message_days")
    op.drop_index("ix_message_days_participant_day", table_name="message_days")
    op.drop_table("message_days")
