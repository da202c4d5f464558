"""Fixtures for crawler tests: a demo portal, a sources file and a module-wide database."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from portal import PortalServer, demo_config
from tests.conftest import POSTGRES_URL
from tracker.db import scratch_postgres_database

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def module_db_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database shared by the tests of one module (crawls are slow to repeat per test)."""
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'govwatch-test.db'}"
        return
    with scratch_postgres_database(POSTGRES_URL, "govwatch_test") as url:
        yield url


@pytest.fixture
def portal() -> Iterator[PortalServer]:
    with PortalServer(state="a") as server:
        yield server


def write_config(directory: Path, portal: PortalServer, extra: str = "") -> Path:
    path = directory / "govwatch.toml"
    path.write_text(demo_config(portal.url) + extra, encoding="utf-8")
    return path


def crawl_env(db_url: str) -> dict[str, str]:
    env = dict(os.environ, GOVWATCH_DATABASE_URL=db_url)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    return env


def start_crawl(
    source: str, config: Path, db_url: str, *extra: str, progress: str = "json"
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "crawler", source, "--config", str(config), "--progress", progress, *extra],
        env=crawl_env(db_url),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
