"""The database busy for seconds: every command and component is acknowledged within Discord's
3 seconds, then answered with its outcome, or told to try again with nothing half written.

"Held" is a real SQLite write lock taken by another connection, with the bot's reads made to
wait too (WAL readers are never blocked by SQLite itself; a slow disk or a backup blocks them).
The catalogue is every registered command and every restart-proof component and form: the
classification tests fail when one is added without a row here or in the staff matrix.
"""

from __future__ import annotations

import asyncio
import importlib
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import EXTENSIONS
from bot.i18n import t
from bot.limits import ACKNOWLEDGE_WITHIN
from bot.sandbox.driver import Reply, Sandbox
from bot.sandbox.state import Member, Message
from bot.store.schema import chess_games, participants, prompts
from cogs.chess.components import ClaimDrawButton, PromoteButton
from cogs.common.components import _MODAL_ROUTES, item_routes
from cogs.join.card import SetOwnStatus
from cogs.survey.answering import scale_label
from tests.sandbox.directory_world import directory_listed, request_from_elsewhere
from tests.sandbox.held import (
    DEFERRED,
    HeldDatabase,
    all_while_held,
    hold_database,
    while_held,
)
from tests.sandbox.roster_steps import choose_profile
from tests.sandbox.scope_world import (
    SESSION_START,
    Scope,
    in_league,
    one_exchange,
    paired,
    playing,
    published,
    reported,
    scheduled,
)
from tests.sandbox.test_audit import registered
from tests.sandbox.test_staff_scope import (
    COMMANDS,
    COMPONENTS,
    Act,
    command_paths,
    forged,
    ours,
)

Setup = Callable[[Scope], Awaitable[None]]
Ready = Callable[[Scope], Awaitable[Act]]


@dataclass(frozen=True)
class Everyone:
    """A command, component or form that is not (only) staff's: how to get it ready."""

    ready: Ready
    needs: tuple[Setup, ...] = ()


# -- getting things ready ------------------------------------------------------------------------


async def a_paired(scope: Scope) -> None:
    await paired(scope.a)


async def a_playing(scope: Scope) -> None:
    await playing(scope.a)


async def a_league(scope: Scope) -> None:
    await in_league(scope.a)


async def a_reported(scope: Scope) -> None:
    await reported(scope.a)


async def a_scheduled(scope: Scope) -> None:
    await scheduled(scope.a)


async def a_published(scope: Scope) -> None:
    await published(scope.a)


async def session_started(scope: Scope) -> None:
    """The side's first session (15:00 in Minneapolis, 20:00 UTC) has begun: its check-in
    post is out."""
    start = datetime.fromisoformat(SESSION_START).replace(hour=20, tzinfo=UTC)
    await scope.sb.advance_to(start + timedelta(minutes=5))


async def players(scope: Scope) -> tuple[Member, Member]:
    """The side's game: (whose turn it is, the other)."""
    side = scope.a
    async with scope.sb.bot.ctx.db.read() as conn:
        white = await conn.scalar(
            select(participants.c.user_id)
            .join(chess_games, chess_games.c.white_id == participants.c.id)
            .where(chess_games.c.id == side.game_id)
        )
    members = [m for m in side.students.values() if m.user.id == white]
    (to_move,) = members
    space = side.space_of(to_move)
    other = next(
        m
        for m in side.students.values()
        if m is not to_move and scope.sb.guild.can_view(m.user.id, space.id)
    )
    return to_move, other


def board(scope: Scope, member: Member) -> Message:
    space = scope.a.space_of(member)
    return [m for m in scope.sb.messages_in(space) if m.attachments][-1]


def command(
    path: str, who: Callable[[Scope], Member], **options: Callable[[Scope], object]
) -> Ready:
    async def ready(scope: Scope) -> Act:
        values = {name: make(scope) for name, make in options.items()}
        member = who(scope)
        return lambda: scope.sb.command(member, path, **values)

    return ready


def teacher(scope: Scope) -> Member:
    return scope.a.teacher


def coordinator(scope: Scope) -> Member:
    return scope.world.coordinator


def first_student(scope: Scope) -> Member:
    return scope.a.student(0)


async def newcomer(scope: Scope) -> Member:
    return scope.sb.add_member("Layla", roles=[scope.world.students_role])


async def join_panel(scope: Scope) -> tuple[Member, Reply]:
    member = await newcomer(scope)
    panel = await scope.sb.command(member, "join", city="Najaf")
    return member, panel


def panel_choice(placeholder: str, values: list[str]) -> Ready:
    async def ready(scope: Scope) -> Act:
        member, panel = await join_panel(scope)
        return lambda: scope.sb.choose(member, panel, values, placeholder=placeholder)

    return ready


async def join_continue(scope: Scope) -> Act:
    member, panel = await join_panel(scope)
    await choose_profile(scope.sb, member, panel, "en", "13-15", ["ar"], ["chess"])
    return lambda: scope.sb.click(member, panel, t("roster.continue", "en"))


async def join_intro(scope: Scope) -> Act:
    member, panel = await join_panel(scope)
    await choose_profile(scope.sb, member, panel, "en", "13-15", ["ar"], ["chess"])
    form = await scope.sb.click(member, panel, t("roster.continue", "en"))
    return lambda: scope.sb.submit(member, form, intro="Hello from Najaf!")


async def join_cancel(scope: Scope) -> Act:
    member, panel = await join_panel(scope)
    return lambda: scope.sb.click(member, panel, t("roster.cancel", "en"))


async def join_save(scope: Scope) -> Act:
    """A teacher's own profile panel has Save (no introduction to write)."""
    sb = scope.sb
    card = await sb.command(scope.a.teacher, "profile")
    await sb.click(scope.a.teacher, card, t("roster.edit", "en"))
    return lambda: sb.click(scope.a.teacher, card, t("roster.save", "en"))


async def profile_edit(scope: Scope) -> Act:
    card = await scope.sb.command(scope.a.student(0), "profile")
    return lambda: scope.sb.click(scope.a.student(0), card, t("roster.edit", "en"))


async def profile_status(scope: Scope) -> Act:
    member = scope.a.student(0)
    custom_id = SetOwnStatus.custom_id_for(
        owner=member.user.id, exchange=scope.a.exchange_id, status="paused"
    )
    return await forged(scope, member, custom_id)


async def report_message(scope: Scope) -> Act:
    sb, side = scope.sb, scope.a
    reporter = side.student(0)
    space = side.space_of(reporter)
    partner = next(
        m
        for m in side.students.values()
        if m is not reporter and sb.guild.can_view(m.user.id, space.id)
    )
    message = await sb.say(partner, space, "hello there")
    return lambda: sb.context_menu(reporter, "Report to teacher", message)


async def report_reason(scope: Scope) -> Act:
    member = scope.a.student(0)
    offer = await scope.sb.command(member, "concern")
    return lambda: scope.sb.choose(member, offer, ["uncomfortable"])


async def report_details(scope: Scope) -> Act:
    member = scope.a.student(0)
    offer = await scope.sb.command(member, "concern")
    done = await scope.sb.choose(member, offer, ["uncomfortable"])
    return lambda: scope.sb.click(member, done, t("report.add_details", "en"))


async def report_words(scope: Scope) -> Act:
    member = scope.a.student(0)
    offer = await scope.sb.command(member, "concern")
    done = await scope.sb.choose(member, offer, ["uncomfortable"])
    form = await scope.sb.click(member, done, t("report.add_details", "en"))
    return lambda: scope.sb.submit(member, form, details="It happened twice.")


async def prompt_next(scope: Scope) -> Act:
    member = scope.a.student(0)
    space = scope.a.space_of(member)
    return lambda: scope.sb.command(member, "prompt next", where=space)


async def chess_challenge(scope: Scope) -> Act:
    sb, side = scope.sb, scope.a
    first = side.student(0)
    space = side.space_of(first)
    partner = next(
        m
        for m in side.students.values()
        if m is not first and sb.guild.can_view(m.user.id, space.id)
    )
    return lambda: sb.command(first, "chess challenge", where=space, opponent=partner, time="2d")


def chess_command(path: str, mover: bool = True, **options: object) -> Ready:
    async def ready(scope: Scope) -> Act:
        to_move, other = await players(scope)
        member = to_move if mover else other
        space = scope.a.space_of(member)
        return lambda: scope.sb.command(member, path, where=space, **options)

    return ready


def offer_button(label: str) -> Ready:
    """A button on the challenge offer (the game not yet accepted), pressed by the one
    challenged."""

    async def ready(scope: Scope) -> Act:
        sb, side = scope.sb, scope.a
        first = side.student(0)
        space = side.space_of(first)
        partner = next(
            m
            for m in side.students.values()
            if m is not first and sb.guild.can_view(m.user.id, space.id)
        )
        await sb.command(first, "chess challenge", where=space, opponent=partner, time="2d")
        offer = sb.messages_in(space)[-1]
        return lambda: sb.click(partner, offer, label)

    return ready


def board_button(label: str) -> Ready:
    async def ready(scope: Scope) -> Act:
        to_move, _ = await players(scope)
        post = board(scope, to_move)
        return lambda: scope.sb.click(to_move, post, label)

    return ready


async def piece_select(scope: Scope) -> Act:
    to_move, _ = await players(scope)
    picker = await scope.sb.click(to_move, board(scope, to_move), "Move")
    return lambda: scope.sb.choose(to_move, picker, ["e2"])


async def square_select(scope: Scope) -> Act:
    to_move, _ = await players(scope)
    picker = await scope.sb.click(to_move, board(scope, to_move), "Move")
    squares = await scope.sb.choose(to_move, picker, ["e2"])
    return lambda: scope.sb.choose(to_move, squares, ["e2e4"])


async def back_button(scope: Scope) -> Act:
    to_move, _ = await players(scope)
    picker = await scope.sb.click(to_move, board(scope, to_move), "Move")
    squares = await scope.sb.choose(to_move, picker, ["e2"])
    return lambda: scope.sb.click(to_move, squares, t("chess.button.back", "en"))


async def promote_button(scope: Scope) -> Act:
    to_move, _ = await players(scope)
    assert scope.a.game_id is not None
    custom_id = PromoteButton.custom_id_for(game=scope.a.game_id, ply=0, uci="e7e8q")
    return await forged(scope, to_move, custom_id)


async def claim_button(scope: Scope) -> Act:
    to_move, _ = await players(scope)
    assert scope.a.game_id is not None
    return await forged(scope, to_move, ClaimDrawButton.custom_id_for(game=scope.a.game_id))


def draw_answer(label: str) -> Ready:
    async def ready(scope: Scope) -> Act:
        sb = scope.sb
        to_move, other = await players(scope)
        await sb.click(to_move, board(scope, to_move), t("chess.button.offer_draw", "en"))
        offer = sb.messages_in(scope.a.space_of(other))[-1]
        return lambda: sb.click(other, offer, label)

    return ready


async def resign_confirm(scope: Scope) -> Act:
    to_move, _ = await players(scope)
    asked = await scope.sb.click(to_move, board(scope, to_move), t("chess.button.resign", "en"))
    return lambda: scope.sb.click(to_move, asked, t("chess.button.resign_confirm", "en"))


async def check_in(scope: Scope) -> Act:
    sb = scope.sb
    post = [m for m in sb.messages_in(scope.a.announcements) if "▶️" in m.content][-1]
    member = scope.a.student(0)
    return lambda: sb.click(member, post, "Check in · تسجيل الحضور")


async def a_checked_in(scope: Scope) -> None:
    """Pairs are asked "did you meet?" a week after the round, and the week has passed."""
    await scope.sb.command(scope.a.teacher, "checkins", days=7, exchange=scope.a.exchange_id)
    await scope.sb.advance(timedelta(days=7, hours=1))
    await scope.sb.idle()


async def meet_answer(scope: Scope) -> Act:
    sb = scope.sb
    member = scope.a.student(0)
    post = [m for m in sb.messages_in(scope.a.space_of(member)) if m.components][-1]
    return lambda: sb.click(member, post, t("meet.button.yes", "en"))


async def a_surveyed(scope: Scope) -> None:
    """A survey of a scale, a choice and a text item, sent to the pairs of A."""
    sb, teacher = scope.sb, scope.a.teacher
    reply = await sb.command(
        teacher,
        "survey create",
        title="Our year",
        kind="single",
        template=False,
        exchange=scope.a.exchange_id,
    )
    found = re.search(r"Survey #(\d+)", reply.text)
    assert found, reply.text
    for kind, text, choices in (("scale", "S", ""), ("choice", "C", "a;b"), ("text", "T", "")):
        await sb.command(
            teacher, "survey item", survey=int(found[1]), kind=kind, text=text, choices=choices
        )
    await sb.command(teacher, "survey send", survey=int(found[1]))


async def survey_step(scope: Scope, answered: int) -> tuple[Member, Reply]:
    """The first student's private survey message after `answered` answers."""
    sb, member = scope.sb, scope.a.student(0)
    post = [m for m in sb.messages_in(scope.a.space_of(member)) if m.components][-1]
    step = await sb.click(member, post, t("survey.start", "en"))
    if answered >= 1:
        step = await sb.click(member, step, scale_label(3, "en"))
    if answered >= 2:
        step = await sb.choose(member, step, ["1"])
    if answered >= 3:
        form = await sb.click(member, step, t("survey.write", "en"))
        step = await sb.submit(member, form, answer="The food")
    return member, step


async def survey_start(scope: Scope) -> Act:
    sb, member = scope.sb, scope.a.student(0)
    post = [m for m in sb.messages_in(scope.a.space_of(member)) if m.components][-1]
    return lambda: sb.click(member, post, t("survey.start", "en"))


async def survey_scale(scope: Scope) -> Act:
    member, step = await survey_step(scope, 0)
    return lambda: scope.sb.click(member, step, scale_label(4, "en"))


async def survey_choice(scope: Scope) -> Act:
    member, step = await survey_step(scope, 1)
    return lambda: scope.sb.choose(member, step, ["2"])


async def survey_write(scope: Scope) -> Act:
    member, step = await survey_step(scope, 2)
    return lambda: scope.sb.click(member, step, t("survey.write", "en"))


async def survey_text(scope: Scope) -> Act:
    member, step = await survey_step(scope, 2)
    form = await scope.sb.click(member, step, t("survey.write", "en"))
    return lambda: scope.sb.submit(member, form, answer="The music")


async def survey_change(scope: Scope) -> Act:
    member, step = await survey_step(scope, 3)
    first = next(
        o["value"] for row in step.components for c in row["components"] for o in c["options"]
    )
    return lambda: scope.sb.choose(member, step, [first])


def asked_then(
    path: str, who: Callable[[Scope], Member], label: str, **options: Callable[[Scope], object]
) -> Ready:
    """A question with buttons (end, erase, remove, cancel a series); the act is a button."""

    async def ready(scope: Scope) -> Act:
        member = who(scope)
        values = {name: make(scope) for name, make in options.items()}
        ask = await scope.sb.command(member, path, **values)
        return lambda: scope.sb.click(member, ask, label)

    return ready


async def directory_open(scope: Scope) -> None:
    scope.sb.bot.ctx.settings.directory = "on"


async def listed(scope: Scope) -> None:
    await directory_listed(scope.world)


def seek_on_elsewhere(path: str, **options: object) -> Ready:
    """A /seek command about another server's listing."""

    async def ready(scope: Scope) -> Act:
        other = await directory_listed(scope.world)
        scope.sb.bot.ctx.settings.operator_channel_id = scope.a.teachers_channel.id
        member = scope.world.coordinator
        return lambda: scope.sb.command(member, path, listing=other, **options)

    return ready


def answer_request(label: str) -> Ready:
    """A button under another server's request to be introduced."""

    async def ready(scope: Scope) -> Act:
        request = await request_from_elsewhere(scope.world)
        member = scope.world.coordinator
        return lambda: scope.sb.click(member, request, label)

    return ready


OTHERS: dict[str, Everyone] = {
    "about": Everyone(command("about", teacher)),
    "exchange info": Everyone(command("exchange info", teacher)),
    "exchange create": Everyone(
        command(
            "exchange create",
            coordinator,
            name=lambda s: "Second",
            city_a=lambda s: "Ames",
            zone_a=lambda s: "America/Chicago",
            languages_a=lambda s: "en",
            city_b=lambda s: "Basra",
            zone_b=lambda s: "Asia/Baghdad",
            languages_b=lambda s: "ar",
        )
    ),
    "exchange roles": Everyone(
        command(
            "exchange roles",
            lambda s: s.sb.owner,
            student=lambda s: s.world.students_role,
            teacher=lambda s: s.world.teachers_role,
            coordinator=lambda s: s.world.coordinators_role,
        )
    ),
    "exchange channels": Everyone(
        command(
            "exchange channels",
            coordinator,
            announcements=lambda s: s.a.announcements,
            teachers=lambda s: s.a.teachers_channel,
        )
    ),
    "exchange end": Everyone(command("exchange end", coordinator)),
    "exchange holidays": Everyone(
        command("exchange holidays", coordinator, city=lambda s: "Najaf", region=lambda s: "US-MN")
    ),
    "exchange city add": Everyone(
        command(
            "exchange city add",
            coordinator,
            city=lambda s: "Kumasi",
            zone=lambda s: "Africa/Accra",
            languages=lambda s: "en",
        )
    ),
    "exchange city edit": Everyone(
        command("exchange city edit", coordinator, city=lambda s: "Najaf", weekend=lambda s: "fri")
    ),
    "exchange city remove": Everyone(
        command("exchange city remove", coordinator, city=lambda s: "Najaf")
    ),
    "exchange policy": Everyone(
        command("exchange policy", coordinator, policy=lambda s: "hub", hub=lambda s: "Minneapolis")
    ),
    "join": Everyone(lambda s: _then_command(s, "join", city="Najaf")),
    "profile": Everyone(command("profile", first_student), (a_paired,)),
    "concern": Everyone(command("concern", first_student), (a_paired,)),
    "Report to teacher": Everyone(report_message, (a_paired,)),
    "prompt next": Everyone(prompt_next, (a_paired,)),
    "chess challenge": Everyone(chess_challenge, (a_paired,)),
    "chess move": Everyone(chess_command("chess move", move="e4"), (a_paired, a_playing)),
    "chess draw": Everyone(chess_command("chess draw"), (a_paired, a_playing)),
    "chess claim": Everyone(chess_command("chess claim"), (a_paired, a_playing)),
    "chess resign": Everyone(chess_command("chess resign"), (a_paired, a_playing)),
    "chess league join": Everyone(
        command("chess league join", first_student), (a_paired, a_league)
    ),
    "session list": Everyone(command("session list", teacher), (a_paired, a_scheduled)),
    "session suggest": Everyone(command("session suggest", teacher)),
    "session calendar": Everyone(
        command("session calendar", first_student), (a_paired, a_published)
    ),
    "report digest": Everyone(command("report digest", coordinator, state=lambda s: "on")),
    "privacy export": Everyone(
        command("privacy export", coordinator, student=lambda s: s.a.student(0)), (a_paired,)
    ),
    "privacy erase": Everyone(
        command("privacy erase", coordinator, student=lambda s: s.a.student(0)), (a_paired,)
    ),
    "seek post": Everyone(
        command(
            "seek post",
            coordinator,
            city=lambda s: "Ames",
            zone=lambda s: "America/Chicago",
            languages=lambda s: "en",
            ages=lambda s: "13-15",
            class_size=lambda s: 20,
        ),
        (directory_open,),
    ),
    "seek edit": Everyone(command("seek edit", coordinator, class_size=lambda s: 22), (listed,)),
    "seek pause": Everyone(command("seek pause", coordinator), (listed,)),
    "seek remove": Everyone(command("seek remove", coordinator), (listed,)),
    "seek mine": Everyone(command("seek mine", coordinator), (listed,)),
    "seek find": Everyone(command("seek find", coordinator), (listed,)),
    "seek introduce": Everyone(seek_on_elsewhere("seek introduce")),
    "seek block": Everyone(seek_on_elsewhere("seek block")),
    "seek report": Everyone(seek_on_elsewhere("seek report", reason="spam")),
    # -- components and forms
    "seek.accept": Everyone(answer_request(t("seek.request.accept", "en"))),
    "seek.decline": Everyone(answer_request(t("seek.request.decline", "en"))),
    "chess.accept": Everyone(offer_button(t("chess.button.accept", "en")), (a_paired,)),
    "chess.decline": Everyone(offer_button(t("chess.button.decline", "en")), (a_paired,)),
    "chess.move": Everyone(board_button(t("chess.button.move", "en")), (a_paired, a_playing)),
    "chess.piece": Everyone(piece_select, (a_paired, a_playing)),
    "chess.to": Everyone(square_select, (a_paired, a_playing)),
    "chess.back": Everyone(back_button, (a_paired, a_playing)),
    "chess.promote": Everyone(promote_button, (a_paired, a_playing)),
    "chess.draw": Everyone(board_button(t("chess.button.offer_draw", "en")), (a_paired, a_playing)),
    "chess.draw.accept": Everyone(
        draw_answer(t("chess.button.accept_draw", "en")), (a_paired, a_playing)
    ),
    "chess.draw.decline": Everyone(
        draw_answer(t("chess.button.decline_draw", "en")), (a_paired, a_playing)
    ),
    "chess.claim": Everyone(claim_button, (a_paired, a_playing)),
    "chess.resign": Everyone(board_button(t("chess.button.resign", "en")), (a_paired, a_playing)),
    "chess.resign.confirm": Everyone(resign_confirm, (a_paired, a_playing)),
    "join.language": Everyone(panel_choice(t("roster.pick_bot_language", "en"), ["ar"])),
    "join.band": Everyone(panel_choice(t("roster.pick_band", "en"), ["13-15"])),
    "join.languages": Everyone(panel_choice(t("roster.pick_languages", "en"), ["ar"])),
    "join.interests": Everyone(panel_choice(t("roster.pick_interests", "en", limit=8), ["chess"])),
    "join.continue": Everyone(join_continue),
    "join.save": Everyone(join_save),
    "join.cancel": Everyone(join_cancel),
    "join.intro": Everyone(join_intro),
    "profile.edit": Everyone(profile_edit, (a_paired,)),
    "profile.status": Everyone(profile_status, (a_paired,)),
    "report.reason": Everyone(report_reason, (a_paired,)),
    "report.details": Everyone(report_details, (a_paired,)),
    "report.words": Everyone(report_words, (a_paired,)),
    "session.checkin": Everyone(check_in, (a_paired, a_scheduled, session_started)),
    "meet.answer": Everyone(meet_answer, (a_paired, a_checked_in)),
    "survey.start": Everyone(survey_start, (a_paired, a_surveyed)),
    "survey.scale": Everyone(survey_scale, (a_paired, a_surveyed)),
    "survey.choice": Everyone(survey_choice, (a_paired, a_surveyed)),
    "survey.write": Everyone(survey_write, (a_paired, a_surveyed)),
    "survey.text": Everyone(survey_text, (a_paired, a_surveyed)),
    "survey.change": Everyone(survey_change, (a_paired, a_surveyed)),
    "exchange.end": Everyone(
        asked_then("exchange end", coordinator, t("exchange.end_button", "en")), (a_paired,)
    ),
    "exchange.end_cancel": Everyone(
        asked_then("exchange end", coordinator, t("privacy.cancel_button", "en"))
    ),
    "privacy.erase": Everyone(
        asked_then(
            "privacy erase",
            coordinator,
            t("privacy.erase_button", "en"),
            student=lambda s: s.a.student(0),
        ),
        (a_paired,),
    ),
    "privacy.cancel": Everyone(
        asked_then(
            "privacy erase",
            coordinator,
            t("privacy.cancel_button", "en"),
            student=lambda s: s.a.student(0),
        ),
        (a_paired,),
    ),
    "roster.remove_cancel": Everyone(
        asked_then(
            "roster remove", teacher, t("roster.cancel", "en"), student=lambda s: s.a.student(0)
        ),
        (a_paired,),
    ),
    "session.keep": Everyone(
        asked_then(
            "session cancel", teacher, t("session.keep", "en"), session=lambda s: s.a.session_id
        ),
        (a_paired, a_scheduled),
    ),
}


async def _then_command(scope: Scope, path: str, **options: object) -> Act:
    member = await newcomer(scope)
    return lambda: scope.sb.command(member, path, **options)


def staff_ready(name: str) -> tuple[Ready, tuple[Setup, ...]]:
    action = COMMANDS.get(name) or COMPONENTS[name]

    async def ready(scope: Scope) -> Act:
        return await action.run(scope, scope.a.teacher, scope.a)

    def lifted(setup: Callable[..., Awaitable[None]]) -> Setup:
        async def run(scope: Scope) -> None:
            await setup(scope.a)

        return run

    return ready, tuple(lifted(s) for s in action.needs)


CATALOGUE: dict[str, tuple[Ready, tuple[Setup, ...]]] = {
    **{name: staff_ready(name) for name in [*COMMANDS, *COMPONENTS]},
    **{name: (entry.ready, entry.needs) for name, entry in OTHERS.items()},
}


def test_every_command_component_and_form_is_in_the_catalogue() -> None:
    """Registered commands, restart-proof components and forms: all of them, here."""
    for extension in EXTENSIONS:
        importlib.import_module(extension)
    names = {name.split(" (")[0] for name in CATALOGUE}
    # The bot's own (test modules may have registered probes in this process).
    components = {getattr(r, "key", "") for r in item_routes() if ours(r)}
    forms = {f.key for _, f in _MODAL_ROUTES.values() if f.__module__.startswith("cogs.")}
    assert components <= names, sorted(components - names)
    assert forms <= names, sorted(forms - names)


async def test_every_registered_command_is_in_the_catalogue(sb: Sandbox) -> None:
    names = {name.split(" (")[0] for name in CATALOGUE}
    # Groups of subcommands: their subcommands are in the catalogue.
    paths = registered(sb) - {
        "roster keep-apart",
        "exchange break",
        "exchange city",
        "chess league",
    }
    assert paths <= names, sorted(paths - names)
    assert command_paths() <= names


# -- held while each is used ----------------------------------------------------------------------


@pytest.fixture
def held(sb: Sandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> HeldDatabase:
    return hold_database(sb, monkeypatch, tmp_path)


@pytest.mark.parametrize("name", sorted(CATALOGUE))
async def test_acknowledged_at_once_then_answered_while_the_database_is_held(
    sb: Sandbox, held: HeldDatabase, name: str
) -> None:
    """Held from before the interaction until the bot has acknowledged it and waits for the
    database: acknowledged within 3 s, nothing read first, then answered (never with "This
    interaction failed" or the generic failure)."""
    ready, needs = CATALOGUE[name]
    scope = await one_exchange(sb)
    for setup in needs:
        await setup(scope)
    await sb.idle()
    act = await ready(scope)
    reply = await while_held(sb, held, act)
    sb.check()
    assert reply.acknowledged
    if reply.interaction.response_type in DEFERRED:
        assert reply.messages, "answered after the acknowledgement"
    assert t("error.generic", "en") not in reply.text, reply.text


async def test_held_for_four_seconds_commands_buttons_and_forms_wait_it_out(
    sb: Sandbox, held: HeldDatabase
) -> None:
    """Locked for 4 s while a command that writes, one that reads, a page button and a form
    arrive together: each acknowledged within 3 s, each answered with its outcome after."""
    scope = await one_exchange(sb)
    await paired(scope.a)
    await sb.idle()
    names = ("prompt add", "roster list", "pair.preview", "join.intro")
    acts = [await CATALOGUE[name][0](scope) for name in names]
    started = time.monotonic()
    replies = await all_while_held(sb, held, acts, seconds=4.0)
    assert time.monotonic() - started >= 4.0
    within = ACKNOWLEDGE_WITHIN.total_seconds()
    for name, reply in zip(names, replies, strict=True):
        ack = reply.interaction.ack_seconds
        assert ack is not None and ack < within, f"{name}: acknowledged after {ack} s"
        assert reply.interaction.response_type in DEFERRED
        for key in ("error.generic", "error.busy"):
            assert t(key, "en") not in reply.text, f"{name}: {reply.text}"
    assert "Added your prompt" in replies[0].text
    assert "**Ben**" in replies[1].text
    assert "Groups: 2" in replies[2].text
    async with sb.bot.ctx.db.read() as conn:
        assert await conn.scalar(select(func.count()).select_from(prompts)) == 1


async def test_a_lock_longer_than_the_wait_says_try_again_and_writes_nothing(
    sb: Sandbox, held: HeldDatabase
) -> None:
    """Another program holds the write lock longer than the bot waits (5 s): /prompt add is
    acknowledged at once, then told to try again, and nothing is stored; the retry adds it
    once."""
    scope = await one_exchange(sb)
    await sb.idle()
    teacher = scope.a.teacher
    words = "What would you show a visitor in your town?"
    held.hold()
    held.release_reads()
    pending = sb.prepare_command(teacher, "prompt add", english=words)
    # The busy database reaches the error path (as a failure the bot reports to the sandbox):
    # collected here instead of failing the action.
    sb.check = lambda: None  # type: ignore[method-assign]
    task = asyncio.ensure_future(sb.at_once([pending], within=30))
    try:
        await asyncio.wait_for(pending.interaction.answered.wait(), 3)
        assert pending.interaction.response_type in DEFERRED
        (reply,) = await task
    finally:
        held.release()
        del sb.check
    problems = sb.expect_problems()
    # SQLite says "database is locked"; PostgreSQL "canceling statement due to lock timeout".
    locked = ("database is locked", "lock timeout")
    assert problems and all(any(w in p for w in locked) for p in problems), problems
    assert t("error.busy", "en") in reply.text, reply.text
    async with sb.bot.ctx.db.read() as conn:
        assert await conn.scalar(select(func.count()).select_from(prompts)) == 0
    again = await sb.command(teacher, "prompt add", english=words)
    assert "Added your prompt" in again.text
    async with sb.bot.ctx.db.read() as conn:
        assert await conn.scalar(select(func.count()).select_from(prompts)) == 1
