"""A small exchange world for sandbox tests: roles, an exchange and its people."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.domain.exchange import INTERESTS as OFFERED
from bot.domain.exchange import Role
from bot.sandbox.driver import Sandbox
from bot.sandbox.state import Channel, Member
from bot.sandbox.state import Role as DiscordRole
from bot.store import consent as consent_store
from bot.store import roster
from bot.store.exchanges import get_exchange

INTERESTS = [
    ("chess", "music"),
    ("football", "music"),
    ("chess", "drawing"),
    ("cooking",),
    ("science", "chess"),
]


@dataclass
class World:
    """What a test needs to act in an exchange."""

    sb: Sandbox
    exchange_id: int
    city_ids: tuple[int, ...]  # two, or more once a test adds cities
    students_role: DiscordRole
    teachers_role: DiscordRole
    coordinators_role: DiscordRole
    teacher: Member
    partner_teacher: Member
    coordinator: Member
    announcements: Channel
    teachers_channel: Channel
    students: dict[str, Member] = field(default_factory=dict)

    async def partner_teacher_reads_arabic(self) -> None:
        """Ustadh Kareem registers with Najaf, in Arabic. Discord has no Arabic locale (his
        client is in English): his Twinbridge language comes from his profile."""
        await self.sb.command(self.partner_teacher, "join", city="Najaf", language="ar")

    async def other_exchange(self, first: str, second: str, *, paired: bool = True) -> int:
        """Winston-Salem ↔ Kumasi in the same server, created by the coordinator, with one
        student in each city (`first`, `second`), paired unless told; returns its id."""
        sb = self.sb
        reply = await sb.command(
            self.coordinator,
            "exchange create",
            name="Winston-Salem–Kumasi",
            city_a="Winston-Salem",
            zone_a="America/New_York",
            languages_a="en",
            city_b="Kumasi",
            zone_b="Africa/Accra",
            languages_b="en",
        )
        other = int(reply.embeds[0]["footer"]["text"].rsplit("#", 1)[1])
        async with sb.bot.ctx.db.transaction() as conn:
            found = await get_exchange(conn, sb.guild.id, other)
            assert found is not None
            for name, city in ((first, found.cities[0]), (second, found.cities[1])):
                member = sb.add_member(name, roles=[self.students_role])
                added = await roster.add(
                    conn,
                    guild_id=sb.guild.id,
                    exchange_id=other,
                    user_id=member.user.id,
                    role=Role.STUDENT,
                    display_name=name,
                    city_id=city.id,
                    now=sb.now(),
                )
                await consent_store.record(
                    conn, other, added, True, self.coordinator.user.id, sb.now()
                )
        if paired:
            await sb.command(self.coordinator, "pair confirm", exchange=other)
        return other

    async def add_student(
        self,
        name: str,
        city: int,
        *,
        grade_band: str = "13-15",
        languages: tuple[str, ...] = ("en",),
        interests: tuple[str, ...] = ("chess",),
        intro: str = "Hello!",
        status: str = "active",
        consent: bool | None = True,
    ) -> Member:
        """A student joins (as /join would record them), with a guardian's consent on file
        unless told (`consent`: False withdrawn, None nothing recorded), as pairing needs."""
        member = self.sb.add_member(name, roles=[self.students_role])
        # As if typed in /join's form (an interest of the bot's own list is translated).
        self.sb.typed(intro, *(i for i in interests if i not in OFFERED))
        async with self.sb.bot.ctx.db.transaction() as conn:
            participant_id = await roster.add(
                conn,
                guild_id=self.sb.guild.id,
                exchange_id=self.exchange_id,
                user_id=member.user.id,
                role=Role.STUDENT,
                display_name=name,
                city_id=self.city_ids[city],
                now=self.sb.now(),
                grade_band=grade_band,
                languages=languages,
                interests=interests,
                intro=intro,
            )
            if status != "active":
                await roster.update_profile(conn, participant_id, self.sb.now(), status=status)
            if consent is not None:
                await consent_store.record(
                    conn,
                    self.exchange_id,
                    participant_id,
                    consent,
                    self.teacher.user.id,
                    self.sb.now(),
                )
        self.students[name] = member
        return member


async def make_world(sb: Sandbox, *, teachers_joined: bool = True) -> World:
    """Minneapolis ↔ Najaf, with roles chosen and a teacher on each side and a coordinator.

    The teachers register with /join in their cities (`teachers_joined`), as teachers must
    before they act in an exchange.
    """
    students = sb.add_role("Students")
    teachers = sb.add_role("Teachers")
    coordinators = sb.add_role("Coordinators")
    await sb.command(
        sb.owner, "exchange roles", student=students, teacher=teachers, coordinator=coordinators
    )
    coordinator = sb.add_member("Dr Baker", roles=[coordinators])
    reply = await sb.command(
        coordinator,
        "exchange create",
        name="Minneapolis–Najaf",
        city_a="Minneapolis",
        zone_a="America/Chicago",
        languages_a="en, es",
        city_b="Najaf",
        zone_b="Asia/Baghdad",
        languages_b="ar, en",
        weekend_b="fri,sat",
    )
    footer = reply.embeds[0]["footer"]["text"]
    exchange_id = int(footer.rsplit("#", 1)[1])
    from bot.store.exchanges import get_exchange

    async with sb.bot.ctx.db.read() as conn:
        exchange = await get_exchange(conn, sb.guild.id, exchange_id)
    assert exchange is not None
    announcements = sb.add_channel("exchange")
    teachers_channel = sb.add_channel("teachers", private_to=[teachers, coordinators])
    await sb.command(
        coordinator, "exchange channels", announcements=announcements, teachers=teachers_channel
    )
    world = World(
        sb=sb,
        exchange_id=exchange_id,
        city_ids=(exchange.cities[0].id, exchange.cities[1].id),
        students_role=students,
        teachers_role=teachers,
        coordinators_role=coordinators,
        teacher=sb.add_member("Ms Rivera", roles=[teachers]),
        # His Discord is in English (Discord has no Arabic); he reads Twinbridge in Arabic once
        # his profile says so (`partner_teacher_reads_arabic`).
        partner_teacher=sb.add_member("Ustadh Kareem", roles=[teachers], locale="en-US"),
        coordinator=coordinator,
        announcements=announcements,
        teachers_channel=teachers_channel,
    )
    if teachers_joined:
        await sb.command(world.teacher, "join", city="Minneapolis")
        await sb.command(world.partner_teacher, "join", city="Najaf", language="ar")
    return world


# Where people would open the dashboard's pages and feeds, as PUBLIC_URL sets it.
PUBLIC_URL = "https://twinbridge.example"


def publish(sb: Sandbox) -> None:
    """Give the bot a public address, as PUBLIC_URL does: /report link and /session calendar
    make their links (no web server serves them here: the tests of the pages start one)."""
    sb.bot.services.address.configured = PUBLIC_URL
