"""What the /join panel and a profile say, in the reader's language."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.domain.exchange import MAX_INTRO, NATIVE_NAMES, ParticipantStatus, Role, native_name
from bot.i18n import listing, t
from bot.limits import EMBED_DESCRIPTION, EMBED_TITLE, FIELD_VALUE
from bot.services.roster import DraftView, ProfileView
from cogs.common.text import band_label, clip, interest_label, shown


def interests_text(interests: Sequence[str], language: str) -> str:
    return listing((interest_label(i, language) for i in interests), language) or "—"


def profile_embed(view: ProfileView, language: str) -> discord.Embed:
    """A participant's own profile, as /profile and the end of /join show it."""
    me, exchange = view.participant, view.exchange
    city = exchange.city(me.city_id).name if me.city_id is not None else "—"
    paused = me.status is ParticipantStatus.PAUSED
    embed = discord.Embed(
        title=clip(t("roster.profile_title", language, name=shown(me.display_name)), EMBED_TITLE),
        colour=discord.Colour.orange() if paused else discord.Colour.green(),
    )
    if me.role is Role.STUDENT:
        embed.description = (
            clip(me.intro, EMBED_DESCRIPTION) if me.intro else t("roster.no_intro", language)
        )
    embed.add_field(
        name=t("roster.field_exchange", language), value=clip(exchange.name, FIELD_VALUE)
    )
    embed.add_field(name=t("roster.field_city", language), value=clip(city, FIELD_VALUE))
    embed.add_field(
        name=t("roster.field_role", language), value=t(f"roster.role_{me.role}", language)
    )
    if me.role is Role.STUDENT:
        embed.add_field(
            name=t("roster.field_band", language), value=band_label(me.grade_band, language)
        )
        embed.add_field(
            name=t("roster.field_languages", language),
            value=clip(listing(map(native_name, me.languages), language) or "—", FIELD_VALUE),
        )
        embed.add_field(
            name=t("roster.field_interests", language),
            value=clip(interests_text(me.interests, language), FIELD_VALUE),
            inline=False,
        )
    embed.add_field(
        name=t("roster.field_bot_language", language),
        value=NATIVE_NAMES.get(me.language, me.language),
    )
    if me.role is Role.STUDENT:
        embed.add_field(
            name=t("roster.field_status", language),
            value=t(f"roster.status_{me.status}_explained", language),
            inline=False,
        )
        space = f"<#{view.space_id}>" if view.space_id else t("roster.not_paired_yet", language)
        embed.add_field(name=t("roster.field_space", language), value=space)
    return embed


def panel_embed(panel: DraftView) -> discord.Embed:
    """The panel's title and steps, in the language chosen in it."""
    draft, exchange = panel.draft, panel.exchange
    lang = draft.language
    if not draft.editing:
        city = exchange.city(draft.city_id).name if draft.city_id is not None else "—"
        title = t("roster.join_title", lang, exchange=shown(exchange.name), city=city)
        steps = t("roster.join_steps", lang, limit=MAX_INTRO)
    else:
        title = t("roster.edit_title", lang, exchange=shown(exchange.name))
        steps = t(
            "roster.edit_steps" if draft.role is Role.STUDENT else "roster.edit_steps_staff",
            lang,
            limit=MAX_INTRO,
        )
    return discord.Embed(
        title=clip(title, EMBED_TITLE), description=steps, colour=discord.Colour.blurple()
    )
