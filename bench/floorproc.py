"""The floor: a bare discord.py client that only acknowledges, in a process of its own.

    python -m bench.floorproc BASE_URL GATEWAY_URL TOKEN REPORT_PATH

It logs into the running sandbox as the bot, answers every slash command at once with a fixed
private text (no database, no command tree, nothing of Twinbridge), writes REPORT_PATH once
ready, and serves until SIGTERM. Timed through the same sandbox in the same run as the bot,
it gives what a Discord client library and this machine cost by themselves, so the bot's
figures can be told as ratios that travel between machines.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import discord
import discord.gateway
import discord.http
import yarl


class Floor(discord.Client):
    """Answers every application command with one callback and does nothing else."""

    async def on_interaction(self, interaction: discord.Interaction[discord.Client]) -> None:
        if interaction.type is discord.InteractionType.application_command:
            await interaction.response.send_message("ok", ephemeral=True)


async def run(base: str, gateway: str, token: str, report: Path) -> None:
    discord.http.Route.BASE = base + "/api/v10"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    intents = discord.Intents.none()
    intents.guilds = True
    client = Floor(intents=intents)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with client:
        task = asyncio.create_task(client.start(token))
        waiting = asyncio.create_task(client.wait_until_ready())
        await asyncio.wait([task, waiting], return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()  # the client failed to start: raise why
        await asyncio.to_thread(report.write_text, "{}", "utf-8")
        await stop.wait()


if __name__ == "__main__":
    base_url, gateway_url, token_, path = sys.argv[1:5]
    asyncio.run(run(base_url, gateway_url, token_, Path(path)))
