"""What sessions need from Discord (the port the cog implements) and the posts they make.

Posts are plain data; the Discord adapter (cogs/sessions/adapter.py) renders them in each
reader's language.
"""

from __future__ import annotations

import hashlib
from dataclasses import astuple, dataclass
from datetime import datetime, time
from typing import Protocol

from bot.domain.sessions import EventStatus, RuleShape
from bot.services.prompts import PromptPort


@dataclass(frozen=True, slots=True)
class EventSpec:
    """A Discord scheduled event for one occurrence."""

    name: str
    description: str
    start: datetime
    end: datetime
    channel_id: int | None  # a voice or stage channel; otherwise an external event
    location: str

    def digest(self) -> str:
        """A fingerprint of everything Discord shows, to tell whether the event is in step."""
        return hashlib.sha256(repr(astuple(self)).encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Announcement:
    """A schedule change everyone should know about (posted in the announcements channel).

    kind: "scheduled", "cancelled", "skipped", "moved" or "series_cancelled".
    """

    kind: str
    title: str
    languages: tuple[str, ...]
    start: datetime | None = None
    end: datetime | None = None
    previous: datetime | None = None
    shape: RuleShape | None = None
    zone: str = ""
    local_time: time | None = None  # on the wall clocks of `zone`
    # Every city of the exchange (name, zone): the start in each one's own clock.
    cities: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Reminder:
    title: str
    start: datetime
    end: datetime
    minutes_before: int
    voice_channel_id: int | None
    languages: tuple[str, ...]
    mentions: tuple[int, ...] = ()
    # Every city of the exchange (name, zone): the start in each one's own clock.
    cities: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Started:
    """The "session started" post with its check-in button."""

    occurrence_id: int
    title: str
    end: datetime
    voice_channel_id: int | None
    languages: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PromptPost:
    """A teacher-written session prompt in one paired space; `text` None means the default
    invitation (when the exchange's bank has no prompt left for the pair)."""

    title: str
    text: str | None
    languages: tuple[str, ...]
    mentions: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class CityAttendance:
    city: str
    present: tuple[str, ...]  # students' display names
    absent: tuple[str, ...]
    teachers: int  # teachers and coordinators seen
    excused: tuple[str, ...] = ()  # marked excused by a teacher: not expected


@dataclass(frozen=True, slots=True)
class Summary:
    """Who came, per city. `detailed` (names) only goes to the private teachers' channel."""

    title: str
    start: datetime
    cities: tuple[CityAttendance, ...]
    detailed: bool
    languages: tuple[str, ...]
    occurrence_id: int = 0  # for the roll call button under the teachers' summary
    end: datetime | None = None
    # Every city of the exchange (name, zone): when the session was in each one's own clock.
    zones: tuple[tuple[str, str], ...] = ()


Post = Announcement | Reminder | Started | PromptPost | Summary


class EventRefusedError(Exception):
    """Discord would not create (or update) an occurrence's event.

    `why` is "permission" (the bot lacks Create Events or Manage Events), "channel" (it lacks
    `missing`, the permissions Discord asks of it in the event's voice or stage channel
    `channel_id`), "limit" (the server has Discord's 100 unfinished events) or "error"
    (anything else, e.g. Discord answered 5xx); `reason` is Discord's own answer (or what the
    bot saw before asking), for the log; `updating` tells a refused update (the event still
    shows the old details) from a refused creation (there is no event).
    """

    def __init__(
        self,
        why: str,
        reason: str,
        *,
        updating: bool = False,
        missing: tuple[str, ...] = (),
        channel_id: int | None = None,
    ) -> None:
        super().__init__(f"{why}: {reason}")
        self.why = why
        self.reason = reason
        self.updating = updating
        self.missing = missing
        self.channel_id = channel_id


class SessionPort(Protocol):
    """What sessions need from Discord in one guild."""

    @property
    def prompts(self) -> PromptPort:
        """Bank prompts go out as the prompts feature renders them, in each member's language."""

    async def create_event(self, spec: EventSpec) -> int:
        """The new event's id; `EventRefusedError` when Discord would not create it."""

    async def update_event(self, event_id: int, spec: EventSpec) -> bool:
        """False when the event no longer exists or is over (Discord completed or cancelled
        it, and a finished event cannot change): a new one is wanted. `EventRefusedError` when
        Discord would not update it."""

    async def set_event_status(self, event_id: int, status: EventStatus) -> None:
        """Start, end or cancel an event. Raises on a passing failure (Discord's 5xx), so the
        send is tried again. Discord moves events by itself (an external event starts and
        ends at its times, a voice or stage event ends once its channel empties, an unstarted
        one is cancelled hours after its start): an event already in that state or past it,
        or gone, is left as it is, without asking Discord to change it."""

    async def delete_event(self, event_id: int) -> None: ...

    async def post(self, channel_id: int, post: Post, *, nonce: str | None = None) -> int:
        """Post in a channel; the message id.

        Raises `UndeliverableError` when the channel is gone or closed to the bot, and
        `RetryLaterError` when Discord failed for a passing reason (bot/services/scheduler.py).
        A `nonce` (at most 25 characters) makes Discord return the earlier message instead of
        posting again when the same nonce was used in the last few minutes.
        """

    async def close_checkin(
        self, channel_id: int, message_id: int, count: int, languages: tuple[str, ...]
    ) -> None:
        """Mark a "session started" post as closed, with how many came."""

    async def voice_members(self, channel_id: int) -> list[int]:
        """Users in a voice or stage channel now."""

    def channel_label(self, channel_id: int | None) -> str:
        """A readable name for a channel ("" when unknown)."""
