"""The pseudo-locale's check: text that reaches a person without going through the catalogue.

With the pseudo-locale on, the bot's catalogue texts arrive marked (bot.pseudo). Every piece of
text a request carries to people (message content, embeds, components, modals, the names of
channels, threads and events the bot makes) is read here: once the marked pieces and what is
known to be data are taken out, no letter may be left. Then the marks are removed, so what the
stories (and Discord's limits) see is exactly what they would see without the pseudo-locale:
the stories look buttons up by their label, compare with `t()`, and must not change.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from bot import pseudo
from bot.domain.prompts import OWN_PREFIX
from bot.domain.text import clean

# Keys whose string is text for a person wherever they appear in a request.
TEXT_KEYS = frozenset({"content", "title", "description", "label", "placeholder", "text"})
# Routes whose body's own "name" (and "topic") is something people read.
NAMED = (
    "/guilds/{guild_id}/channels",
    "/channels/{channel_id}",
    "/channels/{channel_id}/threads",
    "/channels/{channel_id}/messages/{message_id}/threads",
    "/guilds/{guild_id}/scheduled-events",
    "/guilds/{guild_id}/scheduled-events/{event_id}",
)
# Commands' names and descriptions go through Discord's own localisations, not these texts.
SKIPPED = ("/applications/",)

# Data that is markup, read before names: a name may be part of a link ("twinbridge.org").
_MARKUP = re.compile(
    r"<(?:@[!&]?|#|/[\w -]+:|t:|a?:\w+:)[^>]*>"  # mentions, commands, timestamps, emoji
    r"|<?(?:https?|webcal)://[^\s)>\u2069]+>?"  # links
    r"|`[^`\n]*`"  # code: commands, ids, table names (a leak inside the marks is still marked)
    r"|(?<!\w)(?:[A-Z][A-Za-z_-]+/)+[A-Za-z0-9_+-]+"  # time zones: America/Chicago
    r"|[\w.-]+\.(?:csv|json|png|pgn|ics|xlsx|zip|db|txt)(?!\w)"  # file names the bot attaches
)
# Notation the same in every language, read after names (a name may hold digits, "S012").
_TOKENS = re.compile(
    # Chess: squares, moves (Nf3, exd5=Q+), castling; time controls as typed ("2d", "10+5").
    r"(?<!\w)(?:[KQRBN]?[a-h]?[1-8]?x?[a-h][1-8](?:=[QRBN])?[+#]?|O-O(?:-O)?[+#]?|\d+d)(?!\w)"
    r"|(?<!\w)[a-h][1-8][a-h][1-8][qrbn]?(?!\w)"  # a move as a button carries it (UCI: e7e8q)
    r"|(?<!\w)UTC(?:[+−-]\d+(?::\d+)?)?(?!\w)"  # an offset: UTC−05:00
    rf"|(?<!\w){OWN_PREFIX}\d+(?!\w)"  # an exchange's own prompt's id ("own-12"), as typed back
    # The one emoji Unicode counts as a letter (U+2139, "ℹ️", a lowercase letter by category).
    r"|\u2139\ufe0f?"
    r"|\d+"
)


class LeakCheck:
    """Finds unmarked text in what the bot sends; learns what people typed (data, not text)."""

    def __init__(self, identifiers: Callable[[str], bool] = lambda text: False) -> None:
        # Names the bot gives things as identifiers it finds them by again ("pair-001"):
        # language-neutral on purpose.
        self.identifiers = identifiers
        self.known: set[str] = set()
        self.leaks: list[str] = []
        # Leaks only listed (for a reader of the whole demo), not each a problem failing a test.
        self.listing_only = False
        self._pattern: re.Pattern[str] | None = None

    def learn(self, value: Any) -> None:
        """Every string in `value` (an interaction's data, a message, a name) is data."""
        for typed in _strings(value):
            # The bot repeats what it stores: the text cleaned (NFC, no invisible characters,
            # single spaces: bot.domain.text.clean), and a typed list ("falconry, poetry")
            # item by item.
            forms = {typed, clean(typed), clean(typed, multiline=True)}
            for text in (*forms, *(i for f in forms for i in re.split(r"[,;،\n]", f))):
                text = text.strip()
                if text and any(c.isalpha() for c in text) and text not in self.known:
                    self.known.add(text)
                    self._pattern = None

    def learn_file(self, data: bytes) -> None:
        """The cells of an uploaded text file (a roster CSV): names the bot may repeat."""
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return
        self.learn(re.split(r"[,;\t\r\n]", text))

    def leftover(self, text: str, names: Callable[[], Iterable[str]] = tuple) -> str:
        """The letters of `text` that are neither marked nor data ("" when none); `names`
        gives the names in the world (people, roles, channels), read only when needed."""
        if self.identifiers(text):
            return ""
        outside = pseudo.outside_marks(text)
        if not any(c.isalpha() for c in _TOKENS.sub(" ", _MARKUP.sub(" ", outside))):
            return ""
        # A name is written with its markdown escaped ("layla\\_haddad").
        rest = re.sub(r"\\([*_~`|>\[#\\-])", r"\1", outside)
        # "@\u200beveryone": a typed @everyone, made harmless, is still what was typed.
        rest = rest.replace("\u200b", "")
        self.learn(list(names()))
        if "…" in rest:
            rest = self._without_clipped(rest)
        known = self._known()
        # What was typed, whole (it may hold a mention); then markup, where a name left in a
        # link ("twinbridge.example.org") goes with the link; then names again, then notation.
        rest = known.sub(" ", _MARKUP.sub(" ", known.sub("", rest)))
        rest = _TOKENS.sub(" ", rest)
        words = [w for w in re.split(r"\s+", rest) if any(c.isalpha() for c in w)]
        # A long name clipped to fit ("LagosLagos…") is still the name.
        words = [w for w in words if not (w.endswith("…") and self._clipped_name(w[:-1]))]
        return " ".join(words)

    def _without_clipped(self, text: str) -> str:
        # A name clipped to fit, markup and all ("**Sly** [win](https://…) <@&…"): whole,
        # before its markup is read apart.
        for name in sorted(self.known, key=len, reverse=True):
            for end in range(len(name) - 1, 2, -1):
                clipped = name[:end].rstrip() + "…"
                if clipped in text:
                    text = text.replace(clipped, " ")
                    break
        return text

    def _clipped_name(self, start: str) -> bool:
        start = start.casefold()
        return len(start) >= 3 and any(k.casefold().startswith(start) for k in self.known)

    def _known(self) -> re.Pattern[str]:
        if not self.known:
            return re.compile(r"(?!)")  # matches nothing
        if self._pattern is None:
            # Longest first, so "Minneapolis–Najaf" goes before "Minneapolis"; never inside a
            # word, so a name "Al" does not hide the leak "Alarm".
            names = sorted(self.known, key=len, reverse=True)
            alternatives = "|".join(re.escape(n) for n in names)
            self._pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
        return self._pattern

    def inspect(
        self,
        method: str,
        template: str,
        body: Any,
        names: Callable[[], Iterable[str]] = tuple,
        before: Iterable[str] = (),
    ) -> None:
        """Check a request's texts (recording each leak), then take the marks out of it.

        `before`: the texts of the message an edit changes. The bot edits with what Discord
        gave it back (without marks): the lines it keeps were checked when first sent."""
        if body is None or template.startswith(SKIPPED):
            return
        kept = {line for text in before for line in text.split("\n") if line.strip()}
        for where, text in _texts(body, named=template in NAMED):
            if kept:
                text = "\n".join(line for line in text.split("\n") if line not in kept)
            left = self.leftover(text, names)
            if left:
                self.leaks.append(f"{method} {template} {where}: {text!r} (unmarked: {left!r})")
        _strip(body)


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple | set):
        for item in value:
            yield from _strings(item)


def _texts(
    value: Any, *, named: bool, where: str = "", parent: str = ""
) -> Iterable[tuple[str, str]]:
    """(where, text) for every string in a request body a person reads."""
    if isinstance(value, list):
        for number, item in enumerate(value):
            yield from _texts(item, named=False, where=f"{where}[{number}]", parent=parent)
        return
    if not isinstance(value, dict):
        return
    for key, item in value.items():
        here = f"{where}.{key}" if where else key
        if isinstance(item, str):
            read = (
                key in TEXT_KEYS
                or (key in ("name", "value") and parent == "fields")
                or (key == "name" and parent in ("author", "choices"))
                or (named and key in ("name", "topic", "description"))
            )
            if read and item:
                yield here, item
        else:
            yield from _texts(item, named=False, where=here, parent=key)


def _strip(value: Any) -> None:
    """Remove the marks from every string of a request body, in place."""
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str):
                value[key] = pseudo.unmarked(item)
            else:
                _strip(item)
    elif isinstance(value, list):
        for number, item in enumerate(value):
            if isinstance(item, str):
                value[number] = pseudo.unmarked(item)
            else:
                _strip(item)
