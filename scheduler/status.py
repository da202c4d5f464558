"""``govwatch status``: the scheduler lease, each source's last and next run, the outbox; and its table."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.orm import Session

from scheduler.catchup import last_started
from scheduler.lock import LOCK_NAME, STALE_AFTER_SECONDS, current_holder
from scheduler.queue import queue_jobs
from tracker.notify.outbox import failed_deliveries, outbox_counts
from tracker.runs import last_runs, public_counts
from tracker.schedule import ScheduleError, parse_schedule

if TYPE_CHECKING:
    from tracker.config import Config

OUTCOME_COLOURS = {"ok": "green", "partial": "yellow", "running": "cyan"}


@dataclass
class SourceStatus:
    source: str
    schedule: str | None
    configured: bool = True  # False: crawled once, but no longer in the sources file
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
    failed: list[dict[str, Any]]  # the latest deliveries that gave up (see failed_total)
    failed_total: int = 0
    queue: list[dict[str, Any]] | None = None  # crawl jobs of the queue executor (PostgreSQL only)

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


def collect_status(session: Session, config: Config | None, now: datetime | None = None) -> Status:
    now = now or datetime.now(UTC)
    lease = current_holder(session, LOCK_NAME)
    beat = lease.heartbeat_at if lease else None
    alive = beat is not None and beat >= now - timedelta(seconds=STALE_AFTER_SECONDS)
    runs = last_runs(session)
    # Next runs follow the same rule as the scheduler's catch-up (crawls cut short do not count).
    anchors = last_started(session)
    configured = list(config.sources) if config is not None else []
    names = [s.name for s in configured] + sorted(set(runs) - {s.name for s in configured})
    schedules = {s.name: s.schedule for s in configured}
    sources = []
    for name in names:
        item = SourceStatus(source=name, schedule=schedules.get(name), configured=name in schedules)
        run = runs.get(name)
        if run is not None:
            item.last_run_id = run.id
            item.last_trigger = run.trigger
            item.last_started = run.started_at
            item.last_finished = run.finished_at
            item.last_outcome = run.outcome
            item.last_counts = public_counts(run.counts)
            item.last_error = run.error
        if item.schedule:
            try:
                schedule = parse_schedule(item.schedule)
            except ScheduleError:
                schedule = None
            if schedule is not None:
                anchor = anchors.get(name)
                item.next_run = schedule.next_after(anchor) if anchor else now
                item.overdue = item.next_run <= now
        sources.append(item)
    outbox = outbox_counts(session)
    jobs = queue_jobs(session)
    return Status(
        scheduler_holder=lease.holder if lease else None,
        scheduler_heartbeat=beat,
        scheduler_alive=alive,
        sources=sources,
        outbox=outbox,
        failed=failed_deliveries(session, limit=20),
        failed_total=sum(counts.get("failed", 0) for counts in outbox.values()),
        queue=[asdict(job) for job in jobs] if jobs is not None else None,
    )


def _when(value: datetime | None, now: datetime) -> str:
    """Local time; the date only when it is not today, so the table fits 80 columns."""
    if value is None:
        return "—"
    local = value.astimezone()
    return f"{local:%H:%M:%S}" if local.date() == now.astimezone().date() else f"{local:%m-%d %H:%M}"


def render_status(report: Status, console: Console, now: datetime | None = None) -> None:
    """The human view: one line for the scheduler, a table of sources, the outbox, what went wrong."""
    now = now or datetime.now(UTC)
    holder = escape(report.scheduler_holder or "")
    beat = _when(report.scheduler_heartbeat, now)
    if report.scheduler_holder and report.scheduler_alive:
        console.print(f"scheduler: [green]running[/] ({holder}, last heartbeat {beat})")
    elif report.scheduler_holder:
        console.print(f"scheduler: [yellow]stale lease[/] of {holder} (last heartbeat {beat})")
    else:
        console.print("scheduler: [dim]not running[/]")
    if not report.sources:
        console.print("no sources configured or crawled yet (see `govwatch sources`)")
    else:
        console.print(_sources_table(report.sources, now))
    problems = [s for s in report.sources if s.last_outcome not in (None, "ok", "running")]
    for item in problems:
        colour = OUTCOME_COLOURS.get(item.last_outcome or "", "red")
        console.print(
            f"[{colour}]{escape(item.source)}[/]: last run #{item.last_run_id} ended "
            f"{escape(item.last_outcome or '')}" + (f": {escape(item.last_error)}" if item.last_error else "")
        )
    if report.queue:
        console.print(_queue_table(report.queue))
    if report.outbox:
        console.print(_outbox_table(report.outbox))
    if report.failed_total:
        console.print(
            f"[red]{report.failed_total} notification(s) gave up[/]; see `govwatch notify --failed`, "
            "retry with `govwatch notify --retry-failed`"
        )


def _table(title: str) -> Table:
    # No borders or edge padding: eight columns must fit an 80-column terminal.
    return Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )


def _sources_table(sources: list[SourceStatus], now: datetime) -> Table:
    table = _table("sources")
    for column in ("source", "schedule", "last", "trigger", "outcome", "pages", "changes", "next"):
        # One line per source; on a narrow terminal a long cell is cut short (…), never folded.
        table.add_column(column, no_wrap=True, justify="right" if column in {"pages", "changes"} else "left")
    for item in sources:
        outcome = item.last_outcome or "—"
        colour = OUTCOME_COLOURS.get(outcome, "red" if item.last_outcome else "dim")
        if not item.configured:
            schedule, next_run = "[dim]—[/]", "—"
        elif not item.schedule:
            schedule, next_run = "manual", "—"
        else:
            schedule = escape(item.schedule)
            next_run = "[bold]due now[/]" if item.overdue else _when(item.next_run, now)
        table.add_row(
            escape(item.source),
            schedule,
            _when(item.last_started, now),
            escape(item.last_trigger or "—"),
            f"[{colour}]{escape(outcome)}[/]",
            str(item.last_counts.get("pages", "—")),
            str(item.last_counts.get("changes", "—")),
            next_run,
        )
    return table


JOB_STATES = {"todo": "queued", "doing": "running", "failed": "failed"}


def _queue_table(jobs: list[dict[str, Any]]) -> Table:
    table = _table("crawl queue")
    for column in ("job", "source", "state", "tries", "where"):
        table.add_column(column, no_wrap=True, justify="right" if column in {"job", "tries"} else "left")
    for job in jobs:
        state = JOB_STATES.get(job["status"], job["status"])
        colour = {"running": "cyan", "failed": "red"}.get(state, "")
        # procrastinate counts the attempts that ended: a waiting or running job with any was retried.
        waiting = job["status"] in {"todo", "doing"}
        retried = " [yellow](retried)[/]" if waiting and job["attempts"] else ""
        table.add_row(
            str(job["job_id"]),
            escape(job["source"]),
            f"[{colour}]{state}[/]{retried}" if colour else f"{state}{retried}",
            str(job["attempts"] + (1 if waiting else 0)),
            escape(job["host"] or "—"),
        )
    return table


def _outbox_table(outbox: dict[str, dict[str, int]]) -> Table:
    table = _table("notifications")
    table.add_column("channel", no_wrap=True)
    for column in ("pending", "sent", "failed"):
        table.add_column(column, justify="right")
    for channel, counts in sorted(outbox.items()):
        failed = counts.get("failed", 0)
        table.add_row(
            escape(channel),
            str(counts.get("pending", 0)),
            str(counts.get("sent", 0)),
            f"[red]{failed}[/]" if failed else "0",
        )
    return table
