"""A roster CSV of 5,000 usernames, through the real bot and the loopback Discord.

Before, the bot asked Discord's gateway for each name in turn (~110 names a minute under
Discord's limit on gateway requests): 5,000 names took ~45 minutes, three times as long as
the 15 minutes an interaction can still be answered. Names are now looked up with Discord's
member search, a thousand members a prefix (`bot.domain.member_search`); this measures the
time from the teacher's /roster import to the answer, and how many searches it took.
"""

from __future__ import annotations

import time

from bench.core import Figure
from bench.sandboxed import sandbox
from bot.sandbox.driver import Sandbox, Upload
from bot.sandbox.state import Member

STUDENTS = 5000
# Usernames as a big district's students have them: first names with numbers.
FIRST: tuple[str, ...] = (
    *("ali", "amina", "ben", "carlos", "dana", "elif", "fatima", "george", "hana", "ivan"),
    *("jamal", "kofi", "layla", "maya", "noor", "omar", "paula", "quinn", "rania", "sam"),
    *("tariq", "umar", "vera", "wafa", "xena", "yusuf", "zainab"),
)


def _username(i: int) -> str:
    return f"{FIRST[i % len(FIRST)]}_{i:04d}"


async def _world(sb: Sandbox) -> Member:
    """An exchange, 5,000 students in the server, and their teacher."""
    students = sb.add_role("Students")
    teachers = sb.add_role("Teachers")
    await sb.command(sb.owner, "exchange roles", student=students, teacher=teachers)
    await sb.command(
        sb.owner,
        "exchange create",
        name="Bench",
        city_a="Minneapolis",
        zone_a="America/Chicago",
        languages_a="en",
        city_b="Najaf",
        zone_b="Asia/Baghdad",
        languages_b="ar",
    )
    for i in range(STUDENTS):
        sb.add_member(_username(i), roles=[students])
    teacher = sb.add_member("Ms Rivera", roles=[teachers])
    # Staff act only in the exchanges they joined.
    await sb.command(teacher, "join", city="Minneapolis")
    await sb.idle(within=300)
    return teacher


def _file() -> Upload:
    rows = ["user,city,grade_band,languages"]
    for i in range(STUDENTS):
        city = "Minneapolis" if i % 2 else "Najaf"
        rows.append(f"{_username(i)},{city},13-15,{'en' if i % 2 else 'ar'}")
    return Upload("district.csv", ("\n".join(rows) + "\n").encode())


async def figures() -> list[Figure]:
    """The time to the answer of a 5,000-username import, and the searches it made."""
    async with sandbox() as sb:
        teacher = await _world(sb)
        before = len(sb.server.requests)
        pending = sb.prepare_command(teacher, "roster import", file=_file())
        start = time.perf_counter()
        (reply,) = await sb.at_once([pending], within=900)
        took = time.perf_counter() - start
        searches = sum(
            1 for method, path in sb.server.requests[before:] if path.endswith("/members/search")
        )
        imported = "5000 students imported" in reply.text.replace(",", "")
    return [
        Figure(
            f"roster import: {STUDENTS:,} usernames, time to the answer",
            # An import that did not take everyone is no figure: its time says nothing.
            took if imported else None,
            "s",
            120,
            note=f"{searches} member searches; one gateway request per name took ~45 min"
            if imported
            else f"not measurable: the answer was {reply.text[:120]!r}",
        ),
    ]
