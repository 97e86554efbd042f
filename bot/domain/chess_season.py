"""A chess league between the cities of an exchange: its schedule, boards and standings.

A season is a round robin of cities (circle method): every city meets every other once, and
when the number of cities is odd one city rests each round (a bye, which scores nothing: each
city has exactly one in a season, so it is fair to all). In a match the players of the two
cities are paired by rating, best with best; each board plays two games, one with each colour;
when one city has more players, sitting out goes round its players (fewest boards play first).

Standings, as stated to users:
- match points: a won match 2, a drawn match 1, a lost match 0; a match counts once all its
  games are finished; a city that fields nobody loses the match (2–0 to a city that did);
- then game points: every finished game, 1 for a win, ½ for a draw;
- then the Sonneborn–Berger score: the match points of every city beaten plus half those of
  every city drawn with (counted over finished matches);
- then the city's name, so the order is always the same.

Everything here is pure: ids in, plain values out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

MATCH_WIN = 2
MATCH_DRAW = 1
MATCH_LOSS = 0


@dataclass(frozen=True, slots=True)
class Fixture:
    """One round of a season: the matches (home city, away city) and the city resting."""

    number: int  # 1, 2, …
    matches: tuple[tuple[int, int], ...]
    bye: int | None


def round_robin(cities: Sequence[int]) -> tuple[Fixture, ...]:
    """Rounds where every city meets every other exactly once (the circle method).

    The first city stays put while the others turn around it; with an odd count a "rest"
    seat joins the circle and whoever faces it has the bye. Home and away alternate for the
    fixed city so no one is always at home. Fewer than two cities: ValueError.
    """
    if len(set(cities)) != len(cities):
        raise ValueError("a city takes part once")
    if len(cities) < 2:
        raise ValueError("a league needs two cities or more")
    seats: list[int | None] = list(cities)
    if len(seats) % 2:
        seats.append(None)
    count = len(seats)
    rounds = []
    for number in range(1, count):
        matches: list[tuple[int, int]] = []
        bye: int | None = None
        for index in range(count // 2):
            first, second = seats[index], seats[count - 1 - index]
            if first is None or second is None:
                bye = second if first is None else first
                continue
            # The fixed seat swaps sides each round; the others by their seat.
            home_first = (number % 2 == 1) if index == 0 else (index % 2 == 0)
            matches.append((first, second) if home_first else (second, first))
        rounds.append(Fixture(number, tuple(matches), bye))
        seats = [seats[0], seats[-1], *seats[1:-1]]
    return tuple(rounds)


@dataclass(frozen=True, slots=True)
class Entrant:
    """A player of a city in a season, with the rating boards are ordered by."""

    player: int
    rating: int


@dataclass(frozen=True, slots=True)
class Lineup:
    """The boards of a match, best first, and who sits out (and on which side)."""

    boards: tuple[tuple[int, int], ...]  # (home player, away player)
    sitting_out: tuple[int, ...] = ()
    sitting_out_side: str | None = None  # "home" or "away"; None when no one sits out


def lineup(
    home: Sequence[Entrant], away: Sequence[Entrant], played: Mapping[int, int] | None = None
) -> Lineup:
    """Pair the players of two cities by rating, best with best.

    When one side has more players than the other, those who have played the fewest boards
    this season (`played`: player → boards so far) play, so sitting out goes round the
    bigger side round after round instead of falling on its lowest-rated players every
    time; among equals the lower-rated sit out. Ties in rating go to the lower id (the
    earlier to join), so a lineup never depends on the order players are listed in.
    """
    so_far = played or {}

    def by_rating(side: Iterable[Entrant]) -> list[int]:
        return [e.player for e in sorted(side, key=lambda e: (-e.rating, e.player))]

    count = min(len(home), len(away))

    def split(side: Sequence[Entrant]) -> tuple[list[int], tuple[int, ...]]:
        turn = sorted(side, key=lambda e: (so_far.get(e.player, 0), -e.rating, e.player))
        out = turn[count:]
        return by_rating(turn[:count]), tuple(by_rating(out))

    ours, home_out = split(home)
    theirs, away_out = split(away)
    boards = tuple(zip(ours, theirs, strict=True))
    if home_out:
        return Lineup(boards, home_out, "home")
    if away_out:
        return Lineup(boards, away_out, "away")
    return Lineup(boards)


@dataclass(frozen=True, slots=True)
class MatchResult:
    """A match as it stands: each game's score for the home city (None until finished)."""

    home: int
    away: int
    home_scores: tuple[float | None, ...]
    home_fielded: bool = True
    away_fielded: bool = True

    @property
    def complete(self) -> bool:
        return all(score is not None for score in self.home_scores)

    @property
    def game_points(self) -> tuple[float, float]:
        """(home, away) points of the finished games."""
        done = [s for s in self.home_scores if s is not None]
        return sum(done), len(done) - sum(done)

    def match_points(self) -> tuple[int, int] | None:
        """(home, away) match points once complete; None while games are still going."""
        if not self.complete:
            return None
        if not self.home_scores:
            # Nobody to pair: the side that fielded nobody loses; both empty, nobody scores.
            if self.home_fielded and not self.away_fielded:
                return MATCH_WIN, MATCH_LOSS
            if self.away_fielded and not self.home_fielded:
                return MATCH_LOSS, MATCH_WIN
            return MATCH_LOSS, MATCH_LOSS
        home, away = self.game_points
        if home > away:
            return MATCH_WIN, MATCH_LOSS
        if home < away:
            return MATCH_LOSS, MATCH_WIN
        return MATCH_DRAW, MATCH_DRAW


@dataclass(frozen=True, slots=True)
class CityStanding:
    """A city's line in the standings."""

    city: int
    rank: int
    played: int  # complete matches
    won: int
    drawn: int
    lost: int
    match_points: int
    game_points: float
    sonneborn_berger: float
    opponents: tuple[tuple[int, int], ...] = field(default=())  # (city, our match points)


def standings(
    cities: Sequence[int], matches: Sequence[MatchResult], names: Mapping[int, str]
) -> tuple[CityStanding, ...]:
    """The season's table: match points, then game points, then Sonneborn–Berger, then name.

    Cities level on all three share a rank.
    """
    mp = dict.fromkeys(cities, 0)
    gp = dict.fromkeys(cities, 0.0)
    record = {city: [0, 0, 0] for city in cities}  # won, drawn, lost
    met: dict[int, list[tuple[int, int]]] = {city: [] for city in cities}
    for match in matches:
        home_gp, away_gp = match.game_points
        gp[match.home] += home_gp
        gp[match.away] += away_gp
        points = match.match_points()
        if points is None:
            continue
        for city, other, ours in (
            (match.home, match.away, points[0]),
            (match.away, match.home, points[1]),
        ):
            mp[city] += ours
            theirs = points[1] if city == match.home else points[0]
            slot = 0 if ours > theirs else 1 if ours == theirs and ours else 2
            record[city][slot] += 1
            met[city].append((other, ours))
    sb = {
        city: sum(
            mp[other] * (1.0 if ours == MATCH_WIN else 0.5 if ours == MATCH_DRAW else 0.0)
            for other, ours in met[city]
        )
        for city in cities
    }
    order = sorted(cities, key=lambda c: (-mp[c], -gp[c], -sb[c], names.get(c, ""), c))
    rows: list[CityStanding] = []
    for index, city in enumerate(order):
        key = (mp[city], gp[city], sb[city])
        previous = rows[-1] if rows else None
        level = previous is not None and key == (
            previous.match_points,
            previous.game_points,
            previous.sonneborn_berger,
        )
        won, drawn, lost = record[city]
        rows.append(
            CityStanding(
                city=city,
                rank=previous.rank if level and previous is not None else index + 1,
                played=won + drawn + lost,
                won=won,
                drawn=drawn,
                lost=lost,
                match_points=mp[city],
                game_points=gp[city],
                sonneborn_berger=sb[city],
                opponents=tuple(met[city]),
            )
        )
    return tuple(rows)
