"""The dashboard in a real browser (headless Chromium): the pages render, Arabic reads right to
left, a phone needs no sideways scrolling, the keyboard reaches everything, nothing breaks
the Content-Security-Policy, an expired or revoked link is refused, and a link of exchange A
shows nothing of exchange B. Screenshots are kept (tests/browser/conftest.py)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page

from bot.sandbox.driver import Sandbox
from tests.browser.conftest import screenshot
from tests.sandbox.reporting_story import PERIOD, three_months
from tests.sandbox.sessions_helpers import MONTHS_IN_SECONDS
from tests.sandbox.world import World, make_world

pytestmark = pytest.mark.browser

LINK = re.compile(r"(https?://\S+/d/[A-Za-z0-9_.-]+/)")
QUERY = f"?from={PERIOD['from']}&to={PERIOD['to']}"
PAGES = {
    "overview": "",
    "sessions": "sessions",
    "attendance": "attendance",
    "prompts": "prompts",
    "chess": "chess",
}


@pytest.fixture
async def sb(tmp_path: Path) -> AsyncIterator[Sandbox]:
    async with Sandbox.running(
        tmp_path, settings={"http_port": 0}, limits=MONTHS_IN_SECONDS
    ) as sandbox:
        sandbox.bot.outside.guard.pause = 0.01  # type: ignore[union-attr]
        yield sandbox


async def make_link(sb: Sandbox, member: Any, **options: Any) -> str:
    reply = await sb.command(member, "report link", **options)
    found = LINK.search(reply.text)
    assert found, reply.text
    return found.group(1)


class Watched:
    """A page whose console errors and CSP violations are collected."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.problems: list[str] = []
        page.on(
            "console",
            lambda message: self.problems.append(message.text) if message.type == "error" else None,
        )
        page.on("pageerror", lambda error: self.problems.append(str(error)))


async def open_page(browser: Browser, **options: Any) -> Watched:
    context = await browser.new_context(**options)
    return Watched(await context.new_page())


async def test_every_page_renders_with_its_tables_and_chart(sb: Sandbox, browser: Browser) -> None:
    """Three months of an exchange: each page loads with no console error or CSP violation,
    its tables have headers and captions, the overview draws the SVG chart, and the
    attendance table sorts by a link."""
    story = await three_months(sb)
    url = await make_link(sb, story.ex.world.coordinator)
    watched = await open_page(browser, viewport={"width": 1200, "height": 900})
    page = watched.page
    for name, path in PAGES.items():
        answer = await page.goto(url + path + QUERY)
        assert answer is not None and answer.status == 200, name
        assert await page.locator("h1").inner_text() == "Minneapolis–Najaf"
        assert await page.locator("nav a[aria-current=page]").count() == 1
        await screenshot(page, f"dashboard-{name}")
    await page.goto(url + QUERY)
    chart = page.locator("svg.chart")
    assert await chart.count() == 1
    assert await chart.locator("rect title").count() >= 6  # 3 sessions × 2 cities
    box = await chart.bounding_box()
    assert box is not None and box["width"] > 300
    await page.goto(url + "attendance" + QUERY)
    await page.get_by_role("link", name=re.compile("^Rate")).click()
    await page.get_by_role("link", name=re.compile("^Rate")).click()  # descending
    first = await page.locator("table.sortable tbody tr th").first.inner_text()
    assert first == "Ben"  # 3 of 3
    assert await page.locator("th[aria-sort=descending]").count() == 1
    assert watched.problems == []


async def test_the_arabic_page_reads_right_to_left(sb: Sandbox, browser: Browser) -> None:
    world = await make_world(sb)
    await world.add_student("Ali", 1)
    await world.partner_teacher_reads_arabic()
    url = await make_link(sb, world.partner_teacher)
    watched = await open_page(browser, viewport={"width": 1000, "height": 800})
    page = watched.page
    await page.goto(url + "attendance")
    assert await page.evaluate("document.documentElement.dir") == "rtl"
    assert await page.evaluate("document.documentElement.lang") == "ar"
    assert await page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    heading = await page.locator("h2").inner_text()
    assert heading == "الحضور"
    # Mirrored: the navigation starts at the right.
    nav = await page.locator("header nav ul").first.bounding_box()
    first_item = await page.locator("header nav li").first.bounding_box()
    assert nav is not None and first_item is not None
    assert first_item["x"] + first_item["width"] > nav["x"] + nav["width"] - 40
    await screenshot(page, "dashboard-arabic")
    assert watched.problems == []


async def test_a_phone_reads_it_without_sideways_scrolling_and_the_keyboard_reaches_it(
    sb: Sandbox, browser: Browser
) -> None:
    world = await make_world(sb)
    for name, city in (("Ben", 0), ("Maya", 0), ("Ali", 1), ("Zainab", 1)):
        await world.add_student(name, city)
    url = await make_link(sb, world.coordinator)
    watched = await open_page(
        browser, viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
    )
    page = watched.page
    await page.goto(url + "attendance")
    overflow = await page.evaluate(
        "document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth"
    )
    assert overflow <= 1
    await page.keyboard.press("Tab")
    focused = await page.evaluate("document.activeElement.className")
    assert focused == "skip"
    await page.keyboard.press("Enter")
    assert page.url.endswith("#main")
    # Every form field has a label a screen reader announces.
    unlabelled = await page.evaluate(
        """[...document.querySelectorAll('input:not([type=hidden]), select')]
           .filter(e => !(e.labels && e.labels.length)).length"""
    )
    assert unlabelled == 0
    await screenshot(page, "dashboard-phone")
    assert watched.problems == []


async def test_an_expired_or_revoked_link_is_refused(sb: Sandbox, browser: Browser) -> None:
    world = await make_world(sb)
    expiring = await make_link(sb, world.coordinator)
    revoked = await make_link(sb, world.coordinator)
    listing = await sb.command(world.coordinator, "report links")
    newest = int(re.findall(r"\*\*#(\d+)\*\*", listing.text)[0])
    await sb.click(world.coordinator, listing.message, f"Revoke #{newest}")
    watched = await open_page(browser)
    page = watched.page
    answer = await page.goto(revoked)
    assert answer is not None and answer.status == 404
    assert await page.locator("h1").inner_text() == "This link does not open a page"
    await screenshot(page, "dashboard-revoked")
    assert (await page.goto(expiring)) is not None
    assert await page.locator("h1").inner_text() == "Minneapolis–Najaf"
    await sb.advance(timedelta(days=31))
    answer = await page.goto(expiring)
    assert answer is not None and answer.status == 404
    assert await page.locator("h1").inner_text() == "This link does not open a page"
    await screenshot(page, "dashboard-expired")


async def test_a_link_of_exchange_a_shows_nothing_of_exchange_b(
    sb: Sandbox, browser: Browser
) -> None:
    world: World = await make_world(sb)
    await world.add_student("Ben", 0)
    await world.add_student("Ali", 1)
    other = await world.other_exchange("Kwame", "Kofi", paired=False)
    a = await make_link(sb, world.coordinator, exchange=world.exchange_id)
    watched = await open_page(browser)
    page = watched.page
    for name, path in PAGES.items():
        await page.goto(a + path + f"?exchange={other}")
        text = await page.locator("body").inner_text()
        for word in ("Winston-Salem", "Kumasi", "Kwame", "Kofi"):
            assert word not in text, (name, word)
    await page.goto(a + "attendance")
    assert "Ben" in await page.locator("body").inner_text()
    await screenshot(page, "dashboard-exchange-a")
