"""Upgrading a two-city exchange to the networks schema (0020) changes no figure of /report.

The data is three months of a real exchange played through the bot (tests/sandbox/
reporting_story.py): sessions with check-ins and voice, a teacher's check-in that must not
count, prompts and answers, messages, a chess game. The database is then taken down to 0019,
the schema of the release before networks, and every report figure is computed there (the
exchange read with plain SQL, as 0019 has no pairing policy); then it is upgraded to head and
everything is computed again, through the code that reads the new columns.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pytest
from sqlalchemy import text

from bot.domain.exchange import City, Exchange, PairingPolicy
from bot.domain.report_chart import attendance_chart
from bot.domain.reporting import (
    Period,
    SessionSlot,
    attendance_csv,
    attendance_json,
    exchange_csv,
    exchange_json,
)
from bot.domain.sessions import title_in
from bot.sandbox.driver import Sandbox
from bot.services.reporting import Scope
from bot.store import meet as meet_store
from bot.store import reporting as report_store
from bot.store.exchanges import get_exchange
from bot.store.migrate import current_revision, downgrade, upgrade
from tests.sandbox.reporting_story import three_months


async def _exchange_at_0019(sb: Sandbox, exchange_id: int) -> Exchange:
    """The exchange as 0019 stores it, read without the code that expects 0020's columns."""
    async with sb.bot.ctx.db.read() as conn:
        row = (
            await conn.execute(
                text("SELECT id, guild_id, name FROM partnerships WHERE id = :id"),
                {"id": exchange_id},
            )
        ).one()
        rows = (
            await conn.execute(
                text(
                    "SELECT id, position, name, timezone, languages, weekend_days, "
                    "holiday_region FROM cities WHERE partnership_id = :id ORDER BY position"
                ),
                {"id": exchange_id},
            )
        ).all()
    cities = tuple(
        City(
            c.id,
            c.position,
            c.name,
            c.timezone,
            tuple(x for x in c.languages.split(",") if x),
            frozenset(int(d) for d in c.weekend_days.split(",") if d),
            c.holiday_region,
        )
        for c in rows
    )
    assert len(cities) == 2
    return Exchange(row.id, row.guild_id, row.name, cities)


async def _every_figure(sb: Sandbox, exchange: Exchange) -> dict[str, Any]:
    """Every figure /report shows, for the story's quarter and the default 90 days: attendance
    of the whole exchange and of each city, the exchange figures, each student's report, and
    the CSV, JSON and chart renderings."""
    reporting = sb.bot.services.reporting
    found: dict[str, Any] = {}
    for label, period in (
        ("quarter", Period(_day("2026-10-01"), _day("2026-12-31"))),
        ("default", reporting.period(None, None)),
    ):
        whole = Scope(exchange, None)
        attendance = await reporting.compute_attendance(whole, period)
        figures = await reporting.compute_exchange(whole, period)
        found[f"{label}.attendance"] = attendance
        found[f"{label}.attendance.csv"] = attendance_csv(attendance)
        found[f"{label}.attendance.json"] = attendance_json(exchange.name, period, attendance)
        found[f"{label}.chart"] = attendance_chart(attendance, exchange.name)
        found[f"{label}.exchange"] = figures
        found[f"{label}.exchange.csv"] = exchange_csv(figures)
        found[f"{label}.exchange.json"] = exchange_json(figures)
        for city in exchange.cities:
            found[f"{label}.city.{city.name}"] = await reporting.compute_attendance(
                Scope(exchange, city), period
            )
        async with sb.bot.ctx.db.read() as conn:
            students = await report_store.students(conn, exchange.id, period)
        assert students
        for student in students:
            found[f"{label}.student.{student.id}"] = await reporting.compute_student(
                exchange, student, period
            )
    return found


async def _no_checkins(conn: object, pair_ids: object) -> dict[int, list[tuple[int, list[str]]]]:
    return {}


def _as_shown(value: Any) -> Any:
    """A report with each session's title as a reader sees it: 0028 stores an untitled series
    as untitled (a reader sees the default title in their language), where 0019 stored the
    default title itself."""
    if isinstance(value, SessionSlot):
        return dataclasses.replace(value, title=title_in(value.title, "en"))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(
            value,
            **{
                f.name: _as_shown(getattr(value, f.name))
                for f in dataclasses.fields(value)
                if f.init
            },
        )
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(_as_shown(v) for v in value)
    if isinstance(value, list):
        return [_as_shown(v) for v in value]
    if isinstance(value, dict):
        return {k: _as_shown(v) for k, v in value.items()}
    return value


def _day(iso: str) -> date:
    return date.fromisoformat(iso)


async def test_every_report_figure_is_the_same_after_upgrading_to_networks(
    sb: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    story = await three_months(sb)
    await sb.idle()
    db = sb.bot.ctx.db
    exchange_id = story.ex.world.exchange_id
    async with db.read() as conn:
        head = await get_exchange(conn, sb.guild.id, exchange_id)
    assert head is not None

    await downgrade(db, "0019")
    assert await current_revision(db) == "0019"
    old = await _exchange_at_0019(sb, exchange_id)
    # 0019 had no "did you meet?" check-ins (0023 brought their tables): today's report reads
    # their history, which at 0019 is none.
    with monkeypatch.context() as patched:
        patched.setattr(meet_store, "history", _no_checkins)
        before = await _every_figure(sb, old)

    await upgrade(db)
    async with db.read() as conn:
        new = await get_exchange(conn, sb.guild.id, exchange_id)
    assert new is not None
    assert (new.cities, new.pairing_policy, new.hub_city_id) == (
        old.cities,
        PairingPolicy.ANY,
        None,
    )
    after = await _every_figure(sb, new)

    assert before.keys() == after.keys()
    for key in before:
        assert _as_shown(before[key]) == _as_shown(after[key]), key
    # The story's figures, as its docstring counts them by hand: the comparison is of a
    # report with something in it.
    figures = after["quarter.exchange"]
    assert figures.attendance.total.attended == 6 and figures.chess_games == 1
    assert figures.total.messages == 3 and figures.prompts_posted == 8
