"""`twinbridge run` (bot.cli.main) in its own process, against a sandbox a test started.

Usage: python cli_bot.py REST_BASE GATEWAY_URL [twinbridge arguments…]

Only the two Discord addresses and the wait for guilds are changed (as the sandbox driver does
in-process). Once the bot is ready it queues one activity event, `test.queued`, and prints
READY: the batched writer's timer is set to an hour, so only a clean shutdown can write it.
"""

from __future__ import annotations

import sys
from typing import Any

import discord.gateway
import discord.http
import yarl

import bot.app
from bot.cli import main
from bot.services.activity_writer import ActivityWriter

discord.http.Route.BASE = sys.argv[1]
discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(sys.argv[2])


class HeldWriter(ActivityWriter):
    """Writes only when asked to (or at shutdown), never on its timer."""

    def __init__(self, db: Any) -> None:
        super().__init__(db, interval=3600)


bot.app.ActivityWriter = HeldWriter  # type: ignore[misc]
_init = bot.app.Twinbridge.__init__


def _init_quick(self: bot.app.Twinbridge, context: Any, **options: Any) -> None:
    # The sandbox sends no GUILD_CREATE to wait for: be ready at once (as its driver does).
    options.setdefault("client_options", {"guild_ready_timeout": 0.01})
    _init(self, context, **options)


bot.app.Twinbridge.__init__ = _init_quick  # type: ignore[method-assign]
_ready = bot.app.Twinbridge.on_ready


async def _on_ready(self: bot.app.Twinbridge) -> None:
    await _ready(self)
    self.ctx.activity_writer.log(at=self.ctx.clock.now(), guild_id=1, kind="test.queued")
    print("READY", flush=True)


bot.app.Twinbridge.on_ready = _on_ready  # type: ignore[method-assign]
sys.exit(main(sys.argv[3:]))
