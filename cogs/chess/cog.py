"""`/chess …`: games between partners, boards in their paired space, city-vs-city standings.

Thin: each command acknowledges, calls `client.services.chess`, and renders what it returns.
"""

from __future__ import annotations

import logging
import math

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import Twinbridge
from bot.cldr import format_day
from bot.domain.chess_game import GameStatus
from bot.domain.chess_league import points_text
from bot.domain.shards import Scope
from bot.i18n import listing, t
from bot.limits import EMBED_TITLE
from bot.services.chess import MAX_GAMES_PER_PAIR, ChessPort, ChessService
from bot.services.chess.season import CITIES_TYPED
from bot.store.sends import Send
from cogs.chess.board import board_embed, board_picture
from cogs.chess.components import (
    FLOOD_WINDOW,
    PANELS,
    PINGS,
    PINGS_PER_WINDOW,
    ask_resign,
    claim_draw,
    offer_draw,
    port_of,
)
from cogs.chess.league import round_summary, seat_text, standings_embed, standings_picture
from cogs.chess.params import AnyGame, GameInPlay, Move, TimeText
from cogs.chess.table import DiscordChessTable
from cogs.chess.words import game_line, played_text, standings_lines
from cogs.common.checks import cooldown
from cogs.common.files import Attachment, left_out_note, pack
from cogs.common.interactions import begin, show
from cogs.common.params import Day, ExchangeId
from cogs.common.text import NO_PINGS, clip, only_users, shown

log = logging.getLogger(__name__)

PER_PAGE = 15
PAGES = 100  # the highest page a list can be asked for


@app_commands.guild_only()
class ChessCog(
    commands.GroupCog, group_name="chess", group_description="Chess between partner cities"
):
    """Chess games, city-vs-city standings and PGN exports."""

    def __init__(self, bot: Twinbridge) -> None:
        self.bot = bot

    @property
    def chess(self) -> ChessService:
        return self.bot.services.chess

    async def sweep(self, scope: Scope) -> None:
        """At start-up (before the sends that fell due meanwhile): settle what the outage
        caught, lapsed challenges and games whose time ran out while the bot was down, in
        this process's servers."""
        lapsed, extended = await self.chess.sweep(self.port_for, scope)
        if lapsed or extended:
            log.warning(
                "after the outage: %d chess challenges lapsed, %d games got more time",
                lapsed,
                extended,
            )

    async def port_for(self, guild_id: int) -> ChessPort | None:
        guild = self.bot.get_guild(guild_id)
        return DiscordChessTable(guild, PANELS) if guild is not None else None

    # -- scheduled sends --

    async def on_deadline(self, send: Send) -> None:
        port = await self.port_for(send.guild_id)
        if port is not None:
            await self.chess.time_out(send.payload["game"], send.payload["ply"], port)

    async def on_reminder(self, send: Send) -> None:
        port = await self.port_for(send.guild_id)
        if port is not None:
            await self.chess.remind(send.payload["game"], send.payload["ply"], port)

    async def on_expire(self, send: Send) -> None:
        port = await self.port_for(send.guild_id)
        if port is not None:
            await self.chess.expire_challenge(send.payload["game"], port)

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
    @cooldown(PINGS, rate=PINGS_PER_WINDOW, per=FLOOD_WINDOW)
    async def challenge(
        self,
        interaction: discord.Interaction[Twinbridge],
        opponent: discord.Member,
        time: TimeText = "2d",
        colour: str = "random",
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        assert interaction.channel_id is not None
        view = await self.chess.challenge(
            actor,
            opponent_user_id=opponent.id,
            time_control=time,
            colour=colour,
            exchange_id=exchange,
            channel_id=interaction.channel_id,
            port=port_of(interaction),
        )
        await show(
            interaction,
            content=t(
                "chess.challenged_you",
                actor.language,
                game=view.id,
                name=shown(view.challenged.name),
                channel=f"<#{view.record.space_id}>",
            ),
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(name="move", description="Play a move: e4, Nf3, O-O or e2e4")
    @app_commands.describe(
        move="Start typing to see your legal moves", game="The game, if you play several"
    )
    async def move(
        self,
        interaction: discord.Interaction[Twinbridge],
        move: Move,
        game: GameInPlay | None = None,
    ) -> None:
        actor = await begin(interaction)
        moved = await self.chess.play(
            actor,
            move,
            port_of(interaction),
            game_id=game,
            channel_id=interaction.channel_id,
        )
        await show(interaction, content=played_text(moved, actor.language))

    @app_commands.command(name="board", description="See a game's board and whose turn it is")
    async def board(
        self, interaction: discord.Interaction[Twinbridge], game: AnyGame | None = None
    ) -> None:
        actor = await begin(interaction)
        view = await self.chess.look(actor, game, interaction.channel_id)
        picture, image = board_picture(view)
        me = view.of_user(actor.user_id)
        in_play = view.status is GameStatus.ACTIVE
        my_turn = in_play and me is not None and me.color is view.game.turn
        buttons = PANELS.move(view, actor.language) if my_turn else None
        await show(
            interaction,
            embed=board_embed(view, actor.language, image),
            attachments=[picture],
            view=buttons,
        )

    @app_commands.command(name="draw", description="Offer a draw, or accept your opponent's offer")
    async def draw(
        self, interaction: discord.Interaction[Twinbridge], game: GameInPlay | None = None
    ) -> None:
        await offer_draw(interaction, game)

    @app_commands.command(
        name="claim", description="Claim a draw: threefold repetition or the 50-move rule"
    )
    @app_commands.describe(move="The move that repeats the position, if it is not on the board yet")
    async def claim(
        self,
        interaction: discord.Interaction[Twinbridge],
        game: GameInPlay | None = None,
        move: Move | None = None,
    ) -> None:
        await claim_draw(interaction, game, move)

    @app_commands.command(name="resign", description="Give up a game (you will be asked first)")
    async def resign(
        self, interaction: discord.Interaction[Twinbridge], game: GameInPlay | None = None
    ) -> None:
        await ask_resign(interaction, game)

    @app_commands.command(name="pgn", description="Download a game as PGN for any chess program")
    async def pgn(self, interaction: discord.Interaction[Twinbridge], game: AnyGame) -> None:
        actor = await begin(interaction)
        filename, text = await self.chess.pgn(actor, game)
        packed = pack([Attachment(filename, text.encode("utf-8"))])
        content = t("chess.pgn_ready", actor.language, game=game)
        if packed.left_out:  # a game is some kilobytes: never, but never over the limit either
            content = left_out_note(packed, actor.language)
        await show(interaction, content=content, attachments=packed.first())

    @app_commands.command(name="games", description="List your chess games (teachers: a student's)")
    async def games(
        self,
        interaction: discord.Interaction[Twinbridge],
        student: discord.Member | None = None,
        page: app_commands.Range[int, 1, PAGES] = 1,
    ) -> None:
        actor = await begin(interaction)
        name, lines = await self.chess.games(actor, student.id if student else None)
        lang = actor.language
        pages = max(1, math.ceil(len(lines) / PER_PAGE))
        page = min(page, pages)
        shown = lines[(page - 1) * PER_PAGE : page * PER_PAGE]
        embed = discord.Embed(
            title=clip(t("chess.games_title", lang, name=name or actor.display_name), EMBED_TITLE),
            description="\n".join(game_line(line, lang) for line in shown)
            or t("chess.games_empty", lang),
            colour=discord.Colour.dark_green(),
        )
        embed.set_footer(text=t("chess.page", lang, page=page, pages=pages))
        await show(interaction, embed=embed, allowed_mentions=NO_PINGS)

    @app_commands.command(
        name="standings", description="City vs city: the team score and every student's results"
    )
    async def standings(
        self,
        interaction: discord.Interaction[Twinbridge],
        exchange: ExchangeId | None = None,
        page: app_commands.Range[int, 1, PAGES] = 1,
    ) -> None:
        actor = await begin(interaction)
        found = await self.chess.standings(actor, exchange)
        lang = actor.language
        lines, page, pages = standings_lines(found.rows, page, lang)
        if len(found.team_points) == 2:
            (city_a, points_a), (city_b, points_b) = found.team_points
            header = t(
                "chess.standings_score",
                lang,
                city_a=city_a,
                points_a=points_text(points_a),
                points_b=points_text(points_b),
                city_b=city_b,
                games=found.games,
            )
        else:  # a network of cities: each city's points
            header = t(
                "network.standings_score",
                lang,
                scores=" · ".join(f"{city} {points_text(p)}" for city, p in found.team_points),
                games=found.games,
            )
        embed = discord.Embed(
            title=clip(
                t("chess.standings_title", lang, exchange=shown(found.exchange.name)), EMBED_TITLE
            ),
            description=header + "\n\n" + ("\n".join(lines) or t("chess.standings_empty", lang)),
            colour=discord.Colour.gold(),
        )
        embed.set_footer(text=t("chess.page", lang, page=page, pages=pages))
        await show(interaction, embed=embed, allowed_mentions=NO_PINGS)

    @app_commands.command(
        name="limit", description="Teachers: how many games two students may have going at once"
    )
    async def limit(
        self,
        interaction: discord.Interaction[Twinbridge],
        games: app_commands.Range[int, 1, MAX_GAMES_PER_PAIR],
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        found = await self.chess.set_games_per_pair(actor, exchange, games)
        await show(
            interaction,
            content=t("chess.limit_set", actor.language, exchange=shown(found.name), games=games),
            allowed_mentions=NO_PINGS,
        )

    # -- the league between cities --

    league = app_commands.Group(name="league", description="A league between the exchange's cities")

    @league.command(name="create", description="Teachers: a league season between the cities")
    @app_commands.describe(
        cities="Cities taking part, separated by commas (default: all)",
        time="Correspondence 1d/2d/3d per move (default 3d) or live like 10+5",
        start="First day (YYYY-MM-DD, default today)",
        exchange="The exchange, if the server has several",
    )
    async def league_create(
        self,
        interaction: discord.Interaction[Twinbridge],
        cities: app_commands.Range[str, 1, CITIES_TYPED] | None = None,
        time: TimeText | None = None,
        start: Day | None = None,
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        season = await self.chess.create_season(
            actor, exchange_id=exchange, cities=cities, time_control=time, starts_on=start
        )
        await show(
            interaction,
            content=t(
                "chess.league.created",
                actor.language,
                league=season.id,
                cities=listing((shown(c) for c in season.cities), actor.language),
                rounds=season.rounds,
                time=season.time_control.text,
                start=format_day(season.record.starts_on, actor.language),
            ),
            allowed_mentions=NO_PINGS,
        )

    @league.command(name="join", description="Students: enter your exchange's league season")
    @app_commands.describe(exchange="The exchange, if the server has several")
    async def league_join(
        self, interaction: discord.Interaction[Twinbridge], exchange: ExchangeId | None = None
    ) -> None:
        actor = await begin(interaction)
        season, added = await self.chess.join_season(actor, exchange)
        key = "chess.league.joined" if added else "chess.league.already_joined"
        await show(interaction, content=t(key, actor.language, league=season.id))

    @league.command(name="round", description="Teachers: start the next round here")
    @app_commands.describe(
        league="The league's number (default: the exchange's latest)",
        exchange="The exchange, if the server has several",
    )
    async def league_round(
        self,
        interaction: discord.Interaction[Twinbridge],
        league: int | None = None,
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        assert interaction.channel_id is not None
        started = await self.chess.start_round(
            actor,
            season_id=league,
            exchange_id=exchange,
            channel_id=interaction.channel_id,
            port=port_of(interaction),
        )
        channel = interaction.channel
        if isinstance(channel, discord.abc.Messageable):
            for seat in started.seats:
                await channel.send(
                    seat_text(seat, started), allowed_mentions=only_users([seat.user_id])
                )
        await show(
            interaction, content=round_summary(started, actor.language), allowed_mentions=NO_PINGS
        )

    @league.command(name="standings", description="League table: cities, then players")
    @app_commands.describe(
        league="The league's number (default: the exchange's latest)",
        exchange="The exchange, if the server has several",
        page="Which page of players",
    )
    async def league_standings(
        self,
        interaction: discord.Interaction[Twinbridge],
        league: int | None = None,
        exchange: ExchangeId | None = None,
        page: app_commands.Range[int, 1, PAGES] = 1,
    ) -> None:
        actor = await begin(interaction)
        table = await self.chess.season_table(actor, league, exchange)
        embed, name = standings_embed(table, actor.language, page)
        picture = await standings_picture(table, actor.language, name)
        await show(
            interaction, embed=embed, attachments=[picture.file()], allowed_mentions=NO_PINGS
        )

    @league.command(name="pgn", description="Download every game of a league match as PGN")
    @app_commands.describe(match="The match's number (shown in the standings)")
    async def league_pgn(self, interaction: discord.Interaction[Twinbridge], match: int) -> None:
        actor = await begin(interaction)
        filename, text = await self.chess.match_pgn(actor, match)
        packed = pack([Attachment(filename, text.encode("utf-8"))])
        content = t("chess.league.pgn_ready", actor.language, match=match)
        if packed.left_out:
            content = left_out_note(packed, actor.language)
        await show(interaction, content=content, attachments=packed.first())
