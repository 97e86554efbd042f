"""contrib/twinbridge@.service: one unit per bot process, the instance naming its shard."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bot.config import Settings

TEMPLATE = Path(__file__).resolve().parents[1] / "contrib" / "twinbridge@.service"
PLAIN = TEMPLATE.with_name("twinbridge.service")


def directives(path: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


def test_each_instance_holds_its_shard_with_the_plain_units_hardening() -> None:
    found, plain = directives(TEMPLATE), directives(PLAIN)
    env = dict(a.partition("=")[::2] for a in found["Environment"])
    assert env["SHARD_IDS"] == "%i"
    assert env["HTTP_PORT"] == "878%i"  # a health port per process
    assert all(name.lower() in Settings.model_fields for name in env)
    # No SQLite file and no bot backups: several processes need PostgreSQL.
    assert "DATABASE_URL" not in env and "BACKUP_DIR" not in env
    assert found["EnvironmentFile"] == [
        "/etc/twinbridge/twinbridge.env",
        "-/etc/twinbridge/twinbridge-%i.env",
    ]
    for key in ("User", "ExecStart", "Restart", "RestartPreventExitStatus", "ProtectSystem"):
        assert found[key] == plain[key], key
    assert found["SystemCallFilter"] == plain["SystemCallFilter"]


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="systemd-analyze is not installed here (Debian: apt-get install systemd)",
)
def test_systemd_analyze_verify_accepts_an_instance(tmp_path: Path) -> None:
    """systemd's own check of `twinbridge@1.service`, with no warning at all (ExecStart
    pointed at a program that exists here; the required environment file made up)."""
    executable = shutil.which("true") or "/bin/true"
    env_file = tmp_path / "twinbridge.env"
    env_file.write_text("SHARD_COUNT=2\n")
    lines = []
    for line in TEMPLATE.read_text().splitlines():
        if line.startswith("ExecStart="):
            line = f"ExecStart={executable} run"
        elif line == "EnvironmentFile=/etc/twinbridge/twinbridge.env":
            line = f"EnvironmentFile={env_file}"
        lines.append(line)
    (tmp_path / "twinbridge@.service").write_text("\n".join(lines) + "\n")
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(tmp_path / "twinbridge@1.service")],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "" and result.stdout.strip() == "", result.stderr
