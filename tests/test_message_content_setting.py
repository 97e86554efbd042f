"""MESSAGE_CONTENT_INTENT: off by default; on, the bot gets message text (to measure it)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot.app import intents
from bot.config import load_settings
from bot.logs import setup_logging


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MESSAGE_CONTENT_INTENT", raising=False)


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


def test_message_content_is_off_by_default() -> None:
    """Without the setting, the bot identifies with no privileged intent at all."""
    settings = load_settings(env_file=None)
    assert settings.message_content_intent is False
    wanted = intents(settings.message_content_intent)
    assert not wanted.message_content and not wanted.members and not wanted.presences
    assert wanted.guild_messages, "messages are still counted, without their text"


def test_the_setting_turns_on_only_the_message_content_intent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """MESSAGE_CONTENT_INTENT=true adds Message Content and no other privileged intent."""
    monkeypatch.setenv("MESSAGE_CONTENT_INTENT", "true")
    settings = load_settings(env_file=None)
    wanted = intents(settings.message_content_intent)
    assert wanted.message_content
    assert not wanted.members and not wanted.presences


@pytest.mark.usefixtures("restore_logging")
def test_gateway_payloads_stay_out_of_the_logs_even_at_debug() -> None:
    """With message text arriving, LOG_LEVEL=DEBUG must not print gateway payloads."""
    setup_logging("DEBUG")
    assert logging.getLogger("discord.gateway").getEffectiveLevel() >= logging.INFO
    assert logging.getLogger("discord.http").getEffectiveLevel() >= logging.INFO
