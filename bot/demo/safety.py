"""Chapter: a student reports a message; a teacher pauses the space, then reopens it."""

from __future__ import annotations

from bot.demo.story import DemoRun, label
from bot.sandbox.permissions import P

# The chapter's heading on the demo's page (index.html).
TITLE = "Safety: a report to teachers"


async def chapter(run: DemoRun) -> None:
    """Report to teacher → the teachers' channel → Pause space → Reopen space; a data export."""
    sb, story = run.sb, run.story
    assert run.teachers_channel is not None and run.coordinator is not None
    ben, ali = run.students["Ben"], run.students["Ali"]
    space = next(s for s in run.pair_spaces if sb.guild.can_view(ben.user.id, s.id))
    teacher, partner_teacher = run.teachers["Ms Rivera"], run.teachers["Ustadh Kareem"]

    story.section("A student reports a message to the teachers")
    message = await sb.say(ali, space, "Send me your phone number and your home address")
    offer = await sb.context_menu(ben, "Report to teacher", message)
    done = await sb.choose(ben, offer, ["personal_info"])
    form = await sb.click(ben, done, label(done, "report.add_details"))
    await sb.submit(ben, form, details="He keeps asking, I don't want to share it.")
    story.note("the teachers' channel has the link, who and why; the message's text is not copied")
    story.note(
        f"students who can read #{run.teachers_channel.name}: "
        + str(
            sum(
                sb.guild.can_view(m.user.id, run.teachers_channel.id) for m in run.students.values()
            )
        )
    )

    story.section("A teacher pauses the space while talking with the pair")
    report = sb.last_message(run.teachers_channel)
    await sb.click(teacher, report, label(report, "report.button_pause"))
    for member in (ben, ali):
        perms = sb.guild.permissions_in(member.user.id, space.id)
        can_read = bool(perms & P.VIEW_CHANNEL)
        can_write = bool(perms & P.SEND_MESSAGES)
        name = member.user.global_name
        story.note(f"{name} in #{space.name}: can read {can_read}, can write {can_write}")
    await sb.say(partner_teacher, space, "Ali, we don't share phone numbers or addresses here.")

    story.section("The teachers reopen the space and close the report")
    reported = sb.last_message(run.teachers_channel)
    await sb.click(partner_teacher, reported, label(reported, "report.button_reopen"))
    await sb.say(ali, space, "Sorry Ben. What music do you like?")
    reported = sb.last_message(run.teachers_channel)
    await sb.click(teacher, reported, label(reported, "report.button_resolve"))

    story.section("A family asks what Twinbridge stores about their child")
    reply = await sb.command(run.coordinator, "privacy export", student=ben)
    attachment = reply.files[0]
    (run.out / attachment.filename).write_bytes(attachment.data)
    story.note(f"saved {attachment.filename} in {run.out}/")
