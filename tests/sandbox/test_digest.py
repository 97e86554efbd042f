"""/report digest and the workbooks: the monthly digest in the teachers' channel, and every
/report as an .xlsx workbook."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.domain.digest import first_school_day, next_digest
from bot.i18n import t
from bot.sandbox.driver import Sandbox
from bot.services.digest import KIND
from bot.store.schema import activity, report_digests
from tests.sandbox.reporting_story import PERIOD, Story, three_months
from tests.sandbox.sessions_helpers import compressed_time, count, send_statuses
from tests.sandbox.world import World, make_world


@pytest.fixture
async def sb(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Sandbox]:
    async with compressed_time(tmp_path, request) as sandbox:
        yield sandbox


@pytest.fixture
async def world(sb: Sandbox) -> World:
    world = await make_world(sb)
    for name, city in (("Ben", 0), ("Ali", 1)):
        await world.add_student(name, city)
    await sb.command(world.teacher, "pair confirm")
    return world


def test_the_first_school_day_is_a_weekday_in_both_cities() -> None:
    """Minneapolis rests Saturday and Sunday, Najaf Friday and Saturday: 1 January 2027 is a
    Friday, so the digest waits for Monday the 4th."""
    weekends = [frozenset({6, 7}), frozenset({5, 6})]
    assert first_school_day(2027, 1, weekends) == date(2027, 1, 4)
    assert first_school_day(2026, 12, weekends) == date(2026, 12, 1)
    after = datetime(2026, 12, 1, 15, tzinfo=UTC)  # after 08:00 in Chicago on the 1st
    assert next_digest(after, "America/Chicago", weekends) == datetime(2027, 1, 4, 14, tzinfo=UTC)


async def test_the_digest_goes_to_the_teachers_channel_on_the_first_school_day(
    tmp_path: Path,
) -> None:
    """Turned on in December (after three months of sessions): on Monday 4 January the
    teachers' channel gets December against November, the pairs to nudge, the chart and the
    workbook; the next one is planned for February."""
    async with compressed_time(tmp_path) as sb:
        story: Story = await three_months(sb)
        world = story.ex.world
        reply = await sb.command(world.coordinator, "report digest", state="on")
        assert "monthly digest of **Minneapolis–Najaf** is on" in reply.text
        before = len(sb.messages_in(world.teachers_channel))
        await sb.advance_to(datetime(2027, 1, 4, 14, 1, tzinfo=UTC))
        posted = sb.messages_in(world.teachers_channel)[before:]
        digest = next(m for m in posted if m.embeds and "December 2026" in m.embeds[0]["title"])
        titles = [e["title"] for e in digest.embeds]
        assert titles[0] == "📬 Minneapolis–Najaf · December 2026"
        assert len(digest.embeds) == 2  # English for Minneapolis, Arabic for Najaf
        fields = {f["name"]: f["value"] for f in digest.embeds[0]["fields"]}
        # December against November (tests/sandbox/reporting_story.py): Ben alone came in
        # December, and the prompt, the messages and the chess game were all in December.
        moved = fields["What moved"]
        assert "Attendance: 50% → **25%**" in moved and "Chess games: 0 → **1**" in moved
        assert "Sessions held" not in moved  # one each month: unchanged, not listed
        # By January nobody wrote for 14 days: both pairs are to nudge.
        assert "Maya & Zainab" in fields["Pairs to nudge (2)"]
        names = sorted(a.filename for a in digest.attachments)
        assert names == ["digest-1-2026-12.png", "digest-1-2026-12.xlsx"]
        book = load_workbook(
            io.BytesIO(bytes(next(a for a in digest.attachments if a.filename.endswith("x")).data))
        )
        assert book.sheetnames == ["figures", "cities", "sessions", "dormant pairs"]
        statuses = await send_statuses(sb, KIND)
        assert statuses.count("sent") == 1 and statuses.count("pending") == 1


async def test_no_teachers_channel_no_digest(sb: Sandbox) -> None:
    """Turning it on without a teachers' channel is refused clearly, and nothing is planned."""
    coordinators = sb.add_role("Coordinators")
    await sb.command(
        sb.owner,
        "exchange roles",
        student=sb.add_role("Students"),
        teacher=sb.add_role("Teachers"),
        coordinator=coordinators,
    )
    coordinator = sb.add_member("Dr Baker", roles=[coordinators])
    await sb.command(
        coordinator,
        "exchange create",
        name="Minneapolis–Najaf",
        city_a="Minneapolis",
        zone_a="America/Chicago",
        languages_a="en",
        city_b="Najaf",
        zone_b="Asia/Baghdad",
        languages_b="ar",
    )
    reply = await sb.command(coordinator, "report digest", state="on")
    assert "teachers' channel" in reply.text and "/exchange channels" in reply.text
    assert await count(sb, report_digests) == 0
    assert await send_statuses(sb, KIND) == []


async def test_only_coordinators_turn_it_on_and_off_cancels_the_next(world: World) -> None:
    sb = world.sb
    refused = await sb.command(world.teacher, "report digest", state="on")
    assert "Only coordinators" in refused.text
    await sb.command(world.coordinator, "report digest", state="on")
    assert await send_statuses(sb, KIND) == ["pending"]
    again = await sb.command(world.coordinator, "report digest", state="on")
    assert "already on" in again.text
    off = await sb.command(world.coordinator, "report digest", state="off")
    assert "is off" in off.text
    assert await send_statuses(sb, KIND) == ["cancelled"]
    await sb.advance(timedelta(days=40))
    assert not any("📬" in str(m.embeds) for m in sb.messages_in(world.teachers_channel))


async def test_on_asked_twice_at_once_is_on_once(world: World) -> None:
    """/report digest on sent twice at one moment: one digest planned, one audit row, both
    answered (the second: already on)."""
    sb = world.sb
    replies = await sb.at_once(
        [
            sb.prepare_command(world.coordinator, "report digest", state="on"),
            sb.prepare_command(world.coordinator, "report digest", state="on"),
        ]
    )
    for reply in replies:
        assert reply.acknowledged and reply.text.strip()
        assert t("error.generic", "en") not in reply.text, reply.text
    said = " ".join(r.text for r in replies)
    assert "is on" in said and "already on" in said
    assert await send_statuses(sb, KIND) == ["pending"]
    assert await count(sb, activity, activity.c.kind == "digest.on") == 1


async def test_every_report_comes_as_a_workbook(world: World) -> None:
    """file:xlsx gives the same figures as an Excel workbook, a sheet per level."""
    sb = world.sb
    reply = await sb.command(world.coordinator, "report attendance", file="xlsx", **PERIOD)
    (attachment,) = [a for a in reply.files if a.filename.endswith(".xlsx")]
    assert attachment.filename == f"attendance-1-{PERIOD['from']}-{PERIOD['to']}.xlsx"
    book = load_workbook(io.BytesIO(bytes(attachment.data)))
    assert book.sheetnames == ["cities", "sessions", "students"]
    students = [r[1] for r in book["students"].iter_rows(min_row=2, values_only=True)]
    assert sorted(students) == ["Ali", "Ben"]
    reply = await sb.command(world.coordinator, "report exchange", file="xlsx")
    (attachment,) = [a for a in reply.files if a.filename.endswith(".xlsx")]
    assert load_workbook(io.BytesIO(bytes(attachment.data))).sheetnames[0] == "figures"
    reply = await sb.command(
        world.coordinator, "report student", student=world.students["Ben"], file="xlsx"
    )
    (attachment,) = [a for a in reply.files if a.filename.endswith(".xlsx")]
    assert "Ben" not in attachment.filename
    assert load_workbook(io.BytesIO(bytes(attachment.data))).sheetnames == ["months", "sessions"]
