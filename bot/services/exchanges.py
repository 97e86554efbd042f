"""Setting up exchanges: sister cities (two, or a network of more), their zones, languages and
weekends, how a network pairs its cities; role choice."""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.domain.exchange import (
    MAX_NAME,
    City,
    Exchange,
    PairingPolicy,
    ProfileError,
    Role,
    clean_text,
    parse_languages,
    parse_weekend,
    same_city,
)
from bot.domain.holidays import CityRegion, Region, RegionError, parse_region, region_of
from bot.domain.text import clean, same_name
from bot.domain.timezones import UnknownZoneError, check_zone
from bot.errors import NotFoundError, UserError
from bot.services.access import Actor, require
from bot.services.audit import audit
from bot.store import Database, roster
from bot.store import exchanges as store


@dataclass(frozen=True, slots=True)
class CityInput:
    """What a coordinator typed for one city."""

    name: str
    timezone: str
    languages: str
    weekend: str = "sat,sun"
    # Public holidays: "US-MN", "IQ"; None takes the country of the time zone.
    holidays: str | None = None


def _zone(name: str) -> str:
    try:
        return check_zone(name).key
    except UnknownZoneError:
        raise UserError("error.unknown_zone", zone=clean(name)[:64]) from None


def _user_error(exc: ProfileError | RegionError) -> UserError:
    return UserError(exc.key, **exc.params)


# What a coordinator types to go back to the country of the city's time zone.
AUTOMATIC = ("auto", "automatic", "zone", "-", "")


def _region(typed: str | None) -> str | None:
    """A typed holiday region in its stored form ("US-MN"), None for the automatic one."""
    if typed is None or clean(typed).strip().casefold() in AUTOMATIC:
        return None
    try:
        return parse_region(typed).code
    except RegionError as exc:
        raise _user_error(exc) from None


def holiday_region(city: City) -> Region | None:
    """Where a city's public holidays come from: as set, or from its zone (None: unknown)."""
    return region_of(CityRegion(city.name, city.timezone, city.holiday_region))


async def role_ids(db: Database, guild_id: int) -> dict[str, int | None]:
    """The Discord roles this guild chose for students, teachers and coordinators."""
    async with db.read() as conn:
        return await store.role_ids(conn, guild_id)


async def exchanges(db: Database, guild_id: int) -> list[Exchange]:
    """The guild's exchanges (for lists and autocomplete)."""
    async with db.read() as conn:
        return await store.exchanges_in(conn, guild_id)


async def get(db: Database, guild_id: int, exchange_id: int | None) -> Exchange:
    """An exchange of this guild; when none is named and there is exactly one, that one."""
    async with db.read() as conn:
        if exchange_id is not None:
            found = await store.get_exchange(conn, guild_id, exchange_id)
            if found is None:
                raise NotFoundError("error.unknown_exchange")
            return found
        every = await store.exchanges_in(conn, guild_id)
    if not every:
        raise NotFoundError("error.no_exchange")
    if len(every) > 1:
        raise UserError("error.choose_exchange")
    return every[0]


async def channels(db: Database, exchange_id: int) -> store.Spaces:
    """Where an exchange's announcements, teachers' channel and pair spaces are."""
    async with db.read() as conn:
        return await store.spaces(conn, exchange_id)


@dataclass(frozen=True, slots=True)
class CityChange:
    """What a coordinator typed to change a city; None keeps a value as it is."""

    name: str | None = None
    timezone: str | None = None
    languages: str | None = None
    weekend: str | None = None
    holidays: str | None = None


def vars_of(change: CityChange) -> dict[str, str | None]:
    """The fields of a change by name."""
    return {
        "name": change.name,
        "timezone": change.timezone,
        "languages": change.languages,
        "weekend": change.weekend,
        "holidays": change.holidays,
    }


def _city_named(exchange: Exchange, typed: str) -> City:
    city = exchange.city_named(typed)
    if city is None:
        raise NotFoundError("error.reporting_unknown_city", city=clean(typed)[:100])
    return city


def _not_there(exchange: Exchange, name: str, zone: str, *, but: int | None = None) -> None:
    """Refuse a city the exchange already has (by name, or same zone and folded name)."""
    for city in exchange.cities:
        if city.id != but and same_city(name, zone, city.name, city.timezone):
            raise UserError("error.city_exists", city=name, existing=city.name)


@dataclass(frozen=True, slots=True)
class ExchangeInfo:
    exchange: Exchange
    students: dict[int, int]  # city id -> active students
    teachers: dict[int, int]
    roles: dict[str, int | None]


class ExchangeService:
    """Setting exchanges up (coordinators and admins), and what the server chose."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def listing(self, guild_id: int) -> list[Exchange]:
        """The server's exchanges (for lists and autocomplete)."""
        return await exchanges(self.db, guild_id)

    async def get(self, guild_id: int, exchange_id: int | None) -> Exchange:
        """An exchange of this server (the only one when none is named)."""
        return await get(self.db, guild_id, exchange_id)

    async def role_ids(self, guild_id: int) -> dict[str, int | None]:
        """The Discord roles this server chose for students, teachers and coordinators."""
        return await role_ids(self.db, guild_id)

    async def create(
        self, actor: Actor, name: str, first: CityInput, second: CityInput
    ) -> Exchange:
        """Create an exchange between two different cities (coordinators and admins)."""
        await require(self.db, actor, {"coordinator"})
        try:
            title = clean_text(name, limit=MAX_NAME, what="name")
            sides = []
            for city in (first, second):
                sides.append(
                    (
                        clean_text(city.name, limit=MAX_NAME, what="city"),
                        _zone(city.timezone.strip()),
                        parse_languages(city.languages),
                        parse_weekend(city.weekend),
                    )
                )
        except ProfileError as exc:
            raise _user_error(exc) from None
        regions = [_region(first.holidays), _region(second.holidays)]
        if same_name(sides[0][0]) == same_name(sides[1][0]):
            raise UserError("error.same_city", city=sides[0][0])
        now = self.clock.now()
        async with self.db.transaction() as conn:
            exchange_id = await store.create_exchange(
                conn, guild_id=actor.guild_id, name=title, sides=sides, now=now, regions=regions
            )
            await audit(
                conn,
                actor,
                "exchange.created",
                at=now,
                exchange_id=exchange_id,
                cities=[s[0] for s in sides],
            )
            exchange = await store.get_exchange(conn, actor.guild_id, exchange_id)
        assert exchange is not None
        return exchange

    async def set_holidays(
        self, actor: Actor, exchange_id: int | None, city_name: str, typed: str
    ) -> tuple[Exchange, City]:
        """Where a city's public holidays come from ("US-MN"; "auto": its zone's country),
        for the warnings of session previews and lists (coordinators and admins)."""
        await require(self.db, actor, {"coordinator"})
        exchange = await get(self.db, actor.guild_id, exchange_id)
        city = exchange.city_named(city_name)
        if city is None:
            raise NotFoundError("error.reporting_unknown_city", city=clean(city_name)[:100])
        region = _region(typed)
        now = self.clock.now()
        async with self.db.transaction() as conn:
            await store.set_holiday_region(conn, city.id, region)
            await audit(
                conn,
                actor,
                "exchange.holidays_set",
                at=now,
                exchange_id=exchange.id,
                city=city.id,
                region=region,
            )
            found = await store.get_exchange(conn, actor.guild_id, exchange.id)
        assert found is not None
        return found, found.city(city.id)

    async def add_city(
        self, actor: Actor, exchange_id: int | None, typed: CityInput
    ) -> tuple[Exchange, City]:
        """Add a city to an exchange, making it (or keeping it) a network (coordinators)."""
        await require(self.db, actor, {"coordinator"})
        exchange = await get(self.db, actor.guild_id, exchange_id)
        try:
            name = clean_text(typed.name, limit=MAX_NAME, what="city")
            languages = parse_languages(typed.languages)
            weekend = parse_weekend(typed.weekend)
        except ProfileError as exc:
            raise _user_error(exc) from None
        zone = _zone(typed.timezone.strip())
        region = _region(typed.holidays)
        _not_there(exchange, name, zone)
        now = self.clock.now()
        async with self.db.transaction() as conn:
            city_id = await store.add_city(
                conn,
                exchange.id,
                name=name,
                zone=zone,
                languages=languages,
                weekend=weekend,
                region=region,
            )
            await audit(
                conn,
                actor,
                "exchange.city_added",
                at=now,
                exchange_id=exchange.id,
                city=city_id,
                name=name,
            )
            found = await store.get_exchange(conn, actor.guild_id, exchange.id)
        assert found is not None
        return found, found.city(city_id)

    async def edit_city(
        self, actor: Actor, exchange_id: int | None, city_name: str, change: CityChange
    ) -> tuple[Exchange, City]:
        """Change what is given of a city (coordinators); the rest stays as it was."""
        await require(self.db, actor, {"coordinator"})
        exchange = await get(self.db, actor.guild_id, exchange_id)
        city = _city_named(exchange, city_name)
        try:
            name = (
                None
                if change.name is None
                else clean_text(change.name, limit=MAX_NAME, what="city")
            )
            languages = None if change.languages is None else parse_languages(change.languages)
            weekend = None if change.weekend is None else parse_weekend(change.weekend)
        except ProfileError as exc:
            raise _user_error(exc) from None
        zone = None if change.timezone is None else _zone(change.timezone.strip())
        region = None if change.holidays is None else _region(change.holidays)
        if name is not None or zone is not None:
            _not_there(exchange, name or city.name, zone or city.timezone, but=city.id)
        now = self.clock.now()
        async with self.db.transaction() as conn:
            await store.update_city(
                conn, city.id, name=name, zone=zone, languages=languages, weekend=weekend
            )
            if change.holidays is not None:
                await store.set_holiday_region(conn, city.id, region)
            await audit(
                conn,
                actor,
                "exchange.city_edited",
                at=now,
                exchange_id=exchange.id,
                city=city.id,
                changed=sorted(k for k, v in vars_of(change).items() if v is not None),
            )
            found = await store.get_exchange(conn, actor.guild_id, exchange.id)
        assert found is not None
        return found, found.city(city.id)

    async def remove_city(
        self, actor: Actor, exchange_id: int | None, city_name: str
    ) -> tuple[Exchange, City]:
        """Remove a city nobody and nothing uses any more; an exchange keeps two at least."""
        await require(self.db, actor, {"coordinator"})
        exchange = await get(self.db, actor.guild_id, exchange_id)
        city = _city_named(exchange, city_name)
        if len(exchange.cities) <= 2:
            raise UserError("error.city_last_two", city=city.name)
        if exchange.hub_city_id == city.id and exchange.pairing_policy is PairingPolicy.HUB:
            raise UserError("error.city_is_hub", city=city.name)
        now = self.clock.now()
        async with self.db.transaction() as conn:
            use = await store.city_use(conn, city.id)
            if use.people:
                raise UserError("error.city_has_people", city=city.name, count=use.people)
            if use.live_pairs:
                raise UserError("error.city_has_pairs", city=city.name, count=use.live_pairs)
            if use.open_games:
                raise UserError("error.city_has_games", city=city.name, count=use.open_games)
            if use.running_seasons:
                # Its matches and standings would lose a team half-way through the season.
                raise UserError("error.city_in_league", city=city.name)
            await store.remove_city(conn, city.id)
            await audit(
                conn,
                actor,
                "exchange.city_removed",
                at=now,
                exchange_id=exchange.id,
                city=city.id,
                name=city.name,
            )
            found = await store.get_exchange(conn, actor.guild_id, exchange.id)
        assert found is not None
        return found, city

    async def set_policy(
        self, actor: Actor, exchange_id: int | None, policy: PairingPolicy, hub: str | None
    ) -> Exchange:
        """How the exchange pairs its cities: around a hub city, or any two (coordinators)."""
        await require(self.db, actor, {"coordinator"})
        exchange = await get(self.db, actor.guild_id, exchange_id)
        hub_city: City | None = None
        if policy is PairingPolicy.HUB:
            if hub is None:
                raise UserError("error.policy_hub_missing")
            hub_city = _city_named(exchange, hub)
        elif hub is not None:
            raise UserError("error.policy_hub_unused")
        now = self.clock.now()
        async with self.db.transaction() as conn:
            await store.set_policy(
                conn, exchange.id, policy.value, None if hub_city is None else hub_city.id
            )
            await audit(
                conn,
                actor,
                "exchange.policy_set",
                at=now,
                exchange_id=exchange.id,
                policy=policy.value,
                hub=None if hub_city is None else hub_city.id,
            )
            found = await store.get_exchange(conn, actor.guild_id, exchange.id)
        assert found is not None
        return found

    async def set_roles(
        self,
        actor: Actor,
        student: int | None,
        teacher: int | None,
        coordinator: int | None,
    ) -> None:
        """Choose which Discord roles mean student, teacher and coordinator (admins only)."""
        await require(self.db, actor, {"admin"})
        chosen = [r for r in (student, teacher, coordinator) if r is not None]
        if len(set(chosen)) != len(chosen):
            raise UserError("error.roles_distinct")
        now = self.clock.now()
        async with self.db.transaction() as conn:
            await store.set_role_ids(
                conn, actor.guild_id, now, student=student, teacher=teacher, coordinator=coordinator
            )
            await audit(
                conn,
                actor,
                "guild.roles_set",
                at=now,
                student=student,
                teacher=teacher,
                coordinator=coordinator,
            )

    async def info(self, guild_id: int, exchange_id: int | None) -> ExchangeInfo:
        """An exchange with head counts per city and the configured roles."""
        exchange = await get(self.db, guild_id, exchange_id)
        async with self.db.read() as conn:
            people = await roster.listing(conn, exchange.id, statuses=("active",))
            roles = await store.role_ids(conn, guild_id)
        students = {c.id: 0 for c in exchange.cities}
        teachers = {c.id: 0 for c in exchange.cities}
        for person in people:
            if person.city_id is None:
                continue
            if person.role is Role.STUDENT:
                students[person.city_id] += 1
            elif person.role is Role.TEACHER:
                teachers[person.city_id] += 1
        return ExchangeInfo(exchange, students, teachers, roles)

    async def set_channels(
        self,
        actor: Actor,
        exchange_id: int | None,
        *,
        announcements: int,
        teachers: int,
    ) -> Exchange:
        """Choose where the exchange posts to everyone and where only its teachers read.

        The cog checks Discord's side (that students cannot read the teachers' channel).
        """
        await require(self.db, actor, {"coordinator"})
        if announcements == teachers:
            raise UserError("error.channels_distinct")
        exchange = await get(self.db, actor.guild_id, exchange_id)
        now = self.clock.now()
        async with self.db.transaction() as conn:
            await store.set_spaces(
                conn, exchange.id, exchange_channel_id=announcements, teachers_channel_id=teachers
            )
            await audit(
                conn,
                actor,
                "exchange.channels_set",
                at=now,
                exchange_id=exchange.id,
                announcements=announcements,
                teachers=teachers,
            )
        return exchange
