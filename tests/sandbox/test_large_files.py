"""No file over Discord's limit is ever sent: large exports go zipped, split, or the answer says
how to get them from the command line.

Discord refuses a file over 10 MiB (a server without boosts) and a request over 25 MiB, with
error 40005 (discord/discord-api-docs, reference.md "Uploading Files"; the sandbox refuses them
as Discord does). Before the bot checked, a large export failed with "something went wrong".
"""

from __future__ import annotations

import io
import json
import random
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert

from bot.limits import FILE_BYTES, REQUEST_BYTES
from bot.sandbox.driver import Sandbox
from bot.services.privacy import Export
from bot.store.schema import activity
from cogs.common.files import Attachment, fitted, left_out_note, pack
from tests.sandbox.test_reporting import run_cli
from tests.sandbox.world import World, make_world

MIB = 1024 * 1024


def noise(size: int, seed: int = 7) -> bytes:
    """Bytes that do not compress."""
    return random.Random(seed).randbytes(size)


# -- the helper --------------------------------------------------------------------------------


def test_a_file_within_the_limit_goes_as_it_is() -> None:
    small = Attachment("a.csv", b"x" * FILE_BYTES)
    assert fitted(small) is small


def test_a_large_file_that_compresses_goes_zipped() -> None:
    text = ("name,city,attended\n" + "Layla,Najaf,yes\n" * 800_000).encode()
    assert len(text) > FILE_BYTES
    found = fitted(Attachment("big.csv", text))
    assert found is not None and found.name == "big.csv.zip" and len(found.data) <= FILE_BYTES
    with zipfile.ZipFile(io.BytesIO(found.data)) as archive:
        assert archive.read("big.csv") == text


def test_a_large_file_that_does_not_compress_is_left_out_and_named() -> None:
    packed = pack([Attachment("a.csv", b"ok"), Attachment("chart.png", noise(FILE_BYTES + 1))])
    assert [a.name for a in packed.messages[0]] == ["a.csv"] and packed.left_out == ["chart.png"]
    note = left_out_note(packed, "en", "python -m bot report attendance")
    assert "chart.png" in note and "10 MiB" in note and "`python -m bot report attendance`" in note
    assert left_out_note(pack([Attachment("a.csv", b"ok")]), "en") == ""


def test_files_too_large_together_are_spread_over_messages() -> None:
    """Three files of 9 MiB: each fits, all three would pass a request's 25 MiB."""
    files = [Attachment(f"part-{n}.bin", noise(9 * MIB, n)) for n in range(3)]
    packed = pack(files)
    assert [[a.name for a in m] for m in packed.messages] == [
        ["part-0.bin", "part-1.bin"],
        ["part-2.bin"],
    ]
    for message in packed.messages:
        assert sum(len(a.data) for a in message) < REQUEST_BYTES


# -- through the bot -------------------------------------------------------------------------------


async def layla_with_a_long_history(sb: Sandbox, rows: int) -> tuple[World, int]:
    """Layla, on the roster, with `rows` events of the activity log naming her."""
    world = await make_world(sb)
    layla = await world.add_student("Layla", 1, languages=("ar",))
    start = sb.now() - timedelta(days=700)
    async with sb.bot.ctx.db.transaction() as conn:
        await conn.execute(
            insert(activity),
            [
                {
                    "at": start + timedelta(minutes=n),
                    "guild_id": sb.guild.id,
                    "partnership_id": world.exchange_id,
                    "actor_id": layla.user.id,
                    "kind": "prompt.replied",
                    "details": json.dumps({"pair": 1, "prompt": f"p{n % 79}", "length": n % 500}),
                }
                for n in range(rows)
            ],
        )
    return world, layla.user.id


async def test_a_privacy_export_over_ten_mib_is_sent_zipped(sb: Sandbox, tmp_path: Path) -> None:
    """Two years of a busy student's activity: the JSON passes 10 MiB. The coordinator gets it
    zipped, the same document the command line writes."""
    world, layla = await layla_with_a_long_history(sb, rows=60_000)
    reply = await sb.command(world.coordinator, "privacy export", user_id=str(layla))
    assert "Keep this file safe" in reply.text
    (sent,) = reply.files
    assert sent.filename == f"twinbridge-data-{layla}.json.zip"
    with zipfile.ZipFile(io.BytesIO(bytes(sent.data))) as archive:
        data = archive.read(f"twinbridge-data-{layla}.json")
    assert len(data) > FILE_BYTES
    document = json.loads(data)
    assert len(document["tables"]["activity"]) >= 60_000
    output = tmp_path / "layla.json"
    url = sb.bot.ctx.settings.database_url
    args = ("privacy-export", "--guild", str(sb.guild.id), "--user", str(layla))
    result = run_cli(*args, "--output", str(output), url=url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    again = json.loads(output.read_text("utf-8"))
    assert again["tables"]["participants"] == document["tables"]["participants"]
    assert again["exported_by"].startswith("command line: ")


async def test_an_export_too_large_even_zipped_says_where_to_get_it(
    sb: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the limit even zipped, the file is left out: the answer names it and gives the
    command line that writes it, and Discord is never sent more than it takes."""
    world, layla = await layla_with_a_long_history(sb, rows=10)
    service = sb.bot.services.privacy
    real = service.export_person

    async def huge(*args: object, **kwargs: object) -> Export:
        found = await real(*args, **kwargs)  # type: ignore[arg-type]
        return Export(found.user_id, noise(FILE_BYTES + MIB), found.rows, found.tables)

    monkeypatch.setattr(service, "export_person", huge)
    reply = await sb.command(world.coordinator, "privacy export", user_id=str(layla))
    assert reply.files == []
    assert f"twinbridge-data-{layla}.json" in reply.text and "10 MiB" in reply.text
    command = f"python -m bot privacy-export --guild {sb.guild.id} --user {layla}"
    assert command in reply.text
