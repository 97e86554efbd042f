"""City against city: standings, and how many games two students may have going at once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.chess_game import Color, GameStatus
from bot.domain.chess_league import FinishedGame, League, league
from bot.domain.exchange import Exchange, Role
from bot.errors import NotAllowedError, UserError
from bot.services import exchanges as exchange_service
from bot.services.access import Actor, staff_exchange, staff_of, staff_scope
from bot.services.audit import audit
from bot.services.chess.games import Games, stored_result
from bot.store import chess as store
from bot.store import roster

STAFF = {"teacher", "coordinator"}
MAX_GAMES_PER_PAIR = 10


@dataclass(frozen=True, slots=True)
class StandingRow:
    name: str
    city: str
    played: int
    wins: int
    draws: int
    losses: int
    points: float
    rating: int


@dataclass(frozen=True, slots=True)
class Standings:
    """An exchange's city-vs-city score and each student's results."""

    exchange: Exchange
    team_points: tuple[tuple[str, float], ...]  # every city's, in the exchange's order
    rows: tuple[StandingRow, ...]
    games: int


async def within_pair_limit(
    conn: AsyncConnection,
    exchange_id: int,
    pair: tuple[int, int],
    opponent_name: str,
    statuses: Sequence[GameStatus],
    game_id: int | None = None,
) -> None:
    """Refuse (rolling the transaction back) if two students have more games in these
    statuses than their exchange allows, counting the one just added or started.

    Called after the write that adds or starts the game, in the same transaction: the write
    takes the database's write lock first, so a concurrent attempt counts only once this one
    is committed or rolled back.
    """
    allowed = await store.games_per_pair(conn, exchange_id)
    if await store.count_between(conn, *pair, statuses) <= allowed:
        return
    games = await store.open_between(conn, *pair)
    others = [g.id for g in games if g.status in statuses and g.id != game_id]
    raise UserError(
        "chess.error.pair_limit",
        name=opponent_name,
        game=others[0] if others else games[0].id,
        limit=allowed,
    )


class LeagueTable(Games):
    """Standings of an exchange, and its games-per-pair limit."""

    async def standings(self, actor: Actor, exchange_id: int | None) -> Standings:
        """The exchange's city-vs-city score and every student's results and rating.

        Students' names and results are for the exchange's own people: its participants and
        staff.
        """
        exchange = await exchange_service.get(self.db, actor.guild_id, exchange_id)
        async with self.db.read() as conn:
            member = await roster.find(conn, exchange.id, actor.user_id)
            if (member is None or member.status == "removed") and not staff_of(
                await staff_scope(conn, actor), exchange.id
            ):
                raise NotAllowedError("chess.error.not_in_this_exchange")
        return await self.standings_of(exchange)

    async def standings_of(self, exchange: Exchange) -> Standings:
        """The standings of an exchange already allowed (/chess standings, the dashboard)."""
        async with self.db.read() as conn:
            done = await store.finished(conn, exchange.id)
            people = {
                p.id: p
                for p in await roster.listing(
                    conn, exchange.id, role=Role.STUDENT, statuses=("active", "paused", "removed")
                )
            }
        results = []
        for record in done:
            result = stored_result(record)
            if result is not None:
                results.append(
                    FinishedGame(record.white_id, record.black_id, result.score(Color.WHITE))
                )
        team_of = {pid: person.city_id or 0 for pid, person in people.items()}
        table: League = league(results, team_of, teams=[c.id for c in exchange.cities])
        rows = tuple(
            StandingRow(
                name=people[r.player].display_name,
                city=exchange.city(r.team).name if r.team else "?",
                played=r.played,
                wins=r.wins,
                draws=r.draws,
                losses=r.losses,
                points=r.points,
                rating=r.rating,
            )
            for r in table.players
        )
        return Standings(
            exchange=exchange,
            team_points=tuple((c.name, table.team_points.get(c.id, 0.0)) for c in exchange.cities),
            rows=rows,
            games=len(results),
        )

    async def set_games_per_pair(
        self, actor: Actor, exchange_id: int | None, games_allowed: int
    ) -> Exchange:
        """Teachers choose how many games two students may have going at once."""
        exchange = await staff_exchange(self.db, actor, exchange_id, STAFF)
        if not 1 <= games_allowed <= MAX_GAMES_PER_PAIR:
            raise UserError("chess.error.limit_range", limit=MAX_GAMES_PER_PAIR)
        now = self.clock.now()
        async with self.db.transaction() as conn:
            await store.set_games_per_pair(conn, exchange.id, games_allowed, actor.user_id, now)
            await audit(
                conn,
                actor,
                "chess.limit_set",
                at=now,
                exchange_id=exchange.id,
                games_per_pair=games_allowed,
            )
        return exchange
