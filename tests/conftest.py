"""Shared fixtures: a fresh database per test, SQLite by default, PostgreSQL when configured.

Set ``GOVWATCH_TEST_POSTGRES_URL`` (e.g. postgresql+psycopg://postgres@127.0.0.1/postgres)
to run every database test against a throw-away PostgreSQL database instead of SQLite.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SEEDS_DIR = Path(__file__).resolve().parents[2] / "shared" / "seeds"
FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures"
POSTGRES_URL = os.environ.get("GOVWATCH_TEST_POSTGRES_URL", "").strip()


def pytest_report_header(config: pytest.Config) -> str:
    return f"govwatch database backend: {'postgresql' if POSTGRES_URL else 'sqlite'}"


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    """URL of an empty database that exists only for this test."""
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path / 'govwatch-test.db'}"
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
def db_env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the application (and its subprocesses) at the per-test database."""
    monkeypatch.setenv("GOVWATCH_DATABASE_URL", db_url)
    return db_url


@pytest.fixture
def session_factory(db_url: str) -> Iterator[sessionmaker[Session]]:
    """A session factory on a freshly migrated per-test database."""
    from tracker.db import make_engine, upgrade

    engine = make_engine(db_url)
    upgrade(engine)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()
