"""Sessions: remember what each Discord event was last set to.

`session_occurrences.event_digest` lets every sync (start-up, before each reminder, after each
session, after a teacher's change) see whether the Discord event still shows the occurrence's
times and title, and update it when not: an update Discord refused is retried, not forgotten.
Events made before this revision have no digest and are updated once at the next sync.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE both ways (SQLite ≥ 3.35 drops a column in place): a batch copy of this
# table would drop the original, and with foreign keys on that cascades to the attendance rows.
def upgrade() -> None:
    op.add_column("session_occurrences", sa.Column("event_digest", sa.String(64), nullable=True))


def downgrade() -> None:
    op.drop_column("session_occurrences", "event_digest")
