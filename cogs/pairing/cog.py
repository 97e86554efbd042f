"""The `/pair` commands: parse, call the pairing service, render."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import discord
from discord import app_commands
from discord.ext import commands
from discord.utils import MISSING

from bot.app import Twinbridge
from bot.domain.rounds import EVERY_WEEKS, OFF, TERM
from bot.i18n import t
from bot.services.scheduler import Outcome, RetryLaterError
from bot.store.sends import Send
from cogs.adapters.spaces import DiscordSpaces, spaces_for
from cogs.common.interactions import begin, show
from cogs.common.params import Day, ExchangeId
from cogs.common.text import NO_PINGS, shown, timestamp
from cogs.pairing.pages import history_page, proposal_page

# `/pair cadence every:` (names translated as `choice.every.<value>`).
EVERY_CHOICES = [
    *(
        app_commands.Choice(name="every week" if n == 1 else f"every {n} weeks", value=str(n))
        for n in EVERY_WEEKS
    ),
    app_commands.Choice(name="every term (after each school break)", value=TERM),
    app_commands.Choice(name="off", value=OFF),
]


def day_shown(day: date) -> str:
    """A due day as Discord shows a date to each reader (noon UTC: the same date in the
    exchange's cities, from UTC-11 to UTC+11)."""
    return timestamp(datetime.combine(day, time(12), UTC), "D")


def welcome_lines(posts: Outcome, lang: str) -> list[str]:
    """Welcome posts Discord did not take at once: still to come, or refused."""
    lines = []
    if posts.later:
        lines.append(t("pair.welcomes_later", lang, count=posts.later))
    if posts.failed:
        lines.append(t("pair.welcomes_failed", lang, count=posts.failed))
    return lines


@app_commands.guild_only()
class PairingCog(
    commands.GroupCog, group_name="pair", group_description="Pair students across the two cities"
):
    """Pairing rounds and paired spaces."""

    def __init__(self, bot: Twinbridge) -> None:
        self.bot = bot

    async def _port(self, interaction: discord.Interaction[Twinbridge]) -> DiscordSpaces:
        assert interaction.guild is not None
        return await spaces_for(self.bot, interaction.guild)

    @app_commands.command(
        name="preview", description="Show the proposed pairs and why each was made"
    )
    async def preview(
        self,
        interaction: discord.Interaction[Twinbridge],
        exchange: ExchangeId | None = None,
        page: app_commands.Range[int, 1, 500] = 1,
    ) -> None:
        actor = await begin(interaction)
        proposal = await self.bot.services.pairing.propose(
            actor, exchange, await self._port(interaction)
        )
        embed, view = proposal_page(proposal, actor.language, page)
        await show(interaction, embed=embed, view=view or MISSING, allowed_mentions=NO_PINGS)

    @app_commands.command(
        name="confirm", description="Create the proposed pairs and their private spaces"
    )
    async def confirm(
        self, interaction: discord.Interaction[Twinbridge], exchange: ExchangeId | None = None
    ) -> None:
        actor = await begin(interaction)
        done = await self.bot.services.pairing.confirm(
            actor, exchange, await self._port(interaction)
        )
        lang = actor.language
        kind = done.proposal.space_plan.kind
        lines = [
            t(
                "pair.confirmed",
                lang,
                pairs=len(done.space_ids),
                kind=t(f"pair.kind_{kind}", lang),
                archived=done.proposal.replaces,
            )
        ]
        if done.welcomes.later or done.welcomes.failed:
            lines += welcome_lines(done.welcomes, lang)
        else:
            lines.append(t("pair.welcomes_posted", lang))
        await show(interaction, content=" ".join(lines), allowed_mentions=NO_PINGS)

    @app_commands.command(
        name="cadence",
        description="A new pairing round every few weeks or every term; a teacher confirms each",
    )
    @app_commands.describe(
        every="How often a new round is due (off: no scheduled rounds)",
        start="The first due day (YYYY-MM-DD); today if not given",
    )
    @app_commands.choices(every=EVERY_CHOICES)
    async def cadence(
        self,
        interaction: discord.Interaction[Twinbridge],
        every: str,
        start: Day | None = None,
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        done = await self.bot.services.rounds.set_cadence(actor, exchange, every, start)
        lang = actor.language
        name = shown(done.exchange.name)
        if done.cadence is None:
            text = t("rounds.cadence_off", lang, exchange=name)
        else:
            how = (
                t("rounds.every_term", lang)
                if done.cadence.every_weeks is None
                else t("rounds.every_weeks", lang, count=done.cadence.every_weeks)
            )
            text = t("rounds.cadence_set", lang, exchange=name, every=how)
            if done.next_due is not None:
                text += " " + t("rounds.next_due", lang, day=day_shown(done.next_due))
            else:
                text += " " + t("rounds.next_unknown", lang)
        await show(interaction, content=text, allowed_mentions=NO_PINGS)

    @app_commands.command(
        name="swap", description="Swap two students of the same city between their pairs"
    )
    async def swap(
        self,
        interaction: discord.Interaction[Twinbridge],
        first: discord.Member,
        second: discord.Member,
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        done = await self.bot.services.pairing.swap(
            actor, exchange, first.id, second.id, await self._port(interaction)
        )
        lang = actor.language
        lines = [
            t(
                "pair.swapped",
                lang,
                first=shown(first.display_name),
                second=shown(second.display_name),
            ),
            *welcome_lines(done.greetings, lang),
        ]
        await show(interaction, content=" ".join(lines), allowed_mentions=NO_PINGS)

    @app_commands.command(
        name="remove", description="End a student's pair; its space becomes read-only"
    )
    async def remove(
        self,
        interaction: discord.Interaction[Twinbridge],
        student: discord.Member,
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        await self.bot.services.pairing.remove(
            actor, exchange, student.id, await self._port(interaction)
        )
        await show(
            interaction,
            content=t("pair.removed", actor.language, name=shown(student.display_name)),
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(
        name="history", description="Every pairing round and who was paired with whom"
    )
    @app_commands.describe(page="Which page")
    async def history(
        self,
        interaction: discord.Interaction[Twinbridge],
        exchange: ExchangeId | None = None,
        page: app_commands.Range[int, 1, 500] = 1,
    ) -> None:
        actor = await begin(interaction)
        found = await self.bot.services.pairing.history(actor, exchange)
        embed, view = history_page(found, actor.language, page)
        await show(interaction, embed=embed, view=view or MISSING, allowed_mentions=NO_PINGS)

    async def on_label(self, send: Send) -> None:
        """An ended pair's channel gets its `archived-` name (a scheduled send, planned when
        the pair was stored as archived)."""
        guild = self.bot.get_guild(send.guild_id)
        if guild is None or guild.unavailable:
            # Discord's outages make a server unavailable for a while: try again later.
            raise RetryLaterError(f"guild {send.guild_id} is not available")
        await self.bot.services.pairing.label_space(
            int(send.payload["space"]), await spaces_for(self.bot, guild)
        )
