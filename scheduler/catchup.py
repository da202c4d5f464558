"""Missed runs after downtime: one catch-up crawl per overdue source at start-up.

Policy. When ``govwatch run`` starts, it looks up each scheduled source's most recent
crawl in ``crawl_runs`` (any trigger, any outcome). A source is overdue when the first
nominal fire time of its schedule after that crawl's start has already passed, or when
it has never been crawled. Each overdue source gets exactly one catch-up crawl
(trigger ``catchup``) right after start-up, however many runs were missed; its regular
schedule then continues from now. Sources that are not overdue simply wait for their
next fire time (interval schedules stay aligned to their last crawl).
Runs left ``running`` by a scheduler or crawl that died are closed as ``killed`` once
they are older than their source's time limit, so they never block or confuse status.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from scheduler.triggers import Schedule
from tracker.models import CrawlOutcome, CrawlRun, Source


@dataclass(frozen=True)
class Due:
    source: str
    last_started: datetime | None
    due_at: datetime | None  # None: never crawled
    overdue: bool


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def last_started(session: Session) -> dict[str, datetime]:
    """source name → start of its most recent crawl run."""
    rows = session.execute(
        select(Source.name, func.max(CrawlRun.started_at))
        .join(CrawlRun, CrawlRun.source_id == Source.id)
        .group_by(Source.name)
    )
    return {name: started for name, started in ((n, _aware(s)) for n, s in rows) if started is not None}


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


def close_orphans(
    session: Session, timeouts: dict[str, int], grace: timedelta, now: datetime | None = None
) -> int:
    """Mark ``running`` rows older than their source's time limit (plus grace) as ``killed``."""
    now = now or datetime.now(UTC)
    closed = 0
    for name, timeout in timeouts.items():
        cutoff = now - timedelta(seconds=timeout) - grace
        source_id = select(Source.id).where(Source.name == name).scalar_subquery()
        result = session.execute(
            update(CrawlRun)
            .where(
                CrawlRun.source_id == source_id,
                CrawlRun.outcome == CrawlOutcome.RUNNING,
                CrawlRun.started_at < cutoff,
            )
            .values(
                outcome=CrawlOutcome.KILLED,
                finished_at=now,
                error="no process finished this run (the scheduler or the crawl died)",
            )
            .execution_options(synchronize_session=False)
        )
        closed += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return closed
