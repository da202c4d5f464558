"""Where snapshots get recorded: a thread of the crawl process, plus worker processes once pages queue up.

Normalising and recording a page costs several times what fetching it does, and it is CPU-bound
Python: in the crawl's own process it shares one core (and the GIL) with Scrapy. Small crawls
record on one thread; when more than ``BACKLOG`` pages wait, worker processes take over and use
the other cores. Workers are spawned, not forked (the parent runs a reactor and threads), ignore
SIGINT/SIGTERM (the parent decides when to stop and drains them) and are SIGKILLed by the
kernel when the parent dies (``tracker.processes.die_with``), even by SIGKILL; multiprocessing's
resource tracker then sees its pipe close and exits too. Each page is recorded in its own
transaction, so a killed worker leaves nothing half-written.

Each worker normalises its page first (``tracker.record.examine``, most of the CPU, in parallel
when there are several) and only then writes. On SQLite the writes take turns on a lock shared by
the crawl's processes (the recording thread included):
SQLite has one writer at a time anyway, and its busy handler would otherwise put a waiting
writer to sleep for up to 100 ms at a time. ``BEGIN IMMEDIATE`` still guards every write (the
lock is given up after the busy timeout, and other processes do not know it).

A 304 has nothing to normalise: it never waits for (or wakes) the workers, and the fetch rows
of 304s are written ``BATCH_SIZE`` to a transaction, so an unchanged recrawl costs a fetch row
per page and a commit per batch. A 200 of a known document joins the same batches: when its raw
body is the one its latest version was derived from (``tracker.record.record_same_body``) it is
recorded there, unchanged and not normalised; otherwise it leaves the batch, unrecorded, for
the thread or a worker like any other page.

One ``Recording`` serves every source crawled in the process (one pool of workers sized to the
cores, not one per source); each page carries its source, which picks its channel routes.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, sessionmaker

from tracker.classify import classify
from tracker.page import PageFetch
from tracker.processes import die_with, pause_collection, resume_collection

if TYPE_CHECKING:
    from tracker.record import Examined, RecordResult

log = logging.getLogger(__name__)

WORKERS_ENV = "GOVWATCH_RECORD_WORKERS"
# Pages waiting before workers start. A worker costs ~0.35 CPU-s to start (interpreter and
# normaliser), about what the thread needs for 20 pages: a small source (a queue job of 25 pages,
# say) is done on the thread sooner than its workers would be ready (docs/benchmarks.md, "Many
# sources": at 12, every such queue job started two).
BACKLOG = 40
BATCH_SIZE = 50
BATCH_WAIT = 0.05  # seconds a 304 waits for others to share its transaction

# Per process (the recording thread's process or one worker): where to record.
_target: dict[str, Any] = {}
# source name -> channel name -> the change kinds it wants (None: all); see tracker.config.channel_routes
Routes = Mapping[str, Mapping[str, frozenset[str] | None]]
NO_ROUTES: Routes = {}


def worker_count(db_url: str) -> int:
    """``GOVWATCH_RECORD_WORKERS`` (0: none), else the cores, at least 2 and at most 4.

    Two at least, even on two cores next to the reactor: while one worker writes (or, on
    PostgreSQL, waits for the server), the other normalises the next page. Measured on 2 shared
    cores, 2,000 pages: SQLite 149-156 pages/s with two workers against 122-129 with one,
    PostgreSQL 124-129 against 93.
    """
    raw = os.environ.get(WORKERS_ENV, "").strip()
    if raw:
        try:
            return max(0, int(raw))
        except ValueError:
            raise ValueError(f"{WORKERS_ENV}={raw!r} must be a whole number of worker processes") from None
    return max(2, min(4, os.cpu_count() or 1))


def _configure(db_url: str, lock: Any = None) -> None:
    from tracker.db import make_engine

    # Whoever records here opened its runs in this database: the schema is current.
    factory: sessionmaker[Session] = sessionmaker(make_engine(db_url), expire_on_commit=False)
    _target.update(factory=factory, lock=lock)


def _init_worker(db_url: str, lock: Any = None, parent: int | None = None) -> None:
    if parent is not None:
        die_with(parent)
    pause_collection()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    from tracker.db import make_engine

    # The crawl process brought the schema up to date already: no migration check (nor Alembic
    # import) in each worker.
    factory = sessionmaker(make_engine(db_url), expire_on_commit=False)
    _target.update(factory=factory, lock=lock)
    # The normaliser, before the first page arrives (tracker.record imports it on first use).
    import tracker.normalize.pipeline
    import tracker.record  # noqa: F401

    resume_collection()


def _ready() -> int:
    return os.getpid()


@contextmanager
def _writing() -> Iterator[None]:
    """This process's turn to write, when the crawl's writers share a lock (SQLite)."""
    lock = _target.get("lock")
    if lock is None:
        yield
        return
    from tracker.db import SQLITE_BUSY_TIMEOUT_MS

    # A holder that died would keep the lock: after the busy timeout, write without it.
    held = lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
    try:
        yield
    finally:
        if held:
            lock.release()


def record_pages(pages: list[PageFetch], routes: Routes) -> list[Any]:
    """Record 304s, and 200s whose raw body is their latest version's, in one transaction.

    One commit for many fetch rows. A 200 whose body is not its latest version's is left out:
    None in its place, nothing written for it. If any page fails, each 304 is recorded in its own
    transaction instead (and each 200 left out), so one bad page costs no other its fetch row;
    the failures are returned in place of their results.
    """
    from tracker.db import session_scope
    from tracker.record import examine, record_same_body

    def one(session: Session, page: PageFetch) -> Any:
        if page.status == 304:
            return _record(session, page, routes, examine(page))
        result = record_same_body(session, page)
        if result is not None:  # a removed page restored by its body is news
            _enqueue(session, result, routes.get(page.source, {}))
        return result

    try:
        with _writing(), session_scope(_target["factory"]) as session:
            return [one(session, page) for page in pages]
    except Exception:
        log.warning("recording %d unchanged pages together failed; recording them one by one", len(pages))
    results: list[Any] = []
    for page in pages:
        try:
            results.append(record_page(page, routes) if page.status == 304 else None)
        except Exception as exc:
            results.append(exc)
    return results


def record_page(page: PageFetch, routes: Routes = NO_ROUTES) -> RecordResult:
    """Record one snapshot in its own transaction (in a worker process or the recording thread)."""
    from tracker.db import session_scope
    from tracker.record import examine

    examined = examine(page)  # before the turn to write: this is where the CPU goes
    with _writing(), session_scope(_target["factory"]) as session:
        return _record(session, page, routes, examined)


def _record(session: Session, page: PageFetch, routes: Routes, examined: Examined) -> RecordResult:
    """Record ``page`` and, in the same transaction, the deliveries its source's channels want."""
    from tracker.record import record

    result = record(session, page, examined=examined)
    _enqueue(session, result, routes.get(page.source, {}))
    return result


def _enqueue(session: Session, result: RecordResult, routes: Mapping[str, frozenset[str] | None]) -> None:
    if not result.changes:  # most pages: no notification code imported for them
        return
    from tracker.notify.outbox import enqueue

    enqueue(session, zip(result.changes, result.change_kinds, strict=True), routes)


class Recording:
    """Records pages with ``func`` on one thread; adds up to ``workers`` processes under load."""

    def __init__(
        self,
        func: Callable[[PageFetch], Any] = record_page,
        *,
        workers: int = 0,
        initargs: tuple[Any, ...] | None = None,
    ) -> None:
        self.func = func
        self.workers = workers if initargs is not None else 0
        self.initargs = initargs
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="record")
        self.pool: ProcessPoolExecutor | None = None
        self.warming: list[Future[int]] = []
        self.pending = 0
        # 304s: nothing to normalise, so they never wait for workers; their fetch rows are
        # written BATCH_SIZE at a time (or after BATCH_WAIT), one transaction each.
        self.batch_func: Callable[[list[PageFetch]], list[Any]] | None = None
        self._batch: list[tuple[PageFetch, asyncio.Future[Any]]] = []
        self._timer: asyncio.TimerHandle | None = None

    @classmethod
    def database(cls, db_url: str, routes: Routes, workers: int) -> Recording:
        """Record into ``db_url``; ``routes`` by source name (a source missing from it notifies no one)."""
        _configure(db_url)
        # The routes go with every call (not into each process's globals): a page records with
        # the channels of its own source, wherever it is recorded.
        routes = dict(routes)
        recording = cls(
            partial(record_page, routes=routes), workers=workers, initargs=(db_url, None, os.getpid())
        )
        recording.batch_func = partial(record_pages, routes=routes)
        return recording

    def _executor(self) -> Executor:
        if self.pool is None and self.workers > 0 and self.pending > BACKLOG:
            log.info(
                "%d pages waiting to be recorded: starting %d worker processes", self.pending, self.workers
            )
            self.pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=self._share_write_lock(),
            )
            self.warming = [self.pool.submit(_ready) for _ in range(self.workers)]
        if self.pool is not None and all(future.done() for future in self.warming):
            return self.pool
        # Workers take a second or more to start (interpreter, normaliser): the thread keeps
        # recording meanwhile rather than leaving every page queued for them.
        return self.thread

    def _share_write_lock(self) -> tuple[Any, ...]:
        """The workers' initializer arguments, with the write lock they share with the thread (SQLite).

        Made with the first worker, not with the recording: the lock needs multiprocessing's
        resource tracker, one more process to start, and a crawl that never starts workers (an
        unchanged recrawl, a small source) does not need it. Until now the thread was this
        process's only writer; spawned workers inherit the lock through these arguments.
        """
        db_url, lock, parent = self.initargs or ("", None, None)
        if lock is None and db_url.startswith("sqlite"):
            lock = multiprocessing.get_context("spawn").Lock()
            _target["lock"] = lock
            self.initargs = (db_url, lock, parent)
        return self.initargs or ()

    async def record(self, page: PageFetch, *, known: bool = False) -> Any:
        """Record ``page``; ``known``: its document is stored already (its body may be unchanged)."""
        if self.batch_func is not None and page.status == 304:
            return await self._batched(page)
        # tracker.record.may_have_same_body, without importing the normaliser into the crawl
        if self.batch_func is not None and known and page.body and classify(page) is None:
            recorded = await self._batched(page)
            if recorded is not None:
                return recorded
        self.pending += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor(), self.func, page)
        finally:
            self.pending -= 1

    async def _batched(self, page: PageFetch) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._batch.append((page, future))
        if len(self._batch) >= BATCH_SIZE:
            self._flush()
        elif self._timer is None:
            self._timer = loop.call_later(BATCH_WAIT, self._flush)
        return await future

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._batch = self._batch, []
        if not batch or self.batch_func is None:
            return
        done = asyncio.get_running_loop().run_in_executor(self.thread, self.batch_func, [p for p, _ in batch])

        def settle(result: asyncio.Future[list[Any]]) -> None:
            error = result.exception()
            outcomes: list[Any] = [error] * len(batch) if error is not None else result.result()
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if future.done():
                    continue
                if isinstance(outcome, BaseException):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)

        done.add_done_callback(settle)

    def close(self) -> None:
        self.thread.shutdown(wait=True)
        if self.pool is not None:
            self.pool.shutdown(wait=True)
