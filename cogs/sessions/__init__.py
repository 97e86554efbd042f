"""Live sessions of the two classes: the `/session` commands, check-in, voice presence, and
the posts, reminders and Discord events of each session.

- `cog`: the `/session` commands (thin), voice presence, the timed steps handed to the service.
- `params`: the series, occurrence, repeat and zone options, with their autocomplete.
- `components`: a teacher's restart-proof confirmations; `checkin`: the check-in button;
  `rollcall`: the roll call panel (a select per mark, pages) and its button under the summary.
- `adapter`: `DiscordSessions`, the service's `SessionPort` (posts, events, voice).
- `posts`: what is posted in channels; `answers`: what commands answer; `words`: sessions in
  words (rules, local times, warnings, durations).
"""

from __future__ import annotations

from bot.app import Twinbridge
from bot.services.session_plans import EVENT_STATUS
from cogs.sessions.cog import SessionsCog


async def setup(bot: Twinbridge) -> None:
    """Extension entry point: the cog and its timed work (buttons register themselves)."""
    cog = SessionsCog(bot)
    await bot.add_cog(cog)
    scheduler = bot.ctx.scheduler
    scheduler.handle("session.remind", cog.on_remind)
    scheduler.handle("session.start", cog.on_start)
    scheduler.handle("session.end", cog.on_end)
    scheduler.handle(EVENT_STATUS, cog.on_event_status)
    # One post per channel, independent of each other: done several at a time.
    scheduler.handle("session.post", cog.on_post, fan_out=True)
