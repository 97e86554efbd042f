"""contrib/twinbridge.service: a unit systemd accepts, hardened, restarting on failure."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.config import Settings

UNIT = Path(__file__).resolve().parents[1] / "contrib" / "twinbridge.service"


def directives() -> dict[str, list[str]]:
    """Every `Key=value` of the unit, by key (keys may repeat)."""
    found: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


def test_the_unit_runs_the_bot_as_its_own_user_hardened() -> None:
    found = directives()
    assert found["User"] == ["twinbridge"] and found["Group"] == ["twinbridge"]
    assert found["ExecStart"][0].endswith("twinbridge run")
    assert found["Restart"] == ["on-failure"]
    assert "twinbridge" in found["StateDirectory"][0].split()
    for key, value in {
        "ProtectSystem": "strict",
        "NoNewPrivileges": "yes",
        "PrivateTmp": "yes",
        "ProtectHome": "yes",
        "CapabilityBoundingSet": "",
    }.items():
        assert found[key] == [value], key
    # Every setting it gives is one the bot knows.
    for assignment in found["Environment"]:
        name = assignment.partition("=")[0]
        assert name.lower() in Settings.model_fields, name
    # The database, the key (beside it by default) and the backups are all in the state
    # directory, and the key is not among the backups.
    env = dict(a.partition("=")[::2] for a in found["Environment"])
    assert env["DATABASE_URL"].endswith("////var/lib/twinbridge/twinbridge.db")
    assert env["BACKUP_DIR"] == "/var/lib/twinbridge/backups"


def test_the_unit_is_well_formed_ini() -> None:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(UNIT.read_text())
    assert parser.sections() == ["Unit", "Service", "Install"]


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="systemd-analyze is not installed here (Debian: apt-get install systemd)",
)
def test_systemd_analyze_verify_accepts_the_unit(tmp_path: Path) -> None:
    """systemd's own check, with no warning at all (an unknown key is only a warning).

    The only change: ExecStart points at a program that exists on this machine, since verify
    checks that the command is there and the unit names where an install puts it.
    """
    text = UNIT.read_text()
    executable = shutil.which("true") or "/bin/true"
    checked = tmp_path / "twinbridge.service"
    checked.write_text(
        "\n".join(
            f"ExecStart={executable} run" if line.startswith("ExecStart=") else line
            for line in text.splitlines()
        )
        + "\n"
    )
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(checked)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "" and result.stdout.strip() == "", result.stderr
