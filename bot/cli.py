"""Command line: `python -m bot [run|migrate|demo]` (run is the default)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from bot import __version__
from bot.config import Settings, SettingsError, load_settings
from bot.logs import setup_logging

NO_TOKEN_HINT = (
    "DISCORD_TOKEN is not set: put your bot token in .env (see .env.example), "
    "or try `make demo`, which runs offline."
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="twinbridge", description="Twinbridge Discord bot")
    parser.add_argument("--version", action="version", version=f"twinbridge {__version__}")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="log in to Discord and serve (the default)")
    sub.add_parser("migrate", help="upgrade the database schema to the latest version")
    demo = sub.add_parser("demo", help="run a scripted exchange offline in the loopback sandbox")
    demo.add_argument("--output", default="demo-output", help="folder for images, CSV and charts")
    return parser


async def _migrate(settings: Settings) -> None:
    from bot.store import create_database
    from bot.store.migrate import upgrade

    db = create_database(settings.database_url)
    try:
        await upgrade(db)
    finally:
        await db.dispose()


async def _run(settings: Settings) -> int:
    import discord

    from bot.app import Context, Twinbridge
    from bot.store import create_database

    assert settings.discord_token is not None
    bot = Twinbridge(
        Context(settings=settings, db=create_database(settings.database_url)),
        freeze_start_up_heap=True,
    )
    try:
        async with bot:
            await bot.start(settings.discord_token.get_secret_value())
    except discord.LoginFailure:
        print("DISCORD_TOKEN was rejected by Discord: copy the bot token again.", file=sys.stderr)
        return 1
    except discord.PrivilegedIntentsRequired:
        print("Discord refused the gateway intents; see README 'Intents'.", file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m bot` and the `twinbridge` script."""
    args = _parser().parse_args(argv)
    command = args.command or "run"
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    token = settings.discord_token.get_secret_value() if settings.discord_token else ""
    setup_logging(settings.log_level, secrets=[token])
    log = logging.getLogger("bot")

    if command == "migrate":
        asyncio.run(_migrate(settings))
        log.info("database is up to date")
        return 0
    if command == "demo":
        from bot.demo import run_demo

        return asyncio.run(run_demo(args.output))
    if not token:
        print(NO_TOKEN_HINT, file=sys.stderr)
        return 1
    try:
        return asyncio.run(_run(settings))
    except KeyboardInterrupt:
        return 0
