"""Cities seeking cities, across servers: a Minneapolis school finds a partner, introductions
with consent (no name crosses before acceptance), blocks, limits, expiry and abuse reports."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.sandbox.driver import Reply, Sandbox
from bot.sandbox.state import Channel, Guild, Member, Message
from bot.store.schema import directory_introductions, directory_listings, scheduled_sends


@dataclass
class School:
    """A school's server as the directory sees it: its coordinator, teachers' channel, a
    student and a teacher."""

    guild: Guild
    coordinator: Member
    teacher: Member
    student: Member
    channel: Channel


async def school(sb: Sandbox, guild: Guild, coordinator: str) -> School:
    roles = {
        kind: sb.add_role(f"{kind.title()}s", guild=guild)
        for kind in ("student", "teacher", "coordinator")
    }
    await sb.command(sb.owner_of(guild), "exchange roles", **roles)
    channel = sb.add_channel(
        "teachers", private_to=[roles["teacher"], roles["coordinator"]], guild=guild
    )
    return School(
        guild=guild,
        coordinator=sb.add_member(coordinator, roles=[roles["coordinator"]], guild=guild),
        teacher=sb.add_member(f"{coordinator} Teacher", roles=[roles["teacher"]], guild=guild),
        student=sb.add_member(f"{coordinator} Student", roles=[roles["student"]], guild=guild),
        channel=channel,
    )


@pytest.fixture
async def sb(tmp_path: Path) -> AsyncIterator[Sandbox]:
    """Commands registered globally, the directory open to every server."""
    settings = {"dev_guild_id": None, "directory": "on"}
    async with Sandbox.running(tmp_path, settings=settings) as sandbox:
        yield sandbox


@dataclass
class Schools:
    minneapolis: School
    kumasi: School
    najaf: School


@pytest.fixture
async def schools(sb: Sandbox) -> Schools:
    return Schools(
        minneapolis=await school(sb, sb.guild, "Dr Baker"),
        kumasi=await school(sb, await sb.add_guild("Kumasi Academy"), "Mrs Mensah"),
        najaf=await school(sb, await sb.add_guild("Najaf School"), "Ustadh Kareem"),
    )


async def post(sb: Sandbox, school: School, **options: object) -> int:
    reply = await sb.command(school.coordinator, "seek post", where=school.channel, **options)
    assert reply.ephemeral
    title = reply.embeds[0]["title"]
    assert "#" in title, reply.text
    return int(title.split("#", 1)[1].split(" ", 1)[0])


async def listed(sb: Sandbox, schools: Schools) -> tuple[int, int, int]:
    mpls = await post(
        sb,
        schools.minneapolis,
        city="Minneapolis",
        zone="America/Chicago",
        languages="en, es",
        ages="13-15",
        class_size=24,
        themes="chess, environment",
        months="sep-may",
        note="A public middle school; our chess club meets on Wednesdays.",
    )
    kumasi = await post(
        sb,
        schools.kumasi,
        city="Kumasi",
        zone="Africa/Accra",
        languages="en",
        ages="13-15",
        class_size=30,
        themes="chess",
    )
    najaf = await post(
        sb,
        schools.najaf,
        city="Najaf",
        zone="Asia/Baghdad",
        languages="ar",
        ages="16-18",
        class_size=20,
    )
    return mpls, kumasi, najaf


def everything_in(message: Message | Reply) -> str:
    """Every character someone sees of a message: content, embeds and components."""
    if isinstance(message, Reply):
        return "\n".join(everything_in(m) for m in message.messages)
    return json.dumps(
        {"c": message.content, "e": message.embeds, "k": message.components}, ensure_ascii=False
    )


def names_of(member: Member) -> list[str]:
    return [n for n in (member.user.global_name, member.user.username) if n]


async def test_a_minneapolis_school_finds_a_partner_and_names_cross_only_on_acceptance(
    sb: Sandbox, schools: Schools
) -> None:
    mpls, kumasi, najaf = await listed(sb, schools)
    found = await sb.command(schools.minneapolis.coordinator, "seek find")
    fields = found.embeds[0]["fields"]
    # Kumasi first: three school hours together (the sandbox's first week is in September,
    # Chicago on daylight time), a shared language, the same ages, chess.
    assert [f["name"].split(" — ")[0] for f in fields] == [
        f"#{kumasi} · Kumasi, Ghana",
        f"#{najaf} · Najaf, Iraq",
    ]
    assert (
        "8:00\u202fAM–11:00\u202fAM in Minneapolis = 1:00\u202fPM–4:00\u202fPM in Kumasi"
        in fields[0]["value"]
    )
    assert "Shared language: English" in fields[0]["value"]
    assert "Shared themes: chess" in fields[0]["value"]
    assert "never overlap" in fields[1]["value"]
    # Only other servers' listings, and nobody's name.
    assert f"#{mpls} " not in found.text
    for school in (schools.kumasi, schools.najaf):
        for name in names_of(school.coordinator):
            assert name not in everything_in(found)

    asked = await sb.command(
        schools.minneapolis.coordinator,
        "seek introduce",
        listing=kumasi,
        note="We would love a chess exchange this spring!",
    )
    assert "not your name" in asked.content
    request = sb.last_message(schools.kumasi.channel)
    seen = everything_in(request)
    assert "Minneapolis" in seen and "chess exchange this spring" in seen
    for name in names_of(schools.minneapolis.coordinator):
        assert name not in seen
    assert sb.messages_in(schools.minneapolis.channel) == []

    # A teacher of Kumasi may not answer for the school; the request stays open.
    refused = await sb.click(schools.kumasi.teacher, request, "Accept introduction")
    assert "coordinator" in refused.text.lower()
    assert sb.messages_in(schools.minneapolis.channel) == []

    await sb.click(schools.kumasi.coordinator, request, "Accept introduction")
    answered = sb.last_message(schools.kumasi.channel)
    assert "Dr Baker" in answered.content and "@dr_baker" in answered.content
    assert answered.components == []
    told = sb.last_message(schools.minneapolis.channel)
    assert "Mrs Mensah" in told.content and "@mrs_mensah" in told.content
    # From match to exchange: /exchange create filled in for both schools.
    for text in (answered.content, told.content):
        assert "/exchange create name:Minneapolis–Kumasi city_a:Minneapolis" in text
        assert "zone_a:America/Chicago" in text and "zone_b:Africa/Accra" in text
    mine = await sb.command(schools.minneapolis.coordinator, "seek mine")
    assert "accepted" in mine.text


async def test_a_decline_a_block_and_silence_all_look_the_same_to_the_asker(
    sb: Sandbox, schools: Schools
) -> None:
    mpls, kumasi, najaf = await listed(sb, schools)
    await sb.command(schools.minneapolis.coordinator, "seek introduce", listing=kumasi)
    request = sb.last_message(schools.kumasi.channel)
    declined = await sb.click(schools.kumasi.coordinator, request, "Decline")
    assert "learns nothing" in declined.text
    assert sb.messages_in(schools.minneapolis.channel) == []
    # Najaf blocks Minneapolis: Minneapolis's request is answered exactly as any other, and
    # never reaches Najaf.
    blocked = await sb.command(schools.najaf.coordinator, "seek block", listing=mpls)
    assert "Blocked" in blocked.content
    asked = await sb.command(schools.minneapolis.coordinator, "seek introduce", listing=najaf)
    assert "not your name" in asked.content
    assert sb.messages_in(schools.najaf.channel) == []
    mine = await sb.command(schools.minneapolis.coordinator, "seek mine")
    assert mine.text.count("no answer yet") == 2
    # (The footnote says a school may have declined: it never says which did.)
    assert "Declined" not in mine.text and "block" not in mine.text.lower()
    # Neither sees the other in the directory any more.
    found = await sb.command(schools.najaf.coordinator, "seek find")
    assert "Minneapolis" not in found.text
    found = await sb.command(schools.minneapolis.coordinator, "seek find")
    assert "Najaf" not in found.text
    # Unanswered requests lapse: then both show "no answer".
    await sb.advance(days=15)
    mine = await sb.command(schools.minneapolis.coordinator, "seek mine")
    lapsed = [line for line in mine.text.splitlines() if line.endswith(", no answer")]
    assert len(lapsed) == 2 and "no answer yet" not in mine.text


async def test_double_clicks_answer_once(sb: Sandbox, schools: Schools) -> None:
    _, kumasi, _ = await listed(sb, schools)
    await sb.command(schools.minneapolis.coordinator, "seek introduce", listing=kumasi)
    request = sb.last_message(schools.kumasi.channel)
    replies = await sb.at_once(
        [
            sb.prepare_click(schools.kumasi.coordinator, request, "Accept introduction"),
            sb.prepare_click(schools.kumasi.coordinator, request, "Accept introduction"),
        ]
    )
    assert sum("answered already" in r.text for r in replies) == 1
    assert len(sb.messages_in(schools.minneapolis.channel)) == 1


async def sends_of(sb: Sandbox, kind: str) -> list[tuple[str, int]]:
    async with sb.bot.ctx.db.read() as conn:
        rows = await conn.execute(
            select(scheduled_sends.c.status, scheduled_sends.c.attempts).where(
                scheduled_sends.c.kind == kind
            )
        )
        return [(r.status, r.attempts) for r in rows]


@pytest.mark.parametrize("lost_answer", [False, True], ids=["refused", "posted-answer-lost"])
async def test_the_askers_notice_outlives_discord_failing_and_a_restart(
    sb: Sandbox, schools: Schools, lost_answer: bool
) -> None:
    """Discord fails (503) as the asker's notice of an acceptance is posted, before or after
    posting it: the notice is a planned send, tried again after a restart, and shown once."""
    _, kumasi, _ = await listed(sb, schools)
    await sb.command(schools.minneapolis.coordinator, "seek introduce", listing=kumasi)
    request = sb.last_message(schools.kumasi.channel)
    sb.server.fail_next(
        "POST",
        "/channels/{channel_id}/messages",
        channel_id=schools.minneapolis.channel.id,
        status=503,
        lost_answer=lost_answer,
    )
    await sb.click(schools.kumasi.coordinator, request, "Accept introduction")
    assert "Dr Baker" in sb.last_message(schools.kumasi.channel).content

    def notices() -> list[Message]:
        return [m for m in sb.messages_in(schools.minneapolis.channel) if "Mrs Mensah" in m.content]

    assert len(notices()) == (1 if lost_answer else 0)
    assert await sends_of(sb, "seek.accepted") == [("pending", 1)]
    # Down longer than Discord keeps a nonce: only the look back keeps a posted one single.
    await sb.restart_bot(timedelta(minutes=10))
    await sb.idle()
    told = notices()
    assert len(told) == 1
    assert "/exchange create name:Minneapolis–Kumasi" in told[0].content
    assert await sends_of(sb, "seek.accepted") == [("sent", 1)]


async def statuses(sb: Sandbox) -> dict[int, tuple[str, str | None]]:
    async with sb.bot.ctx.db.read() as conn:
        rows = await conn.execute(
            select(
                directory_listings.c.id,
                directory_listings.c.status,
                directory_listings.c.paused_reason,
            )
        )
        return {r.id: (r.status, r.paused_reason) for r in rows}


async def test_a_server_the_bot_leaves_drops_out_of_the_directory_until_it_is_back(
    sb: Sandbox, schools: Schools
) -> None:
    """Removed from Kumasi's server, the bot hides Kumasi's listing (paused with that reason,
    not deleted); invited back, it shows it again. A coordinator's own pause stays a pause.
    Removed, or invited back, while the bot is down: settled when it starts."""
    mpls, kumasi, najaf = await listed(sb, schools)
    coordinator = schools.minneapolis.coordinator
    await sb.bot_leaves(schools.kumasi.guild)
    found = await sb.command(coordinator, "seek find")
    assert "Kumasi" not in found.text and "Najaf" in found.text
    asked = await sb.command(coordinator, "seek introduce", listing=kumasi)
    assert f"#{kumasi}" in asked.text and "not your name" not in asked.text
    assert await statuses(sb) == {
        mpls: ("active", None),
        kumasi: ("paused", "bot_left"),
        najaf: ("active", None),
    }

    await sb.bot_invited_back(schools.kumasi.guild)
    found = await sb.command(coordinator, "seek find")
    assert "Kumasi" in found.text
    assert (await statuses(sb))[kumasi] == ("active", None)

    # A coordinator's own pause is theirs: the bot leaving and coming back leaves it paused.
    await sb.command(schools.najaf.coordinator, "seek pause", paused=True)
    await sb.bot_leaves(schools.najaf.guild)
    await sb.bot_invited_back(schools.najaf.guild)
    assert (await statuses(sb))[najaf] == ("paused", None)

    # Removed while the bot is down (no GUILD_DELETE reaches it): hidden when it starts.
    async def removed() -> None:
        await sb.bot_leaves(schools.kumasi.guild, told=False)

    await sb.restart_bot(meanwhile=removed)
    assert (await statuses(sb))[kumasi] == ("paused", "bot_left")
    found = await sb.command(coordinator, "seek find")
    assert "Kumasi" not in found.text

    # Invited back while it is down: shown again when it starts.
    async def back() -> None:
        await sb.bot_invited_back(schools.kumasi.guild, told=False)

    await sb.restart_bot(meanwhile=back)
    assert (await statuses(sb))[kumasi] == ("active", None)
    found = await sb.command(coordinator, "seek find")
    assert "Kumasi" in found.text


async def test_bad_input_is_refused_and_changes_nothing(sb: Sandbox, schools: Schools) -> None:
    mpls, kumasi, _ = await listed(sb, schools)

    async def listings() -> int:
        async with sb.bot.ctx.db.read() as conn:
            return int(
                (
                    await conn.execute(select(func.count()).select_from(directory_listings))
                ).scalar_one()
            )

    before = await listings()
    base = {"zone": "Africa/Accra", "languages": "en", "ages": "13-15", "class_size": 20}
    cases = [
        (schools.kumasi.student, {"city": "Accra", **base}, "coordinator"),
        (schools.kumasi.teacher, {"city": "Accra", **base}, "coordinator"),
        (schools.kumasi.coordinator, {**base, "city": "kumasi "}, "listed already"),
        (schools.kumasi.coordinator, {**base, "city": "Accra", "languages": "klingon"}, "klingon"),
        (schools.kumasi.coordinator, {**base, "city": "Accra", "zone": "Mars/Base"}, "Mars"),
        (schools.kumasi.coordinator, {**base, "city": "Accra", "country": "Atlantis"}, "country"),
        (schools.kumasi.coordinator, {**base, "city": "Accra", "months": "spring"}, "month"),
        (
            schools.kumasi.coordinator,
            {**base, "city": "Accra", "note": "Mail me: mensah@school.gh"},
            "e-mail",
        ),
        (
            schools.kumasi.coordinator,
            {**base, "city": "Accra", "note": "Call +233 24 123 4567"},
            "phone number",
        ),
    ]
    for who, options, expected in cases:
        reply = await sb.command(who, "seek post", where=sb.general_of(who), **options)
        assert reply.ephemeral
        assert expected.lower() in reply.text.lower(), (options, reply.text)
    assert await listings() == before

    # A student may not browse; nobody may introduce their own server or a ghost listing.
    reply = await sb.command(schools.minneapolis.student, "seek find")
    assert "coordinator" in reply.text.lower()
    reply = await sb.command(schools.minneapolis.coordinator, "seek introduce", listing=mpls)
    assert "your own server" in reply.text
    reply = await sb.command(schools.minneapolis.coordinator, "seek introduce", listing=99999)
    assert "no listing #99999" in reply.text
    reply = await sb.command(
        schools.minneapolis.coordinator,
        "seek introduce",
        listing=kumasi,
        note="reach me at www.school.example",
    )
    assert "link" in reply.text
    # Another server's listing is not one's own to edit or remove.
    reply = await sb.command(schools.minneapolis.coordinator, "seek remove", listing=kumasi)
    assert "no listing" in reply.text
    async with sb.bot.ctx.db.read() as conn:
        requests = (
            await conn.execute(select(func.count()).select_from(directory_introductions))
        ).scalar_one()
    assert requests == 0


async def test_a_flood_of_introductions_is_stopped(sb: Sandbox, schools: Schools) -> None:
    await listed(sb, schools)
    targets = []
    for index in range(4):
        guild = await sb.add_guild(f"School {index}")
        other = await school(sb, guild, f"Coordinator {index}")
        targets.append(
            await post(
                sb,
                other,
                city=f"Town {index}",
                zone="Europe/London",
                languages="en",
                ages="13-15",
                class_size=10,
            )
        )
    asker = schools.minneapolis.coordinator
    for target in targets[:3]:
        reply = await sb.command(asker, "seek introduce", listing=target)
        assert "Asked" in reply.content
    reply = await sb.command(asker, "seek introduce", listing=targets[3])
    assert "3 requests waiting" in reply.text
    reply = await sb.command(asker, "seek introduce", listing=targets[0])
    assert "asked listing" in reply.text
    # Once they lapse, the server may ask others, but still not the same school again soon.
    await sb.advance(days=15)
    reply = await sb.command(asker, "seek introduce", listing=targets[3])
    assert "Asked" in reply.content
    reply = await sb.command(asker, "seek introduce", listing=targets[0])
    assert "asked listing" in reply.text


async def test_listings_expire_unless_renewed_and_pause_hides_them(
    sb: Sandbox, schools: Schools
) -> None:
    _, kumasi, _ = await listed(sb, schools)
    paused = await sb.command(schools.kumasi.coordinator, "seek pause")
    assert "Paused" in paused.text
    found = await sb.command(schools.minneapolis.coordinator, "seek find")
    assert "Kumasi" not in found.text
    reply = await sb.command(schools.minneapolis.coordinator, "seek introduce", listing=kumasi)
    assert f"no listing #{kumasi}" in reply.text
    await sb.command(schools.kumasi.coordinator, "seek pause", paused=False)
    await sb.advance(days=80)
    await sb.command(schools.kumasi.coordinator, "seek edit", class_size=28)
    await sb.advance(days=20)
    found = await sb.command(schools.minneapolis.coordinator, "seek find")
    # Minneapolis and Najaf were never renewed: gone; Kumasi's edit renewed it.
    assert "Kumasi" in found.text and "Najaf" not in found.text
    mine = await sb.command(schools.najaf.coordinator, "seek mine")
    assert "Listed until" in mine.text


async def test_abuse_reports_reach_the_operator_only(sb: Sandbox, schools: Schools) -> None:
    _, kumasi, _ = await listed(sb, schools)
    reply = await sb.command(
        schools.minneapolis.coordinator, "seek report", listing=kumasi, reason="Spam"
    )
    assert "no channel for reports" in reply.text
    operator = await sb.add_guild("Twinbridge operators")
    desk = sb.add_channel("reports", guild=operator)
    sb.bot.ctx.settings.operator_guild_id = operator.id
    sb.bot.ctx.settings.operator_channel_id = desk.id
    reply = await sb.command(
        schools.minneapolis.coordinator,
        "seek report",
        listing=kumasi,
        reason="It advertises a paid tutoring service.",
    )
    assert "reported to the bot's operator" in reply.content
    report = sb.last_message(desk)
    assert "paid tutoring" in everything_in(report)
    assert str(schools.kumasi.guild.id) in everything_in(report)
    assert sb.messages_in(schools.kumasi.channel) == []


async def test_the_directory_is_closed_to_servers_the_operator_did_not_open(
    tmp_path: Path,
) -> None:
    async with Sandbox.running(tmp_path, settings={"dev_guild_id": None}) as sb:
        mpls = await school(sb, sb.guild, "Dr Baker")
        reply = await sb.command(
            mpls.coordinator,
            "seek post",
            city="Minneapolis",
            zone="America/Chicago",
            languages="en",
            ages="13-15",
            class_size=20,
        )
        assert "not open on this server" in reply.text
        sb.bot.ctx.settings.directory_servers = [sb.guild.id]
        reply = await sb.command(
            mpls.coordinator,
            "seek post",
            city="Minneapolis",
            zone="America/Chicago",
            languages="en",
            ages="13-15",
            class_size=20,
        )
        assert "Listed" in reply.text
        # A listing of a server the directory does not serve is out of reach for it.
        kumasi = await school(sb, await sb.add_guild("Kumasi Academy"), "Mrs Mensah")
        reply = await sb.command(kumasi.coordinator, "seek find")
        assert "not open on this server" in reply.text


async def test_a_coordinator_who_allows_it_is_also_told_by_direct_message(
    sb: Sandbox, schools: Schools
) -> None:
    _, kumasi, najaf = await listed(sb, schools)
    await sb.command(schools.kumasi.coordinator, "seek edit", direct_messages=True)
    await sb.command(schools.minneapolis.coordinator, "seek introduce", listing=kumasi)
    request = sb.last_message(schools.kumasi.channel)
    (notice,) = sb.direct_messages(schools.kumasi.coordinator)
    assert "Minneapolis" in notice.content and str(request.id) in notice.content
    for name in names_of(schools.minneapolis.coordinator):
        assert name not in everything_in(notice)
    # Najaf's coordinator allows it too, but closed direct messages in Discord: the request
    # still arrives in the channel, and the asker hears the same.
    await sb.command(schools.najaf.coordinator, "seek edit", direct_messages=True)
    schools.najaf.coordinator.user.accepts_direct_messages = False
    asked = await sb.command(schools.minneapolis.coordinator, "seek introduce", listing=najaf)
    assert "not your name" in asked.content
    assert sb.messages_in(schools.najaf.channel)
    assert sb.direct_messages(schools.najaf.coordinator) == []
    # Nobody who did not ask for it gets a direct message.
    assert sb.direct_messages(schools.minneapolis.coordinator) == []
