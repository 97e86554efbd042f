"""The erasure journal: what was erased or pruned, so that restoring a backup erases it again.

A backup taken before `/privacy erase` still holds the child; restoring it must not bring them
back. The journal remembers each erasure without remembering the person: it keeps a keyed hash
(HMAC-SHA256) of their Discord id, and the key is a file of its own that no backup contains.
A restore hashes every id in the restored database with that key and erases each match again;
pruned exchanges are journalled by id (an exchange is no person) and pruned again.

The journal is a file of JSON lines beside the database, not a table in it: it has to outlive
the very database a restore replaces (deleted, corrupted, or simply older).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

JOURNAL_NAME = "erasure.journal"
PERSON, EXCHANGE = "person", "exchange"
# A user id to its keyed hash.
HashFn = Callable[[int], str]


class JournalError(Exception):
    """The journal or its key cannot be used; the message says what to do."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One erasure (a person in a guild, by keyed hash) or pruning (an exchange)."""

    at: datetime
    kind: str
    guild_id: int
    subject: str | None = None  # the keyed hash of the erased person's id
    exchange_id: int | None = None


class ErasureJournal:
    """Appends entries to the journal file and reads them back; owns the key."""

    def __init__(self, key_file: Path, journal_file: Path) -> None:
        self.key_file = key_file
        self.path = journal_file

    @classmethod
    def beside(cls, database: Path, key_file: Path) -> ErasureJournal:
        """The journal of a database file (kept in its folder), hashed with `key_file`."""
        return cls(key_file, database.with_name(JOURNAL_NAME))

    # -- the key -------------------------------------------------------------------------------

    def _key(self, *, create: bool) -> bytes | None:
        try:
            text = self.key_file.read_text("ascii").strip()
        except FileNotFoundError:
            if not create:
                return None
            return self._new_key()
        except OSError as exc:
            raise JournalError(f"cannot read the erasure key {self.key_file}: {exc}") from None
        try:
            return bytes.fromhex(text)
        except ValueError:
            raise JournalError(f"the erasure key {self.key_file} is not hex text") from None

    def _new_key(self) -> bytes:
        key = secrets.token_bytes(32)
        self.key_file.parent.mkdir(parents=True, exist_ok=True)
        try:
            # Readable by the bot's own account only; never overwrite an existing key.
            fd = os.open(self.key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return self._key(create=False) or key
        except OSError as exc:
            raise JournalError(f"cannot create the erasure key {self.key_file}: {exc}") from None
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(key.hex() + "\n")
            out.flush()
            os.fsync(out.fileno())
        return key

    @staticmethod
    def digest(key: bytes, user_id: int) -> str:
        """The keyed hash standing for a Discord user id."""
        return hmac.new(key, str(user_id).encode(), hashlib.sha256).hexdigest()

    def hasher(self) -> HashFn | None:
        """Hash ids with the journal's key (None when there is no key file)."""
        key = self._key(create=False)
        if key is None:
            return None
        return lambda user_id: self.digest(key, user_id)

    # -- writing -------------------------------------------------------------------------------

    def _append(self, record: dict[str, object]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(record, separators=(",", ":")) + "\n"
        try:
            with self.path.open("a", encoding="utf-8") as out:
                out.write(line)
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            raise JournalError(f"cannot write the erasure journal {self.path}: {exc}") from None

    def _person(self, guild_id: int, user_id: int, at: datetime) -> None:
        key = self._key(create=True)
        assert key is not None
        self._append(
            {
                "at": at.isoformat(),
                "kind": PERSON,
                "guild": str(guild_id),
                "subject": self.digest(key, user_id),
            }
        )

    async def person_erased(self, guild_id: int, user_id: int, at: datetime) -> None:
        """Journal that a person is being erased from a guild (before the erasure runs: a
        restore erasing someone twice is harmless, bringing someone back is not)."""
        await asyncio.to_thread(self._person, guild_id, user_id, at)

    async def exchange_pruned(self, guild_id: int, exchange_id: int, at: datetime) -> None:
        """Journal that an exchange's people are being anonymised."""
        record: dict[str, object] = {
            "at": at.isoformat(),
            "kind": EXCHANGE,
            "guild": str(guild_id),
            "exchange": exchange_id,
        }
        await asyncio.to_thread(self._append, record)

    # -- reading -------------------------------------------------------------------------------

    def entries(self, since: datetime | None = None) -> list[Entry]:
        """Entries journalled at or after `since` (all of them when None)."""
        try:
            lines = self.path.read_text("utf-8").splitlines()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise JournalError(f"cannot read the erasure journal {self.path}: {exc}") from None
        found = []
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                entry = Entry(
                    at=datetime.fromisoformat(record["at"]),
                    kind=str(record["kind"]),
                    guild_id=int(record["guild"]),
                    subject=record.get("subject"),
                    exchange_id=record.get("exchange"),
                )
            except (ValueError, KeyError, TypeError):
                if number == len(lines):
                    continue  # a last line cut short by a crash mid-write
                raise JournalError(f"line {number} of {self.path} is damaged") from None
            if since is None or entry.at >= since:
                found.append(entry)
        return found

    def exists(self) -> bool:
        """Whether anything was ever journalled here."""
        return self.path.exists()
