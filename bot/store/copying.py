"""Copying every table of one database into another (`twinbridge copy-db`): the SQL part.

Rows are read and written through the tables of `bot.store.schema`, so each column's type
converts on the way (naive UTC times, dates, big Discord ids) as it does for the bot itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import Table, func, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.schema import metadata


def tables_in_order() -> list[Table]:
    """Every table the code declares, each after the tables its foreign keys point to."""
    return list(metadata.sorted_tables)


async def table_names(conn: AsyncConnection) -> set[str]:
    """The tables the database holds (any, ours or not)."""
    return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))


async def row_counts(conn: AsyncConnection) -> dict[str, int]:
    """Rows per table of ours."""
    return {
        table.name: int(await conn.scalar(select(func.count()).select_from(table)) or 0)
        for table in tables_in_order()
    }


async def batches(
    conn: AsyncConnection, table: Table, size: int
) -> AsyncIterator[list[dict[str, Any]]]:
    """The table's rows, `size` at a time, in primary-key order (a stable order to resume by)."""
    order = list(table.primary_key.columns) or list(table.columns)
    result = await conn.stream(select(table).order_by(*order))
    async for chunk in result.mappings().partitions(size):
        yield [dict(row) for row in chunk]


async def insert_rows(conn: AsyncConnection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows as they are, ids included."""
    if rows:
        await conn.execute(table.insert(), rows)


async def reset_sequences(conn: AsyncConnection) -> list[str]:
    """PostgreSQL: move each id sequence past the ids copied in, so the next row the bot adds
    gets a fresh id (inserting explicit ids does not advance a sequence). Returns the tables
    whose sequence was set."""
    if conn.dialect.name != "postgresql":
        return []  # SQLite takes max(id) + 1 by itself
    done: list[str] = []
    for table in tables_in_order():
        for column in table.primary_key.columns:
            sequence = await conn.scalar(
                text("SELECT pg_get_serial_sequence(:table, :column)"),
                {"table": table.name, "column": column.name},
            )
            if sequence is None:
                continue
            # setval(…, max, true): the next value is max + 1; an empty table starts at 1.
            await conn.execute(
                text(
                    f"SELECT setval(:sequence, COALESCE((SELECT MAX({column.name}) "
                    f"FROM {table.name}), 0) + 1, false)"
                ),
                {"sequence": sequence},
            )
            done.append(table.name)
    return done
