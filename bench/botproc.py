"""Run Twinbridge in a process of its own against a running sandbox, as `make run` would.

    python -m bench.botproc BASE_URL GATEWAY_URL TOKEN DATABASE_URL REPORT_PATH [GUILD_ID]

The bot starts with production settings (the system clock, discord.py's default wait for late
GUILD_CREATEs; commands registered globally, or in GUILD_ID when given), writes what it
measured of its start as JSON to REPORT_PATH once ready, and stops. With the environment
variable BOTPROC_SERVE=1 it then keeps serving until SIGTERM. The benchmarks run the bot this
way so that its memory is its own, and so that the sandbox, which plays Discord, does not
share the bot's CPU while it times the bot's answers.
"""

from __future__ import annotations

import time

STARTED = time.monotonic()  # before the heavy imports: they are part of starting up

import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
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


def _poster(bot: Any) -> Any:
    """A fan-out kind for bench/bench_shards.py: one post in the channel a send names, through
    the same scheduler, pacer and client as a session start's posts."""

    async def post(send: Any) -> None:
        channel = bot.get_channel(int(send.payload["channel"]))
        await channel.send(send.key)

    return post


async def run(
    base: str,
    gateway: str,
    token: str,
    database_url: str,
    report: Path,
    guild_id: int | None = None,
    serve: bool = False,
) -> None:
    """Start the bot; once ready (and its catch-up done), report; stop, or serve until SIGTERM."""
    import discord.gateway
    import discord.http
    import yarl

    from bot.app import Context, make_bot
    from bot.config import Settings
    from bot.store import create_database

    imported = time.monotonic()
    discord.http.Route.BASE = base + "/api/v10"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    shards: dict[str, Any] = {}
    if os.environ.get("BOTPROC_SHARD_COUNT"):
        # One of several processes (bench/bench_shards.py): its shards, as SHARD_COUNT and
        # SHARD_IDS would say.
        shards["shard_count"] = int(os.environ["BOTPROC_SHARD_COUNT"])
        shards["shard_ids"] = [int(s) for s in os.environ["BOTPROC_SHARD_IDS"].split(",")]
    settings = Settings(
        _env_file=None,
        discord_token=token,
        database_url=database_url,
        dev_guild_id=guild_id,
        **shards,
    )
    # As `make run` builds it (bot/cli.py).
    bot = make_bot(
        Context(settings=settings, db=create_database(database_url)), freeze_start_up_heap=True
    )
    if os.environ.get("BOTPROC_BENCH_POSTS") == "1":
        bot.ctx.scheduler.handle("bench.post", _poster(bot), fan_out=True)
    marks: dict[str, Any] = {"imported": imported - STARTED}
    setup_hook = bot.setup_hook

    async def timed_setup() -> None:
        await setup_hook()
        marks["set_up"] = time.monotonic() - STARTED  # migrated, extensions loaded, synced

    bot.setup_hook = timed_setup  # type: ignore[method-assign]
    ready = asyncio.Event()

    async def on_ready() -> None:
        marks["ready"] = time.monotonic() - STARTED
        marks["guilds"] = len(bot.guilds)
        marks["channels"] = sum(len(g.channels) for g in bot.guilds)
        marks["cached_members"] = sum(len(g.members) for g in bot.guilds)
        # Let the start-up work that follows ready (the scheduler's catch-up) finish.
        await asyncio.sleep(1.0)
        marks.update(memory())
        ready.set()

    bot.add_listener(on_ready, "on_ready")
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with bot:
        task = asyncio.create_task(bot.start(token))
        waiting = asyncio.create_task(ready.wait())
        await asyncio.wait([task, waiting], return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()  # the bot failed to start: raise why
        await asyncio.to_thread(report.write_text, json.dumps(marks), "utf-8")
        if serve:
            await stop.wait()


if __name__ == "__main__":
    base_url, gateway_url, token_, url, path = sys.argv[1:6]
    guild = int(sys.argv[6]) if len(sys.argv) > 6 else None
    serving = os.environ.get("BOTPROC_SERVE") == "1"
    asyncio.run(run(base_url, gateway_url, token_, url, Path(path), guild, serving))
