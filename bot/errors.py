"""Errors a user can act on: services raise them, one handler renders them ephemerally."""

from __future__ import annotations

from typing import Any


class UserError(Exception):
    """A problem the user caused or can fix; `key` names a message in the catalogue."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class NotAllowedError(UserError):
    """The user lacks the role or permission for this action."""


class NotFoundError(UserError):
    """What the user referred to does not exist (in this guild)."""


class BotMissingPermissionError(UserError):
    """The bot itself lacks a Discord permission; the message names it."""
