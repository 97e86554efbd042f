"""A league between the cities of an exchange: seasons, rounds, boards, standings, match PGN.

A season's schedule is made when it is created (`bot.domain.chess_season.round_robin`);
starting a round pairs the entrants of each match's cities by rating and creates each board's
two games as ordinary games in play, so clocks, reminders, moves, draws and resignation work
as for any other game. Standings are read from those games, never copied.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.chess_game import (
    DEFAULT_RATING,
    Color,
    GameStatus,
    TimeControl,
    TimeControlError,
    TimeControlKind,
    parse_time_control,
)
from bot.domain.chess_league import FinishedGame, league
from bot.domain.chess_season import (
    CityStanding,
    Entrant,
    MatchResult,
    lineup,
    round_robin,
    standings,
)
from bot.domain.exchange import Exchange, Participant, Role
from bot.errors import NotAllowedError, NotFoundError, UserError
from bot.services import exchanges as exchange_service
from bot.services.access import Actor, staff_exchange, staff_of, staff_scope
from bot.services.audit import audit
from bot.services.chess.clocks import Clocks, plan_clock
from bot.services.chess.games import log, read_view, stored_result, time_error
from bot.services.chess.port import ChessPort
from bot.store import chess as store
from bot.store import chess_league as league_store
from bot.store import exchanges as exchange_store
from bot.store import roster

STAFF = {"teacher", "coordinator"}
NAME_SHOWN = 60  # of a city name typed wrong, what the answer repeats
CITIES_TYPED = 500  # the longest list of cities `/chess league create` takes
DEFAULT_TIME = "3d"  # correspondence, three days a move, as the Winston-Salem exchange played


@dataclass(frozen=True, slots=True)
class Season:
    """A season as people see it."""

    record: league_store.SeasonRecord
    exchange: Exchange
    time_control: TimeControl
    rounds: int

    @property
    def id(self) -> int:
        return self.record.id

    @property
    def cities(self) -> tuple[str, ...]:
        return tuple(self.exchange.city(c).name for c in self.record.city_ids)


@dataclass(frozen=True, slots=True)
class Seat:
    """What one student is told when a round starts."""

    user_id: int
    name: str
    language: str
    city: str
    board: int | None  # None: sitting out
    opponent: str = ""
    opponent_city: str = ""
    white_game: int = 0
    black_game: int = 0
    why: str = ""  # sitting out: "bigger_side", "no_opponents" or "bye"


@dataclass(frozen=True, slots=True)
class RoundStarted:
    season: Season
    number: int
    channel_id: int
    seats: tuple[Seat, ...]
    games: int


@dataclass(frozen=True, slots=True)
class PlayerLine:
    name: str
    city: str
    played: int
    wins: int
    draws: int
    losses: int
    points: float
    rating: int


@dataclass(frozen=True, slots=True)
class MatchLine:
    id: int
    round: int
    home: str
    away: str
    home_points: float
    away_points: float
    finished: bool
    started: bool


@dataclass(frozen=True, slots=True)
class SeasonTable:
    """A season's standings: cities, players and matches."""

    season: Season
    cities: tuple[tuple[str, CityStanding], ...]
    players: tuple[PlayerLine, ...]
    matches: tuple[MatchLine, ...]
    finished: bool


def _active_student(found: Participant | None) -> bool:
    return found is not None and found.role is Role.STUDENT and found.status == "active"


def _score(record: store.GameRecord, home_id: int) -> float | None:
    """The home player's score in a finished game; None while it goes on."""
    result = stored_result(record)
    if result is None:
        return None
    return result.score(Color.WHITE if record.white_id == home_id else Color.BLACK)


class Seasons(Clocks):
    """The league between the cities of an exchange."""

    # -- finding a season ---------------------------------------------------------------------

    async def _season(self, conn: AsyncConnection, record: league_store.SeasonRecord) -> Season:
        exchange = await exchange_store.get_exchange(conn, record.guild_id, record.exchange_id)
        if exchange is None:
            raise NotFoundError("error.unknown_exchange")
        tc = TimeControl(
            TimeControlKind(record.time_kind),
            timedelta(seconds=record.base_seconds),
            timedelta(seconds=record.increment_seconds),
        )
        count = len(await league_store.rounds(conn, record.id))
        return Season(record, exchange, tc, count)

    async def _named(self, actor: Actor, season_id: int) -> league_store.SeasonRecord:
        """A season of this server by id (another server's is unknown here)."""
        async with self.db.read() as conn:
            found = await league_store.get_season(conn, season_id)
        if found is None or found.guild_id != actor.guild_id:
            raise NotFoundError("chess.league.error.unknown", league=season_id)
        return found

    async def _latest(self, exchange: Exchange) -> league_store.SeasonRecord:
        async with self.db.read() as conn:
            seasons = await league_store.seasons_of(conn, exchange.id)
        if not seasons:
            raise UserError("chess.league.error.no_season", exchange=exchange.name)
        return seasons[0]

    async def _for_staff(
        self, actor: Actor, season_id: int | None, exchange_id: int | None
    ) -> league_store.SeasonRecord:
        """The season a staff action is for: named (the actor must be staff of its exchange)
        or the latest of the actor's exchange."""
        if season_id is not None:
            found = await self._named(actor, season_id)
            await staff_exchange(self.db, actor, found.exchange_id, STAFF)
            return found
        return await self._latest(await staff_exchange(self.db, actor, exchange_id, STAFF))

    async def _for_reader(
        self, actor: Actor, season_id: int | None, exchange_id: int | None
    ) -> league_store.SeasonRecord:
        """The season to show: for the students and staff of its exchange only."""
        if season_id is not None:
            found = await self._named(actor, season_id)
            exchange_id = found.exchange_id
        exchange = await exchange_service.get(self.db, actor.guild_id, exchange_id)
        async with self.db.read() as conn:
            member = await roster.find(conn, exchange.id, actor.user_id)
            if (member is None or member.status == "removed") and not staff_of(
                await staff_scope(conn, actor), exchange.id
            ):
                raise NotAllowedError("chess.error.not_in_this_exchange")
        return found if season_id is not None else await self._latest(exchange)

    async def _settle(self, record: league_store.SeasonRecord) -> bool:
        """Mark a running season finished once every round started and every game ended;
        True if it is finished."""
        if record.status == "finished":
            return True
        async with self.db.read() as conn:
            rounds = await league_store.rounds(conn, record.id)
            if any(r.status != "started" for r in rounds):
                return False
            if not await self._games_done(conn, [r.id for r in rounds]):
                return False
        async with self.db.transaction() as conn:
            await league_store.finish_season(conn, record.id, self.clock.now())
        return True

    async def _games_done(self, conn: AsyncConnection, round_ids: Sequence[int]) -> bool:
        match_ids = []
        for round_id in round_ids:
            match_ids += [m.id for m in await league_store.matches_of_round(conn, round_id)]
        for board in await league_store.boards_of(conn, match_ids):
            for game_id in board.game_ids:
                record = await store.get_game(conn, game_id)
                if record is not None and record.status is GameStatus.ACTIVE:
                    return False
        return True

    # -- creating a season --------------------------------------------------------------------

    async def create_season(
        self,
        actor: Actor,
        *,
        exchange_id: int | None,
        cities: str | None,
        time_control: str | None,
        starts_on: date | None,
    ) -> Season:
        """Coordinators and teachers make a season: the cities taking part (all by default),
        one time control (correspondence, three days a move, by default) and a start date.

        Refused, nothing written: fewer than two cities, a city named twice or unknown, or a
        season of this exchange still running.
        """
        exchange = await staff_exchange(self.db, actor, exchange_id, STAFF)
        try:
            tc = parse_time_control(time_control or DEFAULT_TIME)
        except TimeControlError as error:
            raise time_error(error) from None
        chosen: list[int] = []
        if cities is None or not cities.strip():
            chosen = [c.id for c in exchange.cities]
        else:
            for name in (part.strip() for part in cities.split(",")):
                if not name:
                    continue
                city = exchange.city_named(name)
                if city is None:
                    raise UserError(
                        "chess.league.error.unknown_city",
                        name=name if len(name) <= NAME_SHOWN else name[: NAME_SHOWN - 1] + "…",
                        cities=", ".join(c.name for c in exchange.cities),
                    )
                if city.id in chosen:
                    raise UserError("chess.league.error.city_twice", name=city.name)
                chosen.append(city.id)
        if len(chosen) < 2:
            raise UserError("chess.league.error.one_city")
        async with self.db.read() as conn:
            seasons = await league_store.seasons_of(conn, exchange.id)
        for earlier in seasons:
            if earlier.status == "running" and not await self._settle(earlier):
                raise UserError("chess.league.error.season_running", league=earlier.id)
        now = self.clock.now()
        begins = starts_on or now.date()
        fixtures = round_robin(chosen)
        async with self.db.transaction() as conn:
            season_id = await league_store.create_season(
                conn,
                guild_id=actor.guild_id,
                exchange_id=exchange.id,
                city_ids=chosen,
                time_kind=tc.kind.value,
                base_seconds=int(tc.base.total_seconds()),
                increment_seconds=int(tc.increment.total_seconds()),
                starts_on=begins,
                created_by=actor.user_id,
                now=now,
            )
            for fixture in fixtures:
                await league_store.add_round(
                    conn, season_id, fixture.number, fixture.bye, fixture.matches
                )
            await audit(
                conn,
                actor,
                "chess.league_created",
                at=now,
                exchange_id=exchange.id,
                league=season_id,
                cities=len(chosen),
                time_control=tc.text,
            )
            record = await league_store.get_season(conn, season_id)
            assert record is not None
            return await self._season(conn, record)

    # -- entering -----------------------------------------------------------------------------

    async def join_season(self, actor: Actor, exchange_id: int | None) -> tuple[Season, bool]:
        """A student enters their exchange's running season; (season, newly entered).

        Refused for a student whose city does not take part.
        """
        async with self.db.read() as conn:
            mine = [
                p
                for p in await roster.of_user(conn, actor.guild_id, actor.user_id)
                if _active_student(p) and (exchange_id is None or p.partnership_id == exchange_id)
            ]
        if not mine:
            raise NotAllowedError("chess.error.not_a_student")
        if len(mine) > 1:
            raise UserError("error.choose_exchange")
        me = mine[0]
        async with self.db.read() as conn:
            seasons = await league_store.seasons_of(conn, me.partnership_id)
            running = next((s for s in seasons if s.status == "running"), None)
            if running is None:
                raise UserError("chess.league.error.none_running")
            season = await self._season(conn, running)
        if me.city_id not in running.city_ids:
            city = season.exchange.city(me.city_id).name if me.city_id is not None else "?"
            raise UserError(
                "chess.league.error.city_not_in_league",
                city=city,
                cities=", ".join(season.cities),
                league=running.id,
            )
        now = self.clock.now()
        async with self.db.transaction() as conn:
            added = await league_store.add_player(conn, running.id, me.id, now)
            if added:
                await audit(
                    conn,
                    actor,
                    "chess.league_joined",
                    at=now,
                    exchange_id=me.partnership_id,
                    league=running.id,
                )
        return season, added

    # -- a round ------------------------------------------------------------------------------

    async def _ratings(self, conn: AsyncConnection, exchange_id: int) -> dict[int, int]:
        """Every student's Elo from the exchange's finished games (league games included)."""
        results, team_of = [], {}
        for record in await store.finished(conn, exchange_id):
            result = stored_result(record)
            if result is not None:
                results.append(
                    FinishedGame(record.white_id, record.black_id, result.score(Color.WHITE))
                )
                team_of[record.white_id] = team_of[record.black_id] = 0
        return {r.player: r.rating for r in league(results, team_of).players}

    async def start_round(
        self,
        actor: Actor,
        *,
        season_id: int | None,
        exchange_id: int | None,
        channel_id: int,
        port: ChessPort,
    ) -> RoundStarted:
        """Start the season's next round in this channel: boards by rating, two games each
        (one with each colour), in play at once with the season's time control.

        Refused, nothing changed: before the start date, while the previous round's games
        are still going, when every round has started, or when a player cannot see the
        channel.
        """
        record = await self._for_staff(actor, season_id, exchange_id)
        if record.status == "finished" or await self._settle(record):
            raise UserError("chess.league.error.finished", league=record.id)
        now = self.clock.now()
        if now.date() < record.starts_on:
            raise UserError(
                "chess.league.error.not_yet", league=record.id, date=record.starts_on.isoformat()
            )
        async with self.db.read() as conn:
            season = await self._season(conn, record)
            rounds = await league_store.rounds(conn, record.id)
            started = [r for r in rounds if r.status == "started"]
            if started and not await self._games_done(conn, [started[-1].id]):
                raise UserError("chess.league.error.round_going", round=started[-1].number)
            waiting = [r for r in rounds if r.status == "waiting"]
            if not waiting:
                raise UserError("chess.league.error.finished", league=record.id)
            this = waiting[0]
            matches = await league_store.matches_of_round(conn, this.id)
            entrants = await roster.by_ids(conn, await league_store.player_ids(conn, record.id))
            ratings = await self._ratings(conn, record.exchange_id)
            so_far = await league_store.matches_of_season(conn, record.id)
            boards = await league_store.boards_of(conn, [m.id for m in so_far])
        # Boards each player has had this season: who sits out goes round a bigger side.
        played = Counter(player for b in boards for player in (b.home_id, b.away_id))
        by_city: dict[int, list[Participant]] = defaultdict(list)
        for person in entrants:
            if _active_student(person) and person.city_id is not None:
                by_city[person.city_id].append(person)
        people = {p.id: p for p in entrants}
        exchange = season.exchange
        plans = []
        for match in matches:
            home, away = by_city[match.home_city_id], by_city[match.away_city_id]
            plan = lineup(
                [Entrant(p.id, ratings.get(p.id, DEFAULT_RATING)) for p in home],
                [Entrant(p.id, ratings.get(p.id, DEFAULT_RATING)) for p in away],
                played,
            )
            plans.append((match, plan, bool(home), bool(away)))
        for _, plan, _, _ in plans:
            for home_id, away_id in plan.boards:
                users = [people[home_id].user_id, people[away_id].user_id]
                problem = await port.can_play_in(channel_id, users)
                if problem is not None:
                    raise UserError(problem, name=people[away_id].display_name)
        tc = season.time_control
        deadline = now + tc.base
        seats: list[Seat] = []
        games: list[int] = []
        wake: datetime | None = None
        async with self.db.transaction() as conn:
            if not await league_store.start_round(conn, this.id, channel_id, now):
                raise UserError("chess.league.error.round_going", round=this.number)
            for match, plan, home_fielded, away_fielded in plans:
                await league_store.set_fielded(conn, match.id, home_fielded, away_fielded)
                for number, (home_id, away_id) in enumerate(plan.boards, start=1):
                    pair = []
                    for white, black in ((home_id, away_id), (away_id, home_id)):
                        game_id = await store.create_game(
                            conn,
                            guild_id=actor.guild_id,
                            exchange_id=exchange.id,
                            white_id=white,
                            black_id=black,
                            challenger_id=white,
                            space_id=channel_id,
                            time_kind=tc.kind.value,
                            base_seconds=int(tc.base.total_seconds()),
                            increment_seconds=int(tc.increment.total_seconds()),
                            expires_at=deadline,
                            now=now,
                        )
                        await store.start(conn, game_id, now, deadline)
                        created = await store.get_game(conn, game_id)
                        assert created is not None
                        due = await plan_clock(conn, created, 0, deadline, now)
                        wake = due if wake is None else min(wake, due)
                        await log(conn, created, "chess.league_game", now, actor.user_id)
                        pair.append(game_id)
                    games += pair
                    await league_store.add_board(
                        conn,
                        match_id=match.id,
                        number=number,
                        home_id=home_id,
                        away_id=away_id,
                        first_game_id=pair[0],
                        second_game_id=pair[1],
                    )
                    for mine, theirs, white, black in (
                        (home_id, away_id, pair[0], pair[1]),
                        (away_id, home_id, pair[1], pair[0]),
                    ):
                        seats.append(
                            self._seat(exchange, people[mine], number, people[theirs], white, black)
                        )
                why = "no_opponents" if not plan.boards else "bigger_side"
                other = {
                    "home": match.away_city_id,
                    "away": match.home_city_id,
                }.get(plan.sitting_out_side or "")
                against = exchange.city(other).name if other is not None else ""
                for player in plan.sitting_out:
                    seats.append(
                        self._seat(exchange, people[player], None, why=why, against=against)
                    )
            if this.bye_city_id is not None:
                for person in by_city[this.bye_city_id]:
                    seats.append(self._seat(exchange, person, None, why="bye"))
            await audit(
                conn,
                actor,
                "chess.league_round",
                at=now,
                exchange_id=exchange.id,
                league=record.id,
                round=this.number,
                games=len(games),
            )
        if wake is not None:
            self.scheduler.wake_by(wake)
        for game_id in games:
            async with self.db.read() as conn:
                found = await store.get_game(conn, game_id)
                assert found is not None
                view = await read_view(conn, found, self.clock.now())
            await self._show(port, view, None)
        return RoundStarted(season, this.number, channel_id, tuple(seats), len(games))

    @staticmethod
    def _seat(
        exchange: Exchange,
        person: Participant,
        board: int | None,
        opponent: Participant | None = None,
        white: int = 0,
        black: int = 0,
        *,
        why: str = "",
        against: str = "",
    ) -> Seat:
        def city(p: Participant) -> str:
            return exchange.city(p.city_id).name if p.city_id is not None else "?"

        return Seat(
            user_id=person.user_id,
            name=person.display_name,
            language=person.language,
            city=city(person),
            board=board,
            opponent=opponent.display_name if opponent else "",
            opponent_city=city(opponent) if opponent else against,
            white_game=white,
            black_game=black,
            why=why,
        )

    # -- standings and PGN --------------------------------------------------------------------

    async def season_table(
        self, actor: Actor, season_id: int | None, exchange_id: int | None
    ) -> SeasonTable:
        """A season's standings (cities, then players), for its exchange's people."""
        record = await self._for_reader(actor, season_id, exchange_id)
        finished = await self._settle(record)
        async with self.db.read() as conn:
            season = await self._season(conn, record)
            rounds = {r.id: r for r in await league_store.rounds(conn, record.id)}
            matches = await league_store.matches_of_season(conn, record.id)
            boards = await league_store.boards_of(conn, [m.id for m in matches])
            games = {
                game_id: await store.get_game(conn, game_id)
                for board in boards
                for game_id in board.game_ids
            }
            ids = {p for b in boards for p in (b.home_id, b.away_id)}
            ids |= set(await league_store.player_ids(conn, record.id))
            people = {p.id: p for p in await roster.by_ids(conn, sorted(ids))}
            ratings = await self._ratings(conn, record.exchange_id)
        exchange = season.exchange
        names = {c.id: c.name for c in exchange.cities}
        of_match: dict[int, list[league_store.BoardRecord]] = defaultdict(list)
        for board in boards:
            of_match[board.match_id].append(board)
        results: list[MatchResult] = []
        lines: list[MatchLine] = []
        played: list[tuple[datetime, FinishedGame]] = []
        for match in matches:
            scores: list[float | None] = []
            for board in of_match[match.id]:
                for game_id in board.game_ids:
                    game = games[game_id]
                    assert game is not None
                    scores.append(_score(game, board.home_id))
                    ending = stored_result(game)
                    if ending is not None and game.finished_at is not None:
                        finished_game = FinishedGame(
                            game.white_id, game.black_id, ending.score(Color.WHITE)
                        )
                        played.append((game.finished_at, finished_game))
            started = rounds[match.round_id].status == "started"
            if not started:
                lines.append(self._match_line(match, rounds, names, (), started=False))
                continue
            results.append(
                MatchResult(
                    match.home_city_id,
                    match.away_city_id,
                    tuple(scores),
                    home_fielded=bool(match.home_fielded),
                    away_fielded=bool(match.away_fielded),
                )
            )
            lines.append(self._match_line(match, rounds, names, tuple(scores), started=True))
        table = standings(record.city_ids, results, names)
        played.sort(key=lambda pair: pair[0])
        team_of = {pid: people[pid].city_id or 0 for pid in people}
        records = league([g for _, g in played], team_of, start_rating=DEFAULT_RATING)
        seen = {r.player for r in records.players}
        rows = [
            PlayerLine(
                name=people[r.player].display_name,
                city=names.get(team_of[r.player], "?"),
                played=r.played,
                wins=r.wins,
                draws=r.draws,
                losses=r.losses,
                points=r.points,
                rating=ratings.get(r.player, DEFAULT_RATING),
            )
            for r in records.players
        ]
        rows += [
            PlayerLine(
                name=person.display_name,
                city=names.get(person.city_id or 0, "?"),
                played=0,
                wins=0,
                draws=0,
                losses=0,
                points=0.0,
                rating=ratings.get(pid, DEFAULT_RATING),
            )
            for pid, person in sorted(people.items())
            if pid not in seen
        ]
        return SeasonTable(
            season=season,
            cities=tuple((names[row.city], row) for row in table),
            players=tuple(rows),
            matches=tuple(lines),
            finished=finished,
        )

    @staticmethod
    def _match_line(
        match: league_store.MatchRecord,
        rounds: Mapping[int, league_store.RoundRecord],
        names: Mapping[int, str],
        scores: tuple[float | None, ...],
        *,
        started: bool,
    ) -> MatchLine:
        done = [s for s in scores if s is not None]
        return MatchLine(
            id=match.id,
            round=rounds[match.round_id].number,
            home=names.get(match.home_city_id, "?"),
            away=names.get(match.away_city_id, "?"),
            home_points=sum(done),
            away_points=len(done) - sum(done),
            finished=started and len(done) == len(scores),
            started=started,
        )

    async def match_pgn(self, actor: Actor, match_id: int) -> tuple[str, str]:
        """Every game of a city-vs-city match in one PGN file: (file name, text)."""
        async with self.db.read() as conn:
            found = await league_store.get_match(conn, match_id)
        if found is None:
            raise NotFoundError("chess.league.error.unknown_match", match=match_id)
        match, this = found
        record = await self._named(actor, this.season_id)
        await self._for_reader(actor, record.id, None)
        if this.status != "started":
            raise UserError("chess.league.error.match_not_started", match=match_id)
        parts = []
        async with self.db.read() as conn:
            boards = await league_store.boards_of(conn, [match.id])
            for board in boards:
                for game_id in board.game_ids:
                    game = await store.get_game(conn, game_id)
                    assert game is not None
                    view = await read_view(conn, game, self.clock.now())
                    home = view.exchange.city(match.home_city_id).name
                    away = view.exchange.city(match.away_city_id).name
                    parts.append(
                        view.game.to_pgn(
                            event=f"{view.exchange.name}: {home} – {away}",
                            cities=(home, away),
                            played_on=(game.started_at or game.created_at).date(),
                            white_name=view.white.name,
                            black_name=view.black.name,
                            time_control=view.time_control,
                            teams=(view.white.city, view.black.city),
                            round_label=f"{this.number}.{board.number}",
                        )
                    )
        if not parts:
            raise UserError("chess.league.error.match_empty", match=match_id)
        return f"twinbridge-league-match-{match_id}.pgn", "\n".join(parts)
