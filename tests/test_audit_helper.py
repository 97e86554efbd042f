"""`audit(...)`: what a person did, in the activity log, written as the services used to
write it by hand (their server, the exchange, who, ids only)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select

from bot.services.access import Actor
from bot.services.audit import By, audit
from bot.store import Database
from bot.store import exchanges as exchange_store
from bot.store.schema import activity

AT = datetime(2026, 10, 7, 9, tzinfo=UTC)
ANA = Actor(guild_id=7, user_id=42, role_ids=frozenset(), is_admin=False)


async def test_an_action_is_logged_with_its_server_person_exchange_and_ids(db: Database) -> None:
    async with db.transaction() as conn:
        exchange_id = await exchange_store.create_exchange(
            conn,
            guild_id=ANA.guild_id,
            name="Minneapolis–Najaf",
            sides=[
                ("Minneapolis", "America/Chicago", ("en",), frozenset({6, 7})),
                ("Najaf", "Asia/Baghdad", ("ar",), frozenset({5, 6})),
            ],
            now=AT,
        )
        await audit(conn, ANA, "chess.league_joined", at=AT, exchange_id=exchange_id, league=3)
        await audit(conn, ANA, "seek.posted", at=AT, listing=5)
    async with db.read() as conn:
        rows = (await conn.execute(select(activity).order_by(activity.c.id))).all()
    logged = [
        (r.guild_id, r.actor_id, r.partnership_id, r.kind, json.loads(r.details)) for r in rows
    ]
    assert logged[-2:] == [
        (7, 42, exchange_id, "chess.league_joined", {"league": 3}),
        (7, 42, None, "seek.posted", {"listing": 5}),
    ]


async def test_the_bot_or_a_saved_operations_author_is_logged_without_an_actor(
    db: Database,
) -> None:
    """`By`: a scheduled job (no person) or the author of a journalled operation; and a detail
    may be named like the event's own `kind` (safety reports log theirs)."""
    async with db.transaction() as conn:
        await audit(conn, By(7), "digest.posted", at=AT, month="2026-10")
        await audit(conn, By(7, 42), "pairing.removed", at=AT, pair=9)
        await audit(conn, ANA, "safety.reported", at=AT, report=1, kind="concern")
        await audit(conn, ANA, "break.added", at=AT, **{"from": "2026-10-01", "to": "2026-10-02"})
    async with db.read() as conn:
        rows = (await conn.execute(select(activity).order_by(activity.c.id))).all()
    logged = [
        (r.guild_id, r.actor_id, r.partnership_id, r.kind, json.loads(r.details)) for r in rows
    ]
    assert logged[-4:] == [
        (7, None, None, "digest.posted", {"month": "2026-10"}),
        (7, 42, None, "pairing.removed", {"pair": 9}),
        (7, 42, None, "safety.reported", {"report": 1, "kind": "concern"}),
        (7, 42, None, "break.added", {"from": "2026-10-01", "to": "2026-10-02"}),
    ]
