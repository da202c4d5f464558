"""Where snapshots get recorded: a thread of the crawl process, plus worker processes once pages queue up.

Normalising and recording a page costs several times what fetching it does, and it is CPU-bound
Python: in the crawl's own process it shares one core (and the GIL) with Scrapy. Small crawls
record on one thread; when more than ``BACKLOG`` pages wait, worker processes take over and use
the other cores. Workers are spawned, not forked (the parent runs a reactor and threads), ignore
SIGINT/SIGTERM (the parent decides when to stop and drains them) and exit with the parent.
Each page is recorded in its own transaction, so a killed worker leaves nothing half-written.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from tracker.page import PageSnapshot

log = logging.getLogger(__name__)

WORKERS_ENV = "GOVWATCH_RECORD_WORKERS"
BACKLOG = 12

# Per process (the recording thread's process or one worker): where and for whom to record.
_target: dict[str, Any] = {}


def worker_count(db_url: str) -> int:
    """``GOVWATCH_RECORD_WORKERS`` (0: none), else 1 on SQLite and the cores (max 4) on PostgreSQL.

    SQLite has one writer at a time and its busy handler sleeps in steps of up to 100 ms, so
    several recording processes measured slower than one; PostgreSQL takes them concurrently.
    """
    raw = os.environ.get(WORKERS_ENV, "").strip()
    if raw:
        return max(0, int(raw))
    if db_url.startswith("sqlite"):
        return 1
    return max(1, min(4, os.cpu_count() or 1))


def _configure(db_url: str, channels: Mapping[str, frozenset[str] | None]) -> None:
    from tracker.db import session_factory

    factory: sessionmaker[Session] = session_factory(db_url)
    _target.update(factory=factory, channels=dict(channels))


def _init_worker(db_url: str, channels: Mapping[str, frozenset[str] | None]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _configure(db_url, channels)
    import tracker.record  # noqa: F401 - load the normaliser before the first page arrives


def record_page(page: PageSnapshot) -> Any:
    """Record one snapshot in its own transaction (in a worker process or the recording thread)."""
    from tracker.db import session_scope
    from tracker.record import record

    with session_scope(_target["factory"]) as session:
        return record(session, page, channels=_target["channels"])


class Recording:
    """Records pages with ``func`` on one thread; adds up to ``workers`` processes under load."""

    def __init__(
        self,
        func: Callable[[PageSnapshot], Any] = record_page,
        *,
        workers: int = 0,
        initargs: tuple[Any, ...] | None = None,
    ) -> None:
        self.func = func
        self.workers = workers if initargs is not None else 0
        self.initargs = initargs
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="record")
        self.pool: ProcessPoolExecutor | None = None
        self.pending = 0

    @classmethod
    def database(cls, db_url: str, channels: Mapping[str, frozenset[str] | None], workers: int) -> Recording:
        _configure(db_url, channels)
        return cls(record_page, workers=workers, initargs=(db_url, dict(channels)))

    def _executor(self) -> Executor:
        if self.pool is None and self.workers > 0 and self.pending > BACKLOG:
            log.info(
                "%d pages waiting to be recorded: starting %d worker processes", self.pending, self.workers
            )
            self.pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=self.initargs or (),
            )
        return self.pool or self.thread

    async def record(self, page: PageSnapshot) -> Any:
        self.pending += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor(), self.func, page)
        finally:
            self.pending -= 1

    def close(self) -> None:
        self.thread.shutdown(wait=True)
        if self.pool is not None:
            self.pool.shutdown(wait=True)
