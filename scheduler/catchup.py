"""Missed runs after downtime: one catch-up crawl per overdue source at start-up.

Policy. When ``govwatch run`` starts, it looks up each scheduled source's most recent
crawl in ``crawl_runs`` (any trigger; any outcome except ``killed`` and ``interrupted``:
a crawl cut short by a stop or a crash did not check the source). A source is overdue
when the first nominal fire time of its schedule after that crawl's start has already
passed, or when it has never been crawled. Each overdue source gets exactly one catch-up crawl
(trigger ``catchup``) right after start-up, however many runs were missed; its regular
schedule then continues from now. Sources that are not overdue simply wait for their
next fire time (interval schedules stay aligned to their last crawl).
Runs left ``running`` by a scheduler or crawl that died are closed as ``killed``: at
start-up at once for the runs a scheduler started (its crawls stop when it dies, and
the new scheduler holds the lease, so nothing else can be running them), otherwise once
they are older than their source's time limit (checked at start-up and every heartbeat).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from tracker.models import CrawlOutcome, CrawlRun, Source
from tracker.schedule import Schedule


@dataclass(frozen=True)
class Due:
    source: str
    last_started: datetime | None
    due_at: datetime | None  # None: never crawled
    overdue: bool


# Runs we cut short (a stop, a crash of the machine or the scheduler) did not check the
# source; the portal has no say in them, so they do not count as its last crawl.
CUT_SHORT = (CrawlOutcome.KILLED, CrawlOutcome.INTERRUPTED)


def last_started(session: Session) -> dict[str, datetime]:
    """source name → start of its most recent crawl run that was not cut short."""
    rows = session.execute(
        select(Source.name, func.max(CrawlRun.started_at))
        .join(CrawlRun, CrawlRun.source_id == Source.id)
        .where(CrawlRun.outcome.not_in(CUT_SHORT))
        .group_by(Source.name)
    )
    return {name: started for name, started in rows if started is not None}


def due_sources(
    session: Session, schedules: Iterable[tuple[str, Schedule]], now: datetime | None = None
) -> list[Due]:
    """Which scheduled sources are overdue at ``now`` (see the module docstring for the policy)."""
    now = now or datetime.now(UTC)
    last = last_started(session)
    result = []
    for name, schedule in schedules:
        started = last.get(name)
        due_at = schedule.next_after(started) if started else None
        result.append(Due(name, started, due_at, overdue=due_at is None or due_at <= now))
    return result


SCHEDULER_TRIGGERS = ("schedule", "catchup")


def close_orphans(
    session: Session,
    timeouts: dict[str, int],
    grace: timedelta,
    now: datetime | None = None,
    *,
    scheduler_gone: bool = False,
    busy: Collection[str] = (),
) -> int:
    """Mark ``running`` rows older than their source's time limit (plus grace) as ``killed``.

    ``scheduler_gone``: also every run a scheduler started, whatever its age (called at
    start-up, when the previous scheduler is known to be gone). ``busy`` sources are
    being crawled by this process right now and are left alone.
    """
    now = now or datetime.now(UTC)
    running = CrawlRun.outcome == CrawlOutcome.RUNNING
    closed = 0
    if scheduler_gone:
        closed += _kill(
            session,
            running & CrawlRun.trigger.in_(SCHEDULER_TRIGGERS),
            now,
            "the scheduler that started this crawl stopped without closing it",
        )
    for name, timeout in timeouts.items():
        if name in busy:
            continue
        cutoff = now - timedelta(seconds=timeout) - grace
        source_id = select(Source.id).where(Source.name == name).scalar_subquery()
        closed += _kill(
            session,
            running & (CrawlRun.source_id == source_id) & (CrawlRun.started_at < cutoff),
            now,
            "no process finished this run (the scheduler or the crawl died)",
        )
    return closed


def _kill(session: Session, which: ColumnElement[bool], now: datetime, error: str) -> int:
    """Close the ``which`` runs as killed, saying why; returns how many."""
    result = session.execute(
        update(CrawlRun)
        .where(which)
        .values(outcome=CrawlOutcome.KILLED, finished_at=now, error=error)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
