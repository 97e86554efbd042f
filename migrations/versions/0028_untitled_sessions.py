"""Sessions stored with a translated default title become untitled: each reader sees the
default title in their own language (bot.domain.sessions.NO_TITLE, `title_in`).

Until now /session schedule without a title stored the scheduling teacher's translation of
"Exchange session", so the other city read it in a language not theirs. The five catalogue
defaults are written here as they were released (a migration never reads the catalogues,
which change); a teacher who typed exactly one of them loses nothing a reader would see.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NO_TITLE = ""
# session.default_title in en, ar, es, fr, tr, as every release so far wrote it.
DEFAULT_TITLES = (
    "Exchange session",
    "جلسة التبادل",
    "Sesión de intercambio",
    "Séance d'échange",
    "Değişim oturumu",
)

sessions = sa.table("sessions", sa.column("title", sa.String(100)))


def upgrade() -> None:
    op.execute(sessions.update().where(sessions.c.title.in_(DEFAULT_TITLES)).values(title=NO_TITLE))


def downgrade() -> None:
    # Code before 0028 shows a stored title as it is: an untitled session gets English's.
    op.execute(
        sessions.update().where(sessions.c.title == NO_TITLE).values(title=DEFAULT_TITLES[0])
    )
