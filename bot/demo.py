"""`make demo`: a whole exchange, offline, in the loopback sandbox, told as a transcript."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from bot.clock import ManualClock


async def run_demo(output: str) -> int:
    """Run the scripted scenario, print its transcript and save its files under `output`."""
    from bot.sandbox.driver import Sandbox
    from bot.sandbox.transcript import Transcript

    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - once, before anything runs
    # The transcript is the demo's output; library chatter would drown it.
    logging.getLogger().setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="twinbridge-demo-") as tmp:
        async with Sandbox.running(Path(tmp), clock=ManualClock()) as sb:
            story = Transcript(sb)
            story.section("Twinbridge, offline: the real bot in a loopback Discord")
            story.note(f"server '{sb.guild.name}', bot logged in as {sb.server.bot_user.username}")
            teacher = sb.add_member("Ms Rivera", locale="en-US")
            await sb.command(teacher, "about")
            partner = sb.add_member("Ustadh Kareem", locale="ar")
            await sb.command(partner, "about")
        (out / "transcript.txt").write_text("\n".join(story.lines) + "\n", encoding="utf-8")
    print(f"\nTranscript saved to {out / 'transcript.txt'}")
    return 0
