"""The demo as a page: `index.html` beside the transcript, the server as its members saw it.

Each chapter of the story is a section; in it, what people did and every message the bot
posted, in its channel, with its embeds, files (images shown: chess boards, charts), and
buttons. A side panel lists the server's channels. One self-contained file (its style
inline) plus a `media/` folder of the files, so it opens from the disk in any browser.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from bot.sandbox.driver import Sandbox
from bot.sandbox.state import ChannelType
from bot.sandbox.transcript import Entry, Transcript

IMAGES = (".png", ".jpg", ".jpeg", ".gif", ".webp")
_BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)
_CODE = re.compile(r"`([^`]+)`")
_ITALIC = re.compile(r"(?<![\w*])\*(?!\s)([^*\n]+?)\*(?![\w*])")


def markup(text: str) -> Markup:
    """Discord's bold, italics and code as HTML; everything else escaped, lines kept."""
    html = str(escape(text))
    html = _BOLD.sub(r"<strong>\1</strong>", html)
    html = _CODE.sub(r"<code>\1</code>", html)
    html = _ITALIC.sub(r"<em>\1</em>", html)
    return Markup(html.replace("\n", "<br>"))


def _colour(value: int | None) -> str:
    return f"#{value:06x}" if isinstance(value, int) else "#4f545c"


def _channels(sb: Sandbox) -> list[dict[str, Any]]:
    """The server's channels as members see the list: categories with what is in them."""
    every = sorted(sb.guild.channels.values(), key=lambda c: (c.position, c.id))
    kinds = {ChannelType.VOICE: "🔊", ChannelType.STAGE: "🎙️", ChannelType.CATEGORY: "📁"}
    shown = []
    for channel in every:
        if channel.type in ChannelType.THREADS:
            continue
        shown.append(
            {
                "name": channel.name,
                "icon": kinds.get(channel.type, "#"),
                "category": channel.type == ChannelType.CATEGORY,
                "nested": channel.parent_id is not None,
            }
        )
    return shown


def _chapters(entries: list[Entry], media: Path) -> list[dict[str, Any]]:
    """Entries grouped by chapter, each file saved under `media` once."""
    chapters: list[dict[str, Any]] = []
    saved = 0
    for entry in entries:
        if entry.kind == "chapter":
            chapters.append({"title": entry.text, "entries": []})
            continue
        if not chapters:
            chapters.append({"title": "", "entries": []})
        files = []
        for attachment in entry.files:
            saved += 1
            name = f"{saved:04d}-{attachment.filename}"
            (media / name).write_bytes(bytes(attachment.data))
            files.append(
                {
                    "name": attachment.filename,
                    "href": f"media/{name}",
                    "image": attachment.filename.lower().endswith(IMAGES),
                    "size": len(attachment.data),
                }
            )
        chapters[-1]["entries"].append({"entry": entry, "files": files})
    return chapters


def write_page(
    out: Path,
    sb: Sandbox,
    story: Transcript,
    title: str,
    highlights: Sequence[tuple[str, str]] = (),
) -> Path:
    """Write `index.html` (and `media/`) into `out`; its path. `highlights` (label, path in
    `out`) are listed first: files to open before reading the story."""
    media = out / "media"
    media.mkdir(parents=True, exist_ok=True)
    env = Environment(
        loader=PackageLoader("bot.web", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["discord"] = markup
    env.filters["colour"] = _colour
    html = env.get_template("demo.html").render(
        title=title,
        chapters=_chapters(story.entries, media),
        channels=_channels(sb),
        highlights=list(highlights),
    )
    page = out / "index.html"
    page.write_text(html, encoding="utf-8")
    return page
