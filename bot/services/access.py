"""Who may do what: Discord roles mapped to exchange roles by the guild's own choice, and the
exchanges each person is staff of (coordinators: all of their server's; teachers: those they
joined)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.exchange import Exchange, Role
from bot.errors import NotAllowedError, NotFoundError, UserError
from bot.store import Database, roster
from bot.store import exchanges as exchange_store
from bot.store.exchanges import role_ids


@dataclass(frozen=True, slots=True)
class Actor:
    """The person behind an interaction, as the services see them."""

    guild_id: int
    user_id: int
    role_ids: frozenset[int]
    is_admin: bool  # Manage Server or Administrator in Discord
    display_name: str = ""
    language: str = "en"


@dataclass(frozen=True, slots=True)
class Standing:
    """What an actor is in this guild's exchanges."""

    admin: bool
    coordinator: bool
    teacher: bool
    student: bool

    @property
    def staff(self) -> bool:
        return self.admin or self.coordinator or self.teacher


async def standing(db: Database, actor: Actor) -> Standing:
    """The actor's standing from the roles the guild chose for students, teachers, coordinators."""
    async with db.read() as conn:
        roles = await role_ids(conn, actor.guild_id)
    return standing_from(actor, roles)


def standing_from(actor: Actor, roles: dict[str, int | None]) -> Standing:
    def has(name: str) -> bool:
        role_id = roles.get(name)
        return role_id is not None and role_id in actor.role_ids

    return Standing(
        admin=actor.is_admin,
        coordinator=has("coordinator"),
        teacher=has("teacher"),
        student=has("student"),
    )


def permitted(found: Standing, allowed: Collection[str]) -> bool:
    """Whether this standing is one of `allowed` (admins count as coordinators)."""
    return (
        ("admin" in allowed and found.admin)
        or ("coordinator" in allowed and (found.coordinator or found.admin))
        or ("teacher" in allowed and found.teacher)
        or ("student" in allowed and found.student)
    )


async def require(db: Database, actor: Actor, allowed: Collection[str]) -> Standing:
    """The actor's standing, or NotAllowedError naming who may do this.

    `allowed` holds any of "admin", "coordinator", "teacher", "student". Admins may always
    act as coordinators: a server owner must be able to set an exchange up.
    """
    found = await standing(db, actor)
    if not permitted(found, allowed):
        who = "teacher" if "teacher" in allowed else "coordinator"
        if "admin" in allowed and "coordinator" not in allowed:
            who = "admin"
        raise NotAllowedError(f"error.only_{who}")
    return found


# -- staff of one exchange ------------------------------------------------------------------------

STAFF: frozenset[str] = frozenset({"teacher", "coordinator"})
# Roster roles that make someone staff of the exchange they joined.
_STAFF_ROLES = (Role.TEACHER, Role.COORDINATOR)


def server_wide(found: Standing, allowed: Collection[str]) -> bool:
    """Whether this standing acts on every exchange of the server: coordinators (and admins,
    who may always act as coordinators) when coordinators may do this at all."""
    return "coordinator" in allowed and (found.coordinator or found.admin)


async def staff_exchange_ids(
    conn: AsyncConnection, actor: Actor, found: Standing, allowed: Collection[str] = STAFF
) -> frozenset[int] | None:
    """The exchanges the actor is staff of; None when that is every exchange of the server.

    A teacher is staff of the exchanges they joined as a teacher (`/join`, not removed): the
    Discord role says what they are, the roster says where.
    """
    if server_wide(found, allowed):
        return None
    if not ("teacher" in allowed and found.teacher):
        return frozenset()
    mine = await roster.of_user(conn, actor.guild_id, actor.user_id)
    return frozenset(p.partnership_id for p in mine if p.role in _STAFF_ROLES)


async def staff_scope(
    conn: AsyncConnection, actor: Actor, allowed: Collection[str] = STAFF
) -> frozenset[int] | None:
    """`staff_exchange_ids` without refusing: empty for someone who is not staff at all."""
    found = standing_from(actor, await role_ids(conn, actor.guild_id))
    if not permitted(found, allowed):
        return frozenset()
    return await staff_exchange_ids(conn, actor, found, allowed)


async def require_staff_scope(
    conn: AsyncConnection, actor: Actor, allowed: Collection[str] = STAFF
) -> frozenset[int] | None:
    """`staff_exchange_ids`, or NotAllowedError naming who may do this (students, say)."""
    found = standing_from(actor, await role_ids(conn, actor.guild_id))
    if not permitted(found, allowed):
        raise NotAllowedError(
            "error.only_teacher" if "teacher" in allowed else "error.only_coordinator"
        )
    return await staff_exchange_ids(conn, actor, found, allowed)


def staff_of(scope: frozenset[int] | None, exchange_id: int) -> bool:
    """Whether a `staff_scope` covers this exchange."""
    return scope is None or exchange_id in scope


async def require_staff_of(
    db: Database, actor: Actor, exchange_id: int, allowed: Collection[str] = STAFF
) -> Standing:
    """The actor's standing if they are staff of this exchange, else NotAllowedError.

    Coordinators (and admins) are staff of every exchange of their server, as the README
    describes them (they create the exchanges); a teacher only of the exchanges they joined.
    Call it with the exchange concerned: the student's, pair's, session's, report's or game's,
    not only the one a command names.
    """
    found = await require(db, actor, allowed)
    async with db.read() as conn:
        scope = await staff_exchange_ids(conn, actor, found, allowed)
    if scope is not None and exchange_id not in scope:
        raise NotAllowedError("error.not_staff_here")
    return found


async def staff_exchange(
    db: Database,
    actor: Actor,
    exchange_id: int | None,
    allowed: Collection[str] = STAFF,
) -> Exchange:
    """The exchange a staff action is for, once the actor is known to be staff of it.

    Named: that exchange of this server. Not named: the one exchange the actor is staff of,
    else the server's only exchange (which a teacher who did not join it is refused).
    """
    found = await require(db, actor, allowed)
    async with db.read() as conn:
        scope = await staff_exchange_ids(conn, actor, found, allowed)
        if exchange_id is not None:
            exchange = await exchange_store.get_exchange(conn, actor.guild_id, exchange_id)
            if exchange is None:
                raise NotFoundError("error.unknown_exchange")
            every = [exchange]
        else:
            every = await exchange_store.exchanges_in(conn, actor.guild_id)
    if not every:
        raise NotFoundError("error.no_exchange")
    if len(every) > 1 and scope is not None:
        # A teacher's own exchange is the one they mean.
        every = [e for e in every if e.id in scope] or every
    if len(every) > 1:
        raise UserError("error.choose_exchange")
    if scope is not None and every[0].id not in scope:
        raise NotAllowedError("error.not_staff_here")
    return every[0]
