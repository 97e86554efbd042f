"""Every chess button and select, restart-proof, and the panels and pickers made of them.

Each custom_id carries the game (and the position a panel was made for), so a board posted
before a restart still works after it. Ids posted before the edge kit (`chess:move:12`,
`chess:piece:12:3`, …) are still routed here (`legacy=`). A command and a button that do the
same (`/chess draw` and Offer draw) share one handler below.
"""

from __future__ import annotations

from datetime import timedelta

import chess
import discord

from bot.app import Twinbridge
from bot.domain.chess_game import PieceMoves
from bot.errors import UserError
from bot.i18n import t
from bot.limits import SELECT_OPTION_TEXT, SELECT_OPTIONS
from bot.services.chess import ChessService, GameView, Picker, Promotion
from cogs.chess.table import DiscordChessTable, take_buttons_off
from cogs.chess.words import ending_text, piece_name, played_text
from cogs.common.checks import enforce_cooldown
from cogs.common.components import RestartButton, RestartSelect, buttons
from cogs.common.interactions import begin, show
from cogs.common.text import clip, shown

# What pings the other player besides the game's own boards, challenges and draw offers comes
# from one budget per student: a few per window, never a flood. One draw offer stands at a time,
# but "offer, the opponent moves, offer again" could otherwise nag at every move. Answering an
# offer is never limited (a student can always say yes or no), and answers follow offers.
FLOOD_WINDOW = timedelta(minutes=10)
PINGS_PER_WINDOW = 5
PINGS = "chess.ping"


def chess_of(interaction: discord.Interaction[Twinbridge]) -> ChessService:
    """The chess service of the bot the interaction reached."""
    return interaction.client.services.chess


def port_of(interaction: discord.Interaction[Twinbridge]) -> DiscordChessTable:
    """The table of the server the interaction came from."""
    assert interaction.guild is not None
    return DiscordChessTable(interaction.guild, PANELS)


# --- challenges ----------------------------------------------------------------------------------


class AcceptChallenge(RestartButton, key="chess.accept", legacy=r"chess:accept:(?P<game>\d+)"):
    """The challenged student starts the game."""

    game: int

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        await answer_challenge(interaction, self.game, accept=True)


class DeclineChallenge(RestartButton, key="chess.decline", legacy=r"chess:decline:(?P<game>\d+)"):
    """The challenged student declines, or the challenger withdraws."""

    game: int

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        await answer_challenge(interaction, self.game, accept=False)


async def answer_challenge(
    interaction: discord.Interaction[Twinbridge], game_id: int, *, accept: bool
) -> None:
    """Accept, decline or (the challenger) withdraw; the challenge message says so."""
    actor = await begin(interaction)
    view = await chess_of(interaction).answer_challenge(
        actor, game_id, accept, port_of(interaction)
    )
    outcome = "accepted" if accept else view.status.value
    await show(interaction, content=t(f"chess.you_{outcome}", actor.language, game=view.id))


# --- the move picker ------------------------------------------------------------------------------


class MoveButton(RestartButton, key="chess.move", legacy=r"chess:move:(?P<game>\d+)"):
    """Opens the move picker: the piece first, then its square."""

    game: int

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction)
        found = await chess_of(interaction).picker(actor, self.game)
        await show(
            interaction,
            content=t("chess.pick_piece", actor.language, game=self.game),
            view=piece_picker(found, actor.language),
        )


class PieceSelect(
    RestartSelect, key="chess.piece", legacy=r"chess:piece:(?P<game>\d+):(?P<ply>\d+)"
):
    """The piece to move, in the position after `ply`."""

    game: int
    ply: int

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction, update=True)
        found = await chess_of(interaction).picker(actor, self.game, self.ply)
        square = self.chosen[0]
        piece = next((p for p in found.pieces if p.square == square), None)
        if piece is None:
            raise UserError("chess.error.position_changed", game=self.game)
        lang = actor.language
        await show(
            interaction,
            content=t(
                "chess.pick_square", lang, piece=piece_name(piece.piece, lang), square=square
            ),
            view=square_picker(found, piece, lang),
        )


class SquareSelect(
    RestartSelect,
    key="chess.to",
    legacy=r"chess:to:(?P<game>\d+):(?P<ply>\d+):(?P<part>\d)",
):
    """Where the chosen piece goes (`part`: a queen may reach more squares than one select
    holds); a pawn reaching the last rank asks what it becomes next."""

    game: int
    ply: int
    part: int

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction, update=True)
        lang = actor.language
        outcome = await chess_of(interaction).pick(
            actor, self.game, self.ply, self.chosen[0], port_of(interaction)
        )
        if isinstance(outcome, Promotion):
            await show(
                interaction,
                content=t("chess.pick_promotion", lang, square=outcome.move[2:]),
                view=promotion_picker(self.game, self.ply, outcome.move, lang),
            )
            return
        await show(interaction, content=played_text(outcome, lang), view=None)


class PromoteButton(
    RestartButton,
    key="chess.promote",
    legacy=r"chess:promote:(?P<game>\d+):(?P<ply>\d+):(?P<uci>[a-h][1-8][a-h][1-8][qrbn])",
):
    """The piece a pawn becomes; plays the move."""

    game: int
    ply: int
    uci: str

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction, update=True)
        moved = await chess_of(interaction).play(
            actor, self.uci, port_of(interaction), game_id=self.game, expected_ply=self.ply
        )
        await show(interaction, content=played_text(moved, actor.language), view=None)


class BackButton(RestartButton, key="chess.back", legacy=r"chess:back:(?P<game>\d+):(?P<ply>\d+)"):
    """Back to choosing the piece."""

    game: int
    ply: int

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction, update=True)
        found = await chess_of(interaction).picker(actor, self.game, self.ply)
        await show(
            interaction,
            content=t("chess.pick_piece", actor.language, game=self.game),
            view=piece_picker(found, actor.language),
        )


def piece_picker(found: Picker, lang: str) -> discord.ui.View:
    """A select of the pieces that can move (at most 16: within Discord's 25 options)."""
    options = [
        discord.SelectOption(
            label=clip(f"{piece_name(p.piece, lang)} {p.square}", SELECT_OPTION_TEXT),
            value=p.square,
            description=t(
                "chess.option_moves", lang, count=sum(len(d.options) for d in p.destinations)
            ),
        )
        for p in found.pieces[:SELECT_OPTIONS]
    ]
    view = found.view
    return buttons(
        PieceSelect.make(
            options, placeholder=t("chess.pick_piece_hint", lang), game=view.id, ply=view.record.ply
        )
    )


def square_picker(found: Picker, piece: PieceMoves, lang: str) -> discord.ui.View:
    """Selects of the squares a piece can reach, 25 to a select (a queen may have 27)."""
    board = found.view.game.board
    options = []
    for destination in piece.destinations:
        target = board.piece_at(chess.parse_square(destination.square))
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
            discord.SelectOption(
                label=clip(label, SELECT_OPTION_TEXT), value=value, description=description
            )
        )
    game, ply = found.view.id, found.view.record.ply
    chunks = [options[i : i + SELECT_OPTIONS] for i in range(0, len(options), SELECT_OPTIONS)]
    hint = t("chess.pick_square_hint", lang)
    return buttons(
        *(
            SquareSelect.make(chunk, placeholder=hint, game=game, ply=ply, part=part)
            for part, chunk in enumerate(chunks)
        ),
        BackButton.make(t("chess.button.back", lang), game=game, ply=ply),
    )


def promotion_picker(game: int, ply: int, move: str, lang: str) -> discord.ui.View:
    """The four pieces a pawn may become, and Back."""
    return buttons(
        *(
            PromoteButton.make(
                piece_name(letter, lang),
                style=discord.ButtonStyle.primary,
                game=game,
                ply=ply,
                uci=move + letter,
            )
            for letter in "qrbn"
        ),
        BackButton.make(t("chess.button.back", lang), game=game, ply=ply),
    )


# --- draws, claims, resignation -------------------------------------------------------------------


class OfferDrawButton(RestartButton, key="chess.draw", legacy=r"chess:draw:(?P<game>\d+)"):
    """Offers a draw, or agrees the opponent's standing offer."""

    game: int

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        await offer_draw(interaction, self.game)


async def offer_draw(interaction: discord.Interaction[Twinbridge], game_id: int | None) -> None:
    """`/chess draw` and the board's Offer draw."""
    actor = await begin(interaction)
    answer = await chess_of(interaction).offer_draw(
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
    await show(
        interaction, content=t(key, actor.language, game=answer.view.id, name=shown(other.name))
    )


class AcceptDraw(
    RestartButton, key="chess.draw.accept", legacy=r"chess:draw-yes:(?P<game>\d+):(?P<ply>\d+)"
):
    """Agrees the draw offered in the position after `ply`."""

    game: int
    ply: int

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        await answer_draw(interaction, self.game, self.ply, accept=True)


class DeclineDraw(
    RestartButton, key="chess.draw.decline", legacy=r"chess:draw-no:(?P<game>\d+):(?P<ply>\d+)"
):
    """Declines the draw offered in the position after `ply`."""

    game: int
    ply: int

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        await answer_draw(interaction, self.game, self.ply, accept=False)


async def answer_draw(
    interaction: discord.Interaction[Twinbridge], game_id: int, ply: int, *, accept: bool
) -> None:
    """Agree or decline a draw offer; the offer loses its buttons."""
    actor = await begin(interaction)
    view = await chess_of(interaction).answer_draw(
        actor, game_id, accept, port_of(interaction), expected_ply=ply
    )
    key = "chess.draw_agreed_you" if accept else "chess.draw_declined_you"
    await show(interaction, content=t(key, actor.language, game=view.id, name=""))
    if interaction.message is not None:
        await take_buttons_off(interaction.message)


class ClaimDrawButton(RestartButton, key="chess.claim", legacy=r"chess:claim:(?P<game>\d+)"):
    """Claims a threefold repetition or the 50-move rule."""

    game: int

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        await claim_draw(interaction, self.game, None)


async def claim_draw(
    interaction: discord.Interaction[Twinbridge], game_id: int | None, move: str | None
) -> None:
    """`/chess claim` and the board's Claim draw."""
    actor = await begin(interaction)
    view = await chess_of(interaction).claim_draw(
        actor, game_id, move, port_of(interaction), interaction.channel_id
    )
    lang = actor.language
    await show(
        interaction,
        content=t("chess.claimed_you", lang, game=view.id) + "\n" + ending_text(view, lang),
    )


class ResignButton(RestartButton, key="chess.resign", legacy=r"chess:resign:(?P<game>\d+)"):
    """Asks first: a child's misclick must not end a game."""

    game: int

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        await ask_resign(interaction, self.game)


async def ask_resign(interaction: discord.Interaction[Twinbridge], game_id: int | None) -> None:
    """`/chess resign` and the board's Resign: "resign against X?" with a confirmation."""
    actor = await begin(interaction)
    view, opponent = await chess_of(interaction).resignable(actor, game_id, interaction.channel_id)
    lang = actor.language
    confirm = ConfirmResign.make(
        t("chess.button.resign_confirm", lang), style=discord.ButtonStyle.danger, game=view.id
    )
    await show(
        interaction,
        content=t("chess.resign_confirm", lang, game=view.id, name=shown(opponent.name)),
        view=buttons(confirm),
    )


class ConfirmResign(
    RestartButton, key="chess.resign.confirm", legacy=r"chess:resign-yes:(?P<game>\d+)"
):
    """Ends the game: the opponent wins."""

    game: int

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction, update=True)
        view = await chess_of(interaction).resign(actor, self.game, port_of(interaction))
        await show(
            interaction, content=t("chess.resigned_you", actor.language, game=view.id), view=None
        )


# --- what the table posts -----------------------------------------------------------------------


class ChessPanels:
    """The buttons under a game's challenge, boards and notices (`cogs.chess.table.Panels`)."""

    def challenge(self, view: GameView, lang: str) -> discord.ui.View:
        return buttons(
            AcceptChallenge.make(
                t("chess.button.accept", lang), style=discord.ButtonStyle.success, game=view.id
            ),
            DeclineChallenge.make(t("chess.button.decline", lang), game=view.id),
        )

    def board(self, view: GameView, lang: str) -> discord.ui.View:
        items: list[RestartButton] = [
            self._move(view, lang),
            OfferDrawButton.make(t("chess.button.offer_draw", lang), emoji="🤝", game=view.id),
            ResignButton.make(
                t("chess.button.resign", lang),
                emoji="🏳️",
                style=discord.ButtonStyle.danger,
                game=view.id,
            ),
        ]
        if view.game.can_claim_draw:
            items.append(
                ClaimDrawButton.make(t("chess.button.claim", lang), emoji="⚖️", game=view.id)
            )
        return buttons(*items)

    def draw_offer(self, view: GameView, lang: str) -> discord.ui.View:
        game, ply = view.id, view.record.ply
        return buttons(
            AcceptDraw.make(
                t("chess.button.accept_draw", lang),
                style=discord.ButtonStyle.success,
                game=game,
                ply=ply,
            ),
            DeclineDraw.make(t("chess.button.decline_draw", lang), game=game, ply=ply),
        )

    def move(self, view: GameView, lang: str) -> discord.ui.View:
        return buttons(self._move(view, lang))

    def _move(self, view: GameView, lang: str) -> MoveButton:
        return MoveButton.make(
            t("chess.button.move", lang),
            emoji="♟️",
            style=discord.ButtonStyle.primary,
            game=view.id,
        )


PANELS = ChessPanels()
