"""Networks: an exchange of two or more cities, with a pairing policy and a hub city.

`cities.position` was CHECKed IN (0, 1) (the two sides); any position ≥ 0 is allowed now, still
unique in its exchange. `partnerships.pairing_policy` is 'hub' (students of `hub_city_id` are
paired with students of the other cities) or 'any' (any two different cities); for two cities
both mean the same, so every existing exchange gets 'any' and no hub.

SQLite cannot alter a CHECK constraint, and Alembic's batch mode would copy `cities` and
DROP the original: with foreign keys on (they are, inside the migration's transaction, where
they cannot be turned off) that DROP deletes every school break and unlinks every student from
their city. So on SQLite the constraint's text is rewritten in place, as SQLite documents for
loosening a constraint without touching the stored rows
(https://sqlite.org/lang_altertable.html#otheralter); the new condition is implied by the old,
so no stored row can break it. The new columns are plain ADD COLUMNs.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TWO = "position IN (0, 1)"
_MANY = "position >= 0"
_CHECK = "ck_cities_ck_cities_position"
# Table-level, as SQLAlchemy writes it, so reflection (and the no-drift test) reads its name
# and ON DELETE (a column-level REFERENCES is reflected without them).
_HUB_FK = (
    ", \n\tCONSTRAINT fk_partnerships_hub_city_id_cities FOREIGN KEY(hub_city_id)"
    " REFERENCES cities (id) ON DELETE SET NULL"
)


def _rewrite_sqlite(table: str, before: str, after: str) -> None:
    """Replace `before` by `after` in the stored CREATE TABLE of `table` (a constraint only;
    `before` "\n)" is the end of the table: `after` then adds a table constraint)."""
    bind = op.get_bind()
    sql = _stored_sql(bind, table)
    if before not in sql:
        raise RuntimeError(f"{table}: expected {before!r} in {sql!r}")
    _store_sql(bind, table, after.join(sql.rsplit(before, 1)))


def _stored_sql(bind: sa.engine.Connection, table: str) -> str:
    if bind.dialect.name != "sqlite":
        raise RuntimeError("only SQLite keeps its tables' CREATE statements")
    query = "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :name"
    return str(bind.execute(sa.text(query), {"name": table}).scalar_one())


def _store_sql(bind: sa.engine.Connection, table: str, sql: str) -> None:
    # Other connections re-read the schema when its version changes.
    if bind.dialect.name != "sqlite":
        raise RuntimeError("only SQLite keeps its tables' CREATE statements")
    version = int(bind.execute(sa.text("PRAGMA schema_version")).scalar_one())
    bind.execute(sa.text("PRAGMA writable_schema = ON"))
    update = "UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = :name"
    bind.execute(sa.text(update), {"sql": sql, "name": table})
    bind.execute(sa.text(f"PRAGMA schema_version = {version + 1}"))
    bind.execute(sa.text("PRAGMA writable_schema = OFF"))


def _set_check(old: str, new: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rewrite_sqlite(
            "cities", f"CONSTRAINT {_CHECK} CHECK ({old})", f"CONSTRAINT {_CHECK} CHECK ({new})"
        )
    else:
        # op.f: the name is final (the naming convention made it already in 0001; applied
        # again it would name a constraint that does not exist).
        op.drop_constraint(op.f(_CHECK), "cities", type_="check")
        op.create_check_constraint(op.f(_CHECK), "cities", new)


def upgrade() -> None:
    _set_check(_TWO, _MANY)
    if op.get_bind().dialect.name == "sqlite":
        # ADD COLUMN keeps the rows where they are (batch mode would copy the table, see above).
        op.execute(
            "ALTER TABLE partnerships ADD COLUMN pairing_policy VARCHAR(8) DEFAULT 'any' NOT NULL"
            " CONSTRAINT ck_partnerships_ck_partnerships_pairing_policy"
            " CHECK (pairing_policy IN ('hub', 'any'))"
        )
        # Every row's hub is NULL, so a key added to the stored text holds for every row
        # (adding it with the column would store it column-level, see _HUB_FK).
        op.execute("ALTER TABLE partnerships ADD COLUMN hub_city_id INTEGER")
        _rewrite_sqlite("partnerships", "\n)", f"{_HUB_FK}\n)")
    else:
        op.add_column(
            "partnerships",
            sa.Column("pairing_policy", sa.String(8), server_default="any", nullable=False),
        )
        op.create_check_constraint(
            op.f("ck_partnerships_ck_partnerships_pairing_policy"),
            "partnerships",
            "pairing_policy IN ('hub', 'any')",
        )
        op.add_column("partnerships", sa.Column("hub_city_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            "fk_partnerships_hub_city_id_cities",
            "partnerships",
            "cities",
            ["hub_city_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    bind = op.get_bind()
    many = bind.execute(sa.text("SELECT count(*) FROM cities WHERE position > 1")).scalar_one()
    if many:
        raise RuntimeError(
            "cannot downgrade below 0020: some exchanges have more than two cities; "
            "remove the extra cities first"
        )
    if bind.dialect.name == "sqlite":
        # DROP COLUMN refuses a column a foreign key uses: the key goes first (removing a
        # constraint is the other change SQLite documents as safe to make this way).
        _rewrite_sqlite("partnerships", _HUB_FK, "")
        op.execute("ALTER TABLE partnerships DROP COLUMN hub_city_id")
        op.execute("ALTER TABLE partnerships DROP COLUMN pairing_policy")
    else:
        op.drop_constraint("fk_partnerships_hub_city_id_cities", "partnerships", type_="foreignkey")
        op.drop_column("partnerships", "hub_city_id")
        op.drop_constraint(
            op.f("ck_partnerships_ck_partnerships_pairing_policy"), "partnerships", type_="check"
        )
        op.drop_column("partnerships", "pairing_policy")
    _set_check(_MANY, _TWO)
