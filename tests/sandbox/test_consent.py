"""Age and consent through the real bot (issue 23): `/roster consent|consent-rule|band|export`,
who a pairing round leaves out, the old "10-12" band flagged to teachers, reports and privacy.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from bot.i18n import t, unisolated
from bot.sandbox.driver import Sandbox, Upload
from bot.sandbox.state import Channel, Member
from bot.store import consent as consent_store
from bot.store import pairing as pairing_store
from bot.store import roster
from bot.store.schema import activity, consents
from tests.sandbox.world import World, make_world


@pytest.fixture
async def world(sb: Sandbox) -> World:
    return await make_world(sb)


def pair_spaces(sb: Sandbox) -> list[Channel]:
    return [c for c in sb.guild.channels.values() if c.name.startswith("pair-")]


async def consent_of(sb: Sandbox, exchange_id: int, member: Member) -> tuple[bool, int] | None:
    """(on file, recorded by) for this student, or None when nothing is recorded."""
    async with sb.bot.ctx.db.read() as conn:
        found = await roster.find(conn, exchange_id, member.user.id)
        assert found is not None
        record = (await consent_store.records(conn, exchange_id, [found.id])).get(found.id)
    return None if record is None else (record.on_file, record.recorded_by)


# -- recording consent ----------------------------------------------------------------------------


async def test_a_teacher_records_consent_with_who_and_when(world: World) -> None:
    sb = world.sb
    ben = await world.add_student("Ben", 0, consent=None)
    before = await sb.command(world.teacher, "roster list")
    assert "Ben" in before.text and "no consent on file" in before.text
    reply = await sb.command(world.teacher, "roster consent", student=ben, on_file=True)
    assert "Consent on file for **Ben**" in reply.text
    assert f"<@{world.teacher.user.id}>" in reply.text and "<t:" in reply.text
    assert await consent_of(sb, world.exchange_id, ben) == (True, world.teacher.user.id)
    after = await sb.command(world.teacher, "roster list")
    assert "✅ consent" in after.text
    async with sb.bot.ctx.db.read() as conn:
        logged = (
            await conn.execute(select(activity).where(activity.c.kind == "roster.consent"))
        ).one()
    assert logged.actor_id == world.teacher.user.id
    assert json.loads(logged.details)["on_file"] is True


async def test_withdrawn_consent_says_the_student_waits_for_pairing(world: World) -> None:
    sb = world.sb
    ben = await world.add_student("Ben", 0)
    reply = await sb.command(world.teacher, "roster consent", student=ben, on_file=False)
    assert "Consent withdrawn for **Ben**" in reply.text
    assert "not paired until consent is on file again" in reply.text
    assert await consent_of(sb, world.exchange_id, ben) == (False, world.teacher.user.id)


async def test_withdrawn_for_a_paired_student_teachers_are_told_and_may_end_the_pair(
    world: World,
) -> None:
    """The teacher who withdrew it and the teachers' channel see the pair and what to do; the
    pair goes on until one presses End this pair (the space turns read-only, nothing is
    deleted); the student is left out of the next round either way."""
    sb = world.sb
    ben = await world.add_student("Ben", 0)
    ali = await world.add_student("Ali", 1)
    await world.add_student("Maya", 0)
    await world.add_student("Zainab", 1)
    await sb.command(world.teacher, "pair confirm")
    await sb.idle()
    before = len(sb.messages_in(world.teachers_channel))
    reply = await sb.command(world.teacher, "roster consent", student=ben, on_file=False)
    assert "**Ben** is in a pair now (with Ali, in <#" in reply.text
    end = t("consent.button.end_pair", "en")
    await sb.idle()
    told = sb.messages_in(world.teachers_channel)[before:]
    assert len(told) == 1
    assert "consent for **Ben** was withdrawn" in told[0].content and "Ali" in told[0].content
    assert not told[0].mention_everyone and told[0].mention_roles == []
    # A restart does not tell them twice.
    await sb.restart_bot()
    await sb.idle()
    assert len(sb.messages_in(world.teachers_channel)[before:]) == 1
    # Nothing ended yet; the next round leaves Ben out.
    space = next(c for c in pair_spaces(sb) if sb.guild.can_view(ben.user.id, c.id))
    async with sb.bot.ctx.db.read() as conn:
        me = await roster.find(conn, world.exchange_id, ben.user.id)
        assert me is not None
        assert await pairing_store.live_pair_of(conn, me.id) is not None
    preview = await sb.command(world.teacher, "pair preview")
    assert "1 student is left out until a guardian's consent is on file" in preview.text
    # Ustadh Kareem (Ali's teacher) ends it from the channel's notice.
    labels = " · ".join(t("consent.button.end_pair", lang) for lang in ("en", "ar"))
    ended = await sb.click(world.partner_teacher, told[0], labels)
    assert ended.acknowledged
    async with sb.bot.ctx.db.read() as conn:
        assert await pairing_store.live_pair_of(conn, me.id) is None
    assert space.id in sb.guild.channels, "nothing is deleted"
    (settled,) = sb.messages_in(world.teachers_channel)[before:]
    assert not settled.components
    who = f"<@{world.partner_teacher.user.id}>"
    assert unisolated(t("consent.pair_ended", "ar", who=who)) in unisolated(settled.content)
    # The teacher's own copy of the button now finds no pair to end: nothing more happens.
    again = await sb.click(world.teacher, reply, end)
    told_again = "\n".join(m.content for m in again.followups)
    assert t("error.not_paired", "en", name="Ben") in told_again
    assert sb.guild.can_view(ali.user.id, space.id), "Ali still reads the archived space"


async def test_withdrawn_consent_holds_a_student_back_even_with_the_rule_off(
    world: World,
) -> None:
    sb = world.sb
    await world.add_student("Ben", 0)
    await world.add_student("Ali", 1)
    await world.add_student("Maya", 0, consent=False)
    await sb.command(world.coordinator, "roster consent-rule", required=False)
    preview = await sb.command(world.teacher, "pair preview")
    assert "1 student is left out until a guardian's consent is on file" in preview.text
    assert "Maya" in preview.text and "Maya (Minneapolis)" not in preview.text


async def test_a_teacher_of_the_other_city_is_refused(world: World) -> None:
    """Ms Rivera teaches in Minneapolis: Ali's consent (Najaf) is Ustadh Kareem's to record."""
    sb = world.sb
    ali = await world.add_student("Ali", 1, consent=None)
    reply = await sb.command(world.teacher, "roster consent", student=ali, on_file=True)
    assert "own city's students (Minneapolis)" in reply.text
    assert await consent_of(sb, world.exchange_id, ali) is None
    done = await sb.command(world.partner_teacher, "roster consent", student=ali, on_file=True)
    assert "**Ali**" in unisolated(done.text)
    assert await consent_of(sb, world.exchange_id, ali) == (True, world.partner_teacher.user.id)


async def test_a_coordinator_records_consent_in_either_city(world: World) -> None:
    ali = await world.add_student("Ali", 1, consent=None)
    reply = await world.sb.command(world.coordinator, "roster consent", student=ali, on_file=True)
    assert "Consent on file for **Ali**" in reply.text


async def test_a_teacher_of_another_exchange_is_refused(world: World) -> None:
    """A teacher of Minneapolis–Najaf cannot record consent in Winston-Salem–Kumasi."""
    sb = world.sb
    other = await world.other_exchange("Kofi", "Ama", paired=False)
    kofi = next(m for m in sb.guild.members.values() if m.user.global_name == "Kofi")
    async with sb.bot.ctx.db.transaction() as conn:
        found = await roster.find(conn, other, kofi.user.id)
        assert found is not None
        before = await consent_store.records(conn, other)
    reply = await sb.command(
        world.teacher, "roster consent", student=kofi, on_file=False, exchange=other
    )
    assert t("error.not_staff_here", "en") in reply.text
    async with sb.bot.ctx.db.read() as conn:
        assert await consent_store.records(conn, other) == before
    # Naming no exchange, it is hers: Kofi is not a student there.
    mine = await sb.command(world.teacher, "roster consent", student=kofi, on_file=False)
    assert t("error.not_a_student", "en") in mine.text
    async with sb.bot.ctx.db.read() as conn:
        assert await consent_store.records(conn, other) == before


# -- pairing --------------------------------------------------------------------------------------


async def test_students_without_consent_are_named_in_the_preview_and_not_paired(
    world: World,
) -> None:
    sb = world.sb
    ben = await world.add_student("Ben", 0)
    ali = await world.add_student("Ali", 1)
    maya = await world.add_student("Maya", 0, consent=None)
    zainab = await world.add_student("Zainab", 1, consent=False)
    preview = await sb.command(world.teacher, "pair preview")
    assert "2 students are left out until a guardian's consent is on file" in preview.text
    assert "Maya" in preview.text and "Zainab" in preview.text
    await sb.command(world.teacher, "pair confirm")
    (space,) = pair_spaces(sb)
    assert sb.guild.can_view(ben.user.id, space.id) and sb.guild.can_view(ali.user.id, space.id)
    assert not sb.guild.can_view(maya.user.id, space.id)
    assert not sb.guild.can_view(zainab.user.id, space.id)
    # Without consent they still read the exchange's announcements.
    assert world.announcements in sb.visible_channels(maya)
    # Recorded: the next round places them.
    await sb.command(world.teacher, "roster consent", student=maya, on_file=True)
    await sb.command(world.partner_teacher, "roster consent", student=zainab, on_file=True)
    again = await sb.command(world.teacher, "pair preview")
    assert "left out until" not in again.text
    assert "Maya" in again.text and "Zainab" in again.text


async def test_only_students_without_consent_cannot_be_paired_and_are_told_why(
    world: World,
) -> None:
    await world.add_student("Ben", 0, consent=None)
    await world.add_student("Ali", 1, consent=None)
    reply = await world.sb.command(world.teacher, "pair preview")
    assert "Only 0 students can be paired: 2 are waiting for a guardian's consent" in reply.text


async def test_with_the_rule_off_students_are_paired_without_consent(world: World) -> None:
    sb = world.sb
    await world.add_student("Ben", 0, consent=None)
    await world.add_student("Ali", 1, consent=None)
    rule = await sb.command(world.coordinator, "roster consent-rule", required=False)
    assert "paired without consent on file" in rule.text
    preview = await sb.command(world.teacher, "pair preview")
    assert "left out" not in preview.text and "Ben" in preview.text and "Ali" in preview.text
    back = await sb.command(world.coordinator, "roster consent-rule", required=True)
    assert "2 students are waiting for it" in back.text


# -- the old band under 13 ------------------------------------------------------------------------


async def test_a_student_of_the_old_band_is_flagged_until_a_teacher_sets_one(world: World) -> None:
    sb = world.sb
    ben = await world.add_student("Ben", 0, grade_band="10-12")
    listed = await sb.command(world.teacher, "roster list")
    assert "⚠️" in listed.text and "(under 13: set a new band)" in listed.text
    assert "1 student has the age band 10–12" in listed.text
    # The stored band is not changed silently.
    async with sb.bot.ctx.db.read() as conn:
        found = await roster.find(conn, world.exchange_id, ben.user.id)
    assert found is not None and found.grade_band == "10-12"
    refused = await sb.command(
        world.partner_teacher, "roster band", student=ben, grade_band="13-15"
    )
    # Ustadh Kareem teaches in Najaf (and reads Arabic): Ben is Ms Rivera's to re-band.
    assert t("consent.error.other_city", "ar", city="Najaf") in refused.text
    set_ = await sb.command(world.teacher, "roster band", student=ben, grade_band="13-15")
    assert "**Ben** is now in the age band 13-15 (was 10-12)" in set_.text
    again = await sb.command(world.teacher, "roster list")
    assert "under 13" not in again.text and "10–12" not in again.text


async def test_teachers_are_told_of_the_old_band_in_their_channel_at_start_up(
    world: World,
) -> None:
    """At start-up, once a day: a restart the same day posts no second notice."""
    sb = world.sb
    await world.add_student("Ben", 0, grade_band="10-12")
    await sb.restart_bot()
    await sb.idle()
    notices = [m for m in sb.messages_in(world.teachers_channel) if "10–12" in m.content]
    assert len(notices) == 1
    assert "Ben" in notices[0].content and "/roster band" in notices[0].content
    assert "الفئة العمرية" in notices[0].content  # Najaf's teachers read Arabic
    await sb.restart_bot()
    await sb.idle()
    assert len([m for m in sb.messages_in(world.teachers_channel) if "10–12" in m.content]) == 1


async def test_nothing_is_posted_at_start_up_without_a_flagged_band(world: World) -> None:
    sb = world.sb
    await world.add_student("Ben", 0)
    before = len(sb.messages_in(world.teachers_channel))
    await sb.restart_bot()
    await sb.idle()
    assert len(sb.messages_in(world.teachers_channel)) == before


async def test_join_and_import_refuse_the_old_band_with_the_minimum_age(world: World) -> None:
    sb = world.sb
    sb.add_member("Noor", roles=[world.students_role])
    csv = b"user,city,grade_band,languages\nnoor,Minneapolis,10-12,en\n"
    reply = await sb.command(world.teacher, "roster import", file=Upload("c.csv", csv))
    assert "under Discord's minimum age (13)" in reply.text
    assert "0 students imported" in reply.text


# -- CSV ------------------------------------------------------------------------------------------


async def test_the_csv_import_records_consent_for_the_teachers_own_city(world: World) -> None:
    sb = world.sb
    noor = sb.add_member("Noor", roles=[world.students_role])
    sam = sb.add_member("Sam", roles=[world.students_role])
    layla = sb.add_member("Layla", roles=[world.students_role])
    csv = (
        b"user,city,grade_band,languages,consent\n"
        b"noor,Minneapolis,13-15,en,yes\n"
        b"sam,Minneapolis,13-15,en,\n"
        b"layla,Najaf,13-15,ar,yes\n"
    )
    reply = await sb.command(world.teacher, "roster import", file=Upload("c.csv", csv))
    assert "2 students imported" in reply.text
    assert "line 4" in reply.text and "own city's students (Minneapolis)" in reply.text
    assert await consent_of(sb, world.exchange_id, noor) == (True, world.teacher.user.id)
    assert await consent_of(sb, world.exchange_id, sam) is None
    async with sb.bot.ctx.db.read() as conn:
        assert await roster.find(conn, world.exchange_id, layla.user.id) is None


async def test_the_export_has_a_consent_column_the_import_reads_back(world: World) -> None:
    sb = world.sb
    ben = await world.add_student("Ben", 0)
    ali = await world.add_student("Ali", 1, consent=None)
    reply = await sb.command(world.teacher, "roster export")
    lines = reply.file(f"roster-{world.exchange_id}.csv").data.decode("utf-8-sig").splitlines()
    assert lines[0] == "user,city,grade_band,languages,consent"
    assert f"{ben.user.id},Minneapolis,13-15,en,yes" in lines
    assert f"{ali.user.id},Najaf,13-15,en,no" in lines


# -- reports and privacy --------------------------------------------------------------------------


async def test_the_exchange_report_shows_consent_coverage_per_city(world: World) -> None:
    sb = world.sb
    await world.add_student("Ben", 0)
    await world.add_student("Maya", 0, consent=None)
    await world.add_student("Ali", 1)
    await world.add_student("Zainab", 1, grade_band="10-12")
    reply = await sb.command(world.coordinator, "report exchange")
    field = next(
        f for f in reply.embeds[0]["fields"] if f["name"] == t("consent.report_title", "en")
    )
    assert "Minneapolis: 1 of 2 students" in field["value"]
    assert "Najaf: 2 of 2 students" in field["value"]
    assert "1 student has an age band under 13" in field["value"]


async def test_privacy_export_and_erasure_cover_consent(world: World) -> None:
    sb = world.sb
    ben = await world.add_student("Ben", 0)
    await world.add_student("Ali", 1)
    reply = await sb.command(world.coordinator, "privacy export", student=ben)
    document: dict[str, Any] = json.loads(reply.files[0].data)
    (row,) = document["tables"]["consents"]
    assert row["on_file"] in (True, 1)
    ask = await sb.command(world.coordinator, "privacy erase", student=ben)
    await sb.click(world.coordinator, ask, t("privacy.erase_button", "en"))
    await sb.idle()
    async with sb.bot.ctx.db.read() as conn:
        rows = (await conn.execute(select(consents))).all()
    assert len(rows) == 2
    # Ben's record no longer says consent is on file; Ali's is untouched.
    assert sorted(r.on_file for r in rows) == [False, True]
