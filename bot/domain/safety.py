"""Reports to teachers: the reasons a student can pick, and the rules for their few words."""

from __future__ import annotations

from enum import StrEnum

from bot.domain.exchange import ProfileError
from bot.domain.text import clean

# In the order the select menu shows them; each has a label in every catalogue.
REASONS = ("unkind", "uncomfortable", "personal_info", "outside_contact", "spam", "other")
MAX_DETAILS = 300
# A concern the bot files for a student who answered a "did you meet?" check-in with "we need
# help" (never offered in the reasons menu).
CHECKIN_HELP = "checkin_help"


class ReportKind(StrEnum):
    """What a report is about (the values are what the store keeps)."""

    MESSAGE = "message"  # one message, reported from Apps → Report to teacher
    CONCERN = "concern"  # something else, told with /concern


class ReportStatus(StrEnum):
    """Where a report stands (the values are what the store keeps)."""

    OPEN = "open"
    RESOLVED = "resolved"


def parse_reason(value: str) -> str:
    """A known reason code; anything else (a tampered component) raises ProfileError."""
    if value not in REASONS:
        raise ProfileError("error.unknown_reason")
    return value


def clean_details(text: str) -> str:
    """The reporter's optional words as stored (`bot.domain.text.clean`); at most
    MAX_DETAILS characters."""
    value = clean(text, multiline=True)
    if len(value) > MAX_DETAILS:
        raise ProfileError("error.too_long", field="details", limit=MAX_DETAILS, length=len(value))
    return value


def message_link(guild_id: int, channel_id: int, message_id: int | None = None) -> str:
    """A link that opens a message (or a channel) in Discord for whoever may see it."""
    link = f"https://discord.com/channels/{guild_id}/{channel_id}"
    return f"{link}/{message_id}" if message_id else link
