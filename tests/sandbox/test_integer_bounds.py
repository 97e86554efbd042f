"""Every integer option is bounded by the database's INTEGER: Discord lets a person type up to
±2**53 into one, which PostgreSQL's int4 ids refuse with an error instead of "not found"."""

from discord import AppCommandOptionType, app_commands

from bot.limits import INTEGER_MAX, INTEGER_MIN
from bot.sandbox.driver import Sandbox, SandboxError
from bot.translator import walk


async def test_every_integer_option_fits_the_database(sb: Sandbox) -> None:
    checked = 0
    for command in walk(sb.bot.tree):
        if not isinstance(command, app_commands.Command):
            continue
        for parameter in command.parameters:
            if parameter.type is AppCommandOptionType.integer:
                checked += 1
                low, high = parameter.min_value, parameter.max_value
                assert low is not None and high is not None, command.qualified_name
                assert INTEGER_MIN <= low <= high <= INTEGER_MAX, command.qualified_name
    assert checked > 10  # the exchange, survey, session… options


async def test_an_id_beyond_the_database_is_refused_by_discord(sb: Sandbox) -> None:
    teacher = sb.add_member("Ms Rivera")
    try:
        await sb.command(teacher, "survey results", survey=2**53)
    except SandboxError as refused:
        assert "above" in str(refused)
    else:
        raise AssertionError("Discord let an id past the database's INTEGER through")
