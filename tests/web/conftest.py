"""One store for every web test: real crawls of the demo portal into SQLite (or PostgreSQL when
GOVWATCH_TEST_POSTGRES_URL is set), filled once per test process; the app only reads it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker

from scheduler.web.app import create_app
from tests.conftest import POSTGRES_URL
from tests.web.store import DemoStore, fill
from tracker.db import make_engine, scratch_postgres_database, upgrade


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoStore]:
    workdir = tmp_path_factory.mktemp("web-store")

    def build(url: str) -> Iterator[DemoStore]:
        engine = make_engine(url)
        upgrade(engine)
        try:
            yield fill(url, sessionmaker(engine, expire_on_commit=False), workdir)
        finally:
            engine.dispose()

    if not POSTGRES_URL:
        yield from build(f"sqlite:///{workdir / 'govwatch-web.db'}")
        return
    with scratch_postgres_database(POSTGRES_URL, "govwatch_web") as url:
        yield from build(url)


@pytest.fixture(scope="session")
def client(demo_store: DemoStore) -> Iterator[TestClient]:
    with TestClient(create_app(demo_store.factory)) as test_client:
        yield test_client
