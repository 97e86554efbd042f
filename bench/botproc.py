"""Run Twinbridge in a process of its own against a running sandbox, and report how it started.

`python -m bench.botproc BASE_URL GATEWAY_URL TOKEN DATABASE_URL REPORT_PATH` starts the bot as
`make run` would (production settings: commands registered globally, discord.py's default
wait for late GUILD_CREATEs), writes what it measured as JSON once ready, and stops. Used by
bench/bench_memory.py, so that the resident memory measured is the bot's alone.
"""

from __future__ import annotations

import time

STARTED = time.monotonic()  # before the heavy imports: they are part of starting up

import asyncio  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402


def memory() -> dict[str, int]:
    """This process's resident memory now and at its peak, in kB (Linux)."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0])
    return found


async def run(base: str, gateway: str, token: str, database_url: str) -> dict[str, Any]:
    """Start the bot, wait until ready (and its catch-up), stop it; returns what was measured."""
    import discord.gateway
    import discord.http
    import yarl

    from bot.app import Context, Twinbridge
    from bot.config import Settings
    from bot.store import create_database

    imported = time.monotonic()
    discord.http.Route.BASE = base + "/api/v10"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    settings = Settings(_env_file=None, discord_token=token, database_url=database_url)
    bot = Twinbridge(Context(settings=settings, db=create_database(database_url)))
    marks: dict[str, Any] = {"imported": imported - STARTED}
    setup_hook = bot.setup_hook

    async def timed_setup() -> None:
        await setup_hook()
        marks["set_up"] = time.monotonic() - STARTED  # migrated, extensions loaded, synced

    bot.setup_hook = timed_setup  # type: ignore[method-assign]
    done = asyncio.Event()

    async def on_ready() -> None:
        marks["ready"] = time.monotonic() - STARTED
        marks["guilds"] = len(bot.guilds)
        marks["channels"] = sum(len(g.channels) for g in bot.guilds)
        marks["cached_members"] = sum(len(g.members) for g in bot.guilds)
        # Let the start-up work that follows ready (the scheduler's catch-up) finish.
        await asyncio.sleep(1.0)
        marks.update(memory())
        done.set()

    bot.add_listener(on_ready, "on_ready")
    async with bot:
        task = asyncio.create_task(bot.start(token))
        await asyncio.wait(
            [task, asyncio.create_task(done.wait())], return_when=asyncio.FIRST_COMPLETED
        )
        if task.done():
            task.result()  # the bot failed to start: raise why
    return marks


if __name__ == "__main__":
    base_url, gateway_url, token_, url, path = sys.argv[1:6]
    measured = asyncio.run(run(base_url, gateway_url, token_, url))
    Path(path).write_text(json.dumps(measured), encoding="utf-8")
