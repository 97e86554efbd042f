"""What the demo's chapters share: the sandbox, the transcript, and the people in the story."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.sandbox.driver import Sandbox
from bot.sandbox.state import Channel, Member, Role
from bot.sandbox.transcript import Transcript


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

    def member(self, name: str) -> Member:
        """A student or teacher of the story by name."""
        found = self.students.get(name) or self.teachers.get(name)
        if found is None:
            raise KeyError(name)
        return found
