"""An installed Twinbridge (a wheel, not the source tree) migrates its database from anywhere."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
# What a wheel is built from; tests, the venv and caches stay out, as in a fresh clone.
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "bot", "cogs", "migrations")


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "PYTHONPATH"}}
    result = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _tables(database: Path) -> set[str]:
    with sqlite3.connect(database) as conn:
        rows = conn.execute("select name from sqlite_master where type='table'")
        return {row[0] for row in rows}


def test_migration_scripts_are_a_package_resource(tmp_path: Path) -> None:
    """Run from another directory, the bot finds every migration through importlib.resources."""
    script = (
        "from importlib import resources; from bot.store.migrate import migrations_dir; "
        "print(resources.files('migrations')); print(migrations_dir())"
    )
    found, used = _run(sys.executable, "-c", script, cwd=tmp_path).split()
    assert found == used
    versions = sorted(p.name for p in (Path(used) / "versions").glob("0*.py"))
    shipped = sorted(p.name for p in (PROJECT / "migrations" / "versions").glob("0*.py"))
    assert versions == shipped and "0001_core_tables.py" in versions
    assert (Path(used) / "env.py").is_file()


@pytest.mark.skipif(sys.platform == "win32", reason="the throwaway venv's layout is POSIX here")
def test_an_installed_wheel_migrates_from_any_directory(tmp_path: Path) -> None:
    """`pip install` of the wheel, then `twinbridge migrate` elsewhere, creates the schema."""
    source = tmp_path / "source"
    source.mkdir()
    for name in SOURCES:
        origin = PROJECT / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(origin, source / name)
    wheels = tmp_path / "wheels"
    # Offline and quick: the dev extra installs setuptools and wheel, so no build isolation.
    _run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--quiet",
        "--no-deps",
        "--no-build-isolation",
        "--wheel-dir",
        wheels,
        source,
        cwd=tmp_path,
    )
    (wheel,) = wheels.glob("twinbridge-*.whl")

    # A venv holding only the wheel; its dependencies come from the test's own environment
    # through a .pth line (which, unlike a site dir, does not run that environment's editable
    # install hook, so `bot` can only be the installed copy).
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    site = Path(
        _run(
            python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=tmp_path
        ).strip()
    )
    (site / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    _run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "--quiet",
        "--no-deps",
        "--no-index",
        wheel,
        cwd=tmp_path,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = _run(python, "-c", "import bot; print(bot.__file__)", cwd=elsewhere)
    assert Path(where.strip()).is_relative_to(site)

    _run(
        venv / "bin" / "twinbridge",
        "migrate",
        cwd=elsewhere,
        env={"DATABASE_URL": "sqlite+aiosqlite:///data/x.db"},
    )
    assert {"partnerships", "participants", "activity", "message_days"} <= _tables(
        elsewhere / "data" / "x.db"
    )
