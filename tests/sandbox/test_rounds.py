"""Pairing rounds on a schedule through the real bot (issue 23): `/pair cadence`, the due
round's preview in the teachers' channel with Confirm / Skip this round (restart-proof, one
effect however often it is pressed), and due days moved by school breaks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.i18n import t, unisolated
from bot.sandbox.driver import Sandbox
from bot.sandbox.state import Message
from bot.services.rounds import due_key
from bot.store import pairing as pairing_store
from tests.sandbox.world import World, make_world

# The teachers' channel reads the two cities' languages: Minneapolis English, Najaf Arabic.
LANGUAGES = ("en", "ar")
CONFIRM = " · ".join(t("rounds.button.confirm", lang) for lang in LANGUAGES)
SKIP = " · ".join(t("rounds.button.skip", lang) for lang in LANGUAGES)
DUE = "A new pairing round is due for"
# Thursday 3 September 2026, 09:00 in Minneapolis (a school day in both cities: Najaf's
# weekend is Friday and Saturday).
FIRST_DUE = datetime(2026, 9, 3, 14, 0, tzinfo=UTC)


@pytest.fixture
async def world(sb: Sandbox) -> World:
    found = await make_world(sb)
    for name, city in (("Ben", 0), ("Ali", 1), ("Maya", 0), ("Zainab", 1)):
        await found.add_student(name, city)
    return found


def due_posts(world: World) -> list[Message]:
    return [m for m in world.sb.messages_in(world.teachers_channel) if DUE in m.content]


async def rounds(world: World) -> int:
    async with world.sb.bot.ctx.db.read() as conn:
        return len(await pairing_store.rounds(conn, world.exchange_id))


async def every_two_weeks(world: World, start: str = "2026-09-03") -> str:
    reply = await world.sb.command(world.teacher, "pair cadence", every="2", start=start)
    return reply.text


async def test_a_due_round_brings_the_preview_and_nobody_is_paired_without_a_click(
    world: World,
) -> None:
    sb = world.sb
    said = await every_two_weeks(world)
    assert "a new pairing round every 2 weeks" in said and "Next due: <t:" in said
    await sb.advance_to(FIRST_DUE.replace(hour=13))
    await sb.idle()
    assert not due_posts(world), "not before its hour"
    await sb.advance_to(FIRST_DUE.replace(minute=5))
    await sb.idle()
    (post,) = due_posts(world)
    assert "Groups: 2" in post.embeds[0]["description"]
    assert not post.mention_everyone and post.mention_roles == []
    # A restart rebuilds the schedule from the database: the preview is not posted again.
    await sb.restart_bot()
    await sb.idle()
    assert len(due_posts(world)) == 1
    assert await rounds(world) == 0, "nothing is paired before a teacher confirms"
    done = await sb.click(world.teacher, post, CONFIRM)
    assert "Confirmed by" in done.text and "2 new pairs" in done.text
    assert await rounds(world) == 1
    (settled,) = due_posts(world)
    assert not settled.components, "the buttons go once the round is confirmed"
    # The next round is due two weeks after this one: planned once, whatever restarts.
    await sb.restart_bot()
    await sb.idle()
    status = await sb.bot.ctx.scheduler.status_of(
        [due_key(world.exchange_id, FIRST_DUE.date().replace(day=17))]
    )
    assert list(status.values()) == ["pending"]


async def test_a_double_click_or_confirm_then_skip_has_one_effect(world: World) -> None:
    sb = world.sb
    await every_two_weeks(world)
    await sb.advance_to(FIRST_DUE.replace(minute=5))
    await sb.idle()
    (post,) = due_posts(world)
    replies = await sb.at_once(
        [
            sb.prepare_click(world.teacher, post, CONFIRM),
            sb.prepare_click(world.partner_teacher, post, CONFIRM),
            sb.prepare_click(world.coordinator, post, SKIP),
        ]
    )
    await sb.idle()
    # The one that came first settles the post; the others are told privately.
    refused = [r for r in replies if r.followups]
    assert len(refused) == 2, [r.text for r in replies]
    for reply in refused:
        told = unisolated("\n".join(m.content for m in reply.followups))
        assert any(
            unisolated(t(key, lang, round=1)) in told
            for key in ("rounds.error.handled", "error.pair_round_changed")
            for lang in LANGUAGES
        ), told
    (settled,) = due_posts(world)
    confirmed = "Confirmed by" in settled.content
    assert confirmed != ("Skipped by" in settled.content)
    assert await rounds(world) == (1 if confirmed else 0)


async def test_skip_this_round_pairs_nobody_and_counts_the_next_from_it(world: World) -> None:
    sb = world.sb
    await every_two_weeks(world)
    await sb.advance_to(FIRST_DUE.replace(minute=5))
    await sb.idle()
    (post,) = due_posts(world)
    await sb.click(world.teacher, post, SKIP)
    assert await rounds(world) == 0
    assert not [c for c in sb.guild.channels.values() if c.name.startswith("pair-")]
    (settled,) = due_posts(world)
    assert "Skipped by" in settled.content and "nobody was re-paired" in settled.content
    assert "Next due: <t:" in settled.content and not settled.components
    # Two weeks later, the next preview.
    await sb.advance_to(FIRST_DUE.replace(day=17, minute=5))
    await sb.idle()
    assert len(due_posts(world)) == 2


async def test_a_school_break_moves_the_due_round_to_the_next_school_day(world: World) -> None:
    sb = world.sb
    await every_two_weeks(world)
    # Added after the preview was planned: the planned one finds its day moved.
    added = await sb.command(
        world.teacher,
        "exchange break add",
        city="Minneapolis",
        start="2026-09-03",
        end="2026-09-09",
    )
    assert "2026-09-03" in added.text or "Minneapolis" in added.text
    await sb.advance_to(FIRST_DUE.replace(hour=20))
    await sb.idle()
    assert not due_posts(world), "Minneapolis is on a break"
    # Thursday the 10th: both cities back at school.
    await sb.advance_to(FIRST_DUE.replace(day=10, minute=5))
    await sb.idle()
    (post,) = due_posts(world)
    assert f"<t:{int(datetime(2026, 9, 10, 12, tzinfo=UTC).timestamp())}:D>" in post.content


async def test_a_round_that_cannot_be_proposed_says_why_and_offers_only_skip(
    sb: Sandbox,
) -> None:
    world = await make_world(sb)
    await world.add_student("Ben", 0)
    await every_two_weeks(world)
    await sb.advance_to(FIRST_DUE.replace(minute=5))
    await sb.idle()
    (post,) = due_posts(world)
    labels = [c["label"] for row in post.components for c in row["components"]]
    assert labels == [SKIP]
    assert "students" in post.content


async def test_cadence_off_and_bad_values(world: World) -> None:
    sb = world.sb
    await every_two_weeks(world)
    off = await sb.command(world.teacher, "pair cadence", every="off")
    assert "Scheduled pairing rounds are off" in off.text
    await sb.advance_to(FIRST_DUE.replace(minute=5))
    await sb.idle()
    assert not due_posts(world)
    past = await sb.command(world.teacher, "pair cadence", every="2", start="2026-08-01")
    assert "The first due day August 1, 2026 has already passed" in past.text
    term = await sb.command(world.teacher, "pair cadence", every="term")
    assert "every term" in term.text and "Next due" in term.text


async def test_a_teacher_of_another_exchange_cannot_confirm_or_skip(world: World) -> None:
    """Every teacher of the server may read the post; only this exchange's staff may act."""
    sb = world.sb
    other = await world.other_exchange("Kofi", "Ama", paired=False)
    owusu = sb.add_member("Mr Owusu", roles=[world.teachers_role])
    await sb.command(owusu, "join", city="Kumasi", exchange=other)
    await every_two_weeks(world)
    await sb.advance_to(FIRST_DUE.replace(minute=5))
    await sb.idle()
    (post,) = due_posts(world)
    for label in (CONFIRM, SKIP):
        refused = await sb.click(owusu, post, label)
        told = "\n".join(m.content for m in refused.followups)
        assert t("error.not_staff_here", "en") in told
    assert await rounds(world) == 0
    (still,) = due_posts(world)
    assert still.components, "the buttons wait for this exchange's teachers"
    done = await sb.click(world.teacher, still, CONFIRM)
    assert "Confirmed by" in done.text and await rounds(world) == 1


async def test_every_term_is_due_when_school_is_back_after_a_long_break(world: World) -> None:
    sb = world.sb
    await sb.command(
        world.teacher, "exchange break add", city="Najaf", start="2026-09-14", end="2026-09-25"
    )
    said = await sb.command(world.teacher, "pair cadence", every="term", start="2026-09-03")
    assert "every term" in said.text
    await sb.advance_to(FIRST_DUE.replace(minute=5))
    await sb.idle()
    (first,) = due_posts(world)
    await sb.click(world.teacher, first, SKIP)
    # Najaf's break ends on Friday the 25th; its weekend is Friday and Saturday, Minneapolis'
    # Saturday and Sunday: both schools are open again on Monday the 28th.
    await sb.advance_to(datetime(2026, 9, 28, 13, 0, tzinfo=UTC))
    await sb.idle()
    assert len(due_posts(world)) == 1
    await sb.advance_to(datetime(2026, 9, 28, 14, 5, tzinfo=UTC))
    await sb.idle()
    assert len(due_posts(world)) == 2
