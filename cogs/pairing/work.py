"""Pairing's work outside commands: the posts of new spaces (scheduled sends), and at
start-up settling what a restart cut short, then checking Discord against the database."""

from __future__ import annotations

import logging

from bot.app import Twinbridge
from bot.domain.shards import Scope
from bot.services.scheduler import RetryLaterError
from bot.store.sends import Send
from cogs.adapters.spaces import DiscordSpaces, spaces_for

log = logging.getLogger(__name__)


class PairingWork:
    """Handlers the scheduler calls for pairing (registered in `cogs.pairing.setup`)."""

    def __init__(self, bot: Twinbridge) -> None:
        self.bot = bot

    async def port_for(self, guild_id: int) -> DiscordSpaces | None:
        """The spaces adapter for a server, or None while Discord has it unavailable."""
        guild = self.bot.get_guild(guild_id)
        if guild is None or guild.unavailable:
            return None
        return await spaces_for(self.bot, guild)

    async def _port(self, send: Send) -> DiscordSpaces:
        port = await self.port_for(send.guild_id)
        if port is None:
            raise RetryLaterError(f"server {send.guild_id} is unavailable")
        return port

    async def on_welcome(self, send: Send) -> None:
        """A new space's welcome post (one scheduled send per space)."""
        assert send.partnership_id is not None
        found = await self.bot.services.pairing.welcome_for(
            send.guild_id, send.partnership_id, int(send.payload["pair"])
        )
        if found is not None:
            space_id, welcome = found
            port = await self._port(send)
            await port.welcome(space_id, welcome, nonce=send.nonce, again=send.uncertain)

    async def on_greet(self, send: Send) -> None:
        """The welcome of a student who moved into a pair that goes on (a swap)."""
        assert send.partnership_id is not None
        found = await self.bot.services.pairing.greeting_for(
            send.guild_id,
            send.partnership_id,
            int(send.payload["pair"]),
            int(send.payload["newcomer"]),
        )
        if found is not None:
            space_id, newcomer = found
            port = await self._port(send)
            await port.greet(space_id, newcomer, nonce=send.nonce, again=send.uncertain)

    async def on_recover(self, send: Send) -> None:
        """Try again to settle an operation no process runs any more."""
        operation = int(send.payload["operation"])
        left = await self.bot.services.operations.recover(
            self.port_for, only=operation, retry=False
        )
        if left:
            raise RetryLaterError(f"operation {operation} could not be settled yet")

    async def at_start(self, scope: Scope) -> None:
        """Before the sends the outage held back: finish or undo every change a stop cut
        short, then remove spaces the bot made that nothing stored explains, and flag pairs
        whose space is gone. Only this process's servers (`scope`): another process's
        operations are its own, under way."""
        await self.bot.services.operations.recover(self.port_for, scope=scope)
        for guild in self.bot.guilds:
            if not scope.owns(guild.id):
                continue
            port = await self.port_for(guild.id)
            if port is None:
                continue
            try:
                await self.bot.services.pairing.reconcile(guild.id, port)
            except Exception:
                # Tried again at the next start; the sends must not wait for it.
                log.exception("could not check server %s's paired spaces against Discord", guild.id)
