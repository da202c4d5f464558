"""Crawl-run bookkeeping: one ``crawl_runs`` row per crawl of a source, from start to outcome."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.models import CrawlOutcome, CrawlRun, Source
from tracker.store import ensure_source


def start_run(session: Session, source_name: str, trigger: str = "manual", pid: int | None = None) -> int:
    """Record that a crawl of ``source_name`` is starting; returns the new run id."""
    run = CrawlRun(
        source_id=ensure_source(session, source_name).id,
        trigger=trigger,
        pid=pid,
        started_at=datetime.now(UTC),
        outcome=CrawlOutcome.RUNNING,
        counts={},
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
    run.counts = dict(counts)
    run.error = error
    run.finished_at = datetime.now(UTC)


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
