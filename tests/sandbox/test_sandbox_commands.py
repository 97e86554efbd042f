"""Registering application commands meets Discord's rules in the sandbox.

Source for every test here: discord/discord-api-docs, docs/interactions/application-commands.md
("Application Command Naming", the command, option and choice structures, "Registering a
Command") and docs/reference.md ("Locales"); the 8,000-character total is Discord's documented
maximum size of one command.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.sandbox.commands import chat_input_name_problem, check_commands
from bot.sandbox.driver import Sandbox
from bot.sandbox.limits import DiscordLimitError
from tests.sandbox.rest import raw


def _option(name: str = "text", **extra: Any) -> dict[str, Any]:
    return {"type": 3, "name": name, "description": "Some text"} | extra


def _command(**extra: Any) -> dict[str, Any]:
    return {"type": 1, "name": "probe", "description": "A probe", "options": []} | extra


def _errors(commands: list[dict[str, Any]]) -> dict[str, Any]:
    with pytest.raises(DiscordLimitError) as refused:
        check_commands(commands)
    assert (refused.value.status, refused.value.code) == (400, 50035)
    return refused.value.errors


@pytest.mark.parametrize(
    ("command", "where"),
    [
        (_command(name="Probe"), ["0", "name"]),
        (_command(name="two words"), ["0", "name"]),
        (_command(name="p" * 33), ["0", "name"]),
        (_command(description=""), ["0", "description"]),
        (_command(description="d" * 101), ["0", "description"]),
        (_command(options=[_option(f"o{i}") for i in range(26)]), ["0", "options"]),
        (_command(options=[_option("Text")]), ["0", "options", "0", "name"]),
        (
            _command(
                options=[_option(choices=[{"name": f"c{i}", "value": f"c{i}"} for i in range(26)])]
            ),
            ["0", "options", "0", "choices"],
        ),
        (
            _command(options=[_option(choices=[{"name": "long", "value": "v" * 101}])]),
            ["0", "options", "0", "choices", "0", "value"],
        ),
        (
            _command(options=[_option("a"), _option("b", required=True)]),
            ["0", "options", "1", "required"],
        ),
        (
            _command(description_localizations={"ar": "مسبار"}),
            ["0", "description_localizations", "ar"],
        ),
        (
            _command(name_localizations={"es-ES": "Sonda"}),
            ["0", "name_localizations", "es-ES"],
        ),
        (
            # Four options of 25 choices with 100-character names: over 8,000 characters.
            _command(
                options=[
                    _option(
                        f"o{i}", choices=[{"name": "n" * 100, "value": str(j)} for j in range(25)]
                    )
                    for i in range(4)
                ]
            ),
            ["0"],
        ),
        (
            _command(options=[_option(autocomplete=True, choices=[{"name": "a", "value": "a"}])]),
            ["0", "options", "0", "autocomplete"],
        ),
        (
            {"type": 3, "name": "Report to teacher", "description": "Not empty"},
            ["0", "description"],
        ),
    ],
    ids=[
        "upper-case-name",
        "space-in-name",
        "name-33",
        "no-description",
        "description-101",
        "26-options",
        "upper-case-option",
        "26-choices",
        "choice-value-101",
        "required-after-optional",
        "arabic-localisation",
        "upper-case-localised-name",
        "over-8000-characters",
        "autocomplete-with-choices",
        "message-command-with-description",
    ],
)
def test_a_command_breaking_a_rule_is_refused_where_it_breaks_it(
    command: dict[str, Any], where: list[str]
) -> None:
    """Each rule, broken once, is reported at its place in the body, as Discord does."""
    node = _errors([command])
    for key in where:
        assert key in node, (where, node)
        node = node[key]


def test_names_follow_discords_pattern() -> None:
    """Letters and numbers of any script, `-`, `_` and `'`; lower case where a letter has one."""
    for good in ("exchange", "keep-apart", "échange", "交流", "शतरंज", "หมากรุก", "o'clock", "a_1"):
        assert chat_input_name_problem(good) is None, good
    for bad in ("Exchange", "keep apart", "", "x" * 33, "what?", "ÉCHANGE"):
        assert chat_input_name_problem(bad) is not None, bad


def test_the_same_name_twice_is_refused_but_not_across_types() -> None:
    """Names are unique per type within a scope."""
    assert _errors([_command(), _command()])["1"]["name"]
    check_commands([_command(), {"type": 3, "name": "probe", "description": ""}])


async def test_a_refused_registration_changes_nothing(sb: Sandbox) -> None:
    """The PUT is answered 400 / 50035 and the commands already registered stay."""
    before = list(sb.server.guild_commands[sb.guild.id])
    path = f"/applications/{sb.server.application_id}/guilds/{sb.guild.id}/commands"
    status, answer = await raw(sb, "PUT", path, [_command(name="Bad Name")])
    assert (status, answer["code"]) == (400, 50035)
    assert sb.server.guild_commands[sb.guild.id] == before
    assert sb.expect_problems()


async def test_two_hundred_creations_a_day_per_guild(sb: Sandbox) -> None:
    """ "There is a global rate limit of 200 application command creates per day, per guild":
    the 201st new name waits (429, 30034) until a day has passed on the sandbox clock."""
    path = f"/applications/{sb.server.application_id}/guilds/{sb.guild.id}/commands"
    made = len(sb.server.guild_commands[sb.guild.id])

    def batch(prefix: str, count: int) -> list[dict[str, Any]]:
        return [_command(name=f"{prefix}{i}") for i in range(count)]

    assert (await raw(sb, "PUT", path, batch("a", 100)))[0] == 200
    assert (await raw(sb, "PUT", path, batch("b", 100 - made)))[0] == 200
    status, answer = await raw(sb, "PUT", path, batch("c", 1))
    assert (status, answer["code"]) == (429, 30034)
    assert answer["retry_after"] > 3600
    await sb.advance(days=1)
    assert (await raw(sb, "PUT", path, batch("c", 1)))[0] == 200
