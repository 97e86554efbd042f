"""A chess league between the cities of an exchange (issue 18): seasons, the cities taking
part, the students who entered, rounds (a round robin with a bye when the count is odd),
city-vs-city matches and their boards (two games each, one with each colour, linked to the
`chess_games` rows that are played as any other game).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chess_seasons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("time_kind", sa.String(16), nullable=False),
        sa.Column("base_seconds", sa.Integer(), nullable=False),
        sa.Column("increment_seconds", sa.Integer(), server_default="0", nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), server_default="running", nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("status IN ('running', 'finished')", name="ck_chess_seasons_status"),
        sa.CheckConstraint(
            "time_kind IN ('correspondence', 'live')", name="ck_chess_seasons_time_kind"
        ),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnerships.id"],
            name="fk_chess_seasons_partnership_id_partnerships",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_chess_seasons"),
    )
    op.create_index("ix_chess_seasons_partnership_id", "chess_seasons", ["partnership_id"])
    op.create_table(
        "chess_season_cities",
        sa.Column("season_id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["season_id"],
            ["chess_seasons.id"],
            name="fk_chess_season_cities_season_id_chess_seasons",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["city_id"],
            ["cities.id"],
            name="fk_chess_season_cities_city_id_cities",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("season_id", "city_id", name="pk_chess_season_cities"),
    )
    op.create_table(
        "chess_season_players",
        sa.Column("season_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("joined_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["season_id"],
            ["chess_seasons.id"],
            name="fk_chess_season_players_season_id_chess_seasons",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name="fk_chess_season_players_participant_id_participants",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("season_id", "participant_id", name="pk_chess_season_players"),
    )
    op.create_table(
        "chess_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("season_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.SmallInteger(), nullable=False),
        sa.Column("bye_city_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(16), server_default="waiting", nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("status IN ('waiting', 'started')", name="ck_chess_rounds_status"),
        sa.ForeignKeyConstraint(
            ["season_id"],
            ["chess_seasons.id"],
            name="fk_chess_rounds_season_id_chess_seasons",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["bye_city_id"],
            ["cities.id"],
            name="fk_chess_rounds_bye_city_id_cities",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_chess_rounds"),
        sa.UniqueConstraint("season_id", "number", name="uq_chess_rounds_season_id"),
    )
    op.create_index("ix_chess_rounds_season_id", "chess_rounds", ["season_id"])
    op.create_table(
        "chess_matches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("home_city_id", sa.Integer(), nullable=False),
        sa.Column("away_city_id", sa.Integer(), nullable=False),
        sa.Column("home_fielded", sa.Boolean(), nullable=True),
        sa.Column("away_fielded", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["chess_rounds.id"],
            name="fk_chess_matches_round_id_chess_rounds",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["home_city_id"],
            ["cities.id"],
            name="fk_chess_matches_home_city_id_cities",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["away_city_id"],
            ["cities.id"],
            name="fk_chess_matches_away_city_id_cities",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_chess_matches"),
    )
    op.create_index("ix_chess_matches_round_id", "chess_matches", ["round_id"])
    op.create_table(
        "chess_boards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.SmallInteger(), nullable=False),
        sa.Column("home_id", sa.Integer(), nullable=False),
        sa.Column("away_id", sa.Integer(), nullable=False),
        sa.Column("first_game_id", sa.Integer(), nullable=False),
        sa.Column("second_game_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["match_id"],
            ["chess_matches.id"],
            name="fk_chess_boards_match_id_chess_matches",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["home_id"],
            ["participants.id"],
            name="fk_chess_boards_home_id_participants",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["away_id"],
            ["participants.id"],
            name="fk_chess_boards_away_id_participants",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["first_game_id"],
            ["chess_games.id"],
            name="fk_chess_boards_first_game_id_chess_games",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["second_game_id"],
            ["chess_games.id"],
            name="fk_chess_boards_second_game_id_chess_games",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_chess_boards"),
        sa.UniqueConstraint("match_id", "number", name="uq_chess_boards_match_id"),
    )


def downgrade() -> None:
    op.drop_table("chess_boards")
    op.drop_index("ix_chess_matches_round_id", table_name="chess_matches")
    op.drop_table("chess_matches")
    op.drop_index("ix_chess_rounds_season_id", table_name="chess_rounds")
    op.drop_table("chess_rounds")
    op.drop_table("chess_season_players")
    op.drop_table("chess_season_cities")
    op.drop_index("ix_chess_seasons_partnership_id", table_name="chess_seasons")
    op.drop_table("chess_seasons")
