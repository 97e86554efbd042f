"""What the demo's chapters share: the sandbox, the transcript, and the people in the story."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from bot.i18n import available_languages, t
from bot.sandbox.driver import Reply, Sandbox, iter_components
from bot.sandbox.state import Channel, Member, Message, Role
from bot.sandbox.transcript import Transcript

# Discord's client languages for the catalogue's (Discord has no Arabic).
CLIENT_LOCALES = {"en": "en-US", "es": "es-ES", "fr": "fr", "tr": "tr"}


@dataclass
class DemoRun:
    """The demo's world, filled in by the chapters as the story goes."""

    sb: Sandbox
    story: Transcript
    out: Path  # where chapters save images, CSV and charts
    exchange_id: int = 0
    roles: dict[str, Role] = field(default_factory=dict)  # "student", "teacher", "coordinator"
    coordinator: Member | None = None
    teachers: dict[str, Member] = field(default_factory=dict)  # by city name
    students: dict[str, Member] = field(default_factory=dict)  # by name
    announcements: Channel | None = None
    teachers_channel: Channel | None = None
    pair_spaces: list[Channel] = field(default_factory=list)
    # Files worth opening first, listed at the top of index.html: (label, path in `out`).
    highlights: list[tuple[str, str]] = field(default_factory=list)
    # The one language of the exchange's people (`--language`); None: each their own.
    language: str | None = None

    def speaks(self, own: str) -> str:
        """The language of a person of the story whose own language is `own`."""
        return self.language or own

    @property
    def client_locale(self) -> str:
        """The Discord client language of the exchange's people: theirs where Discord has it
        (it has no Arabic), else English."""
        return CLIENT_LOCALES.get(self.language or "en", "en-US")

    @property
    def in_english(self) -> bool:
        """Whether the exchange's English speakers read English (what the story's own checks
        of the bot's words are written in)."""
        return self.language in (None, "en")

    def member(self, name: str) -> Member:
        """A student or teacher of the story by name."""
        found = self.students.get(name) or self.teachers.get(name)
        if found is None:
            raise KeyError(name)
        return found


def label(message: Message | Reply, key: str, **params: object) -> str:
    """The label of the button on `message` that says `key` in some language: whole, or as
    one part of a label in several ("Check in · تسجيل الحضور")."""
    wanted = {t(key, language, **params) for language in available_languages()}
    for component in iter_components(message.components):
        shown = str(component.get("label", ""))
        if shown in wanted or wanted & set(shown.split(" · ")):
            return shown
    raise LookupError(f"no button says {key!r}")


def footer_number(reply: Reply) -> int:
    """The number an answer's footer ends with ("Exchange #1", "Échange n° 1")."""
    found = re.search(r"(\d+)\D*$", str(reply.embeds[0]["footer"]["text"]))
    if found is None:
        raise LookupError("no number in the footer")
    return int(found.group(1))
