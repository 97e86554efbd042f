"""The options chess commands share, parsed and offered once: a game, a move, a time control.

Autocomplete reads the database only within `bounded`'s time limit; `transform` never reads it.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.domain.chess_game import TimeControlError, parse_time_control
from bot.errors import UserError
from bot.i18n import t
from bot.limits import CHOICE_NAME, CHOICES
from bot.services.access import Actor
from cogs.chess.words import game_line, piece_name, time_control_text
from cogs.common.interactions import actor_of, client_of, language_soon
from cogs.common.params import ActorIdParam, bounded, chosen
from cogs.common.text import clip

# The usual time controls, offered first.
TIME_CHOICES = ("2d", "1d", "3d", "10+5", "5+3", "15+10")
LONGEST_MOVE = 20  # "e7e8q", "Nbxd7+", with room for what people add


class GameParam(ActorIdParam):
    """A game by its number; the player's games are offered (staff: the server's).

    `finished`: finished games too (a board or a PGN), not only games in play.
    """

    def __init__(self, *, finished: bool) -> None:
        self.finished = finished

    async def offer_to(
        self, interaction: discord.Interaction[Any], actor: Actor, typed: str
    ) -> list[app_commands.Choice[int]]:
        lines = await client_of(interaction).services.chess.game_choices(
            actor, typed, finished=self.finished
        )
        return [
            app_commands.Choice(
                name=clip(game_line(line, actor.language, plain=True), CHOICE_NAME),
                value=line.id,
            )
            for line in lines
        ]


class MoveParam(app_commands.Transformer):
    """A move as typed (SAN, UCI, any case); the legal moves of the player's game are offered,
    in SAN and in words."""

    @property
    def min_value(self) -> int:
        return 1

    @property
    def max_value(self) -> int:
        return LONGEST_MOVE

    async def transform(self, interaction: discord.Interaction[Any], value: Any) -> str:
        return str(value)

    async def autocomplete(  # type: ignore[override]
        self, interaction: discord.Interaction[Any], value: int | float | str, /
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        game = chosen(interaction, "game")

        async def choices() -> list[app_commands.Choice[str]]:
            try:
                actor = await actor_of(interaction)
            except UserError:
                return []
            hints = await client_of(interaction).services.chess.move_hints(
                actor,
                game if isinstance(game, int) else None,
                interaction.channel_id,
                str(value),
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
                        CHOICE_NAME,
                    ),
                    value=h.uci,
                )
                for h in hints
            ]

        return await bounded(choices)


class TimeParam(app_commands.Transformer):
    """A time control: "2d" (days per move) or "10+5" (minutes + seconds per move)."""

    @property
    def min_value(self) -> int:
        return 1

    @property
    def max_value(self) -> int:
        return 20

    async def transform(self, interaction: discord.Interaction[Any], value: Any) -> str:
        return str(value)

    async def autocomplete(  # type: ignore[override]
        self, interaction: discord.Interaction[Any], value: int | float | str, /
    ) -> list[app_commands.Choice[str]]:
        lang = await language_soon(interaction)
        values = list(TIME_CHOICES)
        typed = str(value).strip()
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
                name=clip(f"{v} · {time_control_text(parse_time_control(v), lang)}", CHOICE_NAME),
                value=v,
            )
            for v in shown[:CHOICES]
        ]


# What a command's signature names (e.g. `game: GameInPlay | None = None`).
GameInPlay = app_commands.Transform[int, GameParam(finished=False)]
AnyGame = app_commands.Transform[int, GameParam(finished=True)]
Move = app_commands.Transform[str, MoveParam]
TimeText = app_commands.Transform[str, TimeParam]
