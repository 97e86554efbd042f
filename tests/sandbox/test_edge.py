"""The edge kit (cogs/common): one error path, restart-proof components, old custom ids."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.i18n import t
from bot.sandbox.driver import Sandbox
from bot.store import app_state
from tests.sandbox.rest import raw

PROBE = ("cogs.about", "tests.sandbox.edge_probe")


@pytest.fixture
async def sb(tmp_path: Path) -> AsyncIterator[Sandbox]:
    async with Sandbox.running(tmp_path, extensions=PROBE) as sandbox:
        yield sandbox


@contextmanager
def bugs_expected(sb: Sandbox) -> Iterator[list[str]]:
    """Within the block the bot's own bugs are collected instead of failing the action."""
    found: list[str] = []
    sb.check = lambda: None  # type: ignore[method-assign]
    try:
        yield found
    finally:
        del sb.check
        found += sb.expect_problems()


async def saved(sb: Sandbox, key: str) -> str | None:
    async with sb.bot.ctx.db.read() as conn:
        return await app_state.get(conn, key)


async def test_an_unexpected_failure_is_answered_and_says_nothing_changed(sb: Sandbox) -> None:
    """A bug before any write: the person hears "nothing was changed", never a bare failure."""
    member = sb.add_member("Ms Rivera")
    with bugs_expected(sb) as problems:
        reply = await sb.command(member, "edge fail")
    assert reply.ephemeral
    assert reply.text.strip() == t("error.generic", "en")
    assert "nothing was changed" in reply.text
    assert any("a bug before anything was saved" in p for p in problems)


async def test_a_failure_after_a_commit_says_part_was_saved(sb: Sandbox) -> None:
    """A bug after a transaction committed: the answer does not claim nothing changed."""
    member = sb.add_member("Ms Rivera")
    with bugs_expected(sb) as problems:
        reply = await sb.command(member, "edge half")
    assert await saved(sb, "probe:half") == "saved"
    assert reply.text.strip() == t("error.generic_partly", "en")
    assert "nothing was changed" not in reply.text
    assert problems


async def test_a_failure_repeats_what_the_handler_said_was_done(sb: Sandbox) -> None:
    member = sb.add_member("Ms Rivera")
    with bugs_expected(sb) as problems:
        reply = await sb.command(member, "edge told")
    assert "the round was saved" in reply.text
    assert "nothing was changed" not in reply.text
    assert problems


async def test_a_button_posted_with_an_old_custom_id_still_works(sb: Sandbox) -> None:
    """Ids already posted in servers (`probe:count:7`) reach the class that replaced them."""
    member = sb.add_member("Ms Rivera")
    await sb.command(member, "edge post")
    old = next(m for m in sb.messages_in(sb.general) if m.content == "old form")
    reply = await sb.click(member, old, custom_id="probe:count:7")
    assert reply.acknowledged
    assert any(m.content == "pressed 7" for m in sb.messages_in(sb.general))
    new = next(m for m in sb.messages_in(sb.general) if m.content == "new form")
    await sb.click(member, new, "new")
    assert any(m.content == "pressed 8" for m in sb.messages_in(sb.general))


async def test_new_ids_carry_one_prefix_and_their_fields(sb: Sandbox) -> None:
    member = sb.add_member("Ms Rivera")
    await sb.command(member, "edge post")
    new = next(m for m in sb.messages_in(sb.general) if m.content == "new form")
    ids = [c["custom_id"] for row in new.components for c in row["components"]]
    assert ids == ["tb:probe.count:8", f"tb:probe.mine:{member.user.id}", "tb:probe.broken:1"]


async def test_an_owned_button_refuses_anyone_else_and_answers_its_owner(sb: Sandbox) -> None:
    owner = sb.add_member("Ms Rivera")
    other = sb.add_member("Mr Stone")
    await sb.command(owner, "edge post")
    new = next(m for m in sb.messages_in(sb.general) if m.content == "new form")
    refused = await sb.click(other, new, "mine")
    assert refused.text.strip() == t("error.not_your_panel", "en")
    accepted = await sb.click(owner, new, "mine")
    assert accepted.text.strip() == "yours"


async def test_a_component_failing_after_a_commit_is_answered_truthfully(sb: Sandbox) -> None:
    member = sb.add_member("Ms Rivera")
    await sb.command(member, "edge post")
    new = next(m for m in sb.messages_in(sb.general) if m.content == "new form")
    with bugs_expected(sb) as problems:
        reply = await sb.click(member, new, "broken")
    assert await saved(sb, "probe:1") == "saved"
    assert reply.ephemeral and reply.text.strip() == t("error.generic_partly", "en")
    assert any("a bug after the commit" in p for p in problems)


async def test_a_form_opened_before_a_restart_is_received_after_it(sb: Sandbox) -> None:
    """The bot restarts while the form is open; the person's answer still arrives."""
    member = sb.add_member("Ms Rivera")
    opened = await sb.command(member, "edge form")
    assert opened.modal is not None
    await sb.restart_bot()
    reply = await sb.submit(member, opened, note="bring maps")
    assert reply.text.strip() == "noted 5: bring maps"


async def test_a_form_answered_without_a_restart_is_answered_once(sb: Sandbox) -> None:
    """The same form, no restart: one answer (discord.py's own modal store stays silent)."""
    member = sb.add_member("Ms Rivera")
    opened = await sb.command(member, "edge form")
    reply = await sb.submit(member, opened, note="hello")
    assert reply.text.strip() == "noted 5: hello"
    answers = [m for m in reply.messages if m.content]
    assert len(answers) == 1


async def test_a_long_rate_limit_is_answered_at_once_with_the_wait(sb: Sandbox) -> None:
    """A third rename within ten minutes: Discord asks to wait ten minutes. discord.py would
    sleep it out and the interaction could no longer be answered; the bot raises at once
    (`max_ratelimit_timeout`) and says how long Discord asks to wait
    (docs/topics/rate-limits.md; two name changes per channel per ten minutes)."""
    member = sb.add_member("Ms Rivera")
    for name in ("one", "two"):
        assert (await raw(sb, "PATCH", f"/channels/{sb.general.id}", {"name": name}))[0] == 200
    with bugs_expected(sb):
        reply = await sb.command(member, "edge rename", name="three")
    assert reply.ephemeral
    assert reply.text.strip() == t("error.rate_limited", "en", minutes=10)
    assert sb.general.name == "two" and sb.invalid_requests == 1
