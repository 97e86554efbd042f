"""`/checkins` and the check-in posts: parse, call `services.meet`, render."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import Twinbridge, http_reason
from bot.domain.meet import MAX_DAYS, Answer
from bot.i18n import t
from bot.limits import BUTTON_LABEL, CONTENT
from bot.services.scheduler import RetryLaterError, UndeliverableError
from bot.store.sends import Send
from cogs.common.channels import find_space
from cogs.common.components import RestartButton, buttons
from cogs.common.interactions import begin, show
from cogs.common.params import ExchangeId
from cogs.common.text import NO_PINGS, clip, only_users, shown

STYLES = {
    Answer.YES: discord.ButtonStyle.success,
    Answer.NOT_YET: discord.ButtonStyle.secondary,
    Answer.HELP: discord.ButtonStyle.danger,
}


class MeetAnswer(RestartButton, key="meet.answer"):
    """Yes / not yet / we need help under a check-in: one answer per student, changeable
    until the pair's next check-in."""

    checkin: int
    answer: Answer

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction)
        done = await interaction.client.services.meet.answer(actor, self.checkin, self.answer)
        key = "meet.answer_changed" if done.replaced else "meet.answer_saved"
        await show(
            interaction,
            content=t(key, actor.language, answer=t(f"meet.button.{done.answer}", actor.language)),
            allowed_mentions=NO_PINGS,
        )


def checkin_view(checkin_id: int, languages: tuple[str, ...]) -> discord.ui.View:
    return buttons(
        *(
            MeetAnswer.make(
                clip(" · ".join(t(f"meet.button.{a}", lang) for lang in languages), BUTTON_LABEL),
                style=STYLES[a],
                checkin=checkin_id,
                answer=a,
            )
            for a in Answer
        )
    )


@app_commands.guild_only()
class MeetCog(commands.Cog):
    """Teachers choose when pairs are asked "did you meet?"; the bot asks and counts."""

    def __init__(self, bot: Twinbridge) -> None:
        self.bot = bot

    @app_commands.command(
        name="checkins",
        description="Ask each pair 'did you meet?' some days after a round or session (0: off)",
    )
    @app_commands.describe(days="Days after a pairing round or a session (0 turns it off)")
    async def checkins(
        self,
        interaction: discord.Interaction[Twinbridge],
        days: app_commands.Range[int, 0, MAX_DAYS],
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        found, saved = await self.bot.services.meet.set_days(actor, exchange, days)
        key = "meet.days_set" if saved else "meet.days_off"
        await show(
            interaction,
            content=t(key, actor.language, exchange=shown(found.name), days=saved),
            allowed_mentions=NO_PINGS,
        )

    async def on_checkin(self, send: Send) -> None:
        """Post a due check-in in the pair's space (planned by the service)."""
        post = await self.bot.services.meet.prepare(send)
        if post is None:
            return
        guild = self.bot.get_guild(send.guild_id)
        if guild is None:
            raise UndeliverableError(f"guild {send.guild_id} is gone")
        try:
            space = await find_space(guild, post.space_id)
            if space is None:
                raise UndeliverableError(f"space {post.space_id} is gone")
            mentions = " ".join(f"<@{u}>" for u in post.user_ids)
            question = "\n".join(t("meet.question", lang) for lang in post.languages)
            await space.send(
                clip(f"{mentions}\n{question}", CONTENT),
                view=checkin_view(post.checkin_id, post.languages),
                nonce=send.nonce,
                allowed_mentions=only_users(post.user_ids),
            )
        except discord.DiscordServerError as exc:
            raise RetryLaterError(http_reason(exc)) from exc
        except discord.HTTPException as exc:
            raise UndeliverableError(http_reason(exc)) from exc

    async def on_sweep(self, send: Send) -> None:
        """Once a day: check-ins for sessions held since, and the next sweep."""
        await self.bot.services.meet.plan_due()
