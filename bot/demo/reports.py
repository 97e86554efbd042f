"""Chapter (the last): a month on, the coordinator's attendance summary and funders' figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.demo.story import DemoRun, label
from bot.sandbox.driver import Reply
from bot.sandbox.state import ChannelType

# The chapter's heading on the demo's page (index.html).
TITLE = "Reports for coordinators and funders"

# The first Tuesday of November: 08:00 in Minneapolis (CST) = 14:00 UTC = 17:00 in Najaf.
NOVEMBER = datetime(2026, 11, 3, 14, tzinfo=UTC)


def _save(run: DemoRun, reply: Reply) -> list[str]:
    """Write a report's attachments into the demo's output folder; their names."""
    folder = run.out / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    for attachment in reply.files:
        (folder / attachment.filename).write_bytes(bytes(attachment.data))
    return [a.filename for a in reply.files]


async def chapter(run: DemoRun) -> None:
    """November's session, then /report attendance, exchange and student; files saved."""
    sb, story = run.sb, run.story
    assert run.coordinator is not None and run.announcements is not None
    voice = next(c for c in sb.guild.channels.values() if c.type == ChannelType.VOICE)

    story.section("A month later: the November session")
    with story.quietly():
        await sb.advance_to(NOVEMBER + timedelta(minutes=5))
        started = [m for m in sb.messages_in(run.announcements) if "▶️" in m.content][-1]
        await sb.click(run.member("Ben"), started, label(started, "session.checkin_button"))
        await sb.join_voice(run.member("Ali"), voice)
        await sb.advance_to(NOVEMBER + timedelta(hours=1, minutes=1))
        await sb.join_voice(run.member("Ali"), None)
    story.note(
        "reminders, the start post and the summary came as in October; Ben checked in and Ali "
        "joined the call; Maya, Sofia and Zainab did not come"
    )

    story.section("The coordinator's attendance summary")
    story.note("the last 90 days by default; students only, as funders count them")
    attendance = await sb.command(run.coordinator, "report attendance")
    saved = _save(run, attendance)
    story.note(f"saved {', '.join(saved)} in {run.out / 'reports'}/")

    story.section("A teacher sees her own city, in Arabic for Ustadh Kareem")
    await sb.command(run.teachers["Ustadh Kareem"], "report attendance")

    story.section("Figures for funders and the sister-city boards")
    figures = await sb.command(run.coordinator, "report exchange")
    saved = _save(run, figures)
    story.note(f"saved {', '.join(saved)} in {run.out / 'reports'}/")
    story.note(
        "the same figures for spreadsheets: python -m bot report attendance|exchange "
        "--format csv|json"
    )

    story.section("A teacher follows up with one student")
    await sb.command(run.teachers["Ms Rivera"], "report student", student=run.member("Maya"))
