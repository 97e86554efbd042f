"""A session as it happens: reminders, the start post and prompts, attendance, the summary.

Each timed step is a scheduled send (bot/services/scheduler.py). A step that posts to many
channels fans out into one send per channel, due at once, so one channel's trouble neither
stops nor repeats the others. Every step may run again after a crash (delivery is at least
once) and is written so that a second run adds nothing: the start only plans what is not yet
planned, a post carries its send's id as a nonce that Discord enforces for a few minutes, the
check-in post is recorded per occurrence, and prompts are recorded per pair and occurrence.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.exchange import Exchange, Participant, Role
from bot.domain.reporting import outcome_of, voice_needed
from bot.domain.sessions import CALLED_OFF, LIVE, EventStatus, OccurrenceStatus
from bot.errors import NotFoundError, UserError
from bot.services import prompts as prompt_service
from bot.services.access import Actor
from bot.services.audit import By, audit
from bot.services.breaks import pairs_on_break
from bot.services.session_plans import (
    SessionPlans,
    extend,
    key_base,
    languages_of,
    people_languages,
    zones_of,
)
from bot.services.session_port import (
    CityAttendance,
    PromptPost,
    Reminder,
    SessionPort,
    Started,
    Summary,
)
from bot.store import exchanges as exchange_store
from bot.store import pairing as pairing_store
from bot.store import roster, sends
from bot.store import sessions as store
from bot.store.sends import Send
from bot.store.sessions import OccurrenceRecord, SessionRecord

log = logging.getLogger(__name__)

STAFF_ROLES = (Role.TEACHER, Role.COORDINATOR)


async def _pair_spaces(
    conn: AsyncConnection, exchange_id: int, at: datetime | None = None
) -> list[int]:
    """The spaces of the exchange's active pairs; with `at` (a session's start), less those
    of pairs with a student whose city has that day off (a school break)."""
    live = [
        p
        for p in await pairing_store.live_pairs(conn, exchange_id)
        if p.status == "active" and p.space_id is not None
    ]
    away = await pairs_on_break(conn, exchange_id, live, at) if at is not None else set()
    return [p.space_id for p in live if p.space_id is not None and p.id not in away]


def _prompt_post(
    series: SessionRecord, text: str | None, members: Sequence[Participant]
) -> PromptPost:
    return PromptPost(
        series.title,
        text,
        people_languages([m.language for m in members]),
        tuple(m.user_id for m in members),
    )


@dataclass(frozen=True, slots=True)
class CheckIn:
    """A participant's check-in: when they were first seen, and whether that was earlier."""

    title: str
    first_seen: datetime
    already: bool


class SessionRuns:
    """What happens at a session's times, and who was there.

    The scheduler calls the timed steps (`on_remind`, `on_start`, `on_end`, `on_post`,
    `on_event_status`); people check in with a button or by being in the session's voice
    channel. Discord events are kept in step through the shared `SessionPlans`.
    """

    def __init__(self, plans: SessionPlans, grace: timedelta) -> None:
        self.plans = plans
        self.db = plans.db
        self.clock = plans.clock
        self.scheduler = plans.scheduler
        # An occurrence that ended longer ago than this while the bot was away is closed
        # without its posts (the scheduler records them missed).
        self.grace = grace

    async def _current(
        self, send: Send, *, statuses: Sequence[OccurrenceStatus] | None = None
    ) -> tuple[SessionRecord, OccurrenceRecord] | None:
        """The occurrence a send was planned for, unless it was re-planned or changed since."""
        async with self.db.read() as conn:
            occurrence = await store.occurrence(conn, int(send.payload["occurrence"]))
            if occurrence is None or occurrence.revision != int(send.payload["revision"]):
                return None
            if statuses is not None and occurrence.status not in statuses:
                return None
            series = await store.by_id(conn, occurrence.session_id)
        if series is None:
            return None
        return series, occurrence

    async def _fan_out(
        self,
        series: SessionRecord,
        occurrence: OccurrenceRecord,
        what: str,
        channel_ids: Sequence[int],
        *,
        expires_at: datetime | None = None,
        **extra: object,
    ) -> None:
        """Plan one post per channel, due now (useful until `expires_at`, else the grace)."""
        base = f"{key_base(series.id, occurrence.original_start)}:r{occurrence.revision}:{what}"
        now = self.clock.now()
        async with self.db.transaction() as conn:
            await sends.plan_many(
                conn,
                [
                    sends.Planned(
                        key=f"{base}:to:{channel_id}",
                        kind="session.post",
                        due_at=now,
                        guild_id=series.guild_id,
                        partnership_id=series.exchange_id,
                        payload={
                            "occurrence": occurrence.id,
                            "revision": occurrence.revision,
                            "what": what,
                            "channel": channel_id,
                            **extra,
                        },
                        expires_at=expires_at,
                    )
                    for channel_id in channel_ids
                ],
            )

    async def on_remind(self, send: Send, port: SessionPort) -> None:
        """A reminder is due: one post to the announcements channel and each paired space.

        An occurrence whose Discord event is missing or behind (Discord refused it earlier, e.g.
        for a missing permission since given) gets it now.
        """
        current = await self._current(send, statuses=(OccurrenceStatus.SCHEDULED,))
        if current is None:
            return
        series, occurrence = current
        await self.plans.sync_event(series.id, port)
        async with self.db.read() as conn:
            where = await exchange_store.spaces(conn, series.exchange_id)
            targets = [where.exchange_channel_id] if where.exchange_channel_id else []
            targets += await _pair_spaces(conn, series.exchange_id, occurrence.starts_at)
        minutes = int(send.payload["minutes"])
        await self._fan_out(series, occurrence, f"remind{minutes}", targets, minutes=minutes)

    async def on_start(self, send: Send, port: SessionPort) -> None:
        """The session starts: event started, check-in post, prompts, people already in voice.

        Possibly late (the bot was down at the start): anything until the session's end is worth
        doing, since check-in is open for the whole session. Run again after a crash, it finishes
        what the first run began.
        """
        current = await self._current(send, statuses=LIVE)
        if current is None:
            return
        series, occurrence = current
        now = self.clock.now()
        async with self.db.transaction() as conn:
            if await store.set_occurrence_status(
                conn, occurrence.id, OccurrenceStatus.STARTED, was=(OccurrenceStatus.SCHEDULED,)
            ):
                await audit(
                    conn,
                    By(series.guild_id),
                    "session.started",
                    at=now,
                    exchange_id=series.exchange_id,
                    session=series.id,
                    occurrence=occurrence.starts_at.isoformat(),
                )
            where = await exchange_store.spaces(conn, series.exchange_id)
            spaces = await _pair_spaces(conn, series.exchange_id, occurrence.starts_at)
        # Discord cancels an event nobody started a few hours after its start time.
        await self.plans.plan_event_status(series, occurrence, EventStatus.ACTIVE)
        # Posts of the start are useful while the session lasts.
        until = occurrence.ends_at
        if where.exchange_channel_id is not None:
            await self._fan_out(
                series, occurrence, "started", [where.exchange_channel_id], expires_at=until
            )
        await self._fan_out(series, occurrence, "prompt", spaces, expires_at=until)
        if series.channel_id is not None:
            for user_id in await port.voice_members(series.channel_id):
                await self.voice_seen(series.guild_id, user_id, series.channel_id)

    async def on_end(self, send: Send, port: SessionPort) -> None:
        """The session ends: event completed, check-in closed, next event, then the summaries."""
        current = await self._current(send)
        if current is None:
            return
        series, occurrence = current
        if occurrence.status not in (*LIVE, OccurrenceStatus.DONE):
            return
        await self.finish(series, occurrence, port)
        async with self.db.read() as conn:
            where = await exchange_store.spaces(conn, series.exchange_id)
        if where.exchange_channel_id is not None:
            await self._fan_out(series, occurrence, "summary", [where.exchange_channel_id])
        if where.teachers_channel_id is not None:
            await self._fan_out(series, occurrence, "summary_teachers", [where.teachers_channel_id])

    async def finish(
        self, series: SessionRecord, occurrence: OccurrenceRecord, port: SessionPort
    ) -> None:
        """Close an occurrence (idempotent): done, its event ended, the next one planned."""
        now = self.clock.now()
        async with self.db.transaction() as conn:
            fresh = await store.occurrence(conn, occurrence.id)
            assert fresh is not None
            closed = await store.set_occurrence_status(
                conn, fresh.id, OccurrenceStatus.DONE, was=LIVE
            )
            if closed:
                # Whoever is still in voice stays counted up to the session's end.
                await store.voice_left(conn, fresh, fresh.ends_at)
                count = await store.attendance_count(conn, fresh.id)
                current = await store.by_id(conn, series.id)
                if current is not None:
                    await extend(conn, current, now)
                await audit(
                    conn,
                    By(series.guild_id),
                    "session.ended",
                    at=now,
                    exchange_id=series.exchange_id,
                    session=series.id,
                    occurrence=fresh.starts_at.isoformat(),
                    attended=count,
                )
        if not closed:
            return
        await self.scheduler.rearm()
        await self.plans.plan_event_status(
            series,
            fresh,
            EventStatus.COMPLETED
            if fresh.status == OccurrenceStatus.STARTED
            else EventStatus.CANCELLED,
        )
        if fresh.checkin_channel_id is not None and fresh.checkin_message_id is not None:
            async with self.db.read() as conn:
                exchange = await exchange_store.get_exchange(
                    conn, series.guild_id, series.exchange_id
                )
            languages = languages_of(exchange) if exchange else ("en",)
            await port.close_checkin(
                fresh.checkin_channel_id, fresh.checkin_message_id, count, languages
            )
        await self.plans.sync_event(series.id, port)

    async def on_post(self, send: Send, port: SessionPort) -> None:
        """One post of a fan-out, in one channel.

        A channel that is gone or closed to the bot fails this send (with Discord's reason),
        without stopping the others; a passing failure makes the scheduler try it again.
        """
        what = str(send.payload["what"])
        channel_id = int(send.payload["channel"])
        wanted = (OccurrenceStatus.SCHEDULED,) if what.startswith("remind") else None
        current = await self._current(send, statuses=wanted)
        if current is None:
            return
        series, occurrence = current
        nonce = send.nonce
        async with self.db.read() as conn:
            exchange = await exchange_store.get_exchange(conn, series.guild_id, series.exchange_id)
            pair = await pairing_store.pair_by_space(conn, channel_id)
            members = await roster.by_ids(conn, pair.members) if pair else []
        if exchange is None:
            return
        if what.startswith("remind"):
            languages = (
                people_languages([m.language for m in members]) if pair else languages_of(exchange)
            )
            await port.post(
                channel_id,
                Reminder(
                    series.title,
                    occurrence.starts_at,
                    occurrence.ends_at,
                    int(send.payload["minutes"]),
                    series.channel_id,
                    languages,
                    tuple(m.user_id for m in members),
                    zones_of(exchange),
                ),
                nonce=nonce,
            )
        elif what == "started":
            if occurrence.checkin_channel_id == channel_id and occurrence.checkin_message_id:
                # An earlier run posted and recorded it, then stopped before the send was done.
                return
            message_id = await port.post(
                channel_id,
                Started(
                    occurrence.id,
                    series.title,
                    occurrence.ends_at,
                    series.channel_id,
                    languages_of(exchange),
                ),
                nonce=nonce,
            )
            async with self.db.transaction() as conn:
                await store.set_checkin_message(conn, occurrence.id, channel_id, message_id)
        elif what == "prompt":
            await self.deliver_session_prompt(port, series, occurrence, channel_id, members)
        elif what in ("summary", "summary_teachers"):
            summary = await self.attendance_summary(
                exchange, occurrence, series.title, detailed=what == "summary_teachers"
            )
            await port.post(channel_id, summary, nonce=nonce)

    async def deliver_session_prompt(
        self,
        port: SessionPort,
        series: SessionRecord,
        occurrence: OccurrenceRecord,
        space_id: int,
        members: Sequence[Participant],
    ) -> None:
        """Post the session's discussion prompt in one paired space.

        The one place that decides which prompt a pair gets: the teacher's own words when the
        series has them; otherwise the next prompt of the pair's rotation (limited to the
        session's prompt set when the series names prompt ids), so a pair never gets a prompt
        twice until its bank is used up. Either is recorded before it is posted, so posting is
        at most once per occurrence and pair (a crash between the record and Discord loses that
        one post rather than repeating it).
        """
        keys = await prompt_service.prompt_set(self.db, series.exchange_id, series.prompt)
        async with self.db.read() as conn:
            pair = await pairing_store.pair_by_space(conn, space_id)
        if pair is None:
            return
        session_key = key_base(series.id, occurrence.original_start)

        async def session_words(text: str | None) -> None:
            # Recorded as the pair's prompt ("session-<id>"), so replies are credited to it,
            # /prompt stats shows it, and it is posted once per pair and session.
            post = _prompt_post(series, text, members)
            await prompt_service.post_session_words(
                self.db,
                self.clock,
                exchange_id=series.exchange_id,
                series_id=series.id,
                pair=pair,
                session_key=session_key,
                send=lambda: port.post(space_id, post),
            )

        if series.prompt and keys is None:
            await session_words(series.prompt)  # the teacher's own words
            return
        delivery = await prompt_service.deliver_to_pairs(
            self.db,
            self.clock,
            series.exchange_id,
            port.prompts,
            reason="session",
            session_key=session_key,
            only=keys,
            pair_ids={pair.id},
        )
        if delivery.without_prompt:
            # Every suitable prompt was retired: the pair still gets a starter.
            await session_words(None)

    async def on_event_status(self, send: Send, port: SessionPort) -> None:
        """Start, end or cancel a Discord event (planned by `plan_event_status`)."""
        await port.set_event_status(int(send.payload["event"]), EventStatus(send.payload["status"]))

    async def attendance_summary(
        self, exchange: Exchange, occurrence: OccurrenceRecord, title: str, *, detailed: bool
    ) -> Summary:
        """Who came, per city, as the reports count it: a check-in, enough minutes in voice,
        or a teacher's mark (which stands over both; excused students are not expected).
        Names only when `detailed`."""
        now = self.clock.now()
        async with self.db.read() as conn:
            evidence = await store.seen_at(conn, occurrence.id)
            marks = await store.marks_at(conn, occurrence.id)
            setting = await store.voice_minutes(conn, exchange.id)
            people = await roster.listing(
                conn, exchange.id, statuses=("active", "paused")
            ) + await roster.by_ids(conn, list({*evidence, *marks}))
        length = int((occurrence.ends_at - occurrence.starts_at).total_seconds() // 60)
        needed = voice_needed(length, setting)

        def came(participant_id: int) -> bool | None:
            what = evidence.get(participant_id)
            minutes = what.minutes(occurrence, now) if what else None
            by_evidence = what is not None and (
                what.checked_in_at is not None
                or (what.in_voice and (minutes is None or minutes >= needed))
            )
            mark = marks.get(participant_id)
            return outcome_of(by_evidence, mark.mark if mark else None)

        by_id = {p.id: p for p in people}
        cities = []
        for city in exchange.cities:
            students = [
                p for p in by_id.values() if p.role is Role.STUDENT and p.city_id == city.id
            ]
            present = sorted(p.display_name for p in students if came(p.id))
            absent = sorted(
                p.display_name
                for p in students
                if came(p.id) is False and (p.status == "active" or p.id in marks)
            )
            excused = sorted(p.display_name for p in students if came(p.id) is None)
            teachers = sum(
                1
                for p in by_id.values()
                if p.role in STAFF_ROLES and p.city_id == city.id and p.id in evidence
            )
            cities.append(
                CityAttendance(city.name, tuple(present), tuple(absent), teachers, tuple(excused))
            )
        return Summary(
            title,
            occurrence.starts_at,
            tuple(cities),
            detailed,
            languages_of(exchange),
            occurrence.id,
            occurrence.ends_at,
            zones_of(exchange),
        )

    async def check_in(self, actor: Actor, occurrence_id: int) -> CheckIn:
        """A participant presses "Check in": counted once, and only while the session is on."""
        now = self.clock.now()
        async with self.db.read() as conn:
            occurrence = await store.occurrence(conn, occurrence_id)
            series = await store.by_id(conn, occurrence.session_id) if occurrence else None
            if occurrence is None or series is None or series.guild_id != actor.guild_id:
                raise NotFoundError("error.session_unknown")
            me = await roster.find(conn, series.exchange_id, actor.user_id)
        if me is None or me.status == "removed":
            raise UserError("error.checkin_not_participant")
        if occurrence.status in CALLED_OFF:
            raise UserError("error.checkin_cancelled")
        if now < occurrence.starts_at:
            raise UserError("error.checkin_not_open", start=int(occurrence.starts_at.timestamp()))
        if now > occurrence.ends_at:
            raise UserError("error.checkin_closed", end=int(occurrence.ends_at.timestamp()))
        async with self.db.transaction() as conn:
            seen = await store.record_attendance(
                conn, occurrence=occurrence, participant_id=me.id, method="button", now=now
            )
            if seen is None:
                await audit(
                    conn,
                    By(series.guild_id, actor.user_id),
                    "session.checked_in",
                    at=now,
                    exchange_id=series.exchange_id,
                    session=series.id,
                    occurrence=occurrence.starts_at.isoformat(),
                )
        return CheckIn(series.title, seen or now, seen is not None)

    async def voice_seen(self, guild_id: int, user_id: int, channel_id: int) -> int:
        """Someone is in a voice or stage channel: count them for sessions under way there."""
        now = self.clock.now()
        recorded = 0
        async with self.db.transaction() as conn:
            for series, occurrence in await store.in_window(conn, guild_id, channel_id, now):
                me = await roster.find(conn, series.exchange_id, user_id)
                if me is None or me.status == "removed":
                    continue
                seen = await store.record_attendance(
                    conn, occurrence=occurrence, participant_id=me.id, method="voice", now=now
                )
                # Minutes count from joining to leaving (or the session's end).
                await store.voice_joined(conn, occurrence, me.id, now)
                if seen is None:
                    recorded += 1
                    await audit(
                        conn,
                        By(guild_id, user_id),
                        "session.present",
                        at=now,
                        exchange_id=series.exchange_id,
                        session=series.id,
                        occurrence=occurrence.starts_at.isoformat(),
                        channel=channel_id,
                    )
        return recorded

    async def voice_gone(self, guild_id: int, user_id: int, channel_id: int) -> None:
        """Someone left a voice or stage channel: their minutes at sessions there stop."""
        now = self.clock.now()
        async with self.db.transaction() as conn:
            for series, occurrence in await store.in_window(conn, guild_id, channel_id, now):
                me = await roster.find(conn, series.exchange_id, user_id)
                if me is not None:
                    await store.voice_left(conn, occurrence, now, me.id)

    async def voice_only(self, guild_id: int, channel_id: int, user_ids: Sequence[int]) -> None:
        """Only these people are in the channel now: the stays of anyone else end now (they
        left while the bot was not listening)."""
        now = self.clock.now()
        here = set(user_ids)
        async with self.db.transaction() as conn:
            for _series, occurrence in await store.in_window(conn, guild_id, channel_id, now):
                for participant_id, user_id in await store.in_voice(conn, occurrence.id):
                    if user_id not in here:
                        await store.voice_left(conn, occurrence, now, participant_id)

    async def catch_up(self, port_for: Callable[[int], SessionPort | None]) -> None:
        """Bring every series up to date after a start or a new gateway session (idempotent).

        Occurrences that ended while the bot was away beyond the grace window are closed (their
        summary was missed, as the scheduler records); each series' horizon is extended, its next
        Discord event made, and people already in a session's voice channel are counted.
        """
        now = self.clock.now()
        async with self.db.read() as conn:
            every = await store.active(conn)
        for series in every:
            port = port_for(series.guild_id)
            if port is None:
                continue
            async with self.db.read() as conn:
                live = await store.occurrences(conn, series.id, statuses=LIVE)
            for occurrence in live:
                if occurrence.ends_at < now - self.grace:
                    await self.finish(series, occurrence, port)
            async with self.db.transaction() as conn:
                await extend(conn, series, now)
            await self.scheduler.rearm()
            await self.plans.sync_event(series.id, port)
            if series.channel_id is not None:
                for occurrence in live:
                    if (
                        occurrence.status == OccurrenceStatus.STARTED
                        and occurrence.starts_at <= now <= occurrence.ends_at
                    ):
                        present = await port.voice_members(series.channel_id)
                        # Whoever left while the bot was away stops counting now.
                        await self.voice_only(series.guild_id, series.channel_id, present)
                        for user_id in present:
                            await self.voice_seen(series.guild_id, user_id, series.channel_id)
                        break
