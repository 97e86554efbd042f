"""What every table holds about people, and the export, erasure and pruning built on that map.

Every table in `schema.metadata` is declared in `REGISTRY` (a test fails otherwise), with its
columns sorted by what they hold:

- `users`: Discord user ids of people; `incidental` names those that only record who handled a
  row (a teacher who resolved a report): they are pseudonymised, but do not make the row's
  text theirs;
- `participants`: ids of `participants` rows (a person in one exchange);
- `text`: personal values (names, introductions, interests, a reporter's words), cleared when
  the row's person is erased;
- `mentions`: JSON or keys that may hold a person's id or name anywhere inside; scrubbed;
- `plain`: ids of channels, roles, guilds and other values that are about no person.

Export, erase and retention read only this map, so a table added later is covered the moment
it is declared, and `tests/test_personal_data.py` fails until it is.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Row,
    Table,
    and_,
    delete,
    false,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.privacy import ERASED, mentions, scrub
from bot.store.schema import metadata, participants, partnerships


@dataclass(frozen=True, slots=True)
class Personal:
    """What one table holds about people, why, for how long, and how erasure treats it."""

    purpose: str
    kept: str
    users: tuple[str, ...] = ()
    incidental: tuple[str, ...] = ()
    participants: tuple[str, ...] = ()
    text: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    plain: tuple[str, ...] = ()
    guild: str | None = None
    exchange: str | None = None
    # (column, table): a child table scoped through its parent's `id` (a game's moves).
    parent: tuple[str, str] | None = None
    # "anonymise" keeps the row (so counts still add up) without the person; "delete" drops it.
    erase: str = "anonymise"
    # Values written on erasure besides the defaults (text columns go to their server default,
    # else NULL, else ERASED).
    redacted: Mapping[str, Any] = field(default_factory=dict)

    @property
    def holds_people(self) -> bool:
        return bool(self.users or self.participants or self.text or self.mentions)

    def declared(self) -> set[str]:
        """Every column this declaration names."""
        named = {*self.users, *self.participants, *self.text, *self.mentions, *self.plain}
        parent = self.parent[0] if self.parent else None
        return named | {c for c in (self.guild, self.exchange, parent) if c}


KEPT_WHILE_ACTIVE = "while the exchange runs, then RETENTION_DAYS after it ends"

REGISTRY: dict[str, Personal] = {
    "guild_settings": Personal(
        purpose="which Discord roles mean student, teacher and coordinator in this server",
        kept="while the bot serves the server",
        plain=("language", "student_role_id", "teacher_role_id", "coordinator_role_id"),
        guild="guild_id",
    ),
    "partnerships": Personal(
        purpose=(
            "the exchange: its name, whether it runs, when it ended and was pruned, and how a "
            "network of cities pairs its students"
        ),
        kept="always (no personal data)",
        plain=("name", "status", "pairing_policy"),
        guild="guild_id",
    ),
    "cities": Personal(
        purpose="the two cities of an exchange: zone, languages, weekend, public holidays",
        kept="always (no personal data)",
        plain=("name", "timezone", "languages", "weekend_days", "holiday_region"),
        exchange="partnership_id",
    ),
    "participants": Personal(
        purpose=(
            "the roster: who takes part, in which city and role, the name shown to partners, "
            "the bot's language for them, and the profile pairing uses (grade band, languages, "
            "interests, a short introduction)"
        ),
        kept=KEPT_WHILE_ACTIVE + "; on erasure the row stays as an anonymous count",
        users=("user_id",),
        text=("display_name", "grade_band", "languages", "interests", "intro"),
        plain=("role", "language", "status"),
        guild="guild_id",
        exchange="partnership_id",
        redacted={"status": "removed"},
    ),
    "profile_drafts": Personal(
        purpose=(
            "what a person chose and typed in a /join or /profile panel not sent yet, so the "
            "panel outlives a restart without putting them on the roster"
        ),
        kept=(
            "until it is sent or cancelled; untouched for a day, it is no longer used and is "
            "deleted when a panel next opens or the bot starts"
        ),
        users=("user_id",),
        text=("grade_band", "languages", "interests", "other_interests", "intro"),
        plain=("role", "language"),
        guild="guild_id",
        exchange="partnership_id",
        erase="delete",
    ),
    "exchange_spaces": Personal(
        purpose="where an exchange's categories, thread parent and channels are",
        kept="always (no personal data)",
        plain=("category_ids", "thread_parent_id", "exchange_channel_id", "teachers_channel_id"),
        exchange="partnership_id",
    ),
    "keep_apart": Personal(
        purpose="two students a teacher said must never be paired (a safety mark), and by whom",
        kept=KEPT_WHILE_ACTIVE,
        users=("created_by",),
        incidental=("created_by",),
        participants=("first_id", "second_id"),
        exchange="partnership_id",
    ),
    "pairing_rounds": Personal(
        purpose="each pairing round and the teacher who confirmed it",
        kept=KEPT_WHILE_ACTIVE,
        users=("created_by",),
        incidental=("created_by",),
        plain=("space_kind",),
        exchange="partnership_id",
    ),
    "pairs": Personal(
        purpose="each pair's private space and why it was made (shared interests, languages)",
        kept="always; members are in pair_members",
        plain=("space_id", "status", "reasons"),
        exchange="partnership_id",
    ),
    "pair_members": Personal(
        purpose="who is in which pair",
        kept=KEPT_WHILE_ACTIVE + "; points at the anonymous roster row after erasure",
        participants=("participant_id",),
    ),
    "activity": Personal(
        purpose=(
            "the audit log: who did what and when (never message text), for teachers' follow-up "
            "and funders' counts"
        ),
        kept=KEPT_WHILE_ACTIVE + "; then the actor becomes a pseudonym and counts remain",
        users=("actor_id",),
        mentions=("details",),
        plain=("kind",),
        guild="guild_id",
        exchange="partnership_id",
    ),
    "scheduled_sends": Personal(
        purpose="reminders and timed posts the bot will send, and what became of them",
        kept=KEPT_WHILE_ACTIVE,
        mentions=("key", "payload"),
        plain=("kind", "status", "error"),
        guild="guild_id",
        exchange="partnership_id",
    ),
    # -- 0008: safety --
    "reports": Personal(
        purpose=(
            "reports to teachers: who reported whom, the reason picked, the link to the message "
            "(never its text), the reporter's optional words, status and who resolved it"
        ),
        kept=KEPT_WHILE_ACTIVE,
        users=("reporter_id", "subject_id", "resolved_by"),
        incidental=("resolved_by",),
        text=("details",),
        plain=(
            "kind",
            "reason",
            "channel_id",
            "message_id",
            "status",
            "notice_channel_id",
            "notice_message_id",
        ),
        guild="guild_id",
        exchange="partnership_id",
    ),
    # -- prompts --
    "prompts": Personal(
        purpose="an exchange's own discussion prompts, written by its teachers, and who added one",
        kept=KEPT_WHILE_ACTIVE,
        users=("created_by",),
        incidental=("created_by",),
        plain=("texts", "ages", "theme"),
        exchange="partnership_id",
    ),
    "prompt_retirements": Personal(
        purpose="prompts an exchange no longer wants posted, and the teacher who retired one",
        kept=KEPT_WHILE_ACTIVE,
        users=("retired_by",),
        incidental=("retired_by",),
        plain=("prompt_key",),
        exchange="partnership_id",
    ),
    "prompt_posts": Personal(
        purpose="which prompt was posted to which pair and when (rotation, daily limit, rates)",
        kept=KEPT_WHILE_ACTIVE,
        users=("posted_by",),
        incidental=("posted_by",),
        plain=("prompt_key", "reason", "session_key", "message_id"),
        exchange="partnership_id",
    ),
    "prompt_responses": Personal(
        purpose="who answered which prompt, when, and the reply's length if known (never text)",
        kept=KEPT_WHILE_ACTIVE,
        participants=("participant_id",),
    ),
    # -- chess --
    "chess_settings": Personal(
        purpose="how many games two partners may play at once, and the teacher who set it",
        kept=KEPT_WHILE_ACTIVE,
        users=("updated_by",),
        incidental=("updated_by",),
        exchange="partnership_id",
    ),
    "chess_games": Personal(
        purpose="chess games between students: players, time control, result, where played",
        kept=KEPT_WHILE_ACTIVE + "; results stay as anonymous city-vs-city scores",
        participants=("white_id", "black_id", "challenger_id"),
        plain=(
            "space_id",
            "status",
            "time_kind",
            "draw_offer",
            "result",
            "termination",
            "challenge_message_id",
            "board_message_id",
        ),
        guild="guild_id",
        exchange="partnership_id",
    ),
    "chess_moves": Personal(
        purpose="each move of a game and who played it (the game's PGN)",
        kept=KEPT_WHILE_ACTIVE,
        users=("played_by",),
        plain=("uci", "san"),
        parent=("game_id", "chess_games"),
    ),
    "chess_clock_extensions": Personal(
        purpose="time given back to a player whose deadline passed while the bot was down",
        kept=KEPT_WHILE_ACTIVE + " (with its game)",
        parent=("game_id", "chess_games"),
    ),
    # -- 0021: the chess league --
    "chess_seasons": Personal(
        purpose="a league season: cities, time control, start date, and the teacher who made it",
        kept=KEPT_WHILE_ACTIVE,
        users=("created_by",),
        incidental=("created_by",),
        plain=("time_kind", "status"),
        guild="guild_id",
        exchange="partnership_id",
    ),
    "chess_season_cities": Personal(
        purpose="the cities taking part in a league season",
        kept="always (no personal data)",
        parent=("season_id", "chess_seasons"),
    ),
    "chess_season_players": Personal(
        purpose="the students who entered a league season, and when",
        kept=KEPT_WHILE_ACTIVE,
        participants=("participant_id",),
        parent=("season_id", "chess_seasons"),
    ),
    "chess_rounds": Personal(
        purpose="a season's rounds: which city rests, where and when the round started",
        kept="always (no personal data)",
        plain=("status", "channel_id"),
        parent=("season_id", "chess_seasons"),
    ),
    "chess_matches": Personal(
        purpose="city-vs-city matches of a round, and whether each city had players",
        kept="always (no personal data)",
        parent=("round_id", "chess_rounds"),
    ),
    "chess_boards": Personal(
        purpose="a match's boards: a student of each city and their two games",
        kept=KEPT_WHILE_ACTIVE + "; results stay as anonymous city-vs-city scores",
        participants=("home_id", "away_id"),
        parent=("match_id", "chess_matches"),
    ),
    # -- sessions --
    "sessions": Personal(
        purpose="monthly session series: title, rule, zone, teacher-written prompt, organiser",
        kept=KEPT_WHILE_ACTIVE,
        users=("created_by",),
        incidental=("created_by",),
        plain=("title", "timezone", "first_local", "rrule", "channel_id", "prompt", "status"),
        guild="guild_id",
        exchange="partnership_id",
    ),
    "session_occurrences": Personal(
        purpose="each session date, its Discord event and check-in post, who last changed it",
        kept=KEPT_WHILE_ACTIVE,
        users=("changed_by",),
        incidental=("changed_by",),
        plain=("status", "event_id", "event_digest", "checkin_channel_id", "checkin_message_id"),
        parent=("session_id", "sessions"),
    ),
    "session_attendance": Personal(
        purpose="attendance: who checked in or was in the session's voice channel, and when",
        kept=KEPT_WHILE_ACTIVE + "; then anonymous counts per city",
        participants=("participant_id",),
        plain=("method", "voice_seconds", "voice_since"),
    ),
    "session_marks": Personal(
        purpose=(
            "a teacher's roll call: present, late, excused or absent per student and session, "
            "a short reason for an excused absence, and which teacher marked it"
        ),
        kept=KEPT_WHILE_ACTIVE + "; then anonymous counts per city",
        users=("marked_by",),
        incidental=("marked_by",),
        participants=("participant_id",),
        text=("reason",),
        plain=("mark",),
    ),
    "session_settings": Personal(
        purpose="when an exchange's session reminders go out, and how long in voice is present",
        kept="always (no personal data)",
        plain=("reminder_minutes", "voice_minutes"),
        exchange="partnership_id",
    ),
    # -- reports --
    "message_days": Personal(
        purpose=(
            "how many messages each student wrote in their paired space per day, and their "
            "total length when known (never text): reports and funders' counts"
        ),
        kept=KEPT_WHILE_ACTIVE + "; points at the anonymous roster row after erasure",
        participants=("participant_id",),
        exchange="partnership_id",
    ),
    # -- 0012: platform --
    "app_state": Personal(
        purpose="the bot's own state between runs: a digest of the slash commands it registered",
        kept="always (no personal data)",
        plain=("key", "value"),
    ),
    # -- 0010: spaces --
    "pair_pauses": Personal(
        purpose="when teachers paused a pair's space and reopened it (chess clocks stop then)",
        kept="always (no personal data)",
    ),
    # -- 0016: outside Discord --
    "dashboard_links": Personal(
        purpose=(
            "read-only dashboard links: who made one, for which exchange or city, in which "
            "language, until when, whether revoked and by whom, when last used (a hash of its "
            "secret, never the secret)"
        ),
        kept=KEPT_WHILE_ACTIVE
        + " (expired and revoked links stay, for the audit); deleted on erasure",
        users=("created_by", "revoked_by"),
        incidental=("revoked_by",),
        plain=("role", "language", "selector", "secret_hash"),
        guild="guild_id",
        exchange="partnership_id",
        erase="delete",
    ),
    "calendar_feeds": Personal(
        purpose=(
            "calendar subscriptions of an exchange's sessions: who asked for one, for which "
            "exchange or city, when last polled (a hash of its secret, never the secret)"
        ),
        kept=KEPT_WHILE_ACTIVE + "; deleted on erasure",
        users=("created_by",),
        plain=("selector", "secret_hash"),
        guild="guild_id",
        exchange="partnership_id",
        erase="delete",
    ),
    # -- 0019: the school year --
    "school_breaks": Personal(
        purpose="each city's school breaks (days off), and the staff member who added each",
        kept=KEPT_WHILE_ACTIVE,
        users=("created_by",),
        incidental=("created_by",),
        guild="guild_id",
        exchange="partnership_id",
    ),
    # -- 0023: consent and age --
    "consents": Personal(
        purpose=(
            "whether a guardian's consent is on file for a student (or was withdrawn), and "
            "which teacher recorded it when: a student without it is not paired"
        ),
        kept=KEPT_WHILE_ACTIVE + "; on the student's erasure the record says not on file",
        users=("recorded_by",),
        incidental=("recorded_by",),
        participants=("participant_id",),
        plain=("on_file",),
        exchange="partnership_id",
        redacted={"on_file": False},
    ),
    "consent_settings": Personal(
        purpose="whether an exchange pairs only students with consent on file, and who set it",
        kept=KEPT_WHILE_ACTIVE,
        users=("changed_by",),
        incidental=("changed_by",),
        plain=("required",),
        exchange="partnership_id",
    ),
    "meet_settings": Personal(
        purpose="how many days after a round or a session pairs are asked whether they met",
        kept=KEPT_WHILE_ACTIVE,
        users=("changed_by",),
        incidental=("changed_by",),
        plain=("days",),
        exchange="partnership_id",
    ),
    "meet_checkins": Personal(
        purpose="which pair was asked whether they met, after what, and when",
        kept="always (no personal data)",
        plain=("occasion", "posted_at"),
        exchange="partnership_id",
    ),
    "meet_answers": Personal(
        purpose=(
            "each student's answer to a check-in (yes, not yet, we need help) and when: "
            "help for pairs that ask, pairs to nudge, counts in reports"
        ),
        kept=KEPT_WHILE_ACTIVE + "; points at the anonymous roster row after erasure",
        participants=("participant_id",),
        plain=("answer",),
    ),
    "report_digests": Personal(
        purpose="exchanges whose monthly digest is on, and the coordinator who turned it on",
        kept=KEPT_WHILE_ACTIVE,
        users=("turned_on_by",),
        incidental=("turned_on_by",),
        guild="guild_id",
        exchange="partnership_id",
    ),
    # -- 0017: operations --
    "directory_listings": Personal(
        purpose=(
            "a school's listing in the directory of cities seeking cities (no student data), "
            "and the coordinator who posted it, whom other servers never see"
        ),
        kept="until its coordinator removes it; it stops being shown when it expires",
        users=("author_id",),
        incidental=("author_id",),
        plain=(
            "channel_id",
            "city",
            "country",
            "timezone",
            "languages",
            "age_bands",
            "themes",
            "months",
            "note",
            "status",
            "paused_reason",
        ),
        guild="guild_id",
    ),
    "directory_introductions": Personal(
        purpose=(
            "a request to be introduced to another school: the coordinator who asked, their "
            "note, and who answered; names cross only once it is accepted"
        ),
        kept="until either listing is removed",
        users=("from_user_id", "answered_by"),
        incidental=("answered_by",),
        text=("note",),
        plain=("status", "to_guild_id", "channel_id", "message_id"),
        guild="from_guild_id",
    ),
    "directory_blocks": Personal(
        purpose="servers a server hid from its directory, and the coordinator who did",
        kept="until unblocked",
        users=("created_by",),
        incidental=("created_by",),
        plain=("blocked_guild_id",),
        guild="guild_id",
    ),
    "directory_reports": Personal(
        purpose="abuse reports about listings sent to the bot's operator: who reported and why",
        kept="while the operator needs them",
        users=("reporter_id",),
        text=("reason",),
        plain=("listing_guild_id",),
        guild="reporter_guild_id",
    ),
    "operations": Personal(
        purpose=(
            "a change of several Discord steps while it runs (a pairing round, a swap, a "
            "removal, ending an exchange, an erasure): who asked, the people and spaces it "
            "concerns and the steps done, so a restart can finish or undo it"
        ),
        kept="only while the change runs (seconds): deleted when it is done or undone",
        users=("actor_id",),
        incidental=("actor_id",),
        mentions=("plan", "steps"),
        plain=("kind", "status", "owner"),
        guild="guild_id",
        exchange="partnership_id",
    ),
}


def tables() -> list[tuple[Table, Personal]]:
    """Every table with its declaration, parents before children."""
    return [(t, REGISTRY[t.name]) for t in metadata.sorted_tables]


@dataclass(frozen=True, slots=True)
class Person:
    """Someone to export or erase: a Discord user in one guild (or in one exchange only)."""

    guild_id: int
    user_id: int
    names: tuple[str, ...] = ()
    exchange_id: int | None = None  # retention works one ended exchange at a time


async def participant_ids(conn: AsyncConnection, person: Person) -> list[int]:
    """The person's roster rows in scope."""
    query = select(participants.c.id).where(
        participants.c.guild_id == person.guild_id, participants.c.user_id == person.user_id
    )
    if person.exchange_id is not None:
        query = query.where(participants.c.partnership_id == person.exchange_id)
    return list((await conn.scalars(query)).all())


async def known_names(conn: AsyncConnection, person: Person) -> tuple[str, ...]:
    """The names given plus every roster name of the person in scope."""
    query = select(participants.c.display_name).where(
        participants.c.guild_id == person.guild_id, participants.c.user_id == person.user_id
    )
    if person.exchange_id is not None:
        query = query.where(participants.c.partnership_id == person.exchange_id)
    stored = [n for n in (await conn.scalars(query)).all() if n and n != ERASED]
    return tuple(dict.fromkeys([*person.names, *stored]))


def _scope(table: Table, policy: Personal, person: Person) -> ColumnElement[bool]:
    """Rows of the guild (or of the one exchange) the request is about."""
    if policy.parent is not None:
        column, parent_name = policy.parent
        parent = metadata.tables[parent_name]
        in_scope = select(parent.c.id).where(_scope(parent, REGISTRY[parent_name], person))
        return table.c[column].in_(in_scope)
    if person.exchange_id is not None:
        if policy.exchange:
            return table.c[policy.exchange] == person.exchange_id
        # Guild-wide rows are not the exchange's; roster-linked rows are scoped by their ids.
        return false() if policy.guild else true()
    if policy.guild:
        return table.c[policy.guild] == person.guild_id
    if policy.exchange:
        guild_exchanges = select(partnerships.c.id).where(
            partnerships.c.guild_id == person.guild_id
        )
        return table.c[policy.exchange].in_(guild_exchanges)
    return true()


def _candidates(
    table: Table, policy: Personal, person: Person, pids: Sequence[int]
) -> ColumnElement[bool] | None:
    found: list[ColumnElement[bool]] = [table.c[u] == person.user_id for u in policy.users]
    if pids:
        found += [table.c[p].in_(list(pids)) for p in policy.participants]
    found += [table.c[m].contains(str(person.user_id)) for m in policy.mentions]
    return or_(*found) if found else None


@dataclass(frozen=True, slots=True)
class Match:
    """A row about the person, and whether it is theirs (not merely naming them)."""

    row: Row[Any]
    owned: bool


async def rows_about(
    conn: AsyncConnection, table: Table, policy: Personal, person: Person, pids: Sequence[int]
) -> list[Match]:
    """The table's rows that hold the person's id, roster ids, or their id inside a value."""
    where = _candidates(table, policy, person, pids)
    if where is None:
        return []
    rows = (
        await conn.execute(select(table).where(and_(_scope(table, policy, person), where)))
    ).all()
    owners = [u for u in policy.users if u not in policy.incidental]
    found = []
    for row in rows:
        values = row._mapping
        owned = any(values[u] == person.user_id for u in owners) or any(
            values[p] in pids for p in policy.participants
        )
        named = any(values[u] == person.user_id for u in policy.incidental) or any(
            isinstance(values[m], str) and mentions(values[m], person.user_id)
            for m in policy.mentions
        )
        if owned or named:
            found.append(Match(row, owned))
    return found


def _jsonable(table: Table, row: Row[Any], policy: Personal) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in table.columns:
        value = row._mapping[column.name]
        if isinstance(value, date):  # datetimes too (a subclass), and days (message_days)
            value = value.isoformat()
        elif isinstance(value, int) and isinstance(column.type, BigInteger):
            value = str(value)  # snowflakes overflow JavaScript numbers
        elif column.name in policy.mentions and isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        out[column.name] = value
    return out


async def export(conn: AsyncConnection, person: Person) -> dict[str, list[dict[str, Any]]]:
    """Every row about the person, per registered table (tables without any: empty lists)."""
    pids = await participant_ids(conn, person)
    found: dict[str, list[dict[str, Any]]] = {}
    for table, policy in tables():
        if not policy.holds_people:
            continue
        matches = await rows_about(conn, table, policy, person, pids)
        found[table.name] = [_jsonable(table, m.row, policy) for m in matches]
    return found


async def count_about(conn: AsyncConnection, person: Person) -> dict[str, int]:
    """How many rows of each table are about the person (tables with none are left out)."""
    pids = await participant_ids(conn, person)
    counts = {}
    for table, policy in tables():
        if policy.holds_people:
            matches = await rows_about(conn, table, policy, person, pids)
            if matches:
                counts[table.name] = len(matches)
    return counts


def new_pseudonym() -> int:
    """A negative number: never a Discord id (those are positive), never derived from one."""
    return -(secrets.randbelow(2**52) + 1)


def _cleared(table: Table, name: str, policy: Personal) -> Any:
    if name in policy.redacted:
        return policy.redacted[name]
    column = table.c[name]
    default = column.server_default
    if default is not None and hasattr(default, "arg"):
        return str(default.arg)
    return None if column.nullable else ERASED


async def erase(
    conn: AsyncConnection, person: Person, pseudonyms: dict[int | None, int] | None = None
) -> dict[str, int]:
    """Remove the person from every table in scope; returns the rows changed per table.

    Rows are kept without the person (so aggregate reports still add up) unless the table is
    declared `erase="delete"`. Their id becomes one pseudonym per exchange in every row.
    """
    pseudonyms = {} if pseudonyms is None else pseudonyms
    pids = await participant_ids(conn, person)
    names = await known_names(conn, person)
    changed: dict[str, int] = {}
    # Children first, so deleting never trips a foreign key.
    for table, policy in reversed(tables()):
        if not policy.holds_people:
            continue
        matches = await rows_about(conn, table, policy, person, pids)
        if not matches:
            continue
        changed[table.name] = len(matches)
        # Rows that change alike (most often: only the actor becomes the pseudonym) are
        # changed in one statement per batch: a busy student has thousands of log rows.
        alike: dict[tuple[tuple[str, Any], ...] | None, list[Row[Any]]] = defaultdict(list)
        for match in matches:
            if policy.erase == "delete":
                alike[None].append(match.row)
                continue
            values = _anonymised(table, policy, person, match, names, pseudonyms)
            if values:
                alike[tuple(sorted(values.items()))].append(match.row)
        for values_key, rows in alike.items():
            for where in _keys(table, rows):
                if values_key is None:
                    await conn.execute(delete(table).where(where))
                else:
                    await conn.execute(update(table).where(where).values(**dict(values_key)))
    return changed


_BATCH = 500  # ids per statement, well under SQLite's limit on bound parameters


def _keys(table: Table, rows: Sequence[Row[Any]]) -> list[ColumnElement[bool]]:
    """WHERE clauses picking these rows: by batches of ids, or row by row (composite keys)."""
    key_columns = list(table.primary_key.columns)
    if len(key_columns) == 1:
        column = key_columns[0]
        ids = [row._mapping[column.name] for row in rows]
        return [column.in_(ids[i : i + _BATCH]) for i in range(0, len(ids), _BATCH)]
    return [and_(*(c == row._mapping[c.name] for c in key_columns)) for row in rows]


def _anonymised(
    table: Table,
    policy: Personal,
    person: Person,
    match: Match,
    names: Iterable[str],
    pseudonyms: dict[int | None, int],
) -> dict[str, Any]:
    row = match.row._mapping
    exchange = row[policy.exchange] if policy.exchange else person.exchange_id
    pseudonym = pseudonyms.setdefault(exchange, new_pseudonym())
    values: dict[str, Any] = {}
    for name in policy.users:
        if row[name] == person.user_id:
            values[name] = pseudonym
    for name in policy.mentions:
        if isinstance(row[name], str):
            cleaned = scrub(row[name], person.user_id, pseudonym, names)
            if cleaned != row[name]:
                values[name] = cleaned
    if match.owned:
        for name in policy.text:
            values[name] = _cleared(table, name, policy)
        values.update(policy.redacted)
    return values


async def people_of_exchange(conn: AsyncConnection, exchange_id: int) -> set[int]:
    """Every Discord user id stored in the exchange's rows (pseudonyms excluded)."""
    found: set[int] = set()
    for table, policy in tables():
        if policy.exchange:
            in_exchange = table.c[policy.exchange] == exchange_id
        elif policy.parent is not None:
            link, parent_name = policy.parent
            parent = metadata.tables[parent_name]
            parent_exchange = REGISTRY[parent_name].exchange
            if parent_exchange is None:
                continue
            owners = select(parent.c.id).where(parent.c[parent_exchange] == exchange_id)
            in_exchange = table.c[link].in_(owners)
        else:
            continue
        for name in policy.users:
            user = table.c[name]
            ids = await conn.scalars(select(user).where(in_exchange, user > 0).distinct())
            found.update(ids.all())
    return found


# Discord ids (snowflakes) as they appear inside logged details and keys.
_SNOWFLAKE = re.compile(r"(?<!\d)\d{15,20}(?!\d)")


async def stored_user_ids(conn: AsyncConnection) -> set[int]:
    """Every Discord user id anywhere in the database: in user columns, and any number shaped
    like one inside mention columns (pseudonyms, being negative, are left out)."""
    found: set[int] = set()
    for table, policy in tables():
        for name in policy.users:
            column = table.c[name]
            found.update((await conn.scalars(select(column).where(column > 0).distinct())).all())
        for name in policy.mentions:
            column = table.c[name]
            for value in (await conn.scalars(select(column).distinct())).all():
                if isinstance(value, str):
                    found.update(int(n) for n in _SNOWFLAKE.findall(value))
    return found
