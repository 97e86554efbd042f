"""A session's Discord event where Discord is strict: the permissions its channel needs, and the
status changes Discord makes by itself.

Source: discord/discord-api-docs, docs/resources/guild-scheduled-event.md ("Guild Scheduled
Event Permissions Requirements", "Guild Scheduled Event Status Update Automation", "Valid Guild
Scheduled Event Status Transitions"). Each story failed before the bot checked the channel's
permissions first and read where Discord has an event before changing it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.sandbox.driver import INVITE_PERMISSIONS, Sandbox
from bot.sandbox.permissions import Overwrite, P
from bot.sandbox.server import EVENT_EMPTY_CHANNEL_ENDS_AFTER
from bot.sandbox.state import Channel, ChannelType, EventStatus
from cogs.sessions.adapter import EVENT_CHANNEL_PERMISSIONS
from tests.sandbox.sessions_helpers import (
    OCT,
    compressed_time,
    paired_exchange,
    preview_of,
    schedule_confirmed,
    started_post,
)

CHECK_IN = "Check in · تسجيل الحضور"


@pytest.fixture
async def sb(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Sandbox]:
    async with compressed_time(tmp_path, request) as sandbox:
        yield sandbox


def event_patches(sb: Sandbox, event_id: str) -> int:
    """Requests that asked Discord to change this event."""
    return sum(1 for m, path in sb.server.requests if m == "PATCH" and path.endswith(event_id))


async def deny_the_bot(sb: Sandbox, channel: Channel, permission: P) -> None:
    """A server admin denies the bot's role a permission in one channel (Discord tells the
    bot: CHANNEL_UPDATE), after it heard of the channel itself."""
    await sb.idle()
    channel.overwrites.append(Overwrite(sb.bot_role.id, 0, 0, int(permission)))
    await sb.server.gateway.dispatch("CHANNEL_UPDATE", channel.to_payload())
    await sb.idle()


def test_the_invite_holds_what_every_kind_of_event_channel_needs() -> None:
    """The README's invite (the sandbox's) grants what voice and stage events ask."""
    for needed in EVENT_CHANNEL_PERMISSIONS.values():
        assert needed.value & ~INVITE_PERMISSIONS == 0, P(needed.value & ~INVITE_PERMISSIONS)


# -- the channel's permissions ---------------------------------------------------------------------


async def test_a_stage_session_names_what_the_bot_lacks_in_that_channel(sb: Sandbox) -> None:
    """A role without Mute Members and Move Members: the teacher learns exactly those, and
    where; Discord is not asked (a refusal counts toward the invalid-request ban). Once they
    are given, the next start-up makes the stage event."""
    ex = await paired_exchange(sb)
    stage = sb.add_channel("Exchange stage", kind=ChannelType.STAGE)
    sb.set_bot_permissions(INVITE_PERMISSIONS & ~int(P.MUTE_MEMBERS | P.MOVE_MEMBERS))
    await sb.idle()
    done = await schedule_confirmed(ex, channel=stage)
    assert "Scheduled **Exchange session**" in done.text
    assert "**Mute Members and Move Members** in that channel. Give them" in done.text
    assert f"<#{stage.id}>" in done.text
    assert sb.events() == [] and sb.invalid_requests == 0
    sb.set_bot_permissions(INVITE_PERMISSIONS)
    await sb.restart_bot()
    (event,) = sb.events()
    assert (event["entity_type"], event["channel_id"]) == (1, str(stage.id))


async def test_a_voice_session_names_connect_when_the_channel_denies_it(sb: Sandbox) -> None:
    """An admin denied the bot's role Connect in the session's voice channel: named."""
    ex = await paired_exchange(sb)
    await deny_the_bot(sb, ex.voice, P.CONNECT)
    done = await schedule_confirmed(ex)
    assert "**Connect**" in done.text and f"<#{ex.voice.id}>" in done.text
    assert sb.events() == [] and sb.invalid_requests == 0


async def test_a_move_names_the_channel_permission_the_update_needs(sb: Sandbox) -> None:
    """The event exists; the channel then denies Connect: the move says the event still shows
    the old date and why."""
    ex = await paired_exchange(sb)
    await schedule_confirmed(ex)
    await deny_the_bot(sb, ex.voice, P.CONNECT)
    reply = await sb.command(
        ex.world.teacher,
        "session move",
        occurrence=str(int(OCT.timestamp())),
        date="2026-10-07",
        time="15:00",
    )
    done = await sb.click(ex.world.teacher, preview_of(reply), "Move it")
    assert "Moved" in done.text and "still shows the old details" in done.text
    assert "**Connect**" in done.text
    assert [e["scheduled_start_time"] for e in sb.events()] == [OCT.isoformat()]
    assert sb.invalid_requests == 0


# -- Discord moving events by itself ---------------------------------------------------------------


async def test_a_voice_event_discord_ended_is_not_ended_again(sb: Sandbox) -> None:
    """Nobody joins the call: Discord completes the live event five minutes on. At the session's
    end the bot finds it completed and leaves it (a late PATCH meets 400, "Cannot update a
    finished event"); the next session's event is made as usual."""
    ex = await paired_exchange(sb)
    await schedule_confirmed(ex)
    (event,) = sb.events()
    await sb.advance_to(OCT + EVENT_EMPTY_CHANNEL_ENDS_AFTER + timedelta(minutes=1))
    assert sb.guild.events[int(event["id"])].status == EventStatus.COMPLETED
    patched = event_patches(sb, event["id"])
    await sb.advance_to(OCT + timedelta(hours=2))
    assert event_patches(sb, event["id"]) == patched
    assert [e["status"] for e in sb.events()] == [EventStatus.COMPLETED, EventStatus.SCHEDULED]


async def test_an_external_event_discord_runs_by_itself_is_left_to_it(sb: Sandbox) -> None:
    """Without a channel the event is external: Discord starts it at its time and completes it
    at its end. The bot asks for neither change, and check-in works as ever."""
    ex = await paired_exchange(sb)
    await schedule_confirmed(ex, channel=None)
    (event,) = sb.events()
    assert event["entity_type"] == 3
    await sb.advance_to(OCT + timedelta(minutes=1))
    assert sb.guild.events[int(event["id"])].status == EventStatus.ACTIVE
    reply = await sb.click(ex.student("Ben"), started_post(ex), CHECK_IN)
    assert "You are checked in" in reply.text
    await sb.advance_to(OCT + timedelta(hours=2))
    assert sb.guild.events[int(event["id"])].status == EventStatus.COMPLETED
    assert event_patches(sb, event["id"]) == 0


async def test_an_event_someone_cancelled_in_discord_is_made_anew_by_a_move(sb: Sandbox) -> None:
    """A server admin cancelled the session's event in Discord's Events list; the teacher then
    moves the session: a new event shows the new date, and the teacher hears no warning."""
    ex = await paired_exchange(sb)
    await schedule_confirmed(ex)
    (event,) = sb.events()
    await sb.bot.http.edit_scheduled_event(sb.guild.id, event["id"], status=EventStatus.CANCELED)
    await sb.idle()
    reply = await sb.command(
        ex.world.teacher,
        "session move",
        occurrence=str(int(OCT.timestamp())),
        date="2026-10-07",
        time="15:00",
    )
    done = await sb.click(ex.world.teacher, preview_of(reply), "Move it")
    assert "Moved" in done.text and "⚠️" not in done.text
    moved = OCT + timedelta(days=1)
    assert [(e["scheduled_start_time"], e["status"]) for e in sb.events()] == [
        (OCT.isoformat(), EventStatus.CANCELED),
        (moved.isoformat(), EventStatus.SCHEDULED),
    ]
