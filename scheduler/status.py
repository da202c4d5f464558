"""What ``govwatch status`` reports: scheduler lease, each source's last and next run, the outbox."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from scheduler.lock import LOCK_NAME, STALE_AFTER_SECONDS, current_holder
from scheduler.triggers import ScheduleError, parse_schedule
from tracker.notify.outbox import aware, failed_deliveries, outbox_counts
from tracker.runs import last_runs


@dataclass
class SourceStatus:
    source: str
    schedule: str | None
    last_run_id: int | None = None
    last_trigger: str | None = None
    last_started: datetime | None = None
    last_finished: datetime | None = None
    last_outcome: str | None = None
    last_counts: dict[str, Any] = field(default_factory=dict)
    last_error: str | None = None
    next_run: datetime | None = None  # nominal, without jitter
    overdue: bool = False


@dataclass
class Status:
    scheduler_holder: str | None
    scheduler_heartbeat: datetime | None
    scheduler_alive: bool
    sources: list[SourceStatus]
    outbox: dict[str, dict[str, int]]
    failed: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        def iso(value: Any) -> Any:
            if isinstance(value, datetime):
                return value.isoformat()
            if isinstance(value, dict):
                return {k: iso(v) for k, v in value.items()}
            if isinstance(value, list):
                return [iso(v) for v in value]
            return value

        result: dict[str, Any] = iso(asdict(self))
        return result


def collect_status(session: Session, config: Any | None, now: datetime | None = None) -> Status:
    now = now or datetime.now(UTC)
    lease = current_holder(session, LOCK_NAME)
    beat = aware(lease.heartbeat_at) if lease else None
    alive = beat is not None and beat >= now - timedelta(seconds=STALE_AFTER_SECONDS)
    runs = last_runs(session)
    configured = list(config.sources) if config is not None else []
    names = [s.name for s in configured] + sorted(set(runs) - {s.name for s in configured})
    schedules = {s.name: s.schedule for s in configured}
    sources = []
    for name in names:
        item = SourceStatus(source=name, schedule=schedules.get(name))
        run = runs.get(name)
        if run is not None:
            item.last_run_id = run.id
            item.last_trigger = run.trigger
            item.last_started = aware(run.started_at)
            item.last_finished = aware(run.finished_at)
            item.last_outcome = run.outcome
            item.last_counts = dict(run.counts or {})
            item.last_error = run.error
        if item.schedule:
            try:
                schedule = parse_schedule(item.schedule)
            except ScheduleError:
                schedule = None
            if schedule is not None:
                item.next_run = schedule.next_after(item.last_started) if item.last_started else now
                item.overdue = item.next_run <= now
        sources.append(item)
    return Status(
        scheduler_holder=lease.holder if lease else None,
        scheduler_heartbeat=beat,
        scheduler_alive=alive,
        sources=sources,
        outbox=outbox_counts(session),
        failed=failed_deliveries(session, limit=20),
    )
