"""A game's board as Discord shows it: the picture, and an embed of players, moves and clocks."""

from __future__ import annotations

import discord

from bot.domain.board_render import render_game
from bot.domain.chess_game import TimeControlKind
from bot.i18n import t
from bot.limits import EMBED_TITLE, FIELD_VALUE
from bot.services.chess import GameView
from cogs.chess.words import clock_text, ending_text, time_control_text
from cogs.common.files import Attachment, fitted
from cogs.common.text import clip, shown, timestamp

# Of an embed's 4096 characters, leaving room for the rest of the 6000 in all.
MOVE_LIST_BUDGET = 3000


def board_picture(view: GameView) -> tuple[discord.File, str]:
    """The board as a PNG file, seen from the side to move, and its `attachment://` address."""
    filename = f"chess-{view.id}-{view.record.ply}.png"
    # A fixed-size picture of some kilobytes, checked like every file the bot sends all the
    # same; not zipped, since the embed shows it.
    found = fitted(Attachment(filename, render_game(view.game)), compress=False)
    assert found is not None, "a board picture within Discord's file limit"
    return found.file(), f"attachment://{filename}"


def board_embed(
    view: GameView, lang: str, image: str, *, with_result: bool = True
) -> discord.Embed:
    """Players, moves, clocks, the result (unless the message text says it) and the picture."""
    embed = discord.Embed(
        title=clip(
            t(
                "chess.board_title",
                lang,
                game=view.id,
                white=shown(view.white.name),
                white_city=shown(view.white.city),
                black=shown(view.black.name),
                black_city=shown(view.black.city),
            ),
            EMBED_TITLE,
        ),
        description=view.game.move_list(MOVE_LIST_BUDGET) or t("chess.no_moves", lang),
        colour=discord.Colour.dark_green() if view.result is None else discord.Colour.dark_grey(),
    )
    embed.add_field(
        name=t("chess.field.time", lang), value=time_control_text(view.time_control, lang)
    )
    if view.clock is not None and view.result is None:
        deadline = view.clock.deadline
        if view.clock.frozen:
            # A paused space: no deadline runs, so none is shown.
            value = t("chess.clock_stopped", lang, name=shown(view.to_move.name))
        else:
            value = t(
                "chess.deadline",
                lang,
                name=shown(view.to_move.name),
                when=timestamp(deadline, "F"),
                relative=timestamp(deadline, "R"),
            )
        if view.time_control.kind is TimeControlKind.LIVE:
            value = (
                t(
                    "chess.clocks",
                    lang,
                    white=shown(view.white.name),
                    white_left=clock_text(view.clock.white_left),
                    black=shown(view.black.name),
                    black_left=clock_text(view.clock.black_left),
                )
                + "\n"
                + value
            )
        embed.add_field(
            name=t("chess.field.clock", lang), value=clip(value, FIELD_VALUE), inline=False
        )
    if view.game.draw_offer is not None and view.result is None:
        embed.add_field(
            name=t("chess.field.draw", lang),
            value=t("chess.draw_standing", lang, name=view.player(view.game.draw_offer).name),
            inline=False,
        )
    if view.result is not None and with_result:
        embed.add_field(
            name=t("chess.field.result", lang), value=ending_text(view, lang), inline=False
        )
    embed.set_image(url=image)
    return embed
