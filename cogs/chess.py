"""`/chess …`: games between partners, boards in their paired space, buttons that survive restarts.

Discord I/O only: commands and buttons parse, call `bot.services.chess`, and render. Every button
and select is a `DynamicItem` whose custom_id carries the game id (and the position it was made
for), so a board posted before a restart still works after it.
"""

from __future__ import annotations

import io
import logging
import math
import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any, Self

import chess
import discord
from discord import app_commands
from discord.ext import commands

from bot.app import Twinbridge
from bot.domain.board_render import render_game
from bot.domain.chess_game import (
    Color,
    PieceMoves,
    PlayedMove,
    TimeControl,
    TimeControlError,
    TimeControlKind,
    parse_time_control,
)
from bot.domain.chess_league import points_text
from bot.errors import UserError
from bot.i18n import t
from bot.services import chess as service
from bot.services.access import Actor
from bot.store.sends import Send
from cogs.common.errors import render_error
from cogs.common.interactions import language_for, say
from cogs.utils import (
    NO_PINGS,
    actor_of,
    clip,
    cooldown,
    enforce_cooldown,
    exchange_autocomplete,
    timestamp,
)

log = logging.getLogger(__name__)

PER_PAGE = 15
MOVE_LIST_BUDGET = 3000  # of an embed's 4096, leaving room for the rest of the 6000 total
SELECT_OPTIONS = 25
# What pings the other player besides the game's own boards, challenges and draw offers, comes
# from one budget per student: a few per window, never a flood. One draw offer stands at a time,
# but "offer, the opponent moves, offer again" could otherwise nag at every move. Answering an
# offer is never limited (a student can always say yes or no), and answers follow offers.
FLOOD_WINDOW = timedelta(minutes=10)
PINGS_PER_WINDOW = 5
PINGS = "chess.ping"


# --- words ------------------------------------------------------------------------------------


def piece_name(symbol: str, language: str) -> str:
    return t(f"chess.piece.{symbol.lower()}", language)


def colour_name(color: Color, language: str) -> str:
    return t(f"chess.colour.{color.value}", language)


def move_in_words(played: PlayedMove, language: str) -> str:
    """ "knight g1 → f3", "castles king-side": the move for students who don't read SAN."""
    if played.castling:
        return t(f"chess.words.castle_{played.castling}", language)
    piece = piece_name(played.piece, language)
    if played.captured:
        text = t(
            "chess.words.capture",
            language,
            piece=piece,
            origin=played.from_square,
            target=played.to_square,
            captured=piece_name(played.captured, language),
        )
    else:
        text = t(
            "chess.words.move",
            language,
            piece=piece,
            origin=played.from_square,
            target=played.to_square,
        )
    if played.promotion:
        text += t("chess.words.promote", language, piece=piece_name(played.promotion, language))
    return text


def time_control_text(tc: TimeControl, language: str) -> str:
    if tc.kind is TimeControlKind.CORRESPONDENCE:
        days = tc.base.days
        return t("chess.time.day" if days == 1 else "chess.time.days", language, days=days)
    return t(
        "chess.time.live",
        language,
        minutes=int(tc.base.total_seconds()) // 60,
        increment=int(tc.increment.total_seconds()),
    )


def clock_text(left: timedelta) -> str:
    """9:35 or 1:02:03."""
    seconds = max(0, int(left.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"


def ending_text(view: service.GameView, language: str) -> str:
    result = view.result
    assert result is not None
    winner = view.player(result.winner) if result.winner else None
    term = result.termination.value
    if term == "timeout" and winner is None:
        term = "timeout_draw"
    loser = view.player(result.winner.other) if result.winner else view.to_move
    return t(
        f"chess.over.{term}",
        language,
        game=view.id,
        winner=winner.name if winner else "",
        loser=loser.name,
        result=result.pgn_result,
    )


def _languages(view: service.GameView) -> list[str]:
    return list(dict.fromkeys(p.language for p in view.players))


# --- the Discord side of a game --------------------------------------------------------------


class DiscordChessTable:
    """The chess service's `ChessPort`, done with discord.py in one guild."""

    def __init__(self, guild: discord.Guild) -> None:
        self.guild = guild

    async def _space(self, space_id: int) -> discord.TextChannel | discord.Thread | None:
        found = self.guild.get_channel_or_thread(space_id)
        if found is None:
            try:
                fetched = await self.guild.fetch_channel(space_id)
            except discord.HTTPException:
                return None
            found = fetched if isinstance(fetched, (discord.TextChannel, discord.Thread)) else None
        return found if isinstance(found, (discord.TextChannel, discord.Thread)) else None

    async def can_play_in(self, channel_id: int, user_ids: Sequence[int]) -> str | None:
        channel = await self._space(channel_id)
        if channel is None:
            return "chess.error.bot_cannot_post_here"
        mine = channel.permissions_for(self.guild.me)
        send = (
            mine.send_messages_in_threads
            if isinstance(channel, discord.Thread)
            else (mine.send_messages)
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

    async def show_challenge(self, view: service.GameView) -> int | None:
        space = await self._space(view.record.space_id)
        if space is None:
            return None
        them, me = view.challenged, view.challenger
        lang = them.language
        embed = discord.Embed(
            title=clip(t("chess.challenge_title", lang, game=view.id), 256),
            description=t(
                "chess.challenge_body",
                lang,
                white=view.white.name,
                black=view.black.name,
                time=time_control_text(view.time_control, lang),
                expires=timestamp(view.record.deadline_at, "R"),
            ),
            colour=discord.Colour.dark_gold(),
        )
        buttons = discord.ui.View(timeout=None)
        buttons.add_item(AcceptChallenge(view.id, t("chess.button.accept", lang)))
        buttons.add_item(DeclineChallenge(view.id, t("chess.button.decline", lang)))
        message = await _post(
            space,
            t("chess.challenge", lang, mention=f"<@{them.user_id}>", name=me.name, city=me.city),
            embed=embed,
            view=buttons,
            allowed_mentions=discord.AllowedMentions(users=[discord.Object(them.user_id)]),
        )
        return message.id if message else None

    async def close_challenge(self, view: service.GameView) -> None:
        message_id = view.record.challenge_message_id
        space = await self._space(view.record.space_id)
        if message_id is None or space is None:
            return
        lang = view.challenged.language
        who = view.challenger if view.status == "withdrawn" else view.challenged
        key = {"active": "accepted"}.get(view.status, view.status)
        text = t(
            f"chess.challenge_{key}",
            lang,
            name=who.name,
            game=view.id,
            white=view.white.name,
            black=view.black.name,
        )
        try:
            await space.get_partial_message(message_id).edit(
                content=text, view=None, allowed_mentions=NO_PINGS
            )
        except discord.HTTPException as error:
            log.info("could not update challenge %s: %s", view.id, error)

    async def show_board(self, view: service.GameView, played: PlayedMove | None) -> int | None:
        space = await self._space(view.record.space_id)
        if space is None:
            return None
        over = view.result is not None
        reader = view.to_move
        lang = reader.language
        png = render_game(view.game)
        filename = f"chess-{view.id}-{view.record.ply}.png"
        # An ending is announced in the message text, in both players' languages.
        embed = board_embed(view, lang, f"attachment://{filename}", with_result=not over)
        if over:
            content = "\n".join(ending_text(view, language) for language in _languages(view))
            mentioned = [p.user_id for p in view.players]
            buttons = None
        else:
            content = turn_text(view, played, lang)
            mentioned = [reader.user_id]
            buttons = board_buttons(view, lang)
        mentions = " ".join(f"<@{user_id}>" for user_id in mentioned) if over else ""
        message = await _post(
            space,
            clip(f"{mentions}\n{content}".strip(), 2000),
            embed=embed,
            file=discord.File(io.BytesIO(png), filename=filename),
            view=buttons or discord.utils.MISSING,
            allowed_mentions=discord.AllowedMentions(
                users=[discord.Object(user_id) for user_id in mentioned]
            ),
        )
        return message.id if message else None

    async def retire_board(self, space_id: int, message_id: int) -> None:
        space = await self._space(space_id)
        if space is None:
            return
        try:
            await space.get_partial_message(message_id).edit(view=None)
        except discord.HTTPException as error:
            log.info("could not retire board message %s: %s", message_id, error)

    async def notice(self, view: service.GameView, kind: str, by: service.Player) -> None:
        space = await self._space(view.record.space_id)
        if space is None:
            return
        other = view.player(by.color.other)
        lang = other.language
        if kind == "draw_offered":
            buttons = discord.ui.View(timeout=None)
            buttons.add_item(
                AcceptDraw(view.id, view.record.ply, t("chess.button.accept_draw", lang))
            )
            buttons.add_item(
                DeclineDraw(view.id, view.record.ply, t("chess.button.decline_draw", lang))
            )
            await _post(
                space,
                t(
                    "chess.draw_offered",
                    lang,
                    mention=f"<@{other.user_id}>",
                    name=by.name,
                    game=view.id,
                ),
                view=buttons,
                allowed_mentions=discord.AllowedMentions(users=[discord.Object(other.user_id)]),
            )
        else:
            await _post(
                space,
                t(f"chess.{kind}", lang, name=by.name, game=view.id),
                allowed_mentions=NO_PINGS,
            )

    async def remind(self, view: service.GameView) -> None:
        await self._deadline_notice(view, "chess.reminder")

    async def extended(self, view: service.GameView) -> None:
        await self._deadline_notice(view, "chess.extended")

    async def _deadline_notice(self, view: service.GameView, key: str) -> None:
        """Tell the player to move about their deadline, with a Move button; only they are
        pinged."""
        space = await self._space(view.record.space_id)
        if space is None or view.clock is None:
            return
        who = view.to_move
        lang = who.language
        buttons = discord.ui.View(timeout=None)
        buttons.add_item(MoveButton(view.id, t("chess.button.move", lang)))
        await _post(
            space,
            t(
                key,
                lang,
                mention=f"<@{who.user_id}>",
                game=view.id,
                name=view.player(who.color.other).name,
                when=timestamp(view.clock.deadline, "F"),
                relative=timestamp(view.clock.deadline, "R"),
            ),
            view=buttons,
            allowed_mentions=discord.AllowedMentions(users=[discord.Object(who.user_id)]),
        )


async def _post(
    space: discord.TextChannel | discord.Thread, content: str, **kwargs: Any
) -> discord.Message | None:
    """Post in a game's space; a failure (permissions changed, space archived) is logged, not
    raised: the game itself is already stored, and /chess board shows it again."""
    try:
        return await space.send(content, **kwargs)
    except discord.HTTPException as error:
        log.warning("could not post in %s: %s", space.id, error)
        return None


def turn_text(view: service.GameView, played: PlayedMove | None, lang: str) -> str:
    """The "your turn" notice: who is to move, and the move just made in SAN and in words."""
    who = view.to_move
    mention = f"<@{who.user_id}>"
    if played is None:
        text = t(
            "chess.first_turn",
            lang,
            mention=mention,
            game=view.id,
            colour=colour_name(who.color, lang),
        )
    else:
        text = t(
            "chess.your_turn",
            lang,
            mention=mention,
            game=view.id,
            name=view.player(played.color).name,
            san=played.san,
            words=move_in_words(played, lang),
        )
    if view.game.is_check:
        text += " " + t("chess.check_note", lang)
    if view.game.can_claim_draw:
        text += "\n" + t("chess.claim_note", lang)
    return text


def board_embed(
    view: service.GameView, lang: str, image: str, *, with_result: bool = True
) -> discord.Embed:
    """Players, moves, clocks, the result (unless the message text says it) and the picture."""
    embed = discord.Embed(
        title=clip(
            t(
                "chess.board_title",
                lang,
                game=view.id,
                white=view.white.name,
                white_city=view.white.city,
                black=view.black.name,
                black_city=view.black.city,
            ),
            256,
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
            value = t("chess.clock_stopped", lang, name=view.to_move.name)
        else:
            value = t(
                "chess.deadline",
                lang,
                name=view.to_move.name,
                when=timestamp(deadline, "F"),
                relative=timestamp(deadline, "R"),
            )
        if view.time_control.kind is TimeControlKind.LIVE:
            value = (
                t(
                    "chess.clocks",
                    lang,
                    white=view.white.name,
                    white_left=clock_text(view.clock.white_left),
                    black=view.black.name,
                    black_left=clock_text(view.clock.black_left),
                )
                + "\n"
                + value
            )
        embed.add_field(name=t("chess.field.clock", lang), value=clip(value, 1024), inline=False)
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


def board_buttons(view: service.GameView, lang: str) -> discord.ui.View:
    buttons = discord.ui.View(timeout=None)
    buttons.add_item(MoveButton(view.id, t("chess.button.move", lang)))
    buttons.add_item(OfferDrawButton(view.id, t("chess.button.offer_draw", lang)))
    buttons.add_item(ResignButton(view.id, t("chess.button.resign", lang)))
    if view.game.can_claim_draw:
        buttons.add_item(ClaimDrawButton(view.id, t("chess.button.claim", lang)))
    return buttons


def port_of(interaction: discord.Interaction[Twinbridge]) -> DiscordChessTable:
    assert interaction.guild is not None
    return DiscordChessTable(interaction.guild)


# --- buttons and selects -------------------------------------------------------------------------


async def guarded(
    interaction: discord.Interaction[Twinbridge], action: Callable[[Actor], Awaitable[None]]
) -> None:
    """Run a component's action; errors are answered ephemerally, as the tree does for commands.

    A bug is still raised after the apology, so discord.py logs it with its traceback.
    """
    try:
        actor = await actor_of(interaction)
        await action(actor)
    except UserError as error:
        await say(interaction, render_error(error, await language_for(interaction)))
    except Exception:
        try:
            await say(interaction, t("error.generic", await language_for(interaction)))
        except discord.HTTPException:
            log.warning("could not apologise for a failed chess component")
        raise


def _ids(match: re.Match[str]) -> tuple[int, int]:
    return int(match["game"]), int(match["ply"])


class AcceptChallenge(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"chess:accept:(?P<game>\d+)"
):
    def __init__(self, game_id: int, label: str = "Accept") -> None:
        super().__init__(
            discord.ui.Button(
                label=label, style=discord.ButtonStyle.success, custom_id=f"chess:accept:{game_id}"
            )
        )
        self.game_id = game_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls(int(match["game"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await answer_challenge(interaction, self.game_id, accept=True)


class DeclineChallenge(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"chess:decline:(?P<game>\d+)"
):
    def __init__(self, game_id: int, label: str = "Decline") -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=f"chess:decline:{game_id}",
            )
        )
        self.game_id = game_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls(int(match["game"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await answer_challenge(interaction, self.game_id, accept=False)


async def answer_challenge(
    interaction: discord.Interaction[Twinbridge], game_id: int, *, accept: bool
) -> None:
    async def act(actor: Actor) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        ctx = interaction.client.ctx
        view = await service.answer_challenge(
            ctx.db, ctx.clock, ctx.scheduler, actor, game_id, accept, port_of(interaction)
        )
        key = {"active": "accepted", "declined": "declined", "withdrawn": "withdrawn"}
        await interaction.followup.send(
            t(f"chess.you_{key[view.status]}", actor.language, game=view.id), ephemeral=True
        )

    await guarded(interaction, act)


class MoveButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"chess:move:(?P<game>\d+)"
):
    """Opens the move picker: the piece first, then its square."""

    def __init__(self, game_id: int, label: str = "Move") -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                emoji="♟️",
                style=discord.ButtonStyle.primary,
                custom_id=f"chess:move:{game_id}",
            )
        )
        self.game_id = game_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls(int(match["game"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        async def act(actor: Actor) -> None:
            ctx = interaction.client.ctx
            found = await service.picker(ctx.db, ctx.clock, actor, self.game_id)
            await interaction.response.send_message(
                t("chess.pick_piece", actor.language, game=self.game_id),
                view=piece_picker(found, actor.language),
                ephemeral=True,
            )

        await guarded(interaction, act)


def piece_picker(found: service.Picker, lang: str) -> discord.ui.View:
    """A select of the pieces that can move (at most 16: within Discord's 25 options)."""
    options = [
        discord.SelectOption(
            label=f"{piece_name(p.piece, lang)} {p.square}",
            value=p.square,
            description=t(
                "chess.option_moves", lang, count=sum(len(d.options) for d in p.destinations)
            ),
        )
        for p in found.pieces[:SELECT_OPTIONS]
    ]
    picker = discord.ui.View(timeout=None)
    picker.add_item(
        PieceSelect(found.view.id, found.view.record.ply, options, t("chess.pick_piece_hint", lang))
    )
    return picker


def square_picker(found: service.Picker, piece: PieceMoves, lang: str) -> discord.ui.View:
    """Selects of the squares a piece can reach, 25 to a select (a queen may have 27)."""
    board = found.view.game.board
    options = []
    for destination in piece.destinations:
        target = board.piece_at(_square(destination.square))
        label = destination.square
        if target is not None:
            label += " · " + t(
                "chess.option_capture", lang, piece=piece_name(target.symbol(), lang)
            )
        first = destination.options[0]
        if destination.needs_promotion_choice:
            value = first.uci[:4]
            description = t("chess.option_promotion", lang)
        else:
            value = first.uci
            description = first.san
        options.append(
            discord.SelectOption(label=clip(label, 100), value=value, description=description)
        )
    picker = discord.ui.View(timeout=None)
    view, ply = found.view, found.view.record.ply
    chunks = [options[i : i + SELECT_OPTIONS] for i in range(0, len(options), SELECT_OPTIONS)]
    for part, chunk in enumerate(chunks):
        picker.add_item(SquareSelect(view.id, ply, part, chunk, t("chess.pick_square_hint", lang)))
    picker.add_item(BackButton(view.id, ply, t("chess.button.back", lang)))
    return picker


def _square(name: str) -> int:
    return chess.parse_square(name)


class PieceSelect(
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=r"chess:piece:(?P<game>\d+):(?P<ply>\d+)",
):
    def __init__(
        self,
        game_id: int,
        ply: int,
        options: list[discord.SelectOption] | None = None,
        placeholder: str | None = None,
    ) -> None:
        super().__init__(
            discord.ui.Select(
                custom_id=f"chess:piece:{game_id}:{ply}",
                options=options or [],
                placeholder=placeholder,
            )
        )
        self.game_id, self.ply = game_id, ply

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls(*_ids(match))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        async def act(actor: Actor) -> None:
            found = await _current_picker(actor, interaction, self.game_id, self.ply)
            square = self.item.values[0]
            piece = next((p for p in found.pieces if p.square == square), None)
            if piece is None:
                raise UserError("chess.error.position_changed", game=self.game_id)
            await interaction.response.edit_message(
                content=t(
                    "chess.pick_square",
                    actor.language,
                    piece=piece_name(piece.piece, actor.language),
                    square=piece.square,
                ),
                view=square_picker(found, piece, actor.language),
            )

        await guarded(interaction, act)


async def _current_picker(
    actor: Actor, interaction: discord.Interaction[Twinbridge], game_id: int, ply: int
) -> service.Picker:
    ctx = interaction.client.ctx
    found = await service.picker(ctx.db, ctx.clock, actor, game_id)
    if found.view.record.ply != ply:
        raise UserError("chess.error.position_changed", game=game_id)
    return found


class SquareSelect(
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=r"chess:to:(?P<game>\d+):(?P<ply>\d+):(?P<part>\d)",
):
    def __init__(
        self,
        game_id: int,
        ply: int,
        part: int = 0,
        options: list[discord.SelectOption] | None = None,
        placeholder: str | None = None,
    ) -> None:
        super().__init__(
            discord.ui.Select(
                custom_id=f"chess:to:{game_id}:{ply}:{part}",
                options=options or [],
                placeholder=placeholder,
            )
        )
        self.game_id, self.ply = game_id, ply

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        game_id, ply = _ids(match)
        return cls(game_id, ply, int(match["part"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        async def act(actor: Actor) -> None:
            uci = self.item.values[0]
            if len(uci) == 4:
                found = await _current_picker(actor, interaction, self.game_id, self.ply)
                if any(
                    option.uci.startswith(uci) and option.promotion
                    for piece in found.pieces
                    for destination in piece.destinations
                    for option in destination.options
                ):
                    await interaction.response.edit_message(
                        content=t("chess.pick_promotion", actor.language, square=uci[2:]),
                        view=promotion_picker(self.game_id, self.ply, uci, actor.language),
                    )
                    return
            await play_picked(interaction, actor, self.game_id, self.ply, uci)

        await guarded(interaction, act)


def promotion_picker(game_id: int, ply: int, uci: str, lang: str) -> discord.ui.View:
    picker = discord.ui.View(timeout=None)
    for letter in "qrbn":
        picker.add_item(PromoteButton(game_id, ply, uci + letter, piece_name(letter, lang)))
    picker.add_item(BackButton(game_id, ply, t("chess.button.back", lang)))
    return picker


class PromoteButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"chess:promote:(?P<game>\d+):(?P<ply>\d+):(?P<uci>[a-h][1-8][a-h][1-8][qrbn])",
):
    def __init__(self, game_id: int, ply: int, uci: str, label: str = "Promote") -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.primary,
                custom_id=f"chess:promote:{game_id}:{ply}:{uci}",
            )
        )
        self.game_id, self.ply, self.uci = game_id, ply, uci

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        game_id, ply = _ids(match)
        return cls(game_id, ply, match["uci"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        async def act(actor: Actor) -> None:
            await play_picked(interaction, actor, self.game_id, self.ply, self.uci)

        await guarded(interaction, act)


class BackButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"chess:back:(?P<game>\d+):(?P<ply>\d+)",
):
    def __init__(self, game_id: int, ply: int, label: str = "Back") -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=f"chess:back:{game_id}:{ply}",
            )
        )
        self.game_id, self.ply = game_id, ply

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls(*_ids(match))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        async def act(actor: Actor) -> None:
            found = await _current_picker(actor, interaction, self.game_id, self.ply)
            await interaction.response.edit_message(
                content=t("chess.pick_piece", actor.language, game=self.game_id),
                view=piece_picker(found, actor.language),
            )

        await guarded(interaction, act)


async def play_picked(
    interaction: discord.Interaction[Twinbridge], actor: Actor, game_id: int, ply: int, uci: str
) -> None:
    """Play a move chosen in the picker, for the position the picker was made for."""
    await interaction.response.defer()
    ctx = interaction.client.ctx
    moved = await service.play(
        ctx.db,
        ctx.clock,
        ctx.scheduler,
        actor,
        game_id=game_id,
        text=uci,
        port=port_of(interaction),
        expected_ply=ply,
    )
    await interaction.edit_original_response(content=played_text(moved, actor.language), view=None)


def played_text(moved: service.Moved, lang: str) -> str:
    text = t(
        "chess.played",
        lang,
        san=moved.played.san,
        words=move_in_words(moved.played, lang),
        game=moved.view.id,
    )
    if moved.view.result is not None:
        text += "\n" + ending_text(moved.view, lang)
    return text


class OfferDrawButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"chess:draw:(?P<game>\d+)"
):
    def __init__(self, game_id: int, label: str = "Offer draw") -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                emoji="🤝",
                style=discord.ButtonStyle.secondary,
                custom_id=f"chess:draw:{game_id}",
            )
        )
        self.game_id = game_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls(int(match["game"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await offer_draw(interaction, self.game_id)


async def offer_draw(interaction: discord.Interaction[Twinbridge], game_id: int | None) -> None:
    async def act(actor: Actor) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        ctx = interaction.client.ctx
        answer = await service.offer_draw(
            ctx.db,
            ctx.clock,
            ctx.scheduler,
            actor,
            game_id,
            port_of(interaction),
            interaction.channel_id,
            before_offer=lambda: enforce_cooldown(
                interaction, PINGS, rate=PINGS_PER_WINDOW, per=FLOOD_WINDOW
            ),
        )
        me = answer.view.of_user(actor.user_id)
        assert me is not None
        other = answer.view.player(me.color.other)
        key = "chess.draw_agreed_you" if answer.agreed else "chess.draw_offered_you"
        await interaction.followup.send(
            t(key, actor.language, game=answer.view.id, name=other.name), ephemeral=True
        )

    await guarded(interaction, act)


class AcceptDraw(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"chess:draw-yes:(?P<game>\d+):(?P<ply>\d+)",
):
    def __init__(self, game_id: int, ply: int, label: str = "Accept draw") -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.success,
                custom_id=f"chess:draw-yes:{game_id}:{ply}",
            )
        )
        self.game_id, self.ply = game_id, ply

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls(*_ids(match))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await answer_draw(interaction, self.game_id, self.ply, accept=True)


class DeclineDraw(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"chess:draw-no:(?P<game>\d+):(?P<ply>\d+)",
):
    def __init__(self, game_id: int, ply: int, label: str = "Decline draw") -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=f"chess:draw-no:{game_id}:{ply}",
            )
        )
        self.game_id, self.ply = game_id, ply

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls(*_ids(match))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await answer_draw(interaction, self.game_id, self.ply, accept=False)


async def answer_draw(
    interaction: discord.Interaction[Twinbridge], game_id: int, ply: int, *, accept: bool
) -> None:
    async def act(actor: Actor) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        ctx = interaction.client.ctx
        view = await service.answer_draw(
            ctx.db,
            ctx.clock,
            ctx.scheduler,
            actor,
            game_id,
            accept,
            port_of(interaction),
            expected_ply=ply,
        )
        key = "chess.draw_agreed_you" if accept else "chess.draw_declined_you"
        await interaction.followup.send(
            t(key, actor.language, game=view.id, name=""), ephemeral=True
        )
        if interaction.message is not None:
            try:
                await interaction.message.edit(view=None)
            except discord.HTTPException as error:
                log.info("could not close a draw offer: %s", error)

    await guarded(interaction, act)


class ResignButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"chess:resign:(?P<game>\d+)"
):
    """Asks first: a child's misclick must not end a game."""

    def __init__(self, game_id: int, label: str = "Resign") -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                emoji="🏳️",
                style=discord.ButtonStyle.danger,
                custom_id=f"chess:resign:{game_id}",
            )
        )
        self.game_id = game_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls(int(match["game"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await ask_resign(interaction, self.game_id)


async def ask_resign(interaction: discord.Interaction[Twinbridge], game_id: int | None) -> None:
    async def act(actor: Actor) -> None:
        ctx = interaction.client.ctx
        view, opponent = await service.resignable(
            ctx.db, ctx.clock, actor, game_id, interaction.channel_id
        )
        confirm = discord.ui.View(timeout=None)
        confirm.add_item(ConfirmResign(view.id, t("chess.button.resign_confirm", actor.language)))
        await interaction.response.send_message(
            t("chess.resign_confirm", actor.language, game=view.id, name=opponent.name),
            view=confirm,
            ephemeral=True,
        )

    await guarded(interaction, act)


class ConfirmResign(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"chess:resign-yes:(?P<game>\d+)"
):
    def __init__(self, game_id: int, label: str = "Yes, resign") -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.danger,
                custom_id=f"chess:resign-yes:{game_id}",
            )
        )
        self.game_id = game_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls(int(match["game"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        async def act(actor: Actor) -> None:
            await interaction.response.defer()
            ctx = interaction.client.ctx
            view = await service.resign(
                ctx.db, ctx.clock, ctx.scheduler, actor, self.game_id, port_of(interaction)
            )
            await interaction.edit_original_response(
                content=t("chess.resigned_you", actor.language, game=view.id), view=None
            )

        await guarded(interaction, act)


class ClaimDrawButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"chess:claim:(?P<game>\d+)"
):
    def __init__(self, game_id: int, label: str = "Claim draw") -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                emoji="⚖️",
                style=discord.ButtonStyle.secondary,
                custom_id=f"chess:claim:{game_id}",
            )
        )
        self.game_id = game_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls(int(match["game"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await claim_draw(interaction, self.game_id, None)


async def claim_draw(
    interaction: discord.Interaction[Twinbridge], game_id: int | None, move: str | None
) -> None:
    async def act(actor: Actor) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        ctx = interaction.client.ctx
        view = await service.claim_draw(
            ctx.db,
            ctx.clock,
            ctx.scheduler,
            actor,
            game_id,
            move,
            port_of(interaction),
            interaction.channel_id,
        )
        await interaction.followup.send(
            t("chess.claimed_you", actor.language, game=view.id)
            + "\n"
            + ending_text(view, actor.language),
            ephemeral=True,
        )

    await guarded(interaction, act)


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    AcceptChallenge,
    DeclineChallenge,
    MoveButton,
    PieceSelect,
    SquareSelect,
    PromoteButton,
    BackButton,
    OfferDrawButton,
    AcceptDraw,
    DeclineDraw,
    ResignButton,
    ConfirmResign,
    ClaimDrawButton,
)


# --- autocomplete ------------------------------------------------------------------------------

TIME_CHOICES = ("2d", "1d", "3d", "10+5", "5+3", "15+10")


async def time_autocomplete(
    interaction: discord.Interaction[Twinbridge], current: str
) -> list[app_commands.Choice[str]]:
    """The usual time controls, and what was typed when it reads as one."""
    lang = await language_for(interaction)
    values = list(TIME_CHOICES)
    typed = current.strip()
    try:
        parsed = parse_time_control(typed).text if typed else None
    except TimeControlError:
        parsed = None
    if parsed and parsed not in values:
        values.insert(0, parsed)
    needle = typed.casefold()
    shown = [v for v in values if not needle or v.startswith(needle) or v == parsed] or values
    return [
        app_commands.Choice(
            name=clip(f"{v} · {time_control_text(parse_time_control(v), lang)}", 100), value=v
        )
        for v in shown[:25]
    ]


async def move_autocomplete(
    interaction: discord.Interaction[Twinbridge], current: str
) -> list[app_commands.Choice[str]]:
    """The legal moves of the player's position that start like what they typed."""
    try:
        actor = await actor_of(interaction)
    except UserError:
        return []
    ctx = interaction.client.ctx
    game_id = getattr(interaction.namespace, "game", None)
    hints = await service.move_hints(
        ctx.db,
        ctx.clock,
        actor,
        game_id if isinstance(game_id, int) else None,
        interaction.channel_id,
        current,
    )
    lang = actor.language
    return [
        app_commands.Choice(
            name=clip(
                f"{h.san} · "
                + t(
                    "chess.words.move",
                    lang,
                    piece=piece_name(h.piece, lang),
                    origin=h.from_square,
                    target=h.to_square,
                ),
                100,
            ),
            value=h.uci,
        )
        for h in hints
    ]


async def _game_autocomplete(
    interaction: discord.Interaction[Twinbridge], current: str, *, finished: bool
) -> list[app_commands.Choice[int]]:
    try:
        actor = await actor_of(interaction)
    except UserError:
        return []
    lines = await service.game_choices(interaction.client.ctx.db, actor, current, finished=finished)
    return [
        app_commands.Choice(
            name=clip(game_line(line, actor.language, plain=True), 100), value=line.id
        )
        for line in lines
    ]


async def game_autocomplete(
    interaction: discord.Interaction[Twinbridge], current: str
) -> list[app_commands.Choice[int]]:
    """The player's games in play."""
    return await _game_autocomplete(interaction, current, finished=False)


async def any_game_autocomplete(
    interaction: discord.Interaction[Twinbridge], current: str
) -> list[app_commands.Choice[int]]:
    """The player's games in play or finished (for PGN)."""
    return await _game_autocomplete(interaction, current, finished=True)


def game_line(line: service.GameLine, lang: str, *, plain: bool = False) -> str:
    """One game in a list."""
    colour = colour_name(line.color, lang)
    if line.status == "active":
        key = "chess.line.mine" if line.my_turn else "chess.line.theirs"
        due = timestamp(line.deadline, "R") if line.deadline is not None and not plain else ""
        return t(key, lang, game=line.id, opponent=line.opponent, colour=colour, due=due).strip(
            " ·"
        )
    if line.status == "offered":
        return t("chess.line.offered", lang, game=line.id, opponent=line.opponent, colour=colour)
    if line.status == "finished":
        outcome = (
            ("draw" if line.score == 0.5 else "win" if line.score == 1.0 else "loss")
            if line.score is not None
            else "draw"
        )
        return t(
            "chess.line.finished",
            lang,
            game=line.id,
            opponent=line.opponent,
            colour=colour,
            outcome=t(f"chess.outcome.{outcome}", lang),
            how=t(f"chess.term.{line.termination}", lang),
            result=line.result or "",
        )
    return t(
        "chess.line.closed",
        lang,
        game=line.id,
        opponent=line.opponent,
        status=t(f"chess.status.{line.status}", lang),
    )


# --- the cog ----------------------------------------------------------------------------------


@app_commands.guild_only()
class ChessCog(
    commands.GroupCog, group_name="chess", group_description="Chess between partner cities"
):
    """Chess games, city-vs-city standings and PGN exports."""

    def __init__(self, bot: Twinbridge) -> None:
        self.bot = bot

    async def sweep(self) -> None:
        """At start-up (before the sends that fell due meanwhile): settle what the outage
        caught, lapsed challenges and games whose time ran out while the bot was down."""
        ctx = self.bot.ctx
        lapsed, extended = await service.sweep(ctx.db, ctx.clock, ctx.scheduler, self.port_for)
        if lapsed or extended:
            log.warning(
                "after the outage: %d chess challenges lapsed, %d games got more time",
                lapsed,
                extended,
            )

    async def port_for(self, guild_id: int) -> service.ChessPort | None:
        guild = self.bot.get_guild(guild_id)
        return DiscordChessTable(guild) if guild is not None else None

    # -- scheduled sends --

    async def on_deadline(self, send: Send) -> None:
        port = await self.port_for(send.guild_id)
        if port is not None:
            ctx = self.bot.ctx
            await service.time_out(
                ctx.db, ctx.clock, ctx.scheduler, send.payload["game"], send.payload["ply"], port
            )

    async def on_reminder(self, send: Send) -> None:
        port = await self.port_for(send.guild_id)
        if port is not None:
            ctx = self.bot.ctx
            await service.remind(ctx.db, ctx.clock, send.payload["game"], send.payload["ply"], port)

    async def on_expire(self, send: Send) -> None:
        port = await self.port_for(send.guild_id)
        if port is not None:
            ctx = self.bot.ctx
            await service.expire_challenge(ctx.db, ctx.clock, send.payload["game"], port)

    # -- commands --

    @app_commands.command(
        name="challenge", description="Challenge your partner (or a partner-city student) to chess"
    )
    @app_commands.describe(
        opponent="Your partner, or another student of the partner city",
        time="Correspondence 1d/2d/3d per move (default 2d) or live like 10+5",
        colour="Which colour you play",
        exchange="The exchange, if the server has several",
    )
    @app_commands.choices(
        colour=[
            app_commands.Choice(name="Random", value="random"),
            app_commands.Choice(name="White", value="white"),
            app_commands.Choice(name="Black", value="black"),
        ]
    )
    @app_commands.autocomplete(time=time_autocomplete)
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    @cooldown(PINGS, rate=PINGS_PER_WINDOW, per=FLOOD_WINDOW)
    async def challenge(
        self,
        interaction: discord.Interaction[Twinbridge],
        opponent: discord.Member,
        time: app_commands.Range[str, 1, 20] = "2d",
        colour: str = "random",
        exchange: int | None = None,
    ) -> None:
        # Acknowledge before any database work: under load the answer stays within Discord's 3 s.
        await interaction.response.defer(ephemeral=True, thinking=True)
        actor = await actor_of(interaction)
        assert interaction.channel_id is not None
        ctx = self.bot.ctx
        view = await service.challenge(
            ctx.db,
            ctx.clock,
            ctx.scheduler,
            actor,
            opponent_user_id=opponent.id,
            time_control=time,
            colour=colour,
            exchange_id=exchange,
            channel_id=interaction.channel_id,
            port=port_of(interaction),
        )
        await interaction.followup.send(
            t(
                "chess.challenged_you",
                actor.language,
                game=view.id,
                name=view.challenged.name,
                channel=f"<#{view.record.space_id}>",
            ),
            ephemeral=True,
        )

    @app_commands.command(name="move", description="Play a move: e4, Nf3, O-O or e2e4")
    @app_commands.describe(
        move="Start typing to see your legal moves", game="The game, if you play several"
    )
    @app_commands.autocomplete(move=move_autocomplete)
    @app_commands.autocomplete(game=game_autocomplete)
    async def move(
        self,
        interaction: discord.Interaction[Twinbridge],
        move: app_commands.Range[str, 1, 20],
        game: int | None = None,
    ) -> None:
        # Acknowledge before any database work: under load the answer stays within Discord's 3 s.
        await interaction.response.defer(ephemeral=True, thinking=True)
        actor = await actor_of(interaction)
        ctx = self.bot.ctx
        moved = await service.play(
            ctx.db,
            ctx.clock,
            ctx.scheduler,
            actor,
            game_id=game,
            text=move,
            port=port_of(interaction),
            channel_id=interaction.channel_id,
        )
        await interaction.followup.send(played_text(moved, actor.language), ephemeral=True)

    @app_commands.command(name="board", description="See a game's board and whose turn it is")
    @app_commands.autocomplete(game=any_game_autocomplete)
    async def board(
        self, interaction: discord.Interaction[Twinbridge], game: int | None = None
    ) -> None:
        # Acknowledge before any database work: under load the answer stays within Discord's 3 s.
        await interaction.response.defer(ephemeral=True, thinking=True)
        actor = await actor_of(interaction)
        ctx = self.bot.ctx
        view = await service.look(ctx.db, ctx.clock, actor, game, interaction.channel_id)
        filename = f"chess-{view.id}-{view.record.ply}.png"
        png = render_game(view.game)
        buttons = discord.ui.View(timeout=None)
        me = view.of_user(actor.user_id)
        if view.status == "active" and me is not None and view.game.turn is me.color:
            buttons.add_item(MoveButton(view.id, t("chess.button.move", actor.language)))
        await interaction.followup.send(
            embed=board_embed(view, actor.language, f"attachment://{filename}"),
            file=discord.File(io.BytesIO(png), filename=filename),
            view=buttons,
            ephemeral=True,
        )

    @app_commands.command(name="draw", description="Offer a draw, or accept your opponent's offer")
    @app_commands.autocomplete(game=game_autocomplete)
    async def draw(
        self, interaction: discord.Interaction[Twinbridge], game: int | None = None
    ) -> None:
        await offer_draw(interaction, game)

    @app_commands.command(
        name="claim", description="Claim a draw: threefold repetition or the 50-move rule"
    )
    @app_commands.describe(move="The move that repeats the position, if it is not on the board yet")
    @app_commands.autocomplete(game=game_autocomplete)
    @app_commands.autocomplete(move=move_autocomplete)
    async def claim(
        self,
        interaction: discord.Interaction[Twinbridge],
        game: int | None = None,
        move: app_commands.Range[str, 1, 20] | None = None,
    ) -> None:
        await claim_draw(interaction, game, move)

    @app_commands.command(name="resign", description="Give up a game (you will be asked first)")
    @app_commands.autocomplete(game=game_autocomplete)
    async def resign(
        self, interaction: discord.Interaction[Twinbridge], game: int | None = None
    ) -> None:
        await ask_resign(interaction, game)

    @app_commands.command(name="pgn", description="Download a game as PGN for any chess program")
    @app_commands.autocomplete(game=any_game_autocomplete)
    async def pgn(self, interaction: discord.Interaction[Twinbridge], game: int) -> None:
        actor = await actor_of(interaction)
        ctx = self.bot.ctx
        filename, text = await service.pgn(ctx.db, ctx.clock, actor, game)
        await interaction.response.send_message(
            t("chess.pgn_ready", actor.language, game=game),
            file=discord.File(io.BytesIO(text.encode("utf-8")), filename=filename),
            ephemeral=True,
        )

    @app_commands.command(name="games", description="List your chess games (teachers: a student's)")
    async def games(
        self,
        interaction: discord.Interaction[Twinbridge],
        student: discord.Member | None = None,
        page: app_commands.Range[int, 1, 100] = 1,
    ) -> None:
        actor = await actor_of(interaction)
        name, lines = await service.games(self.bot.ctx.db, actor, student.id if student else None)
        lang = actor.language
        pages = max(1, math.ceil(len(lines) / PER_PAGE))
        page = min(page, pages)
        shown = lines[(page - 1) * PER_PAGE : page * PER_PAGE]
        embed = discord.Embed(
            title=clip(t("chess.games_title", lang, name=name or actor.display_name), 256),
            description="\n".join(game_line(line, lang) for line in shown)
            or t("chess.games_empty", lang),
            colour=discord.Colour.dark_green(),
        )
        embed.set_footer(text=t("chess.page", lang, page=page, pages=pages))
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=NO_PINGS
        )

    @app_commands.command(
        name="standings", description="City vs city: the team score and every student's results"
    )
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    async def standings(
        self,
        interaction: discord.Interaction[Twinbridge],
        exchange: int | None = None,
        page: app_commands.Range[int, 1, 100] = 1,
    ) -> None:
        actor = await actor_of(interaction)
        found = await service.standings(self.bot.ctx.db, actor, exchange)
        lang = actor.language
        (city_a, points_a), (city_b, points_b) = found.team_points
        pages = max(1, math.ceil(len(found.rows) / PER_PAGE))
        page = min(page, pages)
        first = (page - 1) * PER_PAGE
        lines = [
            t(
                "chess.standings_row",
                lang,
                rank=rank,
                name=row.name,
                city=row.city,
                points=points_text(row.points),
                played=row.played,
                wins=row.wins,
                draws=row.draws,
                losses=row.losses,
                rating=row.rating,
            )
            for rank, row in enumerate(found.rows[first : first + PER_PAGE], start=first + 1)
        ]
        header = t(
            "chess.standings_score",
            lang,
            city_a=city_a,
            points_a=points_text(points_a),
            points_b=points_text(points_b),
            city_b=city_b,
            games=found.games,
        )
        embed = discord.Embed(
            title=clip(t("chess.standings_title", lang, exchange=found.exchange.name), 256),
            description=header + "\n\n" + ("\n".join(lines) or t("chess.standings_empty", lang)),
            colour=discord.Colour.gold(),
        )
        embed.set_footer(text=t("chess.page", lang, page=page, pages=pages))
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=NO_PINGS
        )

    @app_commands.command(
        name="limit", description="Teachers: how many games two students may have going at once"
    )
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    async def limit(
        self,
        interaction: discord.Interaction[Twinbridge],
        games: app_commands.Range[int, 1, 10],
        exchange: int | None = None,
    ) -> None:
        actor = await actor_of(interaction)
        found = await service.set_games_per_pair(
            self.bot.ctx.db, self.bot.ctx.clock, actor, exchange, games
        )
        await interaction.response.send_message(
            t("chess.limit_set", actor.language, exchange=found.name, games=games),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )


async def setup(bot: Twinbridge) -> None:
    """Extension entry point: the cog, its restart-proof buttons and its scheduled sends."""
    cog = ChessCog(bot)
    await bot.add_cog(cog)
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    bot.ctx.scheduler.handle(service.KIND_DEADLINE, cog.on_deadline)
    bot.ctx.scheduler.handle(service.KIND_REMINDER, cog.on_reminder)
    bot.ctx.scheduler.handle(service.KIND_EXPIRE, cog.on_expire)
    bot.ctx.scheduler.at_start(cog.sweep)
