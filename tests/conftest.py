"""Shared fixtures: a fresh database per test, SQLite by default, PostgreSQL when configured.

Set ``GOVWATCH_TEST_POSTGRES_URL`` (e.g. postgresql+psycopg://postgres@127.0.0.1/postgres)
to run every database test against a throw-away PostgreSQL database instead of SQLite.

Hypothesis profiles:
- ``ci`` (loaded when ``CI`` is set): derandomized, so a CI run is reproducible and a property
  that only some seeds break fails every time or never; failing examples print a reproduction
  blob; the example counts the tests state.
- ``dev`` (the default): random, with the same counts; failures are kept in ``.hypothesis/`` and
  replayed first on the next run.
- ``thorough`` (``--hypothesis-profile=thorough``, run by ``bench/properties.sh``): random, ten
  times the examples. Run it before changing the normaliser or the diff, and fix what it finds.

A test that sets its own count writes ``max_examples=examples(n)``, so the profiles scale it too.
"""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from tracker.db import scratch_postgres_database

FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures"
POSTGRES_URL = os.environ.get("GOVWATCH_TEST_POSTGRES_URL", "").strip()


BASE_EXAMPLES = 100  # Hypothesis' own default, kept by ci and dev
THOROUGH_FACTOR = 10

# Timing is not what these properties state (bench/ measures speed); on a shared machine a
# deadline only adds failures that depend on the load.
settings.register_profile("dev", deadline=None, max_examples=BASE_EXAMPLES)
settings.register_profile(
    "ci", deadline=None, max_examples=BASE_EXAMPLES, derandomize=True, database=None, print_blob=True
)
settings.register_profile(
    "thorough", deadline=None, max_examples=BASE_EXAMPLES * THOROUGH_FACTOR, print_blob=True
)


def examples(count: int) -> int:
    """A test's example count under the loaded profile: `count` for ci and dev, 10x for thorough."""
    return count * settings.default.max_examples // BASE_EXAMPLES


# The hypothesis plugin loads a --hypothesis-profile given on the command line after this.
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def pytest_report_header(config: pytest.Config) -> list[str]:
    current = settings.default
    return [
        f"govwatch database backend: {'postgresql' if POSTGRES_URL else 'sqlite'}",
        f"hypothesis: derandomize={current.derandomize}, base max_examples={current.max_examples}",
    ]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every Hypothesis test `property`, so `-m property` selects them wherever they are."""
    for item in items:
        if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
            item.add_marker(pytest.mark.property)


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    """URL of an empty database that exists only for this test."""
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path / 'govwatch-test.db'}"
        return
    with scratch_postgres_database(POSTGRES_URL, "govwatch_test") as url:
        yield url


@pytest.fixture
def db_env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the application (and its subprocesses) at the per-test database."""
    monkeypatch.setenv("GOVWATCH_DATABASE_URL", db_url)
    return db_url


@pytest.fixture(scope="session", autouse=True)
def ctrl_c_as_at_a_terminal() -> Iterator[None]:
    """Children started by the tests take Ctrl-C as they would at a terminal.

    A shell without job control starts background commands (``pytest … &``, cron, nohup)
    with SIGINT ignored, and an ignored signal stays ignored across exec: the tests that
    press Ctrl-C on the demo or a crawl would see it ignored instead of handled.
    """
    previous = signal.getsignal(signal.SIGINT)
    if previous is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    if previous is signal.SIG_IGN:
        signal.signal(signal.SIGINT, previous)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated to the newest revision once per test process (SQLite path or PG name).

    Copying it is much faster than running every migration for every test.
    """
    from tracker.db import make_engine, upgrade

    if not POSTGRES_URL:
        path = tmp_path_factory.mktemp("template") / "template.db"
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        yield str(path)
        return
    with scratch_postgres_database(POSTGRES_URL, "govwatch_template") as url:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield make_url(url).database or ""


def _clone_template(db_url: str, template: str) -> None:
    """Give the still-empty per-test database the template's schema."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "")
        if not path.exists():
            shutil.copyfile(template, path)
        return
    probe = create_engine(db_url)
    empty = not inspect(probe).get_table_names()
    probe.dispose()
    if not empty:
        return
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{url.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{url.database}" TEMPLATE "{template}"'))
    admin.dispose()


@pytest.fixture
def session_factory(db_url: str, migrated_template: str) -> Iterator[sessionmaker[Session]]:
    """A session factory on a freshly migrated per-test database."""
    from tracker.db import make_engine, upgrade

    _clone_template(db_url, migrated_template)
    engine = make_engine(db_url)
    upgrade(engine)  # a no-op unless the database already held something older
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()
