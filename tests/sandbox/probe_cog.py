"""A test-only extension that exercises every kind of interaction answer."""

from __future__ import annotations

import asyncio
import io
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import Twinbridge
from bot.store.sends import Send

# Each handler logs one line, so tests can see the context its records carry.
log = logging.getLogger("tests.probe")
# The probe's own words (a test's, not the bot's): data to the pseudo-locale's check (the
# sandbox reads a loaded extension's WORDS).
WORDS = (
    "Tell us",
    "Something",
    "You said",
    "Count",
    "Pick a fruit",
    "apple",
    "date",
    "fig",
    "Picked",
    "hello",
    "help",
    "salaam",
    "hola",
    "done",
    "one",
    "two",
    "has",
    "True",
    "False",
)


class EchoModal(discord.ui.Modal, title="Tell us"):
    said: discord.ui.TextInput[EchoModal] = discord.ui.TextInput(
        label="Something", custom_id="said"
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        log.info("modal submitted")
        await interaction.response.send_message(f"You said: {self.said.value}", ephemeral=True)


class CountView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)
        self.count = 0

    @discord.ui.button(label="Count", custom_id="probe:count")
    async def count_button(
        self, interaction: discord.Interaction, button: discord.ui.Button[CountView]
    ) -> None:
        log.info("count pressed")
        self.count += 1
        await interaction.response.edit_message(content=f"Count: {self.count}", view=self)

    @discord.ui.select(
        custom_id="probe:pick",
        placeholder="Pick a fruit",
        options=[discord.SelectOption(label=f, value=f) for f in ("apple", "date", "fig")],
    )
    async def pick(
        self, interaction: discord.Interaction, select: discord.ui.Select[CountView]
    ) -> None:
        log.info("fruit picked")
        await interaction.response.send_message(f"Picked {select.values[0]}", ephemeral=True)


class Probe(commands.GroupCog, group_name="probe"):
    def __init__(self, bot: Twinbridge) -> None:
        self.bot = bot

    @app_commands.command(description="Echo text back")
    async def echo(self, interaction: discord.Interaction, text: str, loud: bool = False) -> None:
        log.info("echo run")
        await interaction.response.send_message(text, ephemeral=not loud)

    @echo.autocomplete("text")
    async def echo_complete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        words = ["hello", "help", "salaam", "hola"]
        return [app_commands.Choice(name=w, value=w) for w in words if w.startswith(current)]

    @app_commands.command(description="A message with a button and a select")
    async def widgets(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Count: 0", view=CountView())

    @app_commands.command(description="Open a modal")
    async def modal(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(EchoModal())

    @app_commands.command(description="Defer, then answer")
    async def slow(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await asyncio.sleep(0.05)
        await interaction.followup.send(
            "done", file=discord.File(io.BytesIO(b"a,b\n1,2\n"), filename="t.csv")
        )

    @app_commands.command(description="Answer twice (a bug)")
    async def twice(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("one")
        await interaction.response.send_message("two")

    @app_commands.command(description="Count a user's roles")
    async def who(
        self, interaction: discord.Interaction, member: discord.Member, role: discord.Role
    ) -> None:
        has = role in member.roles
        await interaction.response.send_message(f"{member.display_name} has {role.name}: {has}")


async def setup(bot: Twinbridge) -> None:
    await bot.add_cog(Probe(bot))

    async def say(send: Send) -> None:
        channel = bot.get_channel(int(send.payload["channel_id"]))
        assert isinstance(channel, discord.TextChannel)
        await channel.send(send.payload["text"])

    bot.ctx.scheduler.handle("probe.say", say)
