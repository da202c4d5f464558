"""The queue executor: crawls handed to ``govwatch worker`` processes on any machine, through procrastinate.

procrastinate keeps its jobs in the PostgreSQL database govwatch already uses (its tables come
with our migration 0006, in their own PostgreSQL schema ``procrastinate``) and hands them out
with ``SELECT … FOR UPDATE SKIP LOCKED`` and LISTEN/NOTIFY: no other server. Each crawl is one
job of the task ``govwatch.crawl`` with

- ``lock = "crawl:SOURCE"``: two jobs of one source never run at once, on any machine;
- ``queueing_lock = "crawl:SOURCE"``: a source that is already waiting is not queued twice.

A worker runs its jobs with the same code as a local crawl (``scheduler.runner``, each crawl in
its own process group that dies with the worker). Workers send heartbeats; a job whose worker
stopped sending them (SIGKILL, a machine gone) is *stalled*, and the scheduler and every worker
put it back in the queue (``retry_stalled``). The retried attempt closes the run the dead one
left ``running`` (``tracker.runs.close_runs_of_job``) and crawls the source again: every page the
dead attempt recorded stays recorded once, since recording a page is one transaction and an
unchanged page adds no version.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    import procrastinate

    from crawler.zygote import KeptZygote

log = logging.getLogger(__name__)

TASK = "govwatch.crawl"
QUEUE = "crawls"
QUEUE_SCHEMA = "procrastinate"  # procrastinate's tables and functions (migration 0006)
HEARTBEAT_SECONDS = 5.0  # a worker's heartbeat interval
STALLED_AFTER_SECONDS = 30.0  # no heartbeat for this long: the worker is dead and its jobs stalled
STALLED_CHECK_SECONDS = 10.0
FINAL_STATUSES = frozenset({"succeeded", "failed", "cancelled", "aborted"})


class QueueUnavailable(RuntimeError):
    """The queue executor needs PostgreSQL (and the ``postgres`` extra)."""


def lock_of(source: str) -> str:
    return f"crawl:{source}"


def conninfo(db_url: str) -> str:
    """The libpq connection string of a SQLAlchemy PostgreSQL URL; ``QueueUnavailable`` for SQLite."""
    url = make_url(db_url)
    if url.get_backend_name() != "postgresql":
        raise QueueUnavailable(
            f"the queue executor needs PostgreSQL (GOVWATCH_DATABASE_URL is {url.get_backend_name()}): "
            'SQLite installs crawl locally (executor = "local")'
        )
    # procrastinate's SQL names its objects unqualified: its connections look in its schema first.
    query = {**url.query, "options": f"-csearch_path={QUEUE_SCHEMA},public"}
    return url.set(drivername="postgresql", query=query).render_as_string(hide_password=False)


def make_app(db_url: str) -> procrastinate.App:
    try:
        import procrastinate
    except ImportError as exc:  # pragma: no cover - the postgres extra is not installed
        raise QueueUnavailable(
            "the queue executor needs procrastinate: pip install 'govwatch[postgres]'"
        ) from exc
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(db_url)))
    app.task(name=TASK, queue=QUEUE, pass_context=True)(crawl_job)
    return app


# -- deferring ---------------------------------------------------------------------------------------


@dataclass
class Deferred:
    source: str
    job_id: int | None  # the job that will crawl it (None: queued already, not found since)
    queued_already: bool = False  # it was waiting already: no second job (its queueing lock)


class QueueClient:
    """Deferring and watching crawl jobs from one process (the scheduler, ``govwatch crawl``).

    One synchronous connection pool, opened on first use and shared by the calling threads in
    turn (procrastinate's sync connector is not meant to be opened and closed concurrently).
    """

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url
        self.app = make_app(db_url)
        self._lock = threading.Lock()
        self._open = False

    def _opened(self) -> procrastinate.App:
        if not self._open:
            self.app.open()
            self._open = True
        return self.app

    def close(self) -> None:
        with self._lock:
            if self._open:
                self.app.close()
                self._open = False

    def defer(self, sources: Sequence[str], trigger: str) -> list[Deferred]:
        """Queue one crawl job per source; a source that is already waiting is not queued again."""
        from procrastinate.exceptions import AlreadyEnqueued

        deferred = []
        with self._lock:
            app = self._opened()
            for source in sources:
                task = app.configure_task(TASK, lock=lock_of(source), queueing_lock=lock_of(source))
                try:
                    job_id = task.defer(source=source, trigger=trigger)
                except AlreadyEnqueued:
                    log.info("crawl %s (%s) not queued: it is waiting in the queue already", source, trigger)
                    waiting = app.job_manager.list_jobs(queueing_lock=lock_of(source), status="todo")
                    job = next((j.id for j in waiting), None)
                    deferred.append(Deferred(source, job, queued_already=True))
                    continue
                log.info("crawl %s (%s) queued as job %d", source, trigger, job_id)
                deferred.append(Deferred(source, job_id))
        return deferred

    def statuses(self, job_ids: Sequence[int]) -> dict[int, str]:
        with self._lock:
            app = self._opened()
            return {job_id: app.job_manager.get_job_status(job_id).value for job_id in job_ids}

    def wait_for(self, job_ids: Sequence[int], poll: float = 1.0) -> dict[int, str]:
        """Block until every job has ended; their final statuses."""
        import time

        while True:
            statuses = self.statuses(job_ids)
            if all(status in FINAL_STATUSES for status in statuses.values()):
                return statuses
            time.sleep(poll)

    def retry_stalled(self, stalled_after: float = STALLED_AFTER_SECONDS) -> list[int]:
        """Put back in the queue the crawl jobs whose worker stopped sending heartbeats."""
        app = make_app(self.db_url)  # its own (async) pool: the sync one may be in use meanwhile

        async def retry() -> list[int]:
            async with app.open_async():
                return await retry_stalled_async(app, stalled_after)

        return asyncio.run(retry())


async def retry_stalled_async(
    app: procrastinate.App, stalled_after: float = STALLED_AFTER_SECONDS
) -> list[int]:
    retried = []
    for job in await app.job_manager.get_stalled_jobs(task_name=TASK, seconds_since_heartbeat=stalled_after):
        assert job.id is not None
        await app.job_manager.retry_job(job)
        log.warning(
            "crawl job %d (%s) stalled: its worker stopped sending heartbeats; queued again",
            job.id,
            job.task_kwargs.get("source"),
        )
        retried.append(job.id)
    return retried


# -- the job -----------------------------------------------------------------------------------------


@dataclass
class WorkerState:
    """What every job of one ``govwatch worker`` process shares."""

    config_path: Path | None
    database_url: str
    stop: threading.Event = field(default_factory=threading.Event)
    zygote: KeptZygote | None = None  # every job's crawl process is forked from it (crawler.zygote)


CONTEXT_KEY = "govwatch"


def crawl_job(context: procrastinate.JobContext, source: str, trigger: str) -> dict[str, Any]:
    """One crawl of ``source`` on this worker, through the same runner as a local crawl."""
    from scheduler.runner import CrawlRequest, CrawlRunner
    from tracker.config import load_config
    from tracker.db import session_factory, session_scope
    from tracker.runs import close_runs_of_job

    state = (context.additional_context or {}).get(CONTEXT_KEY)
    if not isinstance(state, WorkerState):
        raise RuntimeError("crawl jobs run in `govwatch worker` only")
    job_id = context.job.id
    assert job_id is not None
    config = load_config(state.config_path)
    factory = session_factory(state.database_url)
    if context.job.attempts:
        with session_scope(factory) as session:
            closed = close_runs_of_job(
                session, source, job_id, "its queue worker died (stopped sending heartbeats); job retried"
            )
        if closed:
            log.warning("crawl job %d (%s): closed %d run(s) of its dead attempt", job_id, source, closed)
    path = config.path.resolve() if config.path else None
    runner = CrawlRunner(
        factory, state.database_url, path, stop_event=state.stop, processes=1, zygote=state.zygote
    )
    request = CrawlRequest(source, trigger, float(config.source(source).timeout_seconds), job=job_id)
    [result] = runner.run_many([request])
    channels: list[Any] = list(config.channels)
    if channels and result.outcome not in ("busy", "error"):
        from tracker.notify import deliver_pending

        deliver_pending(factory, channels)  # as the scheduler does after a local crawl
    return {"source": source, "run_id": result.run_id, "outcome": str(result.outcome)}


async def _watch_stalled(app: procrastinate.App, every: float, stalled_after: float) -> None:
    while True:
        try:
            await retry_stalled_async(app, stalled_after)
        except Exception:  # the database may be away for a moment: try again at the next round
            log.exception("could not look for stalled crawl jobs")
        await asyncio.sleep(every)


def run_worker(
    db_url: str,
    config_path: Path | None,
    *,
    concurrency: int,
    name: str | None = None,
    heartbeat: float = HEARTBEAT_SECONDS,
    stalled_after: float = STALLED_AFTER_SECONDS,
) -> None:
    """Run crawl jobs until SIGTERM/SIGINT; then stop the running crawls gracefully and leave."""
    import signal

    from procrastinate.worker import Worker

    state = WorkerState(config_path, db_url)
    app = make_app(db_url)

    async def main() -> None:
        async with app.open_async():
            worker = Worker(
                app,
                queues=[QUEUE],
                name=name or f"{os.uname().nodename}:{os.getpid()}",
                concurrency=concurrency,
                install_signal_handlers=False,
                update_heartbeat_interval=heartbeat,
                stalled_worker_timeout=stalled_after,
                additional_context={CONTEXT_KEY: state},
            )
            loop = asyncio.get_running_loop()

            def stop() -> None:
                state.stop.set()  # running crawls get SIGTERM and end ``interrupted``
                worker.stop()

            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop)
            every = min(STALLED_CHECK_SECONDS, stalled_after / 2)
            watcher = asyncio.create_task(_watch_stalled(app, every, stalled_after))
            try:
                await worker.run()
            finally:
                watcher.cancel()

    from crawler.zygote import KeptZygote

    state.zygote = KeptZygote(env={**os.environ, "GOVWATCH_DATABASE_URL": db_url}, content=True)
    try:
        asyncio.run(main())
    finally:
        state.zygote.close()  # after the worker has waited for its running jobs


# -- what the queue holds ----------------------------------------------------------------------------


@dataclass
class QueuedJob:
    job_id: int
    source: str
    status: str  # todo (queued), doing (running), failed ...
    attempts: int  # > 0: retried after its worker died
    trigger: str | None = None
    worker_id: int | None = None
    host: str | None = None  # where it runs, from its crawl run
    run_id: int | None = None
    scheduled_at: datetime | None = None


def queue_jobs(session: Session, *, recent_failed: int = 10) -> list[QueuedJob] | None:
    """The crawl jobs waiting or running, and the latest failed ones; None without the queue's tables."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    exists = session.scalar(text(f"SELECT to_regclass('{QUEUE_SCHEMA}.procrastinate_jobs') IS NOT NULL"))
    if not exists:
        return None
    rows = session.execute(
        text(
            f"""
            (SELECT id, status::text AS status, args, attempts, worker_id, scheduled_at
               FROM {QUEUE_SCHEMA}.procrastinate_jobs
              WHERE task_name = :task AND status IN ('todo', 'doing')
              ORDER BY id)
            UNION ALL
            (SELECT id, status::text, args, attempts, worker_id, scheduled_at
               FROM {QUEUE_SCHEMA}.procrastinate_jobs WHERE task_name = :task AND status = 'failed'
              ORDER BY id DESC LIMIT :failed)
            """
        ),
        {"task": TASK, "failed": recent_failed},
    ).all()
    jobs = [
        QueuedJob(
            int(row.id),
            str((row.args or {}).get("source", "?")),
            str(row.status),
            int(row.attempts or 0),
            (row.args or {}).get("trigger"),
            row.worker_id,
            scheduled_at=row.scheduled_at,
        )
        for row in rows
    ]
    running = [job for job in jobs if job.status == "doing"]
    if running:
        from sqlalchemy import select

        from tracker.models import CrawlRun
        from tracker.runs import HOST_KEY, JOB_KEY

        for run in session.scalars(select(CrawlRun).where(CrawlRun.outcome == "running")):
            for job in running:
                if (run.counts or {}).get(JOB_KEY) == job.job_id:
                    job.host = f"{(run.counts or {}).get(HOST_KEY)} pid {run.pid}"
                    job.run_id = run.id
    return jobs
