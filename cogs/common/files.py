"""Files the bot attaches, always within Discord's limits.

Discord refuses a file over 10 MiB (in a server without boosts) and a request over 25 MiB in
all, with error 40005 (discord/discord-api-docs, reference.md "Uploading Files"). Exports grow
with an exchange, so every file the bot sends goes through here first: one over the limit is
sent zipped (CSV and JSON shrink several times over); one still too large is left out, and the
answer says where else to get it; files too large together are spread over several messages.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import discord

from bot.i18n import t
from bot.limits import ATTACHMENTS, FILE_BYTES, REQUEST_BYTES
from cogs.common.interactions import say

# Of a request's 25 MiB, what its files may use: the rest is the message itself (its JSON,
# embeds and the multipart framing), which Discord counts too.
FILES_PER_REQUEST = REQUEST_BYTES - 1024 * 1024


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file to send: its name and its bytes."""

    name: str
    data: bytes

    def file(self) -> discord.File:
        return discord.File(io.BytesIO(self.data), filename=self.name)


@dataclass(slots=True)
class Packed:
    """Files as Discord takes them: `messages[0]` goes with the answer, each further list in a
    message of its own; `left_out` names the files too large even zipped."""

    messages: list[list[Attachment]] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)

    def first(self) -> list[discord.File]:
        """The files of the answer itself (new `discord.File`s: each can be sent only once)."""
        return [a.file() for a in self.messages[0]] if self.messages else []

    def holds(self, name: str) -> bool:
        """Whether the answer carries this file as it is (an embed may show it)."""
        return bool(self.messages) and any(a.name == name for a in self.messages[0])


def zipped(attachment: Attachment) -> Attachment:
    """The file inside a zip archive of the same name (`report.csv` → `report.csv.zip`)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr(attachment.name, attachment.data)
    return Attachment(f"{attachment.name}.zip", buffer.getvalue())


def fitted(
    attachment: Attachment, *, per_file: int = FILE_BYTES, compress: bool = True
) -> Attachment | None:
    """The file as Discord takes it: as it is, or zipped (unless `compress` is False, e.g. an
    image an embed shows), or None when it is too large either way."""
    if len(attachment.data) <= per_file:
        return attachment
    if compress:
        packed = zipped(attachment)
        if len(packed.data) <= per_file:
            return packed
    return None


def pack(
    attachments: Sequence[Attachment],
    *,
    per_file: int = FILE_BYTES,
    per_request: int = FILES_PER_REQUEST,
    per_message: int = ATTACHMENTS,
) -> Packed:
    """Fit each file (zipped if need be) and spread them over as few messages as Discord allows,
    in their order."""
    packed = Packed()
    current: list[Attachment] = []
    size = 0
    for attachment in attachments:
        fit = fitted(attachment, per_file=min(per_file, per_request))
        if fit is None:
            packed.left_out.append(attachment.name)
            continue
        if current and (size + len(fit.data) > per_request or len(current) == per_message):
            packed.messages.append(current)
            current, size = [], 0
        current.append(fit)
        size += len(fit.data)
    if current:
        packed.messages.append(current)
    return packed


def left_out_note(packed: Packed, language: str, command: str | None = None) -> str:
    """What the answer says of files too large to send: which, and (given a command line that
    makes them) where to get them instead. Empty when nothing was left out."""
    if not packed.left_out:
        return ""
    note = t("files.too_large", language, files=", ".join(packed.left_out), mib=FILE_BYTES >> 20)
    if command:
        note += " " + t("files.from_command_line", language, command=command)
    return note


async def say_packed(
    interaction: discord.Interaction[Any],
    packed: Packed,
    content: str = "",
    *,
    language: str,
    command: str | None = None,
    **kwargs: Any,
) -> None:
    """Answer privately with the files (`say`): the first message carries `content`, the
    other keyword arguments (an embed…) and the note on anything left out; further files
    follow in messages of their own."""
    text = "\n\n".join(part for part in (content, left_out_note(packed, language, command)) if part)
    await say(interaction, text or discord.utils.MISSING, files=packed.first(), **kwargs)
    for more in packed.messages[1:]:
        await say(interaction, files=[a.file() for a in more])
