"""Networks of many cities through the real bot: /exchange city add|edit|remove, /exchange
policy, what they refuse, and pairing across three cities."""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import func, select

from bot.sandbox.driver import Sandbox, Upload
from bot.store import roster
from bot.store.exchanges import get_exchange
from bot.store.pairing import live_pairs
from bot.store.schema import activity, cities, school_breaks
from tests.sandbox.world import World, make_world

KUMASI: dict[str, Any] = {"city": "Kumasi", "zone": "Africa/Accra", "languages": "en, ak"}


async def city_names(world: World) -> list[str]:
    async with world.sb.bot.ctx.db.read() as conn:
        found = await get_exchange(conn, world.sb.guild.id, world.exchange_id)
    assert found is not None
    return [c.name for c in found.cities]


async def add_city(world: World, **typed: Any) -> int:
    """A coordinator adds a city; the world learns its id (index = position in city_ids)."""
    reply = await world.sb.command(world.coordinator, "exchange city add", **typed)
    assert "joined" in reply.text, reply.text
    async with world.sb.bot.ctx.db.read() as conn:
        found = await get_exchange(conn, world.sb.guild.id, world.exchange_id)
    assert found is not None
    world.city_ids = tuple(c.id for c in found.cities)
    return world.city_ids[-1]


async def test_a_coordinator_grows_an_exchange_into_a_network(sb: Sandbox) -> None:
    """Kumasi joins Minneapolis–Najaf: stored third, shown by /exchange info, logged, and
    chosen by a student joining."""
    world = await make_world(sb)
    await add_city(world, **KUMASI, weekend="sat,sun", holidays="GH")
    assert await city_names(world) == ["Minneapolis", "Najaf", "Kumasi"]
    info = await sb.command(world.coordinator, "exchange info")
    assert "Kumasi" in info.text and "Africa/Accra" in info.text
    assert "3 cities" in info.text
    async with sb.bot.ctx.db.read() as conn:
        logged = await conn.scalar(
            select(func.count()).where(activity.c.kind == "exchange.city_added")
        )
        position = await conn.scalar(select(cities.c.position).where(cities.c.name == "Kumasi"))
    assert (logged, position) == (1, 2)
    student = sb.add_member("Kofi", roles=[world.students_role])
    choices = await sb.autocomplete(student, "join", "city", "Kum")
    assert "Kumasi" in [c["value"] for c in choices]


async def test_the_same_city_twice_is_refused(sb: Sandbox) -> None:
    """By name in any case, or in the same zone written with other letters (full width,
    accents, a Cyrillic look-alike): nothing is added."""
    world = await make_world(sb)
    for typed in (
        {"city": "NAJAF", "zone": "Asia/Baghdad", "languages": "ar"},
        {"city": "najaf", "zone": "Europe/Paris", "languages": "fr"},
        {"city": "Ｍｉｎｎｅａｐｏｌｉｓ", "zone": "America/Chicago", "languages": "en"},
        {"city": "Мinnéapolis", "zone": "America/Chicago", "languages": "en"},
    ):
        reply = await sb.command(world.coordinator, "exchange city add", **typed)
        assert reply.ephemeral and "already a city of this exchange" in reply.text, typed
    assert await city_names(world) == ["Minneapolis", "Najaf"]


async def test_only_coordinators_change_cities(sb: Sandbox) -> None:
    world = await make_world(sb)
    reply = await sb.command(world.teacher, "exchange city add", **KUMASI)
    assert "Only coordinators" in reply.text
    assert await city_names(world) == ["Minneapolis", "Najaf"]


async def test_edit_changes_only_what_is_given(sb: Sandbox) -> None:
    world = await make_world(sb)
    await add_city(world, **KUMASI)
    reply = await sb.command(
        world.coordinator, "exchange city edit", city="Kumasi", weekend="fri,sat"
    )
    assert "changed" in reply.text and "Friday and Saturday" in reply.text
    async with sb.bot.ctx.db.read() as conn:
        row = (await conn.execute(select(cities).where(cities.c.name == "Kumasi"))).one()
    assert (row.timezone, row.languages, row.weekend_days) == ("Africa/Accra", "en,ak", "5,6")
    clash = await sb.command(world.coordinator, "exchange city edit", city="Kumasi", name="najaf")
    assert "already a city of this exchange" in clash.text
    empty = await sb.command(world.coordinator, "exchange city edit", city="Kumasi")
    assert "Nothing to change" in empty.text
    assert await city_names(world) == ["Minneapolis", "Najaf", "Kumasi"]


async def test_removing_a_city_says_what_to_do_first(sb: Sandbox) -> None:
    """Below two cities, the hub, a city with people or live pairs: refused, each with the
    step to take; an unused city goes, with its school breaks."""
    world = await make_world(sb)
    two = await sb.command(world.coordinator, "exchange city remove", city="Najaf")
    assert "at least two cities" in two.text
    kumasi = await add_city(world, **KUMASI)
    await sb.command(world.coordinator, "exchange policy", policy="hub", hub="Kumasi")
    hub = await sb.command(world.coordinator, "exchange city remove", city="Kumasi")
    assert "is the hub" in hub.text and "/exchange policy" in hub.text
    await sb.command(world.coordinator, "exchange policy", policy="any")
    kofi = await world.add_student("Kofi", 2)
    people = await sb.command(world.coordinator, "exchange city remove", city="Kumasi")
    assert "1 person on the roster" in people.text and "/roster move" in people.text
    await world.add_student("Ana", 0)
    await sb.command(world.coordinator, "pair confirm")
    async with sb.bot.ctx.db.transaction() as conn:
        found = await roster.find(conn, world.exchange_id, kofi.user.id)
        assert found is not None
        await roster.update_profile(conn, found.id, sb.now(), status="removed")
    pairs = await sb.command(world.coordinator, "exchange city remove", city="Kumasi")
    assert "in 1 live pair." in pairs.text and "/pair remove" in pairs.text
    assert await city_names(world) == ["Minneapolis", "Najaf", "Kumasi"]
    await sb.command(world.coordinator, "pair remove", student=world.students["Ana"])
    await sb.command(
        world.teacher, "exchange break add", city="Kumasi", start="2026-12-21", end="2026-12-31"
    )
    gone = await sb.command(world.coordinator, "exchange city remove", city="Kumasi")
    assert "no longer part" in gone.text, gone.text
    assert await city_names(world) == ["Minneapolis", "Najaf"]
    async with sb.bot.ctx.db.read() as conn:
        left = await conn.scalar(
            select(func.count()).select_from(school_breaks).where(school_breaks.c.city_id == kumasi)
        )
    assert left == 0


async def test_policy_needs_a_hub_only_for_hub(sb: Sandbox) -> None:
    world = await make_world(sb)
    await add_city(world, **KUMASI)
    missing = await sb.command(world.coordinator, "exchange policy", policy="hub")
    assert "needs its home city" in missing.text
    unused = await sb.command(world.coordinator, "exchange policy", policy="any", hub="Najaf")
    assert "Only the hub policy" in unused.text
    done = await sb.command(world.coordinator, "exchange policy", policy="hub", hub="Minneapolis")
    assert "saved" in done.text and "Minneapolis" in done.text and "2 partner cities" in done.text
    info = await sb.command(world.coordinator, "exchange info")
    assert "hub network" in info.text


async def _pair_cities(world: World) -> list[list[int]]:
    """The cities (as indices of `world.city_ids`) of each live pair's members."""
    async with world.sb.bot.ctx.db.read() as conn:
        found = await live_pairs(conn, world.exchange_id)
        people = {p.id: p for p in await roster.listing(conn, world.exchange_id)}
    return [[world.city_ids.index(people[m].city_id or 0) for m in p.members] for p in found]


async def _three_city_world(sb: Sandbox) -> World:
    world = await make_world(sb)
    await add_city(world, **KUMASI)
    for name, city in (
        ("Ana", 0), ("Ben", 0), ("Cy", 0),
        ("Dana", 1), ("Eli", 1), ("Fay", 1),
        ("Gus", 2), ("Hana", 2), ("Ike", 2),
    ):  # fmt: skip
        await world.add_student(name, city)
    return world


async def test_pairing_across_three_cities_never_pairs_one_city(sb: Sandbox) -> None:
    """Policy any: nine students of three cities make four groups, one a triad, and no pair
    holds two students of one city; the preview names each member's city."""
    world = await _three_city_world(sb)
    preview = await sb.command(world.teacher, "pair preview")
    assert "Kumasi" in preview.text and "Najaf" in preview.text
    await sb.command(world.teacher, "pair confirm")
    groups = await _pair_cities(world)
    assert sorted(len(g) for g in groups) == [2, 2, 2, 3]
    # Stored members come in id order, not the plan's: a pair has two cities, the triad (a
    # pair the surplus student joined) at least two.
    assert all(len(set(g)) == 2 for g in groups if len(g) == 2)
    assert all(len(set(g)) >= 2 for g in groups)


async def test_hub_policy_pairs_partner_cities_with_the_hub(sb: Sandbox) -> None:
    """Policy hub around Minneapolis: every group has a Minneapolis student and a partner
    city's; Najaf and Kumasi are never paired together without the hub."""
    world = await _three_city_world(sb)
    await sb.command(world.coordinator, "exchange policy", policy="hub", hub="Minneapolis")
    await sb.command(world.teacher, "pair confirm")
    groups = await _pair_cities(world)
    assert len(groups) == 3
    for group in groups:
        assert group.count(0) == 1 and len(group) == 3


async def test_a_hub_network_reports_each_city_and_each_partnership(sb: Sandbox) -> None:
    """/report exchange of Minneapolis with Najaf and Kumasi: a field per city, one per
    hub–partner partnership with its pairs, the same in the CSV (partner columns), and the
    chess score of every city."""
    world = await _three_city_world(sb)
    await sb.command(world.coordinator, "exchange policy", policy="hub", hub="Minneapolis")
    await sb.command(world.teacher, "pair confirm")
    reply = await sb.command(
        world.coordinator, "report exchange", **{"from": "2026-09-01", "to": "2026-12-31"}
    )
    found = {f["name"]: f["value"] for f in reply.embeds[0]["fields"]}
    assert {"Minneapolis", "Najaf", "Kumasi"} <= set(found)
    for partner in ("Najaf", "Kumasi"):
        value = found[f"Partnership Minneapolis – {partner}"]
        assert value.startswith("Pairs: ") and f"Students of {partner}: 3 enrolled" in value
    pairs = [found[f"Partnership Minneapolis – {p}"].split()[1] for p in ("Najaf", "Kumasi")]
    # Three groups, each the hub's student with two partner students: a group with both
    # partner cities counts in both partnerships.
    assert all(1 <= int(n) <= 3 for n in pairs) and 3 <= sum(int(n) for n in pairs) <= 6
    assert "Minneapolis 0 · Najaf 0 · Kumasi 0" in found["The whole exchange"]
    (attachment,) = [a for a in reply.files if a.filename.endswith(".csv")]
    rows = {
        r["metric"]: r
        for r in csv.DictReader(io.StringIO(bytes(attachment.data).decode("utf-8-sig")))
    }
    assert rows["students_enrolled"]["Kumasi"] == "3"
    partnership = rows["partnership_pairs"]
    assert partnership["Minneapolis"] == ""
    assert [partnership["Najaf"], partnership["Kumasi"]] == pairs
    assert int(partnership["total"]) == sum(int(n) for n in pairs)


async def test_a_two_city_report_has_no_partnership_rows(sb: Sandbox) -> None:
    world = await make_world(sb)
    for name, city in (("Ana", 0), ("Dana", 1)):
        await world.add_student(name, city)
    await sb.command(world.teacher, "pair confirm")
    reply = await sb.command(world.coordinator, "report exchange")
    names = [f["name"] for f in reply.embeds[0]["fields"]]
    assert not any(n.startswith("Partnership") for n in names)
    (attachment,) = [a for a in reply.files if a.filename.endswith(".csv")]
    assert b"partnership" not in bytes(attachment.data)


async def test_join_move_and_the_roster_csv_reach_a_third_city(sb: Sandbox) -> None:
    """A teacher joins Kumasi, a CSV places a student there, and /roster move takes a
    student from Najaf to Kumasi: nothing assumes two cities."""
    world = await make_world(sb)
    kumasi = await add_city(world, **KUMASI)
    teacher = sb.add_member("Mr Mensah", roles=[world.teachers_role])
    await sb.command(teacher, "join", city="Kumasi")
    kofi = sb.add_member("Kofi", roles=[world.students_role])
    csv_text = f"user,city,grade_band,languages\n{kofi.user.id},Kumasi,13-15,en\n"
    done = await sb.command(
        world.coordinator, "roster import", file=Upload("class.csv", csv_text.encode())
    )
    assert "1 student imported" in done.text, done.text
    ama = await world.add_student("Ama", 1)
    moved = await sb.command(world.coordinator, "roster move", student=ama, city="Kumasi")
    assert "Kumasi" in moved.text
    async with sb.bot.ctx.db.read() as conn:
        people = {p.user_id: p for p in await roster.listing(conn, world.exchange_id)}
    assert people[teacher.user.id].city_id == kumasi
    assert people[kofi.user.id].city_id == kumasi
    assert people[ama.user.id].city_id == kumasi


async def test_chess_standings_score_every_city_of_a_network(sb: Sandbox) -> None:
    """/chess standings summed two cities' points as "A x – y B" and failed on a third."""
    world = await make_world(sb)
    await add_city(world, **KUMASI)
    reply = await sb.command(world.teacher, "chess standings")
    assert "Minneapolis 0 · Najaf 0 · Kumasi 0" in reply.text, reply.text
