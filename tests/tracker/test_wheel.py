"""The built wheel carries its migrations: installed (not editable) it creates a database anywhere."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_installed_wheel_upgrades_an_empty_database_outside_the_checkout(tmp_path: Path) -> None:
    # Built from a copy: an in-tree build would leave a build/ folder whose stale files a later
    # wheel could pick up.
    source = tmp_path / "source"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "tests", "bench", "docs", ".*cache"
        ),
    )
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, source],
        check=True,
        cwd=tmp_path,
    )
    (wheel,) = dist.glob("govwatch-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "govwatch_migrations/env.py" in names
    assert "govwatch_migrations/script.py.mako" in names
    assert any(n.startswith("govwatch_migrations/versions/") and n.endswith(".py") for n in names)
    assert not any(n.startswith("alembic/") for n in names)  # never shadows the alembic library
    # pyproject.toml lists the packages by name: a new subpackage must not be left out of the wheel.
    for top in ("tracker", "crawler", "scheduler", "portal"):
        for init in (ROOT / top).rglob("__init__.py"):
            assert init.relative_to(ROOT).as_posix() in names, f"{init.parent} is not in the wheel"

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    python = venv / "bin" / "python"
    # The dependencies come from this test's environment (a path line, so its editable-install
    # hooks stay inert); govwatch itself only from the wheel.
    site = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    (site / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "-q", wheel],
        check=True,
    )
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GOVWATCH_CONFIG")}
    env["GOVWATCH_DATABASE_URL"] = f"sqlite:///{outside / 'fresh.db'}"
    where = subprocess.run(
        [python, "-c", "import tracker, govwatch_migrations; print(tracker.__file__)"],
        check=True,
        capture_output=True,
        text=True,
        cwd=outside,
        env=env,
    ).stdout
    assert str(venv) in where and str(ROOT) not in where
    done = subprocess.run(
        [venv / "bin" / "govwatch", "db", "upgrade"],
        check=False,
        capture_output=True,
        text=True,
        cwd=outside,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(outside / "fresh.db") as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"documents", "versions", "changes", "alembic_version"} <= tables
