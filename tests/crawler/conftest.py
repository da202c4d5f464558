"""Fixtures for crawler tests: a demo portal, a sources file and a module-wide database."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from portal import PortalServer, demo_config
from tests.conftest import POSTGRES_URL

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def module_db_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database shared by the tests of one module (crawls are slow to repeat per test)."""
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'govwatch-test.db'}"
        return
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"govwatch_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


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
