"""Which Discord shard a server belongs to, and which servers' work a process does."""

from __future__ import annotations

from dataclasses import dataclass

# Snowflake bits below the timestamp: Discord routes a server by its id's time part.
_TIME_SHIFT = 22
# The guild id of scheduled work that belongs to no server (retention, backups, sweeps).
NO_GUILD = 0


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard Discord sends a server's events to (topics/gateway.md, "Sharding")."""
    return (guild_id >> _TIME_SHIFT) % shard_count


@dataclass(frozen=True, slots=True)
class Scope:
    """The work one process does: servers on its shards, and work of no server while it
    holds the lead (exactly one process at a time does that)."""

    shard_count: int = 1
    shard_ids: frozenset[int] = frozenset({0})
    no_guild: bool = True

    @property
    def every_server(self) -> bool:
        """Whether every shard is this process's (one process, or not sharded)."""
        return set(range(self.shard_count)) <= self.shard_ids

    @property
    def everything(self) -> bool:
        """Whether nothing is left to another process."""
        return self.no_guild and self.every_server

    def owns(self, guild_id: int) -> bool:
        """Whether work of that server (NO_GUILD: of no server) is this process's."""
        if guild_id == NO_GUILD:
            return self.no_guild
        return shard_of(guild_id, self.shard_count) in self.shard_ids

    def leading(self, lead: bool) -> Scope:
        """The same shards, with or without the work of no server."""
        return Scope(self.shard_count, self.shard_ids, lead)
