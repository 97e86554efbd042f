"""Discussion prompts: the exchange's bank, posting prompts to pairs, replies and rates.

`PromptService` holds the use cases: teachers post with `post_now` and keep their bank, a pair
asks for its own prompt with `request_for_pair`, replies are counted by `record_message`. It
also holds what they keep between calls (one lock per pair, the directory of paired spaces).
Sessions post with the module functions `deliver_to_pairs` and `post_session_words`, and read
`prompt_set`: they keep nothing between calls. Each pair gets prompts in rotation (never a
repeat until its bank is used up), shown in every member's own language side by side. Replies
are counted from message events: who, when, which prompt and the length when known, never the
text.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from collections import defaultdict
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock
from bot.domain.exchange import Exchange, Participant, ProfileError
from bot.domain.pairing import PairStatus
from bot.domain.prompts import (
    AGE_RANGES,
    PAIR_REQUEST_INTERVAL,
    THEMES,
    Prompt,
    PromptRate,
    bank_for,
    builtin_by_key,
    builtin_prompts,
    clean_texts,
    counts_as_response,
    next_prompt,
    next_request_at,
    own_id,
    response_rates,
    session_prompt_key,
    session_series_id,
)
from bot.domain.reporting import MessageTally
from bot.domain.text import ascii_digits, clean
from bot.errors import NotAllowedError, NotFoundError, UserError
from bot.services.access import Actor, staff_exchange, standing_from
from bot.services.activity_writer import ActivityWriter, PromptReply
from bot.services.audit import By, audit
from bot.services.breaks import pairs_on_break
from bot.services.scheduler import Outcome, Sender
from bot.store import Database, roster, sends
from bot.store import activity as activity_log
from bot.store import pairing as pairing_store
from bot.store import prompts as store
from bot.store import sessions as session_store
from bot.store.exchanges import role_ids as guild_roles
from bot.store.sends import Send

log = logging.getLogger(__name__)

STAFF = frozenset({"teacher", "coordinator"})
REMOVE = "-"
# A teacher's /prompt now: one scheduled send per pair.
NOW_KIND = "prompt.now"
# How long such a post is still worth making (the bot down, Discord failing).
NOW_USEFUL = timedelta(days=1)  # typed as a translation in /prompt edit: remove that language

Reason = Literal["session", "teacher", "pair"]
Show = Literal["own", "builtin", "retired"]


# -- what the cog renders, and the port it implements ---------------------------------------------


@dataclass(frozen=True, slots=True)
class PromptCard:
    """A prompt as a pair sees it: the text in each member's language, side by side."""

    key: str
    theme: str
    texts: tuple[tuple[str, str], ...]  # (language, text), members' languages, no repeats
    mention_ids: tuple[int, ...]  # the members to notify


# What a prompt id looks like: a built-in "theme.name" or an exchange's own "own-12".
KEY_SHAPE = re.compile(r"[a-z]+\.[a-z0-9_]+|own-\d+")


class PromptPort(Protocol):
    """What prompts need from Discord; the prompts cog implements it with discord.py."""

    async def post(
        self, space_id: int, card: PromptCard, *, nonce: str | None = None
    ) -> int | None:
        """Post the card in a pair's space: the message id, or None if the space is gone
        or the bot may not post there. A repeat with the same nonce within minutes returns
        the first post instead of posting again."""


class PlannedPromptPort(PromptPort, Protocol):
    """What a scheduled prompt post needs besides: finding a post an earlier try made."""

    async def find(self, space_id: int, key: str) -> int | None:
        """The bot's card of this prompt among the space's latest posts, if any (a pair gets
        a prompt again only once its whole bank is used up: far further back)."""


@dataclass(frozen=True, slots=True)
class PostedPrompt:
    pair_id: int
    space_id: int
    key: str
    message_id: int


@dataclass(frozen=True, slots=True)
class Requested:
    """A pair's own request answered: the prompt posted, and when the pair may ask again."""

    posted: PostedPrompt
    again: datetime


@dataclass(frozen=True, slots=True)
class NowPosted:
    """What a teacher's /prompt now did at once: posted, still to come, refused."""

    posts: Outcome
    without_prompt: int  # pairs whose bank is empty (every suitable prompt retired)
    on_break: int = 0  # pairs with a student whose city is on a school break today


@dataclass(frozen=True, slots=True)
class Delivery:
    """What one delivery to an exchange's pairs did."""

    posted: tuple[PostedPrompt, ...]
    already: int  # pairs that already had this session's prompt (idempotent repeat)
    unreachable: int  # spaces that were gone or closed to the bot
    without_prompt: int  # pairs whose bank is empty (every suitable prompt retired)
    on_break: int = 0  # pairs with a student whose city is on a school break today


# -- helpers --------------------------------------------------------------------------------------


def _stamp(when: datetime, style: str) -> str:
    return f"<t:{int(when.timestamp())}:{style}>"


def _card(prompt: Prompt, members: Sequence[Participant], skip_mention: int | None) -> PromptCard:
    texts: list[tuple[str, str]] = []
    for member in members:
        language, text = prompt.text_in(member.language)
        if language not in (used for used, _ in texts):
            texts.append((language, text))
    if not texts:
        texts.append(prompt.text_in("en"))
    mentions = tuple(m.user_id for m in members if m.user_id != skip_mention)
    return PromptCard(prompt.key, prompt.theme, tuple(texts), mentions)


def _user_error(exc: ProfileError) -> UserError:
    return UserError(exc.key, **exc.params)


async def _find(db: Database, exchange_id: int, key: str) -> Prompt:
    """A built-in prompt or one of this exchange's own, by key (digits of any script)."""
    key = ascii_digits(clean(key))
    builtin = builtin_by_key().get(key)
    if builtin is not None:
        return builtin
    prompt_id = own_id(key)
    if prompt_id is not None:
        async with db.read() as conn:
            found = await store.get_own(conn, exchange_id, prompt_id)
        if found is not None:
            return found
    raise NotFoundError("error.prompt_unknown", prompt=key[:64])


# -- delivery (sessions call these too) ---------------------------------------------------------


async def _claimed_post(
    db: Database,
    clock: Clock,
    *,
    exchange_id: int,
    pair: pairing_store.PairRecord,
    key: str,
    reason: Reason,
    session_key: str | None,
    posted_by: int | None,
    send: Callable[[], Awaitable[int | None]],
) -> PostedPrompt | Literal["already", "unreachable"]:
    """Record a post to a pair, then `send` it; the record is dropped if it cannot be sent.

    Recording first means a session posts at most once per pair, however often (or
    concurrently) it is asked; the message id is added once Discord has the post.
    """
    assert pair.space_id is not None
    async with db.transaction() as conn:
        post_id = await store.claim_post(
            conn,
            exchange_id=exchange_id,
            pair_id=pair.id,
            key=key,
            reason=reason,
            session_key=session_key,
            by=posted_by,
            now=clock.now(),
        )
    if post_id is None:
        return "already"
    try:
        message_id = await send()
    except Exception:
        async with db.transaction() as conn:
            await store.drop_post(conn, post_id)
        raise
    async with db.transaction() as conn:
        if message_id is None:
            await store.drop_post(conn, post_id)
            return "unreachable"
        await store.set_message(conn, post_id, message_id)
    return PostedPrompt(pair.id, pair.space_id, key, message_id)


async def _post_one(
    db: Database,
    clock: Clock,
    port: PromptPort,
    *,
    exchange_id: int,
    pair: pairing_store.PairRecord,
    prompt: Prompt,
    members: Sequence[Participant],
    reason: Reason,
    session_key: str | None,
    posted_by: int | None,
    nonce: str | None = None,
) -> PostedPrompt | Literal["already", "unreachable"]:
    assert pair.space_id is not None
    space_id = pair.space_id
    card = _card(prompt, members, posted_by if reason == "pair" else None)
    return await _claimed_post(
        db,
        clock,
        exchange_id=exchange_id,
        pair=pair,
        key=prompt.key,
        reason=reason,
        session_key=session_key,
        posted_by=posted_by,
        # A nonce only when there is one: ports written before nonces take two arguments.
        send=lambda: (
            port.post(space_id, card) if nonce is None else port.post(space_id, card, nonce=nonce)
        ),
    )


async def post_session_words(
    db: Database,
    clock: Clock,
    *,
    exchange_id: int,
    series_id: int,
    pair: pairing_store.PairRecord,
    session_key: str,
    send: Callable[[], Awaitable[int]],
) -> bool:
    """Post a session's teacher-written prompt to one pair, recorded like a bank prompt.

    Its key is "session-<series id>", so replies in the pair's space are credited to it (not
    to the pair's previous prompt) and /prompt stats shows it. At most once per pair and
    session; False when it was already posted.
    """
    outcome = await _claimed_post(
        db,
        clock,
        exchange_id=exchange_id,
        pair=pair,
        key=session_prompt_key(series_id),
        reason="session",
        session_key=session_key,
        posted_by=None,
        send=send,
    )
    if not isinstance(outcome, PostedPrompt):
        return False
    async with db.transaction() as conn:
        guild_id = await store.exchange_guild(conn, exchange_id)
        if guild_id is not None:
            await audit(
                conn,
                By(guild_id),
                "prompt.posted",
                at=clock.now(),
                exchange_id=exchange_id,
                reason="session",
                session=session_key,
                pairs=1,
                unreachable=0,
                prompts=[outcome.key],
            )
    return True


async def deliver_to_pairs(
    db: Database,
    clock: Clock,
    exchange_id: int,
    port: PromptPort,
    *,
    reason: Reason,
    session_key: str | None = None,
    posted_by: int | None = None,
    only: Collection[str] | None = None,
    pair_ids: Collection[int] | None = None,
    nonce: str | None = None,
    writer: ActivityWriter | None = None,
) -> Delivery:
    """Post the next rotation prompt in the space of every active pair of the exchange.

    With a `session_key` the call is idempotent: a pair that already got a prompt for that
    key gets nothing more, however often (or concurrently) this runs. `only` limits the
    choice to a set of prompt keys (a session's prompt set) while it still has one the pair
    has not had; otherwise the pair's whole bank is used. `pair_ids` limits the delivery to
    those pairs (a session posts space by space). Paused pairs get nothing. A `nonce` goes
    with the post (one pair's scheduled send: its retries are not posted twice); with a
    `writer` the log entry goes through it (a fan-out's sends then commit no log row each).
    """
    async with db.read() as conn:
        guild_id = await store.exchange_guild(conn, exchange_id)
        if guild_id is None:
            raise NotFoundError("error.unknown_exchange")
        live = (
            await pairing_store.live_pairs(conn, exchange_id)
            if pair_ids is None
            else await pairing_store.live_pairs_among(conn, exchange_id, pair_ids)
        )
        pairs = [p for p in live if p.status is PairStatus.ACTIVE and p.space_id is not None]
        away = await pairs_on_break(conn, exchange_id, pairs, clock.now())
        pairs = [p for p in pairs if p.id not in away]
        people = {
            p.id: p for p in await roster.by_ids(conn, [m for pair in pairs for m in pair.members])
        }
        own = await store.own_prompts(conn, exchange_id)
        retired = await store.retired_keys(conn, exchange_id)
        histories = await store.history(conn, [p.id for p in pairs])
        done = (
            await store.pairs_posted_for_session(conn, exchange_id, session_key)
            if session_key is not None
            else set()
        )
    posted: list[PostedPrompt] = []
    already = unreachable = without = 0
    for pair in pairs:
        if pair.id in done:
            already += 1
            continue
        members = [people[m] for m in pair.members if m in people]
        bank = bank_for(own, retired, [m.grade_band for m in members])
        history = histories.get(pair.id, [])
        chosen = None
        if only is not None:
            narrowed = [p for p in bank if p.key in only and p.key not in history]
            chosen = next_prompt([p.key for p in narrowed], history)
        if chosen is None:
            chosen = next_prompt([p.key for p in bank], history)
        if chosen is None:
            without += 1
            continue
        prompt = next(p for p in bank if p.key == chosen)
        outcome = await _post_one(
            db,
            clock,
            port,
            exchange_id=exchange_id,
            pair=pair,
            prompt=prompt,
            members=members,
            reason=reason,
            session_key=session_key,
            posted_by=posted_by,
            nonce=nonce,
        )
        if outcome == "already":
            already += 1
        elif outcome == "unreachable":
            unreachable += 1
        else:
            posted.append(outcome)
    if posted or unreachable:
        entry: dict[str, Any] = {
            "at": clock.now(),
            "guild_id": guild_id,
            "partnership_id": exchange_id,
            "actor_id": posted_by,
            "kind": "prompt.posted",
            "details": {
                "reason": reason,
                "session": session_key,
                "pairs": len(posted),
                "unreachable": unreachable,
                "prompts": sorted({p.key for p in posted}),
            },
        }
        if writer is not None:
            writer.log(**entry)
        else:
            async with db.transaction() as conn:
                await activity_log.append(conn, **entry)
    if unreachable:
        log.warning("exchange %s: %d pair spaces could not get a prompt", exchange_id, unreachable)
    return Delivery(tuple(posted), already, unreachable, without, len(away))


async def prompt_set(db: Database, exchange_id: int, text: str | None) -> tuple[str, ...] | None:
    """The prompt keys a session names ("food.breakfast, own-2"), or None for other text.

    A teacher may give a session either prompt ids from the bank or words of their own; only
    when every part is a prompt the exchange knows is it a prompt set.
    """
    if not text:
        return None
    parts = [p for p in re.split(r"[\s,;]+", ascii_digits(clean(text))) if p]
    if not parts or not all(KEY_SHAPE.fullmatch(p) for p in parts):
        return None
    async with db.read() as conn:
        own = await store.own_prompts(conn, exchange_id)
    known = set(builtin_by_key()) | {p.key for p in own}
    return tuple(parts) if all(p in known for p in parts) else None


# -- replies --------------------------------------------------------------------------------------


class SpaceDirectory:
    """Which pair a channel is the space of, and the pair's latest prompt, kept in memory.

    A busy session writes many messages a minute in the same spaces; this makes counting them
    cost no database round trip. Every entry is forgotten as soon as this process commits a
    write to a table it was read from (a pairing, a pause, a member leaving, an erasure, a
    prompt posted: see `bot.store.engine.Changes`), and after `TTL` at the latest, for writes
    made by another process. A read that overlapped such a commit is not kept.
    """

    TABLES = ("pairs", "pair_members", "participants", "partnerships", "prompt_posts")
    TTL = timedelta(minutes=5)
    # Spaces remembered at most (a server has at most 500 channels, plus threads).
    LIMIT = 20_000

    def __init__(self, db: Database) -> None:
        self._db = db
        self._spaces: dict[int, tuple[datetime, store.SpaceInfo | None]] = {}
        self._posts: dict[int, tuple[datetime, store.PostRecord | None]] = {}
        self._generation = 0
        db.changes.watch(self.TABLES, self.forget)

    def forget(self) -> None:
        """Drop everything (a watched table changed)."""
        self._generation += 1
        self._spaces.clear()
        self._posts.clear()

    def _fresh(self, entry: tuple[datetime, object] | None, now: datetime) -> bool:
        return entry is not None and now - entry[0] < self.TTL

    def _keep(self, into: dict[int, Any], key: int, value: object, now: datetime) -> None:
        if len(into) >= self.LIMIT:
            into.clear()
        into[key] = (now, value)

    async def space(self, space_id: int, now: datetime) -> store.SpaceInfo | None:
        """The pair whose space this is (None: not a paired space of an active exchange)."""
        entry = self._spaces.get(space_id)
        if entry is not None and self._fresh(entry, now):
            return entry[1]
        generation = self._generation
        async with self._db.read() as conn:
            found = await store.space_info(conn, space_id)
        if generation == self._generation:
            self._keep(self._spaces, space_id, found, now)
        return found

    async def latest_post(self, pair_id: int, now: datetime) -> store.PostRecord | None:
        """The pair's most recent prompt."""
        entry = self._posts.get(pair_id)
        if entry is not None and self._fresh(entry, now):
            return entry[1]
        generation = self._generation
        async with self._db.read() as conn:
            found = await store.latest_post(conn, pair_id)
        if generation == self._generation:
            self._keep(self._posts, pair_id, found, now)
        return found


async def _counted_writer(
    db: Database, space_id: int, user_id: int, role_ids: Collection[int], is_admin: bool
) -> bool:
    """Whether someone outside the pair may be counted: on the exchange's roster, or staff."""
    async with db.read() as conn:
        where = await store.space_context(conn, space_id, user_id)
        if where is None:
            return False
        if where.on_roster:
            return True
        roles = await guild_roles(conn, where.guild_id)
    actor = Actor(where.guild_id, user_id, frozenset(role_ids), is_admin)
    return standing_from(actor, roles).staff


# -- the exchange's own prompts -------------------------------------------------------------------


def _check_choice(ages: str | None, theme: str | None) -> None:
    # The command offers choices; a direct call must still respect them.
    if ages is not None and ages not in AGE_RANGES:
        raise UserError("error.prompt_bad_ages")
    if theme is not None and theme not in THEMES:
        raise UserError("error.prompt_bad_theme")


async def _log(
    conn: AsyncConnection, at: datetime, actor: Actor, exchange: Exchange, kind: str, key: str
) -> None:
    """A teacher's change to the bank, logged in the change's own transaction."""
    await audit(conn, actor, kind, at=at, exchange_id=exchange.id, prompt=key)


@dataclass(frozen=True, slots=True)
class Listed:
    prompt: Prompt
    retired: bool


# -- response rates -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionWords:
    """A session series' teacher-written prompt, as /prompt stats names it."""

    title: str
    text: str | None


@dataclass(frozen=True, slots=True)
class PromptStats:
    exchange: Exchange
    rates: tuple[PromptRate, ...]
    prompts: dict[str, Prompt]  # every prompt named in the rates that still exists
    posts: int  # prompts posted to pairs, all together
    answered: int  # of which got at least one reply
    # Sessions' own words among the rates ("session-3"), by key.
    sessions: dict[str, SessionWords] = field(default_factory=dict)

    @property
    def lengths_known(self) -> bool:
        return any(r.average_length is not None for r in self.rates)


# -- the use cases --------------------------------------------------------------------------------


class PromptService:
    """Discussion prompts: posting them, the exchange's bank, counting replies, rates."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        writer: ActivityWriter,
        scheduler: Sender | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        # A teacher's /prompt now is one scheduled send per pair (tried at once, retried when
        # Discord fails for a moment, resumed after a restart).
        self.scheduler = scheduler
        # Replies are counted through the batched writer: a message never waits on the database.
        self.writer = writer
        # Which pair a channel is the space of, kept in memory for counting replies.
        self.spaces = SpaceDirectory(db)
        # One pair's own request at a time, so two quick requests cannot both pass the daily
        # limit.
        self._pair_locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def post_now(self, actor: Actor, exchange_id: int | None) -> NowPosted:
        """A teacher posts the next prompt to every active pair of an exchange they are staff
        of.

        One scheduled send per pair, planned together before any post (a restart finishes the
        rest), then tried at once; a space Discord fails for a moment gets its prompt when it
        is tried again, and the answer says how many are still to come.
        """
        exchange = await staff_exchange(self.db, actor, exchange_id, STAFF)
        async with self.db.read() as conn:
            active = [
                p
                for p in await pairing_store.live_pairs(conn, exchange.id)
                if p.status is PairStatus.ACTIVE and p.space_id is not None
            ]
            people = {
                p.id: p
                for p in await roster.by_ids(conn, [m for pair in active for m in pair.members])
            }
            own = await store.own_prompts(conn, exchange.id)
            retired = await store.retired_keys(conn, exchange.id)
            histories = await store.history(conn, [p.id for p in active])
            # A pair with a student whose city is on its school break gets no prompt (issue 19).
            away = await pairs_on_break(conn, exchange.id, active, self.clock.now())
        if not active:
            raise UserError("error.prompt_no_pairs")
        active = [p for p in active if p.id not in away]
        now = self.clock.now()
        # One delivery's mark on each pair's post: at most one prompt per pair for it.
        batch = f"now:{exchange.id}:{now.strftime('%Y%m%dT%H%M%S')}:{secrets.token_hex(3)}"
        planned: list[sends.Planned] = []
        without = 0
        for pair in active:
            members = [people[m] for m in pair.members if m in people]
            bank = bank_for(own, retired, [m.grade_band for m in members])
            if next_prompt([p.key for p in bank], histories.get(pair.id, [])) is None:
                without += 1
                continue
            planned.append(
                sends.Planned(
                    key=f"prompt:{batch}:{pair.id}",
                    kind=NOW_KIND,
                    due_at=now,
                    guild_id=actor.guild_id,
                    partnership_id=exchange.id,
                    payload={"pair": pair.id, "batch": batch, "by": actor.user_id},
                    expires_at=now + NOW_USEFUL,
                )
            )
        async with self.db.transaction() as conn:
            await sends.plan_many(conn, planned)
            await audit(
                conn,
                actor,
                "prompt.requested_now",
                at=now,
                exchange_id=exchange.id,
                batch=batch,
                pairs=len(planned),
                without_prompt=without,
            )
        keys = [p.key for p in planned]
        if self.scheduler is None or not keys:
            return NowPosted(Outcome(later=len(keys)), without, len(away))
        return NowPosted(Outcome.of(await self.scheduler.run_now(keys)), without, len(away))

    async def deliver_planned(self, send: Send, port: PlannedPromptPort) -> None:
        """One pair's post of a teacher's /prompt now (a scheduled send).

        Posted once per delivery, however often it runs: a pair that has its prompt for this
        delivery gets nothing more. After a try a stop cut short between recording the post
        and Discord's answer, the space is looked at first: the card found there is recorded,
        otherwise the same prompt is posted (with the same nonce). Paused or ended since:
        nothing.
        """
        assert send.partnership_id is not None
        exchange_id = send.partnership_id
        pair_id = int(send.payload["pair"])
        batch = str(send.payload["batch"])
        posted_by = int(send.payload["by"])
        # An earlier try may have recorded the post and reached Discord unseen.
        if send.uncertain and await self._resume_planned(send, port):
            return
        await deliver_to_pairs(
            self.db,
            self.clock,
            exchange_id,
            port,
            reason="teacher",
            session_key=batch,
            posted_by=posted_by,
            pair_ids={pair_id},
            nonce=send.nonce,
            writer=self.writer,
        )

    async def _resume_planned(self, send: Send, port: PlannedPromptPort) -> bool:
        """A try cut short between recording a pair's post and Discord's answer: the card
        found in the space is recorded, or the same prompt posted again; True when the pair
        has nothing more to get (paused or ended since, too)."""
        assert send.partnership_id is not None
        exchange_id = send.partnership_id
        pair_id = int(send.payload["pair"])
        batch = str(send.payload["batch"])
        async with self.db.read() as conn:
            pair = await pairing_store.get_pair(conn, pair_id)
            earlier = await store.post_for_session(conn, pair_id, batch)
            members = (
                sorted(await roster.by_ids(conn, pair.members), key=lambda m: m.id) if pair else []
            )
        if pair is None or pair.status is not PairStatus.ACTIVE or pair.space_id is None:
            return True
        if earlier is None:
            return False
        if earlier.message_id is not None:
            return True
        found = await port.find(pair.space_id, earlier.key)
        if found is not None:
            async with self.db.transaction() as conn:
                await store.set_message(conn, earlier.id, found)
            return True
        prompt = await _find(self.db, exchange_id, earlier.key)
        card = _card(prompt, members, None)
        try:
            message_id = await port.post(pair.space_id, card, nonce=send.nonce)
        except Exception:
            async with self.db.transaction() as conn:
                await store.drop_post(conn, earlier.id)
            raise
        async with self.db.transaction() as conn:
            if message_id is None:
                await store.drop_post(conn, earlier.id)
            else:
                await store.set_message(conn, earlier.id, message_id)
        return True

    async def request_for_pair(self, actor: Actor, space_id: int, port: PromptPort) -> Requested:
        """A student asks for their pair's next prompt, in their pair's space, once a day."""
        async with self.db.read() as conn:
            where = await store.space_context(conn, space_id, actor.user_id)
        if where is None or where.status is PairStatus.ARCHIVED or where.guild_id != actor.guild_id:
            raise UserError("error.prompt_not_in_space")
        if where.member_id is None:
            raise NotAllowedError("error.prompt_not_your_pair")
        if where.status is not PairStatus.ACTIVE:
            raise UserError("error.prompt_pair_paused")
        async with self._pair_locks[where.pair_id]:
            async with self.db.read() as conn:
                pair = await pairing_store.get_pair(conn, where.pair_id)
                assert pair is not None
                members = sorted(await roster.by_ids(conn, pair.members), key=lambda m: m.id)
                latest = await store.latest_post(conn, pair.id)
                own = await store.own_prompts(conn, where.exchange_id)
                retired = await store.retired_keys(conn, where.exchange_id)
                history = (await store.history(conn, [pair.id])).get(pair.id, [])
            now = self.clock.now()
            allowed_at = next_request_at(latest.posted_at if latest else None)
            if allowed_at is not None and allowed_at > now:
                raise UserError(
                    "error.prompt_too_soon",
                    when=_stamp(allowed_at, "F"),
                    relative=_stamp(allowed_at, "R"),
                )
            bank = bank_for(own, retired, [m.grade_band for m in members])
            chosen = next_prompt([p.key for p in bank], history)
            if chosen is None:
                raise UserError("error.prompt_bank_empty")
            prompt = next(p for p in bank if p.key == chosen)
            outcome = await _post_one(
                self.db,
                self.clock,
                port,
                exchange_id=where.exchange_id,
                pair=pair,
                prompt=prompt,
                members=members,
                reason="pair",
                session_key=None,
                posted_by=actor.user_id,
            )
        if not isinstance(outcome, PostedPrompt):
            raise UserError("error.prompt_space_unreachable")
        async with self.db.transaction() as conn:
            await audit(
                conn,
                actor,
                "prompt.requested",
                at=self.clock.now(),
                exchange_id=where.exchange_id,
                pair=pair.id,
                prompt=prompt.key,
            )
        return Requested(outcome, self.clock.now() + PAIR_REQUEST_INTERVAL)

    async def record_message(
        self,
        *,
        space_id: int,
        user_id: int,
        length: int | None,
        role_ids: Collection[int] = (),
        is_admin: bool = False,
    ) -> bool:
        """Count a message written in a paired space; False if it is not counted.

        A message from someone on the exchange's roster (active or paused) or on its staff (the
        guild's teacher and coordinator roles, admins) becomes a `pair.message` activity row (who,
        when, pair, length or None) and, for the pair's own students, a count in the daily totals
        reports read. Anyone else (an erased or removed student who kept Discord access, a
        stranger) leaves no trace: their id is never written. A pair member's message within the
        response window of the pair's latest prompt is also a reply to it (and their first reply to
        it the `prompt.answered` event). All of it goes through the batched `writer`, nobody waits
        on it, and where the space belongs comes from the in-memory `SpaceDirectory`: a pair
        member's message adds no database round trip. The text is never passed in, so it cannot
        be stored.
        """
        now = self.clock.now()
        spaces = self.spaces
        where = await spaces.space(space_id, now)
        if where is None:
            return False
        member = where.members.get(user_id)
        if member is None and not await _counted_writer(
            self.db, space_id, user_id, role_ids, is_admin
        ):
            return False
        reply = None
        if member is not None and where.status is PairStatus.ACTIVE:
            latest = await spaces.latest_post(where.pair_id, now)
            if latest is not None and counts_as_response(latest.posted_at, now):
                reply = PromptReply(latest.id, latest.key, where.pair_id, member, length)
        self.writer.log(
            at=now,
            guild_id=where.guild_id,
            partnership_id=where.exchange_id,
            actor_id=user_id,
            kind="pair.message",
            details={"pair": where.pair_id, "length": length},
            tally=(
                MessageTally(where.exchange_id, where.pair_id, member, now, length)
                if member is not None
                else None
            ),
            reply=reply,
        )
        return True

    async def add(
        self,
        actor: Actor,
        exchange_id: int | None,
        *,
        texts: Mapping[str, str | None],
        ages: str = "10-18",
        theme: str = "other",
    ) -> Prompt:
        """A teacher adds a prompt of their own: at least one language, translations optional."""
        exchange = await staff_exchange(self.db, actor, exchange_id, STAFF)
        _check_choice(ages, theme)
        try:
            cleaned = clean_texts(texts)
        except ProfileError as exc:
            raise _user_error(exc) from None
        now = self.clock.now()
        async with self.db.transaction() as conn:
            # The same words again are a retry (the first may have waited on a busy database
            # while the teacher asked once more): one prompt, not two. The transaction holds
            # the write lock from here, so two at once cannot both miss the other.
            existing = await store.same_prompt(conn, exchange.id, cleaned)
            if existing is not None:
                raise UserError("error.prompt_exists", prompt=existing.key)
            prompt = await store.add_prompt(
                conn,
                exchange_id=exchange.id,
                texts=cleaned,
                ages=ages,
                theme=theme,
                by=actor.user_id,
                now=now,
            )
            await audit(
                conn,
                actor,
                "prompt.added",
                at=now,
                exchange_id=exchange.id,
                prompt=prompt.key,
                languages=sorted(cleaned),
            )
        return prompt

    async def edit(
        self,
        actor: Actor,
        exchange_id: int | None,
        key: str,
        *,
        texts: Mapping[str, str | None],
        ages: str | None = None,
        theme: str | None = None,
    ) -> Prompt:
        """Change an own prompt: given texts replace, "-" removes a language; one must remain."""
        exchange = await staff_exchange(self.db, actor, exchange_id, STAFF)
        _check_choice(ages, theme)
        prompt = await _find(self.db, exchange.id, key)
        prompt_id = own_id(prompt.key)
        if prompt.builtin or prompt_id is None:
            raise UserError("error.prompt_builtin_readonly")
        merged: dict[str, str | None] = dict(prompt.texts)
        for language, text in texts.items():
            if text is None:
                continue
            merged[language] = None if text.strip() == REMOVE else text
        try:
            cleaned = clean_texts(merged)
        except ProfileError as exc:
            raise _user_error(exc) from None
        changed = Prompt(prompt.key, theme or prompt.theme, ages or prompt.ages, cleaned, False)
        now = self.clock.now()
        async with self.db.transaction() as conn:
            await store.update_prompt(
                conn,
                prompt_id,
                texts=cleaned,
                ages=changed.ages,
                theme=changed.theme,
                now=now,
            )
            await _log(conn, now, actor, exchange, "prompt.edited", prompt.key)
        return changed

    async def retire(self, actor: Actor, exchange_id: int | None, key: str) -> Prompt:
        """Stop posting a prompt (built-in or own) in this exchange; history and rates stay."""
        exchange = await staff_exchange(self.db, actor, exchange_id, STAFF)
        prompt = await _find(self.db, exchange.id, key)
        now = self.clock.now()
        async with self.db.transaction() as conn:
            if not await store.retire(conn, exchange.id, prompt.key, actor.user_id, now):
                raise UserError("error.prompt_already_retired", prompt=prompt.key)
            await _log(conn, now, actor, exchange, "prompt.retired", prompt.key)
        return prompt

    async def restore(self, actor: Actor, exchange_id: int | None, key: str) -> Prompt:
        """Put a retired prompt back into rotation."""
        exchange = await staff_exchange(self.db, actor, exchange_id, STAFF)
        prompt = await _find(self.db, exchange.id, key)
        now = self.clock.now()
        async with self.db.transaction() as conn:
            if not await store.restore(conn, exchange.id, prompt.key):
                raise UserError("error.prompt_not_retired", prompt=prompt.key)
            await _log(conn, now, actor, exchange, "prompt.restored", prompt.key)
        return prompt

    async def listing(
        self, actor: Actor, exchange_id: int | None, show: Show = "own"
    ) -> tuple[Exchange, list[Listed]]:
        """The exchange's own prompts, the built-in bank, or the retired ones (staff only)."""
        exchange = await staff_exchange(self.db, actor, exchange_id, STAFF)
        async with self.db.read() as conn:
            own = await store.own_prompts(conn, exchange.id)
            retired = await store.retired_keys(conn, exchange.id)
        if show == "own":
            chosen: Sequence[Prompt] = own
        elif show == "builtin":
            chosen = builtin_prompts()
        else:
            chosen = [p for p in [*own, *builtin_prompts()] if p.key in retired]
        return exchange, [Listed(p, p.key in retired) for p in chosen]

    async def choices(
        self,
        actor: Actor,
        exchange_id: int | None,
        typed: str,
        which: Literal["own", "active", "retired"],
    ) -> list[tuple[str, str]]:
        """(key, text in the actor's language) for autocomplete; empty for non-staff."""
        try:
            exchange = await staff_exchange(self.db, actor, exchange_id, STAFF)
        except UserError:
            return []
        async with self.db.read() as conn:
            own = await store.own_prompts(conn, exchange.id)
            retired = await store.retired_keys(conn, exchange.id)
        if which == "own":
            pool: list[Prompt] = own
        elif which == "active":
            pool = [p for p in [*own, *builtin_prompts()] if p.key not in retired]
        else:
            pool = [p for p in [*own, *builtin_prompts()] if p.key in retired]
        needle = typed.casefold().strip()
        found = []
        for prompt in pool:
            text = prompt.text_in(actor.language)[1]
            if needle in prompt.key.casefold() or needle in text.casefold():
                found.append((prompt.key, text))
        return found

    async def stats(self, actor: Actor, exchange_id: int | None) -> PromptStats:
        """Per prompt: the pairs it was posted to, how many answered, and the rate (staff only)."""
        exchange = await staff_exchange(self.db, actor, exchange_id, STAFF)
        return await self.stats_of(exchange)

    async def stats_of(self, exchange: Exchange) -> PromptStats:
        """The rates of an exchange already allowed (/prompt stats, the dashboard)."""
        async with self.db.read() as conn:
            posts, responses = await store.rate_rows(conn, exchange.id)
            own = await store.own_prompts(conn, exchange.id)
            rates = response_rates(posts, responses)
            series_ids = {
                r.key: series_id
                for r in rates
                if (series_id := session_series_id(r.key)) is not None
            }
            series = await session_store.by_ids(conn, list(series_ids.values()))
        answered_posts = {r.post_id for r in responses}
        known = builtin_by_key() | {p.key: p for p in own}
        return PromptStats(
            exchange=exchange,
            rates=tuple(rates),
            prompts={r.key: known[r.key] for r in rates if r.key in known},
            posts=len(posts),
            answered=sum(1 for p in posts if p.post_id in answered_posts),
            sessions={
                key: SessionWords(series[series_id].title, series[series_id].prompt)
                for key, series_id in series_ids.items()
                if series_id in series
            },
        )
