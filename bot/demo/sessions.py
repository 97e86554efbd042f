"""Chapter 2: a monthly session across two time zones, from scheduling to the summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.demo.story import DemoRun, label
from bot.i18n import t
from bot.sandbox.driver import Reply
from bot.sandbox.state import ChannelType, Message

# The chapter's heading on the demo's page (index.html).
TITLE = "A monthly session across two time zones"

# The first Tuesday of October 2026, 08:00 in Minneapolis (CDT) = 13:00 UTC = 16:00 in Najaf.
FIRST = datetime(2026, 10, 6, 13, tzinfo=UTC)
PROMPT = "What is a dish your family makes for guests? Describe it so your partner can taste it."


def _preview(reply: Reply) -> Message:
    preview = reply.followups[-1] if reply.followups else reply.message
    assert preview is not None
    return preview


async def chapter(run: DemoRun) -> None:
    """Scheduling with both cities' times, reminders, check-in and voice, the summary."""
    sb, story = run.sb, run.story
    teacher = run.teachers["Ms Rivera"]
    assert run.announcements is not None
    voice = sb.add_channel("Exchange call", kind=ChannelType.VOICE)

    story.section("A teacher schedules the monthly session")
    story.note("Ms Rivera asks for the best times of the first session's week")
    suggested = await sb.command(teacher, "session suggest", week="2026-10-05")
    if run.in_english:
        assert "✅ Minneapolis: Mon–Thu 9:30\u202fAM–10:30\u202fAM" in suggested.text
        assert "✅ Najaf: Mon–Thu 5:30\u202fPM–6:30\u202fPM" in suggested.text
    story.note(
        "the best: 09:30 in Minneapolis, 17:30 in Najaf, Monday to Thursday (Friday is Najaf's"
        " weekend); every time is shown in both cities' clocks"
    )
    story.note("Ms Rivera still tries 3 pm, after school in Minneapolis")
    late = await sb.command(
        teacher,
        "session schedule",
        start="2026-10-06",
        time="15:00",
        repeat="monthly:nth",
        count=6,
        channel=voice,
        title="Monthly exchange",
    )
    story.note("the preview warns: that is 23:00, then midnight, in Najaf — she cancels")
    await sb.click(teacher, _preview(late), label(_preview(late), "session.discard"))
    early = await sb.command(
        teacher,
        "session schedule",
        start="2026-10-06",
        time="08:00",
        repeat="monthly:nth",
        count=6,
        channel=voice,
        title="Monthly exchange",
        prompt=PROMPT,
    )
    await sb.click(teacher, _preview(early), label(_preview(early), "session.confirm"))
    kareem = run.teachers["Ustadh Kareem"]
    story.note("Ustadh Kareem tries an extra session on Tuesday 9 March 2027")
    extra = await sb.command(
        kareem,
        "session schedule",
        start="2027-03-09",
        time="17:00",
        repeat="once",
        title="Extra call",
    )
    assert "🎉" in extra.text
    story.note(
        "the preview warns: Eid al-Fitr in Najaf that day, an estimated date (the moon decides)"
        " — he cancels"
    )
    await sb.click(kareem, _preview(extra), t("session.discard", run.speaks("ar")))
    story.note("Najaf's schools are off 1–5 November: Ustadh Kareem adds the break")
    await sb.command(
        kareem, "exchange break add", city="Najaf", start="2026-11-01", end="2026-11-05"
    )
    listed = await sb.command(kareem, "session list")
    assert "🏖️" in listed.text
    story.note("/session list flags the November session, in Najaf's break, and how to skip it")
    calendar = await sb.command(teacher, "session ics")
    for attachment in calendar.files:
        (run.out / attachment.filename).write_bytes(bytes(attachment.data))
        story.note(f"saved {attachment.filename} for the teachers' own calendars")

    story.section("A month passes: reminders the day before and an hour before")
    await sb.advance_to(FIRST - timedelta(hours=24))
    await sb.advance_to(FIRST - timedelta(hours=1))

    story.section("The session: check-in by button, or by being in the call")
    await sb.advance_to(FIRST)
    started = [m for m in sb.messages_in(run.announcements) if "▶️" in m.content][-1]
    for name in ("Ben", "Sofia"):
        await sb.click(run.member(name), started, label(started, "session.checkin_button"))
    await sb.click(run.member("Ben"), started, label(started, "session.checkin_button"))
    await sb.join_voice(run.member("Ali"), voice)
    story.note("Ali joined the call from Najaf: that counts as being there")

    story.section("The session ends: who came, per city")
    await sb.advance_to(FIRST + timedelta(hours=1, minutes=1))
    events = sb.events()
    story.note(
        "Discord events: "
        + ", ".join(f"{e['scheduled_start_time'][:16]} ({_STATUS[e['status']]})" for e in events)
    )
    await sb.join_voice(run.member("Ali"), None)
    late_click = await sb.click(
        run.member("Maya"), started, label(started, "session.checkin_button")
    )
    assert "closed" in late_click.text or not run.in_english
    await roll_call(run)


def _custom_id(message: Message, prefix: str, suffix: str = "") -> str:
    for row in message.components:
        for component in row.get("components", []):
            custom_id = str(component.get("custom_id", ""))
            if custom_id.startswith(prefix) and custom_id.endswith(suffix):
                return custom_id
    raise LookupError(prefix)


def _value(message: Message, custom_id: str, label: str) -> str:
    for row in message.components:
        for component in row.get("components", []):
            if component.get("custom_id") == custom_id:
                return next(str(o["value"]) for o in component["options"] if o["label"] == label)
    raise LookupError(label)


async def roll_call(run: DemoRun) -> None:
    """The teachers take the roll: their mark stands over what the bot saw."""
    sb, story = run.sb, run.story
    teacher = run.teachers["Ms Rivera"]
    assert run.teachers_channel is not None
    story.section("The teacher has the last word: roll call")
    summary = [m for m in sb.messages_in(run.teachers_channel) if m.embeds][-1]
    story.note("under the teachers' summary, a Roll call button opens each teacher's own city")
    opened = await sb.click(teacher, summary, custom_id=_custom_id(summary, "tb:rollcall.open:"))
    page = opened.followups[-1] if opened.followups else opened.message
    assert page is not None
    for mark, name in (("absent", "Maya"), ("late", "Ben")):
        select = _custom_id(page, "tb:rollcall.mark:", f":{mark}")
        chosen = await sb.choose(teacher, page, [_value(page, select, name)], custom_id=select)
        page = chosen.message or page
    story.note("the rest of the class (Sofia) present in one click")
    rest = await sb.click(teacher, page, custom_id=_custom_id(page, "tb:rollcall.rest:"))
    assert "Marked by a teacher: 3 of 3" in rest.text or not run.in_english
    story.note("Ustadh Kareem excuses Zainab, away with her family: she is not expected")
    await sb.command(
        run.teachers["Ustadh Kareem"],
        "session attendance",
        student=run.member("Zainab"),
        mark="excused",
        reason="Family trip",
    )


_STATUS = {1: "scheduled", 2: "active", 3: "completed", 4: "cancelled"}
