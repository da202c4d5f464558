"""Fixtures for crawler tests: a demo portal, a sources file and a module-wide database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Row, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from portal import PortalServer, demo_config
from tests.conftest import POSTGRES_URL
from tracker.db import make_engine, scratch_postgres_database
from tracker.models import Fetch, Version

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


def crawl_once(source: str, config: Path, db_url: str) -> tuple[dict[str, Any], int]:
    """One ``python -m crawler`` run to its end: its summary event and its exit code."""
    proc = start_crawl(source, config, db_url)
    out, err = proc.communicate(timeout=120)
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert lines and lines[-1]["event"] == "summary", f"{source}: {out}\n{err[-3000:]}"
    return lines[-1], proc.returncode


def run_fetches(db_url: str, run_id: int, *columns: InstrumentedAttribute[Any]) -> list[Row[Any]]:
    """These columns of every fetch row of one crawl run."""
    engine = make_engine(db_url)
    with engine.connect() as conn:
        rows = list(conn.execute(select(*columns).where(Fetch.crawl_run_id == run_id)).all())
    engine.dispose()
    return rows


def wait_for_a_version(session_factory: sessionmaker[Session], proc: subprocess.Popen[str]) -> None:
    """Until the crawl has recorded a version (or ended, or a minute passed): to stop it mid-crawl."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        with session_factory() as session:
            if session.scalar(select(func.count(Version.id))):
                return
        time.sleep(0.1)
