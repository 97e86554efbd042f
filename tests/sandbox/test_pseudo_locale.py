"""The pseudo-locale: catalogue text arrives marked, and text that skipped the catalogue fails
the story that sent it, naming the text and where it went."""

from __future__ import annotations

import asyncio
import unicodedata

import pytest

from bot import pseudo
from bot.i18n import FSI, PDI, language_name, t, unisolated, weekday_name
from bot.sandbox.driver import Sandbox
from bot.sandbox.leaks import LeakCheck
from tests.sandbox.world import make_world


def test_marking_puts_the_words_between_marks_and_leaves_the_values_out() -> None:
    """Names and numbers are data: they stay outside the marks, so a value that is English
    text nobody translated shows as a leak."""
    with pseudo.marked():
        text = t("roster.pick_interests", "en", limit=3)
        title = t("roster.join_title", "es", exchange="Minneapolis–Najaf", city="Najaf")
    assert pseudo.outside_marks(text).strip(" ()") == "3"
    assert pseudo.unmarked(text) == t("roster.pick_interests", "en", limit=3)
    assert pseudo.outside_marks(title).split() == ["Minneapolis–Najaf", "·", "Najaf"]
    assert pseudo.unmarked(title) == t(
        "roster.join_title", "es", exchange="Minneapolis–Najaf", city="Najaf"
    )


def test_marking_is_the_context_s_own() -> None:
    """Only the context that turned marking on marks (the sandbox's bot, not the test)."""

    async def inside() -> str:
        pseudo.set_marking(True)
        return t("roster.continue", "fr")

    marked = asyncio.run(inside())
    assert marked.startswith(pseudo.OPEN)
    assert pseudo.OPEN not in t("roster.continue", "fr")


def test_arabic_code_spans_keep_their_isolates_outside_with_marks() -> None:
    """Punctuation next to a value stays next to it: the isolates still go around a code
    span, as without the pseudo-locale."""
    plain = t("prompt.edited", "ar", key="own-1", languages="ar", ages="13-15")
    with pseudo.marked():
        marked = t("prompt.edited", "ar", key="own-1", languages="ar", ages="13-15")
    assert f"{FSI}`own-1`{PDI}" in plain
    assert pseudo.unmarked(marked) == plain


def test_cldr_names_are_marked_too() -> None:
    """Weekday and language names come from CLDR, which is a catalogue as well."""
    with pseudo.marked():
        assert weekday_name(2, "fr") == f"{pseudo.OPEN}mardi{pseudo.CLOSE}"
        assert language_name("ar", "tr").startswith(pseudo.OPEN)


def test_qps_is_marked_accented_english_and_no_picker_offers_it() -> None:
    from bot.i18n import available_languages

    shown = t("roster.continue", pseudo.LANGUAGE)
    assert shown.startswith(pseudo.OPEN) and shown != t("roster.continue", "en")
    assert len(pseudo.unmarked(shown)) == len(t("roster.continue", "en"))
    assert pseudo.LANGUAGE not in available_languages()


def test_the_check_reads_marks_and_data() -> None:
    check = LeakCheck()
    check.learn({"options": [{"value": "Minneapolis–Najaf"}]})
    assert (
        check.leftover("⟦Welcome to⟧ Minneapolis–Najaf, <@123> <t:99:R> 42 https://x.y/z 🎉") == ""
    )
    assert check.leftover("`participants`: 3 ⟦rows⟧") == ""
    assert check.leftover("⟦Saved⟧. Sent by Minneapolis–Najaf staff") == "Sent by staff"
    # A clip that cut the closing mark off still counts as marked.
    assert check.leftover("⟦A long sentence cut…") == ""
    # "ℹ️" is an emoji, though Unicode files U+2139 as a letter; a word beside it is not.
    assert check.leftover("ℹ️ ⟦Holidays not checked⟧") == ""
    assert check.leftover("ℹ️ Holidays") == "Holidays"


def test_what_was_typed_is_data_as_the_bot_stores_it() -> None:
    """The bot repeats a typed name cleaned (NFC, no invisible characters, single spaces);
    it is still what was typed. A word it adds is not."""
    check = LeakCheck()
    check.learn({"value": unicodedata.normalize("NFD", "Çhé") + "\u200b  Club"})
    assert check.leftover("⟦Made⟧ «\u2068Çhé Club\u2069»") == ""
    assert check.leftover("⟦Made⟧ «\u2068Çhé Club\u2069» today") == "today"
    # A name with markup, clipped to fit, is still the name; a word after it is not.
    check.learn({"value": "**Sly** [win](https://evil.example) <@&123> end"})
    assert check.leftover("`1` **Sly** [win](https://evil.example) <@&… · ⟦Age⟧") == ""
    assert check.leftover("**Sly** [win](https://evil.example) <@&… boo") == "boo"
    # An exchange's own prompt id, as the teacher types it back.
    assert check.leftover("🔖 own-12") == ""


def test_the_check_names_the_text_and_where_it_went() -> None:
    check = LeakCheck()
    body = {"embeds": [{"title": "⟦Report⟧", "fields": [{"name": "⟦Total⟧", "value": "none"}]}]}
    check.inspect("POST", "/channels/{channel_id}/messages", body)
    assert check.leaks == [
        "POST /channels/{channel_id}/messages embeds[0].fields[0].value: 'none' (unmarked: 'none')"
    ]
    # The marks are gone before the sandbox (and the stories) see the text.
    assert body["embeds"][0]["title"] == "Report"


@pytest.mark.pseudo_locale
async def test_a_text_that_skips_the_catalogue_fails_the_story(sb: Sandbox) -> None:
    """The bot's own work marks its texts; a literal it sends is a problem of the test."""
    assert sb.pseudo_locale
    channel = sb.bot.get_channel(sb.general.id)
    assert channel is not None and hasattr(channel, "send")

    async def send(key: str | None, literal: str = "") -> None:
        # t() runs inside the bot's context, as in a handler.
        await channel.send(t(key, "en") if key else literal)

    context = sb.bot_context()
    await asyncio.create_task(send("roster.continue"), context=context)
    assert sb.last_message(sb.general).content == unisolated(t("roster.continue", "en"))
    sb.check()
    await asyncio.create_task(send(None, "Hello from the code"), context=context)
    problems = sb.expect_problems()
    assert problems == [
        "pseudo-locale: text that skipped the catalogue: POST /channels/{channel_id}/messages "
        "content: 'Hello from the code' (unmarked: 'Hello from the code')"
    ]


@pytest.mark.pseudo_locale
async def test_stories_read_the_same_text_in_the_pseudo_locale(sb: Sandbox) -> None:
    """A world set up through the real commands, in the pseudo-locale: no text leaks, and
    the stories' own `t()` finds what the bot sent, without marks."""
    world = await make_world(sb)
    reply = await sb.command(world.teacher, "roster list")
    assert pseudo.OPEN not in reply.text and pseudo.CLOSE not in reply.text
