"""Taking a student off the roster: what it will do, confirmed by the teacher who asked."""

from __future__ import annotations

import discord

from bot.app import Twinbridge
from bot.i18n import listing, t
from bot.services.roster import Removal
from cogs.adapters.spaces import spaces_for
from cogs.common.components import RestartButton, buttons
from cogs.common.interactions import begin, show
from cogs.common.text import NO_PINGS, shown


def removal_text(plan: Removal, lang: str, *, done: bool) -> str:
    """What removing a student does (before) or did (after), in plain words."""
    name = shown(plan.student.display_name)
    lines = [
        t(
            "roster.removed" if done else "roster.remove_question",
            lang,
            name=name,
            exchange=shown(plan.exchange.name),
        )
    ]
    if plan.space_id is not None:
        others = listing((shown(p.display_name) for p in plan.staying), lang) or "—"
        if plan.pair_ends:
            key = "roster.removal_ends_pair_done" if done else "roster.removal_ends_pair"
        else:
            key = "roster.removal_keeps_pair_done" if done else "roster.removal_keeps_pair"
        lines.append(t(key, lang, name=name, space=f"<#{plan.space_id}>", others=others))
    return "\n".join(lines)


class RemoveConfirm(RestartButton, key="roster.remove"):
    """The teacher confirms: the student loses their paired space at once."""

    owner: int
    exchange: int
    student: int  # their user id

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction, update=True)
        assert interaction.guild is not None
        bot = interaction.client
        done = await bot.services.roster.remove_student(
            actor, self.exchange, self.student, await spaces_for(bot, interaction.guild)
        )
        await show(
            interaction,
            content=removal_text(done, actor.language, done=True),
            view=None,
            allowed_mentions=NO_PINGS,
        )


class RemoveCancel(RestartButton, key="roster.remove_cancel"):
    """The teacher changes their mind: nothing changes."""

    owner: int

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction, update=True)
        await show(interaction, content=t("roster.remove_cancelled", actor.language), view=None)


def confirmation(plan: Removal, owner: int, lang: str) -> discord.ui.View:
    """Remove / Cancel under the question, for the teacher who asked only."""
    return buttons(
        RemoveConfirm.make(
            t("roster.remove_yes", lang),
            style=discord.ButtonStyle.danger,
            owner=owner,
            exchange=plan.exchange.id,
            student=plan.student.user_id,
        ),
        RemoveCancel.make(t("roster.cancel", lang), owner=owner),
    )
