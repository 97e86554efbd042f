"""Staff act only where they belong: every staff command and component, three ways.

Each staff action is run by Ms Rivera, a teacher of exchange A, on exchange A (allowed), on
exchange B of the same server (refused, nothing changed), and by Mx Adler, who has the teacher
role but joined no exchange, on exchange A (refused, nothing changed). "On B" means B's own
things: B named as the exchange, or B's student, session, report or game, whichever the action
takes. Coordinators are staff of every exchange of their server (README: they create them).

A staff command or component added later must be listed here: the classification tests fail
until it is.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from bot.app import EXTENSIONS
from bot.i18n import lookup, t
from bot.sandbox.driver import Reply, Sandbox, Upload, iter_components
from bot.sandbox.state import Member
from bot.store import roster
from bot.store.schema import (
    pairing_rounds,
    participants,
    partnerships,
    session_occurrences,
    sessions,
    surveys,
)
from cogs.common.components import item_routes
from cogs.pairing.pages import HistoryPageButton, PreviewPageButton
from cogs.pairing.rounds import ConfirmDueRound, SkipDueRound
from cogs.reporting.outside import RevokeLink
from cogs.roster.consent import EndPairForConsent
from cogs.roster.pages import ListedPeople, ListedStatus, MarksPageButton, RosterPageButton
from cogs.roster.removal import RemoveConfirm
from cogs.safety.components import Action as ReportButton
from cogs.safety.components import ReportAction
from cogs.sessions.components import ConfirmMove, EndSeries, PreviewPage
from cogs.sessions.rollcall import MarkRest, MarkSelect, OpenRollCall, RollPage
from tests.sandbox.scope_world import (
    Scope,
    Side,
    database_state,
    discord_state,
    in_league,
    league_playing,
    linked,
    own_prompt,
    paired,
    paused_space,
    playing,
    published,
    reported,
    scheduled,
    two_exchanges,
)
from tests.sandbox.test_audit import EVERYONE, READS, STAFF_ACTIONS, registered
from tests.sandbox.world import make_world

Setup = Callable[[Side], Awaitable[None]]
# What a person does, once everything it needs is ready (one interaction).
Act = Callable[[], Awaitable[Reply]]
# Get ready for `actor` to act on `side`; returns the act.
Run = Callable[[Scope, Member, Side], Awaitable[Act]]

NOT_STAFF_HERE = "error.not_staff_here"


@dataclass(frozen=True)
class StaffAction:
    """One staff command or component: how to run it on a side, and what it answers."""

    run: Run
    needs: tuple[Setup, ...] = ()
    ok: str = ""  # in the answer when allowed
    refusal: str = NOT_STAFF_HERE  # the answer's key when refused


# -- helpers ---------------------------------------------------------------------------------------


async def first_start(sb: Sandbox, side: Side) -> datetime:
    async with sb.bot.ctx.db.read() as conn:
        found = await conn.scalar(
            select(sessions.c.starts_at).where(sessions.c.id == side.session_id)
        )
    assert found is not None
    return found.replace(tzinfo=UTC) if found.tzinfo is None else found


async def forged(scope: Scope, actor: Member, custom_id: str) -> Act:
    """A button with this custom_id on a message of `actor`'s (as a modified client could
    send any): pressing it is the act."""
    sb = scope.sb
    carrier = await sb.command(actor, "about")
    assert carrier.message is not None
    carrier.message.components = [
        {
            "type": 1,
            "components": [{"type": 2, "style": 1, "label": "Go", "custom_id": custom_id}],
        }
    ]
    return lambda: sb.click(actor, carrier, "Go")


def cmd(path: str, **build: Callable[[Side], object]) -> Run:
    """`/path` with options computed from the side."""

    async def run(scope: Scope, actor: Member, side: Side) -> Act:
        options = {name: make(side) for name, make in build.items()}
        return lambda: scope.sb.command(actor, path, **options)

    return run


def exchange(side: Side) -> int:
    return side.exchange_id


async def break_added(side: Side) -> None:
    """The side's first city is off for the first week of November 2026."""
    reply = await side.sb.command(
        side.teacher,
        "exchange break add",
        city=side.cities[0],
        start="2026-11-02",
        end="2026-11-06",
        exchange=side.exchange_id,
    )
    found = re.search(r"#(\d+)", reply.text)
    assert found, reply.text
    side.break_id = int(found.group(1))


async def round_due(side: Side) -> None:
    """The side's pairs were made a week ago; its teacher puts rounds on a schedule from today,
    so a round is due today (its preview's buttons are the act)."""
    sb = side.sb
    async with sb.bot.ctx.db.transaction() as conn:
        await conn.execute(
            update(pairing_rounds)
            .where(pairing_rounds.c.partnership_id == side.exchange_id)
            .values(created_at=sb.now() - timedelta(days=7))
        )
    reply = await sb.command(side.teacher, "pair cadence", every="2", exchange=side.exchange_id)
    assert "Next due" in reply.text, reply.text


def due_button(button: type[ConfirmDueRound] | type[SkipDueRound]) -> Run:
    """Confirm or Skip under the side's due round (as posted in the teachers' channel)."""

    async def run(scope: Scope, actor: Member, side: Side) -> Act:
        today = scope.sb.now().astimezone(ZoneInfo("America/Chicago")).date().isoformat()
        custom_id = button.custom_id_for(exchange=side.exchange_id, due=today)
        return await forged(scope, actor, custom_id)

    return run


async def end_pair_for_consent(scope: Scope, actor: Member, side: Side) -> Act:
    """End this pair, under the notice that the side's first student's consent was withdrawn."""
    custom_id = EndPairForConsent.custom_id_for(
        exchange=side.exchange_id, student=side.student(0).user.id
    )
    return await forged(scope, actor, custom_id)


async def keep_apart_marked(side: Side) -> None:
    await side.sb.command(
        side.teacher,
        "roster keep-apart add",
        first=side.student(0),
        second=side.student(1),
        exchange=side.exchange_id,
    )


async def retired_prompt(side: Side) -> None:
    await side.sb.command(
        side.teacher, "prompt retire", prompt="daily.morning", exchange=side.exchange_id
    )


async def report_paused(side: Side) -> None:
    await side.sb.click(side.teacher, side.sb.last_message(side.teachers_channel), "Pause space")


async def roster_import(scope: Scope, actor: Member, side: Side) -> Act:
    newcomer = scope.sb.add_member(f"New {side.names[0]}", roles=[scope.world.students_role])
    text = f"user,city,grade_band,languages\n{newcomer.user.id},{side.cities[0]},13-15,en\n"
    upload = Upload("class.csv", text.encode())
    return lambda: scope.sb.command(actor, "roster import", file=upload, exchange=side.exchange_id)


async def session_cancel_one(scope: Scope, actor: Member, side: Side) -> Act:
    start = await first_start(scope.sb, side)
    return lambda: scope.sb.command(
        actor,
        "session cancel",
        session=side.session_id,
        occurrence=str(int(start.timestamp())),
    )


async def session_move(scope: Scope, actor: Member, side: Side) -> Act:
    start = await first_start(scope.sb, side)
    return lambda: scope.sb.command(
        actor,
        "session move",
        session=side.session_id,
        occurrence=str(int(start.timestamp())),
        date="2026-10-07",
        time="16:00",
    )


async def ask_schedule(sb: Sandbox, actor: Member, side: Side) -> Reply:
    return await sb.command(
        actor,
        "session schedule",
        start="2026-10-13",
        time="15:00",
        repeat="once",
        exchange=side.exchange_id,
        title="Extra call",
    )


async def session_schedule(scope: Scope, actor: Member, side: Side) -> Act:
    return lambda: ask_schedule(scope.sb, actor, side)


async def drafted(side: Side) -> None:
    """The side's teacher previews a schedule: its Schedule and Discard buttons are theirs."""
    reply = await ask_schedule(side.sb, side.teacher, side)
    side.preview = reply.followups[-1] if reply.followups else reply.message


def draft_button(label: str) -> Run:
    """A button under the side's preview, which only the teacher who asked may use."""

    async def run(scope: Scope, actor: Member, side: Side) -> Act:
        assert side.preview is not None
        preview = side.preview
        return lambda: scope.sb.click(actor, preview, label)

    return run


async def preview_turn(scope: Scope, actor: Member, side: Side) -> Act:
    """Another page of the side's preview (a once-only draft has one: a forged ▶ to it)."""
    assert side.preview is not None
    confirm = next(c for c in iter_components(side.preview.components) if c.get("custom_id"))
    draft = int(str(confirm["custom_id"]).rsplit(":", 1)[1])
    return await forged(scope, actor, PreviewPage.custom_id_for(draft=draft, page=1))


async def confirm_move(scope: Scope, actor: Member, side: Side) -> Act:
    start = await first_start(scope.sb, side)
    to = datetime(2026, 10, 7, 21, tzinfo=UTC)
    custom_id = ConfirmMove.custom_id_for(
        session=side.session_id, original=int(start.timestamp()), to=int(to.timestamp())
    )
    return await forged(scope, actor, custom_id)


async def end_series(scope: Scope, actor: Member, side: Side) -> Act:
    return await forged(scope, actor, EndSeries.custom_id_for(session=side.session_id))


async def roster_page(scope: Scope, actor: Member, side: Side) -> Act:
    custom_id = RosterPageButton.custom_id_for(
        exchange=side.exchange_id,
        page=1,
        city=0,
        status=ListedStatus.CURRENT,
        band="-",
        people=ListedPeople.STUDENT,
    )
    return await forged(scope, actor, custom_id)


async def marks_page(scope: Scope, actor: Member, side: Side) -> Act:
    custom_id = MarksPageButton.custom_id_for(exchange=side.exchange_id, page=1)
    return await forged(scope, actor, custom_id)


async def remove_confirm(scope: Scope, actor: Member, side: Side) -> Act:
    custom_id = RemoveConfirm.custom_id_for(
        owner=actor.user.id,
        exchange=side.exchange_id,
        student=side.student(0).user.id,
    )
    return await forged(scope, actor, custom_id)


async def preview_page(scope: Scope, actor: Member, side: Side) -> Act:
    custom_id = PreviewPageButton.custom_id_for(exchange=side.exchange_id, page=1)
    return await forged(scope, actor, custom_id)


async def history_page(scope: Scope, actor: Member, side: Side) -> Act:
    custom_id = HistoryPageButton.custom_id_for(exchange=side.exchange_id, page=1)
    return await forged(scope, actor, custom_id)


def report_button(action: ReportButton) -> Run:
    """A button under the side's report (as posted in the teachers' channel, which every
    teacher of the server can read)."""

    async def run(scope: Scope, actor: Member, side: Side) -> Act:
        assert side.report_id is not None
        custom_id = ReportAction.custom_id_for(report=side.report_id, action=action)
        return await forged(scope, actor, custom_id)

    return run


async def begun(side: Side) -> None:
    """The first sessions (15:00 in Minneapolis and in Kumasi) have begun, once every exchange
    of the server has its series (the clock moves once, after the last side's setup)."""
    sb = side.sb
    async with sb.bot.ctx.db.read() as conn:
        exchanges = await conn.scalar(select(func.count()).select_from(partnerships))
        scheduled = await conn.scalar(
            select(func.count(func.distinct(sessions.c.partnership_id))).where(
                sessions.c.status == "active"
            )
        )
    when = datetime(2026, 10, 6, 20, 5, tzinfo=UTC)
    if scheduled == exchanges and sb.now() < when:
        await sb.advance_to(when)


async def first_occurrence(sb: Sandbox, side: Side) -> int:
    async with sb.bot.ctx.db.read() as conn:
        found = await conn.scalar(
            select(session_occurrences.c.id)
            .where(session_occurrences.c.session_id == side.session_id)
            .order_by(session_occurrences.c.starts_at)
            .limit(1)
        )
    assert found is not None
    return int(found)


async def roll_call_button(scope: Scope, actor: Member, side: Side, key: str) -> Act:
    """A roll call button of the side's first session and first city, forged."""
    occurrence = await first_occurrence(scope.sb, side)
    where = {"occurrence": occurrence, "city": side.city_ids[0], "page": 0}
    if key == "open":
        return await forged(scope, actor, OpenRollCall.custom_id_for(occurrence=occurrence))
    made = {"rest": MarkRest, "page": RollPage}[key]
    return await forged(scope, actor, made.custom_id_for(**where))


def roll_call(key: str) -> Run:
    async def run(scope: Scope, actor: Member, side: Side) -> Act:
        return await roll_call_button(scope, actor, side, key)

    return run


async def roll_call_mark(scope: Scope, actor: Member, side: Side) -> Act:
    """The roll call's "present" select of the side's first session, with its first student,
    forged on a message of `actor`'s."""
    sb = scope.sb
    occurrence = await first_occurrence(sb, side)
    async with sb.bot.ctx.db.read() as conn:
        student = await conn.scalar(
            select(participants.c.id).where(
                participants.c.partnership_id == side.exchange_id,
                participants.c.user_id == side.student(0).user.id,
            )
        )
    custom_id = MarkSelect.custom_id_for(
        occurrence=occurrence, city=side.city_ids[0], page=0, mark="present"
    )
    carrier = await sb.command(actor, "about")
    assert carrier.message is not None
    carrier.message.components = [
        {
            "type": 1,
            "components": [
                {
                    "type": 3,
                    "custom_id": custom_id,
                    "options": [{"label": "Student", "value": str(student)}],
                    "min_values": 1,
                    "max_values": 1,
                }
            ],
        }
    ]
    return lambda: sb.choose(actor, carrier, [str(student)], custom_id=custom_id)


async def revoke_link(scope: Scope, actor: Member, side: Side) -> Act:
    """Revoke, under `/report links`, for the side's teacher's link."""
    assert side.link_id is not None
    return await forged(scope, actor, RevokeLink.custom_id_for(link=side.link_id))


async def surveyed(side: Side) -> None:
    """The side's teacher created a pre survey from the template (not sent)."""
    await side.sb.command(
        side.teacher, "survey create", title="Before", kind="pre", exchange=side.exchange_id
    )


def survey_cmd(path: str, **options: object) -> Run:
    """`/path` on the side's newest survey."""

    async def run(scope: Scope, actor: Member, side: Side) -> Act:
        async with scope.sb.bot.ctx.db.read() as conn:
            survey = await conn.scalar(
                select(func.max(surveys.c.id)).where(surveys.c.partnership_id == side.exchange_id)
            )
        assert survey is not None
        return lambda: scope.sb.command(actor, path, survey=survey, **options)

    return run


# -- the matrix ---------------------------------------------------------------------------------

COMMANDS: dict[str, StaffAction] = {
    "roster list": StaffAction(cmd("roster list", exchange=exchange), (paired,), "**Ben**"),
    "roster remove": StaffAction(
        cmd("roster remove", student=lambda s: s.student(0), exchange=exchange),
        (paired,),
        "Remove **Ben**",
    ),
    "roster move": StaffAction(
        cmd(
            "roster move",
            student=lambda s: s.paused_student,
            city=lambda s: s.cities[0],
            exchange=exchange,
        ),
        (paired,),
        "Omar",
    ),
    "roster pause": StaffAction(
        cmd("roster pause", student=lambda s: s.student(0), exchange=exchange), (paired,), "Ben"
    ),
    "roster resume": StaffAction(
        cmd("roster resume", student=lambda s: s.paused_student, exchange=exchange),
        (paired,),
        "Omar",
    ),
    "roster import": StaffAction(roster_import, (paired,), "1 student imported"),
    "roster export": StaffAction(cmd("roster export", exchange=exchange), (paired,), "as CSV"),
    "survey create": StaffAction(
        cmd("survey create", title=lambda s: "Before", kind=lambda s: "pre", exchange=exchange),
        (),
        "Survey #",
    ),
    "survey item": StaffAction(
        survey_cmd("survey item", kind="text", text="Why?"), (surveyed,), "Question 6"
    ),
    "survey send": StaffAction(survey_cmd("survey send"), (paired, surveyed), "posted in 2"),
    "survey close": StaffAction(survey_cmd("survey close"), (surveyed,), "is closed"),
    "survey results": StaffAction(survey_cmd("survey results"), (surveyed,), "no answers yet"),
    "checkins": StaffAction(
        cmd("checkins", days=lambda s: 7, exchange=exchange), (paired,), "7 days after"
    ),
    "roster consent": StaffAction(
        cmd(
            "roster consent",
            student=lambda s: s.student(0),
            on_file=lambda s: False,
            exchange=exchange,
        ),
        (paired,),
        "Consent withdrawn for **Ben**",
    ),
    "roster consent-rule": StaffAction(
        cmd("roster consent-rule", required=lambda s: False, exchange=exchange),
        (paired,),
        "students are paired without consent on file",
    ),
    "roster band": StaffAction(
        cmd(
            "roster band",
            student=lambda s: s.student(0),
            grade_band=lambda s: "16-18",
            exchange=exchange,
        ),
        (paired,),
        "**Ben** is now in the age band 16-18",
    ),
    "roster keep-apart add": StaffAction(
        cmd(
            "roster keep-apart add",
            first=lambda s: s.student(0),
            second=lambda s: s.student(1),
            exchange=exchange,
        ),
        (paired,),
        "Ben",
    ),
    "roster keep-apart remove": StaffAction(
        cmd(
            "roster keep-apart remove",
            first=lambda s: s.student(0),
            second=lambda s: s.student(1),
            exchange=exchange,
        ),
        (paired, keep_apart_marked),
        "Ben",
    ),
    "exchange break add": StaffAction(
        cmd(
            "exchange break add",
            city=lambda s: s.cities[0],
            start=lambda s: "2026-12-21",
            end=lambda s: "2027-01-01",
            exchange=exchange,
        ),
        (paired,),
        "is off from 2026-12-21 to 2027-01-01",
    ),
    "exchange break remove": StaffAction(
        cmd("exchange break remove", number=lambda s: s.break_id, exchange=exchange),
        (paired, break_added),
        "removed",
    ),
    "exchange break list": StaffAction(
        cmd("exchange break list", exchange=exchange),
        (paired, break_added),
        "2026-11-02 → 2026-11-06",
    ),
    "roster keep-apart list": StaffAction(
        cmd("roster keep-apart list", exchange=exchange), (paired, keep_apart_marked), "Ben"
    ),
    "pair preview": StaffAction(cmd("pair preview", exchange=exchange), (paired,), "Groups: 2"),
    "pair cadence": StaffAction(
        cmd("pair cadence", every=lambda s: "4", exchange=exchange), (), "every 4 weeks"
    ),
    "pair confirm": StaffAction(
        cmd("pair confirm", exchange=exchange), (paired,), "paired spaces created"
    ),
    "pair swap": StaffAction(
        cmd(
            "pair swap",
            first=lambda s: s.student(0),
            second=lambda s: s.student(1),
            exchange=exchange,
        ),
        (paired,),
        "Swapped Ben and Maya",
    ),
    "pair remove": StaffAction(
        cmd("pair remove", student=lambda s: s.student(0), exchange=exchange),
        (paired,),
        "Ben's pair has ended",
    ),
    "pair history": StaffAction(cmd("pair history", exchange=exchange), (paired,), "Round 1"),
    "prompt now": StaffAction(
        cmd("prompt now", exchange=exchange), (paired,), "Posted the next prompt in 2"
    ),
    "prompt add": StaffAction(
        cmd("prompt add", english=lambda s: "What is your favourite song?", exchange=exchange),
        (),
        "own-",
    ),
    "prompt edit": StaffAction(
        cmd(
            "prompt edit",
            prompt=lambda s: s.own_prompt,
            spanish=lambda s: "¿Qué cocinaste hoy?",
            exchange=exchange,
        ),
        (own_prompt,),
        "own-",
    ),
    "prompt retire": StaffAction(
        cmd("prompt retire", prompt=lambda s: "daily.morning", exchange=exchange),
        (),
        "daily.morning",
    ),
    "prompt restore": StaffAction(
        cmd("prompt restore", prompt=lambda s: "daily.morning", exchange=exchange),
        (retired_prompt,),
        "daily.morning",
    ),
    "prompt list": StaffAction(
        cmd("prompt list", exchange=exchange), (own_prompt,), "What did Ben cook today?"
    ),
    "prompt stats": StaffAction(
        cmd("prompt stats", exchange=exchange), (paired,), "Prompt response rates"
    ),
    "concerns": StaffAction(cmd("concerns", exchange=exchange), (paired, reported), "Ben"),
    "space pause": StaffAction(
        cmd("space pause", student=lambda s: s.student(0), exchange=exchange),
        (paired,),
        "paused",
    ),
    "space reopen": StaffAction(
        cmd("space reopen", student=lambda s: s.student(3), exchange=exchange),
        (paired, paused_space),
        "open again",
    ),
    "session schedule": StaffAction(session_schedule, (paired,), "Extra call"),
    "session cancel": StaffAction(
        cmd("session cancel", session=lambda s: s.session_id), (paired, scheduled), "Monthly call"
    ),
    "session cancel (one date)": StaffAction(
        session_cancel_one, (paired, scheduled), "Monthly call"
    ),
    "session skip": StaffAction(
        cmd("session skip", session=lambda s: s.session_id), (paired, scheduled), "Monthly call"
    ),
    "session move": StaffAction(session_move, (paired, scheduled), "Moving the session"),
    "session edit": StaffAction(
        cmd("session edit", session=lambda s: s.session_id, title=lambda s: "Renamed call"),
        (paired, scheduled),
        "Renamed call",
    ),
    "session reminders": StaffAction(
        cmd("session reminders", before=lambda s: "2h", exchange=exchange),
        (paired,),
        "2 h before each session",
    ),
    "session suggest": StaffAction(
        cmd("session suggest", exchange=exchange), (), "Times for a session"
    ),
    "session ics": StaffAction(
        cmd("session ics", session=lambda s: s.session_id),
        (paired, scheduled),
        "as a calendar file",
    ),
    "session attendance": StaffAction(
        cmd("session attendance", exchange=exchange),
        (paired, scheduled, begun),
        "Roll call · Monthly call Ben · Minneapolis",
    ),
    "session attendance (one student)": StaffAction(
        cmd(
            "session attendance",
            student=lambda s: s.student(0),
            mark=lambda s: "present",
            exchange=exchange,
        ),
        (paired, scheduled, begun),
        "Ben: marked present.",
    ),
    "session voice-minutes": StaffAction(
        cmd("session voice-minutes", minutes=lambda s: 5, exchange=exchange),
        (),
        "after 5 min",
    ),
    "chess limit": StaffAction(
        cmd("chess limit", games=lambda s: 2, exchange=exchange), (paired,), "2"
    ),
    "chess games": StaffAction(
        cmd("chess games", student=lambda s: s.student(0)), (paired, playing), "Ben"
    ),
    "chess board": StaffAction(
        cmd("chess board", game=lambda s: s.game_id),
        (paired, playing),
        "Ben (Minneapolis)",
        refusal="chess.error.not_player",
    ),
    "chess pgn": StaffAction(
        cmd("chess pgn", game=lambda s: s.game_id),
        (paired, playing),
        "as PGN",
        refusal="chess.error.not_player",
    ),
    "chess standings": StaffAction(
        cmd("chess standings", exchange=exchange),
        (paired,),
        "**Minneapolis 0 – 0 Najaf**",
        refusal="chess.error.not_in_this_exchange",
    ),
    "chess league create": StaffAction(
        cmd("chess league create", exchange=exchange), (paired,), "League #"
    ),
    "chess league round": StaffAction(
        cmd("chess league round", league=lambda s: s.league_id),
        (paired, in_league),
        "Round 1 of 1",
    ),
    "chess league standings": StaffAction(
        cmd("chess league standings", league=lambda s: s.league_id),
        (paired, in_league),
        "Chess league #",
        refusal="chess.error.not_in_this_exchange",
    ),
    "chess league pgn": StaffAction(
        cmd("chess league pgn", match=lambda s: s.match_id),
        (paired, in_league, league_playing),
        "in one PGN file",
        refusal="chess.error.not_in_this_exchange",
    ),
    "report attendance": StaffAction(
        cmd("report attendance", exchange=exchange),
        (paired,),
        "Attendance · Minneapolis–Najaf",
        refusal="error.reporting_join_first",
    ),
    "report exchange": StaffAction(
        cmd("report exchange", exchange=exchange),
        (paired,),
        "figures for funders",
        refusal="error.reporting_join_first",
    ),
    "report student": StaffAction(
        cmd("report student", student=lambda s: s.student(0), exchange=exchange),
        (paired,),
        "Ben",
        refusal="error.reporting_join_first",
    ),
    "report link": StaffAction(
        cmd("report link", exchange=exchange),
        (published,),
        "A read-only page of **Minneapolis–Najaf · Minneapolis**",
        refusal="error.reporting_join_first",
    ),
    "report links": StaffAction(
        cmd("report links", exchange=exchange),
        (published, linked),
        "· Minneapolis · by",
        refusal="error.reporting_join_first",
    ),
}

COMPONENTS: dict[str, StaffAction] = {
    "roster.list": StaffAction(roster_page, (paired,), "**Ben**"),
    "roster.apart": StaffAction(marks_page, (paired, keep_apart_marked), "Ben"),
    "roster.remove": StaffAction(remove_confirm, (paired,), "Ben"),
    "pair.preview": StaffAction(preview_page, (paired,), "Groups: 2"),
    "pair.history": StaffAction(history_page, (paired,), "Round 1"),
    "pair.due_confirm": StaffAction(
        due_button(ConfirmDueRound), (paired, round_due), "Confirmed by"
    ),
    "roster.consent_end": StaffAction(end_pair_for_consent, (paired,), "ended the pair"),
    "pair.due_skip": StaffAction(due_button(SkipDueRound), (paired, round_due), "Skipped by"),
    "report.action (pause)": StaffAction(
        report_button(ReportButton.PAUSE), (paired, reported), "paused"
    ),
    "report.action (reopen)": StaffAction(
        report_button(ReportButton.REOPEN), (paired, reported, report_paused), "open again"
    ),
    "report.action (resolve)": StaffAction(
        report_button(ReportButton.RESOLVE), (paired, reported), "resolved"
    ),
    "session.schedule": StaffAction(
        draft_button("Schedule"), (paired, drafted), "Extra call", "error.session_not_yours"
    ),
    "session.discard": StaffAction(
        draft_button("Cancel"),
        (paired, drafted),
        "Nothing was scheduled",
        "error.session_not_yours",
    ),
    "session.preview_page": StaffAction(
        preview_turn, (paired, drafted), "Extra call", "error.session_not_yours"
    ),
    "session.move": StaffAction(confirm_move, (paired, scheduled), "Moved: **Monthly call"),
    "session.end": StaffAction(end_series, (paired, scheduled), "3 upcoming sessions removed"),
    "dashboard.revoke": StaffAction(
        revoke_link, (published, linked), "is revoked: it no longer opens anything"
    ),
    "rollcall.open": StaffAction(
        roll_call("open"), (paired, scheduled, begun), "Roll call · Monthly call Ben"
    ),
    "rollcall.page": StaffAction(
        roll_call("page"), (paired, scheduled, begun), "Roll call · Monthly call Ben"
    ),
    "rollcall.rest": StaffAction(
        roll_call("rest"), (paired, scheduled, begun), "Marked by a teacher: 2 of 2"
    ),
    "rollcall.mark": StaffAction(
        roll_call_mark, (paired, scheduled, begun), "Marked by a teacher: 1 of 2"
    ),
}
# Staff components bound to no exchange: they change nothing (cancel, keep as it is).
UNBOUND = {"roster.remove_cancel", "session.keep"}
# Coordinators' (and admins') own: no teacher may use them, in any exchange.
COORDINATORS_ONLY = {
    "exchange create",
    "exchange roles",
    "exchange channels",
    "exchange holidays",
    "exchange city",  # add, edit and remove (a group: its subcommands are tested below)
    "exchange policy",
    "exchange end",
    "privacy export",
    "privacy erase",
    "report digest",
    # The directory of cities seeking cities: server-wide, coordinators only.
    "seek post",
    "seek edit",
    "seek pause",
    "seek remove",
    "seek mine",
    "seek find",
    "seek introduce",
    "seek block",
    "seek report",
}
COORDINATOR_COMPONENTS = {
    "exchange.end",
    "exchange.end_cancel",
    "privacy.erase",
    "privacy.cancel",
    "seek.accept",
    "seek.decline",
}
# Everyone's components: students' own panels, reports, chess, check-in.
EVERYONE_COMPONENTS = {
    "chess.accept",
    "chess.decline",
    "chess.move",
    "chess.piece",
    "chess.to",
    "chess.promote",
    "chess.back",
    "chess.draw",
    "chess.draw.accept",
    "chess.draw.decline",
    "chess.claim",
    "chess.resign",
    "chess.resign.confirm",
    "join.language",
    "join.band",
    "join.languages",
    "join.interests",
    "join.continue",
    "join.save",
    "join.cancel",
    "profile.edit",
    "profile.status",
    "report.reason",
    "report.details",
    "session.checkin",
    "meet.answer",
    # A student's survey, answered privately (refused to anyone it was not sent to).
    "survey.start",
    "survey.scale",
    "survey.choice",
    "survey.change",
    "survey.write",
}


def command_paths() -> set[str]:
    return {name.split(" (")[0] for name in COMMANDS}


def component_keys() -> set[str]:
    return {name.split(" (")[0] for name in COMPONENTS}


def test_every_staff_command_is_in_the_matrix() -> None:
    """The audit test's staff actions and reads, less what only coordinators or everyone use."""
    staff = (set(STAFF_ACTIONS) | READS) - COORDINATORS_ONLY - {"about", "exchange info"}
    staff -= {"session list"}  # anyone may look at the schedule
    # Groups of subcommands are audited by their adding command; their others are staff's too.
    expected = {
        p.replace("roster keep-apart", "roster keep-apart add")
        .replace("exchange break", "exchange break add")
        .replace("chess league", "chess league create")
        for p in staff
    }
    expected |= {"roster keep-apart remove", "roster keep-apart list"}
    expected |= {"exchange break remove", "exchange break list"}
    # A student's `chess league join` is theirs; the rest of the group is staff's (to read,
    # the exchange's students too).
    expected |= {"chess league round", "chess league standings", "chess league pgn"}
    assert command_paths() == expected
    assert not command_paths() & EVERYONE


def ours(route: type) -> bool:
    """A component class of the bot (a legacy route stands for the class it was made for)."""
    return (getattr(route, "legacy_of", None) or route).__module__.startswith("cogs.")


def test_every_component_is_classified() -> None:
    """Every restart-proof component is in the matrix, unbound, coordinators' or everyone's."""
    for extension in EXTENSIONS:
        importlib.import_module(extension)
    # The bot's own (test modules may have registered probes in this process).
    keys = {getattr(r, "key", "") for r in item_routes() if ours(r)}
    known = component_keys() | UNBOUND | COORDINATOR_COMPONENTS | EVERYONE_COMPONENTS
    assert keys == known, f"unclassified: {sorted(keys - known)}; gone: {sorted(known - keys)}"


async def test_the_matrix_names_registered_commands(sb: Sandbox) -> None:
    """Each command of the matrix is one the bot registers."""
    assert command_paths() <= registered(sb) | {
        "roster keep-apart add",
        "roster keep-apart remove",
        "roster keep-apart list",
        "exchange break add",
        "exchange break remove",
        "exchange break list",
        "chess league create",
        "chess league round",
        "chess league standings",
        "chess league pgn",
    }


async def prepare(sb: Sandbox, action: StaffAction) -> Scope:
    scope = await two_exchanges(sb)
    for side in (scope.a, scope.b):
        for setup in action.needs:
            await setup(side)
    await sb.idle()
    return scope


def says(key: str, text: str) -> bool:
    """Whether `text` has the English message `key`, whatever its parameters."""
    template = lookup(key, "en")
    assert template is not None, key
    pattern = ".*".join(re.escape(part) for part in re.split(r"\{[^}]*\}", template))
    return re.search(pattern, text, re.S) is not None


async def refused(scope: Scope, action: StaffAction, actor: Member, side: Side) -> None:
    sb = scope.sb
    act = await action.run(scope, actor, side)
    database, discord = await database_state(sb), discord_state(sb)
    reply = await act()
    assert says(action.refusal, reply.text), reply.text
    assert not reply.files, "a refusal attaches nothing"
    assert await database_state(sb) == database, "a refusal changes nothing in the database"
    assert discord_state(sb) == discord, "a refusal changes nothing in Discord"


async def allowed(scope: Scope, action: StaffAction) -> None:
    reply = await (await action.run(scope, scope.a.teacher, scope.a))()
    text = reply.text
    for key in (NOT_STAFF_HERE, action.refusal, "error.only_teacher", "error.generic"):
        assert not says(key, text), text
    assert action.ok in text, text


@pytest.mark.parametrize("name", sorted(COMMANDS) + sorted(COMPONENTS))
async def test_staff_act_only_in_their_own_exchange(sb: Sandbox, name: str) -> None:
    """Refused on B and for a teacher of no exchange, nothing changed; allowed on their own."""
    action = COMMANDS.get(name) or COMPONENTS[name]
    scope = await prepare(sb, action)
    await refused(scope, action, scope.a.teacher, scope.b)
    await refused(scope, action, scope.lone, scope.a)
    await allowed(scope, action)


# -- coordinators, defaults, the other city ----------------------------------------------------


async def test_coordinators_act_in_every_exchange_of_their_server(sb: Sandbox) -> None:
    """Dr Baker (coordinator role, joined nowhere) runs staff actions on both exchanges."""
    scope = await two_exchanges(sb)
    for side in (scope.a, scope.b):
        await paired(side)
        await reported(side)
    coordinator = scope.world.coordinator
    for side in (scope.a, scope.b):
        listed = await sb.command(coordinator, "roster list", exchange=side.exchange_id)
        assert f"**{side.names[0]}**" in listed.text
        concerns = await sb.command(coordinator, "concerns", exchange=side.exchange_id)
        assert side.names[0] in concerns.text
        paused = await sb.command(
            coordinator, "space pause", student=side.student(0), exchange=side.exchange_id
        )
        assert "is paused" in paused.text


async def test_dashboard_links_coordinators_every_exchange_s_teachers_their_own(
    sb: Sandbox,
) -> None:
    """Dr Baker lists each exchange's links (only that exchange's) and revokes B's; Ustadh
    Kareem, a teacher of A, may not revoke Ms Rivera's link of A."""
    scope = await two_exchanges(sb)
    for side in (scope.a, scope.b):
        await published(side)
        await linked(side)
    coordinator = scope.world.coordinator
    for side, other in ((scope.a, scope.b), (scope.b, scope.a)):
        listed = await sb.command(coordinator, "report links", exchange=side.exchange_id)
        assert f"**#{side.link_id}**" in listed.text, listed.text
        assert f"**#{other.link_id}**" not in listed.text, listed.text
    assert scope.a.link_id is not None and scope.b.link_id is not None
    kareem = scope.world.partner_teacher
    act = await forged(scope, kareem, RevokeLink.custom_id_for(link=scope.a.link_id))
    database = await database_state(sb)
    refused = await act()
    assert t("dashboard.error.not_yours", "ar") in refused.text, refused.text
    assert await database_state(sb) == database
    listed = await sb.command(coordinator, "report links", exchange=scope.b.exchange_id)
    done = await sb.click(coordinator, listed, f"Revoke #{scope.b.link_id}")
    assert says("dashboard.revoked", done.text), done.text


# A group of coordinators' commands stands for its subcommands.
CITY_COMMANDS = {"exchange city add", "exchange city edit", "exchange city remove"}


@pytest.mark.parametrize(
    "path", sorted((COORDINATORS_ONLY - {"exchange roles", "exchange city"}) | CITY_COMMANDS)
)
async def test_teachers_cannot_use_coordinators_commands_even_in_their_exchange(
    sb: Sandbox, path: str
) -> None:
    """Creating, ending, setting channels, exporting and erasing stay the coordinators'."""
    scope = await two_exchanges(sb)
    await paired(scope.a)
    options: dict[str, object] = {
        "exchange create": {
            "name": "Third",
            "city_a": "Ames",
            "zone_a": "America/Chicago",
            "languages_a": "en",
            "city_b": "Basra",
            "zone_b": "Asia/Baghdad",
            "languages_b": "ar",
        },
        "exchange channels": {
            "announcements": scope.a.announcements,
            "teachers": scope.a.teachers_channel,
            "exchange": scope.a.exchange_id,
        },
        "exchange end": {"exchange": scope.a.exchange_id},
        "exchange holidays": {"city": "Najaf", "region": "US", "exchange": scope.a.exchange_id},
        "exchange city add": {
            "city": "Kumasi",
            "zone": "Africa/Accra",
            "languages": "en",
            "exchange": scope.a.exchange_id,
        },
        "exchange city edit": {
            "city": "Najaf",
            "weekend": "sat,sun",
            "exchange": scope.a.exchange_id,
        },
        "exchange city remove": {"city": "Najaf", "exchange": scope.a.exchange_id},
        "exchange policy": {"policy": "any", "exchange": scope.a.exchange_id},
        "privacy export": {"student": scope.a.student(0)},
        "privacy erase": {"student": scope.a.student(0)},
        "report digest": {"state": "on", "exchange": scope.a.exchange_id},
        "seek post": {
            "city": "Ames",
            "zone": "America/Chicago",
            "languages": "en",
            "ages": "13-15",
            "class_size": 20,
        },
        "seek edit": {"class_size": 21},
        "seek pause": {},
        "seek remove": {},
        "seek mine": {},
        "seek find": {},
        "seek introduce": {"listing": 1},
        "seek block": {"listing": 1},
        "seek report": {"listing": 1, "reason": "spam"},
    }[path]
    sb.bot.ctx.settings.directory = "on"
    database = await database_state(sb)
    reply = await sb.command(scope.a.teacher, path, **options)  # type: ignore[arg-type]
    assert says("error.only_coordinator", reply.text), reply.text
    assert await database_state(sb) == database


async def test_a_teacher_s_own_exchange_is_the_default(sb: Sandbox) -> None:
    """With two exchanges in the server, a command naming none acts on the teacher's own."""
    scope = await two_exchanges(sb)
    for side in (scope.a, scope.b):
        await paired(side)
    mine = await sb.command(scope.b.teacher, "roster list")
    assert "**Will**" in mine.text and "**Ben**" not in mine.text
    lone = await sb.command(scope.lone, "roster list")
    assert says("error.choose_exchange", lone.text), lone.text


async def test_a_teacher_of_no_exchange_is_refused_the_only_exchange(sb: Sandbox) -> None:
    """In a server with one exchange, a teacher who never joined it is told to join."""
    world = await make_world(sb)
    await world.add_student("Ben", 0)
    newcomer = sb.add_member("Mr Lee", roles=[world.teachers_role])
    reply = await sb.command(newcomer, "roster list")
    assert says(NOT_STAFF_HERE, reply.text) and "Ben" not in reply.text
    await sb.command(newcomer, "join", city="Najaf")
    assert "**Ben**" in (await sb.command(newcomer, "roster list")).text


async def test_a_teacher_taken_off_the_roster_is_staff_no_more(sb: Sandbox) -> None:
    """A teacher removed from the exchange's roster keeps the Discord role but not the power."""
    scope = await two_exchanges(sb)
    await paired(scope.a)
    async with sb.bot.ctx.db.transaction() as conn:
        me = await roster.find(conn, scope.a.exchange_id, scope.a.teacher.user.id)
        assert me is not None
        await roster.update_profile(conn, me.id, sb.now(), status="removed")
    reply = await sb.command(scope.a.teacher, "pair preview", exchange=scope.a.exchange_id)
    assert says(NOT_STAFF_HERE, reply.text), reply.text


async def test_the_other_city_s_teacher_keeps_what_the_readme_allows(sb: Sandbox) -> None:
    """Ustadh Kareem (Najaf) pauses a Minneapolis student's space and lists the whole roster;
    reports stay per city."""
    scope = await two_exchanges(sb)
    await paired(scope.a)
    kareem = scope.world.partner_teacher
    ben = scope.a.student(0)
    listed = await sb.command(kareem, "roster list", exchange=scope.a.exchange_id)
    assert "**Ben**" in listed.text and "**Ali**" in listed.text
    paused = await sb.command(kareem, "space pause", student=ben, exchange=scope.a.exchange_id)
    assert t("error.not_staff_here", "ar") not in paused.text
    assert sb.guild.channels[scope.a.space_of(ben).id].overwrites != []
    report = await sb.command(kareem, "report student", student=ben)
    assert t("error.reporting_own_city", "ar", city="Najaf") in report.text
