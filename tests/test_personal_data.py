"""The map of personal data covers every table and column, so export and erasure miss nothing.

A feature that adds a table must declare it in `bot/store/personal.py`; these tests fail until
it does, and until every column that could hold a person is sorted.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import BigInteger, String, Text

from bot.store.personal import REGISTRY
from bot.store.schema import metadata

README = Path(__file__).resolve().parents[1] / "README.md"
# Column names that say "a person" whatever the table.
PERSONISH = re.compile(
    r"(^|_)(user|actor|reporter|author|member|player|student|teacher|subject)(_id)?$|_by$"
)


def test_every_table_is_declared() -> None:
    """Each table of the schema has an entry in the registry, and no entry names a ghost."""
    missing = sorted(set(metadata.tables) - set(REGISTRY))
    assert not missing, f"declare {missing} in bot/store/personal.py REGISTRY"
    assert sorted(set(REGISTRY) - set(metadata.tables)) == []


@pytest.mark.parametrize("name", sorted(metadata.tables))
def test_every_column_that_could_hold_a_person_is_sorted(name: str) -> None:
    """Ids, text and links to the roster are each declared as personal or plain."""
    table = metadata.tables[name]
    policy = REGISTRY[name]
    columns = set(table.columns.keys())
    assert policy.declared() <= columns, (
        f"{name}: declared but absent {policy.declared() - columns}"
    )
    for column in table.columns:
        if isinstance(column.type, (BigInteger, String, Text)):
            assert column.name in policy.declared(), f"{name}.{column.name} is not sorted"
        for key in column.foreign_keys:
            if key.column.table.name == "participants":
                assert column.name in policy.participants, f"{name}.{column.name} → participants"
        if PERSONISH.search(column.name):
            assert column.name in policy.users, f"{name}.{column.name} looks like a person"
    for user_column in policy.users:
        assert isinstance(table.c[user_column].type, BigInteger), f"{name}.{user_column}"
    assert set(policy.incidental) <= set(policy.users)
    for text_column in (*policy.text, *policy.mentions):
        assert isinstance(table.c[text_column].type, (String, Text)), f"{name}.{text_column}"
    if policy.holds_people:
        # Export and erasure must be able to keep to one guild.
        scoped = policy.guild or policy.exchange or policy.participants or policy.parent
        assert scoped, f"{name} has no scope"
    if policy.parent is not None:
        column, parent = policy.parent
        assert [k.column.table.name for k in table.c[column].foreign_keys] == [parent]
    assert policy.erase in ("anonymise", "delete")
    assert policy.purpose and policy.kept


def test_the_readme_inventory_names_every_table() -> None:
    """The README's data inventory says what each table stores, why and for how long."""
    text = README.read_text("utf-8")
    start = text.index("## Data inventory")
    section = text[start : text.index("\n## ", start + 1)]
    for name in metadata.tables:
        assert f"`{name}`" in section, f"README data inventory lacks {name}"
