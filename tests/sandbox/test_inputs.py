"""Every input answered, within 3 s, without freezing anyone (property tests, issue 17).

For every option of every slash command the bot registered that takes text, a number, a date,
a time, a zone, a rule or a file, for the choices offered while typing, and for every field of
every form, hypothesis types what a careless or hostile person would. Each answer must come
within 3 s, be a success or a clear refusal in the person's own language (never the generic
"something went wrong"), store nothing when it refuses, use no catalogue key the catalogues
lack, and never block the event loop for more than 100 ms (the sandbox's loop-lag monitor).

The options are read from what the bot registered with the sandbox, so a new option cannot
escape; a new form fails `test_every_form_has_an_opener` until it is given one here.

One sandbox per test function: hypothesis drives its examples from a worker thread, handing
each to the sandbox's event loop, so the bot is started once and not once per example.
`HYPOTHESIS_PROFILE=explore` runs more, random examples (the default is derandomised, so a
failure seen once is seen again).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import discord
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.errors import UserError
from bot.i18n import lookup, t
from bot.sandbox.driver import Reply, Sandbox, Upload, iter_components
from bot.sandbox.looplag import LIMIT
from bot.sandbox.state import JSON, Channel, Member
from bot.store import roster
from bot.store.schema import metadata
from cogs.common.components import RestartModal
from cogs.common.errors import render_error
from cogs.survey.answering import SurveyStart
from tests.sandbox.calendar_check import calendars_agree
from tests.sandbox.inputs import Option, examples_for, free_options, text_for, value_for
from tests.sandbox.sessions_helpers import MONTHS_IN_SECONDS
from tests.sandbox.world import World, make_world

T = TypeVar("T")
ANSWER_WITHIN = 3.0

settings.register_profile(
    "ci",
    max_examples=3,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
settings.register_profile(
    "explore",
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")


@pytest.fixture
async def sb(tmp_path: Path) -> AsyncIterator[Sandbox]:
    async with Sandbox.running(tmp_path, limits=MONTHS_IN_SECONDS, loop_lag=LIMIT) as sandbox:
        yield sandbox
        await calendars_agree(sandbox)


# -- the stage -------------------------------------------------------------------------------------


@dataclass
class Person:
    member: Member
    language: str  # what the bot speaks to them: their profile's, else their client's
    where: Channel | None = None


@dataclass
class Stage:
    """An exchange in full swing, the people who type, and what the bot refused."""

    world: World
    teacher: Person
    coordinator: Person
    student: Person
    newcomer: Person
    baseline: dict[str, dict[str, Any]]
    refusals: dict[int, BaseException] = field(default_factory=dict)
    missing_keys: list[str] = field(default_factory=list)
    # What each place answered, "refused: <key>" or "done", and how often (for a reader of
    # `pytest -s` with TWINBRIDGE_INPUT_STATS=1 who wants to see what was reached).
    seen: Counter[tuple[str, str]] = field(default_factory=Counter)

    @property
    def sb(self) -> Sandbox:
        return self.world.sb

    def fill(self, option: Option) -> dict[str, Any]:
        """The other options of the command, as the person would fill them: the exchange
        named (the property tests create more exchanges as they go) and the baseline."""
        values = dict(self.baseline.get(option.path, {}))
        if option.path != "exchange create" and "exchange" in option.siblings:
            values["exchange"] = self.world.exchange_id
        return values

    def person_for(self, path: str) -> Person:
        """Who would type into this command: a student, a newcomer, a coordinator, a teacher."""
        top = path.split()[0]
        if path in ("chess limit", "chess league create", "chess league round"):
            return self.teacher
        if top in ("chess", "concern"):
            return self.student
        if top == "join":
            return self.newcomer
        if top in ("exchange", "privacy", "seek") or path == "report digest":
            return self.coordinator
        return self.teacher


async def _set_language(sb: Sandbox, exchange_id: int, member: Member, language: str) -> None:
    async with sb.bot.ctx.db.transaction() as conn:
        found = await roster.find(conn, exchange_id, member.user.id)
        assert found is not None
        await roster.update_profile(conn, found.id, sb.now(), language=language)


async def stage(sb: Sandbox) -> Stage:
    """Minneapolis ↔ Najaf with two pairs, a session series, an own prompt and a chess game;
    a Spanish-speaking teacher, an Arabic-speaking coordinator and student."""
    world = await make_world(sb)
    for name, city in (("Ben", 0), ("Ali", 1), ("Maya", 0), ("Zainab", 1)):
        await world.add_student(name, city)
    await sb.command(world.teacher, "pair confirm")
    sam = await world.add_student("Sam", 0)  # not paired: can move city
    # make_world has her join Minneapolis (staff act only where they joined); she reads Spanish.
    await _set_language(sb, world.exchange_id, world.teacher, "es")
    await sb.command(world.coordinator, "join", city="Najaf", language="ar")
    ben = world.students["Ben"]
    space = next(
        c
        for c in sb.guild.channels.values()
        if c.name.startswith("pair-") and sb.guild.can_view(ben.user.id, c.id)
    )
    partner = next(
        m
        for n, m in world.students.items()
        if n != "Ben" and sb.guild.can_view(m.user.id, space.id)
    )
    await _set_language(sb, world.exchange_id, ben, "ar")
    # A series, an exchange's own prompt and a game: the commands that change them have
    # something to change.
    preview = await sb.command(
        world.teacher, "session schedule", start="2026-10-06", time="15:00", repeat="monthly:nth"
    )
    await sb.click(
        world.teacher, preview.followups[-1] if preview.followups else preview, "Programar"
    )
    await sb.command(world.teacher, "prompt add", english="What do you cook on holidays?")
    await sb.command(
        ben, "chess challenge", where=space, opponent=partner, time="2d", colour="white"
    )
    offer = sb.messages_in(space)[-1]
    await sb.click(partner, offer, "Accept")
    # Surveys: #1 a draft to add items to, #2 the pre template to send, close and read, #3 a
    # text question sent to the pairs (its form is typed into below).
    await sb.command(
        world.teacher, "survey create", title="Borrador", kind="single", template=False
    )
    await sb.command(world.teacher, "survey create", title="Antes", kind="pre")
    await sb.command(world.teacher, "survey create", title="Texto", kind="single", template=False)
    await sb.command(
        world.teacher, "survey item", survey=3, kind="text", text="¿Qué te sorprendió?"
    )
    await sb.command(world.teacher, "survey send", survey=3)
    newcomer = sb.add_member("Newcomer", roles=[world.students_role], locale="es-ES")
    baseline: dict[str, dict[str, Any]] = {
        "exchange create": {
            "name": "Kumasi–Buea",
            "city_a": "Kumasi",
            "zone_a": "Africa/Accra",
            "languages_a": "en",
            "city_b": "Buea",
            "zone_b": "Africa/Douala",
            "languages_b": "fr, en",
        },
        "exchange channels": {
            "announcements": world.announcements,
            "teachers": world.teachers_channel,
        },
        "join": {"city": "Minneapolis"},
        "roster keep-apart add": {"first": ben, "second": sam},
        "roster keep-apart remove": {"first": ben, "second": sam},
        "roster remove": {"student": sam},
        "roster move": {"student": sam, "city": "Najaf"},
        "roster pause": {"student": sam},
        "roster resume": {"student": sam},
        "roster import": {"file": Upload("roster.csv", b"user,city,grade_band,languages\n")},
        "roster consent": {"student": sam, "on_file": True},
        "roster consent-rule": {"required": True},
        "roster band": {"student": sam, "grade_band": "13-15"},
        "checkins": {"days": 7},
        "survey create": {"title": "Después", "kind": "post"},
        "survey item": {"survey": 1, "kind": "text", "text": "¿Por qué?"},
        "survey send": {"survey": 2},
        "survey close": {"survey": 2},
        "survey results": {"survey": 2},
        "pair swap": {"first": ben, "second": world.students["Maya"]},
        "pair remove": {"student": ben},
        "pair cadence": {"every": "4"},
        "session schedule": {"start": "2026-11-10", "time": "15:00", "repeat": "weekly"},
        # November's session (the first Tuesday, 15:00 in Chicago), to another day.
        "session move": {"occurrence": "1793739600", "date": "2026-11-12", "time": "16:00"},
        "session edit": {"title": "Sesión"},
        "prompt edit": {"prompt": "own-1", "english": "What do you cook?"},
        "prompt retire": {"prompt": "own-1"},
        "prompt restore": {"prompt": "own-1"},
        "chess challenge": {"opponent": partner},
        "chess move": {"move": "e4"},
        "chess pgn": {"game": 1},
        "chess limit": {"games": 3},
        "chess league pgn": {"match": 1},
        "space pause": {"student": sam},
        "space reopen": {"student": sam},
        "report student": {"student": ben},
        "report digest": {"state": "on"},
        "exchange break add": {"city": "Najaf", "start": "2026-12-21", "end": "2027-01-03"},
        "exchange break remove": {"number": 1},
        "exchange holidays": {"city": "Minneapolis", "region": "US-MN"},
        "exchange city add": {"city": "Kumasi", "zone": "Africa/Accra", "languages": "en"},
        "exchange city edit": {"city": "Najaf"},
        "exchange city remove": {"city": "Najaf"},
        "exchange policy": {"policy": "any"},
        "session voice-minutes": {"minutes": 15},
        "seek post": {
            "city": "Ames",
            "zone": "America/Chicago",
            "languages": "en",
            "ages": "13-15",
            "class_size": 20,
        },
        "seek introduce": {"listing": 1},
        "seek block": {"listing": 1},
        "seek report": {"listing": 1, "reason": "spam"},
    }
    # The directory open, so /seek reaches its checks of what was typed.
    sb.bot.ctx.settings.directory = "on"
    result = Stage(
        world,
        teacher=Person(world.teacher, "es"),
        coordinator=Person(world.coordinator, "ar"),
        student=Person(ben, "ar", where=space),
        newcomer=Person(newcomer, "es"),
        baseline=baseline,
    )
    sb.bot.add_listener(_remember(result), "on_twinbridge_command_error")
    return result


def _remember(found: Stage) -> Callable[[discord.Interaction[Any], BaseException], Awaitable[None]]:
    async def listener(interaction: discord.Interaction[Any], error: BaseException) -> None:
        found.refusals[interaction.id] = error

    return listener


class _MissingKeys(logging.Handler):
    def __init__(self, found: list[str]) -> None:
        super().__init__(logging.ERROR)
        self.found = found

    def emit(self, record: logging.LogRecord) -> None:
        self.found.append(record.getMessage())


@contextmanager
def catalogue_watched(stage: Stage) -> Iterator[None]:
    """A catalogue key the catalogues lack (shown raw to the person) fails the test."""
    handler = _MissingKeys(stage.missing_keys)
    logger = logging.getLogger("bot.i18n")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


def show_seen(stage: Stage) -> None:
    """With TWINBRIDGE_INPUT_STATS set (and `pytest -s`), what each place answered."""
    if os.environ.get("TWINBRIDGE_INPUT_STATS"):
        for (where, verdict), times in sorted(stage.seen.items()):
            print(f"{where:40} {times:3} × {verdict}")


# -- one attempt -----------------------------------------------------------------------------------


async def snapshot(sb: Sandbox) -> dict[str, list[str]]:
    """Every row of every table, to tell whether a refusal stored anything."""
    found: dict[str, list[str]] = {}
    async with sb.bot.ctx.db.read() as conn:
        for table in metadata.sorted_tables:
            rows = (await conn.execute(select(table))).all()
            found[table.name] = sorted(repr(tuple(r)) for r in rows)
    return found


def changed(before: dict[str, list[str]], after: dict[str, list[str]]) -> list[str]:
    return [name for name in before if before[name] != after.get(name)]


GENERIC = ("error.generic", "error.generic_partly", "error.generic_after")


def judge(stage: Stage, person: Person, reply: Reply, what: str) -> BaseException | None:
    """The common verdict on one answer; returns what the bot refused with, if it did."""
    interaction = reply.interaction
    assert interaction.ack_seconds is not None and interaction.ack_seconds < ANSWER_WITHIN, (
        f"{what}: acknowledged after {interaction.ack_seconds} s"
    )
    outcome = interaction.outcome_seconds
    assert outcome is not None and outcome < ANSWER_WITHIN, f"{what}: answered after {outcome} s"
    text = reply.text
    for key in GENERIC:
        generic = (lookup(key, person.language) or key).split("{", 1)[0]
        assert generic not in text, f"{what}: the generic failure: {text!r}"
    assert not stage.missing_keys, f"{what}: {stage.missing_keys}"
    cause = stage.refusals.pop(interaction.id, None)
    if isinstance(cause, UserError):
        shown = render_error(cause, person.language)
        assert shown in text, f"{what}: refused with {cause.key} but shows {text!r}"
    return cause


async def attempt_command(stage: Stage, option: Option, value: Any) -> None:
    """A person runs the command with `value` in `option`, the other options as a teacher
    would fill them."""
    sb = stage.sb
    person = stage.person_for(option.path)
    values = {**stage.fill(option), option.name: value}
    sb.bot.ctx.cooldowns.__init__()  # type: ignore[misc]  # each example a first try
    before = await snapshot(sb)
    reply = await sb.command(person.member, option.path, where=person.where, **values)
    what = f"{option} = {value!r}"
    cause = judge(stage, person, reply, what)
    verdict = f"refused: {getattr(cause, 'key', type(cause).__name__)}" if cause else "done"
    stage.seen[(str(option), verdict)] += 1
    if cause is not None:
        after = await snapshot(sb)
        assert not changed(before, after), f"{what}: refused, yet stored {changed(before, after)}"


async def attempt_autocomplete(stage: Stage, option: Option, typed: str) -> None:
    """A person types `typed` into an option that offers choices as they type."""
    sb = stage.sb
    person = stage.person_for(option.path)
    values = {k: v for k, v in stage.fill(option).items() if k != option.name}
    began = time.monotonic()
    choices = await sb.autocomplete(
        person.member, option.path, option.name, typed, where=person.where, **values
    )
    assert time.monotonic() - began < ANSWER_WITHIN, f"{option} ← {typed!r}: slow choices"
    assert len(choices) <= 25
    assert not stage.missing_keys, f"{option} ← {typed!r}: {stage.missing_keys}"


# -- driving hypothesis from a thread --------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One place to type into: what hypothesis draws for it, and how one value is tried."""

    name: str
    strategy: st.SearchStrategy[Any]
    attempt: Callable[[Any], Awaitable[None]]
    examples: list[Any] = field(default_factory=list)


def _property(loop: asyncio.AbstractEventLoop, case: Case) -> Callable[[], None]:
    def check(value: Any) -> None:
        asyncio.run_coroutine_threadsafe(case.attempt(value), loop).result(timeout=60)

    for value in case.examples:
        check = example(value=value)(check)
    return settings(settings.get_profile(PROFILE))(given(value=case.strategy)(check))  # type: ignore[no-any-return]


def explore(
    loop: asyncio.AbstractEventLoop,
    cases: list[Case],
) -> list[str]:
    """Run each case's examples on the sandbox's loop; every case is tried even if one fails."""
    failures: list[str] = []
    for case in cases:
        try:
            _property(loop, case)()
        except Exception as failure:
            notes = "\n".join(getattr(failure, "__notes__", []))
            failures.append(f"{case.name}: {failure}\n{notes}".strip())
    return failures


async def run_cases(cases: list[Case]) -> None:
    failures = await asyncio.to_thread(explore, asyncio.get_running_loop(), cases)
    if failures:
        # Not `assert`: pytest's introspection of a long list would itself block the loop.
        pytest.fail("\n\n".join(failures), pytrace=False)


# -- the properties --------------------------------------------------------------------------------


def _command_case(stage: Stage, option: Option) -> Case:
    async def attempt(value: Any) -> None:
        await attempt_command(stage, option, value)

    return Case(str(option), value_for(option), attempt, examples_for(option))


async def test_every_command_option_is_answered_within_3s_and_never_with_a_failure(
    sb: Sandbox,
) -> None:
    """Whatever is typed into any option: a success or a clear refusal in the person's
    language, within 3 s; a refusal stores nothing; the loop is never blocked."""
    found = await stage(sb)
    options = free_options(sb)
    assert len(options) > 80, [str(o) for o in options]
    # Ending an exchange last: what comes after it would only be refused.
    options.sort(key=lambda o: o.path == "exchange end")
    with catalogue_watched(found):
        await run_cases([_command_case(found, o) for o in options])
    show_seen(found)


async def test_every_choice_list_answers_whatever_is_typed(sb: Sandbox) -> None:
    """The choices offered while typing come within 3 s for any text, never a failure."""
    found = await stage(sb)
    options = [o for o in free_options(sb) if o.definition.get("autocomplete")]
    assert len(options) > 40

    def case(option: Option) -> Case:
        async def attempt(typed: Any) -> None:
            await attempt_autocomplete(found, option, str(typed))

        definition = {**option.definition, "type": 3, "min_length": 0, "max_length": 100}
        typing = Option(option.path, definition, option.siblings)
        return Case(f"{option} (typing)", text_for(definition), attempt, examples_for(typing))

    with catalogue_watched(found):
        await run_cases([case(o) for o in options])


# -- forms -----------------------------------------------------------------------------------------


# -- forms -----------------------------------------------------------------------------------------


def _fields(form: Reply) -> dict[str, JSON]:
    assert form.modal is not None, "the bot opened no form"
    found = {}
    for row in form.modal["components"]:
        for item in row.get("components") or [row.get("component")]:
            if item:
                found[item["custom_id"]] = item
    return found


async def open_intro_form(stage: Stage, person: Person) -> Reply:
    """The introduction form of a student's panel: /join the first time, /profile after."""
    sb = stage.sb
    lang = person.language
    exchange = stage.world.exchange_id
    joined = await roster_find(sb, exchange, person.member)
    if joined:
        card = await sb.command(person.member, "profile", exchange=exchange)
        panel = await sb.click(person.member, card, t("roster.edit", lang))
    else:
        panel = await sb.command(
            person.member, "join", city="Najaf", language=lang, exchange=exchange
        )
        await sb.choose(person.member, panel, ["13-15"], placeholder=t("roster.pick_band", lang))
        await sb.choose(
            person.member, panel, ["ar", "en"], placeholder=t("roster.pick_languages", lang)
        )
    return await sb.click(person.member, panel, t("roster.continue", lang))


async def roster_find(sb: Sandbox, exchange: int, member: Member) -> bool:
    async with sb.bot.ctx.db.read() as conn:
        return await roster.find(conn, exchange, member.user.id) is not None


async def open_details_form(stage: Stage, person: Person) -> Reply:
    """The reporter's few words, after reporting their partner's message to a teacher."""
    sb = stage.sb
    space = person.where
    assert space is not None
    partner = next(
        m
        for m in stage.world.students.values()
        if m is not person.member and sb.guild.can_view(m.user.id, space.id)
    )
    message = await sb.say(partner, space, "a message to report")
    offer = await sb.context_menu(person.member, "Report to teacher", message)
    done = await sb.choose(person.member, offer, ["unkind"])
    return await sb.click(person.member, done, t("report.add_details", person.language))


async def open_survey_form(stage: Stage, person: Person) -> Reply:
    """A student's short text answer to survey #3, from the Start button in their space (the
    survey's one item chosen again once it was answered)."""
    sb = stage.sb
    assert person.where is not None
    start = SurveyStart.custom_id_for(survey=3)
    post = next(
        m
        for m in reversed(sb.messages_in(person.where))
        if any(c.get("custom_id") == start for c in iter_components(m.components))
    )
    step = await sb.click(person.member, post, custom_id=start)
    write = t("survey.write", person.language)
    if not any(c.get("label") == write for c in iter_components(step.components)):
        (item,) = [
            o["value"] for c in iter_components(step.components) for o in c.get("options", [])
        ]
        step = await sb.choose(person.member, step, [item])
    return await sb.click(person.member, step, write)


# Every form, with how a person reaches it; a new form fails the test until it is added.
FORMS: dict[str, Callable[[Stage], tuple[Person, Callable[[Stage, Person], Awaitable[Reply]]]]] = {
    "IntroForm": lambda s: (
        Person(s.sb.add_member("Hala", roles=[s.world.students_role], locale="es-ES"), "es"),
        open_intro_form,
    ),
    "DetailsForm": lambda s: (s.student, open_details_form),
    "TextAnswerForm": lambda s: (s.student, open_survey_form),
}


def _every_form() -> set[str]:
    def below(cls: type) -> Iterator[type]:
        for sub in cls.__subclasses__():
            yield sub
            yield from below(sub)

    # The bot's own forms (tests load probe cogs with forms of their own).
    return {
        cls.__name__
        for cls in below(RestartModal)
        if cls.__module__.startswith("cogs.") and not cls.__name__.endswith("Legacy")
    }


async def attempt_form(
    stage: Stage,
    person: Person,
    opener: Callable[[Stage, Person], Awaitable[Reply]],
    field_id: str,
    value: str,
    reuse: dict[str, Reply],
) -> None:
    """A person types `value` into one field of the form (the others as they were) and sends
    it; a form that was sent is opened again for the next example."""
    sb = stage.sb
    form = reuse.get(field_id) or await opener(stage, person)
    fields = _fields(form)
    definition = fields[field_id]
    low, high = int(definition.get("min_length", 0)), int(definition.get("max_length", 4000))
    if not low <= len(value) <= high or (definition.get("required", True) and not value):
        return  # Discord's client would not send it
    filled = {
        name: (item.get("value") or "Hello") if item.get("required", True) else ""
        for name, item in fields.items()
    }
    filled[field_id] = value
    sb.bot.ctx.cooldowns.__init__()  # type: ignore[misc]
    before = await snapshot(sb)
    reply = await sb.submit(person.member, form, **filled)
    what = f"form {form.modal['custom_id'] if form.modal else '?'} {field_id} = {value!r}"
    cause = judge(stage, person, reply, what)
    stage.seen[
        (f"form {field_id}", f"refused: {getattr(cause, 'key', '?')}" if cause else "done")
    ] += 1
    if cause is not None:
        after = await snapshot(sb)
        assert not changed(before, after), f"{what}: refused, yet stored {changed(before, after)}"
        reuse[field_id] = form
    else:
        reuse.pop(field_id, None)


async def test_every_form_field_is_answered_within_3s_and_never_with_a_failure(
    sb: Sandbox,
) -> None:
    """What is typed into the fields of every form: a success or a clear refusal in the
    person's language within 3 s; a refusal stores nothing; the loop is never blocked."""
    found = await stage(sb)
    assert _every_form() == set(FORMS), "a form without an opener in FORMS"
    cases = []
    for name, reach in FORMS.items():
        person, opener = reach(found)
        first = await opener(found, person)
        for field_id, definition in _fields(first).items():
            reuse: dict[str, Reply] = {field_id: first}

            async def attempt(
                value: Any,
                person: Person = person,
                opener: Callable[[Stage, Person], Awaitable[Reply]] = opener,
                field_id: str = field_id,
                reuse: dict[str, Reply] = reuse,
            ) -> None:
                await attempt_form(found, person, opener, field_id, str(value), reuse)

            high = int(definition.get("max_length", 4000))
            text = {"name": field_id, "min_length": 0, "max_length": high}
            option = Option(name, {**text, "type": 3})
            cases.append(Case(f"{name} {field_id}", text_for(text), attempt, examples_for(option)))
    with catalogue_watched(found):
        await run_cases(cases)
    show_seen(found)
