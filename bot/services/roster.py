"""The roster: students join and keep their profile; teachers list, import, move and remove.

Who is a student, teacher or coordinator comes from the Discord roles the guild chose
(`/exchange roles`); the roster records who joined which exchange, from which city, with
what profile. A paused student stays on the roster but is left out of pairing rounds.

A student's /join (and anyone's /profile edit) is filled in a panel whose choices are kept in
a profile draft, not on the roster, until the form is sent: the panel survives a restart, and
a student who gives up leaves no half profile behind.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock
from bot.domain import roster_csv
from bot.domain.consent import has_consent
from bot.domain.exchange import (
    INTERESTS,
    LANGUAGES,
    LEGACY_BANDS,
    MAX_INTERESTS,
    MAX_INTRO,
    MAX_NAME,
    City,
    Exchange,
    Participant,
    ParticipantStatus,
    ProfileDraft,
    ProfileError,
    Role,
    clean_text,
    parse_grade_band,
    parse_interests,
    split_interests,
)
from bot.domain.member_search import Progress
from bot.domain.pairing import PairStatus
from bot.domain.text import clean, echo
from bot.errors import NotAllowedError, NotFoundError, UserError
from bot.i18n import available_languages
from bot.services import exchanges as exchange_service
from bot.services import pairing as pairing_service
from bot.services.access import Actor, staff_exchange, standing_from
from bot.services.audit import By, audit
from bot.services.consent import acting_cities
from bot.services.operations import Journal, Operation, OperationKind, Undo, passing_failure
from bot.services.pairing import SpacePort
from bot.services.scheduler import Rearm
from bot.store import Database, roster
from bot.store import consent as consent_store
from bot.store import exchanges as exchange_store
from bot.store import pairing as pairing_store
from bot.store import profile_drafts as drafts
from bot.store.operations import OperationStatus

log = logging.getLogger(__name__)

STAFF = {"teacher", "coordinator"}
PAGE_SIZE = 25
# An untouched panel is given up after this long: its draft is no longer used, and deleted.
DRAFT_LIFETIME = timedelta(days=1)

ACTIVE = ParticipantStatus.ACTIVE
PAUSED = ParticipantStatus.PAUSED
REMOVED = ParticipantStatus.REMOVED


class StatusFilter(StrEnum):
    """Whose status a teacher's roster list shows."""

    CURRENT = "current"
    ACTIVE = "active"
    PAUSED = "paused"
    REMOVED = "removed"
    ALL = "all"


STATUS_FILTERS: dict[StatusFilter, tuple[ParticipantStatus, ...]] = {
    StatusFilter.CURRENT: (ACTIVE, PAUSED),
    StatusFilter.ACTIVE: (ACTIVE,),
    StatusFilter.PAUSED: (PAUSED,),
    StatusFilter.REMOVED: (REMOVED,),
    StatusFilter.ALL: (ACTIVE, PAUSED, REMOVED),
}


def _user_error(exc: ProfileError) -> UserError:
    return UserError(exc.key, **exc.params)


def bot_languages() -> list[str]:
    """The languages the bot can speak (those with a catalogue), English first."""
    return available_languages()


def _check_bot_language(language: str) -> None:
    if language not in bot_languages():
        raise UserError(
            "error.unknown_bot_language",
            language=echo(language, 20),
            languages=", ".join(bot_languages()),
        )


def suggested_language(preferred: str | None, city: City | None = None) -> str:
    """The bot language to offer first: the person's own if the bot speaks it, else the city's."""
    spoken = bot_languages()
    if preferred in spoken:
        return preferred
    for code in city.languages if city else ():
        if code in spoken:
            return code
    return spoken[0]


def stored_name(display_name: str, user_id: int) -> str:
    """A member's Discord name as the roster keeps it: cleaned like all typed text (no
    invisible or reordering characters) and within MAX_NAME; their id if nothing is left."""
    return clean(display_name)[:MAX_NAME] or str(user_id)


def find_city(exchange: Exchange, text: str) -> City:
    """One of the exchange's two cities, by name (any case) or id; UserError naming both."""
    found = exchange.city_named(text, by_id=True)
    if found is not None:
        return found
    raise UserError(
        "error.unknown_city",
        city=echo(clean(text), 40) or "—",
        cities=" / ".join(c.name for c in exchange.cities),
    )


# -- joining and profiles: what the use cases take and give -------------------------------------


@dataclass(frozen=True, slots=True)
class JoinStart:
    """Who is joining which exchange and city, as what, and the language to talk to them in."""

    exchange: Exchange
    city: City
    role: Role
    language: str


@dataclass(frozen=True, slots=True)
class ProfileInput:
    """What a student chose in the /join or /profile panel and typed in its form."""

    grade_band: str | None
    languages: tuple[str, ...]
    interests: tuple[str, ...]  # picked from the curated list
    other_interests: str  # typed, comma-separated
    intro: str
    language: str  # the language the bot speaks to them


@dataclass(frozen=True, slots=True)
class CleanProfile:
    grade_band: str | None
    languages: tuple[str, ...]
    interests: tuple[str, ...]
    intro: str
    language: str


def check_profile(data: ProfileInput, role: Role = Role.STUDENT) -> CleanProfile:
    """A profile's values within the rules, or UserError naming the first one that is not."""
    _check_bot_language(data.language)
    if role is not Role.STUDENT:
        return CleanProfile(None, (), (), "", data.language)
    try:
        if not data.grade_band:
            raise ProfileError("error.choose_grade_band")
        band = parse_grade_band(data.grade_band)
        if not data.languages:
            raise ProfileError("error.choose_languages")
        _check_picks(data.languages, data.interests)
        interests = parse_interests(list(data.interests), data.other_interests)
        intro = clean_text(data.intro, limit=MAX_INTRO, what="intro", multiline=True)
    except ProfileError as exc:
        raise _user_error(exc) from None
    languages = tuple(dict.fromkeys(data.languages))
    return CleanProfile(band, languages, interests, intro, data.language)


def _check_picks(languages: Sequence[str], interests: Sequence[str]) -> None:
    """Menu picks are among the menus' options (a menu drawn before an update may not be)."""
    for code in languages:
        if code not in LANGUAGES:
            raise ProfileError("error.unknown_language", language=echo(code, 40))
    for picked in interests:
        if picked not in INTERESTS:
            raise ProfileError("error.unknown_interest", interest=echo(picked, 40))


def first_missing(draft: ProfileDraft) -> str | None:
    """What a student must still choose before writing their introduction (a catalogue key)."""
    if draft.role is not Role.STUDENT:
        return None
    if not draft.grade_band:
        return "error.choose_grade_band"
    if not draft.languages:
        return "error.choose_languages"
    return None


def draft_input(draft: ProfileDraft) -> ProfileInput:
    """What a draft holds, as the profile rules check it."""
    return ProfileInput(
        grade_band=draft.grade_band,
        languages=draft.languages,
        interests=draft.interests,
        other_interests=draft.other_interests,
        intro=draft.intro,
        language=draft.language,
    )


@dataclass(frozen=True, slots=True)
class ProfileView:
    """A participant's profile with where they are now."""

    exchange: Exchange
    participant: Participant
    space_id: int | None = None  # their live pair's channel or thread


@dataclass(frozen=True, slots=True)
class DraftView:
    """An open /join or /profile panel's draft, with its exchange (for the panel's words)."""

    draft: ProfileDraft
    exchange: Exchange


@dataclass(frozen=True, slots=True)
class Sent:
    """What sending a panel did: the profile saved, or the refusal (the draft is kept)."""

    panel: DraftView
    saved: ProfileView | None = None
    refusal: UserError | None = None


# -- the teacher's roster ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RosterFilter:
    """What a teacher asked /roster list for."""

    city_id: int | None = None
    status: StatusFilter = StatusFilter.CURRENT
    grade_band: str | None = None
    role: Role = Role.STUDENT


@dataclass(frozen=True, slots=True)
class RosterEntry:
    participant: Participant
    space_id: int | None


@dataclass(frozen=True, slots=True)
class RosterPage:
    """One page of the roster, with head counts per city for the header."""

    exchange: Exchange
    filters: RosterFilter
    entries: tuple[RosterEntry, ...]
    page: int
    pages: int
    total: int
    counts: dict[tuple[int | None, str], int] = field(default_factory=dict)
    # Whether consent is on file, for the students listed (issue 23).
    consents: dict[int, bool] = field(default_factory=dict)
    # Students of the exchange whose band is under the minimum age (they need a new band).
    flagged: int = 0


@dataclass(frozen=True, slots=True)
class Removal:
    """What removing a student does to their pair."""

    exchange: Exchange
    student: Participant
    space_id: int | None  # their live pair's space, if any
    staying: tuple[Participant, ...]  # who else is in that pair
    pair_ends: bool  # the rest no longer make a cross-city pair: the pair is archived


# -- importing a CSV ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FoundMember:
    """A member of the guild as Discord describes them."""

    user_id: int
    username: str
    display_name: str
    role_ids: frozenset[int]
    bot: bool = False


class MemberDirectory(Protocol):
    """How the roster finds guild members; the cog implements it with discord.py."""

    async def by_ids(self, user_ids: Sequence[int]) -> dict[int, FoundMember]:
        """Members of the guild among these user ids (absent ones are left out)."""

    async def by_names(
        self, names: Sequence[str], progress: Progress | None = None
    ) -> dict[str, list[FoundMember]]:
        """For each name (case-folded), the members whose username, display name or nickname
        it is exactly (any case); looked up together, telling `progress(done, total)`."""


@dataclass(frozen=True, slots=True)
class Imported:
    name: str
    city_id: int
    restored: bool  # was removed earlier and is back


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did: who was added, which rows were not and why."""

    exchange: Exchange
    imported: tuple[Imported, ...]
    problems: tuple[roster_csv.CsvProblem, ...]
    ignored_columns: tuple[str, ...]
    rows: int  # rows with content in the file

    def per_city(self) -> dict[int, int]:
        return dict(Counter(i.city_id for i in self.imported))


def _problem(row: roster_csv.CsvRow, key: str, **params: object) -> roster_csv.CsvProblem:
    return roster_csv.CsvProblem(row.line, key, dict(params))


async def _resolve(
    rows: Sequence[roster_csv.CsvRow],
    directory: MemberDirectory,
    progress: Progress | None = None,
) -> dict[int, FoundMember | str]:
    """Row line -> the member it names, or the catalogue key of why it names nobody."""
    ids = sorted({r.user_id for r in rows if r.user_id is not None})
    by_id = await directory.by_ids(ids) if ids else {}
    wanted = sorted({r.user for r in rows if r.user_id is None})
    names = await directory.by_names(wanted, progress) if wanted else {}
    found: dict[int, FoundMember | str] = {}
    for row in rows:
        if row.user_id is not None:
            member = by_id.get(row.user_id)
            found[row.line] = member if member is not None else "error.csv_no_member"
            continue
        matches = names.get(row.user.casefold(), [])
        if not matches:
            found[row.line] = "error.csv_no_member"
        elif len(matches) > 1:
            found[row.line] = "error.csv_ambiguous"
        else:
            found[row.line] = matches[0]
    return found


# -- keep-apart marks -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KeepApart:
    """Two students a teacher keeps apart, and whether they share a pair right now."""

    exchange: Exchange
    first: Participant
    second: Participant
    changed: bool  # False: the mark already existed (add) or did not exist (remove)
    together_in: int | None = None  # the space they share now, if any


@dataclass(frozen=True, slots=True)
class KeepApartMark:
    first: Participant
    second: Participant
    marked_by: int
    marked_at: datetime


async def _student(conn: AsyncConnection, exchange: Exchange, user_id: int) -> Participant:
    found = await roster.find(conn, exchange.id, user_id)
    if found is None or found.role is not Role.STUDENT:
        raise NotFoundError("error.not_a_student")
    return found


async def _refuse_second_join(conn: AsyncConnection, exchange: Exchange, user_id: int) -> None:
    found = await roster.find(conn, exchange.id, user_id)
    if found is None:
        return
    if found.status is REMOVED:
        raise UserError("error.join_removed", exchange=exchange.name)
    city = exchange.city(found.city_id).name if found.city_id is not None else "—"
    raise UserError("error.already_joined", exchange=exchange.name, city=city)


class RosterService:
    """Who takes part: joining, one's own profile, and the teachers' roster."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        scheduler: Rearm | None = None,
        journal: Journal | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.scheduler = scheduler
        # Removing a student changes their space first: written down, so a restart in the
        # middle finishes the removal.
        self.journal = journal or Journal(db, clock, scheduler)
        self.journal.settle_with(OperationKind.ROSTER_REMOVE, self._settle_take_off)

    # -- joining --------------------------------------------------------------------------------

    async def _joining_role(self, actor: Actor) -> Role:
        """What the actor joins as, from their Discord roles; staff roles come first."""
        async with self.db.read() as conn:
            roles = await exchange_store.role_ids(conn, actor.guild_id)
        if roles["student"] is None:
            raise UserError("error.roles_not_set")
        standing = standing_from(actor, roles)
        if standing.teacher:
            return Role.TEACHER
        if standing.coordinator:
            return Role.COORDINATOR
        if standing.student:
            return Role.STUDENT
        raise NotAllowedError("error.join_needs_role")

    async def start_join(
        self, actor: Actor, exchange_id: int | None, city: str, language: str | None
    ) -> JoinStart:
        """Check that the actor may join this exchange from this city, before asking for more."""
        role = await self._joining_role(actor)
        exchange = await exchange_service.get(self.db, actor.guild_id, exchange_id)
        chosen = find_city(exchange, city)
        async with self.db.read() as conn:
            await _refuse_second_join(conn, exchange, actor.user_id)
        if language is not None:
            _check_bot_language(language)
        return JoinStart(
            exchange, chosen, role, suggested_language(language or actor.language, chosen)
        )

    async def join_staff(self, actor: Actor, start: JoinStart) -> ProfileView:
        """Register a teacher or coordinator with their city: each city knows its teachers."""
        role = await self._joining_role(actor)
        if role is Role.STUDENT:
            raise NotAllowedError("error.only_teacher")
        now = self.clock.now()
        async with self.db.transaction() as conn:
            await _refuse_second_join(conn, start.exchange, actor.user_id)
            try:
                participant_id = await roster.add(
                    conn,
                    guild_id=actor.guild_id,
                    exchange_id=start.exchange.id,
                    user_id=actor.user_id,
                    role=role,
                    display_name=stored_name(actor.display_name, actor.user_id),
                    city_id=start.city.id,
                    now=now,
                    language=start.language,
                )
            except IntegrityError:
                raise UserError(
                    "error.already_joined", exchange=start.exchange.name, city=start.city.name
                ) from None
            await audit(
                conn,
                actor,
                "roster.joined",
                at=now,
                exchange_id=start.exchange.id,
                role=role.value,
                city=start.city.id,
                via="join",
            )
            joined = (await roster.by_ids(conn, [participant_id]))[0]
        return ProfileView(start.exchange, joined)

    async def join_student(
        self,
        actor: Actor,
        exchange_id: int,
        city_id: int,
        data: ProfileInput,
        *,
        draft_id: int | None = None,
    ) -> ProfileView:
        """A student joins an exchange from one of its cities with a complete profile.

        `draft_id`: the panel's draft, deleted in the same transaction as the join.
        """
        role = await self._joining_role(actor)
        if role is not Role.STUDENT:
            raise NotAllowedError("error.only_student")
        exchange = await exchange_service.get(self.db, actor.guild_id, exchange_id)
        city = find_city(exchange, str(city_id))
        profile = check_profile(data)
        now = self.clock.now()
        async with self.db.transaction() as conn:
            await _refuse_second_join(conn, exchange, actor.user_id)
            try:
                participant_id = await roster.add(
                    conn,
                    guild_id=actor.guild_id,
                    exchange_id=exchange.id,
                    user_id=actor.user_id,
                    role=Role.STUDENT,
                    display_name=stored_name(actor.display_name, actor.user_id),
                    city_id=city.id,
                    now=now,
                    grade_band=profile.grade_band,
                    languages=profile.languages,
                    interests=profile.interests,
                    intro=profile.intro,
                    language=profile.language,
                )
            except IntegrityError:
                raise UserError(
                    "error.already_joined", exchange=exchange.name, city=city.name
                ) from None
            # The intro is the student's own words: it lives in the profile, never in the log.
            await audit(
                conn,
                actor,
                "roster.joined",
                at=now,
                exchange_id=exchange.id,
                role="student",
                city=city.id,
                grade_band=profile.grade_band,
                via="join",
            )
            if draft_id is not None:
                await drafts.drop(conn, draft_id)
            joined = (await roster.by_ids(conn, [participant_id]))[0]
        return ProfileView(exchange, joined)

    # -- the panel's draft ------------------------------------------------------------------------

    async def _new_draft(self, actor: Actor, exchange: Exchange, start: ProfileDraft) -> DraftView:
        """Store a panel's draft as `start` describes it (its id is given by the store)."""
        now = self.clock.now()
        async with self.db.transaction() as conn:
            # Panels given up on go whenever a new one opens: their drafts hold people's words.
            await drafts.drop_untouched_since(conn, now - DRAFT_LIFETIME)
            draft_id = await drafts.add(
                conn,
                guild_id=actor.guild_id,
                exchange_id=exchange.id,
                user_id=actor.user_id,
                city_id=start.city_id,
                role=start.role,
                editing=start.editing,
                language=start.language,
                now=now,
                grade_band=start.grade_band,
                languages=start.languages,
                interests=start.interests,
                other_interests=start.other_interests,
                intro=start.intro,
            )
        return DraftView(replace(start, id=draft_id), exchange)

    async def open_join(self, actor: Actor, start: JoinStart) -> DraftView:
        """A student's /join panel: a draft with their city and the language to offer first."""
        draft = ProfileDraft(
            id=0,
            partnership_id=start.exchange.id,
            user_id=actor.user_id,
            city_id=start.city.id,
            role=start.role,
            editing=False,
            language=start.language,
        )
        return await self._new_draft(actor, start.exchange, draft)

    async def open_edit(self, actor: Actor, exchange_id: int | None) -> DraftView:
        """A panel to change one's profile, starting from what the roster holds."""
        exchange, me = await self._own(actor, exchange_id)
        curated, typed = split_interests(me.interests)
        draft = ProfileDraft(
            id=0,
            partnership_id=exchange.id,
            user_id=actor.user_id,
            city_id=me.city_id,
            role=me.role,
            editing=True,
            language=me.language,
            grade_band=me.grade_band,
            languages=me.languages,
            interests=tuple(curated),
            other_interests=", ".join(typed),
            intro=me.intro,
        )
        return await self._new_draft(actor, exchange, draft)

    async def draft(self, guild_id: int, user_id: int, draft_id: int) -> DraftView:
        """A panel's draft: refused once it was sent, cancelled or given up (a day untouched)."""
        async with self.db.read() as conn:
            found = await drafts.get(
                conn, draft_id, touched_since=self.clock.now() - DRAFT_LIFETIME
            )
            exchange = None
            if found is not None and found.user_id == user_id:
                exchange = await exchange_store.get_exchange(conn, guild_id, found.partnership_id)
        if found is None or exchange is None:
            raise NotFoundError("error.panel_closed")
        return DraftView(found, exchange)

    async def choose(
        self,
        actor: Actor,
        draft_id: int,
        *,
        language: str | None = None,
        grade_band: str | None = None,
        languages: Sequence[str] | None = None,
        interests: Sequence[str] | None = None,
    ) -> DraftView:
        """Keep what was picked in one of the panel's menus (nothing joins the roster yet)."""
        values: dict[str, Any] = {}
        if language is not None:
            _check_bot_language(language)
            values["language"] = language
        try:
            if grade_band is not None:
                values["grade_band"] = parse_grade_band(grade_band)
            _check_picks(languages or (), interests or ())
            if interests is not None and len(interests) > MAX_INTERESTS:
                raise ProfileError("error.too_many_interests", limit=MAX_INTERESTS)
        except ProfileError as exc:
            raise _user_error(exc) from None
        if languages is not None:
            values["languages"] = tuple(dict.fromkeys(languages))
        if interests is not None:
            values["interests"] = tuple(dict.fromkeys(interests))
        found = await self.draft(actor.guild_id, actor.user_id, draft_id)
        async with self.db.transaction() as conn:
            if not await drafts.change(conn, draft_id, self.clock.now(), **values):
                raise NotFoundError("error.panel_closed")
        return DraftView(replace(found.draft, **values), found.exchange)

    async def cancel(self, actor: Actor, draft_id: int) -> ProfileDraft:
        """Close a panel without saving: its draft goes (nothing was on the roster)."""
        found = await self.draft(actor.guild_id, actor.user_id, draft_id)
        async with self.db.transaction() as conn:
            await drafts.drop(conn, draft_id)
        return found.draft

    async def send(
        self,
        actor: Actor,
        draft_id: int,
        *,
        intro: str | None = None,
        other_interests: str | None = None,
    ) -> Sent:
        """Join, or save the profile, with the panel's choices and what the form says.

        A refusal is returned, not raised, with the typed text kept in the draft: the panel
        shows it, and the form opens again with the text to fix.
        """
        found = await self.draft(actor.guild_id, actor.user_id, draft_id)
        typed: dict[str, Any] = {}
        if intro is not None:
            typed["intro"] = intro
        if other_interests is not None:
            typed["other_interests"] = other_interests
        draft = replace(found.draft, **typed)
        try:
            if draft.editing:
                saved = await self.update_own_profile(
                    actor, draft.partnership_id, draft_input(draft), draft_id=draft.id
                )
            else:
                saved = await self.join_student(
                    actor,
                    draft.partnership_id,
                    draft.city_id or 0,
                    draft_input(draft),
                    draft_id=draft.id,
                )
        except UserError as refusal:
            if typed:
                async with self.db.transaction() as conn:
                    await drafts.change(conn, draft.id, self.clock.now(), **typed)
            return Sent(DraftView(draft, found.exchange), refusal=refusal)
        return Sent(DraftView(draft, found.exchange), saved=saved)

    async def forget_given_up_drafts(self) -> int:
        """Delete drafts of panels left untouched for longer than a panel is kept."""
        async with self.db.transaction() as conn:
            return await drafts.drop_untouched_since(conn, self.clock.now() - DRAFT_LIFETIME)

    # -- one's own profile ----------------------------------------------------------------------

    async def _own(self, actor: Actor, exchange_id: int | None) -> tuple[Exchange, Participant]:
        async with self.db.read() as conn:
            mine = await roster.of_user(conn, actor.guild_id, actor.user_id)
        if exchange_id is not None:
            mine = [p for p in mine if p.partnership_id == exchange_id]
        if not mine:
            raise NotFoundError("error.not_joined")
        if len(mine) > 1:
            raise UserError("error.choose_exchange")
        exchange = await exchange_service.get(self.db, actor.guild_id, mine[0].partnership_id)
        return exchange, mine[0]

    async def _view(self, exchange: Exchange, participant_id: int) -> ProfileView:
        async with self.db.read() as conn:
            participant = (await roster.by_ids(conn, [participant_id]))[0]
            pair = await pairing_store.live_pair_of(conn, participant_id)
        return ProfileView(exchange, participant, pair.space_id if pair else None)

    async def own_profile(self, actor: Actor, exchange_id: int | None) -> ProfileView:
        """The actor's own profile (in the one exchange they joined, or the one named)."""
        exchange, me = await self._own(actor, exchange_id)
        return await self._view(exchange, me.id)

    async def update_own_profile(
        self,
        actor: Actor,
        exchange_id: int | None,
        data: ProfileInput,
        *,
        draft_id: int | None = None,
    ) -> ProfileView:
        """Change one's profile; the activity log records which fields changed, never their text.

        `draft_id`: the panel's draft, deleted in the same transaction as the change.
        """
        exchange, me = await self._own(actor, exchange_id)
        profile = check_profile(data, me.role)
        values: dict[str, object] = {"language": profile.language}
        if me.role is Role.STUDENT:
            values |= {
                "grade_band": profile.grade_band,
                "languages": profile.languages,
                "interests": profile.interests,
                "intro": profile.intro,
            }
        before = {
            "language": me.language,
            "grade_band": me.grade_band,
            "languages": me.languages,
            "interests": me.interests,
            "intro": me.intro,
        }
        changed = sorted(k for k, v in values.items() if before[k] != v)
        if changed or draft_id is not None:
            now = self.clock.now()
            async with self.db.transaction() as conn:
                if changed:
                    await roster.update_profile(conn, me.id, now, **values)
                    await audit(
                        conn,
                        actor,
                        "roster.profile_changed",
                        at=now,
                        exchange_id=exchange.id,
                        fields=changed,
                    )
                if draft_id is not None:
                    await drafts.drop(conn, draft_id)
        return await self._view(exchange, me.id)

    async def set_own_pause(
        self, actor: Actor, exchange_id: int | None, paused: bool
    ) -> ProfileView:
        """A student pauses (left out of new pairing rounds) or comes back."""
        exchange, me = await self._own(actor, exchange_id)
        if me.role is not Role.STUDENT:
            raise UserError("error.pause_students_only")
        wanted = PAUSED if paused else ACTIVE
        if me.status is not wanted:
            now = self.clock.now()
            async with self.db.transaction() as conn:
                await roster.update_profile(conn, me.id, now, status=wanted)
                kind = "roster.paused" if paused else "roster.resumed"
                await audit(
                    conn, actor, kind, at=now, exchange_id=exchange.id, participant=me.id, by="self"
                )
        return await self._view(exchange, me.id)

    # -- the teacher's roster -------------------------------------------------------------------

    async def staff_exchange(self, actor: Actor, exchange_id: int | None) -> Exchange:
        """The exchange a teacher or coordinator acts on, once they are known to be its staff
        (not named: the one they are staff of, or the server's only one)."""
        return await staff_exchange(self.db, actor, exchange_id, STAFF)

    async def roster_page(
        self,
        actor: Actor,
        exchange_id: int | None,
        filters: RosterFilter,
        page: int,
        *,
        city: str | None = None,
    ) -> RosterPage:
        """A page of the roster (teachers and coordinators only), 25 people a page.

        `city`: a city named as typed, which narrows `filters` to it.
        """
        exchange = await self.staff_exchange(actor, exchange_id)
        if city is not None:
            filters = replace(filters, city_id=find_city(exchange, city).id)
        elif filters.city_id is not None:
            find_city(exchange, str(filters.city_id))
        async with self.db.read() as conn:

            async def fetch(number: int) -> tuple[list[Participant], int]:
                return await roster.page(
                    conn,
                    exchange.id,
                    role=filters.role,
                    city_id=filters.city_id,
                    statuses=STATUS_FILTERS[filters.status],
                    grade_band=filters.grade_band,
                    offset=(number - 1) * PAGE_SIZE,
                    limit=PAGE_SIZE,
                )

            page = max(1, page)
            people, total = await fetch(page)
            pages = max(1, math.ceil(total / PAGE_SIZE))
            if page > pages:  # the roster shrank since the page was shown
                page = pages
                people, total = await fetch(page)
            spaces = await pairing_store.live_spaces(conn, exchange.id)
            counts = await roster.head_counts(conn, exchange.id, filters.role)
            records = await consent_store.records(conn, exchange.id, [p.id for p in people])
            flagged = await consent_store.count_bands(conn, exchange.id, LEGACY_BANDS)
        entries = tuple(RosterEntry(p, spaces.get(p.id)) for p in people)
        consents = {p.id: has_consent(records.get(p.id)) for p in people if p.role is Role.STUDENT}
        return RosterPage(exchange, filters, entries, page, pages, total, counts, consents, flagged)

    async def plan_removal(self, actor: Actor, exchange_id: int | None, user_id: int) -> Removal:
        """What removing this student would do, for the teacher to confirm (changes nothing)."""
        exchange = await self.staff_exchange(actor, exchange_id)
        return await self._plan_removal(exchange, user_id)

    async def remove_for_erasure(
        self, guild_id: int, exchange_id: int, user_id: int, actor_id: int | None, port: SpacePort
    ) -> Removal | None:
        """Take a student off one roster as an erasure does (whoever asked for it was checked
        when it began); None if they were off it already."""
        async with self.db.read() as conn:
            exchange = await exchange_store.get_exchange(conn, guild_id, exchange_id)
        if exchange is None:
            return None
        async with self.journal.exclusive(guild_id, exchange.id, port):
            try:
                plan = await self._plan_removal(exchange, user_id)
            except UserError:
                return None  # removed meanwhile (a removal a restart cut short, finished)
            await self._take_off(plan, actor_id, port)
        return plan

    async def _plan_removal(self, exchange: Exchange, user_id: int) -> Removal:
        async with self.db.read() as conn:
            student = await _student(conn, exchange, user_id)
            if student.status is REMOVED:
                raise UserError("error.already_removed", name=student.display_name)
            pair = await pairing_store.live_pair_of(conn, student.id)
            staying = (
                await roster.by_ids(conn, [m for m in pair.members if m != student.id])
                if pair
                else []
            )
        cities = {p.city_id for p in staying}
        pair_ends = pair is not None and (len(staying) < 2 or len(cities) < 2)
        return Removal(
            exchange,
            student,
            pair.space_id if pair else None,
            tuple(sorted(staying, key=lambda p: p.display_name)),
            pair_ends,
        )

    async def remove_student(
        self, actor: Actor, exchange_id: int | None, user_id: int, port: SpacePort
    ) -> Removal:
        """Take a student off the roster and out of their paired space; nothing is deleted.

        The student loses access to their space at once. If the others left in the pair no
        longer span both cities, the pair ends: its space becomes read-only, as `/pair remove`
        does. Discord is changed first (and put back if a step fails), then the roster; a
        restart in the middle finishes the removal at the next start.
        """
        exchange = await self.staff_exchange(actor, exchange_id)
        async with self.journal.exclusive(actor.guild_id, exchange.id, port):
            plan = await self.plan_removal(actor, exchange.id, user_id)
            await self._take_off(plan, actor.user_id, port)
        return plan

    async def _take_off(self, plan: Removal, actor_id: int | None, port: SpacePort) -> None:
        """Do a planned removal (the caller holds the exchange's journal lock)."""
        exchange, student = plan.exchange, plan.student
        async with self.db.read() as conn:
            pair = await pairing_store.live_pair_of(conn, student.id)
            kind = await pairing_store.space_kind(conn, pair.id) if pair is not None else None
        steps: dict[str, Any] = {"student": student.id, "user": student.user_id}
        if pair is not None:
            steps.update(pair=pair.id, pair_ends=plan.pair_ends)
            if pair.space_id is not None:
                await pairing_service.check_spaces(self.db, port, exchange.id, [pair])
                steps.update(
                    space=pair.space_id,
                    kind=kind or "channels",
                    staying=[p.user_id for p in plan.staying],
                )
        operation = await self.journal.begin(
            OperationKind.ROSTER_REMOVE,
            guild_id=exchange.guild_id,
            exchange_id=exchange.id,
            actor_id=actor_id,
            plan=steps,
        )
        try:
            await self._finish_take_off(operation, port)
        except BaseException as exc:
            try:
                await self._undo_take_off(operation, port)
            except Exception:
                log.exception("could not put back a removal that failed")
                await self.journal.abandon(operation)
            passing_failure(exc)
            raise

    async def _settle_take_off(self, operation: Operation, port: SpacePort) -> None:
        if operation.status is OperationStatus.UNDOING:
            await self._undo_take_off(operation, port)
        else:
            await self._finish_take_off(operation, port)

    async def _finish_take_off(self, operation: Operation, port: SpacePort) -> None:
        """Out of the space (and the space archived when the pair ends), then off the roster.
        Each Discord step is safe to do again when a restart resumes it."""
        plan = operation.plan
        assert operation.exchange_id is not None
        async with self.db.read() as conn:
            found = await roster.by_ids(conn, [int(plan["student"])])
        if not found or found[0].status is REMOVED:
            await self.journal.finished(operation)  # done before the stop
            return
        student = found[0]
        if "space" in plan:
            space, kind = int(plan["space"]), str(plan["kind"])
            await self.journal.step(operation, leaving=True)
            try:
                await port.set_members(space, kind, [], [student.user_id])
            except UserError:
                operation.steps["leaving"] = False  # refused: nothing changed
                raise
            if plan["pair_ends"]:
                await self.journal.step(operation, archiving=True)
                try:
                    await port.archive(space, kind, [int(u) for u in plan["staying"]])
                except UserError:
                    # Discord refused it (an admin denied the bot there): nothing changed.
                    operation.steps["archiving"] = False
                    raise
        now = self.clock.now()
        async with self.db.transaction() as conn:
            await roster.update_profile(conn, student.id, now, status=REMOVED)
            pair_id = plan.get("pair")
            if pair_id is not None:
                pair = await pairing_store.get_pair(conn, int(pair_id))
                await pairing_store.leave_pair(conn, int(pair_id), student.id, now)
                if plan["pair_ends"] and pair is not None:
                    await pairing_store.set_status(conn, pair.id, PairStatus.ARCHIVED, now)
                    await pairing_service.end_pauses(conn, [pair], now)
                    await pairing_service.plan_labels(conn, operation.guild_id, [pair], now)
            await audit(
                conn,
                By(operation.guild_id, operation.actor_id),
                "roster.removed",
                at=now,
                exchange_id=operation.exchange_id,
                participant=student.id,
                pair=pair_id,
                pair_ended=bool(plan.get("pair_ends")),
            )
            await self.journal.finish(conn, operation)
        if self.scheduler is not None:
            await self.scheduler.rearm()

    async def _undo_take_off(self, operation: Operation, port: SpacePort) -> None:
        """Put the student back in their space (and the space writable) after a failure."""
        if operation.status is not OperationStatus.UNDOING:
            await self.journal.undoing(operation)
        plan, steps = operation.plan, operation.steps
        undo = Undo()
        if "space" in plan:
            space, kind = int(plan["space"]), str(plan["kind"])
            if steps.get("archiving"):
                async with undo.step(f"the archiving of space {space}"):
                    async with self.db.read() as conn:
                        pair = await pairing_store.get_pair(conn, int(plan["pair"]))
                    paused = pair is not None and pair.status is PairStatus.PAUSED
                    staying = [int(u) for u in plan["staying"]]
                    await port.restore(space, kind, staying, paused=paused)
                    await self.journal.step(operation, archiving=False)
            if steps.get("leaving"):
                async with undo.step(f"the student leaving space {space}"):
                    await port.set_members(space, kind, [int(plan["user"])], [])
                    await self.journal.step(operation, leaving=False)
        undo.check()
        await self.journal.finished(operation)

    async def move_student(
        self, actor: Actor, exchange_id: int | None, user_id: int, city: str
    ) -> tuple[Exchange, Participant, City]:
        """Move a student to the exchange's other city (a wrong city at /join or in a CSV).

        A paired student is not moved: their pair would no longer span both cities. The teacher
        ends the pair first (/pair remove), then moves them.
        """
        exchange = await self.staff_exchange(actor, exchange_id)
        target = find_city(exchange, city)
        async with self.db.read() as conn:
            student = await _student(conn, exchange, user_id)
            pair = await pairing_store.live_pair_of(conn, student.id)
        if student.status is REMOVED:
            raise UserError("error.already_removed", name=student.display_name)
        if student.city_id == target.id:
            raise UserError("error.move_same_city", name=student.display_name, city=target.name)
        if pair is not None:
            raise UserError("error.move_paired", name=student.display_name)
        now = self.clock.now()
        async with self.db.transaction() as conn:
            await roster.update_profile(conn, student.id, now, city_id=target.id)
            await audit(
                conn,
                actor,
                "roster.moved",
                at=now,
                exchange_id=exchange.id,
                participant=student.id,
                from_city=student.city_id,
                to_city=target.id,
            )
            moved = (await roster.by_ids(conn, [student.id]))[0]
        return exchange, moved, target

    async def set_student_status(
        self,
        actor: Actor,
        exchange_id: int | None,
        user_id: int,
        status: ParticipantStatus,
    ) -> tuple[Exchange, Participant, ParticipantStatus]:
        """A teacher pauses a student, or brings back a paused or removed one (ACTIVE).

        Returns the exchange, the student and their previous status.
        """
        if status not in (ACTIVE, PAUSED):
            raise UserError("error.unknown_status", status=echo(str(status), 20))
        exchange = await self.staff_exchange(actor, exchange_id)
        async with self.db.read() as conn:
            student = await _student(conn, exchange, user_id)
        previous = student.status
        if previous is REMOVED and status == PAUSED:
            raise UserError("error.already_removed", name=student.display_name)
        if previous != status:
            now = self.clock.now()
            kind = "roster.paused" if status == PAUSED else "roster.resumed"
            if previous is REMOVED:
                kind = "roster.restored"
            async with self.db.transaction() as conn:
                await roster.update_profile(conn, student.id, now, status=status)
                await audit(
                    conn,
                    actor,
                    kind,
                    at=now,
                    exchange_id=exchange.id,
                    participant=student.id,
                    by="teacher",
                )
                student = (await roster.by_ids(conn, [student.id]))[0]
        return exchange, student, previous

    # -- importing a CSV ------------------------------------------------------------------------

    async def import_roster(
        self,
        actor: Actor,
        exchange_id: int | None,
        data: bytes,
        directory: MemberDirectory,
        progress: Progress | None = None,
    ) -> ImportReport:
        """Add the students of a CSV file; each row is checked on its own.

        Good rows are imported together; every other row is reported with its line and reason.
        A student already on the roster is left as they are (their own profile wins); one a
        teacher removed earlier is brought back with the file's values.
        """
        exchange = await self.staff_exchange(actor, exchange_id)
        async with self.db.read() as conn:
            roles = await exchange_store.role_ids(conn, actor.guild_id)
        if roles["student"] is None:
            raise UserError("error.roles_not_set")
        try:
            parsed = roster_csv.parse(roster_csv.decode(data), exchange.cities, bot_languages())
        except ProfileError as exc:
            raise _user_error(exc) from None
        problems = list(parsed.problems)
        # Consent in the file is recorded as this person's, for their own city's students only.
        consent_cities: set[int] = set()
        if any(row.consent is not None for row in parsed.rows):
            consent_cities = {c.id for c in await acting_cities(self.db, actor, exchange)}
        members = await _resolve(parsed.rows, directory, progress)
        staff_roles = {r for r in (roles["teacher"], roles["coordinator"]) if r is not None}
        cities = {c.id: c for c in exchange.cities}
        now = self.clock.now()
        imported: list[Imported] = []
        seen: dict[int, int] = {}
        async with self.db.transaction() as conn:
            for row in parsed.rows:
                member = members[row.line]
                if isinstance(member, str):
                    problems.append(_problem(row, member, user=row.user))
                    continue
                if member.bot:
                    problems.append(_problem(row, "error.csv_bot", user=row.user))
                    continue
                if member.user_id in seen:
                    problems.append(
                        _problem(row, "error.csv_duplicate", first=seen[member.user_id])
                    )
                    continue
                seen[member.user_id] = row.line
                if member.role_ids & staff_roles:
                    problems.append(_problem(row, "error.csv_is_staff", name=member.display_name))
                    continue
                if roles["student"] not in member.role_ids:
                    problems.append(
                        _problem(row, "error.csv_not_student", name=member.display_name)
                    )
                    continue
                if row.consent is not None and row.city_id not in consent_cities:
                    own = next(c.name for c in exchange.cities if c.id in consent_cities)
                    problems.append(_problem(row, "consent.error.other_city", city=own))
                    continue
                existing = await roster.find(conn, exchange.id, member.user_id)
                if existing is not None and existing.status is not REMOVED:
                    problems.append(_problem(row, "error.csv_already", name=existing.display_name))
                    continue
                language = row.language or suggested_language(
                    next((c for c in row.languages if c in bot_languages()), None),
                    cities[row.city_id],
                )
                name = stored_name(member.display_name, member.user_id)
                values = {
                    "role": Role.STUDENT.value,
                    "display_name": name,
                    "city_id": row.city_id,
                    "grade_band": row.grade_band,
                    "languages": row.languages,
                    "interests": row.interests,
                    "intro": row.intro,
                    "language": language,
                }
                if existing is not None:
                    await roster.update_profile(conn, existing.id, now, status=ACTIVE, **values)
                    participant_id = existing.id
                else:
                    participant_id = await roster.add(
                        conn,
                        guild_id=actor.guild_id,
                        exchange_id=exchange.id,
                        user_id=member.user_id,
                        role=Role.STUDENT,
                        display_name=name,
                        city_id=row.city_id,
                        now=now,
                        grade_band=row.grade_band,
                        languages=row.languages,
                        interests=row.interests,
                        intro=row.intro,
                        language=language,
                    )
                if row.consent is not None:
                    await consent_store.record(
                        conn, exchange.id, participant_id, row.consent, actor.user_id, now
                    )
                await audit(
                    conn,
                    actor,
                    "roster.joined",
                    at=now,
                    exchange_id=exchange.id,
                    role="student",
                    participant=participant_id,
                    city=row.city_id,
                    grade_band=row.grade_band,
                    via="import",
                    restored=existing is not None,
                    **({} if row.consent is None else {"consent": row.consent}),
                )
                imported.append(Imported(name, row.city_id, existing is not None))
            await audit(
                conn,
                actor,
                "roster.imported",
                at=now,
                exchange_id=exchange.id,
                rows=len(parsed.rows) + len(parsed.problems),
                imported=len(imported),
                problems=len(problems),
            )
        problems.sort(key=lambda p: p.line)
        return ImportReport(
            exchange,
            tuple(imported),
            tuple(problems),
            parsed.ignored_columns,
            len(parsed.rows) + len(parsed.problems),
        )

    async def export_roster(self, actor: Actor, exchange_id: int | None) -> tuple[Exchange, str]:
        """The current students as CSV the import reads back, with consent on file."""
        exchange = await self.staff_exchange(actor, exchange_id)
        async with self.db.read() as conn:
            students = await roster.listing(conn, exchange.id, role=Role.STUDENT)
            records = await consent_store.records(conn, exchange.id)
        names = {c.id: c.name for c in exchange.cities}
        rows = [
            roster_csv.ExportRow(
                s.user_id,
                names.get(s.city_id, "") if s.city_id is not None else "",
                s.grade_band,
                s.languages,
                has_consent(records.get(s.id)),
            )
            for s in students
        ]
        return exchange, roster_csv.export_csv(rows)

    # -- keep-apart marks -----------------------------------------------------------------------

    async def _two_students(
        self, actor: Actor, exchange_id: int | None, first_user: int, second_user: int
    ) -> tuple[Exchange, Participant, Participant]:
        exchange = await self.staff_exchange(actor, exchange_id)
        if first_user == second_user:
            raise UserError("error.keep_apart_same")
        async with self.db.read() as conn:
            first = await _student(conn, exchange, first_user)
            second = await _student(conn, exchange, second_user)
        return exchange, first, second

    async def keep_apart(
        self, actor: Actor, exchange_id: int | None, first_user: int, second_user: int
    ) -> KeepApart:
        """Mark two students who must never be paired (a hard rule for every later round)."""
        exchange, first, second = await self._two_students(
            actor, exchange_id, first_user, second_user
        )
        now = self.clock.now()
        async with self.db.transaction() as conn:
            added = await roster.add_keep_apart(
                conn, exchange.id, first.id, second.id, actor.user_id, now
            )
            if added:
                await audit(
                    conn,
                    actor,
                    "roster.keep_apart_added",
                    at=now,
                    exchange_id=exchange.id,
                    students=[first.id, second.id],
                )
            pair = await pairing_store.live_pair_of(conn, first.id)
        together = pair.space_id if pair is not None and second.id in pair.members else None
        return KeepApart(exchange, first, second, added, together)

    async def allow_together(
        self, actor: Actor, exchange_id: int | None, first_user: int, second_user: int
    ) -> KeepApart:
        """Lift a keep-apart mark."""
        exchange, first, second = await self._two_students(
            actor, exchange_id, first_user, second_user
        )
        now = self.clock.now()
        async with self.db.transaction() as conn:
            removed = await roster.remove_keep_apart(conn, exchange.id, first.id, second.id)
            if removed:
                await audit(
                    conn,
                    actor,
                    "roster.keep_apart_removed",
                    at=now,
                    exchange_id=exchange.id,
                    students=[first.id, second.id],
                )
        return KeepApart(exchange, first, second, removed)

    async def keep_apart_marks(
        self, actor: Actor, exchange_id: int | None
    ) -> tuple[Exchange, list[KeepApartMark]]:
        """Every keep-apart mark of the exchange (teachers and coordinators only)."""
        exchange = await self.staff_exchange(actor, exchange_id)
        async with self.db.read() as conn:
            marks = await roster.keep_apart_marks(conn, exchange.id)
            people = {
                p.id: p
                for p in await roster.by_ids(conn, sorted({i for m in marks for i in m[:2]}))
            }
        found = [KeepApartMark(people[a], people[b], by, at) for a, b, by, at in marks]
        found.sort(
            key=lambda m: (m.first.display_name.casefold(), m.second.display_name.casefold())
        )
        return exchange, found
