"""Guild scheduled events in the sandbox behave as Discord's: channel permissions by entity type,
the status changes Discord makes by itself on the sandbox clock, and only the moves it allows.

Source for every test here: discord/discord-api-docs, docs/resources/guild-scheduled-event.md
("Guild Scheduled Event Permissions Requirements", "Guild Scheduled Event Status Update
Automation", "Valid Guild Scheduled Event Status Transitions").
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import discord
import pytest

from bot.sandbox.driver import INVITE_PERMISSIONS, Sandbox
from bot.sandbox.permissions import Overwrite, P
from bot.sandbox.server import EVENT_EMPTY_CHANNEL_ENDS_AFTER, EVENT_UNSTARTED_CANCELLED_AFTER
from bot.sandbox.state import ChannelType, EventStatus

STAGE, VOICE, EXTERNAL = 1, 2, 3


async def _create(sb: Sandbox, kind: int, channel_id: int | None = None, **extra: Any) -> int:
    start = sb.now() + timedelta(hours=1)
    sb.typed("Session", "Moved", "Later")  # the test's own names, sent through the bot's client
    fields: dict[str, Any] = {
        "name": "Session",
        "privacy_level": 2,
        "scheduled_start_time": start.isoformat(),
        "scheduled_end_time": (start + timedelta(hours=1)).isoformat(),
        "entity_type": kind,
    }
    if kind == EXTERNAL:
        fields["entity_metadata"] = {"location": "#exchange"}
    else:
        fields["channel_id"] = channel_id
    created = await sb.bot.http.create_guild_scheduled_event(sb.guild.id, **(fields | extra))
    return int(created["id"])


def _status(sb: Sandbox, event_id: int) -> int:
    return sb.guild.events[event_id].status


def _start_of(sb: Sandbox, event_id: int) -> datetime:
    return sb.guild.events[event_id].starts


async def test_a_stage_event_needs_manage_channels_mute_and_move_members(sb: Sandbox) -> None:
    """STAGE_INSTANCE: Create Events, Manage Channels, Mute Members and Move Members in the
    channel; a role without the last two is refused."""
    stage = sb.add_channel("Stage", kind=ChannelType.STAGE)
    sb.set_bot_permissions(INVITE_PERMISSIONS & ~int(P.MUTE_MEMBERS | P.MOVE_MEMBERS))
    await sb.idle()
    with pytest.raises(discord.Forbidden) as refused:
        await _create(sb, STAGE, stage.id)
    assert "Mute Members" in str(refused.value) and "Move Members" in str(refused.value)
    sb.set_bot_permissions(INVITE_PERMISSIONS)
    await sb.idle()
    event_id = await _create(sb, STAGE, stage.id)
    assert sb.guild.events[event_id].channel_id == stage.id


async def test_a_voice_event_needs_connect_in_its_channel(sb: Sandbox) -> None:
    """VOICE: Create Events, View Channel and Connect, computed in the event's channel."""
    voice = sb.add_channel("Call", kind=ChannelType.VOICE)
    voice.overwrites = [Overwrite(sb.bot_role.id, 0, 0, int(P.CONNECT))]
    await sb.idle()
    with pytest.raises(discord.Forbidden) as refused:
        await _create(sb, VOICE, voice.id)
    assert "Connect" in str(refused.value)
    voice.overwrites = []
    assert await _create(sb, VOICE, voice.id)


async def test_changing_an_event_needs_its_channels_permissions_too(sb: Sandbox) -> None:
    """Modify/Delete: Manage Events (or Create Events for its creator) plus the channel's."""
    voice = sb.add_channel("Call", kind=ChannelType.VOICE)
    await sb.idle()
    event_id = await _create(sb, VOICE, voice.id)
    voice.overwrites = [Overwrite(sb.bot_role.id, 0, 0, int(P.CONNECT))]
    with pytest.raises(discord.Forbidden):
        await sb.bot.http.edit_scheduled_event(sb.guild.id, event_id, name="Moved")
    with pytest.raises(discord.Forbidden):
        await sb.bot.http.delete_scheduled_event(sb.guild.id, event_id)
    assert sb.guild.events[event_id].name == "Session"


async def test_an_external_event_starts_and_ends_at_its_times(sb: Sandbox) -> None:
    """ "An external event will automatically begin at its scheduled start time" and "end at its
    scheduled end time"; the bot hears each change (GUILD_SCHEDULED_EVENT_UPDATE)."""
    event_id = await _create(sb, EXTERNAL)
    await sb.advance_to(_start_of(sb, event_id) - timedelta(seconds=1))
    assert _status(sb, event_id) == EventStatus.SCHEDULED
    await sb.advance(seconds=1)
    guild = sb.bot.get_guild(sb.guild.id)
    assert guild is not None
    assert _status(sb, event_id) == EventStatus.ACTIVE
    seen = guild.get_scheduled_event(event_id)
    assert seen is not None and seen.status is discord.EventStatus.active
    await sb.advance(hours=1)
    assert _status(sb, event_id) == EventStatus.COMPLETED
    seen = guild.get_scheduled_event(event_id)
    assert seen is not None and seen.status is discord.EventStatus.completed


async def test_an_event_never_started_is_cancelled_hours_after_its_start(sb: Sandbox) -> None:
    """ "Any scheduled event which has not begun after its scheduled start time will be
    automatically cancelled after a few hours" (the sandbox waits three)."""
    voice = sb.add_channel("Call", kind=ChannelType.VOICE)
    await sb.idle()
    event_id = await _create(sb, VOICE, voice.id)
    start = _start_of(sb, event_id)
    await sb.advance_to(start + EVENT_UNSTARTED_CANCELLED_AFTER - timedelta(minutes=1))
    assert _status(sb, event_id) == EventStatus.SCHEDULED
    await sb.advance(minutes=1)
    assert _status(sb, event_id) == EventStatus.CANCELED


async def test_an_active_voice_event_ends_when_its_channel_stays_empty(sb: Sandbox) -> None:
    """ "An active scheduled event for a voice channel where all users have left the voice
    channel will automatically end a few minutes after the last user leaves" (five here)."""
    voice = sb.add_channel("Call", kind=ChannelType.VOICE)
    student = sb.add_member("Ali")
    await sb.idle()
    event_id = await _create(sb, VOICE, voice.id)
    await sb.advance_to(_start_of(sb, event_id))
    await sb.join_voice(student, voice)
    await sb.bot.http.edit_scheduled_event(sb.guild.id, event_id, status=EventStatus.ACTIVE)
    await sb.advance(minutes=30)
    assert _status(sb, event_id) == EventStatus.ACTIVE, "someone is still in the call"
    await sb.join_voice(student, None)
    await sb.advance(EVENT_EMPTY_CHANNEL_ENDS_AFTER - timedelta(seconds=1))
    assert _status(sb, event_id) == EventStatus.ACTIVE
    await sb.advance(seconds=1)
    assert _status(sb, event_id) == EventStatus.COMPLETED


async def test_a_finished_event_cannot_change_any_more(sb: Sandbox) -> None:
    """ "Once status is set to COMPLETED or CANCELED, the status can no longer be updated": a
    late PATCH (of the status or anything else) meets 400, 180000 Cannot update a finished
    event (topics/opcodes-and-status-codes.md)."""
    event_id = await _create(sb, EXTERNAL)
    await sb.advance_to(_start_of(sb, event_id) + timedelta(hours=2))
    assert _status(sb, event_id) == EventStatus.COMPLETED
    for change in ({"status": EventStatus.COMPLETED}, {"name": "Later"}):
        with pytest.raises(discord.HTTPException) as refused:
            await sb.bot.http.edit_scheduled_event(sb.guild.id, event_id, **change)
        assert (refused.value.status, refused.value.code) == (400, 180000)


async def test_only_discords_status_moves_are_allowed(sb: Sandbox) -> None:
    """SCHEDULED → ACTIVE or CANCELED, ACTIVE → COMPLETED; nothing else."""
    voice = sb.add_channel("Call", kind=ChannelType.VOICE)
    await sb.idle()
    first = await _create(sb, VOICE, voice.id)
    with pytest.raises(discord.HTTPException) as skipped:
        await sb.bot.http.edit_scheduled_event(sb.guild.id, first, status=EventStatus.COMPLETED)
    assert skipped.value.code == 50035
    await sb.bot.http.edit_scheduled_event(sb.guild.id, first, status=EventStatus.CANCELED)
    second = await _create(sb, VOICE, voice.id)
    await sb.bot.http.edit_scheduled_event(sb.guild.id, second, status=EventStatus.ACTIVE)
    with pytest.raises(discord.HTTPException):
        await sb.bot.http.edit_scheduled_event(sb.guild.id, second, status=EventStatus.CANCELED)
    assert (_status(sb, first), _status(sb, second)) == (EventStatus.CANCELED, EventStatus.ACTIVE)


async def test_an_external_event_needs_a_location_and_an_end(sb: Sandbox) -> None:
    """ "Field Requirements By Entity Type": EXTERNAL needs entity_metadata.location and
    scheduled_end_time; VOICE needs a voice channel."""
    with pytest.raises(discord.HTTPException):
        await _create(sb, EXTERNAL, entity_metadata={"location": ""})
    with pytest.raises(discord.HTTPException):
        await _create(sb, VOICE, sb.general.id)
    assert sb.guild.events == {}
    sb.expect_problems()  # an empty location breaks the spec's request schema too
