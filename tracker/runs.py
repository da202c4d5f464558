"""Crawl-run bookkeeping: one ``crawl_runs`` row per crawl of a source, from start to outcome."""

from __future__ import annotations

import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.config import DEFAULT_TIMEOUT_SECONDS
from tracker.models import CrawlOutcome, CrawlRun, Source
from tracker.processes import process_alive
from tracker.store import begin_write, ensure_source

# How long past its time limit a ``running`` row still counts as running: the graceful stop,
# the final drain and clock skew all fit in it.
STALE_GRACE = timedelta(minutes=2)
# The limit assumed for a row without a process id when the caller does not know the source's.
UNKNOWN_LIMIT = timedelta(seconds=DEFAULT_TIMEOUT_SECONDS)
# Kept in a running run's counts (replaced by the final counts when it ends): the host that
# runs it, and the queue job it belongs to (scheduler.queue).
HOST_KEY = "_host"
JOB_KEY = "_job"


def this_host() -> str:
    return socket.gethostname()


@dataclass
class CrawlResult:
    """How one source's crawl ended, as its crawl process and its launcher both report it.

    ``outcome`` is a final ``CrawlOutcome``, or ``busy`` (another process is crawling the
    source: nothing was started) or ``error`` (the crawl could not start: configuration).
    ``errors`` are the first few failures; ``error`` is why the crawl as a whole ended badly.
    """

    source: str
    run_id: int | None
    outcome: str
    counts: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    error: str | None = None
    trigger: str = "manual"
    seconds: float = 0.0
    returncode: int | None = None
    close_reason: str | None = None


class CrawlAlreadyRunning(RuntimeError):
    """The source is being crawled by another process right now (never two runs at once)."""

    def __init__(self, source_name: str, run: CrawlRun) -> None:
        self.source_name = source_name
        self.run_id = run.id
        self.pid = run.pid
        started = run.started_at
        who = f"process {run.pid}" if run.pid else "a starting process"
        super().__init__(
            f"source {source_name!r} is already being crawled by {who} "
            f"(run {run.id}, {run.trigger}, started {started:%Y-%m-%d %H:%M:%S} UTC); "
            "wait for it to finish, or stop that process"
        )


def _still_running(run: CrawlRun, now: datetime, stale_after: timedelta | None) -> str | None:
    """None when ``run`` may really be in progress, else why it is not (it crashed or was abandoned).

    A process id is checked only on the host that started the run (``HOST_KEY`` in its
    counts while it runs): there a missing process means a dead crawl. A run of another host
    (a queue worker, a ``govwatch crawl`` on another machine) is judged by its time limit.
    Past its time limit (``stale_after`` plus ``STALE_GRACE``) a run is dead even when a
    process with its id exists, since that id may have been recycled; every crawl stops
    itself at that limit. A caller that does not know the limit (None) trusts a live
    process id and gives a run without one ``UNKNOWN_LIMIT``.
    """
    age = now - run.started_at
    local = (run.counts or {}).get(HOST_KEY) in (None, this_host())
    if run.pid is not None and local and not process_alive(run.pid):
        return f"its process {run.pid} ended without closing the run (killed or crashed)"
    limit = stale_after if stale_after is not None else (None if run.pid is not None else UNKNOWN_LIMIT)
    if limit is not None and age > limit + STALE_GRACE:
        return "no end recorded within its time limit (the crawl or its scheduler died)"
    return None


def start_run(
    session: Session,
    source_name: str,
    trigger: str = "manual",
    pid: int | None = None,
    *,
    stale_after: timedelta | None = None,
    job: int | None = None,
) -> int:
    """Record that a crawl of ``source_name`` is starting; returns the new run id.

    Raises ``CrawlAlreadyRunning`` while another run of the source is in progress, in any
    process. ``running`` rows that cannot be in progress any more (see ``_still_running``;
    ``stale_after`` is the source's time limit, when the caller knows it) are closed as
    ``killed`` on the way. The check
    and the insert are serialised per source: SQLite's write lock, PostgreSQL's row lock on
    the source, both held until the caller commits.
    """
    begin_write(session)
    source = ensure_source(session, source_name)
    session.execute(select(Source.id).where(Source.id == source.id).with_for_update())
    now = datetime.now(UTC)
    running = session.scalars(
        select(CrawlRun)
        .where(CrawlRun.source_id == source.id, CrawlRun.outcome == CrawlOutcome.RUNNING)
        .order_by(CrawlRun.id)
    ).all()
    for other in running:
        dead = _still_running(other, now, stale_after)
        if dead is None:
            raise CrawlAlreadyRunning(source_name, other)
        other.outcome = CrawlOutcome.KILLED
        other.finished_at = now
        other.error = dead
    run = CrawlRun(
        source_id=source.id,
        trigger=trigger,
        pid=pid,
        started_at=now,
        outcome=CrawlOutcome.RUNNING,
        counts={HOST_KEY: this_host(), **({JOB_KEY: job} if job is not None else {})},
    )
    session.add(run)
    session.flush()
    return run.id


def update_run(session: Session, run_id: int, *, pid: int | None = None, counts: Mapping[str, Any]) -> None:
    """Store intermediate counts (and the crawling process id) of a running crawl."""
    run = session.get(CrawlRun, run_id)
    if run is None:
        raise LookupError(f"crawl run {run_id} does not exist")
    if pid is not None:
        run.pid = pid
    run.counts = dict(counts)


def finish_run(
    session: Session,
    run_id: int,
    outcome: str,
    counts: Mapping[str, Any],
    error: str | None = None,
) -> None:
    """Stamp the end of a crawl: outcome (``CrawlOutcome``), final counts and an error summary."""
    if outcome not in set(CrawlOutcome) - {CrawlOutcome.RUNNING}:
        raise ValueError(f"not a final crawl outcome: {outcome!r}")
    run = session.get(CrawlRun, run_id)
    if run is None:
        raise LookupError(f"crawl run {run_id} does not exist")
    run.outcome = str(outcome)
    # The queue job it ran for stays known (``govwatch crawl --wait`` finds its run by it).
    kept = {k: v for k, v in (run.counts or {}).items() if k == JOB_KEY}
    run.counts = {**public_counts(counts), **kept}
    run.error = error
    run.finished_at = datetime.now(UTC)


def close_runs_of_job(session: Session, source_name: str, job: int, reason: str) -> int:
    """Close the runs an earlier attempt of queue job ``job`` left ``running`` (its worker died)."""
    now = datetime.now(UTC)
    closed = 0
    rows = session.scalars(
        select(CrawlRun)
        .join(Source, Source.id == CrawlRun.source_id)
        .where(Source.name == source_name, CrawlRun.outcome == CrawlOutcome.RUNNING)
    )
    for run in rows:
        if (run.counts or {}).get(JOB_KEY) == job:
            run.outcome, run.finished_at, run.error = CrawlOutcome.KILLED, now, reason
            closed += 1
    return closed


def public_counts(counts: Mapping[str, Any] | None) -> dict[str, Any]:
    """A run's counts without the bookkeeping keys of a running run."""
    return {k: v for k, v in (counts or {}).items() if not k.startswith("_")}


def get_run(session: Session, run_id: int) -> CrawlRun | None:
    return session.get(CrawlRun, run_id)


def last_runs(session: Session) -> dict[str, CrawlRun]:
    """Each source's most recently started run, keyed by source name."""
    latest = (
        select(CrawlRun.source_id, func.max(CrawlRun.id).label("run_id"))
        .group_by(CrawlRun.source_id)
        .subquery()
    )
    rows = session.execute(
        select(Source.name, CrawlRun)
        .join(latest, latest.c.source_id == Source.id)
        .join(CrawlRun, CrawlRun.id == latest.c.run_id)
    ).all()
    return {name: run for name, run in rows}


def recent_runs(session: Session, source_name: str | None = None, limit: int = 20) -> list[CrawlRun]:
    """The latest runs, newest first, optionally of one source."""
    query = select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit)
    if source_name is not None:
        query = query.join(Source, Source.id == CrawlRun.source_id).where(Source.name == source_name)
    return list(session.scalars(query))
