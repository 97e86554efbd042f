"""A readable transcript of what users did and what the bot said, for the demo."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.sandbox.driver import Sandbox, iter_components
from bot.sandbox.state import Attachment, Message

_TIMESTAMP = re.compile(r"<t:(\d+)(?::([tTdDfFR]))?>")
_USER = re.compile(r"<@!?(\d+)>")
_ROLE = re.compile(r"<@&(\d+)>")
_CHANNEL = re.compile(r"<#(\d+)>")


@dataclass
class Entry:
    """One step of the story, for the demo's page: a chapter or section heading, a note,
    something a user did, or what the bot said (with its embeds, files and buttons)."""

    kind: str  # chapter, section, note, saved, user, bot
    text: str = ""
    channel: str = ""
    who: str = ""
    audience: str = ""  # who alone sees an ephemeral message
    edited: bool = False
    embeds: list[dict[str, Any]] = field(default_factory=list)
    files: list[Attachment] = field(default_factory=list)
    buttons: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (label, path in the output)


class Transcript:
    """Collects lines as the scenario runs and prints them as they come."""

    def __init__(self, sb: Sandbox, out: Callable[[str], None] = print) -> None:
        self.sb = sb
        self.out = out
        self.lines: list[str] = []
        self.entries: list[Entry] = []
        self._said: dict[int, str] = {}  # what each bot message said last
        self._muted = 0
        sb.server.watchers.append(self._on_message)
        sb.narrator = self.user_did

    def chapter(self, title: str) -> None:
        """A chapter of the story begins (a heading of the demo's page, not of the text)."""
        self.entries.append(Entry("chapter", title))

    def section(self, title: str) -> None:
        self._emit("")
        self._emit(f"── {title} " + "─" * max(0, 70 - len(title)))
        self._record(Entry("section", title))

    def note(self, text: str) -> None:
        self._emit(f"   ({text})")
        self._record(Entry("note", text))

    def saved(self, text: str, links: Sequence[tuple[str, str]]) -> None:
        """A note of files the story saved; the page links each (label, path relative to the
        demo's output folder)."""
        self._emit(f"   ({text}: {', '.join(path for _, path in links)})")
        self._record(Entry("saved", text, links=list(links)))

    def show(self, message: Message) -> None:
        """Tell a message the bot posted while the story was told quietly."""
        self._said.pop(message.id, None)
        self._on_message("send", message)

    def user_did(self, text: str) -> None:
        self._emit(f"👤 {text}")
        self._record(Entry("user", text))

    def _record(self, entry: Entry) -> None:
        if not self._muted:
            self.entries.append(entry)

    @contextmanager
    def quietly(self) -> Iterator[None]:
        """Leave out what happens inside (a step the story has already shown once)."""
        self._muted += 1
        try:
            yield
        finally:
            self._muted -= 1

    def _emit(self, line: str) -> None:
        if self._muted:
            return
        self.lines.append(line)
        self.out(line)

    def readable(self, text: str) -> str:
        """Discord markup as a reader would see it (timestamps in UTC, mentions by name)."""
        users = self.sb.server.users
        roles = self.sb.guild.roles
        channels = self.sb.guild.channels

        def stamp(m: re.Match[str]) -> str:
            when = datetime.fromtimestamp(int(m.group(1)), UTC)
            if m.group(2) == "R":
                return relative(when - self.sb.now())
            # As Discord shows each style (to a reader in UTC): t and T are times only.
            shown = {"t": "%H:%M UTC", "T": "%H:%M:%S UTC", "d": "%d %b %Y", "D": "%d %B %Y"}
            return when.strftime(shown.get(m.group(2) or "", "%a %d %b %Y %H:%M UTC"))

        text = _TIMESTAMP.sub(stamp, text)
        text = _USER.sub(
            lambda m: (
                "@" + (users[int(m.group(1))].global_name or "?")
                if int(m.group(1)) in users
                else "@?"
            ),
            text,
        )
        text = _ROLE.sub(
            lambda m: "@" + roles[int(m.group(1))].name if int(m.group(1)) in roles else "@role",
            text,
        )
        return _CHANNEL.sub(
            lambda m: "#" + channels[int(m.group(1))].name if int(m.group(1)) in channels else "#?",
            text,
        )

    def _on_message(self, what: str, message: Message) -> None:
        if message.flags & 128 and not message.content and not message.embeds:
            return  # "Twinbridge is thinking…"
        where = "?"
        recipient = self.sb.server.users.get(self.sb.server.direct.get(message.channel_id, 0))
        if recipient is not None:
            where = f"a direct message to {recipient.global_name or recipient.username}"
        for guild in self.sb.server.guilds.values():
            channel = guild.channels.get(message.channel_id)
            if channel is not None:
                # Another server of the story is named, as Discord's server list would show it.
                elsewhere = "" if guild is self.sb.guild else f" ({guild.name})"
                where = f"#{channel.name}{elsewhere}"
                break
        who = message.author.global_name or message.author.username
        if not message.author.bot:
            return  # users' own words are narrated by the driver
        audience = ""
        if message.visible_to is not None:
            viewer = self.sb.server.users.get(message.visible_to)
            audience = f" (only {viewer.global_name if viewer else '?'} sees this)"
        # Compare what the message says (not how the clock now renders it) to spot edits that
        # only change buttons, such as an old board losing its Move button.
        said = repr((message.content, message.embeds, [a.id for a in message.attachments]))
        previous, self._said[message.id] = self._said.get(message.id), said
        if what == "edit" and previous == said:
            self._emit(f"🤖 {who} updates the buttons of an earlier message in {where}{audience}")
            return
        # An answer that replaces "thinking…" is news to its reader, not an edit of something
        # the story has shown.
        edited = what == "edit" and previous is not None
        verb = "edits" if edited else "says"
        self._emit(f"🤖 {who} {verb} in {where}{audience}:")
        for line in self._body(message):
            self._emit(f"     {line}")
        self._record(
            Entry(
                "bot",
                self.readable(message.content),
                channel=where,
                who=who,
                audience=audience.strip(" ()"),
                edited=edited,
                embeds=[self._readable_embed(e) for e in message.embeds],
                files=list(message.attachments),
                buttons=[
                    str(c.get("label") or c.get("placeholder"))
                    for c in iter_components(message.components)
                    if c.get("label") or c.get("placeholder")
                ],
            )
        )

    def _readable_embed(self, embed: dict[str, Any]) -> dict[str, Any]:
        """An embed's texts as a reader sees them (for the demo's page)."""
        return {
            "title": self.readable(embed.get("title") or ""),
            "description": self.readable(embed.get("description") or ""),
            "fields": [
                {"name": self.readable(f["name"]), "value": self.readable(f["value"])}
                for f in embed.get("fields", [])
            ],
            "footer": self.readable((embed.get("footer") or {}).get("text") or ""),
            "image": ((embed.get("image") or {}).get("url") or "").removeprefix("attachment://"),
            "colour": embed.get("color"),
        }

    def _body(self, message: Message) -> list[str]:
        """The lines a reader sees in a message."""
        body: list[str] = []
        if message.content:
            body.append(self.readable(message.content))
        for embed in message.embeds:
            if embed.get("title"):
                body.append(f"▌ {self.readable(embed['title'])}")
            if embed.get("description"):
                body.append(textwrap.indent(self.readable(embed["description"]), "▌ "))
            for part in embed.get("fields", []):
                body.append(f"▌ {self.readable(part['name'])}: {self.readable(part['value'])}")
            if (embed.get("footer") or {}).get("text"):
                body.append(f"▌ — {self.readable(embed['footer']['text'])}")
        for attachment in message.attachments:
            body.append(f"📎 {attachment.filename} ({len(attachment.data):,} bytes)")
        buttons = [
            c.get("label") or c.get("placeholder") for c in iter_components(message.components)
        ]
        if buttons:
            body.append("   " + "  ".join(f"[{b}]" for b in buttons if b))
        return "\n".join(body).splitlines()


def relative(delta: timedelta) -> str:
    """A Discord relative timestamp as a reader sees it: "in 2 days", "3 hours ago"."""
    seconds = delta.total_seconds()
    size = abs(seconds)
    for unit, length in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if size >= length:
            count = round(size / length)
            words = f"{count} {unit}{'s' if count != 1 else ''}"
            break
    else:
        return "now"
    return f"in {words}" if seconds > 0 else f"{words} ago"
