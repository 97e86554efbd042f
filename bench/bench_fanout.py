"""Fan-out: a prompt posted to 500 paired spaces under Discord's global limit of 50 requests/s.

A teacher runs `/prompt now` in an exchange of 1,000 students in 500 paired spaces (private
threads, as the bot makes them past 500 channels); then a session scheduled with its own prompt
starts, and the scheduler posts that prompt in every space, one scheduled send per space. The
real client posts through the sandbox, which enforces Discord's per-route buckets and the global
50/s and validates every body against Discord's OpenAPI spec. 500 posts take at least 10 s: the
figure is the time from the command to the last prompt appearing, and its ratio to that ideal.

No 429 left unhandled: the sandbox counts every 429 it answered, and every space must end with
exactly one prompt after as many attempts as it had 429s plus one (discord.py retried each).
"""

from __future__ import annotations

import re
import statistics
import time
from datetime import timedelta

from bench.core import Figure
from bench.sandboxed import School, enrol, exchange, pair_up, sandbox, school
from bot.sandbox.driver import Sandbox, SandboxError
from bot.sandbox.state import Message
from bot.store import sends

PAIRS = 500
GLOBAL_PER_SECOND = 50
IDEAL_S = PAIRS / GLOBAL_PER_SECOND
RUNS = 3
_MESSAGES = re.compile(r"^/channels/(\d+)/messages$")


async def figures() -> list[Figure]:
    times: list[float] = []
    answered_429 = unhandled = lost = 0
    async with sandbox() as sb:
        world = await school(sb, teachers=RUNS)
        exchange_id = await exchange(world, "Big exchange")
        await enrol(world, exchange_id, PAIRS)
        pairs = await pair_up(world, exchange_id)
        spaces = {pair.space.id for pair in pairs}
        if len(spaces) != PAIRS:
            raise SandboxError(f"seeding made {len(spaces)} spaces, not {PAIRS}")
        for run in range(RUNS):
            posted: dict[int, list[float]] = {space: [] for space in spaces}

            def watch(kind: str, message: Message, into: dict[int, list[float]] = posted) -> None:
                if kind == "new" and message.channel_id in into and message.embeds:
                    into[message.channel_id].append(time.monotonic())

            sb.server.watchers.append(watch)
            first_request = len(sb.server.requests)
            first_429 = len(sb.server.ratelimiter.limited)
            pending = sb.prepare_command(world.teachers[run], "prompt now", exchange=exchange_id)
            reply = (await sb.at_once([pending], within=300))[0]
            sb.server.watchers.remove(watch)
            started = pending.interaction.dispatched_monotonic
            assert started is not None
            arrivals = [t for found in posted.values() for t in found]
            times.append(max(arrivals) - started)
            # The posts are the run's only requests under rate limits (the command's answers
            # are interaction callbacks and webhooks): every 429 was one of them, and every
            # attempt at a space beyond its one message was a 429 being retried.
            limited = len(sb.server.ratelimiter.limited) - first_429
            attempts = sum(
                1
                for method, path in sb.server.requests[first_request:]
                if method == "POST" and (m := _MESSAGES.match(path)) and int(m.group(1)) in spaces
            )
            answered_429 += limited
            unhandled += max(0, limited - (attempts - PAIRS))
            lost += sum(1 for found in posted.values() if len(found) != 1)
            if f"{PAIRS}" not in reply.text:
                raise SandboxError(f"/prompt now did not report {PAIRS} posts: {reply.text!r}")
        before_session = len(sb.server.ratelimiter.limited)
        session_time, first_post, session_lost = await _session_start(
            sb, world, exchange_id, spaces
        )
        lost += session_lost
        answered_429 += len(sb.server.ratelimiter.limited) - before_session
    median = statistics.median(times)
    runs = ", ".join(f"{t:.1f}" for t in times)
    return [
        Figure(
            f"fan-out: a prompt to {PAIRS} paired spaces at Discord's 50 requests/s",
            median,
            "s",
            IDEAL_S * 1.1,
            f"runs {runs} s; real client, sandbox limits and spec checks",
        ),
        Figure(
            f"fan-out: time ÷ the ideal {IDEAL_S:.0f} s",
            median / IDEAL_S,
            "×",
            1.1,
            f"{answered_429} 429s answered by the sandbox over {RUNS} runs, each retried",
        ),
        Figure(
            f"fan-out: a session's prompt to {PAIRS} spaces as the session starts",
            session_time / IDEAL_S,
            "× ideal",
            1.1,
            f"{session_time:.1f} s from the start to the last post (the first after "
            f"{first_post:.2f} s); one scheduled send per space",
        ),
        Figure(f"fan-out: 429s left unhandled ({RUNS} runs)", unhandled, "", 0),
        Figure(f"fan-out: prompts lost or doubled ({RUNS} runs and the session)", lost, "", 0),
    ]


async def _session_start(
    sb: Sandbox, world: School, exchange_id: int, spaces: set[int]
) -> tuple[float, float, int]:
    """A one-off session with the teacher's prompt starts: seconds to the last post and to the
    first, and how many spaces did not get exactly one post."""
    teacher = world.teachers[0]
    announcements = sb.add_channel("exchange")
    teachers = sb.add_channel("teachers", private_to=[world.teachers_role])
    await sb.command(
        world.coordinator,
        "exchange channels",
        announcements=announcements,
        teachers=teachers,
        exchange=exchange_id,
    )
    # Reminders fan out the same way; the session's start is the figure.
    await sb.command(teacher, "session reminders", before="off", exchange=exchange_id)
    reply = await sb.command(
        teacher,
        "session schedule",
        start=(sb.now() + timedelta(days=3)).date().isoformat(),
        time="15:00",
        repeat="monthly:nth",
        count=1,
        prompt="What does your family eat for breakfast?",
        exchange=exchange_id,
    )
    preview = reply.followups[-1] if reply.followups else reply.message
    assert preview is not None
    label = "Schedule anyway" if "Overlaps" in reply.text else "Schedule"
    await sb.click(teacher, preview, label)
    async with sb.bot.ctx.db.read() as conn:
        starts = [s.due_at for s in await sends.pending(conn) if s.kind == "session.start"]
    posted: dict[int, list[float]] = {space: [] for space in spaces}

    def watch(kind: str, message: Message) -> None:
        if kind == "new" and message.channel_id in posted:
            posted[message.channel_id].append(time.monotonic())

    sb.server.watchers.append(watch)
    sb.clock.set(min(starts))
    started = time.monotonic()
    sb.bot.ctx.scheduler.wakeup()
    await sb.idle(within=300)
    sb.check()
    sb.server.watchers.remove(watch)
    arrivals = [t for found in posted.values() for t in found]
    if not arrivals:
        raise SandboxError("the session's start posted nothing in the paired spaces")
    first = min(arrivals) - started
    return max(arrivals) - started, first, sum(1 for found in posted.values() if len(found) != 1)
