"""The floor: a bare discord.py client that only acknowledges, in a process of its own.

    python -m bench.floorproc BASE_URL GATEWAY_URL TOKEN REPORT_PATH

It logs into the running sandbox as the bot, answers every slash command at once with a fixed
private text (no database, no command tree, nothing of Twinbridge), writes REPORT_PATH once
ready, and serves until SIGTERM. Timed through the same sandbox in the same run as the bot,
it gives what a Discord client library and this machine cost by themselves, so the bot's
figures can be told as ratios that travel between machines.

With FLOORPROC_SHARD_COUNT and FLOORPROC_SHARD_IDS it holds those shards (an
AutoShardedClient, the bot's gateway intents) and REPORT_PATH gets its time from process start
to ready and its resident memory then (bench/bench_shards.py's floor).
"""

from __future__ import annotations

import time

STARTED = time.monotonic()  # before the imports: they are part of starting up

import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import discord  # noqa: E402
import discord.gateway  # noqa: E402
import discord.http  # noqa: E402
import yarl  # noqa: E402


class Floor(discord.Client):
    """Answers every application command with one callback and does nothing else."""

    async def on_interaction(self, interaction: discord.Interaction[discord.Client]) -> None:
        if interaction.type is discord.InteractionType.application_command:
            await interaction.response.send_message("ok", ephemeral=True)


class ShardedFloor(Floor, discord.AutoShardedClient):
    """The floor holding some shards, as one of several bot processes would."""


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key == "VmRSS":
            return int(value.split()[0])
    return 0


async def run(base: str, gateway: str, token: str, report: Path) -> None:
    discord.http.Route.BASE = base + "/api/v10"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    intents = discord.Intents.none()
    intents.guilds = True
    client: Floor
    marks: dict[str, Any] = {}
    if os.environ.get("FLOORPROC_SHARD_COUNT"):
        # The intents the bot asks for (bot.app.intents), so the gateway sends the same events.
        intents.guild_messages = intents.voice_states = intents.guild_scheduled_events = True
        client = ShardedFloor(
            intents=intents,
            shard_count=int(os.environ["FLOORPROC_SHARD_COUNT"]),
            shard_ids=[int(s) for s in os.environ["FLOORPROC_SHARD_IDS"].split(",")],
        )
    else:
        client = Floor(intents=intents)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with client:
        task = asyncio.create_task(client.start(token))
        waiting = asyncio.create_task(client.wait_until_ready())
        await asyncio.wait([task, waiting], return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()  # the client failed to start: raise why
        marks["ready"] = time.monotonic() - STARTED
        marks["guilds"] = len(client.guilds)
        marks["VmRSS"] = _rss_kb()
        await asyncio.to_thread(report.write_text, json.dumps(marks), "utf-8")
        await stop.wait()


if __name__ == "__main__":
    base_url, gateway_url, token_, path = sys.argv[1:5]
    asyncio.run(run(base_url, gateway_url, token_, Path(path)))
