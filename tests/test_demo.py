"""`make demo` tells the whole story offline, end to end, and keeps its files: a transcript,
`index.html` (the server as its members saw it), and what people outside Discord get — the
dashboard's pages, a calendar feed, workbooks, the monthly digest. The demo runs once per test
process (the `demo_output` fixture, tests/conftest.py); tests/browser/test_demo_page.py
opens the same output in Chromium."""

from __future__ import annotations

import csv
import io
import re
import struct
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
import recurring_ical_events
from icalendar import Calendar
from openpyxl import load_workbook

from bot import plurals
from bot.demo import chapters, run_demo, title_of
from bot.i18n import _catalogue, unisolated


class Links(HTMLParser):
    """The headings and the local links (href, src) of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.headings: list[str] = []
        self._heading: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src", "action") and value is not None:
                self.links.append(value)
        if tag == "h2":
            self._heading = []

    def handle_data(self, data: str) -> None:
        if self._heading is not None:
            self._heading.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2" and self._heading is not None:
            self.headings.append("".join(self._heading).strip())
            self._heading = None


def read_page(path: Path) -> Links:
    page = Links()
    page.feed(path.read_text("utf-8"))
    return page


def local_files(page: Links, folder: Path) -> list[Path]:
    """Every file a page links to on the disk (not anchors, data: or other sites)."""
    found = []
    for link in page.links:
        if link.startswith(("#", "data:", "http:", "https:", "webcal:")) or not link:
            continue
        found.append((folder / link.split("?")[0].split("#")[0]).resolve())
    return found


def test_the_demo_runs_end_to_end(demo_output: Path) -> None:
    """The transcript shows the exchange, /join, the roster, paired spaces, a session,
    prompts, a chess game, a report to teachers, and the attendance summary."""
    tmp_path = demo_output
    # As the reader sees it: Arabic lines isolate what they quote (FSI…PDI, invisible), which
    # tests/test_catalogues.py checks on its own.
    transcript = unisolated((tmp_path / "transcript.txt").read_text("utf-8"))
    assert "Minneapolis–Najaf" in transcript
    assert "Ustadh Kareem runs /join city:Najaf language:ar" in transcript
    assert "Ali runs /join city:Najaf language:ar" in transcript
    assert "Ali presses [متابعة ✍️]" in transcript
    assert "🎉 أهلًا بك في Minneapolis–Najaf!" in transcript
    assert "Ben presses [Continue ✍️]" in transcript
    assert "Ms Rivera runs /roster list" in transcript
    assert "**Minneapolis**: 3 active · 0 paused" in transcript
    assert "**Zainab** · Najaf · Age 13–15" in transcript
    assert "#pair-001 is private to" in transcript
    assert "Why 3? In this round Minneapolis has 3 students and Najaf has 2" in transcript
    # Consent (issue 23): recorded per student by their own city's teacher; the preview names
    # the student still waiting; a check-in a week after the round, answered and changed.
    assert "Ustadh Kareem runs /roster consent" in transcript
    assert "Consent on file for **Ben**" in transcript
    assert "left out until a guardian's consent is on file (/roster consent): Zainab" in transcript
    assert "Ms Rivera runs /checkins days:7" in transcript
    assert "إجابتك الآن: نعم" in transcript  # Ali changed "not yet" to "yes", in Arabic
    # Rounds on a schedule: the preview in the teachers' channel, skipped by Ustadh Kareem.
    assert "Ms Rivera runs /pair cadence every:4" in transcript
    assert "A new pairing round is due for" in transcript
    assert "⏭️ تخطّاها" in transcript
    # Sessions: both cities' times and warnings, reminders, check-ins (one by voice), summary.
    assert "Ms Rivera runs /session suggest week:2026-10-05" in transcript
    assert "✅ Najaf: Mon–Thu 5:30\u202fPM–6:30\u202fPM" in transcript
    assert "Najaf · Asia/Baghdad: Tue, Oct 6, 2026 11:00\u202fPM–12:00\u202fAM" in transcript
    assert (
        "from November 3, 2026 the session is at 5:00\u202fPM instead of 4:00\u202fPM" in transcript
    )
    assert transcript.count("🔔 In 24 h: **Monthly exchange**") == 3
    assert transcript.count("🔔 In 1 h: **Monthly exchange**") == 3
    assert "You are checked in for **Monthly exchange**" in transcript
    assert "✅ Ben, Sofia\n     ❌ Maya" in transcript
    assert "✅ Ali\n     ❌ Zainab" in transcript
    assert "check-in is closed" in transcript
    # Roll call: Ms Rivera marks her class from the summary's button; Zainab is excused.
    assert "Marked by a teacher: 3 of 3" in transcript
    assert "Zainab: عُلّم غياب بعذر." in transcript
    assert "Marked by teachers at roll call: 4 (excused: 1)" in transcript
    # The session's calendar file, named by its id: 1 on SQLite; PostgreSQL's sequences keep
    # no gap-free count (an insert rolled back still took its number), so any one id.
    (calendar,) = tmp_path.glob("monthly-exchange-*.ics")
    assert calendar.read_bytes().startswith(b"BEGIN:VCALENDAR")
    # Prompts: a teacher's own prompt posted to every pair in each member's language, a pair
    # answers, and the teachers' rates show it.
    assert "Posted the next prompt in 2 paired spaces" in transcript
    assert "Let's talk" in transcript and "لنتحدّث" in transcript
    assert "🔖 own-1" in transcript
    assert "Español · La comida: Si tu compañero/a viniera" in transcript
    # The session's own prompt went to both pairs too, and is listed by the session's name.
    assert "4 prompts posted to pairs; 1 got a reply (25%)" in transcript
    assert "Session: Monthly exchange" in transcript
    # Chess: a game to mate in a paired space, its boards and PGN saved for the reader.
    assert "Game #1: Ben wins by checkmate (1-0)." in transcript
    assert "⏰" in transcript  # the reminder before a deadline
    boards = sorted((tmp_path / "chess").glob("chess-1-*.png"))
    assert len(boards) == 8  # the start and each of the seven moves
    assert all(b.read_bytes().startswith(b"\x89PNG") for b in boards)
    assert (tmp_path / "chess" / "twinbridge-chess-1.pgn").read_text("utf-8").count("Qxf7#") == 1
    # Safety: a report reaches the teachers, who pause the space and reopen it.
    assert "🚩 Report #1 · Sharing personal information" in transcript
    assert "students who can read #teachers: 0" in transcript
    assert "Ali in #pair-001: can read True, can write False" in transcript
    assert "Your teachers have paused this space" in transcript
    assert "Your teachers have reopened this space" in transcript
    shown_by_bot = [line for line in transcript.splitlines() if line.lstrip().startswith("▌")]
    assert not any("phone number" in line for line in shown_by_bot), "no message text copied"
    saved = re.search(r"saved (twinbridge-data-\d+\.json)", transcript)
    assert saved, "the export is saved with the demo's files"
    assert b'"participants"' in (tmp_path / saved.group(1)).read_bytes()
    # Reports: a month on, the coordinator's summary with its CSV and chart, then one student
    # (the end of that chapter, before the story goes outside Discord).
    assert (
        "     ▌ — Sessions count once they have ended; dates are whole days in UTC.\n\n"
        "── A link to the dashboard, for the school board ──"
    ) in transcript
    assert "▌ 📊 Attendance · Minneapolis–Najaf" in transcript
    assert "▌ Minneapolis: **50%** · 3 of 6" in transcript
    assert "▌ Missed two sessions in a row: Maya (Minneapolis) — missed the last 2" in transcript
    assert "▌ 📊 الحضور · Minneapolis–Najaf · Najaf" in transcript
    assert "Chess games: 1 · Minneapolis 1 – 0 Najaf" in transcript
    assert "▌ Pairs to nudge (2): Maya & Zainab — no message yet" in transcript
    reports = tmp_path / "reports"
    (sheet,) = reports.glob("attendance-*.csv")
    rows = list(csv.DictReader(io.StringIO(sheet.read_text("utf-8-sig"))))
    cities = {r["city"]: r for r in rows if r["level"] == "city"}
    assert (cities["Minneapolis"]["attended"], cities["Minneapolis"]["expected"]) == ("3", "6")
    # Zainab was excused from October's session at roll call: not expected there.
    assert (cities["Najaf"]["attended"], cities["Najaf"]["expected"]) == ("2", "3")
    assert (cities["Minneapolis"]["marked_by_teacher"], cities["Najaf"]["excused"]) == ("3", "1")
    (chart,) = reports.glob("attendance-*.png")
    png = chart.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", png[16:24]) == (1200, 600)
    (figures,) = reports.glob("exchange-*.csv")
    assert "students_enrolled,3,2,5" in figures.read_text("utf-8-sig")


def test_the_page_shows_every_chapter_and_every_file_it_links_is_there(demo_output: Path) -> None:
    """index.html beside the transcript: a section per chapter, the channels, and every image,
    file and saved page it links exists in the output."""
    index = demo_output / "index.html"
    page = read_page(index)
    titles = [title_of(chapter) for chapter in chapters()]
    assert len(set(titles)) == len(titles) == 11
    assert [h for h in page.headings if h in titles] == titles
    assert "Outside Discord" in page.headings
    html = index.read_text("utf-8")
    for channel in ("# general", "# teachers", "# pair-001"):
        assert channel in html
    files = local_files(page, demo_output)
    assert files and all(f.is_file() for f in files), [str(f) for f in files if not f.is_file()]
    linked = {f.relative_to(demo_output.resolve()).as_posix() for f in files}
    assert {
        "transcript.txt",
        "dashboard/en/index.html",
        "dashboard-najaf/ar/index.html",
        "calendar/minneapolis-after-the-move.ics",
        "digest/digest-1-2026-11.png",
        "digest/digest-1-2026-11.xlsx",
    } <= linked
    assert sum(1 for f in linked if f.startswith("media/") and f.endswith(".png")) >= 10
    assert 'class="saved"' in html  # files the story saved are links, not only words
    assert "<script" not in html


def test_the_dashboards_are_saved_as_their_readers_see_them(demo_output: Path) -> None:
    """/report link by the coordinator (the whole exchange, every language) and by Najaf's
    teacher (his city only, in Arabic, right to left): each page saved, its links pointing at
    the saved copies, its downloads beside them."""
    board = demo_output / "dashboard"
    for language in ("en", "ar", "es"):
        for name in ("index", "sessions", "attendance", "prompts", "chess"):
            path = board / language / f"{name}.html"
            html = path.read_text("utf-8")
            assert "<h1><bdi>Minneapolis–Najaf</bdi></h1>" in html, path
            assert f'<html lang="{language}"' in html
            missing = [f for f in local_files(read_page(path), path.parent) if not f.is_file()]
            assert missing == [], (path, missing)
    attendance = (board / "en" / "attendance.html").read_text("utf-8")
    for name in ("Ben", "Maya", "Sofia", "Ali", "Zainab"):
        assert f"<bdi>{name}</bdi>" in attendance
    assert 'dir="rtl"' in (board / "ar" / "index.html").read_text("utf-8")
    overview = (board / "en" / "index.html").read_text("utf-8")
    assert "<svg" in overview and "50% (3/6)" in overview
    rows = list(csv.DictReader(io.StringIO((board / "attendance.csv").read_text("utf-8-sig"))))
    assert {r["city"] for r in rows if r["level"] == "city"} == {"Minneapolis", "Najaf"}
    sheets = load_workbook(board / "attendance.xlsx").sheetnames
    assert sheets == ["cities", "sessions", "students"]
    najaf = (demo_output / "dashboard-najaf" / "ar" / "attendance.html").read_text("utf-8")
    assert 'dir="rtl"' in najaf and "<bdi>Ali</bdi>" in najaf and "<bdi>Zainab</bdi>" in najaf
    for name in ("Ben", "Maya", "Sofia"):
        assert name not in najaf
    transcript = unisolated((demo_output / "transcript.txt").read_text("utf-8"))
    assert "👤 Dr Baker runs /report link" in transcript
    assert "https://twinbridge.example.org/d/" in transcript
    assert "**#2** · Najaf · by @Ustadh Kareem" in transcript


def test_the_calendar_feed_follows_the_move_of_a_session(demo_output: Path) -> None:
    """/session calendar, polled before and after December's session moved a week: read as
    a calendar app reads it, the move is there with a higher SEQUENCE."""
    folder = demo_output / "calendar"
    before = Calendar.from_ical((folder / "minneapolis.ics").read_bytes())
    after = Calendar.from_ical((folder / "minneapolis-after-the-move.ics").read_bytes())
    window = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2027, 6, 1, tzinfo=UTC))

    def starts(calendar: Calendar) -> list[datetime]:
        events = recurring_ical_events.of(calendar).between(*window)
        return sorted(e.decoded("DTSTART").astimezone(UTC) for e in events)

    december, moved = datetime(2026, 12, 1, 14, tzinfo=UTC), datetime(2026, 12, 8, 14, tzinfo=UTC)
    assert december in starts(before) and moved not in starts(before)
    assert moved in starts(after) and december not in starts(after)
    assert len(starts(before)) == len(starts(after)) == 6

    def series_sequence(calendar: Calendar) -> int:
        return int(next(e for e in calendar.walk("VEVENT") if "RRULE" in e)["SEQUENCE"])

    assert series_sequence(after) > series_sequence(before)
    transcript = unisolated((demo_output / "transcript.txt").read_text("utf-8"))
    assert "webcal://twinbridge.example.org/feeds/" in transcript
    assert "the session of Tue 2026-12-01 is on Tue 2026-12-08 08:00" in transcript


def test_a_report_as_a_workbook_and_the_monthly_digest(demo_output: Path) -> None:
    """/report attendance file:xlsx, and the digest turned on: posted in #teachers on the
    first school day of December with November against October, its chart and workbook."""
    (workbook,) = (demo_output / "reports").glob("attendance-*.xlsx")
    book = load_workbook(workbook)
    assert book.sheetnames == ["cities", "sessions", "students"]
    assert book["students"].freeze_panes == "A2"
    transcript = unisolated((demo_output / "transcript.txt").read_text("utf-8"))
    assert (
        "(one sheet per level (cities, sessions, students), header rows frozen, dates as dates; "
        "python -m bot report attendance --format xlsx writes the same: reports/attendance-"
    ) in transcript
    assert "The monthly digest of **Minneapolis–Najaf** is on" in transcript
    digest = transcript.split(
        "🤖 Twinbridge says in #teachers:\n     ▌ 📬 Minneapolis–Najaf · November 2026"
    )
    assert len(digest) == 2, "the digest is told once, in the teachers' channel"
    # October's 75%: Zainab, excused by her teacher's roll call, was not expected.
    assert "Attendance: 75% → **40%**" in digest[1]
    assert "▌ Pairs to nudge (2): Maya & Zainab" in digest[1]
    png = (demo_output / "digest" / "digest-1-2026-11.png").read_bytes()
    assert png.startswith(b"\x89PNG")
    sheets = load_workbook(demo_output / "digest" / "digest-1-2026-11.xlsx").sheetnames
    assert sheets == ["figures", "cities", "sessions", "dormant pairs"]


def test_the_demo_grows_a_network_of_sister_cities(demo_output: Path) -> None:
    """Winston-Salem with Buchanan, Kumasi and Chengdu: cities added, a duplicate refused,
    the hub policy, pairs across the network, and the report per partnership."""
    transcript = (demo_output / "transcript.txt").read_text("utf-8")
    assert "Winston-Salem sister cities" in transcript
    for city in ("Buchanan", "Kumasi", "Chengdu"):
        assert f"Partnership Winston-Salem – {city}" in transcript
    assert "is already a city of this exchange" in transcript
    assert "students of **Winston-Salem** are paired with students of its 3 partner" in transcript


def test_a_league_round_between_the_networks_cities(demo_output: Path) -> None:
    """In the network chapter: a season, round 1 by rating with two games a board, Ava and
    Li Wei's board played out, the table as an embed and a picture, and the match's games in
    one PGN file."""
    transcript = (demo_output / "transcript.txt").read_text("utf-8")
    assert "runs /chess league create" in transcript
    assert "Round 1 of 3 of league #1 started" in transcript
    assert "A match won scores 2, drawn 1, lost 0" in transcript
    picture = demo_output / "chess" / "twinbridge-league-1.png"
    assert picture.read_bytes().startswith(b"\x89PNG")
    pgns = list((demo_output / "chess").glob("twinbridge-league-match-*.pgn"))
    assert len(pgns) == 1
    pgn = pgns[0].read_text("utf-8")
    assert pgn.count("[Event ") == 2  # one board, a game with each colour
    assert pgn.count('[Result "1-0"]') == 1 and pgn.count('[Result "0-1"]') == 1


def test_a_minneapolis_school_finds_a_partner_in_another_server(demo_output: Path) -> None:
    """The directory chapter: schools of two other servers listed, Minneapolis's find ranked
    with its reasons, an introduction that shows no name, then the names once accepted."""
    transcript = unisolated((demo_output / "transcript.txt").read_text("utf-8"))
    chapter = transcript[transcript.index("runs /seek post") :]
    assert "runs /seek post city:Kumasi" in chapter and "(Kumasi Academy)" in chapter
    assert (
        "8:00\u202fAM–10:00\u202fAM in Minneapolis = 2:00\u202fPM–4:00\u202fPM in Kumasi" in chapter
    )
    asked = chapter.index("runs /seek introduce")
    accepted = chapter.index("presses [Accept introduction]")
    assert "Dr Baker (@dr_baker)" not in chapter[asked:accepted]
    assert "Dr Baker (@dr_baker)" in chapter[accepted:]
    assert "Mrs Mensah (@mrs_mensah)" in chapter[accepted:]


async def test_the_demo_in_the_pseudo_locale_sends_nothing_past_the_catalogue(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The whole story, with every text the bot sends checked for the catalogue's marks
    (bot/sandbox/leaks.py): a leak is listed in leaks.txt and the demo exits 1."""
    assert await run_demo(str(tmp_path), "qps") == 0, (tmp_path / "leaks.txt").read_text("utf-8")
    assert not (tmp_path / "leaks.txt").exists()
    assert "every text the bot sent went through the catalogue" in capsys.readouterr().out
    # The marks never reach what the story (and its reader) sees.
    transcript = (tmp_path / "transcript.txt").read_text("utf-8")
    assert "⟦" not in transcript and "Ben presses [Continue ✍️]" in transcript


def english_sentences(language: str) -> set[str]:
    """The English catalogue's sentences (three words or more) that `language` says
    otherwise: one of them in a `language` reader's messages is English that reached them."""
    own = _catalogue(language)
    found: set[str] = set()
    for key, text in _catalogue("en").items():
        if own.get(key) == text:
            continue
        pieces = [n for n in _pieces(plurals.parse(text))]
        found |= {p.strip() for p in pieces if len(p.split()) >= 3 and len(p.strip()) >= 15}
    return found


def _pieces(message: plurals.Message) -> list[str]:
    out: list[str] = []
    for node in message:
        if isinstance(node, str):
            out += [part for part in re.split(r"[\n.!?:;()]", node) if part.strip()]
        elif isinstance(node, plurals.Plural):
            for _, form in node.forms:
                out += _pieces(form)
    return out


def bot_lines(transcript: str) -> list[str]:
    """What the bot said in a transcript (its messages' lines, its buttons), not the story's
    narration or what people typed."""
    said: list[str] = []
    speaking = False
    for line in transcript.splitlines():
        if line.startswith("🤖"):
            speaking = True
        elif not line.startswith("     "):
            speaking = False
        elif speaking:
            said.append(unisolated(line.strip().removeprefix("▌").strip()))
    return said


@pytest.mark.parametrize("language", ["ar", "es", "fr", "tr"])
async def test_the_demo_speaks_each_language_to_its_people(tmp_path: Path, language: str) -> None:
    """A quick look in each language (the first chapters: setting up, the check-ins): the
    exchange's teachers and students use `language`, and no English sentence of the catalogue
    reaches them. (Arabic: the server's owner and the coordinator have no profile and Discord
    has no Arabic client, so they read English there; only the people with a profile count.)"""
    assert await run_demo(str(tmp_path), language, told=2) == 0
    transcript = (tmp_path / "transcript.txt").read_text("utf-8")
    assert f"Ali runs /join city:Najaf language:{language}" in transcript
    said = bot_lines(transcript)
    if language == "ar":
        # From the teachers' /join on, everyone has an Arabic profile.
        start = transcript.index("Teachers register with their city")
        said = bot_lines(transcript[start:])
    english = english_sentences(language)
    leaked = sorted({s for line in said for s in english if s in line})
    assert said and not leaked, leaked
