"""A paired student's consent withdrawn: what teachers are told (the pair, what to do) and the
restart-proof **End this pair** button, which is `/pair remove` for that student."""

from __future__ import annotations

import discord

from bot.app import Twinbridge, http_reason
from bot.i18n import listing, t
from bot.limits import BUTTON_LABEL, CONTENT
from bot.services.consent import ConsentChange, WithdrawnNotice
from bot.services.scheduler import RetryLaterError, UndeliverableError
from bot.store.sends import Send
from cogs.adapters.spaces import spaces_for
from cogs.common.components import RestartButton, buttons
from cogs.common.interactions import begin, show
from cogs.common.text import NO_PINGS, clip, mention, shown


class EndPairForConsent(RestartButton, key="roster.consent_end"):
    """End the pair of a student whose consent was withdrawn: the space turns read-only for
    everyone in it (nothing is deleted); the partners are paired again next round."""

    exchange: int
    student: int  # their user id

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction, update=True)
        assert interaction.guild is not None
        bot = interaction.client
        await bot.services.pairing.remove(
            actor, self.exchange, self.student, await spaces_for(bot, interaction.guild)
        )
        line = t("consent.pair_ended", actor.language, who=mention(actor.user_id))
        before = interaction.message.content if interaction.message is not None else ""
        await show(
            interaction,
            content=clip(f"{before}\n{line}" if before else line, CONTENT),
            view=None,
            allowed_mentions=NO_PINGS,
        )


def end_pair_view(exchange_id: int, user_id: int, languages: tuple[str, ...]) -> discord.ui.View:
    label = " · ".join(t("consent.button.end_pair", lang) for lang in languages)
    return buttons(
        EndPairForConsent.make(
            clip(label, BUTTON_LABEL),
            style=discord.ButtonStyle.danger,
            exchange=exchange_id,
            student=user_id,
        )
    )


def _partners(names: tuple[str, ...], lang: str) -> str:
    return listing((shown(n, 40) for n in names), lang) or "—"


def withdrawn_paired_line(change: ConsentChange, lang: str) -> str:
    """What the teacher who withdrew consent reads when the student is in a pair."""
    return t(
        "consent.withdrawn_paired",
        lang,
        name=shown(change.student.display_name),
        partners=_partners(change.partners, lang),
        space=f"<#{change.pair_space_id}>" if change.pair_space_id else "—",
    )


async def post_withdrawn(bot: Twinbridge, send: Send) -> None:
    """Tell the teachers' channel that a paired student's consent was withdrawn (a scheduled
    send planned with the withdrawal), with the pair and the End this pair button."""
    notice: WithdrawnNotice | None = await bot.services.consent.withdrawn_notice(send)
    if notice is None:
        return
    channel = bot.get_channel(notice.channel_id)
    if not isinstance(channel, discord.abc.Messageable):
        raise UndeliverableError(f"channel {notice.channel_id} is gone")
    text = "\n\n".join(
        t(
            "consent.withdrawn_notice",
            lang,
            exchange=shown(notice.exchange.name),
            name=shown(notice.student.display_name),
            partners=_partners(notice.partners, lang),
            space=f"<#{notice.space_id}>" if notice.space_id else "—",
        )
        for lang in notice.languages
    )
    try:
        await channel.send(
            clip(text, CONTENT),
            view=end_pair_view(notice.exchange.id, notice.student.user_id, notice.languages),
            nonce=send.nonce,
            allowed_mentions=NO_PINGS,
        )
    except discord.DiscordServerError as exc:
        raise RetryLaterError(http_reason(exc)) from exc
    except discord.HTTPException as exc:
        raise UndeliverableError(http_reason(exc)) from exc
