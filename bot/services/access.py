"""Who may do what: Discord roles mapped to exchange roles by the guild's own choice."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from bot.errors import NotAllowedError
from bot.store import Database
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


async def require(db: Database, actor: Actor, allowed: Collection[str]) -> Standing:
    """The actor's standing, or NotAllowedError naming who may do this.

    `allowed` holds any of "admin", "coordinator", "teacher", "student". Admins may always
    act as coordinators: a server owner must be able to set an exchange up.
    """
    found = await standing(db, actor)
    ok = (
        ("admin" in allowed and found.admin)
        or ("coordinator" in allowed and (found.coordinator or found.admin))
        or ("teacher" in allowed and found.teacher)
        or ("student" in allowed and found.student)
    )
    if not ok:
        who = "teacher" if "teacher" in allowed else "coordinator"
        if "admin" in allowed and "coordinator" not in allowed:
            who = "admin"
        raise NotAllowedError(f"error.only_{who}")
    return found
