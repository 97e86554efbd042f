"""The dashboard's pages saved as files: what a link's reader sees, opened from the disk.

The demo opens a `/report link` on the bot's own web server (listening on 127.0.0.1, as the
sandbox runs it), saves every page in every language plus the downloads, and points each link
between them at the saved copies. Sorting and filtering need the live server: in the copy
they lead to the page as it first opens, which a line at the top of each page says.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape, unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp

# The dashboard's pages (bot/web/pages.py routes, relative to the link's folder) → files;
# "./" is the overview, "" (with another query) the page it is on.
PAGES = {
    "": "index.html",
    "./": "index.html",
    "sessions": "sessions.html",
    "attendance": "attendance.html",
    "prompts": "prompts.html",
    "chess": "chess.html",
}
DOWNLOADS = ("attendance.csv", "attendance.xlsx", "figures.csv", "figures.xlsx")
STYLESHEET = "dashboard.css"
_LINK = re.compile(r'\b(href|action)="([^"]*)"')
# Shown in every language's copy: the demo's own words are English, as its transcript is.
BANNER = (
    '<p class="note" lang="en" dir="ltr">A copy saved by <code>make demo</code>: '
    "sorting, filters and other periods work on the bot's own server.</p>"
)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Where a link's pages were saved: `folder/<language>/<page>.html`, downloads in `folder`."""

    folder: Path
    languages: tuple[str, ...]
    downloads: tuple[str, ...]

    def page(self, language: str, name: str = "index.html") -> Path:
        """One saved page."""
        return self.folder / language / name


def relink(html: str, language: str, name: str) -> str:
    """A page's links to other pages, downloads and the stylesheet, pointed at the saved
    copies (the page itself saved as `<language>/<name>`); anything else left as it is."""

    def one(match: re.Match[str]) -> str:
        attribute, raw = match.groups()
        value = unescape(raw)
        path, _, query = value.partition("?")
        if path.endswith("/static/" + STYLESHEET):
            target = "../" + STYLESHEET
        elif path in DOWNLOADS:
            target = "../" + path
        elif path in PAGES:
            # "" is the page itself (another language of it: "?lang=ar").
            page = name if path == "" else PAGES[path]
            wanted = parse_qs(query).get("lang", [language])[0]
            target = page if wanted == language else f"../{wanted}/{page}"
        else:
            return match.group(0)  # "#main", "data:,"
        return f'{attribute}="{escape(target)}"'

    saved = _LINK.sub(one, html)
    return saved.replace('<main id="main">', '<main id="main">\n' + BANNER, 1)


async def save_dashboard(
    link: str, server: str, folder: Path, languages: Sequence[str]
) -> Snapshot:
    """Fetch every page of the dashboard `link` (as `/report link` gave it) from the bot's web
    server at `server` (http://host:port) in each of `languages`, and save them in `folder`."""
    base = server.rstrip("/") + urlsplit(link).path  # …/d/<token>/
    files: dict[Path, bytes] = {}
    async with aiohttp.ClientSession() as session:

        async def get(url: str) -> bytes:
            async with session.get(url) as answer:
                answer.raise_for_status()
                return await answer.read()

        files[folder / STYLESHEET] = await get(server.rstrip("/") + "/static/" + STYLESHEET)
        for name in DOWNLOADS:
            files[folder / name] = await get(base + name)
        for language in languages:
            for path, name in PAGES.items():
                if path == "./":
                    continue  # the same page as ""
                html = (await get(f"{base}{path}?lang={language}")).decode("utf-8")
                saved = relink(html, language, name)
                files[folder / language / name] = saved.encode("utf-8")
    _write(files)
    return Snapshot(folder, tuple(languages), DOWNLOADS)


def _write(files: dict[Path, bytes]) -> None:
    for path, data in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
