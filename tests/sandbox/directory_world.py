"""The directory of cities seeking cities in a one-server test: this server's school listed,
and a school of "another server" listed straight in the store (commands of such tests are
registered in one server only; tests/sandbox/test_directory.py runs several real servers)."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.directory import Listing
from bot.sandbox.state import Message
from bot.services.access import Actor
from bot.store import directory as directory_store
from cogs.seek import deliver
from tests.sandbox.world import World

ELSEWHERE_USER = 424242


async def directory_listed(world: World) -> int:
    """The directory open, Minneapolis listed by the world's coordinator (in #general), and
    Kumasi listed by a server that is not this one; returns Kumasi's listing id."""
    sb = world.sb
    sb.bot.ctx.settings.directory = "on"
    await sb.command(
        world.coordinator,
        "seek post",
        city="Minneapolis",
        zone="America/Chicago",
        languages="en",
        ages="13-15",
        class_size=20,
    )
    now = sb.now()
    other = Listing(
        id=0,
        guild_id=sb.guild.id + 1,
        city="Kumasi",
        country="GH",
        timezone="Africa/Accra",
        languages=("en",),
        age_bands=("13-15",),
        class_size=30,
        themes=(),
        months=tuple(range(1, 13)),
        note="",
        active=True,
        expires_at=now + timedelta(days=90),
    )
    channel = sb.add_channel("kumasi-inbox")
    sb.typed(other.city)  # as if typed in the other server's /seek post: data
    async with sb.bot.ctx.db.transaction() as conn:
        return await directory_store.add_listing(
            conn,
            other,
            author_id=ELSEWHERE_USER,
            channel_id=channel.id,
            direct_messages=False,
            now=now,
        )


async def request_from_elsewhere(world: World) -> Message:
    """Kumasi's coordinator asks to be introduced to Minneapolis: the request as posted in
    this server (where Minneapolis's coordinator answers it)."""
    sb = world.sb
    kumasi = await directory_listed(world)
    elsewhere = Actor(
        guild_id=sb.guild.id + 1, user_id=ELSEWHERE_USER, role_ids=frozenset(), is_admin=True
    )
    service = sb.bot.services.directory
    async with sb.bot.ctx.db.read() as conn:
        ours = await directory_store.listings_of(conn, sb.guild.id)
    sb.typed("Hello!")
    # As the other server's /seek introduce does: the bot's own work (marked texts).
    delivery = await sb.as_bot(service.introduce(elsewhere, ours[0].listing.id, kumasi, "Hello!"))
    assert delivery is not None
    await sb.as_bot(deliver(sb.bot, delivery))
    await sb.idle()
    return sb.last_message(sb.channel_by_id(delivery.receiving.channel_id))
