"""The chess service's `ChessPort`, done with discord.py in one server: `DiscordChessTable`.

It posts a game's challenge, boards and notices in the game's space. The buttons on them come
from `Panels` (made in `cogs.chess.components`), whose handlers use this table in turn.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol

import discord

from bot.domain.chess_game import GameStatus, PlayedMove
from bot.i18n import t
from bot.limits import CONTENT, EMBED_TITLE
from bot.services.chess import GameView, Player
from cogs.chess.board import board_embed, board_picture
from cogs.chess.words import ending_text, languages_of, time_control_text, turn_text
from cogs.common.channels import Space, find_space, reopened
from cogs.common.text import NO_PINGS, clip, mention, only_users, shown, timestamp

log = logging.getLogger(__name__)


class Panels(Protocol):
    """The buttons the table puts under what it posts, in the reader's language."""

    def challenge(self, view: GameView, lang: str) -> discord.ui.View:
        """Accept and Decline, under a challenge."""

    def board(self, view: GameView, lang: str) -> discord.ui.View:
        """Move, Offer draw, Resign (and Claim draw when one may be claimed), under a board."""

    def draw_offer(self, view: GameView, lang: str) -> discord.ui.View:
        """Accept and Decline, under a draw offer in the position it was made in."""

    def move(self, view: GameView, lang: str) -> discord.ui.View:
        """Move, under a reminder of a deadline."""


class DiscordChessTable:
    """Chess's `ChessPort` in one server."""

    def __init__(self, guild: discord.Guild, panels: Panels) -> None:
        self.guild = guild
        self.panels = panels

    async def _space(self, space_id: int, *, to_edit: bool = False) -> Space | None:
        """The game's space, fetched when discord.py no longer has it (a pair's thread that
        archived itself after a quiet week). A post reopens such a thread by itself; editing
        a message there (`to_edit`) needs it unarchived first. None when it cannot be had."""
        try:
            found = await find_space(self.guild, space_id)
            return await reopened(found) if to_edit and found is not None else found
        except discord.HTTPException as error:
            log.warning("could not reach space %s: %s", space_id, error)
            return None

    async def can_play_in(self, channel_id: int, user_ids: Sequence[int]) -> str | None:
        channel = await self._space(channel_id)
        if channel is None:
            return "chess.error.bot_cannot_post_here"
        mine = channel.permissions_for(self.guild.me)
        send = (
            mine.send_messages_in_threads
            if isinstance(channel, discord.Thread)
            else mine.send_messages
        )
        if not (mine.view_channel and send and mine.attach_files and mine.embed_links):
            return "chess.error.bot_cannot_post_here"
        if isinstance(channel, discord.Thread) and channel.is_private():
            return "chess.error.channel_not_shared"  # only a pair's own thread is shared
        for user_id in user_ids:
            try:
                member = self.guild.get_member(user_id) or await self.guild.fetch_member(user_id)
            except discord.NotFound:
                return "chess.error.channel_not_shared"
            if not channel.permissions_for(member).view_channel:
                return "chess.error.channel_not_shared"
        return None

    async def show_challenge(self, view: GameView) -> int | None:
        space = await self._space(view.record.space_id)
        if space is None:
            return None
        them, me = view.challenged, view.challenger
        lang = them.language
        embed = discord.Embed(
            title=clip(t("chess.challenge_title", lang, game=view.id), EMBED_TITLE),
            description=t(
                "chess.challenge_body",
                lang,
                white=shown(view.white.name),
                black=shown(view.black.name),
                time=time_control_text(view.time_control, lang),
                expires=timestamp(view.record.deadline_at, "R") if view.record.deadline_at else "",
            ),
            colour=discord.Colour.dark_gold(),
        )
        message = await _post(
            space,
            t(
                "chess.challenge",
                lang,
                mention=mention(them.user_id),
                name=shown(me.name),
                city=shown(me.city),
            ),
            embed=embed,
            view=self.panels.challenge(view, lang),
            allowed_mentions=only_users([them.user_id]),
        )
        return message.id if message else None

    async def close_challenge(self, view: GameView) -> None:
        message_id = view.record.challenge_message_id
        if message_id is None:
            return
        space = await self._space(view.record.space_id, to_edit=True)
        if space is None:
            return
        lang = view.challenged.language
        who = view.challenger if view.status is GameStatus.WITHDRAWN else view.challenged
        key = "accepted" if view.status is GameStatus.ACTIVE else view.status.value
        text = t(
            f"chess.challenge_{key}",
            lang,
            name=shown(who.name),
            game=view.id,
            white=shown(view.white.name),
            black=shown(view.black.name),
        )
        try:
            await space.get_partial_message(message_id).edit(
                content=text, view=None, allowed_mentions=NO_PINGS
            )
        except discord.HTTPException as error:
            log.info("could not update challenge %s: %s", view.id, error)

    async def show_board(self, view: GameView, played: PlayedMove | None) -> int | None:
        space = await self._space(view.record.space_id)
        if space is None:
            return None
        over = view.result is not None
        reader = view.to_move
        lang = reader.language
        picture, image = board_picture(view)
        # An ending is announced in the message text, in both players' languages.
        embed = board_embed(view, lang, image, with_result=not over)
        if over:
            content = "\n".join(ending_text(view, language) for language in languages_of(view))
            mentioned = [p.user_id for p in view.players]
            content = " ".join(mention(user_id) for user_id in mentioned) + "\n" + content
            buttons = None
        else:
            content = turn_text(view, played, lang)
            mentioned = [reader.user_id]
            buttons = self.panels.board(view, lang)
        message = await _post(
            space,
            clip(content.strip(), CONTENT),
            embed=embed,
            file=picture,
            view=buttons or discord.utils.MISSING,
            allowed_mentions=only_users(mentioned),
        )
        return message.id if message else None

    async def retire_board(self, space_id: int, message_id: int) -> None:
        space = await self._space(space_id, to_edit=True)
        if space is None:
            return
        await take_buttons_off(space.get_partial_message(message_id))

    async def notice(self, view: GameView, kind: str, by: Player) -> None:
        space = await self._space(view.record.space_id)
        if space is None:
            return
        other = view.player(by.color.other)
        lang = other.language
        if kind == "draw_offered":
            await _post(
                space,
                t(
                    "chess.draw_offered",
                    lang,
                    mention=mention(other.user_id),
                    name=shown(by.name),
                    game=view.id,
                ),
                view=self.panels.draw_offer(view, lang),
                allowed_mentions=only_users([other.user_id]),
            )
        else:
            await _post(
                space,
                t(f"chess.{kind}", lang, name=shown(by.name), game=view.id),
                allowed_mentions=NO_PINGS,
            )

    async def remind(self, view: GameView) -> None:
        await self._deadline_notice(view, "chess.reminder")

    async def extended(self, view: GameView) -> None:
        await self._deadline_notice(view, "chess.extended")

    async def _deadline_notice(self, view: GameView, key: str) -> None:
        """Tell the player to move about their deadline, with a Move button; only they are
        pinged."""
        space = await self._space(view.record.space_id)
        if space is None or view.clock is None:
            return
        who = view.to_move
        lang = who.language
        await _post(
            space,
            t(
                key,
                lang,
                mention=mention(who.user_id),
                game=view.id,
                name=view.player(who.color.other).name,
                when=timestamp(view.clock.deadline, "F"),
                relative=timestamp(view.clock.deadline, "R"),
            ),
            view=self.panels.move(view, lang),
            allowed_mentions=only_users([who.user_id]),
        )


async def _post(space: Space, content: str, **kwargs: Any) -> discord.Message | None:
    """Post in a game's space; a failure (permissions changed, space archived) is logged, not
    raised: the game itself is already stored, and /chess board shows it again."""
    try:
        return await space.send(content, **kwargs)
    except discord.HTTPException as error:
        log.warning("could not post in %s: %s", space.id, error)
        return None


async def take_buttons_off(message: discord.Message | discord.PartialMessage) -> None:
    """Take the buttons off a board or an answered offer. Cosmetic: a failure (the message
    deleted, the space archived) is logged, since what the buttons did is stored already."""
    try:
        await message.edit(view=None)
    except discord.HTTPException as error:
        log.info("could not take the buttons off message %s: %s", message.id, error)
