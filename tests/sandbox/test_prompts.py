"""Discussion prompts through the real bot: posting, rotation, the daily limit, replies, rates."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import discord
import pytest
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import func, inspect, select, text

from bot.domain.pairing import PairStatus
from bot.domain.prompts import builtin_by_key, builtin_prompts
from bot.i18n import t
from bot.logs import setup_logging
from bot.sandbox.driver import Sandbox, SandboxError
from bot.sandbox.gateway import MESSAGE_CONTENT
from bot.sandbox.state import Channel, ChannelType, Message
from bot.services import prompts as service
from bot.store import pairing as pairing_store
from bot.store import roster
from bot.store.schema import activity, prompt_posts, prompt_responses, prompt_retirements, prompts
from cogs.adapters.prompts import DiscordPrompts
from tests.sandbox.world import World, make_world

BANK = builtin_prompts()


@pytest.fixture
async def world(sb: Sandbox) -> World:
    return await make_world(sb)


async def pair_up(world: World) -> None:
    """Ali (Arabic) pairs with Ben (English); Zainab (Arabic) with Maya (Spanish)."""
    await world.add_student("Ali", 1, interests=("chess", "music"), languages=("ar", "en"))
    await world.add_student("Zainab", 1, interests=("football",), languages=("ar",))
    await world.add_student("Ben", 0, interests=("chess", "music"), languages=("en",))
    await world.add_student("Maya", 0, interests=("football", "drawing"), languages=("es", "en"))
    await world.sb.command(world.teacher, "pair confirm")


def space_of(world: World, student: str) -> Channel:
    member = world.students[student]
    return next(
        c
        for c in world.sb.guild.channels.values()
        if c.name.startswith("pair-") and world.sb.guild.can_view(member.user.id, c.id)
    )


def cards(sb: Sandbox, space: Channel) -> list[Message]:
    """The prompt cards the bot posted in a space, oldest first."""
    return [
        m
        for m in sb.messages_in(space)
        if m.author.bot
        and any((e.get("footer") or {}).get("text", "").startswith("🔖") for e in m.embeds)
    ]


def key_of(card: Message) -> str:
    return str(card.embeds[0]["footer"]["text"]).removeprefix("🔖 ")


def fields(card: Message) -> dict[str, str]:
    return {f["name"]: f["value"] for f in card.embeds[0]["fields"]}


async def count(sb: Sandbox, table: Any) -> int:
    async with sb.bot.ctx.db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def rows(sb: Sandbox, query: Any) -> list[Any]:
    async with sb.bot.ctx.db.read() as conn:
        return list((await conn.execute(query)).all())


async def pair_of(sb: Sandbox, world: World, student: str) -> pairing_store.PairRecord:
    async with sb.bot.ctx.db.read() as conn:
        me = await roster.find(conn, world.exchange_id, world.students[student].user.id)
        assert me is not None
        pair = await pairing_store.live_pair_of(conn, me.id)
    assert pair is not None
    return pair


# -- teachers post to every pair ------------------------------------------------------------------


async def test_teacher_posts_the_next_prompt_to_every_pair_in_each_members_language(
    world: World,
) -> None:
    """Each pair gets one card: every member's language side by side, the members pinged."""
    sb = world.sb
    await pair_up(world)
    reply = await sb.command(world.teacher, "prompt now")
    assert reply.ephemeral and "Posted the next prompt in 2 paired spaces" in reply.text
    ali_card = cards(sb, space_of(world, "Ali"))[-1]
    prompt = builtin_by_key()[key_of(ali_card)]
    shown = fields(ali_card)
    assert shown[f"العربية · {'الحياة اليومية'}"] == prompt.texts["ar"]
    assert shown["English · Daily life"] == prompt.texts["en"]
    assert "Let's talk" in ali_card.embeds[0]["title"] and "لنتحدّث" in ali_card.embeds[0]["title"]
    assert set(ali_card.mentions) == {world.students["Ali"].user.id, world.students["Ben"].user.id}
    assert not ali_card.mention_everyone and not ali_card.mention_roles
    maya_card = cards(sb, space_of(world, "Maya"))[-1]
    assert set(fields(maya_card)) == {"العربية · الحياة اليومية", "Español · La vida diaria"}
    assert await count(sb, prompt_posts) == 2


async def test_a_paused_pair_gets_no_prompt(world: World) -> None:
    """A pause holds: the paused pair's space stays quiet, and it cannot ask for one itself."""
    sb = world.sb
    await pair_up(world)
    paused = await pair_of(sb, world, "Ali")
    async with sb.bot.ctx.db.transaction() as conn:
        await pairing_store.set_status(conn, paused.id, PairStatus.PAUSED, sb.now())
    reply = await sb.command(world.teacher, "prompt now")
    assert "in 1 paired space" in reply.text
    assert cards(sb, space_of(world, "Ali")) == []
    ask = await sb.command(world.students["Ali"], "prompt next", where=space_of(world, "Ali"))
    assert t("error.prompt_pair_paused", "ar") in ask.text, "Ali reads Arabic"
    assert cards(sb, space_of(world, "Ali")) == []


async def test_a_deleted_space_is_reported_and_the_other_pairs_still_get_theirs(
    world: World,
) -> None:
    """An admin deleted one pair's channel: the teacher is told; the other pair is served."""
    sb = world.sb
    await pair_up(world)
    gone = space_of(world, "Ali")
    channel = sb.bot.get_channel(gone.id)
    assert isinstance(channel, discord.TextChannel)
    await channel.delete()
    await sb.idle()
    reply = await sb.command(world.teacher, "prompt now")
    assert "Posted the next prompt in 1 paired space" in reply.text
    assert "1 space could not be reached" in reply.text
    assert len(cards(sb, space_of(world, "Maya"))) == 1
    assert await count(sb, prompt_posts) == 1, "no post is recorded for the deleted space"


async def test_prompt_now_without_pairs_says_what_to_do_first(world: World) -> None:
    """Before pairing, a teacher is told to pair students first; nothing is stored."""
    reply = await world.sb.command(world.teacher, "prompt now")
    assert "/pair confirm" in reply.text
    assert await count(world.sb, prompt_posts) == 0


async def test_rotation_through_the_bot_never_repeats_for_a_pair(world: World) -> None:
    """Three rounds of /prompt now give each pair three different prompts."""
    sb = world.sb
    await pair_up(world)
    for _ in range(3):
        await sb.command(world.teacher, "prompt now")
    for student in ("Ali", "Maya"):
        keys = [key_of(c) for c in cards(sb, space_of(world, student))]
        assert len(keys) == 3 and len(set(keys)) == 3, keys


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("prompt now", {}),
        ("prompt add", {"english": "What is your favourite game?"}),
        ("prompt edit", {"prompt": "own-1", "english": "Changed"}),
        ("prompt retire", {"prompt": "daily.morning"}),
        ("prompt restore", {"prompt": "daily.morning"}),
        ("prompt list", {}),
        ("prompt stats", {}),
    ],
)
async def test_a_student_cannot_run_teacher_prompt_commands(
    world: World, command: str, options: dict[str, str]
) -> None:
    """A student is told only teachers can; no prompt, retirement or post is stored."""
    sb = world.sb
    await pair_up(world)
    await sb.command(world.teacher, "prompt add", english="A teacher's own prompt")
    before = [len(sb.messages_in(space_of(world, s))) for s in ("Ali", "Maya")]
    reply = await sb.command(world.students["Ben"], command, **options)
    assert reply.ephemeral and "Only teachers" in reply.text
    assert await count(sb, prompt_posts) == 0
    assert await count(sb, prompt_retirements) == 0
    assert [r.texts for r in await rows(sb, select(prompts.c.texts))] == [
        json.dumps({"en": "A teacher's own prompt"})
    ]
    assert [len(sb.messages_in(space_of(world, s))) for s in ("Ali", "Maya")] == before


# -- an exchange's own prompts --------------------------------------------------------------------


@pytest.mark.pseudo_locale  # always in the pseudo-locale: no text past the catalogue
async def test_a_teachers_own_prompt_in_arabic_only_comes_up_first(world: World) -> None:
    """Ustadh Kareem adds an Arabic prompt (emoji and all); it is the next one every pair gets."""
    sb = world.sb
    await pair_up(world)
    text_ar = "ما اللعبة التي تلعبها في الاستراحة؟ ⚽"
    await world.partner_teacher_reads_arabic()
    reply = await sb.command(world.partner_teacher, "prompt add", arabic=text_ar, theme="sports")
    assert reply.ephemeral and "`own-1`" in reply.text and "أُضيف" in reply.text
    await sb.command(world.teacher, "prompt now")
    for student in ("Ali", "Maya"):
        card = cards(sb, space_of(world, student))[-1]
        assert key_of(card) == "own-1"
        # Without a translation, every member sees the Arabic text once.
        assert list(fields(card).values()) == [text_ar]


async def test_a_blank_or_missing_prompt_text_is_refused_and_nothing_is_stored(
    world: World,
) -> None:
    """Spaces only, or no language at all, gets a clear answer and stores nothing."""
    sb = world.sb
    blank = await sb.command(world.teacher, "prompt add", english="   ")
    assert blank.ephemeral and "The prompt can't be empty" in blank.text
    nothing = await sb.command(world.teacher, "prompt add")
    assert "at least one language" in nothing.text
    assert await count(sb, prompts) == 0


async def test_discord_refuses_a_prompt_longer_than_the_limit(world: World) -> None:
    """The option's 300-character limit is registered with Discord, which enforces it."""
    from bot.sandbox.driver import SandboxError

    with pytest.raises(SandboxError, match="longer than 300"):
        await world.sb.command(world.teacher, "prompt add", english="x" * 301)
    assert await count(world.sb, prompts) == 0


async def test_a_teacher_edits_an_own_prompt_and_removes_a_translation(world: World) -> None:
    """Given texts replace, "-" removes a language; the answer names what is left."""
    sb = world.sb
    await sb.command(
        world.teacher,
        "prompt add",
        english="What game do you play at break?",
        spanish="¿A qué juegas en el recreo?",
    )
    reply = await sb.command(
        world.teacher, "prompt edit", prompt="own-1", english="-", arabic="ماذا تلعب في الاستراحة؟"
    )
    assert "Arabic and Spanish" in reply.text
    stored = json.loads((await rows(sb, select(prompts.c.texts)))[0].texts)
    assert stored == {"ar": "ماذا تلعب في الاستراحة؟", "es": "¿A qué juegas en el recreo?"}


async def test_removing_the_last_language_is_refused_and_changes_nothing(world: World) -> None:
    """A prompt keeps at least one language."""
    sb = world.sb
    await sb.command(world.teacher, "prompt add", english="Only English")
    reply = await sb.command(world.teacher, "prompt edit", prompt="own-1", english="-")
    assert "at least one language" in reply.text
    assert json.loads((await rows(sb, select(prompts.c.texts)))[0].texts) == {"en": "Only English"}


async def test_built_in_prompts_cannot_be_edited_and_unknown_ones_are_named(world: World) -> None:
    """Editing a built-in prompt says to retire it and add an own version."""
    sb = world.sb
    builtin = await sb.command(world.teacher, "prompt edit", prompt="daily.morning", english="x")
    assert "Built-in prompts can't be edited" in builtin.text
    unknown = await sb.command(world.teacher, "prompt retire", prompt="own-99")
    assert "can't find the prompt “own-99”" in unknown.text
    assert await count(sb, prompt_retirements) == 0


async def test_a_retired_prompt_is_skipped_until_it_is_restored(world: World) -> None:
    """Retiring the first prompt makes pairs get the second; restoring puts it back."""
    sb = world.sb
    await pair_up(world)
    first, second = BANK[0].key, BANK[1].key
    reply = await sb.command(world.teacher, "prompt retire", prompt=first)
    assert f"`{first}` is retired" in reply.text
    again = await sb.command(world.teacher, "prompt retire", prompt=first)
    assert "already retired" in again.text
    listed = await sb.command(world.teacher, "prompt list", show="retired")
    assert first in listed.text
    await sb.command(world.teacher, "prompt now")
    assert key_of(cards(sb, space_of(world, "Ali"))[-1]) == second
    restored = await sb.command(world.teacher, "prompt restore", prompt=first)
    assert "back in rotation" in restored.text
    await sb.command(world.teacher, "prompt now")
    assert key_of(cards(sb, space_of(world, "Ali"))[-1]) == first


@pytest.mark.parametrize(
    ("path", "options", "kind"),
    [
        ("prompt edit", {"prompt": "own-1", "english": "Changed"}, "prompt.edited"),
        ("prompt retire", {"prompt": "own-1"}, "prompt.retired"),
        ("prompt restore", {"prompt": "daily.morning"}, "prompt.restored"),
    ],
)
async def test_a_bank_change_the_log_cannot_record_does_not_happen(
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    options: dict[str, str],
    kind: str,
) -> None:
    """The log entry is written with the change: if it fails, the change is undone too, so
    the audit log never misses a teacher's edit, retirement or restoration."""
    sb = world.sb
    await sb.command(world.teacher, "prompt add", english="Original")
    await sb.command(world.teacher, "prompt retire", prompt="daily.morning")
    before = [
        await rows(sb, select(prompts.c.texts)),
        await rows(sb, select(prompt_retirements.c.prompt_key)),
    ]
    append = service.activity_log.append

    async def failing(conn: Any, **event: Any) -> None:
        if event["kind"] == kind:
            raise RuntimeError("the log is unavailable")
        await append(conn, **event)

    monkeypatch.setattr(service.activity_log, "append", failing)
    with pytest.raises(SandboxError, match="the log is unavailable"):
        await sb.command(world.teacher, path, **options)
    after = [
        await rows(sb, select(prompts.c.texts)),
        await rows(sb, select(prompt_retirements.c.prompt_key)),
    ]
    assert after == before


@pytest.mark.pseudo_locale  # always in the pseudo-locale: no text past the catalogue
async def test_autocomplete_offers_prompts_by_text_in_the_teachers_language(world: World) -> None:
    """Typing part of a prompt finds it; at most 25 choices, each within 100 characters."""
    sb = world.sb
    found = await sb.autocomplete(world.teacher, "prompt retire", "prompt", "breakfast")
    assert [c["value"] for c in found] == ["food.breakfast"]
    every = await sb.autocomplete(world.teacher, "prompt retire", "prompt", "")
    assert len(every) == 25 and all(len(c["name"]) <= 100 for c in every)
    await world.partner_teacher_reads_arabic()
    arabic = await sb.autocomplete(world.partner_teacher, "prompt retire", "prompt", "الفطور")
    assert "food.breakfast" in [c["value"] for c in arabic]
    ali = await world.add_student("Ali", 1)
    assert await sb.autocomplete(ali, "prompt retire", "prompt", "") == [], "students get none"


async def test_the_built_in_bank_lists_in_pages_within_discord_limits(world: World) -> None:
    """Ten prompts a page with their theme, ages and languages; the last page holds the rest."""
    sb = world.sb
    pages = -(-len(BANK) // 10)
    first = await sb.command(world.teacher, "prompt list", show="builtin")
    assert first.embeds[0]["footer"]["text"].startswith(f"Page 1 of {pages} · {len(BANK)} prompts")
    assert first.text.count("· ages ") == 10
    assert "English, Arabic, Spanish, French, and Turkish" in first.text
    last = await sb.command(world.teacher, "prompt list", show="builtin", page=pages)
    assert last.text.count("· ages ") == len(BANK) - 10 * (pages - 1)
    assert BANK[-1].key in last.text
    own = await sb.command(world.teacher, "prompt list")
    assert "No prompts of your own yet" in own.text


# -- a pair asks for its own ----------------------------------------------------------------------


async def test_a_pair_asks_for_its_own_prompt_at_most_once_a_day(world: World) -> None:
    """Ali gets one in his space; Ben is told when the next is allowed; a day later he gets it."""
    sb = world.sb
    await pair_up(world)
    space = space_of(world, "Ali")
    asked_at = sb.now()
    reply = await sb.command(world.students["Ali"], "prompt next", where=space)
    assert reply.ephemeral and "نُشر السؤال التالي لثنائيتك" in reply.text, "in Ali's Arabic"
    card = cards(sb, space)[-1]
    assert card.mentions == [world.students["Ben"].user.id]
    too_soon = await sb.command(world.students["Ben"], "prompt next", where=space)
    allowed = int((asked_at + timedelta(days=1)).timestamp())
    assert "already got a prompt in the last day" in too_soon.text
    assert f"<t:{allowed}:R>" in too_soon.text and f"<t:{allowed}:F>" in too_soon.text
    assert len(cards(sb, space)) == 1
    await sb.advance(hours=24)
    await sb.command(world.students["Ben"], "prompt next", where=space)
    keys = [key_of(c) for c in cards(sb, space)]
    assert len(keys) == 2 and keys[0] != keys[1]
    assert cards(sb, space_of(world, "Maya")) == [], "the other pair is untouched"


async def test_a_teachers_post_counts_toward_the_daily_limit(world: World) -> None:
    """Right after /prompt now, a pair cannot skip ahead to another prompt."""
    sb = world.sb
    await pair_up(world)
    await sb.command(world.teacher, "prompt now")
    reply = await sb.command(world.students["Maya"], "prompt next", where=space_of(world, "Maya"))
    assert "Tu pareja ya recibió una pregunta" in reply.text, "in Maya's Spanish"
    assert len(cards(sb, space_of(world, "Maya"))) == 1


async def test_prompt_next_works_only_for_the_pair_in_its_own_space(world: World) -> None:
    """Outside a paired space a student is redirected; a teacher there is sent to /prompt now."""
    sb = world.sb
    await pair_up(world)
    elsewhere = await sb.command(world.students["Ali"], "prompt next")
    assert t("error.prompt_not_in_space", "ar") in elsewhere.text
    teacher = await sb.command(world.teacher, "prompt next", where=space_of(world, "Ali"))
    assert "Only the students of this pair" in teacher.text
    assert await count(sb, prompt_posts) == 0


# -- replies --------------------------------------------------------------------------------------


async def test_replies_count_and_teachers_see_response_rates(world: World) -> None:
    """Ali and Ben answer, Zainab and Maya do not: the prompt reached 2 pairs, 1 answered."""
    sb = world.sb
    await pair_up(world)
    await sb.command(world.teacher, "prompt now")
    posted = key_of(cards(sb, space_of(world, "Ali"))[-1])
    await sb.say(world.students["Ali"], space_of(world, "Ali"), "أستيقظ في السادسة وأشرب الشاي")
    await sb.say(world.students["Ben"], space_of(world, "Ali"), "I wake up at 7 and eat cereal!")
    reply = await sb.command(world.teacher, "prompt stats")
    assert reply.ephemeral
    assert "2 prompts posted to pairs; 1 got a reply (50%)" in reply.text
    assert "posted to 2 pairs · 1 answered · **50%** · 2 replies" in reply.text
    assert posted in reply.text
    assert "Message Content intent is off" in reply.text
    await world.partner_teacher_reads_arabic()
    kareem = await sb.command(world.partner_teacher, "prompt stats")
    assert "نسب الردود" in kareem.text


async def test_prompts_and_replies_work_in_private_thread_spaces(world: World) -> None:
    """For very large exchanges pairs live in private threads: cards go there, replies count."""
    sb = world.sb
    for i in range(498 - len(sb.guild.channels)):
        sb.add_channel(f"club-{i}")
    await sb.idle()
    await pair_up(world)
    thread = space_of(world, "Ali")
    assert thread.type == ChannelType.PRIVATE_THREAD
    await sb.command(world.teacher, "prompt now")
    assert len(cards(sb, thread)) == 1
    await sb.say(world.students["Ben"], thread, "Cereal and orange juice, every day")
    assert await count(sb, prompt_responses) == 1
    reply = await sb.command(world.students["Ben"], "prompt next", where=thread)
    assert "already got a prompt" in reply.text


async def test_messages_are_counted_without_length_or_text_by_default(world: World) -> None:
    """Without Message Content, a reply is stored as who, when and which prompt; length unknown."""
    sb = world.sb
    await pair_up(world)
    await sb.command(world.teacher, "prompt now")
    space = space_of(world, "Ali")
    await sb.say(world.students["Ali"], space, "hello there")
    await sb.say(world.teacher, space, "Lovely to see you both talking!")
    responses = await rows(sb, select(prompt_responses))
    assert len(responses) == 1, "the teacher's message is activity, not a reply"
    assert responses[0].length is None
    logged = await rows(sb, select(activity).where(activity.c.kind == "pair.message"))
    assert [r.actor_id for r in logged] == [world.students["Ali"].user.id, world.teacher.user.id]
    pair = await pair_of(sb, world, "Ali")
    assert json.loads(logged[0].details) == {"length": None, "pair": pair.id}


async def test_messages_before_a_prompt_or_after_its_window_are_not_replies(world: World) -> None:
    """Chat before any prompt, or more than a week after one, is activity but not a reply."""
    sb = world.sb
    await pair_up(world)
    space = space_of(world, "Ali")
    await sb.say(world.students["Ali"], space, "hi!")
    await sb.command(world.teacher, "prompt now")
    await sb.advance(days=8)
    await sb.say(world.students["Ben"], space, "sorry, I was away")
    assert await count(sb, prompt_responses) == 0
    assert len(await rows(sb, select(activity).where(activity.c.kind == "pair.message"))) == 2


async def answered(sb: Sandbox) -> list[Any]:
    """The `prompt.answered` events, oldest first."""
    return await rows(
        sb, select(activity).where(activity.c.kind == "prompt.answered").order_by(activity.c.id)
    )


async def test_a_prompt_answered_in_several_messages_is_answered_once(world: World) -> None:
    """Ali replies three times and Ben once: four replies, and one `prompt.answered` event
    each in the log (who, when, which pair, post and prompt; never the text)."""
    sb = world.sb
    await pair_up(world)
    await sb.command(world.teacher, "prompt now")
    space = space_of(world, "Ali")
    key = key_of(cards(sb, space)[-1])
    for text_ in ("أستيقظ مبكرًا", "وأشرب الشاي", "ثم أذهب إلى المدرسة"):
        await sb.say(world.students["Ali"], space, text_)
    await sb.say(world.students["Ben"], space, "Cereal for me")
    await sb.say(world.teacher, space, "Great answers!")
    assert await count(sb, prompt_responses) == 4
    events = await answered(sb)
    assert [e.actor_id for e in events] == [
        world.students["Ali"].user.id,
        world.students["Ben"].user.id,
    ]
    pair = await pair_of(sb, world, "Ali")
    (post,) = await rows(sb, select(prompt_posts.c.id).where(prompt_posts.c.pair_id == pair.id))
    assert json.loads(events[0].details) == {"pair": pair.id, "post": post.id, "prompt": key}
    assert events[0].partnership_id == world.exchange_id


async def test_the_next_prompt_is_answered_anew(world: World) -> None:
    """A new prompt is a new post: Ali's reply to it is a second `prompt.answered`."""
    sb = world.sb
    await pair_up(world)
    space = space_of(world, "Ali")
    await sb.command(world.teacher, "prompt now")
    await sb.say(world.students["Ali"], space, "first answer")
    await sb.command(world.teacher, "prompt now")
    await sb.say(world.students["Ali"], space, "second answer")
    posts = {json.loads(e.details)["post"] for e in await answered(sb)}
    assert len(posts) == 2


def report_fields(reply: Any) -> dict[str, str]:
    (embed,) = [e for m in reply.messages for e in m.embeds]
    return {f["name"]: f["value"] for f in embed["fields"]}


async def test_reports_count_an_answer_once_in_the_period_of_its_first_reply(
    world: World,
) -> None:
    """Ben answers a prompt on 28 September and again on 2 October: September has his one
    answer, October none, exactly as the log's `prompt.answered` events say."""
    sb = world.sb
    await pair_up(world)
    await sb.advance(days=27)
    await sb.command(world.teacher, "prompt now")
    space = space_of(world, "Ben")
    await sb.say(world.students["Ben"], space, "pancakes!")
    await sb.advance(days=4)
    await sb.say(world.students["Ben"], space, "and maple syrup")
    months = {"09": ("2026-09-01", "2026-09-30"), "10": ("2026-10-01", "2026-10-02")}
    found = {}
    for month, (start, end) in months.items():
        reply = await sb.command(world.coordinator, "report exchange", **{"from": start, "to": end})
        found[month] = report_fields(reply)["Minneapolis"]
    assert "Prompt answers: 1" in found["09"] and "Prompt answers: 0" in found["10"]
    assert [e.at.month for e in await answered(sb)] == [9]
    ben = await sb.command(
        world.coordinator,
        "report student",
        student=world.students["Ben"],
        **{"from": "2026-09-01", "to": "2026-10-02"},
    )
    assert report_fields(ben)["Month by month"].split("\n") == [
        "September 2026: sessions 0/0 · prompts 1 · messages 1 · chess 0",
        "October 2026: sessions 0/0 · prompts 0 · messages 1 · chess 0",
    ]


async def test_a_busy_space_costs_no_database_read_per_message(world: World) -> None:
    """Once a space is known, counting its messages and replies reads nothing: they are all
    written in the batched writer's transactions."""
    sb = world.sb
    await pair_up(world)
    await sb.command(world.teacher, "prompt now")
    space = space_of(world, "Ali")
    await sb.say(world.students["Ali"], space, "warming up")
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = sb.bot.ctx.db.engine.sync_engine
    sqlalchemy_event.listen(engine, "before_cursor_execute", seen)
    try:
        for n in range(10):
            who = world.students["Ben" if n % 2 else "Ali"]
            await sb.say(who, space, f"message {n}")
    finally:
        sqlalchemy_event.remove(engine, "before_cursor_execute", seen)
    reads = [
        s
        for s in statements
        if s.lstrip().upper().startswith("SELECT")
        and "FROM prompt_responses" not in s
        # PostgreSQL: a write takes the writers' turn with SELECT pg_advisory_xact_lock(…),
        # part of the writes (the activity log), not a read.
        and not s.lstrip().startswith("SELECT pg_advisory_xact_lock")
    ]
    assert reads == []
    assert await count(sb, prompt_responses) == 11


async def test_a_prompt_posted_after_a_space_was_read_gets_its_replies(world: World) -> None:
    """Chat before a prompt, then the prompt: the next message answers it at once (what the
    bot remembered about the space is forgotten when a prompt is posted)."""
    sb = world.sb
    await pair_up(world)
    space = space_of(world, "Ali")
    await sb.say(world.students["Ali"], space, "hi!")
    await sb.command(world.teacher, "prompt now")
    await sb.say(world.students["Ben"], space, "my answer")
    assert await count(sb, prompt_responses) == 1
    assert len(await answered(sb)) == 1


async def test_an_ended_exchanges_spaces_stop_counting_at_once(world: World) -> None:
    """After /exchange end, a message in a former paired space is no longer counted."""
    sb = world.sb
    await pair_up(world)
    space = space_of(world, "Ali")
    await sb.say(world.teacher, space, "before the end")
    ask = await sb.command(world.coordinator, "exchange end")
    await sb.click(world.coordinator, ask, "End the exchange")
    await sb.say(sb.owner, space, "after the end")
    logged = await rows(sb, select(activity).where(activity.c.kind == "pair.message"))
    assert [r.actor_id for r in logged] == [world.teacher.user.id]


async def test_messages_outside_paired_spaces_are_not_counted(world: World) -> None:
    """Chat in #general is none of the prompts' business."""
    sb = world.sb
    await pair_up(world)
    await sb.say(world.students["Ali"], sb.general, "hello everyone")
    assert await rows(sb, select(activity).where(activity.c.kind == "pair.message")) == []


# -- sessions call this ---------------------------------------------------------------------------


async def test_delivery_for_a_session_posts_once_however_often_it_is_called(world: World) -> None:
    """Twice in a row and twice at once with one session key: one card per pair."""
    sb = world.sb
    await pair_up(world)
    guild = sb.bot.get_guild(sb.guild.id)
    assert guild is not None
    port = DiscordPrompts(guild)
    ctx = sb.bot.ctx

    async def deliver(key: str) -> service.Delivery:
        # As a session's job does: in the bot's context (marked texts in the pseudo-locale).
        return await sb.as_bot(
            service.deliver_to_pairs(
                ctx.db, ctx.clock, world.exchange_id, port, reason="session", session_key=key
            )
        )

    first = await deliver("session:7:a")
    again = await deliver("session:7:a")
    assert len(first.posted) == 2 and again.posted == () and again.already == 2
    both = await asyncio.gather(deliver("session:7:b"), deliver("session:7:b"))
    await sb.idle()
    assert sum(len(d.posted) for d in both) == 2
    for student in ("Ali", "Maya"):
        keys = [key_of(c) for c in cards(sb, space_of(world, student))]
        assert len(keys) == 2 and keys[0] != keys[1]


@pytest.mark.pseudo_locale  # always in the pseudo-locale: no text past the catalogue
async def test_a_sessions_prompt_set_is_used_while_it_lasts(world: World) -> None:
    """With `only`, pairs get a prompt from the session's set; once used, the bank takes over."""
    sb = world.sb
    await pair_up(world)
    guild = sb.bot.get_guild(sb.guild.id)
    assert guild is not None
    port, ctx = DiscordPrompts(guild), sb.bot.ctx
    chosen = {"food.breakfast"}
    for key in ("s1", "s2"):
        await sb.as_bot(
            service.deliver_to_pairs(
                ctx.db,
                ctx.clock,
                world.exchange_id,
                port,
                reason="session",
                session_key=key,
                only=chosen,
            )
        )
    keys = [key_of(c) for c in cards(sb, space_of(world, "Ali"))]
    assert keys == ["food.breakfast", BANK[0].key]


async def test_young_pairs_never_get_prompts_for_older_students(world: World) -> None:
    """Over a whole round, a 10–12 pair only ever gets prompts that suit 10–12."""
    sb = world.sb
    await world.add_student("Ali", 1, grade_band="10-12", languages=("ar",))
    await world.add_student("Ben", 0, grade_band="10-12", languages=("en",))
    await sb.command(world.teacher, "pair confirm")

    class Recording:
        def __init__(self) -> None:
            self.keys: list[str] = []

        async def post(self, space_id: int, card: service.PromptCard) -> int | None:
            self.keys.append(card.key)
            return len(self.keys)

    port = Recording()
    suitable = [p.key for p in BANK if p.ages in ("10-18", "10-12", "10-15")]
    for _ in range(len(suitable) + 3):
        await service.deliver_to_pairs(
            sb.bot.ctx.db, sb.bot.ctx.clock, world.exchange_id, port, reason="teacher"
        )
    assert sorted(port.keys[: len(suitable)]) == sorted(suitable)
    assert port.keys[len(suitable) :] == suitable[:3], "the next round starts over in order"


# -- privacy: no message text in the database ------------------------------------------------


@pytest.fixture
async def reading_sb(tmp_path: Path) -> AsyncIterator[Sandbox]:
    """A sandbox where the bot is approved for, and asks for, the Message Content intent."""
    async with Sandbox.running(
        tmp_path, privileged_intents=MESSAGE_CONTENT, settings={"message_content_intent": True}
    ) as sandbox:
        yield sandbox


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put the global logging configuration back as it was after the test."""
    root = logging.getLogger()
    names = ("discord.gateway", "discord.http", "alembic")
    saved = (root.level, list(root.handlers), {n: logging.getLogger(n).level for n in names})
    yield
    root.setLevel(saved[0])
    root.handlers[:] = saved[1]
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


async def every_value(sb: Sandbox) -> list[tuple[str, str, object]]:
    """(table, column, value) for every cell of every table in the database."""
    found: list[tuple[str, str, object]] = []
    async with sb.bot.ctx.db.read() as conn:
        tables = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
        for table in tables:
            result = await conn.execute(text(f'SELECT * FROM "{table}"'))
            columns = list(result.keys())
            for row in result:
                found += [
                    (table, column, value) for column, value in zip(columns, row, strict=True)
                ]
    return found


@pytest.mark.usefixtures("restore_logging")
async def test_no_message_text_reaches_the_database(
    reading_sb: Sandbox, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """With Message Content on, the bot reads a sentinel message; only its length is stored."""
    sb = reading_sb
    setup_logging("DEBUG")  # what LOG_LEVEL=DEBUG does: the most an operator can log
    caplog.set_level(logging.DEBUG)
    world = await make_world(sb)
    await pair_up(world)
    session = next(iter(sb.server.gateway.sessions.values()))
    assert session.intents & MESSAGE_CONTENT, "the bot asked for Message Content"
    received: list[str] = []

    async def spy(message: discord.Message) -> None:
        received.append(message.content)

    sb.bot.add_listener(spy, "on_message")
    await sb.command(world.teacher, "prompt now")
    marker = f"SENTINEL-{uuid.uuid4().hex}"
    sentinel = f"{marker} سرّي 🔒 secreto"
    await sb.say(world.students["Ali"], space_of(world, "Ali"), sentinel)
    assert sentinel in received, "the bot really received the text"
    assert [r.length for r in await rows(sb, select(prompt_responses))] == [len(sentinel)]
    cells = await every_value(sb)
    assert len({table for table, _, _ in cells}) >= 10, "every table was searched"
    for table, column, value in cells:
        shown = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        assert marker.lower() not in shown.lower(), f"{table}.{column} holds the message text"
        assert "سرّي" not in shown, f"{table}.{column} holds the message text"
    await sb.idle()
    if reading_sb.bot.ctx.db.dialect != "sqlite":
        return  # PostgreSQL keeps no file of ours to read (every value was read above)
    files = {p.name: p.read_bytes() for p in tmp_path.glob("sandbox.db*")}  # noqa: ASYNC240
    assert "sandbox.db" in files
    for name, data in files.items():
        assert marker.encode() not in data, f"{name} holds the message text"
    assert marker not in caplog.text, "the logs hold the message text"
