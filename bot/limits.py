"""Discord's documented limits, named once: the cogs respect them and the sandbox enforces them.

No `discord` import: domain code (e.g. a page size) may use them too. Sources are Discord's
developer documentation (discord/discord-api-docs); `../shared/DISCORD_FACTS.md` sums them up.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

# Messages (a bot's content limit; the spec's 4000 is a Nitro user's).
CONTENT: Final = 2000
EMBEDS: Final = 10
EMBED_TITLE: Final = 256
EMBED_DESCRIPTION: Final = 4096
EMBED_FIELDS: Final = 25
FIELD_NAME: Final = 256
FIELD_VALUE: Final = 1024
FOOTER_TEXT: Final = 2048
AUTHOR_NAME: Final = 256
EMBEDS_TOTAL: Final = 6000
ATTACHMENTS: Final = 10
# Files: per file without a server boost, and per request (error 40005 beyond either).
FILE_BYTES: Final = 10 * 1024 * 1024
REQUEST_BYTES: Final = 25 * 1024 * 1024

# Components.
ACTION_ROWS: Final = 5
ROW_BUTTONS: Final = 5
CUSTOM_ID: Final = 100
BUTTON_LABEL: Final = 80
SELECT_OPTIONS: Final = 25
SELECT_OPTION_TEXT: Final = 100
PLACEHOLDER: Final = 150
MODAL_TITLE: Final = 45
MODAL_ITEMS: Final = 5
TEXT_INPUT_LABEL: Final = 45
# A text input's placeholder (a select menu's may be longer: PLACEHOLDER).
TEXT_INPUT_PLACEHOLDER: Final = 100
TEXT_INPUT_VALUE: Final = 4000
COMPONENTS_V2: Final = 1 << 15
V2_COMPONENTS_TOTAL: Final = 40

# Application commands.
CHOICES: Final = 25
CHOICE_NAME: Final = 100
CHOICE_VALUE: Final = 100
COMMAND_OPTIONS: Final = 25
COMMAND_NAME: Final = 32
COMMAND_DESCRIPTION: Final = 100
COMMAND_TOTAL_CHARACTERS: Final = 8000
# Commands whose name is new to a guild (or to the global scope), per day.
COMMAND_CREATES_PER_DAY: Final = 200
# Discord's pattern for command and option names (lower case where the script has case).
COMMAND_NAME_PATTERN: Final = r"^[-_\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$"

# Channels and guilds.
# Members one Request Guild Members asks for (by user ids, or matching a name).
MEMBERS_PER_QUERY: Final = 100
# Members one Search Guild Members (GET /guilds/{id}/members/search) answers with at most.
MEMBERS_PER_SEARCH: Final = 1000
CHANNEL_NAME: Final = 100
THREAD_NAME: Final = 100
CHANNELS_PER_GUILD: Final = 500
CHANNELS_PER_CATEGORY: Final = 50
# A channel's name or topic may change twice per ten minutes (a per-route limit).
RENAMES_PER_WINDOW: Final = 2
RENAME_WINDOW: Final = timedelta(minutes=10)
# The longest auto-archive duration Discord offers a thread, in minutes (one week), the one
# a thread gets when none is asked for (a day), and the durations Discord accepts.
THREAD_MAX_AUTO_ARCHIVE_MINUTES: Final = 10080
THREAD_DEFAULT_AUTO_ARCHIVE_MINUTES: Final = 1440
THREAD_AUTO_ARCHIVE_CHOICES: Final = (60, 1440, 4320, 10080)
SCHEDULED_EVENTS_UNFINISHED: Final = 100
EVENT_NAME: Final = 100
EVENT_DESCRIPTION: Final = 1000
# An external event's place (`entity_metadata.location`).
EVENT_LOCATION: Final = 100

# Interactions.
ACKNOWLEDGE_WITHIN: Final = timedelta(seconds=3)
INTERACTION_TOKEN_LIFETIME: Final = timedelta(minutes=15)

# Rate limits.
GLOBAL_REQUESTS_PER_SECOND: Final = 50
INVALID_REQUESTS_PER_WINDOW: Final = 10_000
INVALID_REQUEST_WINDOW: Final = timedelta(minutes=10)

# Discord's client locales (Discord has none for Arabic).
LOCALES: Final = frozenset(
    {
        "id",
        "da",
        "de",
        "en-GB",
        "en-US",
        "es-ES",
        "es-419",
        "fr",
        "hr",
        "it",
        "lt",
        "hu",
        "nl",
        "no",
        "pl",
        "pt-BR",
        "ro",
        "fi",
        "sv-SE",
        "vi",
        "tr",
        "cs",
        "el",
        "bg",
        "ru",
        "uk",
        "hi",
        "th",
        "zh-CN",
        "ja",
        "zh-TW",
        "ko",
    }
)

# The database's INTEGER (PostgreSQL's int4; ids are stored in it). Discord lets an integer
# option reach ±2**53: every integer option declares these bounds unless it has its own, so a
# typed "exchange: 9007199254740992" is refused by Discord instead of failing a query.
INTEGER_MIN: Final = -(2**31)
INTEGER_MAX: Final = 2**31 - 1
