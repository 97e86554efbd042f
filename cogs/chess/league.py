"""How the chess league looks in Discord: the standings embed and image, and what each student
is told when a round starts. The commands are in `cogs.chess.cog` (the `/chess league` group)."""

from __future__ import annotations

import asyncio

import discord

from bot.domain.chess_league import points_text
from bot.domain.league_chart import ChartRow, league_chart
from bot.i18n import t
from bot.limits import EMBED_DESCRIPTION, EMBED_TITLE, FIELD_VALUE
from bot.services.chess.season import RoundStarted, SeasonTable, Seat
from cogs.chess.words import standings_lines
from cogs.common.files import Attachment
from cogs.common.text import chunk_lines, clip, mention, shown

# The description and fields together stay far under Discord's 6000 characters per message.
DESCRIPTION_BUDGET = EMBED_DESCRIPTION // 2


def seat_text(seat: Seat, started: RoundStarted) -> str:
    """What one student is told when a round starts, in their language."""
    lang = seat.language
    if seat.board is None:
        return t(
            f"chess.league.sit_out.{seat.why}",
            lang,
            user=mention(seat.user_id),
            round=started.number,
            city=shown(seat.city),
            other=shown(seat.opponent_city),
        )
    return t(
        "chess.league.seat",
        lang,
        user=mention(seat.user_id),
        round=started.number,
        board=seat.board,
        name=shown(seat.opponent),
        city=shown(seat.opponent_city),
        white=seat.white_game,
        black=seat.black_game,
    )


def round_summary(started: RoundStarted, lang: str) -> str:
    boards = sum(1 for s in started.seats if s.board is not None) // 2
    out = sum(1 for s in started.seats if s.board is None)
    return t(
        "chess.league.round_started",
        lang,
        round=started.number,
        rounds=started.season.rounds,
        league=started.season.id,
        boards=boards,
        games=started.games,
        out=out,
        channel=f"<#{started.channel_id}>",
    )


def standings_embed(table: SeasonTable, lang: str, page: int) -> tuple[discord.Embed, str]:
    """The season's table: cities (with the rules stated), a page of players, the matches;
    and the file name of its picture (`standings_picture`)."""
    season = table.season
    city_lines = [
        t(
            "chess.league.city_row",
            lang,
            rank=row.rank,
            city=shown(name),
            mp=row.match_points,
            gp=points_text(row.game_points),
            sb=f"{row.sonneborn_berger:g}",
            won=row.won,
            drawn=row.drawn,
            lost=row.lost,
        )
        for name, row in table.cities
    ]
    status = t("chess.league.finished" if table.finished else "chess.league.running", lang)
    description = "\n".join(
        [
            t(
                "chess.league.summary",
                lang,
                cities=len(table.cities),
                rounds=season.rounds,
                time=season.time_control.text,
                start=season.record.starts_on.isoformat(),
                status=status,
            ),
            t("chess.league.rules", lang),
            "",
            *city_lines,
        ]
    )
    embed = discord.Embed(
        title=clip(
            t(
                "chess.league.title",
                lang,
                league=season.id,
                exchange=shown(season.exchange.name),
            ),
            EMBED_TITLE,
        ),
        description=clip(description, DESCRIPTION_BUDGET),
        colour=discord.Colour.gold(),
    )
    player_lines, page, pages = standings_lines(table.players, page, lang)
    embed.add_field(
        name=t("chess.league.players", lang),
        value=(chunk_lines(player_lines, FIELD_VALUE) or [t("chess.league.no_players", lang)])[0],
        inline=False,
    )
    match_lines = [
        t(
            "chess.league.match_row" if m.started else "chess.league.match_waiting",
            lang,
            round=m.round,
            match=m.id,
            home=shown(m.home),
            away=shown(m.away),
            home_points=points_text(m.home_points),
            away_points=points_text(m.away_points),
            done="✓" if m.finished else "…",
        )
        for m in table.matches
    ]
    embed.add_field(
        name=t("chess.league.matches", lang),
        value=(chunk_lines(match_lines, FIELD_VALUE) or ["—"])[0],
        inline=False,
    )
    name = f"twinbridge-league-{season.id}.png"
    embed.set_image(url=f"attachment://{name}")
    embed.set_footer(text=t("chess.page", lang, page=page, pages=pages))
    return embed, name


async def standings_picture(table: SeasonTable, lang: str, name: str) -> Attachment:
    """The table as a PNG, drawn in a worker thread so the bot keeps answering."""
    rows = [
        ChartRow(row.rank, city, row.match_points, row.game_points, row.sonneborn_berger)
        for city, row in table.cities
    ]
    title = t("chess.league.chart_title", lang, league=table.season.id)
    legend = t("chess.league.chart_legend", lang)
    data = await asyncio.to_thread(league_chart, rows, title, legend)
    return Attachment(name, data)
