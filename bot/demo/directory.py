"""Chapter: cities seeking cities. A Minneapolis school looks for a second partner among
schools of other servers, asks to be introduced, and names cross only on acceptance."""

from __future__ import annotations

from bot.demo.story import DemoRun
from bot.sandbox.driver import Sandbox
from bot.sandbox.state import Channel, Guild, Member

# The chapter's heading on the demo's page (index.html).
TITLE = "Cities seeking cities: finding a partner school"


async def _school(sb: Sandbox, guild: Guild, coordinator: str) -> tuple[Member, Channel]:
    """Another server that uses Twinbridge: its roles, its coordinator and teachers' channel."""
    roles = {
        kind: sb.add_role(f"{kind.title()}s", guild=guild)
        for kind in ("student", "teacher", "coordinator")
    }
    await sb.command(
        sb.owner_of(guild),
        "exchange roles",
        student=roles["student"],
        teacher=roles["teacher"],
        coordinator=roles["coordinator"],
    )
    channel = sb.add_channel(
        "teachers", private_to=[roles["teacher"], roles["coordinator"]], guild=guild
    )
    return sb.add_member(coordinator, roles=[roles["coordinator"]], guild=guild), channel


async def chapter(run: DemoRun) -> None:
    """Two schools of other servers list themselves; Dr Baker finds them ranked by shared
    school hours, language, ages and themes, asks Kumasi, and Kumasi accepts."""
    sb, story = run.sb, run.story
    assert run.coordinator is not None and run.teachers_channel is not None
    baker = run.coordinator

    story.section("Schools in other servers list themselves (no student data, ever)")
    kumasi_guild = await sb.add_guild("Kumasi Academy", owner="Mr Owusu")
    mensah, kumasi_channel = await _school(sb, kumasi_guild, "Mrs Mensah")
    await sb.command(
        mensah,
        "seek post",
        where=kumasi_channel,
        city="Kumasi",
        zone="Africa/Accra",
        languages="en, ak",
        ages="13-15, 16-18",
        class_size=30,
        themes="chess, environment",
        months="sep-jun",
        note="A secondary school with a strong chess club; we would love a spring exchange.",
    )
    chengdu_guild = await sb.add_guild("Chengdu No. 7 School", owner="Principal Li")
    wang, chengdu_channel = await _school(sb, chengdu_guild, "Ms Wang")
    await sb.command(
        wang,
        "seek post",
        where=chengdu_channel,
        city="Chengdu",
        zone="Asia/Shanghai",
        languages="zh, en",
        ages="16-18",
        class_size=40,
        themes="science, arts",
    )

    story.section("Dr Baker lists Minneapolis and finds partner schools, with the reasons")
    await sb.command(
        baker,
        "seek post",
        where=run.teachers_channel,
        city="Minneapolis",
        zone="America/Chicago",
        languages="en, es",
        ages="13-15",
        class_size=24,
        themes="chess",
        months="sep-may",
        note="A public middle school; our students already meet Najaf's every month.",
    )
    await sb.command(baker, "seek find", where=run.teachers_channel)
    story.note("no coordinator's name is shown: only what each school offers and seeks")

    story.section("Dr Baker asks to be introduced to Kumasi; Mrs Mensah accepts")
    listing = _listing_id(sb, kumasi_channel)
    await sb.command(
        baker,
        "seek introduce",
        where=run.teachers_channel,
        listing=listing,
        note="Our chess club would love to play yours this spring.",
    )
    request = sb.last_message(kumasi_channel)
    story.note(
        "the request in Kumasi's teachers' channel carries Minneapolis's listing, not a name"
    )
    await sb.click(mensah, request, "Accept introduction")
    story.note("now, and only now, each coordinator has the other's Discord name, and the steps")


def _listing_id(sb: Sandbox, channel: Channel) -> int:
    """The listing id in a school's own confirmation (its title "Listed: #N · …")."""
    for interaction in reversed(list(sb.server.interactions.values())):
        message = interaction.response_message
        if interaction.channel_id != channel.id or message is None or not message.embeds:
            continue
        title = str(message.embeds[0].get("title", ""))
        if title.startswith("Listed: #"):
            return int(title.removeprefix("Listed: #").split(" ", 1)[0])
    raise LookupError("no listing posted there")
