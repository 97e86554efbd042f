"""Pairing history that fits Discord at any size, swaps that keep history, one round at a time,
and keep-apart lists that page instead of hiding marks."""

from __future__ import annotations

import asyncio
import re

from sqlalchemy import func, select

from bot.sandbox.driver import Reply, Sandbox, iter_components
from bot.sandbox.state import Channel, Member
from bot.store import pairing as pairing_store
from bot.store import roster
from bot.store.schema import pairing_rounds
from tests.sandbox.safety_world import pair_spaces, six_students, space_of
from tests.sandbox.world import World, make_world


async def rounds_stored(sb: Sandbox) -> int:
    async with sb.bot.ctx.db.read() as conn:
        return int(await conn.scalar(select(func.count()).select_from(pairing_rounds)) or 0)


async def participant(sb: Sandbox, world: World, member: Member) -> int:
    async with sb.bot.ctx.db.read() as conn:
        found = await roster.find(conn, world.exchange_id, member.user.id)
    assert found is not None
    return found.id


def live_space(sb: Sandbox, member: Member) -> Channel:
    """The student's current (not archived) paired space."""
    return next(
        c
        for c in pair_spaces(sb)
        if not c.name.startswith("archived-") and sb.guild.can_view(member.user.id, c.id)
    )


def partner_in(sb: Sandbox, world: World, space: Channel, me: str) -> str:
    return next(
        n for n, m in world.students.items() if n != me and sb.guild.can_view(m.user.id, space.id)
    )


async def all_pages(sb: Sandbox, member: Member, first: Reply) -> list[str]:
    """The text of the first page and of every page after it, pressing ▶ until it is disabled
    (each press edits the same message, so each page is read as it is shown)."""
    pages = [first.text]
    shown = first
    while True:
        buttons = [
            c
            for row in shown.components
            for c in row.get("components", [])
            if c.get("label") == "▶"
        ]
        if not buttons or buttons[0].get("disabled"):
            return pages
        shown = await sb.click(member, shown, "▶")
        pages.append(shown.text)


# -- /pair history ------------------------------------------------------------------------------


async def long_history(sb: Sandbox) -> World:
    """An exchange with four rounds of 30 pairs of students with long names (no spaces)."""
    world = await make_world(sb)
    ids: list[list[int]] = [[], []]
    for i in range(60):
        member = await world.add_student(f"Student with a long name {i:02d}", i % 2)
        ids[i % 2].append(await participant(sb, world, member))
    async with sb.bot.ctx.db.transaction() as conn:
        for number in range(4):
            round_id = await pairing_store.create_round(
                conn, world.exchange_id, world.teacher.user.id, sb.now(), "channels", 0
            )
            for k in range(30):
                await pairing_store.add_pair(
                    conn,
                    round_id=round_id,
                    exchange_id=world.exchange_id,
                    space_id=None,
                    reasons={},
                    members=(ids[0][k], ids[1][(k + number) % 30]),
                    now=sb.now(),
                )
    return world


def custom_ids(reply: Reply) -> list[str]:
    return [c["custom_id"] for c in iter_components(reply.components)]


async def test_a_long_history_is_paged_and_shows_every_pair_in_full(sb: Sandbox) -> None:
    """Four rounds of 30 pairs with long names: each page fits Discord, none is cut short."""
    world = await long_history(sb)
    first = await sb.command(world.teacher, "pair history")
    pages = await all_pages(sb, world.teacher, first)
    assert len(pages) > 1
    assert "Page 1 of" in pages[0]
    seen = "\n".join(pages)
    for number in range(4):
        for k in range(30):
            a = f"Student with a long name {2 * k:02d}"
            b = f"Student with a long name {2 * ((k + number) % 30) + 1:02d}"
            assert f"{a} · {b}" in seen or f"{b} · {a}" in seen, (number, k)
    assert "…" not in seen


async def test_a_history_button_posted_before_the_edge_kit_still_turns_the_page(
    sb: Sandbox,
) -> None:
    """A /pair history message posted by an earlier version carries ◀ ▶ with custom_ids
    `pair:history:<exchange>:<page>`: pressing ▶ there shows page 2, as a new button does, and
    the page comes back with buttons of today's form."""
    world = await long_history(sb)
    fresh = await sb.command(world.teacher, "pair history")
    assert custom_ids(fresh) == [
        f"tb:pair.history:{world.exchange_id}:1",
        f"tb:pair.history:{world.exchange_id}:2",
    ]
    expected = (await sb.click(world.teacher, fresh, "▶")).text
    assert "Page 2 of" in expected

    posted_before = await sb.command(world.teacher, "pair history")
    assert posted_before.message is not None
    # What the earlier version put on the message it posted (cogs/views.ExchangePageButton).
    for component in iter_components(posted_before.message.components):
        page = component["custom_id"].rsplit(":", 1)[1]
        component["custom_id"] = f"pair:history:{world.exchange_id}:{page}"
    assert custom_ids(posted_before)[1] == f"pair:history:{world.exchange_id}:2"

    pressed = await sb.click(world.teacher, posted_before, custom_id=custom_ids(posted_before)[1])
    assert pressed.text == expected
    assert custom_ids(posted_before) == custom_ids(fresh)
    assert all(c.startswith("tb:pair.history:") for c in custom_ids(posted_before))


async def test_a_short_history_has_no_buttons(sb: Sandbox) -> None:
    """One small round: one page, no ◀ ▶."""
    world = await make_world(sb)
    await six_students(world)
    await sb.command(world.teacher, "pair confirm")
    reply = await sb.command(world.teacher, "pair history")
    assert reply.components == [] and "Round 1" in reply.text


# -- /pair swap ---------------------------------------------------------------------------------


async def test_a_swap_keeps_the_original_partner_in_history(sb: Sandbox) -> None:
    """After Ben and Maya swap, history still shows whom each was first paired with."""
    world = await make_world(sb)
    await six_students(world)
    await sb.command(world.teacher, "pair confirm")
    bens = partner_in(sb, world, space_of(sb, world.students["Ben"]), "Ben")
    mayas = partner_in(sb, world, space_of(sb, world.students["Maya"]), "Maya")
    reply = await sb.command(
        world.teacher, "pair swap", first=world.students["Ben"], second=world.students["Maya"]
    )
    assert "swapped" in reply.text.lower(), reply.text
    history = (await sb.command(world.teacher, "pair history")).text
    lines = history.splitlines()
    assert any(bens in line and "~~Ben~~" in line and "Maya" in line for line in lines), history
    assert any(mayas in line and "~~Maya~~" in line and "Ben" in line for line in lines), history


async def test_the_newcomer_is_welcomed_in_their_new_space(sb: Sandbox) -> None:
    """Ben moves into Maya's old space: he is greeted there by name, and only he is pinged."""
    world = await make_world(sb)
    await six_students(world)
    await sb.command(world.teacher, "pair confirm")
    ben = world.students["Ben"]
    target = space_of(sb, world.students["Maya"])
    await sb.command(world.teacher, "pair swap", first=ben, second=world.students["Maya"])
    assert space_of(sb, ben) is target
    greeting = sb.messages_in(target)[-1]
    assert "Ben (Minneapolis) joins this space" in greeting.content
    assert greeting.mentions == [ben.user.id]
    assert greeting.embeds and "Ben · Minneapolis" in str(greeting.embeds[0])


async def test_after_a_swap_both_partners_a_student_had_count_as_earlier_partners(
    sb: Sandbox,
) -> None:
    """Two students a city: after Ben and Maya swap, each has had both partners, so whatever
    the next round proposes is marked as a repeat (before, the first partner was forgotten)."""
    world = await make_world(sb)
    await world.add_student("Ben", 0, interests=("chess", "music"))
    await world.add_student("Maya", 0, interests=("football", "drawing"))
    await world.add_student("Ali", 1, interests=("chess", "music"))
    await world.add_student("Zainab", 1, interests=("football", "drawing"))
    await sb.command(world.teacher, "pair confirm")
    await sb.command(
        world.teacher, "pair swap", first=world.students["Ben"], second=world.students["Maya"]
    )
    preview = await sb.command(world.teacher, "pair preview")
    assert preview.text.count("partners before") == 2, preview.text


# -- two teachers confirming at once ------------------------------------------------------------


async def test_two_teachers_confirming_at_once_make_one_round(sb: Sandbox) -> None:
    """Both press /pair confirm together: one round is made, the other teacher is told why."""
    world = await make_world(sb)
    await six_students(world)
    colleague = sb.add_member("Mr Lee", roles=[world.teachers_role])
    await sb.command(colleague, "join", city="Najaf")
    replies = await asyncio.gather(
        sb.command(world.teacher, "pair confirm"),
        sb.command(colleague, "pair confirm"),
    )
    texts = sorted(r.text for r in replies)
    assert sum("3 paired spaces" in text for text in texts) == 1, texts
    assert sum("confirmed a pairing round a moment ago" in text for text in texts) == 1, texts
    assert await rounds_stored(sb) == 1
    assert len(pair_spaces(sb)) == 3
    for member in world.students.values():
        space_of(sb, member)  # exactly one space each


# -- /roster keep-apart list --------------------------------------------------------------------


async def test_keep_apart_list_pages_every_mark(sb: Sandbox) -> None:
    """Forty-five marks: three pages, each mark on one of them, none summed up as "more"."""
    world = await make_world(sb)
    people = [await world.add_student(f"Pupil {i}", i % 2) for i in range(10)]
    ids = [await participant(sb, world, m) for m in people]
    async with sb.bot.ctx.db.transaction() as conn:
        for i in range(10):
            for j in range(i + 1, 10):
                a, b = sorted((ids[i], ids[j]))
                await roster.add_keep_apart(
                    conn, world.exchange_id, a, b, world.teacher.user.id, sb.now()
                )
    first = await sb.command(world.teacher, "roster keep-apart list")
    pages = await all_pages(sb, world.teacher, first)
    assert len(pages) == 3
    found = set()
    for page in pages:
        found |= set(re.findall(r"\*\*(Pupil \d)\*\* ↔ \*\*(Pupil \d)\*\*", page))
    assert len(found) == 45
    assert "more" not in "".join(pages)
