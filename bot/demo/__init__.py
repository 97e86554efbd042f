"""`make demo`: a whole exchange, offline, in the loopback sandbox, told as a transcript and
shown as a page (`index.html`: the server as its members saw it).

The story is told in chapters, one module per feature, run in order on one shared `DemoRun`.
"""

from __future__ import annotations

import logging
import sys
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bot import pseudo
from bot.clock import ManualClock
from bot.demo.outside import PUBLIC_URL
from bot.demo.page import write_page
from bot.demo.story import DemoRun
from bot.i18n import available_languages
from bot.logs import setup_logging

PAGE_TITLE = "Twinbridge: an exchange from start to finish"

Chapter = Callable[[DemoRun], Awaitable[None]]


def chapters() -> list[Chapter]:
    """The demo's chapters, in the order a teacher evaluating Twinbridge would meet them."""
    from bot.demo import (
        checkins,
        chess,
        directory,
        network,
        outside,
        prompts,
        reports,
        safety,
        sessions,
        setup,
        surveys,
    )

    return [
        setup.chapter,
        checkins.chapter,  # a week after the round
        sessions.chapter,
        prompts.chapter,
        chess.chapter,
        safety.chapter,
        reports.chapter,  # the summary of the months told before it
        outside.chapter,  # builds on that summary, and moves the clock on to December
        # A second exchange in the server, with its chess league: after the others, which
        # name none, and whose figures its games would change.
        network.chapter,
        directory.chapter,  # other servers: commands are registered globally (run_demo)
        # Last: its posts and answers would change the figures the chapters before report.
        surveys.chapter,
    ]


async def run_demo(output: str, language: str | None = None, *, told: int | None = None) -> int:
    """Run the scripted scenario, print its transcript and save its files under `output`.

    `language`: the one language of the exchange's teachers and students (None: each their
    own, as the story tells it); `qps`, the pseudo-locale, tells the story in English with every
    text checked for having gone through the catalogue (bot/sandbox/leaks.py). `told`: only
    the first chapters (a quick look).
    """
    from bot.sandbox.driver import Sandbox
    from bot.sandbox.transcript import Transcript

    pseudo_locale = language == pseudo.LANGUAGE
    if language is not None and not pseudo_locale and language not in available_languages():
        print(f"No catalogue for {language!r}: choose one of {available_languages()}.")
        return 2

    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - once, before anything runs
    (out / "leaks.txt").unlink(missing_ok=True)  # an earlier pseudo-locale run's
    with _only_warnings(), tempfile.TemporaryDirectory(prefix="twinbridge-demo-") as tmp:
        # The bot's web server on a free port of 127.0.0.1, for the dashboard and the feeds;
        # links are written with the address a host would give it (outside.PUBLIC_URL).
        # Commands registered globally, as in production, so the other servers of the
        # directory chapter have them; the directory open to every server of the story.
        settings = {
            "http_port": 0,
            "public_url": PUBLIC_URL,
            "dev_guild_id": None,
            "directory": "on",
        }
        async with Sandbox.running(
            Path(tmp), clock=ManualClock(), settings=settings, pseudo_locale=pseudo_locale
        ) as sb:
            speaks = None if pseudo_locale else language
            run = DemoRun(sb=sb, story=Transcript(sb), out=out, language=speaks)
            # The server's owner, who runs the first commands, reads their language too.
            sb.owner.locale = run.client_locale
            if sb.server.leak_check is not None:
                # The whole story is told, and every leak listed at its end.
                sb.server.leak_check.listing_only = True
            for chapter in chapters()[:told]:
                run.story.chapter(title_of(chapter))
                await chapter(run)
            write_page(out, sb, run.story, PAGE_TITLE, run.highlights)
            leaks = list(sb.server.leak_check.leaks) if sb.server.leak_check else []
        (out / "transcript.txt").write_text("\n".join(run.story.lines) + "\n", encoding="utf-8")
    print(f"\nTranscript, index.html and files saved in {out}/")
    if leaks:
        (out / "leaks.txt").write_text("\n".join(leaks) + "\n", encoding="utf-8")
        print(f"\n{len(leaks)} texts skipped the catalogue (listed in {out}/leaks.txt):")
        print("\n".join(f"  {leak}" for leak in leaks))
        return 1
    if pseudo_locale:
        print("\nPseudo-locale: every text the bot sent went through the catalogue.")
    return 0


@contextmanager
def _only_warnings() -> Iterator[None]:
    """Library chatter left out while the demo runs: its output is the transcript. Logging is
    as it was afterwards (a test process runs the demo among other tests)."""
    root = logging.getLogger()
    handlers = list(root.handlers)
    levels = {name: found.level for name, found in _loggers()}
    root_level = root.level
    # Warnings only, for the loggers `setup_logging` sets one by one (SQLAlchemy's statements)
    # as for the root.
    setup_logging("WARNING")
    # The demo's clock jumps by weeks: the scheduler's wake-up comes due again while the one
    # running still works through what is due (and then re-arms), which APScheduler reports
    # as a skipped run. Nothing is lost; the warning would only puzzle a reader.
    logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(root_level)
        for name, found in _loggers():
            found.setLevel(levels.get(name, logging.NOTSET))


def _loggers() -> list[tuple[str, logging.Logger]]:
    every = logging.root.manager.loggerDict.items()
    return [(name, found) for name, found in every if isinstance(found, logging.Logger)]


def title_of(chapter: Chapter) -> str:
    """A chapter's heading on the demo's page (its module's TITLE)."""
    return str(getattr(sys.modules[chapter.__module__], "TITLE", chapter.__module__))
