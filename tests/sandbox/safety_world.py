"""Helpers for the safety and privacy tests: pairs in private spaces, and a search of the store."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BigInteger, Integer, String, Text, select

from bot.sandbox.driver import Reply, Sandbox, iter_components
from bot.sandbox.state import Channel, ChannelType, Member, Message
from bot.store.schema import metadata
from tests.sandbox.world import World

# Three students in each city: three pairs.
STUDENTS = (
    ("Ben", 0, ("en",), ("chess", "music")),
    ("Maya", 0, ("en", "es"), ("football", "drawing")),
    ("Sofia", 0, ("es", "en"), ("cooking", "music")),
    ("Ali", 1, ("ar", "en"), ("chess", "music")),
    ("Zainab", 1, ("ar",), ("football", "drawing")),
    ("Omar", 1, ("ar", "en"), ("cooking", "science")),
)


async def six_students(world: World) -> None:
    for name, city, languages, interests in STUDENTS:
        await world.add_student(name, city, languages=languages, interests=interests)


async def fill_guild(sb: Sandbox) -> None:
    """Make the server too full for more channels, so pairs get private threads."""
    for i in range(498 - len(sb.guild.channels)):
        sb.add_channel(f"club-{i}")
    await sb.idle()


def pair_spaces(sb: Sandbox) -> list[Channel]:
    """Every paired space (channel or thread), by name."""
    return sorted(
        (c for c in sb.guild.channels.values() if c.name.startswith(("pair-", "archived-pair-"))),
        key=lambda c: c.id,
    )


def space_of(sb: Sandbox, member: Member) -> Channel:
    """The one paired space a student can see."""
    seen = [c for c in pair_spaces(sb) if sb.guild.can_view(member.user.id, c.id)]
    assert len(seen) == 1, f"{member.user.username} sees {[c.name for c in seen]}"
    return seen[0]


def is_thread(channel: Channel) -> bool:
    return channel.type == ChannelType.PRIVATE_THREAD


@dataclass(frozen=True)
class Hit:
    """Where a search of the store found something."""

    table: str
    column: str
    value: object


async def search_store(sb: Sandbox, user_id: int | None, words: tuple[str, ...] = ()) -> list[Hit]:
    """Every table and every column: the user's id (as a number or inside text) and the words."""
    hits = []
    async with sb.bot.ctx.db.read() as conn:
        for table in metadata.sorted_tables:
            for row in await conn.execute(select(table)):
                for column in table.columns:
                    value = row._mapping[column.name]
                    if value is None:
                        continue
                    number = isinstance(column.type, (BigInteger, Integer))
                    if number and user_id is not None and value == user_id:
                        hits.append(Hit(table.name, column.name, value))
                    if isinstance(column.type, (String, Text)) and isinstance(value, str):
                        lowered = value.casefold()
                        has_id = user_id is not None and str(user_id) in value
                        if has_id or any(w.casefold() in lowered for w in words):
                            hits.append(Hit(table.name, column.name, value))
    return hits


def posted_by_an_older_version(message: Message | Reply, custom_ids: dict[str, str]) -> None:
    """Give components (found by label or placeholder) the custom_ids an older version of the
    bot posted them with, as messages already in servers still have them."""
    if isinstance(message, Reply):
        assert message.message is not None
        message = message.message
    wanted = dict(custom_ids)
    for component in iter_components(message.components):
        name = component.get("label") or component.get("placeholder")
        if name in wanted:
            assert component["custom_id"] != wanted[name], "already the old form"
            component["custom_id"] = wanted.pop(name)
    assert not wanted, f"no components {sorted(wanted)} on the message"
