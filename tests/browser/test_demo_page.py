"""`make demo`'s index.html in a real browser (headless Chromium), opened from the disk as a
teacher evaluating Twinbridge would: every chapter is there and reachable from the chapter
list, every image loads, Arabic messages read right to left, and the dashboard saved beside
it opens, in its languages. Screenshots are kept (tests/browser/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from bot.demo import chapters, title_of
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

# How far the last line of a block's text stands from the block's `side` edge, in pixels
# (a wrapped paragraph's last line is short: it shows where lines start).
GAP = """(block, side) => {
    const range = document.createRange();
    range.selectNodeContents(block);
    const rects = [...range.getClientRects()];
    const bottom = Math.max(...rects.map(r => r.bottom));
    const line = rects.filter(r => Math.abs(r.bottom - bottom) < 2);
    const box = block.getBoundingClientRect();
    return side === "right"
        ? box.right - Math.max(...line.map(r => r.right))
        : Math.min(...line.map(r => r.left)) - box.left;
}"""


async def _problems(page: Page) -> list[str]:
    problems: list[str] = []
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
    return problems


async def test_the_demo_page_has_every_chapter(demo_output: Path, browser: Browser) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    problems = await _problems(page)
    await page.goto((demo_output / "index.html").as_uri())
    titles = [title_of(chapter) for chapter in chapters()]
    shown = await page.locator("section.chapter > h2").all_inner_texts()
    assert shown == titles
    chapter_list = page.get_by_role("navigation", name="Chapters")
    for title in titles:
        await chapter_list.get_by_role("link", name=title, exact=True).click()
        await expect(
            page.get_by_role("heading", name=title, level=2, exact=True)
        ).to_be_in_viewport()
    # Every image (chess boards, charts) is on the disk and drawn.
    images = page.locator("main img")
    assert await images.count() >= 10
    for index in range(await images.count()):
        image = images.nth(index)
        await image.scroll_into_view_if_needed()
        # decode() waits for the file and fails on one that is missing or not an image.
        width = await image.evaluate("img => img.decode().then(() => img.naturalWidth)")
        assert width > 0, await image.get_attribute("src")
    # A message in Arabic starts at the right, one in English at the left.
    for text, side in (("أهلًا بك في", "right"), ("Welcome to Minneapolis", "left")):
        message = page.locator(".content", has_text=text).first
        gap = await message.evaluate(GAP, side)
        assert 0 <= gap < 4, (text, side, gap)
    # The page is long (the whole story): its top, and the last chapter as it comes into view.
    await page.goto((demo_output / "index.html").as_uri())
    await screenshot(page, "demo-index", full_page=False)
    await chapter_list.get_by_role("link", name=titles[-1], exact=True).click()
    await screenshot(page, "demo-outside-discord", full_page=False)
    assert problems == []


async def test_the_dashboard_saved_beside_it_opens(demo_output: Path, browser: Browser) -> None:
    context = await browser.new_context(viewport={"width": 1100, "height": 900})
    page = await context.new_page()
    problems = await _problems(page)
    await page.goto((demo_output / "index.html").as_uri())
    await page.get_by_role("link", name="The dashboard, as the school board sees it").click()
    assert await page.locator("h1").inner_text() == "Minneapolis–Najaf"
    # Its stylesheet came along: the skip link waits above the page until focused.
    assert await page.locator("a.skip").evaluate("a => getComputedStyle(a).position") == "absolute"
    await page.get_by_role("navigation").get_by_role("link", name="Attendance", exact=True).click()
    assert page.url.endswith("/dashboard/en/attendance.html")
    assert await page.locator("table.sortable tbody tr").count() == 5
    await screenshot(page, "demo-dashboard-attendance")
    await page.get_by_role("link", name="العربية").click()
    assert page.url.endswith("/dashboard/ar/attendance.html")
    assert await page.evaluate("document.documentElement.dir") == "rtl"
    await page.goto((demo_output / "index.html").as_uri())
    await page.get_by_role("link", name="A teacher's dashboard: Najaf only, in Arabic").click()
    assert await page.evaluate("document.documentElement.dir") == "rtl"
    assert await page.locator("h1").inner_text() == "Minneapolis–Najaf · Najaf"
    await screenshot(page, "demo-dashboard-najaf")
    assert problems == []
