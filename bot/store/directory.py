"""The directory of cities seeking cities: listings, introductions, blocks and abuse reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.directory import Listing
from bot.store.roster import preferred_language
from bot.store.schema import (
    directory_blocks,
    directory_introductions,
    directory_listings,
    directory_reports,
    guild_settings,
)


@dataclass(frozen=True, slots=True)
class StoredListing:
    """A listing with what only its own server sees: who posted it and where requests go."""

    listing: Listing
    author_id: int
    channel_id: int
    direct_messages: bool
    status: str


@dataclass(frozen=True, slots=True)
class Introduction:
    """A request to be introduced, as stored."""

    id: int
    from_listing_id: int
    to_listing_id: int
    from_guild_id: int
    from_user_id: int
    to_guild_id: int
    note: str
    status: str
    created_at: datetime
    answered_by: int | None
    channel_id: int | None
    message_id: int | None


def _split(text: str) -> tuple[str, ...]:
    return tuple(p for p in text.split(",") if p)


def _listing(row: Any) -> StoredListing:
    return StoredListing(
        Listing(
            id=row.id,
            guild_id=row.guild_id,
            city=row.city,
            country=row.country,
            timezone=row.timezone,
            languages=_split(row.languages),
            age_bands=_split(row.age_bands),
            class_size=row.class_size,
            themes=_split(row.themes),
            months=tuple(int(m) for m in _split(row.months)),
            note=row.note,
            active=row.status == "active",
            expires_at=row.expires_at,
        ),
        author_id=row.author_id,
        channel_id=row.channel_id,
        direct_messages=bool(row.direct_messages),
        status=row.status,
    )


def listing_values(listing: Listing) -> dict[str, Any]:
    """The columns a listing's own fields fill."""
    return {
        "city": listing.city,
        "country": listing.country,
        "timezone": listing.timezone,
        "languages": ",".join(listing.languages),
        "age_bands": ",".join(listing.age_bands),
        "class_size": listing.class_size,
        "themes": ",".join(listing.themes),
        "months": ",".join(str(m) for m in listing.months),
        "note": listing.note,
    }


async def add_listing(
    conn: AsyncConnection,
    listing: Listing,
    *,
    author_id: int,
    channel_id: int,
    direct_messages: bool,
    now: datetime,
) -> int:
    result = await conn.execute(
        directory_listings.insert().values(
            guild_id=listing.guild_id,
            author_id=author_id,
            channel_id=channel_id,
            direct_messages=direct_messages,
            status="active",
            created_at=now,
            expires_at=listing.expires_at,
            **listing_values(listing),
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


async def update_listing(conn: AsyncConnection, listing_id: int, **values: Any) -> None:
    await conn.execute(
        update(directory_listings).where(directory_listings.c.id == listing_id).values(**values)
    )


async def get_listing(conn: AsyncConnection, listing_id: int) -> StoredListing | None:
    """Any listing by id (removed ones too: an introduction may name one)."""
    row = (
        await conn.execute(select(directory_listings).where(directory_listings.c.id == listing_id))
    ).first()
    return _listing(row) if row is not None else None


async def listings_of(conn: AsyncConnection, guild_id: int) -> list[StoredListing]:
    """A server's own listings (not removed), newest first."""
    rows = (
        await conn.execute(
            select(directory_listings)
            .where(
                directory_listings.c.guild_id == guild_id,
                directory_listings.c.status != "removed",
            )
            .order_by(directory_listings.c.id.desc())
        )
    ).all()
    return [_listing(r) for r in rows]


# The reason a listing is paused when the bot left its server (its coordinator did not pause it).
BOT_LEFT = "bot_left"


async def hide_server(conn: AsyncConnection, guild_id: int) -> int:
    """Pause a server's shown listings because the bot left it; how many."""
    result = await conn.execute(
        update(directory_listings)
        .where(directory_listings.c.guild_id == guild_id, directory_listings.c.status == "active")
        .values(status="paused", paused_reason=BOT_LEFT)
    )
    return int(result.rowcount or 0)


async def show_server(conn: AsyncConnection, guild_id: int) -> int:
    """Show again the listings `hide_server` paused (not those a coordinator paused); how
    many."""
    result = await conn.execute(
        update(directory_listings)
        .where(
            directory_listings.c.guild_id == guild_id,
            directory_listings.c.status == "paused",
            directory_listings.c.paused_reason == BOT_LEFT,
        )
        .values(status="active", paused_reason=None)
    )
    return int(result.rowcount or 0)


async def listed_servers(conn: AsyncConnection) -> dict[int, bool]:
    """Every server with a listing (not removed) → whether the bot's leaving hid them."""
    rows = await conn.execute(
        select(
            directory_listings.c.guild_id,
            func.max(case((directory_listings.c.paused_reason == BOT_LEFT, 1), else_=0)).label(
                "hidden"
            ),
        )
        .where(directory_listings.c.status != "removed")
        .group_by(directory_listings.c.guild_id)
    )
    return {int(r.guild_id): bool(r.hidden) for r in rows}


async def visible_listings(
    conn: AsyncConnection, now: datetime, servers: frozenset[int] | None
) -> list[StoredListing]:
    """Active, unexpired listings of the servers the directory serves (None: every server)."""
    query = select(directory_listings).where(
        directory_listings.c.status == "active", directory_listings.c.expires_at > now
    )
    if servers is not None:
        query = query.where(directory_listings.c.guild_id.in_(servers))
    return [_listing(r) for r in (await conn.execute(query)).all()]


async def blocked_either_way(conn: AsyncConnection, guild_id: int) -> frozenset[int]:
    """Servers this one blocked, and servers that blocked it."""
    rows = (
        await conn.execute(
            select(directory_blocks.c.guild_id, directory_blocks.c.blocked_guild_id).where(
                or_(
                    directory_blocks.c.guild_id == guild_id,
                    directory_blocks.c.blocked_guild_id == guild_id,
                )
            )
        )
    ).all()
    return frozenset(r.blocked_guild_id if r.guild_id == guild_id else r.guild_id for r in rows)


async def has_blocked(conn: AsyncConnection, guild_id: int, other: int) -> bool:
    row = (
        await conn.execute(
            select(directory_blocks.c.guild_id).where(
                directory_blocks.c.guild_id == guild_id,
                directory_blocks.c.blocked_guild_id == other,
            )
        )
    ).first()
    return row is not None


async def block(
    conn: AsyncConnection, guild_id: int, other: int, *, by: int, now: datetime
) -> bool:
    """Block `other`; False when it was already blocked."""
    if await has_blocked(conn, guild_id, other):
        return False
    await conn.execute(
        directory_blocks.insert().values(
            guild_id=guild_id, blocked_guild_id=other, created_by=by, created_at=now
        )
    )
    return True


async def unblock(conn: AsyncConnection, guild_id: int, other: int) -> bool:
    result = await conn.execute(
        delete(directory_blocks).where(
            directory_blocks.c.guild_id == guild_id, directory_blocks.c.blocked_guild_id == other
        )
    )
    return result.rowcount > 0


def _introduction(row: Any) -> Introduction:
    return Introduction(
        id=row.id,
        from_listing_id=row.from_listing_id,
        to_listing_id=row.to_listing_id,
        from_guild_id=row.from_guild_id,
        from_user_id=row.from_user_id,
        to_guild_id=row.to_guild_id,
        note=row.note,
        status=row.status,
        created_at=row.created_at,
        answered_by=row.answered_by,
        channel_id=row.channel_id,
        message_id=row.message_id,
    )


async def add_introduction(
    conn: AsyncConnection,
    *,
    from_listing_id: int,
    to_listing_id: int,
    from_guild_id: int,
    from_user_id: int,
    to_guild_id: int,
    note: str,
    status: str,
    now: datetime,
) -> int:
    result = await conn.execute(
        directory_introductions.insert().values(
            from_listing_id=from_listing_id,
            to_listing_id=to_listing_id,
            from_guild_id=from_guild_id,
            from_user_id=from_user_id,
            to_guild_id=to_guild_id,
            note=note,
            status=status,
            created_at=now,
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


async def get_introduction(conn: AsyncConnection, introduction_id: int) -> Introduction | None:
    row = (
        await conn.execute(
            select(directory_introductions).where(directory_introductions.c.id == introduction_id)
        )
    ).first()
    return _introduction(row) if row is not None else None


async def set_posted(
    conn: AsyncConnection, introduction_id: int, channel_id: int, message_id: int
) -> None:
    await conn.execute(
        update(directory_introductions)
        .where(directory_introductions.c.id == introduction_id)
        .values(channel_id=channel_id, message_id=message_id)
    )


async def delete_introduction(conn: AsyncConnection, introduction_id: int) -> None:
    await conn.execute(
        delete(directory_introductions).where(directory_introductions.c.id == introduction_id)
    )


async def answer(
    conn: AsyncConnection, introduction_id: int, status: str, *, by: int, now: datetime
) -> bool:
    """Settle a pending request; False when it was no longer pending (a double click)."""
    result = await conn.execute(
        update(directory_introductions)
        .where(
            directory_introductions.c.id == introduction_id,
            directory_introductions.c.status == "pending",
        )
        .values(status=status, answered_by=by, answered_at=now)
    )
    return result.rowcount > 0


async def sent_since(conn: AsyncConnection, guild_id: int, since: datetime) -> int:
    """Requests a server sent since `since` (all of them count against its weekly quota)."""
    return int(
        (
            await conn.execute(
                select(func.count())
                .select_from(directory_introductions)
                .where(
                    directory_introductions.c.from_guild_id == guild_id,
                    directory_introductions.c.created_at >= since,
                )
            )
        ).scalar_one()
    )


async def waiting_from(conn: AsyncConnection, guild_id: int, since: datetime) -> int:
    """A server's requests that have not lapsed nor been accepted: to the asker a decline or a
    block looks the same as silence, so all of them wait."""
    return int(
        (
            await conn.execute(
                select(func.count())
                .select_from(directory_introductions)
                .where(
                    directory_introductions.c.from_guild_id == guild_id,
                    directory_introductions.c.status != "accepted",
                    directory_introductions.c.created_at >= since,
                )
            )
        ).scalar_one()
    )


async def last_request(
    conn: AsyncConnection, from_listing_id: int, to_listing_id: int
) -> datetime | None:
    """When this listing last asked that one, if ever."""
    value = (
        await conn.execute(
            select(func.max(directory_introductions.c.created_at)).where(
                directory_introductions.c.from_listing_id == from_listing_id,
                directory_introductions.c.to_listing_id == to_listing_id,
            )
        )
    ).scalar_one()
    return value  # type: ignore[no-any-return]


async def sent_by(conn: AsyncConnection, guild_id: int) -> list[Introduction]:
    """A server's requests, newest first."""
    rows = (
        await conn.execute(
            select(directory_introductions)
            .where(directory_introductions.c.from_guild_id == guild_id)
            .order_by(directory_introductions.c.id.desc())
            .limit(25)
        )
    ).all()
    return [_introduction(r) for r in rows]


async def add_report(
    conn: AsyncConnection,
    *,
    listing_id: int,
    listing_guild_id: int,
    reporter_guild_id: int,
    reporter_id: int,
    reason: str,
    now: datetime,
) -> int:
    result = await conn.execute(
        directory_reports.insert().values(
            listing_id=listing_id,
            listing_guild_id=listing_guild_id,
            reporter_guild_id=reporter_guild_id,
            reporter_id=reporter_id,
            reason=reason,
            created_at=now,
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


async def server_language(conn: AsyncConnection, guild_id: int, user_id: int) -> str:
    """The language to write to a listing's server in: its coordinator's, else the server's."""
    chosen = await preferred_language(conn, guild_id, user_id)
    if chosen:
        return chosen
    value = (
        await conn.execute(
            select(guild_settings.c.language).where(guild_settings.c.guild_id == guild_id)
        )
    ).scalar_one_or_none()
    return str(value or "en")
