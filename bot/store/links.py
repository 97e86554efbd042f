"""Queries for what reaches outside Discord: dashboard links, calendar feeds, monthly digests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.schema import calendar_feeds, dashboard_links, report_digests


@dataclass(frozen=True, slots=True)
class LinkRecord:
    """A dashboard link as stored (its secret's hash only)."""

    id: int
    guild_id: int
    exchange_id: int
    city_id: int | None
    created_by: int
    role: str
    language: str
    selector: str
    secret_hash: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    uses: int


def _link(row: Any) -> LinkRecord:
    return LinkRecord(
        id=row.id,
        guild_id=row.guild_id,
        exchange_id=row.partnership_id,
        city_id=row.city_id,
        created_by=row.created_by,
        role=row.role,
        language=row.language,
        selector=row.selector,
        secret_hash=row.secret_hash,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
        uses=row.uses,
    )


async def add_link(
    conn: AsyncConnection,
    *,
    guild_id: int,
    exchange_id: int,
    city_id: int | None,
    created_by: int,
    role: str,
    language: str,
    selector: str,
    secret_hash: str,
    now: datetime,
    expires_at: datetime,
) -> int:
    """Store a new link; its id."""
    result = await conn.execute(
        insert(dashboard_links).values(
            guild_id=guild_id,
            partnership_id=exchange_id,
            city_id=city_id,
            created_by=created_by,
            role=role,
            language=language,
            selector=selector,
            secret_hash=secret_hash,
            created_at=now,
            expires_at=expires_at,
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


async def link_by_selector(conn: AsyncConnection, selector: str) -> LinkRecord | None:
    row = (
        await conn.execute(select(dashboard_links).where(dashboard_links.c.selector == selector))
    ).first()
    return _link(row) if row else None


async def link_by_id(conn: AsyncConnection, link_id: int) -> LinkRecord | None:
    row = (
        await conn.execute(select(dashboard_links).where(dashboard_links.c.id == link_id))
    ).first()
    return _link(row) if row else None


async def live_links(
    conn: AsyncConnection, exchange_id: int, now: datetime, *, created_by: int | None = None
) -> list[LinkRecord]:
    """Links of an exchange not revoked and not expired (of one creator), newest first."""
    query = select(dashboard_links).where(
        dashboard_links.c.partnership_id == exchange_id,
        dashboard_links.c.revoked_at.is_(None),
        dashboard_links.c.expires_at > now,
    )
    if created_by is not None:
        query = query.where(dashboard_links.c.created_by == created_by)
    rows = await conn.execute(query.order_by(dashboard_links.c.id.desc()))
    return [_link(r) for r in rows]


async def revoke_link(conn: AsyncConnection, link_id: int, by: int, now: datetime) -> bool:
    """Revoke a link still live; False if it already was."""
    result = await conn.execute(
        update(dashboard_links)
        .where(dashboard_links.c.id == link_id, dashboard_links.c.revoked_at.is_(None))
        .values(revoked_at=now, revoked_by=by)
    )
    return bool(result.rowcount)


async def link_used(conn: AsyncConnection, link_id: int, now: datetime) -> None:
    await conn.execute(
        update(dashboard_links)
        .where(dashboard_links.c.id == link_id)
        .values(last_used_at=now, uses=dashboard_links.c.uses + 1)
    )


# -- calendar feeds ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeedRecord:
    """A calendar subscription as stored (its secret's hash only)."""

    id: int
    guild_id: int
    exchange_id: int
    city_id: int | None
    created_by: int
    selector: str
    secret_hash: str
    created_at: datetime
    revoked_at: datetime | None


def _feed(row: Any) -> FeedRecord:
    return FeedRecord(
        id=row.id,
        guild_id=row.guild_id,
        exchange_id=row.partnership_id,
        city_id=row.city_id,
        created_by=row.created_by,
        selector=row.selector,
        secret_hash=row.secret_hash,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


async def add_feed(
    conn: AsyncConnection,
    *,
    guild_id: int,
    exchange_id: int,
    city_id: int | None,
    created_by: int,
    selector: str,
    secret_hash: str,
    now: datetime,
) -> int:
    """Store a new feed, revoking the same person's earlier one for the same scope."""
    await conn.execute(
        update(calendar_feeds)
        .where(
            calendar_feeds.c.partnership_id == exchange_id,
            calendar_feeds.c.created_by == created_by,
            calendar_feeds.c.city_id.is_(None)
            if city_id is None
            else calendar_feeds.c.city_id == city_id,
            calendar_feeds.c.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    result = await conn.execute(
        insert(calendar_feeds).values(
            guild_id=guild_id,
            partnership_id=exchange_id,
            city_id=city_id,
            created_by=created_by,
            selector=selector,
            secret_hash=secret_hash,
            created_at=now,
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


async def feed_by_selector(conn: AsyncConnection, selector: str) -> FeedRecord | None:
    row = (
        await conn.execute(select(calendar_feeds).where(calendar_feeds.c.selector == selector))
    ).first()
    return _feed(row) if row else None


async def feed_used(conn: AsyncConnection, feed_id: int, now: datetime) -> None:
    await conn.execute(
        update(calendar_feeds)
        .where(calendar_feeds.c.id == feed_id)
        .values(last_used_at=now, uses=calendar_feeds.c.uses + 1)
    )


# -- the monthly digest -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DigestRecord:
    exchange_id: int
    guild_id: int
    turned_on_by: int
    turned_on_at: datetime


async def digest_on(
    conn: AsyncConnection, exchange_id: int, guild_id: int, by: int, now: datetime
) -> bool:
    """Turn an exchange's digest on; False if it already was."""
    if await digest_of(conn, exchange_id) is not None:
        return False
    await conn.execute(
        insert(report_digests).values(
            partnership_id=exchange_id, guild_id=guild_id, turned_on_by=by, turned_on_at=now
        )
    )
    return True


async def digest_off(conn: AsyncConnection, exchange_id: int) -> bool:
    """Turn it off; False if it was not on."""
    result = await conn.execute(
        delete(report_digests).where(report_digests.c.partnership_id == exchange_id)
    )
    return bool(result.rowcount)


async def digest_of(conn: AsyncConnection, exchange_id: int) -> DigestRecord | None:
    row = (
        await conn.execute(
            select(report_digests).where(report_digests.c.partnership_id == exchange_id)
        )
    ).first()
    if row is None:
        return None
    return DigestRecord(row.partnership_id, row.guild_id, row.turned_on_by, row.turned_on_at)


async def digests(conn: AsyncConnection) -> Sequence[DigestRecord]:
    """Every exchange whose digest is on."""
    rows = await conn.execute(select(report_digests).order_by(report_digests.c.partnership_id))
    return [
        DigestRecord(r.partnership_id, r.guild_id, r.turned_on_by, r.turned_on_at) for r in rows
    ]
