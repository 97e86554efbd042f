"""`/privacy export|erase`, `/exchange end` and the retention period, through the real bot.

The story: Layla Haddad's family asks what Twinbridge holds about her, then asks for it to be
erased. Later, an exchange ends and, after the retention period, its personal data is pruned.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.i18n import t
from bot.sandbox.driver import Reply, Sandbox
from bot.sandbox.state import Member
from bot.store import personal, roster, sends
from bot.store.schema import activity, metadata, participants, partnerships, scheduled_sends
from tests.sandbox.safety_world import (
    posted_by_an_older_version,
    search_store,
    six_students,
    space_of,
)
from tests.sandbox.world import World, make_world

NAME = "Layla Haddad"


@pytest.fixture
async def short_retention(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Sandbox]:
    """A bot whose operator set RETENTION_DAYS=30."""
    monkeypatch.setenv("RETENTION_DAYS", "30")
    async with Sandbox.running(tmp_path) as sandbox:
        yield sandbox


async def layla_everywhere(sb: Sandbox) -> tuple[World, Member]:
    """A world where Layla has rows in every table that can hold a person."""
    world = await make_world(sb)
    await six_students(world)
    layla = await world.add_student(
        NAME, 1, intro="I love drawing horses 🐎", interests=("drawing",), languages=("ar",)
    )
    await world.add_student("Lena", 0, interests=("drawing",))
    async with sb.bot.ctx.db.transaction() as conn:
        her = await roster.find(conn, world.exchange_id, layla.user.id)
        ben = await roster.find(conn, world.exchange_id, world.students["Ben"].user.id)
        assert her and ben
        await roster.add_keep_apart(
            conn, world.exchange_id, her.id, ben.id, world.teacher.user.id, sb.now()
        )
        # A later feature's reminder naming her (the registry scrubs keys and payloads).
        await sends.plan(
            conn,
            key=f"test:nudge:{layla.user.id}",
            kind="test.nudge",
            due_at=sb.now().replace(year=2027),
            guild_id=sb.guild.id,
            partnership_id=world.exchange_id,
            payload={"user_id": layla.user.id, "name": NAME},
        )
    await sb.command(world.teacher, "pair confirm")
    # She reports something, in her own words, and someone reports a message of hers.
    offer = await sb.command(layla, "concern")
    done = await sb.choose(layla, offer, ["uncomfortable"])
    form = await sb.click(layla, done, t("report.add_details", "ar"))  # she reads Arabic
    await sb.submit(layla, form, details=f"I am {NAME}, he asked for my phone")
    space = space_of(sb, layla)
    message = await sb.say(layla, space, "hello!")
    partner = next(
        m
        for m in world.students.values()
        if m is not layla and sb.guild.can_view(m.user.id, space.id)
    )
    offer = await sb.context_menu(partner, "Report to teacher", message)
    await sb.choose(partner, offer, ["spam"])
    return world, layla


def exported(reply: Reply) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(reply.files[0].data)
    return document


async def table_counts(sb: Sandbox) -> dict[str, int]:
    async with sb.bot.ctx.db.read() as conn:
        return {
            t.name: int((await conn.execute(select(func.count()).select_from(t))).scalar_one())
            for t in metadata.sorted_tables
        }


async def activity_kinds(sb: Sandbox) -> Counter[str]:
    async with sb.bot.ctx.db.read() as conn:
        return Counter((await conn.scalars(select(activity.c.kind))).all())


async def test_export_holds_every_row_about_the_student(sb: Sandbox) -> None:
    """Every row in any table that names her id or her roster row is in the JSON file."""
    world, layla = await layla_everywhere(sb)
    reply = await sb.command(world.coordinator, "privacy export", student=layla)
    assert reply.ephemeral and "Keep this file safe" in reply.text
    document = exported(reply)
    assert document["user_id"] == str(layla.user.id)
    tables = document["tables"]
    assert tables["participants"][0]["intro"] == "I love drawing horses 🐎"
    assert {r["reason"] for r in tables["reports"]} == {"uncomfortable", "spam"}
    assert any("phone" in r["details"] for r in tables["reports"])
    assert tables["keep_apart"] and tables["pair_members"]
    assert tables["scheduled_sends"][0]["payload"]["name"] == NAME
    # A brute-force search of the whole store finds nothing the export left out.
    async with sb.bot.ctx.db.read() as conn:
        pids = await personal.participant_ids(conn, personal.Person(sb.guild.id, layla.user.id))
        for table in metadata.sorted_tables:
            keys = [c.name for c in table.primary_key.columns]
            shipped = {tuple(str(r[k]) for k in keys) for r in tables.get(table.name, [])}
            for row in await conn.execute(select(table)):
                values = row._mapping
                about_her = any(
                    v == layla.user.id or (isinstance(v, str) and str(layla.user.id) in v)
                    for v in values.values()
                ) or any(
                    values[c.name] in pids
                    for c in table.columns
                    if any(k.column.table.name == "participants" for k in c.foreign_keys)
                )
                if about_her and not (
                    table.name == "activity" and values["kind"] == "privacy.exported"
                ):
                    assert tuple(str(values[k]) for k in keys) in shipped, (
                        table.name,
                        dict(values),
                    )


async def test_export_is_logged_with_who_asked(sb: Sandbox) -> None:
    """The audit log says which coordinator exported whose data."""
    world, layla = await layla_everywhere(sb)
    await sb.command(world.coordinator, "privacy export", student=layla)
    async with sb.bot.ctx.db.read() as conn:
        row = (
            await conn.execute(select(activity).where(activity.c.kind == "privacy.exported"))
        ).one()
    assert row.actor_id == world.coordinator.user.id
    assert json.loads(row.details)["subject_id"] == layla.user.id


async def test_export_by_user_id_for_someone_who_left(sb: Sandbox) -> None:
    """A student who left the server is found by their user id."""
    world, layla = await layla_everywhere(sb)
    reply = await sb.command(world.coordinator, "privacy export", user_id=str(layla.user.id))
    assert exported(reply)["tables"]["participants"]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, "Name the person"),
        ({"user_id": "layla"}, "is not a Discord user id"),
        ({"user_id": "123456789012345678"}, "stores nothing about that person"),
    ],
)
async def test_export_explains_what_is_wrong(
    sb: Sandbox, options: dict[str, str], expected: str
) -> None:
    """Nobody named, a name instead of an id, or an unknown id: a clear answer, no file."""
    world = await make_world(sb)
    reply = await sb.command(world.coordinator, "privacy export", **options)
    assert reply.ephemeral and expected in reply.text and not reply.files


async def test_only_coordinators_export_or_erase(sb: Sandbox) -> None:
    """A teacher is told only coordinators can; nothing is logged or changed."""
    world, layla = await layla_everywhere(sb)
    before = await table_counts(sb)
    for command in ("privacy export", "privacy erase"):
        reply = await sb.command(world.teacher, command, student=layla)
        assert "Only coordinators" in reply.text and not reply.files
    assert await table_counts(sb) == before


async def test_erase_asks_first_and_cancel_changes_nothing(sb: Sandbox) -> None:
    """The confirmation lists what will change; Cancel leaves everything as it was."""
    world, layla = await layla_everywhere(sb)
    ask = await sb.command(world.coordinator, "privacy erase", student=layla)
    assert "This cannot be undone" in ask.text and "`participants`: 1" in ask.text
    assert NAME in ask.text
    before = await search_store(sb, layla.user.id, (NAME,))
    cancelled = await sb.click(world.coordinator, ask, "Cancel")
    assert "Nothing was changed" in cancelled.text
    assert await search_store(sb, layla.user.id, (NAME,)) == before != []


async def test_after_erase_no_table_holds_her_id_or_name(sb: Sandbox) -> None:
    """Every table and column, searched: neither her Discord id nor her name remains."""
    world, layla = await layla_everywhere(sb)
    await sb.command(world.coordinator, "privacy export", student=layla)
    ask = await sb.command(world.coordinator, "privacy erase", student=layla)
    done = await sb.click(world.coordinator, ask, "Erase for good")
    assert "is erased" in done.text
    assert await search_store(sb, layla.user.id, ("Layla", "Haddad", "horses", "phone")) == []


async def test_an_erase_confirmation_posted_by_an_older_version_still_works(sb: Sandbox) -> None:
    """Cancel (`tb:pc`) and Erase (`tb:pe:<id>`) sent before their ids changed still cancel
    and erase."""
    world, layla = await layla_everywhere(sb)
    before = await search_store(sb, layla.user.id, (NAME,))
    ask = await sb.command(world.coordinator, "privacy erase", student=layla)
    posted_by_an_older_version(ask, {"Cancel": "tb:pc"})
    cancelled = await sb.click(world.coordinator, ask, custom_id="tb:pc")
    assert "Nothing was changed" in cancelled.text
    assert await search_store(sb, layla.user.id, (NAME,)) == before != []
    ask = await sb.command(world.coordinator, "privacy erase", student=layla)
    old = f"tb:pe:{layla.user.id}"
    posted_by_an_older_version(ask, {"Erase for good": old})
    done = await sb.click(world.coordinator, ask, custom_id=old)
    assert "is erased" in done.text
    assert await search_store(sb, layla.user.id, ("Layla", "Haddad", "horses", "phone")) == []


async def test_erase_keeps_the_counts(sb: Sandbox) -> None:
    """Rows stay (anonymous), so every table's count and the log's counts still add up."""
    world, layla = await layla_everywhere(sb)
    before, kinds = await table_counts(sb), await activity_kinds(sb)
    ask = await sb.command(world.coordinator, "privacy erase", student=layla)
    await sb.click(world.coordinator, ask, "Erase for good")
    after = await table_counts(sb)
    # She was still on the roster: the erasure first takes her off it (as /roster remove does),
    # which ends her pair: its channel gets its archived- name by a scheduled send.
    assert after == {
        **before,
        "activity": before["activity"] + 2,
        "scheduled_sends": before["scheduled_sends"] + 1,
    }
    assert await activity_kinds(sb) == kinds + Counter({"privacy.erased": 1, "roster.removed": 1})
    async with sb.bot.ctx.db.read() as conn:
        row = (
            await conn.execute(
                select(participants).where(participants.c.display_name == "[erased]")
            )
        ).one()
        erased = (
            await conn.execute(select(activity).where(activity.c.kind == "privacy.erased"))
        ).one()
    assert row.user_id < 0 and row.status == "removed" and row.intro == "" and row.interests == "[]"
    assert erased.actor_id == world.coordinator.user.id
    # One pseudonym per person and exchange: her rows still group together.
    async with sb.bot.ctx.db.read() as conn:
        actors = set(
            (await conn.scalars(select(activity.c.actor_id).where(activity.c.actor_id < 0))).all()
        )
    assert actors == {row.user_id}


async def test_the_bot_keeps_working_after_an_erasure(sb: Sandbox) -> None:
    """History, reports and pairing still work; she is not paired again."""
    world, layla = await layla_everywhere(sb)
    ask = await sb.command(world.coordinator, "privacy erase", student=layla)
    await sb.click(world.coordinator, ask, "Erase for good")
    assert "[erased]" in (await sb.command(world.teacher, "pair history")).text
    listed = await sb.command(world.teacher, "concerns")
    assert "#1" in listed.text and "Layla" not in listed.text
    preview = await sb.command(world.teacher, "pair preview")
    assert "Layla" not in preview.text and "[erased]" not in preview.text


async def test_an_erased_name_reads_in_each_readers_language(sb: Sandbox) -> None:
    """The database keeps one sentinel; a French teacher reads « [effacé] », not English."""
    world, layla = await layla_everywhere(sb)
    ask = await sb.command(world.coordinator, "privacy erase", student=layla)
    await sb.click(world.coordinator, ask, "Erase for good")
    teacher = sb.add_member("Mme Diallo", roles=[world.teachers_role], locale="fr")
    await sb.command(teacher, "join", city="Najaf", language="fr")
    history = (await sb.command(teacher, "pair history")).text
    assert t("privacy.erased_name", "fr") == "[effacé]"
    assert "[effacé]" in history and "[erased]" not in history and "Layla" not in history
    assert "[erased]" in (await sb.command(world.teacher, "pair history")).text


@pytest.mark.pseudo_locale  # an erased name is the catalogue's word, marked like every other
async def test_an_erased_name_is_no_text_past_the_catalogue(sb: Sandbox) -> None:
    world, layla = await layla_everywhere(sb)
    ask = await sb.command(world.coordinator, "privacy erase", student=layla)
    await sb.click(world.coordinator, ask, "Erase for good")
    await sb.command(world.teacher, "pair history")


async def ended(world: World) -> Reply:
    sb = world.sb
    ask = await sb.command(world.coordinator, "exchange end", exchange=world.exchange_id)
    assert "This cannot be undone" in ask.text
    return await sb.click(world.coordinator, ask, "End the exchange")


async def test_ending_an_exchange_archives_its_spaces_and_stops_its_sends(sb: Sandbox) -> None:
    """/exchange end: spaces read-only and kept, pending sends cancelled, logged."""
    world, layla = await layla_everywhere(sb)
    space = space_of(sb, layla)
    done = await ended(world)
    assert "has ended" in done.text
    assert space.name.startswith("archived-")
    async with sb.bot.ctx.db.read() as conn:
        status = await conn.scalar(
            select(scheduled_sends.c.status).where(scheduled_sends.c.kind == "test.nudge")
        )
        row = (
            await conn.execute(select(activity).where(activity.c.kind == "exchange.ended"))
        ).one()
    assert status == "cancelled"
    assert row.actor_id == world.coordinator.user.id
    assert "no exchange" in (await sb.command(world.teacher, "exchange info")).text


async def test_only_coordinators_end_an_exchange(sb: Sandbox) -> None:
    world = await make_world(sb)
    reply = await sb.command(world.teacher, "exchange end")
    assert "Only coordinators" in reply.text


async def test_personal_data_is_pruned_after_the_retention_period(
    short_retention: Sandbox,
) -> None:
    """RETENTION_DAYS after the end, the daily job anonymises everyone of that exchange only."""
    sb = short_retention
    world, layla = await layla_everywhere(sb)
    # Another exchange of the server goes on; its student must be untouched.
    reply = await sb.command(
        world.coordinator,
        "exchange create",
        name="Winston-Salem–Kumasi",
        city_a="Winston-Salem",
        zone_a="America/New_York",
        languages_a="en",
        city_b="Kumasi",
        zone_b="Africa/Accra",
        languages_b="en, ak",
    )
    other_id = int(reply.embeds[0]["footer"]["text"].rsplit("#", 1)[1])
    kofi = sb.add_member("Kofi Mensah", roles=[world.students_role])
    async with sb.bot.ctx.db.transaction() as conn:
        await roster.add(
            conn,
            guild_id=sb.guild.id,
            exchange_id=other_id,
            user_id=kofi.user.id,
            role=roster.Role.STUDENT,
            display_name="Kofi Mensah",
            city_id=None,
            now=sb.now(),
        )
    await ended(world)
    await sb.advance(days=29)
    assert await search_store(sb, layla.user.id, (NAME,)) != []
    await sb.advance(days=2)
    people = [*world.students.values(), layla, world.teacher, world.coordinator]
    ids = {m.user.id for m in people}
    async with sb.bot.ctx.db.read() as conn:
        for table in metadata.sorted_tables:
            if "partnership_id" not in table.c:
                continue
            rows = await conn.execute(
                select(table).where(table.c.partnership_id == world.exchange_id)
            )
            for row in rows:
                for value in row._mapping.values():
                    assert value not in ids, (table.name, dict(row._mapping))
                    if isinstance(value, str):
                        assert not any(str(i) in value for i in ids), (table.name, value)
    assert await search_store(sb, layla.user.id, ("Layla", "Haddad", "horses", "phone")) == []

    assert await search_store(sb, kofi.user.id, ("Kofi Mensah",)) != []
    async with sb.bot.ctx.db.read() as conn:
        pruned_at = await conn.scalar(
            select(partnerships.c.pruned_at).where(partnerships.c.id == world.exchange_id)
        )
        log = (
            await conn.execute(select(activity).where(activity.c.kind == "privacy.pruned"))
        ).one()
        names = set(
            (
                await conn.scalars(
                    select(participants.c.display_name).where(
                        participants.c.partnership_id == world.exchange_id
                    )
                )
            ).all()
        )
    assert names == {"[erased]"}
    assert pruned_at is not None
    assert log.actor_id is None and json.loads(log.details)["people"] >= 9


async def test_pruning_happens_at_start_up_after_downtime(short_retention: Sandbox) -> None:
    """Down when the day's run was due: the bot prunes as soon as it is back."""
    sb = short_retention
    world, layla = await layla_everywhere(sb)
    await ended(world)
    assert await search_store(sb, layla.user.id, (NAME,)) != []
    await sb.restart_bot(downtime=timedelta(days=45))
    assert await search_store(sb, layla.user.id, ("Layla", "Haddad", "horses", "phone")) == []
