"""Batched writes to the activity log for events nobody waits for.

Two ways into the log, on purpose:

- **In the change's own transaction** (`bot.store.activity.append`), for every event that is
  part of something a user sees or is told: a check-in ("You are checked in"), a pairing, a
  prompt posted, a move, a report, every teacher or coordinator action. The log row commits
  with the change or not at all, so the log can never claim what did not happen, nor miss
  what a user was told happened.
- **Through this writer**, for high-volume events that acknowledge nothing: a message counted
  in a paired space (`pair.message`: who, when, which pair, its length or None, never text),
  and when it replies to the pair's latest prompt, the reply (`prompt_responses`) and, for a
  student's first reply to that post, the `prompt.answered` event (who, when, which post and
  prompt: a prompt answered in several messages is answered once). A busy session brings one
  such event per message; writing each in its own transaction would queue every interaction
  behind the database's single writer. Here an event is put in an in-memory queue (no I/O, no
  waiting) and the queue is written a few times a second, in one transaction per batch,
  together with the daily message totals (`message_days`) reports read. Whether a reply is a
  student's first to a post is decided in that transaction, against the replies stored, so
  `prompt.answered` and the replies reports count can never disagree.

Voice presence stays with the first kind: being seen in a session's call is attendance (a
stored state the session's summary shows), and it is recorded once per person and session
(moving, muting or deafening in the call is ignored by the cog), so it is not high-volume.

A clean shutdown (`stop`) writes what is queued. A crash loses at most the last fraction of a
second of message counts, never anything a user was told. A failed write keeps the batch
queued and tries again; a batch the database refuses (a row pointing at something deleted
meanwhile) is retried event by event so one bad row cannot block the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy.exc import IntegrityError

from bot.domain.reporting import MessageTally, message_days
from bot.store import Database
from bot.store import activity as activity_log
from bot.store import prompts as prompt_store
from bot.store import reporting as report_store

log = logging.getLogger(__name__)

# Written this often (seconds) while events wait; sooner when a batch fills up.
FLUSH_INTERVAL = 0.25
BATCH_SIZE = 5_000
# If the database stays unreachable, the oldest events beyond this are dropped (and logged)
# rather than letting memory grow without bound.
CAPACITY = 500_000


class PromptReply(NamedTuple):
    """A message that replies to a prompt posted to its pair (never its text)."""

    post_id: int
    prompt_key: str
    pair_id: int
    participant_id: int
    length: int | None


class _Event(NamedTuple):
    row: dict[str, Any]
    tally: MessageTally | None
    reply: PromptReply | None = None


# One encoder for every event: json.dumps with options builds a new encoder per call. The
# text is the same as bot.store.activity.append writes.
_DETAILS = json.JSONEncoder(ensure_ascii=False, sort_keys=True)


class ActivityWriter:
    """An in-process queue of activity events, written in batches (see the module docstring)."""

    def __init__(
        self,
        db: Database,
        *,
        interval: float = FLUSH_INTERVAL,
        batch_size: int = BATCH_SIZE,
        capacity: int = CAPACITY,
    ) -> None:
        self._db = db
        self.interval = interval
        self.batch_size = batch_size
        self.capacity = capacity
        self._queue: deque[_Event] = deque()
        self._in_flight = 0
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.written = 0  # events committed since start
        self.dropped = 0  # events given up on (queue overflow, refused rows, failed shutdown)

    # -- producing ------------------------------------------------------------------------------

    def log(
        self,
        *,
        at: datetime,
        guild_id: int,
        kind: str,
        partnership_id: int | None = None,
        actor_id: int | None = None,
        details: Mapping[str, Any] | None = None,
        tally: MessageTally | None = None,
        reply: PromptReply | None = None,
    ) -> None:
        """Queue one event (never blocks); `tally` also adds a message to the daily totals, and
        `reply` stores it as a reply to a prompt (the first one per student and post is also
        logged as `prompt.answered`)."""
        if at.tzinfo is None:
            raise ValueError("activity times are aware UTC datetimes")
        if len(self._queue) >= self.capacity:
            self._queue.popleft()
            self.dropped += 1
            if self.dropped % 10_000 == 1:
                log.error("activity queue full: dropped %d events so far", self.dropped)
        self._queue.append(
            _Event(
                {
                    "at": at,
                    "guild_id": guild_id,
                    "partnership_id": partnership_id,
                    "actor_id": actor_id,
                    "kind": kind,
                    "details": _DETAILS.encode(dict(details or {})),
                },
                tally,
                reply,
            )
        )
        if len(self._queue) >= self.batch_size:
            self._wake.set()

    @property
    def pending(self) -> int:
        """Events queued or being written, not yet committed."""
        return len(self._queue) + self._in_flight

    # -- writing --------------------------------------------------------------------------------

    async def flush(self) -> int:
        """Write everything queued so far, batch by batch; returns how many were written.

        A failed batch goes back to the front of the queue and the error is raised.
        """
        async with self._lock:
            return await self._flush_locked()

    @contextlib.asynccontextmanager
    async def quiet(self) -> AsyncIterator[None]:
        """Write everything queued, then write nothing more until the block ends.

        For an erasure: the log holds every event about the person before it is scrubbed,
        and none lands after it. Events keep queueing meanwhile (in memory, never blocking);
        `forget` drops the person from those before the block ends.
        """
        async with self._lock:
            await self._flush_locked()
            yield

    def forget(self, user_id: int) -> int:
        """Take a person out of the queued events (after erasing them); returns how many.

        The events stay as anonymous counts: only who acted is dropped.
        """
        changed = 0
        for index, event in enumerate(self._queue):
            if event.row["actor_id"] == user_id:
                self._queue[index] = event._replace(row={**event.row, "actor_id": None})
                changed += 1
        return changed

    async def _flush_locked(self) -> int:
        """Write the queue batch by batch; the caller holds `_lock`."""
        written = 0
        while self._queue:
            batch = [self._queue.popleft() for _ in range(min(self.batch_size, len(self._queue)))]
            self._in_flight = len(batch)
            try:
                written += await self._write(batch)
            except BaseException:
                self._queue.extendleft(reversed(batch))
                raise
            finally:
                self._in_flight = 0
        return written

    async def _write(self, batch: Sequence[_Event]) -> int:
        try:
            await self._commit(batch)
        except IntegrityError:
            log.warning(
                "an activity batch was refused; writing its %d events one by one", len(batch)
            )
            kept = 0
            for event in batch:
                try:
                    await self._commit([event])
                    kept += 1
                    continue
                except IntegrityError:
                    pass
                if event.reply is not None:
                    # The prompt post is gone (it could not be sent): the message still counts.
                    try:
                        await self._commit([event._replace(reply=None)])
                        kept += 1
                        continue
                    except IntegrityError:
                        pass
                self.dropped += 1
                log.error("dropped an activity event the database refused: %s", event.row["kind"])
            return kept
        return len(batch)

    async def _commit(self, batch: Sequence[_Event]) -> None:
        async with self._db.transaction() as conn:
            replies = [(e.row, e.reply) for e in batch if e.reply is not None]
            seen = await prompt_store.answered_before(
                conn, {(r.post_id, r.participant_id) for _, r in replies}
            )
            rows: list[dict[str, Any]] = []
            for event in batch:
                rows.append(event.row)
                reply = event.reply
                if reply is not None and (reply.post_id, reply.participant_id) not in seen:
                    seen.add((reply.post_id, reply.participant_id))
                    rows.append(_answered(event.row, reply))
            await prompt_store.add_responses(
                conn,
                [
                    {
                        "post_id": r.post_id,
                        "participant_id": r.participant_id,
                        "at": row["at"],
                        "length": r.length,
                    }
                    for row, r in replies
                ],
            )
            await activity_log.append_many(conn, rows)
            tallies = [e.tally for e in batch if e.tally is not None]
            await report_store.add_message_days(conn, message_days(tallies))
        self.written += len(batch)

    # -- running --------------------------------------------------------------------------------

    def start(self) -> None:
        """Start writing in the background (the bot's `setup_hook`)."""
        if self._task is None:
            self._closing = False
            self._task = asyncio.get_running_loop().create_task(self._run(), name="activity-writer")

    async def _run(self) -> None:
        while not self._closing:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            self._wake.clear()
            try:
                await self.flush()
            except Exception:
                # Kept queued: the next tick tries again (the database may be busy or back soon).
                log.exception("writing the activity log failed; %d events wait", self.pending)

    async def stop(self) -> None:
        """Stop the background writer and write what is still queued (a clean shutdown)."""
        self._closing = True
        self._wake.set()
        task, self._task = self._task, None
        if task is not None:
            await task
        try:
            await self.flush()
        except Exception:
            lost = self.pending
            self.dropped += lost
            self._queue.clear()
            log.exception("could not write %d activity events at shutdown", lost)


def _answered(message: Mapping[str, Any], reply: PromptReply) -> dict[str, Any]:
    """The `prompt.answered` event of a student's first reply to a post (never its text)."""
    return {
        **message,
        "kind": "prompt.answered",
        "details": _DETAILS.encode(
            {"pair": reply.pair_id, "post": reply.post_id, "prompt": reply.prompt_key}
        ),
    }
