"""Report to teacher, /concern and /concerns through the real bot.

A student reports a message (Apps → Report to teacher) or a concern, picks a reason, and is told
privately that their teachers know. The teachers' private channel gets the report with the link,
never the message's text, and buttons to pause the space and to mark the report resolved.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.i18n import t
from bot.sandbox.driver import Reply, Sandbox, SandboxError, iter_components
from bot.sandbox.permissions import Overwrite, P
from bot.sandbox.state import Message
from bot.store.schema import activity, pairs, reports
from tests.sandbox.safety_world import (
    posted_by_an_older_version,
    search_store,
    six_students,
    space_of,
)
from tests.sandbox.world import World, make_world

MENU = "Report to teacher"
HURTFUL = "nobody likes you, go away xq4417"


@pytest.fixture
async def world(sb: Sandbox) -> World:
    world = await make_world(sb)
    await six_students(world)
    await sb.command(world.teacher, "pair confirm")
    return world


async def count(sb: Sandbox, table: object, *where: object) -> int:
    async with sb.bot.ctx.db.read() as conn:
        query = select(func.count()).select_from(table)  # type: ignore[arg-type]
        return int((await conn.execute(query.where(*where))).scalar_one())  # type: ignore[arg-type]


async def hurtful_message(world: World) -> tuple[Message, str]:
    """Ali writes something hurtful to his partner; returns the message and the partner's name."""
    sb = world.sb
    ali = world.students["Ali"]
    space = space_of(sb, ali)
    partner = next(
        n
        for n, m in world.students.items()
        if n != "Ali" and sb.guild.can_view(m.user.id, space.id)
    )
    return await sb.say(ali, space, HURTFUL), partner


async def report_id(sb: Sandbox) -> int:
    async with sb.bot.ctx.db.read() as conn:
        return int((await conn.execute(select(reports.c.id))).scalar_one())


async def report(world: World, reporter: str, message: Message, reason: str = "unkind") -> Reply:
    sb = world.sb
    offer = await sb.context_menu(world.students[reporter], MENU, message)
    assert offer.ephemeral
    return await sb.choose(world.students[reporter], offer, [reason])


async def test_a_report_reaches_the_teachers_and_the_reporter_is_thanked(world: World) -> None:
    """Context menu → reason → the teachers' channel gets the link, author, reporter and reason."""
    sb = world.sb
    message, partner = await hurtful_message(world)
    reporter = world.students[partner]
    offer = await sb.context_menu(reporter, MENU, message)
    assert offer.ephemeral
    assert "Only your teachers will see your report" in offer.text
    options = [o["label"] for c in offer.components for o in c["components"][0]["options"]]
    assert "Unkind or hurtful words" in options and len(options) == 6
    done = await sb.choose(reporter, offer, ["unkind"])
    assert done.ephemeral and "your teachers have been told" in done.text
    post = sb.last_message(world.teachers_channel)
    english = post.embeds[0]
    assert "Unkind or hurtful words" in english["title"]
    shown = "\n".join(f"{f['name']}: {f['value']}" for f in english["fields"])
    link = f"https://discord.com/channels/{sb.guild.id}/{message.channel_id}/{message.id}"
    assert link in shown
    assert f"<@{world.students['Ali'].user.id}>" in shown
    assert f"<@{reporter.user.id}>" in shown
    assert "Paired space" in shown and "open: its students can write" in shown
    # The Najaf teacher reads it in Arabic.
    assert any(t("report.reason.unkind", "ar") in e["title"] for e in post.embeds)
    assert not post.mention_everyone and not post.mention_roles and not post.mentions
    async with sb.bot.ctx.db.read() as conn:
        row = (await conn.execute(select(reports))).one()
    assert (row.reporter_id, row.subject_id, row.reason, row.status) == (
        reporter.user.id,
        world.students["Ali"].user.id,
        "unkind",
        "open",
    )
    assert (row.channel_id, row.message_id) == (message.channel_id, message.id)
    assert row.notice_message_id == post.id


async def test_the_reported_text_is_copied_nowhere(world: World) -> None:
    """Neither the teachers' post nor any table holds the words of the reported message."""
    sb = world.sb
    message, partner = await hurtful_message(world)
    await report(world, partner, message)
    post = sb.last_message(world.teachers_channel)
    assert "xq4417" not in str(post.embeds) and "nobody likes you" not in str(post.embeds)
    assert await search_store(sb, None, ("nobody likes you", "xq4417")) == []


async def test_students_cannot_read_the_report(world: World) -> None:
    """The reported student, the reporter and everyone else in their roles cannot see it."""
    sb = world.sb
    message, partner = await hurtful_message(world)
    await report(world, partner, message)
    for member in world.students.values():
        assert world.teachers_channel not in sb.visible_channels(member)


@pytest.mark.pseudo_locale  # always in the pseudo-locale: no text past the catalogue
async def test_the_reporter_can_add_a_few_words(world: World) -> None:
    """Add a few words → a short form → the teachers' post shows them, without pinging anyone."""
    sb = world.sb
    message, partner = await hurtful_message(world)
    reporter = world.students[partner]
    done = await report(world, partner, message)
    form = await sb.click(reporter, done, "Add a few words")
    assert form.modal is not None
    saved = await sb.submit(reporter, form, details="He said it twice @everyone <@&1>")
    assert "Your words were added" in saved.text
    post = sb.last_message(world.teachers_channel)
    fields = {f["name"]: f["value"] for f in post.embeds[0]["fields"]}
    assert "He said it twice" in fields["In the reporter's words"]
    assert not post.mention_everyone and not post.mention_roles
    async with sb.bot.ctx.db.read() as conn:
        assert (await conn.execute(select(reports.c.details))).scalar_one().startswith("He said")


async def test_the_form_refuses_more_than_300_characters(world: World) -> None:
    """Discord's client enforces the form's limit (and the service checks it again)."""
    sb = world.sb
    message, partner = await hurtful_message(world)
    reporter = world.students[partner]
    done = await report(world, partner, message)
    form = await sb.click(reporter, done, "Add a few words")
    with pytest.raises(SandboxError, match="refuses 'details': longer than 300"):
        await sb.submit(reporter, form, details="x" * 301)


async def test_only_the_reporter_can_add_words(world: World) -> None:
    """Someone else pressing the reporter's button is refused and nothing changes."""
    sb = world.sb
    message, partner = await hurtful_message(world)
    done = await report(world, partner, message)
    # Ali sees the space (not the reporter's private answer): a modified client could try.
    form = await sb.click(world.students["Ali"], done, "Add a few words")
    refused = await sb.submit(world.students["Ali"], form, details="not mine")
    assert t("error.not_your_report", "ar") in refused.text  # Ali's profile language
    async with sb.bot.ctx.db.read() as conn:
        assert (await conn.execute(select(reports.c.details))).scalar_one() == ""


async def test_a_teacher_pauses_the_space_from_the_report(world: World) -> None:
    """Pause space: its students still read it but cannot write; the post says it is paused."""
    sb = world.sb
    message, partner = await hurtful_message(world)
    await report(world, partner, message)
    space = sb.guild.channels[message.channel_id]
    # Both teachers register (the post speaks their profiles' languages, English first).
    await sb.command(world.teacher, "join", city="Minneapolis", language="en")
    await world.partner_teacher_reads_arabic()
    post = sb.last_message(world.teachers_channel)
    reply = await sb.click(world.partner_teacher, post, "Pause space")
    # The Najaf teacher may pause it too, and is answered in Arabic (his profile's language).
    answer = reply.followups[-1]
    assert answer.ephemeral and answer.content.startswith("⏸️")
    assert "موقوفة مؤقتًا" in answer.content
    for name in ("Ali", partner):
        student = world.students[name]
        assert space in sb.visible_channels(student)
        assert not sb.guild.permissions_in(student.user.id, space.id) & P.SEND_MESSAGES
        with pytest.raises(SandboxError, match="cannot write"):
            await sb.say(student, space, "hello?")
    await sb.say(world.teacher, space, "Let's talk about what happened.")
    notice = [m for m in sb.messages_in(space) if m.author.bot][-1]
    assert "paused this space" in notice.content
    assert "report" not in notice.content.casefold(), "the pair is not told someone reported"
    post = sb.last_message(world.teachers_channel)
    assert "paused: read-only" in str(post.embeds[0]["fields"])
    labels = [c["label"] for row in post.components for c in row["components"]]
    assert "Reopen space" in labels and "Pause space" not in labels
    async with sb.bot.ctx.db.read() as conn:
        status = (
            await conn.execute(select(pairs.c.status).where(pairs.c.space_id == space.id))
        ).scalar_one()
        logged = (
            await conn.execute(select(activity).where(activity.c.kind == "safety.space_paused"))
        ).one()
    assert status == "paused"
    assert logged.actor_id == world.partner_teacher.user.id


async def test_a_teacher_reopens_the_space_and_resolves_the_report(world: World) -> None:
    """Reopen space lets the pair write again; Mark resolved closes the report, logged."""
    sb = world.sb
    message, partner = await hurtful_message(world)
    await report(world, partner, message)
    space = sb.guild.channels[message.channel_id]
    await sb.click(world.teacher, sb.last_message(world.teachers_channel), "Pause space")
    reopened = await sb.click(
        world.teacher, sb.last_message(world.teachers_channel), "Reopen space"
    )
    assert "open again" in reopened.text
    await sb.say(world.students["Ali"], space, "Sorry, I was wrong.")
    resolved = await sb.click(
        world.teacher, sb.last_message(world.teachers_channel), "Mark resolved"
    )
    assert "marked resolved" in resolved.text
    post = sb.last_message(world.teachers_channel)
    assert "Resolved by" in post.embeds[0]["description"]
    async with sb.bot.ctx.db.read() as conn:
        row = (await conn.execute(select(reports))).one()
        kinds = [
            (r.kind, r.actor_id)
            for r in await conn.execute(
                select(activity.c.kind, activity.c.actor_id).where(activity.c.kind.like("safety.%"))
            )
        ]
    assert (row.status, row.resolved_by) == ("resolved", world.teacher.user.id)
    assert ("safety.space_reopened", world.teacher.user.id) in kinds
    assert ("safety.report_resolved", world.teacher.user.id) in kinds


async def test_a_student_cannot_use_the_teachers_buttons(world: World) -> None:
    """Students cannot see the teachers' channel; even one let in by mistake is refused."""
    sb = world.sb
    message, partner = await hurtful_message(world)
    await report(world, partner, message)
    post = sb.last_message(world.teachers_channel)
    ali = world.students["Ali"]
    with pytest.raises(SandboxError, match="cannot see"):
        await sb.click(ali, post, "Pause space")
    # A server admin adds Ali to the teachers' channel by mistake.
    world.teachers_channel.overwrites.append(Overwrite(ali.user.id, 1, int(P.VIEW_CHANNEL), 0))
    refused = await sb.click(ali, post, "Pause space")
    assert t("error.only_teacher", "ar") in refused.text
    assert await count(sb, pairs, pairs.c.status == "paused") == 0
    assert sb.guild.permissions_in(ali.user.id, message.channel_id) & P.SEND_MESSAGES


async def test_a_concern_can_name_someone_and_still_pause_their_space(world: World) -> None:
    """/concern about someone: the teachers get it, with the reporter's paired space to pause."""
    sb = world.sb
    ben = world.students["Ben"]
    offer = await sb.command(ben, "concern", about=world.students["Omar"])
    assert "Only your teachers will see it" in offer.text
    done = await sb.choose(ben, offer, ["outside_contact"])
    assert "your teachers have been told" in done.text
    post = sb.last_message(world.teachers_channel)
    text = str(post.embeds[0])
    assert "Asked to talk or meet outside the exchange" in text
    assert "A concern (not about one message)" in text
    assert f"<@{world.students['Omar'].user.id}>" in text
    labels = [c["label"] for row in post.components for c in row["components"]]
    assert "Pause space" in labels


async def test_if_the_teachers_channel_refuses_the_report_it_is_kept_and_the_student_told(
    world: World,
) -> None:
    """A server admin took the bot out of the teachers' channel: the report is still saved,
    the student is asked to tell a teacher too, and /concerns lists it."""
    sb = world.sb
    message, partner = await hurtful_message(world)
    channel = world.teachers_channel
    channel.overwrites = [o for o in channel.overwrites if o.id != sb.bot_role.id]
    done = await report(world, partner, message)
    assert "could not reach your teachers' channel" in done.text
    assert sb.messages_in(channel) == []
    listed = await sb.command(world.teacher, "concerns")
    assert "#1 · Unkind or hurtful words" in listed.text


async def test_reports_lists_open_reports_for_staff_only(world: World) -> None:
    """/concerns shows a teacher the open reports; a student is refused."""
    sb = world.sb
    message, partner = await hurtful_message(world)
    await report(world, partner, message, reason="personal_info")
    listed = await sb.command(world.teacher, "concerns")
    assert listed.ephemeral and "#1 · Sharing personal information" in listed.text
    assert f"<@{world.students[partner].user.id}>" in listed.text
    # When it was reported is a timestamp in the field's value, where Discord renders it.
    (field,) = listed.embeds[0]["fields"]
    assert field["name"] == "#1 · Sharing personal information"
    assert re.search(r" · <t:\d+:R>", field["value"].split("\n")[0])
    refused = await sb.command(world.students["Ben"], "concerns")
    assert "Only teachers" in refused.text


async def test_reporting_is_limited_per_student_and_says_when_to_retry(world: World) -> None:
    """Five reports in ten minutes; the sixth is refused with when to retry; later it works."""
    sb = world.sb
    ben = world.students["Ben"]
    for _ in range(5):
        offer = await sb.command(ben, "concern")
        await sb.choose(ben, offer, ["spam"])
    refused = await sb.command(ben, "concern")
    assert refused.ephemeral and "you can do it again <t:" in refused.text
    assert refused.components == []
    assert await count(sb, reports) == 5
    # Another student is not slowed down by Ben.
    other = await sb.command(world.students["Maya"], "concern")
    assert other.components
    await sb.advance(minutes=10)
    again = await sb.command(ben, "concern")
    assert again.components, "after the window the reasons are offered again"


async def test_a_reason_not_in_the_list_is_refused(world: World) -> None:
    """A tampered select value gets a clear answer and files nothing."""
    sb = world.sb
    ben = world.students["Ben"]
    offer = await sb.command(ben, "concern")
    select_id = offer.components[0]["components"][0]["custom_id"]
    # Bypass the client's own check, as a modified client could.
    offer.message.components[0]["components"][0]["options"].append(  # type: ignore[union-attr]
        {"label": "bogus", "value": "bogus"}
    )
    refused = await sb.choose(ben, offer, ["bogus"], custom_id=select_id)
    assert "not one of the reasons" in refused.text
    assert await count(sb, reports) == 0


async def test_a_report_survives_a_restart(world: World) -> None:
    """The teachers' buttons work after the bot restarts (their ids carry the report)."""
    sb = world.sb
    message, partner = await hurtful_message(world)
    await report(world, partner, message)
    await sb.restart_bot(downtime=timedelta(hours=1))
    reply = await sb.click(world.teacher, sb.last_message(world.teachers_channel), "Pause space")
    assert "is paused" in reply.text


async def test_a_teachers_button_posted_by_an_older_version_still_resolves(world: World) -> None:
    """A report posted before the buttons' ids changed (`tb:ra:<id>:resolve`) is still
    resolved by its button, and its post then carries the buttons of today."""
    sb = world.sb
    message, partner = await hurtful_message(world)
    await report(world, partner, message)
    number = await report_id(sb)
    post = sb.last_message(world.teachers_channel)
    old = f"tb:ra:{number}:resolve"
    posted_by_an_older_version(post, {"Mark resolved": old})
    resolved = await sb.click(world.teacher, post, custom_id=old)
    assert f"Report #{number} is marked resolved" in resolved.text
    async with sb.bot.ctx.db.read() as conn:
        row = (await conn.execute(select(reports))).one()
    assert (row.status, row.resolved_by) == ("resolved", world.teacher.user.id)
    post = sb.last_message(world.teachers_channel)
    assert "Resolved by" in post.embeds[0]["description"]
    ids = [c["custom_id"] for c in iter_components(post.components)]
    assert ids and not any(i.startswith("tb:ra:") for i in ids)


async def test_a_reporters_answer_posted_by_an_older_version_still_works(world: World) -> None:
    """The reasons (`tb:rr:…`) and the button for a few words (`tb:rd:<id>`) sent before
    their ids changed still file the report and add the words."""
    sb = world.sb
    ben = world.students["Ben"]
    omar = world.students["Omar"]
    offer = await sb.command(ben, "concern", about=omar)
    old = f"tb:rr:c:{world.exchange_id}:0:0:{omar.user.id}"
    posted_by_an_older_version(offer, {"Choose what is wrong": old})
    done = await sb.choose(ben, offer, ["outside_contact"], custom_id=old)
    assert "your teachers have been told" in done.text
    number = await report_id(sb)
    post = sb.last_message(world.teachers_channel)
    assert f"<@{omar.user.id}>" in str(post.embeds[0])
    posted_by_an_older_version(done, {"Add a few words": f"tb:rd:{number}"})
    form = await sb.click(ben, done, custom_id=f"tb:rd:{number}")
    saved = await sb.submit(ben, form, details="He keeps asking for my number")
    assert "Your words were added" in saved.text
    async with sb.bot.ctx.db.read() as conn:
        row = (await conn.execute(select(reports))).one()
    assert (row.kind, row.subject_id) == ("concern", omar.user.id)
    assert row.details == "He keeps asking for my number"


async def test_words_sent_after_a_restart_still_arrive(world: World) -> None:
    """The reporter opens the form, the bot restarts while they type, they send it: the words
    reach the report and the teachers' post."""
    sb = world.sb
    message, partner = await hurtful_message(world)
    reporter = world.students[partner]
    done = await report(world, partner, message)
    form = await sb.click(reporter, done, "Add a few words")
    assert form.modal is not None
    await sb.restart_bot(downtime=timedelta(minutes=2))
    saved = await sb.submit(reporter, form, details="He wrote it after class too")
    assert "Your words were added" in saved.text
    # The answer that offered the button says so in its place: the button is gone.
    assert saved.message is not None and done.message is not None
    assert saved.message.id == done.message.id and saved.components == []
    post = sb.last_message(world.teachers_channel)
    fields = {f["name"]: f["value"] for f in post.embeds[0]["fields"]}
    assert "He wrote it after class too" in fields["In the reporter's words"]
    async with sb.bot.ctx.db.read() as conn:
        assert (await conn.execute(select(reports.c.details))).scalar_one() == (
            "He wrote it after class too"
        )
