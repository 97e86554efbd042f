"""Setting up an exchange through the real bot: who may, what it shows, what it refuses."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from bot.i18n import unisolated
from bot.sandbox.driver import Sandbox, SandboxError
from bot.store.schema import activity, partnerships
from tests.sandbox.world import make_world

CREATE: dict[str, Any] = {
    "name": "Minneapolis–Najaf",
    "city_a": "Minneapolis",
    "zone_a": "America/Chicago",
    "languages_a": "en",
    "city_b": "Najaf",
    "zone_b": "Asia/Baghdad",
    "languages_b": "ar",
}


async def exchanges(sb: Sandbox) -> int:
    async with sb.bot.ctx.db.read() as conn:
        return int(
            (await conn.execute(select(func.count()).select_from(partnerships))).scalar_one()
        )


async def test_coordinator_creates_an_exchange(sb: Sandbox) -> None:
    """The exchange is stored with both cities, shown back, and logged with who did it."""
    world = await make_world(sb)
    reply = await sb.command(world.coordinator, "exchange info")
    text = reply.text
    assert "Minneapolis" in text and "Najaf" in text
    assert "America/Chicago" in text and "Asia/Baghdad" in text
    assert "Weekend: Friday and Saturday" in text
    async with sb.bot.ctx.db.read() as conn:
        row = (
            await conn.execute(select(activity).where(activity.c.kind == "exchange.created"))
        ).one()
    assert row.actor_id == world.coordinator.user.id


async def test_the_exchange_card_names_languages_in_the_readers_language(sb: Sandbox) -> None:
    """The coordinator reads "English and Spanish"; Ustadh Kareem reads them in Arabic."""
    world = await make_world(sb)
    english = await sb.command(world.coordinator, "exchange info")
    assert "English and Spanish" in english.text and "Arabic and English" in english.text
    await world.partner_teacher_reads_arabic()
    arabic = await sb.command(world.partner_teacher, "exchange info")
    # CLDR's Arabic list: "و" joined to each following item, no comma.
    read = unisolated(arabic.text)
    assert "الإنجليزية والإسبانية" in read and "العربية والإنجليزية" in read
    assert "الجمعة والسبت" in read


async def test_a_server_admin_may_create_before_roles_exist(sb: Sandbox) -> None:
    """The server owner can set an exchange up before any role is chosen."""
    reply = await sb.command(sb.owner, "exchange create", **CREATE)
    assert "created" in reply.text
    assert await exchanges(sb) == 1


async def test_student_cannot_create_an_exchange(sb: Sandbox) -> None:
    """A student running /exchange create is told who can, and nothing is created."""
    world = await make_world(sb)
    student = sb.add_member("Ali", roles=[world.students_role])
    reply = await sb.command(student, "exchange create", **CREATE)
    assert reply.ephemeral and "Only coordinators" in reply.text
    assert await exchanges(sb) == 1


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"city_b": "minneapolis"}, "two different cities"),
        ({"zone_b": "Mars/Olympus_Mons"}, "not a time zone"),
        ({"zone_a": "EST"}, "not a time zone"),
        ({"languages_b": "klingon"}, "don't know the language"),
        ({"weekend_b": "funday"}, "not a day of the week"),
    ],
)
async def test_bad_exchange_input_changes_nothing(
    sb: Sandbox, change: dict[str, str], expected: str
) -> None:
    """Each mistake gets a clear private answer and no exchange is created."""
    reply = await sb.command(sb.owner, "exchange create", **{**CREATE, **change})
    assert reply.ephemeral and expected in reply.text
    assert await exchanges(sb) == 0


async def test_overlong_name_is_refused_by_discord_itself(sb: Sandbox) -> None:
    """A 2000-character name never reaches the bot: the option allows 100."""
    with pytest.raises(SandboxError, match="longer than 100"):
        await sb.command(sb.owner, "exchange create", **{**CREATE, "name": "x" * 2000})


async def test_arabic_and_emoji_names_work(sb: Sandbox) -> None:
    """Names in Arabic script and with emoji are kept as typed."""
    reply = await sb.command(
        sb.owner,
        "exchange create",
        **{**CREATE, "name": "النجف ↔ Minneapolis 🌍", "city_b": "النجف"},
    )
    assert "النجف ↔ Minneapolis 🌍" in reply.text


async def test_zone_autocomplete_finds_cities(sb: Sandbox) -> None:
    """Typing a city name suggests its IANA zone."""
    choices = await sb.autocomplete(sb.owner, "exchange create", "zone_a", "chicago")
    assert "America/Chicago" in [c["value"] for c in choices]


async def test_only_admins_choose_roles(sb: Sandbox) -> None:
    """A member without Manage Server cannot choose the exchange roles."""
    role = sb.add_role("Students")
    other = sb.add_role("Teachers")
    member = sb.add_member("Someone")
    reply = await sb.command(member, "exchange roles", student=role, teacher=other)
    assert "Only server admins" in reply.text


async def test_exchange_autocomplete_lists_the_guilds_exchanges(sb: Sandbox) -> None:
    """The exchange option suggests this guild's exchanges by name."""
    await sb.command(sb.owner, "exchange create", **CREATE)
    choices = await sb.autocomplete(sb.owner, "exchange info", "exchange", "Minn")
    assert [c["name"] for c in choices] == ["Minneapolis–Najaf (#1)"]


async def test_coordinator_chooses_the_exchange_channels(sb: Sandbox) -> None:
    """Announcements and a private teachers' channel are stored for the exchange."""
    world = await make_world(sb)
    from bot.services.exchanges import channels

    found = await channels(sb.bot.ctx.db, world.exchange_id)
    assert found.exchange_channel_id == world.announcements.id
    assert found.teachers_channel_id == world.teachers_channel.id


async def test_a_teachers_channel_students_can_read_is_refused(sb: Sandbox) -> None:
    """A public channel cannot be the teachers' channel: reports about students go there."""
    world = await make_world(sb)
    public = sb.add_channel("lobby")
    reply = await sb.command(
        world.coordinator, "exchange channels", announcements=world.announcements, teachers=public
    )
    assert reply.ephemeral and "Students can read" in reply.text
    from bot.services.exchanges import channels

    found = await channels(sb.bot.ctx.db, world.exchange_id)
    assert found.teachers_channel_id == world.teachers_channel.id


async def test_a_student_cannot_choose_the_channels(sb: Sandbox) -> None:
    """Only coordinators choose where the exchange posts."""
    world = await make_world(sb)
    student = sb.add_member("Ali", roles=[world.students_role])
    reply = await sb.command(
        student, "exchange channels", announcements=sb.general, teachers=world.teachers_channel
    )
    assert "Only coordinators" in reply.text
