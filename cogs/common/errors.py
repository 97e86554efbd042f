"""The one error path: whatever fails in a command, a button, a select or a modal is answered.

The person always gets an answer, privately and in their language, never Discord's bare
"This interaction failed":
- a `UserError` (something they can fix) says what to fix;
- a busy database says to try again;
- anything else is logged with its traceback and the interaction's context, and the answer
  says truthfully whether something was saved before the failure (see `track_commits`).

Slash commands reach it through `ErrorTree`, components and modals through `guarded`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from bot.cldr import dated
from bot.errors import UserError
from bot.i18n import t
from bot.logs import current_command
from bot.metrics import BUSY, ERROR, OK, REFUSED
from bot.store.engine import commit_log, track_commits
from cogs.common.checks import refund_cooldowns
from cogs.common.interactions import language_soon, say
from cogs.common.text import permission_names, shown, timestamp

if TYPE_CHECKING:
    from bot.app import Twinbridge

log = logging.getLogger(__name__)

# Where a handler may note, in the person's words, what it did before a failure.
_DONE = "twinbridge.done"
_COMMITS = "twinbridge.commits"


# Parameters the bot writes itself (column names, choices it offers, a library's codes, a
# timestamp, a channel mention), shown as they are; every other one may repeat what a person
# typed or named.
_WRITTEN_BY_US = frozenset(
    (
        "field",
        "missing",
        "expected",
        "bands",
        "languages",
        "when",
        "channel",
        "space",
        "permission",
        "codes",
    )
)


def render_error(error: UserError, language: str, *, markdown: bool = True) -> str:
    """A user error in the reader's language (field names translated too).

    What the error repeats of what people typed or named (a name, a value, a zone) is shown
    literally in markdown (`shown`); `markdown=False` for plain text, such as a CSV file.
    """
    params = dict(error.params)
    if isinstance(params.get("field"), str):
        params["field"] = t(f"field.{params['field']}", language)
    if isinstance(params.get("permission"), tuple):
        # The message's words follow how many: "the X permission", "the X and Y permissions".
        params.setdefault("count", len(params["permission"]))
        params["permission"] = permission_names(params["permission"], language)
    if markdown:
        params = {
            key: shown(value) if isinstance(value, str) and key not in _WRITTEN_BY_US else value
            for key, value in params.items()
        }
    # Services name days and moments without knowing the reader: a moment becomes a Discord
    # timestamp (the reader's zone and language), a day is written the reader's way (CLDR).
    if markdown:
        params = {
            key: timestamp(value, "f") if isinstance(value, datetime) else value
            for key, value in params.items()
        }
    return t(error.key, language, **dated(params, language))


def _database_busy(cause: BaseException) -> bool:
    if isinstance(cause, PoolTimeoutError):
        return True
    text = str(getattr(cause, "orig", cause)).lower()
    # SQLite: "database is locked"; PostgreSQL: "canceling statement due to lock timeout",
    # which asyncpg's adapter raises as a plain DBAPIError, not an OperationalError.
    busy = "locked" in text or "busy" in text or "lock timeout" in text
    return isinstance(cause, DBAPIError) and busy


def note_done(interaction: discord.Interaction[Any], text: str) -> None:
    """Record, in the reader's language, something this interaction did that a later failure
    does not undo; the error answer repeats it (e.g. "the round was saved")."""
    interaction.extras.setdefault(_DONE, []).append(text)


def error_text(interaction: discord.Interaction[Any], cause: BaseException, language: str) -> str:
    """What to tell a person about a failure; anything unexpected is kept vague but truthful."""
    if isinstance(cause, UserError):
        return render_error(cause, language)
    if isinstance(cause, app_commands.NoPrivateMessage):
        return t("error.guild_only", language)
    if isinstance(cause, app_commands.CommandOnCooldown):
        return t("error.cooldown", language, seconds=round(cause.retry_after))
    if isinstance(cause, app_commands.BotMissingPermissions):
        missing = cause.missing_permissions
        return t(
            "error.bot_missing_permission",
            language,
            permission=permission_names(missing, language),
            count=len(missing),
        )
    done: list[str] = interaction.extras.get(_DONE, [])
    if isinstance(cause, discord.RateLimited):
        # discord.py raises it instead of sleeping past RATE_LIMIT_PATIENCE (bot/app.py).
        minutes = max(1, math.ceil(cause.retry_after / 60))
        lines = [t("error.rate_limited", language, minutes=minutes)]
        return "\n".join(lines + [f"• {d}" for d in done])
    committed = bool(interaction.extras.get(_COMMITS))
    if _database_busy(cause) and not done and not committed:
        return t("error.busy", language)
    if done:
        return t("error.generic_after", language, done="\n".join(f"• {d}" for d in done))
    if committed:
        return t("error.generic_partly", language)
    return t("error.generic", language)


def _expected(cause: BaseException) -> bool:
    return isinstance(
        cause,
        UserError
        | app_commands.CheckFailure
        | app_commands.CommandOnCooldown
        | app_commands.NoPrivateMessage
        | discord.RateLimited,
    )


def count_outcome(interaction: discord.Interaction[Any], outcome: str) -> None:
    """Count the interaction's outcome in the bot's metrics (by command, never by person)."""
    metrics = getattr(getattr(interaction.client, "ctx", None), "metrics", None)
    if metrics is not None:
        metrics.interaction(current_command(), outcome)


async def answer_failure(interaction: discord.Interaction[Any], cause: BaseException) -> None:
    """Tell the person what went wrong; log what they cannot fix, with its traceback."""
    expected, busy = _expected(cause), _database_busy(cause)
    count_outcome(interaction, REFUSED if expected else BUSY if busy else ERROR)
    if (expected or busy) and not interaction.extras.get(_COMMITS):
        # Refused (or to be tried again) with nothing done: no anti-flood use is spent.
        refund_cooldowns(interaction)
    if not expected and not busy:
        log.error(
            "interaction failed (type %s, id %s)",
            interaction.type.name if interaction.type else "?",
            interaction.id,
            exc_info=cause,
        )
    elif isinstance(cause, discord.RateLimited):
        log.warning("interaction %s rate limited for %.0f s", interaction.id, cause.retry_after)
    language = await language_soon(interaction)
    try:
        await say(interaction, error_text(interaction, cause, language))
    except discord.HTTPException:
        log.warning("could not tell the user about a failure", exc_info=True)
    interaction.client.dispatch("twinbridge_command_error", interaction, cause)


async def guarded(
    interaction: discord.Interaction[Any], work: Callable[[], Awaitable[object]]
) -> None:
    """Run a component's or modal's work; any failure takes the one error path."""
    with track_commits() as commits:
        interaction.extras[_COMMITS] = commits
        try:
            await work()
        except Exception as error:
            await answer_failure(interaction, error)
        else:
            count_outcome(interaction, OK)


class ErrorTree(app_commands.CommandTree["Twinbridge"]):
    """A command tree whose failures take the one error path, and that tracks commits."""

    async def interaction_check(self, interaction: discord.Interaction[Twinbridge], /) -> bool:
        # Runs first in the task that then runs the command: its commits are seen from here.
        interaction.extras[_COMMITS] = commit_log()
        return True

    async def on_error(
        self,
        interaction: discord.Interaction[Twinbridge],
        error: app_commands.AppCommandError,
    ) -> None:
        cause: BaseException = (
            error.original if isinstance(error, app_commands.CommandInvokeError) else error
        )
        refused = (app_commands.CheckFailure, app_commands.TransformerError)
        if isinstance(cause, refused) and isinstance(cause.__cause__, UserError):
            # A check or a parameter that refused with something to tell the user.
            cause = cause.__cause__
        await answer_failure(interaction, cause)
