"""A test-only extension built on the edge kit (cogs/common): failures, commits, old ids, forms."""

from __future__ import annotations

from collections.abc import Mapping

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import Twinbridge
from bot.store import app_state
from cogs.common.components import RestartButton, RestartModal, buttons
from cogs.common.errors import note_done
from cogs.common.interactions import begin, open_modal, say, show

# The probe's own words (a test's, not the bot's): data to the pseudo-locale's check (the
# sandbox reads a loaded extension's WORDS). "the round was saved" is repeated by the bot's
# "part of this was saved" answer, in the catalogue's words around it.
WORDS = (
    "pressed",
    "yours",
    "noted",
    "Note",
    "A note",
    "old form",
    "new form",
    "old",
    "new",
    "mine",
    "broken",
    "posted",
    "renamed",
    "the round was saved",
)


class Counter(RestartButton, key="probe.count", legacy=r"probe:count:(?P<n>\d+)"):
    """Shows the number it carries; its old form was `probe:count:<n>`."""

    n: int

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        await begin(interaction, update=True)
        await show(interaction, content=f"pressed {self.n}", view=None)


class Mine(RestartButton, key="probe.mine"):
    """Only its owner may press it."""

    owner: int

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        await begin(interaction)
        await say(interaction, "yours")


class Broken(RestartButton, key="probe.broken"):
    """Fails after saving something."""

    step: int

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        await begin(interaction)
        db = interaction.client.ctx.db
        async with db.transaction() as conn:
            await app_state.put(
                conn, f"probe:{self.step}", "saved", interaction.client.ctx.clock.now()
            )
        raise RuntimeError("a bug after the commit")


class Note(RestartModal, key="probe.note"):
    """A form whose answer arrives even if the bot restarted while it was open."""

    topic: int

    def __init__(self, *, title: str, topic: int) -> None:
        super().__init__(title=title, topic=topic)
        self.add_item(discord.ui.TextInput(label="Note", custom_id="note", max_length=100))

    async def submit(
        self, interaction: discord.Interaction[Twinbridge], answers: Mapping[str, str]
    ) -> None:
        await begin(interaction)
        await say(interaction, f"noted {self.topic}: {answers['note']}")


class EdgeProbe(commands.GroupCog, group_name="edge"):
    def __init__(self, bot: Twinbridge) -> None:
        self.bot = bot

    @app_commands.command(description="Fail before changing anything")
    async def fail(self, interaction: discord.Interaction[Twinbridge]) -> None:
        await begin(interaction)
        raise RuntimeError("a bug before anything was saved")

    @app_commands.command(description="Save, then fail")
    async def half(self, interaction: discord.Interaction[Twinbridge]) -> None:
        await begin(interaction)
        async with self.bot.ctx.db.transaction() as conn:
            await app_state.put(conn, "probe:half", "saved", self.bot.ctx.clock.now())
        raise RuntimeError("a bug after the commit")

    @app_commands.command(description="Say what was done, then fail")
    async def told(self, interaction: discord.Interaction[Twinbridge]) -> None:
        await begin(interaction)
        note_done(interaction, "the round was saved")
        raise RuntimeError("a bug after the round")

    @app_commands.command(description="Post buttons in the old and the new form")
    async def post(self, interaction: discord.Interaction[Twinbridge]) -> None:
        await begin(interaction, ephemeral=False)
        old = discord.ui.View(timeout=None)
        old.add_item(discord.ui.Button(label="old", custom_id="probe:count:7"))
        assert isinstance(interaction.channel, discord.TextChannel)
        await interaction.channel.send("old form", view=old)
        await interaction.channel.send(
            "new form",
            view=buttons(
                Counter.make("new", n=8),
                Mine.make("mine", owner=interaction.user.id),
                Broken.make("broken", step=1),
            ),
        )
        await show(interaction, content="posted")

    @app_commands.command(description="Rename the channel the command runs in")
    async def rename(self, interaction: discord.Interaction[Twinbridge], name: str) -> None:
        await begin(interaction)
        assert isinstance(interaction.channel, discord.TextChannel)
        await interaction.channel.edit(name=name)
        await say(interaction, "renamed")

    @app_commands.command(description="Open a form")
    async def form(self, interaction: discord.Interaction[Twinbridge]) -> None:
        await open_modal(interaction, Note(title="A note", topic=5))


async def setup(bot: Twinbridge) -> None:
    await bot.add_cog(EdgeProbe(bot))
