"""Fixtures for the fault suite: a database per module (crawls are slow to repeat per test)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import POSTGRES_URL
from tracker.db import scratch_postgres_database


@pytest.fixture(scope="module")
def module_db_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'govwatch-faults.db'}"
        return
    with scratch_postgres_database(POSTGRES_URL, "govwatch_faults") as url:
        yield url
