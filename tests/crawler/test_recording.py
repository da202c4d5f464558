"""Recording off the reactor: a thread, then worker processes that normalise in parallel, write in turn."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from crawler.recording import BACKLOG, Recording
from tests.tracker.pages import PARAGRAPHS, html_page, snap
from tracker.models import Document, Version
from tracker.page import PageSnapshot

SHARED = "http://127.0.0.1/shared.html"


def edition(i: int, url: str) -> PageSnapshot:
    return snap(html_page([f"第{i}次修订:{PARAGRAPHS[0]}", *PARAGRAPHS[1:]]), minutes=i, url=url)


async def record_all(recording: Recording, pages: list[PageSnapshot]) -> list[object]:
    return list(await asyncio.gather(*(recording.record(page) for page in pages)))


@pytest.mark.slow
def test_workers_write_in_turn_and_lose_no_version(
    db_url: str, session_factory: sessionmaker[Session]
) -> None:
    recording = Recording.database(db_url, {}, workers=2)
    try:
        # More than BACKLOG pages at once start the workers; the thread records while they start.
        first = [edition(0, f"http://127.0.0.1/doc-{i}.html") for i in range(BACKLOG + 8)]
        asyncio.run(record_all(recording, first))
        assert recording.pool is not None
        pids = {future.result(timeout=120) for future in recording.warming}
        assert os.getpid() not in pids
        # Now every page goes to the workers: twenty editions of one URL, recorded concurrently.
        editions = [edition(i, SHARED) for i in range(1, 21)]
        results = asyncio.run(record_all(recording, editions))
        assert all(result.version_id is not None for result in results)  # type: ignore[attr-defined]
    finally:
        recording.close()
    with session_factory() as session:
        assert session.scalar(select(func.count(Document.id))) == len(first) + 1
        shared = session.scalars(select(Document).where(Document.url == SHARED)).one()
        seqs = sorted(session.scalars(select(Version.seq).where(Version.document_id == shared.id)))
        assert seqs == list(range(1, 21))  # none lost, none doubled
        latest = session.get(Version, shared.latest_version_id)
        assert latest is not None and latest.seq == 20


def test_a_small_crawl_never_starts_workers(db_url: str, session_factory: sessionmaker[Session]) -> None:
    recording = Recording.database(db_url, {}, workers=2)
    try:
        asyncio.run(record_all(recording, [edition(0, f"http://127.0.0.1/p-{i}.html") for i in range(3)]))
        assert recording.pool is None
    finally:
        recording.close()
    with session_factory() as session:
        assert session.scalar(select(func.count(Version.id))) == 3


def test_pages_wait_for_no_worker_that_is_still_starting(db_url: str) -> None:
    recording = Recording.database(db_url, {}, workers=1)
    try:
        recording.pending = BACKLOG + 1
        assert recording._executor() is recording.thread  # the pool exists now, not yet ready
        assert recording.pool is not None
        concurrent.futures.wait(recording.warming, timeout=120)
        assert recording._executor() is recording.pool
    finally:
        recording.pending = 0
        recording.close()
