"""/report link: a read-only dashboard for people not on Discord, over the bot's own server.

The pages are fetched as a browser would (tests/browser/ drives a real one): what they show
must be what the link's creator sees in /report, nothing of another exchange, and a link
that expired, was revoked, was tampered with or guessed opens nothing, answered alike.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot import pseudo
from bot.i18n import t
from bot.sandbox.driver import Sandbox
from bot.store import exchanges as exchange_store
from bot.store import roster
from bot.store.schema import activity, dashboard_links
from tests.sandbox.reporting_story import PERIOD, Story, three_months
from tests.sandbox.sessions_helpers import MONTHS_IN_SECONDS
from tests.sandbox.world import World, make_world

LINK = re.compile(r"(https?://\S+/d/[A-Za-z0-9_.-]+/)")
PAGES = ("", "sessions", "attendance", "prompts", "chess")


@pytest.fixture
async def sb(tmp_path: Path) -> AsyncIterator[Sandbox]:
    async with Sandbox.running(
        tmp_path, settings={"http_port": 0}, limits=MONTHS_IN_SECONDS
    ) as sandbox:
        sandbox.bot.outside.guard.pause = 0.01  # type: ignore[union-attr]
        yield sandbox


@pytest.fixture
async def world(sb: Sandbox) -> World:
    world = await make_world(sb)
    for name, city in (("Ben", 0), ("Maya", 0), ("Ali", 1), ("Zainab", 1)):
        await world.add_student(name, city)
    await sb.command(world.teacher, "pair confirm")
    await sb.command(world.teacher, "join", city="Minneapolis")
    return world


async def make_link(sb: Sandbox, member: Any, **options: Any) -> str:
    reply = await sb.command(member, "report link", **options)
    found = LINK.search(reply.text)
    assert found, reply.text
    assert reply.ephemeral
    return found.group(1)


async def fetch(url: str) -> tuple[int, str, dict[str, str]]:
    async with aiohttp.ClientSession() as session, session.get(url) as answer:
        return answer.status, await answer.text(), dict(answer.headers)


async def fetch_bytes(url: str) -> tuple[int, bytes, dict[str, str]]:
    async with aiohttp.ClientSession() as session, session.get(url) as answer:
        return answer.status, await answer.read(), dict(answer.headers)


async def count_kind(sb: Sandbox, kind: str) -> int:
    async with sb.bot.ctx.db.read() as conn:
        rows = await conn.execute(select(activity.c.id).where(activity.c.kind == kind))
        return len(rows.all())


# -- what the pages show -----------------------------------------------------------------------


async def test_a_coordinators_pages_show_the_report_figures_and_downloads(tmp_path: Path) -> None:
    """Three months played through the bot: the overview, calendar, attendance, prompts and
    chess pages show /report's figures; the CSV is /report's CSV; the workbook opens."""
    async with Sandbox.running(tmp_path, settings={"http_port": 0}, limits=MONTHS_IN_SECONDS) as sb:
        story: Story = await three_months(sb)
        coordinator = story.ex.world.coordinator
        url = await make_link(sb, coordinator)
        query = f"?from={PERIOD['from']}&to={PERIOD['to']}"
        status, overview, headers = await fetch(url + query)
        assert status == 200, overview
        assert "Minneapolis–Najaf" in overview
        assert "<svg" in overview and 'role="img"' in overview and "<script" not in overview
        # 67% and 33% per city, as tests/sandbox/reporting_story.py works out by hand.
        assert "67% (4/6)" in overview and "33% (2/6)" in overview
        assert "Maya &amp; " in overview  # the pair to nudge, named as /report exchange names it
        # Days and percentages are written the reader's way (CLDR), never ISO.
        assert "Figures per city, October 1, 2026 → December 31, 2026" in overview
        french = (await fetch(url + query + "&lang=fr"))[1]
        assert "67\xa0% (4/6)" in french and "1 octobre 2026 → 31 décembre 2026" in french
        # ISO stays in links and the date inputs only, never in what the page says.
        assert "2026-1" not in re.sub(r"<[^>]*>", "", french)
        turkish = (await fetch(url + "attendance" + query + "&lang=tr"))[1]
        assert "%67" in turkish and re.search(r"<td>\d+ (Eki|Kas|Ara) 2026</td>", turkish)
        calendar = (await fetch(url + "sessions" + query + "&lang=fr"))[1]
        assert re.search(r"(lun|mar|mer|jeu|ven|sam|dim)\. \d+ (oct|nov|déc)\. 2026", calendar)
        for page in PAGES[1:]:
            status, body, _ = await fetch(url + page + query)
            assert status == 200, (page, body)
        attendance = (await fetch(url + "attendance" + query))[1]
        for name in ("Ben", "Maya", "Ali", "Zainab"):
            assert name in attendance
        chess = (await fetch(url + "chess"))[1]
        assert "1 – 0" in chess
        reply = await sb.command(coordinator, "report attendance", **PERIOD)
        (sheet,) = [a for a in reply.files if a.filename.endswith(".csv")]
        status, data, headers = await fetch_bytes(url + "attendance.csv" + query)
        # The dashboard serves outside the pseudo-locale: the same file, without its marks.
        attached = pseudo.unmarked(bytes(sheet.data).decode("utf-8")).encode("utf-8")
        assert status == 200 and data == attached
        assert headers["Content-Disposition"] == (
            f'attachment; filename="attendance-1-{PERIOD["from"]}-{PERIOD["to"]}.csv"'
        )
        status, data, _ = await fetch_bytes(url + "attendance.xlsx" + query)
        book = load_workbook(io.BytesIO(data))
        assert book.sheetnames == ["cities", "sessions", "students"]
        assert await count_kind(sb, "dashboard.viewed") >= len(PAGES) + 3


async def test_every_answer_carries_the_exposure_headers(world: World) -> None:
    sb = world.sb
    url = await make_link(sb, world.coordinator)
    for target in (url, url + "attendance.csv", url.replace("/d/", "/d/x") + "", url + "../../"):
        _, _, headers = await fetch(target)
        csp = headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["Referrer-Policy"] == "no-referrer"
        assert "noindex" in headers["X-Robots-Tag"]
    status, text, _ = await fetch(url.split("/d/")[0] + "/robots.txt")
    assert status == 200 and "Disallow: /" in text


async def test_the_link_names_no_one_and_only_a_hash_is_stored(world: World) -> None:
    """The URL carries the token and nothing else; the database keeps only the secret's hash."""
    sb = world.sb
    url = await make_link(sb, world.coordinator)
    token = url.rstrip("/").rsplit("/", 1)[1]
    selector, secret = token.split(".")
    assert len(secret) >= 43  # 32 random bytes: 256 bits
    path = url.split("/d/", 1)[1]
    assert path == token + "/"
    async with sb.bot.ctx.db.read() as conn:
        rows = (await conn.execute(select(dashboard_links))).all()
    assert len(rows) == 1 and secret not in str(tuple(rows[0]))
    assert rows[0].selector == selector


async def test_a_teachers_link_shows_their_own_citys_students_only(world: World) -> None:
    sb = world.sb
    url = await make_link(sb, world.teacher)
    status, page, _ = await fetch(url + "attendance")
    assert status == 200
    assert "Ben" in page and "Maya" in page
    assert "Ali" not in page and "Zainab" not in page
    # The heading isolates both names (either may be right-to-left).
    assert "<bdi>Minneapolis–Najaf</bdi> · <bdi>Minneapolis</bdi>" in page


async def test_a_teacher_cannot_share_the_other_city(world: World) -> None:
    reply = await world.sb.command(world.teacher, "report link", city="Najaf")
    assert "own city only (Minneapolis)" in reply.text
    assert "/d/" not in reply.text


async def test_students_get_no_link(world: World) -> None:
    reply = await world.sb.command(world.students["Ben"], "report link")
    assert "Only teachers" in reply.text and "/d/" not in reply.text


async def test_the_page_is_in_the_creators_language_and_arabic_is_right_to_left(
    world: World,
) -> None:
    sb = world.sb
    await world.partner_teacher_reads_arabic()
    url = await make_link(sb, world.partner_teacher)
    page = (await fetch(url))[1]
    assert '<html lang="ar" dir="rtl">' in page
    assert "نظرة عامة" in page
    spanish = (await fetch(url + "?lang=es"))[1]
    assert '<html lang="es" dir="ltr">' in spanish and "Resumen" in spanish


async def test_a_link_of_one_exchange_shows_nothing_of_another(world: World) -> None:
    """Two exchanges in one server: every page of exchange A's link, with any query, shows
    none of exchange B's names, cities or students."""
    sb = world.sb
    other = await world.other_exchange("Kwame", "Kofi")
    async with sb.bot.ctx.db.read() as conn:
        found = await exchange_store.get_exchange(conn, sb.guild.id, other)
    assert found is not None
    a = await make_link(sb, world.coordinator, exchange=world.exchange_id)
    b = await make_link(sb, world.coordinator, exchange=other)
    forbidden = ("Winston-Salem", "Kumasi", "Kwame", "Kofi")
    tricks = ("", f"?exchange={other}", f"?city={found.cities[0].id}", "?exchange_id=2")
    for page in (*PAGES, "attendance.csv", "figures.csv"):
        for trick in tricks:
            status, body, _ = await fetch(a + page + trick)
            assert status == 200, (page, trick)
            assert not any(word in body for word in forbidden), (page, trick)
    # And B's own link does show B.
    assert "Kofi" in (await fetch(b + "attendance"))[1]


# -- links that open nothing ---------------------------------------------------------------------


async def test_expired_revoked_tampered_and_guessed_links_are_refused_alike(world: World) -> None:
    """Each gets the same 404 page, which gives no hint which it was; refusals of links that
    existed are in the audit log."""
    sb = world.sb
    expiring = await make_link(sb, world.coordinator)
    revoked = await make_link(sb, world.coordinator)
    kept = await make_link(sb, world.coordinator)
    listing = await sb.command(world.coordinator, "report links")
    assert listing.text.count("#") >= 3
    revoke_id = int(re.findall(r"\*\*#(\d+)\*\*", listing.text)[1])
    done = await sb.click(world.coordinator, listing.message, f"Revoke #{revoke_id}")
    assert f"Link #{revoke_id} is revoked" in done.text
    assert (await fetch(revoked))[0] == 404

    token = kept.rstrip("/").rsplit("/", 1)[1]
    tampered = kept.replace(token, token[:-1] + ("A" if token[-1] != "A" else "B"))
    guessed = kept.replace(token, "a" * 16 + "." + "b" * 43)
    await sb.advance(timedelta(days=31))
    answers = [await fetch(u) for u in (expiring, revoked, tampered, guessed)]
    assert [status for status, _, _ in answers] == [404] * 4
    assert len({body for _, body, _ in answers}) == 1
    assert "expired or been revoked" in answers[0][1]
    assert await count_kind(sb, "dashboard.refused") >= 3
    async with sb.bot.ctx.db.read() as conn:
        rows = await conn.execute(
            select(activity.c.details).where(activity.c.kind == "dashboard.refused")
        )
        reasons = {r[0] for r in rows}
    assert any('"revoked"' in r for r in reasons) and any('"expired"' in r for r in reasons)


async def test_a_double_click_on_revoke_revokes_once_and_answers_both(world: World) -> None:
    """Revoke pressed twice at once: revoked once, logged once, the second click told so."""
    sb = world.sb
    await make_link(sb, world.coordinator)
    listing = await sb.command(world.coordinator, "report links")
    (link_id,) = re.findall(r"\*\*#(\d+)\*\*", listing.text)
    label = f"Revoke #{link_id}"
    replies = await sb.at_once(
        [
            sb.prepare_click(world.coordinator, listing.message, label),
            sb.prepare_click(world.coordinator, listing.message, label),
        ]
    )
    for reply in replies:
        assert reply.acknowledged and reply.text.strip()
        assert t("error.generic", "en") not in reply.text, reply.text
    said = " ".join(r.text for r in replies)
    assert f"Link #{link_id} is revoked" in said and "already revoked" in said
    assert await count_kind(sb, "dashboard.link_revoked") == 1


async def test_a_teachers_link_stops_when_they_leave_their_city(world: World) -> None:
    sb = world.sb
    url = await make_link(sb, world.teacher)
    assert (await fetch(url))[0] == 200
    async with sb.bot.ctx.db.transaction() as conn:
        me = await roster.find(conn, world.exchange_id, world.teacher.user.id)
        assert me is not None
        await roster.update_profile(conn, me.id, sb.now(), status="removed")
    assert (await fetch(url))[0] == 404


async def test_a_flood_of_wrong_tokens_is_answered_slowly_then_turned_away(world: World) -> None:
    """Wrong tokens wait before their answer; past the limit the address gets 429 for every
    token, even a good one, and no answer says more than the others."""
    sb = world.sb
    guard = sb.bot.outside.guard  # type: ignore[union-attr]
    guard.pause, guard.limit = 0.2, 3
    url = await make_link(sb, world.coordinator)
    base = url.split("/d/")[0]
    loop = __import__("asyncio").get_running_loop()
    started = loop.time()
    for _ in range(3):
        assert (await fetch(f"{base}/d/{'z' * 16}.{'q' * 43}/"))[0] == 404
    assert loop.time() - started >= 0.6
    status, _, headers = await fetch(url)
    assert status == 429 and int(headers["Retry-After"]) > 0


async def test_a_link_asked_for_while_the_server_is_off_is_explained(tmp_path: Path) -> None:
    async with Sandbox.running(tmp_path) as sb:
        world = await make_world(sb)
        reply = await sb.command(world.coordinator, "report link")
        assert "HTTP_PORT" in reply.text and "/d/" not in reply.text


async def test_a_csv_download_names_no_child(world: World) -> None:
    sb = world.sb
    url = await make_link(sb, world.coordinator)
    status, text, headers = await fetch(url + "attendance.csv")
    assert status == 200
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert {r["student"] for r in rows if r["level"] == "student"} == {
        "Ben",
        "Maya",
        "Ali",
        "Zainab",
    }
    assert not any(n in headers["Content-Disposition"] for n in ("Ben", "Maya", "Ali", "Zainab"))


async def test_sorting_and_filtering_work_without_javascript(world: World) -> None:
    """Sort by name descending and keep Minneapolis only: plain links and a GET form."""
    sb = world.sb
    url = await make_link(sb, world.coordinator)
    city = world.city_ids[0]
    status, page, _ = await fetch(url + f"attendance?sort=name&order=desc&city={city}")
    assert status == 200
    table = page.split('id="students-caption"', 1)[1].split("</table>", 1)[0]
    names = re.findall(r'<th scope="row"><bdi>([^<]+)</bdi></th>', table)
    assert names == ["Maya", "Ben"]
    assert 'aria-sort="descending"' in table
