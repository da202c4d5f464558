"""Recording off the reactor: a thread, then worker processes that normalise in parallel, write in turn."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from crawler.recording import BACKLOG, Recording
from tests.tracker.pages import PARAGRAPHS, html_page, snap
from tracker.models import Document, Version
from tracker.page import PageFetch

SHARED = "http://127.0.0.1/shared.html"


def edition(i: int, url: str) -> PageFetch:
    return snap(html_page([f"第{i}次修订:{PARAGRAPHS[0]}", *PARAGRAPHS[1:]]), minutes=i, url=url)


async def record_all(recording: Recording, pages: list[PageFetch], known: bool = False) -> list[Any]:
    return list(await asyncio.gather(*(recording.record(page, known=known) for page in pages)))


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


@contextmanager
def counted_commits() -> Iterator[list[int]]:
    """The commits of any engine in this process while the block runs (one entry each)."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    commits: list[int] = []

    def count(_conn: object) -> None:
        commits.append(1)

    event.listen(Engine, "commit", count)
    try:
        yield commits
    finally:
        event.remove(Engine, "commit", count)


def test_not_modified_pages_are_written_in_batches_without_workers(
    db_url: str, session_factory: sessionmaker[Session]
) -> None:
    from crawler.recording import BATCH_SIZE
    from tracker.models import Fetch

    urls = [f"http://127.0.0.1/kept-{i}.html" for i in range(3 * BATCH_SIZE)]
    recording = Recording.database(db_url, {}, workers=2)
    try:
        asyncio.run(record_all(recording, [edition(0, url) for url in urls[:5]]))
        with counted_commits() as commits:
            pages = [snap(b"", status=304, minutes=1, url=url) for url in urls]
            results = asyncio.run(record_all(recording, pages))
        assert recording.pool is None  # nothing to normalise: no worker is started for them
    finally:
        recording.close()
    assert [str(r.outcome) for r in results] == ["not_modified"] * len(urls)  # type: ignore[attr-defined]
    assert len(commits) <= len(urls) // BATCH_SIZE + 1  # a commit per batch, not per page
    with session_factory() as session:
        outcomes = session.scalars(select(Fetch.outcome).where(Fetch.status_code == 304)).all()
        assert len(outcomes) == len(urls)
        kept = session.scalars(select(Document).where(Document.url.in_(urls[:5]))).all()
        assert all(document.last_seen_at is not None for document in kept)


def test_unchanged_bodies_of_known_pages_are_written_in_batches_without_normalising(
    db_url: str, session_factory: sessionmaker[Session]
) -> None:
    from crawler.recording import BATCH_SIZE
    from tracker.models import Fetch

    urls = [f"http://127.0.0.1/same-{i}.html" for i in range(2 * BATCH_SIZE)]
    recording = Recording.database(db_url, {}, workers=2)
    try:
        asyncio.run(record_all(recording, [edition(0, url) for url in urls]))
        again = [edition(0, url) for url in urls]
        with counted_commits() as commits:
            results = asyncio.run(record_all(recording, again, known=True))
        # An edited page among them leaves its batch and is normalised as usual.
        edited = asyncio.run(recording.record(edition(1, urls[0]), known=True))
    finally:
        recording.close()
    assert [str(r.outcome) for r in results] == ["unchanged"] * len(urls)
    assert all(r.same_body for r in results)  # not one of them was normalised again
    assert len(commits) <= len(urls) // BATCH_SIZE + 1
    assert str(edited.outcome) == "new_content" and not edited.same_body  # type: ignore[attr-defined]
    with session_factory() as session:
        outcomes = session.scalars(select(Fetch.outcome).order_by(Fetch.id)).all()
    assert outcomes == ["new_content"] * len(urls) + ["unchanged"] * len(urls) + ["new_content"]
