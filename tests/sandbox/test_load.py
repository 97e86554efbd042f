"""Many users at once, and bursts of posts: the bot keeps up and stays under Discord's limits."""

from __future__ import annotations

import asyncio

import discord

from bot.sandbox.driver import Sandbox


async def test_many_members_acting_at_once_are_each_answered(sb: Sandbox) -> None:
    """Sixty members run /about at the same moment; each gets their own private answer."""
    members = [sb.add_member(f"Student {n}") for n in range(60)]
    replies = await sb.at_once([sb.prepare_command(m, "about") for m in members])
    assert [r.interaction.user_id for r in replies] == [m.user.id for m in members]
    assert all(r.ephemeral and r.embeds for r in replies)


async def test_answers_to_many_users_are_not_held_by_a_shared_bucket(sb: Sandbox) -> None:
    """More than fifty answers within a second meet no 429: each interaction has its own bucket."""
    members = [sb.add_member(f"Student {n}") for n in range(60)]
    await sb.at_once([sb.prepare_command(m, "about") for m in members])
    assert sb.server.ratelimiter.limited == []


async def test_the_sandbox_times_each_answer_from_dispatch_to_callback(sb: Sandbox) -> None:
    """An interaction records when it went out and when the bot's callback arrived."""
    reply = await sb.command(sb.owner, "about")
    interaction = reply.interaction
    assert interaction.dispatched_monotonic is not None
    assert interaction.answered_monotonic is not None
    assert interaction.ack_seconds == (
        interaction.answered_monotonic - interaction.dispatched_monotonic
    )
    assert interaction.ack_seconds >= 0


async def test_the_sandbox_times_the_outcome_that_replaces_a_defer(sb: Sandbox) -> None:
    """/about defers, then edits in its answer: the outcome comes after the acknowledgement."""
    reply = await sb.command(sb.owner, "about")
    interaction = reply.interaction
    assert reply.deferred and reply.embeds
    assert interaction.ack_seconds is not None and interaction.outcome_seconds is not None
    assert interaction.outcome_seconds > interaction.ack_seconds


async def test_a_burst_of_posts_is_paced_under_the_global_limit(sb: Sandbox) -> None:
    """Sixty posts at once reach sixty channels without a single 429 from Discord."""
    channels = [sb.add_channel(f"space-{n}") for n in range(60)]
    await sb.idle()
    # A generous window: on a busy test machine the loopback's own delays vary by far more
    # than the production margin (bot.pacing.MARGIN_S), and this test is about the mechanism.
    sb.bot.pacer.period = 1.5
    targets = [sb.bot.get_channel(c.id) for c in channels]
    assert all(isinstance(t, discord.TextChannel) for t in targets)
    sb.typed("Hello")  # the test's own words, sent through the bot's client: data
    await asyncio.gather(*(t.send("Hello") for t in targets if isinstance(t, discord.TextChannel)))
    await sb.idle()
    assert sb.server.ratelimiter.limited == []
    assert all(len(sb.messages_in(c)) == 1 for c in channels)
    assert sb.bot.pacer.waited >= 1  # the fifty-first waited for the window to pass
