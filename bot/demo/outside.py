"""Chapter (the last): outside Discord — a dashboard link for the board, a teacher's calendar
subscription that follows a move, a report as a workbook, and the monthly digest.

The dashboard's pages and the feed come from the bot's own web server, which the demo runs on
127.0.0.1 (nothing leaves the machine); links are written with PUBLIC_URL, as the bot's
host sets it behind a TLS reverse proxy.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from icalendar import Calendar
from openpyxl import load_workbook

from bot.demo.snapshot import PAGES, Snapshot, save_dashboard
from bot.demo.story import DemoRun, label
from bot.i18n import available_languages, language_name
from bot.sandbox.driver import Reply

# The chapter's heading on the demo's page (index.html).
TITLE = "Outside Discord: a dashboard, calendar feeds, workbooks, a digest"

# The address the links are written with: the demo's stand-in for the host's reverse proxy.
PUBLIC_URL = "https://twinbridge.example.org"
# The first Tuesday of December: 08:00 in Minneapolis (CST) = 14:00 UTC, also the first
# school day of the month in both cities, when the digest goes out.
DECEMBER = datetime(2026, 12, 1, 14, tzinfo=UTC)
MOVED_TO = ("2026-12-08", "08:00")
ZONE = "America/Chicago"  # Minneapolis's, as the setup chapter made the exchange
LINK = re.compile(r"(https?://\S+/d/[A-Za-z0-9_.-]+/)")
FEED = re.compile(r"(https?://\S+?\.ics)")


def _found(pattern: re.Pattern[str], reply: Reply) -> str:
    match = pattern.search(reply.text)
    if match is None:
        raise AssertionError(f"no address in {reply.text!r}")
    return match.group(1)


def _pages(snapshot: Snapshot, out: Path) -> list[tuple[str, str]]:
    """Links to a saved dashboard: each page in the link's own language, then the others."""
    first, *others = snapshot.languages
    links = [
        (name.removesuffix(".html"), snapshot.page(first, name).relative_to(out).as_posix())
        for path, name in PAGES.items()
        if path != "./"
    ]
    links += [
        (f"in {language_name(code, 'en')}", snapshot.page(code).relative_to(out).as_posix())
        for code in others
    ]
    links += [
        (name, (snapshot.folder / name).relative_to(out).as_posix()) for name in snapshot.downloads
    ]
    return links


def _languages(first: str) -> list[str]:
    return [first, *(code for code in available_languages() if code != first)]


async def _get(url: str) -> bytes:
    async with aiohttp.ClientSession() as session, session.get(url) as answer:
        answer.raise_for_status()
        return await answer.read()


def _events(data: bytes) -> list[Any]:
    return list(Calendar.from_ical(data).walk("VEVENT"))


def _series_note(data: bytes) -> str:
    """What a calendar app reads in a feed: the series and how often it repeats."""
    events = _events(data)
    series = next(e for e in events if "RRULE" in e)
    first = series.decoded("DTSTART").astimezone(ZoneInfo(ZONE))
    rule = series["RRULE"].to_ical().decode()
    return f"one series from {first:%a %Y-%m-%d %H:%M} ({ZONE}), RRULE {rule}"


def _move_note(before: bytes, after: bytes) -> str:
    """What changed for a calendar app between two polls: the moved session, and the
    SEQUENCE and LAST-MODIFIED that tell it to replace what it showed."""
    old = next(e for e in _events(before) if "RRULE" in e)
    events = _events(after)
    new = next(e for e in events if "RRULE" in e)
    local = ZoneInfo(ZONE)
    notes = []
    for event in (e for e in events if "RECURRENCE-ID" in e):
        was = event.decoded("RECURRENCE-ID").astimezone(local)
        now = event.decoded("DTSTART").astimezone(local)
        notes.append(f"the session of {was:%a %Y-%m-%d} is on {now:%a %Y-%m-%d %H:%M}")
    grew = int(new["SEQUENCE"]) > int(old["SEQUENCE"])
    modified = new.decoded("LAST-MODIFIED") > old.decoded("LAST-MODIFIED")
    changed = "a higher SEQUENCE and a later LAST-MODIFIED" if grew and modified else "no change"
    return f"{'; '.join(notes) or 'nothing moved'}, with {changed}, so calendar apps update it"


def _save(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


async def chapter(run: DemoRun) -> None:
    """/report link (a coordinator's, a teacher's), /session calendar before and after a move,
    /report attendance file:xlsx, /report digest and December's digest."""
    sb, story, out = run.sb, run.story, run.out
    assert run.coordinator is not None and run.teachers_channel is not None
    assert sb.bot.web is not None and sb.bot.web.port is not None, "the demo runs the web server"
    server = f"http://127.0.0.1:{sb.bot.web.port}"
    coordinator, teacher = run.coordinator, run.teachers["Ms Rivera"]

    story.section("A link to the dashboard, for the school board")
    story.note(
        "the board and the funders are not on Discord: the coordinator gives them a read-only "
        "page with the figures she sees in /report"
    )
    link = _found(LINK, await sb.command(coordinator, "report link"))
    board = await save_dashboard(link, server, out / "dashboard", _languages("en"))
    story.saved("the pages that link opens, and its downloads, saved in", _pages(board, out))
    run.highlights.append(
        ("The dashboard, as the school board sees it", board.page("en").relative_to(out).as_posix())
    )

    story.section("A teacher shares his own city only")
    kareem = run.teachers["Ustadh Kareem"]
    link = _found(LINK, await sb.command(kareem, "report link"))
    najaf = await save_dashboard(link, server, out / "dashboard-najaf", _languages("ar"))
    story.saved(
        "his link shows Najaf only, in Arabic, right to left; saved in", _pages(najaf, out)[:5]
    )
    run.highlights.append(
        (
            "A teacher's dashboard: Najaf only, in Arabic",
            najaf.page("ar").relative_to(out).as_posix(),
        )
    )
    await sb.command(coordinator, "report links")

    story.section("The sessions in a teacher's calendar app")
    reply = await sb.command(teacher, "session calendar", city="Minneapolis")
    feed = _found(FEED, reply).replace(PUBLIC_URL, server, 1)
    before = await _get(feed)
    _save(out / "calendar", "minneapolis.ics", before)
    story.note("her calendar app subscribes to it: " + _series_note(before))
    story.note("December's session falls on a school trip: she moves it a week")
    day, time = MOVED_TO
    moving = await sb.command(
        teacher,
        "session move",
        occurrence=str(int(DECEMBER.timestamp())),
        date=day,
        time=time,
    )
    preview = moving.followups[-1] if moving.followups else moving.message
    assert preview is not None
    await sb.click(teacher, preview, label(preview, "session.move_confirm"))
    after = await _get(feed)
    _save(out / "calendar", "minneapolis-after-the-move.ics", after)
    story.note("the next poll of the same address: " + _move_note(before, after))
    story.saved(
        "both polls saved",
        [
            ("before", "calendar/minneapolis.ics"),
            ("after the move", "calendar/minneapolis-after-the-move.ics"),
        ],
    )
    run.highlights.append(
        ("A calendar feed, polled after a move", "calendar/minneapolis-after-the-move.ics")
    )

    story.section("Every report as an Excel workbook")
    workbook = await sb.command(coordinator, "report attendance", file="xlsx")
    (sheet,) = [a for a in workbook.files if a.filename.endswith(".xlsx")]
    path = _save(out / "reports", sheet.filename, bytes(sheet.data))
    book = load_workbook(io.BytesIO(bytes(sheet.data)))
    frozen = all(sheet.freeze_panes == "A2" for sheet in book.worksheets)
    cells = [cell.value for row in book["sessions"].iter_rows(min_row=2) for cell in row]
    dated = any(isinstance(value, date) for value in cells)
    story.saved(
        f"one sheet per level ({', '.join(book.sheetnames)})"
        + (", header rows frozen" if frozen else "")
        + (", dates as dates" if dated else "")
        + "; python -m bot report attendance --format xlsx writes the same",
        [(sheet.filename, path.relative_to(out).as_posix())],
    )
    run.highlights.append(("A report as an Excel workbook", path.relative_to(out).as_posix()))

    story.section("A monthly digest in the teachers' channel")
    await sb.command(coordinator, "report digest", state="on")
    posted = len(sb.messages_in(run.teachers_channel))
    with story.quietly():
        await sb.advance_to(DECEMBER + timedelta(minutes=5))
    story.note(
        "four weeks later, on Tuesday 1 December, the first school day of the month in both "
        "cities, the digest arrives: November against October"
    )
    digest = next(
        m
        for m in sb.messages_in(run.teachers_channel)[posted:]
        if m.embeds and str(m.embeds[0].get("title", "")).startswith("📬")
    )
    story.show(digest)
    saved = [_save(out / "digest", a.filename, bytes(a.data)) for a in digest.attachments]
    story.saved(
        "its chart and workbook saved in", [(p.name, p.relative_to(out).as_posix()) for p in saved]
    )
    run.highlights += [
        (
            "The monthly digest's " + ("chart" if p.suffix == ".png" else "workbook"),
            p.relative_to(out).as_posix(),
        )
        for p in saved
    ]
