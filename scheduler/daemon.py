"""``govwatch run``: the scheduler daemon — one job per source, catch-up, notify, lease, clean stop.

Jobs live in APScheduler's memory job store and are rebuilt from the sources file at
every start-up: schedules are our data, nothing is pickled. Crawls go through
``scheduler.runner``: the jobs that fire together (the catch-up at start-up above all) share
a few crawl processes. A source never has two crawls at once (``max_instances=1`` plus the
runner's per-source lock, which also covers catch-up runs).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobSubmissionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.orm import Session, sessionmaker

from scheduler.catchup import close_orphans, due_sources
from scheduler.lock import HEARTBEAT_SECONDS, STALE_AFTER_SECONDS, LockLost, SchedulerLease
from scheduler.runner import CrawlRunner
from scheduler.triggers import trigger_for
from tracker.db import session_scope
from tracker.notify import RetryPolicy, deliver_pending
from tracker.runs import CrawlResult
from tracker.schedule import Schedule, ScheduleError, parse_schedule

if TYPE_CHECKING:
    from scheduler.queue import QueueClient
    from tracker.config import Config, SourceConfig

log = logging.getLogger(__name__)

NOTIFY_RETRY_SECONDS = 60.0
# Sources crawled at once. Cheap: the crawls of one moment share a few crawl processes
# (``scheduler.runner``, one per core); each waiting job is only a thread.
MAX_PARALLEL_CRAWLS = 32


@dataclass
class DaemonSettings:
    heartbeat_seconds: float = HEARTBEAT_SECONDS
    stale_after_seconds: float = STALE_AFTER_SECONDS
    notify_retry_seconds: float = NOTIFY_RETRY_SECONDS
    max_parallel: int = MAX_PARALLEL_CRAWLS
    catch_up: bool = True
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    executor: str = "local"  # "queue": due crawls become jobs for `govwatch worker` (scheduler.queue)


def _schedule_of(source: SourceConfig) -> Schedule:
    try:
        return parse_schedule(source.schedule or "")
    except ScheduleError as exc:
        raise ScheduleError(f"source {source.name!r}: {exc}") from exc


class Daemon:
    """Owns the lease, the APScheduler instance and the crawl runner for one database."""

    def __init__(
        self,
        config: Config,
        factory: sessionmaker[Session],
        database_url: str,
        config_path: Path | None = None,
        settings: DaemonSettings | None = None,
    ) -> None:
        self.config = config
        self.factory = factory
        self.settings = settings or DaemonSettings()
        self.stop_event = threading.Event()
        self.error: BaseException | None = None
        self.lease = SchedulerLease(factory, stale_after=timedelta(seconds=self.settings.stale_after_seconds))
        self.runner = CrawlRunner(factory, database_url, config_path, stop_event=self.stop_event)
        self.queue: QueueClient | None = None
        if self.settings.executor == "queue":
            from scheduler.queue import QueueClient

            self.queue = QueueClient(database_url)  # QueueUnavailable on SQLite
        self.scheduled: list[tuple[SourceConfig, Schedule]] = [
            (source, _schedule_of(source)) for source in config.sources if source.schedule
        ]
        self.scheduler = BackgroundScheduler(
            jobstores={"default": MemoryJobStore()},
            # Crawls queue for the default pool; the lease heartbeat and notification retries have
            # their own, so a full crawl pool can never starve the heartbeat into a stale lease.
            executors={
                "default": ThreadPoolExecutor(max_workers=self.settings.max_parallel),
                "control": ThreadPoolExecutor(max_workers=2),
            },
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        self._notify_guard = threading.Lock()
        self.scheduler.add_listener(self._on_skipped, EVENT_JOB_MAX_INSTANCES)

    def _on_skipped(self, event: JobSubmissionEvent) -> None:
        if event.job_id.startswith(("crawl:", "catchup:")):
            log.warning(
                "crawl %s (%s) skipped: the previous crawl of it is still running",
                event.job_id.split(":", 1)[1],
                "catchup" if event.job_id.startswith("catchup:") else "schedule",
            )

    # -- jobs ---------------------------------------------------------------------------------------

    def crawl(self, source_name: str, trigger: str) -> CrawlResult | None:
        if self.stop_event.is_set():
            return None
        source = next(s for s, _ in self.scheduled if s.name == source_name)
        if self.queue is not None:
            self.queue.defer([source.name], trigger)  # a worker crawls it (and notifies)
            return None
        result = self.runner.run(source.name, trigger, float(source.timeout_seconds))
        if result is not None and not self.stop_event.is_set():
            self.notify()
        return result

    def notify(self) -> None:
        """Send what is due; serialised so the retry job and post-crawl sends never overlap."""
        channels = list(getattr(self.config, "channels", []) or [])
        if not channels:
            return
        with self._notify_guard:
            report = deliver_pending(self.factory, channels, policy=self.settings.retry)
        if report.gave_up:
            log.error(
                "notifications: gave up on %d event(s) after %d attempts; "
                "see `govwatch notify --failed`, requeue with `govwatch notify --retry-failed`",
                report.gave_up,
                self.settings.retry.max_attempts,
            )
        if report.messages or report.errors:
            log.log(
                logging.WARNING if report.errors else logging.INFO,
                "notifications: %d message(s) sent (%d events), %d event(s) to retry, %d given up",
                report.messages,
                report.sent,
                report.retrying,
                report.gave_up,
            )

    def heartbeat(self) -> None:
        try:
            self.lease.heartbeat()
        except LockLost as exc:
            log.error("%s; stopping", exc)
            self.error = exc
            self.stop_event.set()
            return
        if self.queue is not None:
            try:
                self.queue.retry_stalled()
            except Exception:  # the database may be away for a moment; next heartbeat again
                log.exception("could not look for stalled crawl jobs")
        busy = [s.name for s, _ in self.scheduled if self.runner.is_running(s.name)]
        closed = self._close_orphans(scheduler_gone=False, busy=busy)
        if closed:
            log.warning("closed %d crawl run(s) past their time limit that no process finished", closed)

    def _close_orphans(self, *, scheduler_gone: bool, busy: Sequence[str] = ()) -> int:
        timeouts = {s.name: int(s.timeout_seconds) for s, _ in self.scheduled}
        grace = timedelta(seconds=self.runner.grace_seconds)
        with session_scope(self.factory) as session:
            return close_orphans(session, timeouts, grace, scheduler_gone=scheduler_gone, busy=busy)

    # -- lifecycle ----------------------------------------------------------------------------------

    def _add_jobs(self, now: datetime) -> list[str]:
        with self.factory() as session:
            due = {
                d.source: d for d in due_sources(session, [(s.name, sch) for s, sch in self.scheduled], now)
            }
        catch_up: list[str] = []
        for source, schedule in self.scheduled:
            item = due[source.name]
            overdue = item.overdue and self.settings.catch_up
            # Interval schedules stay aligned to the last crawl; after a catch-up, to now.
            anchor = None if overdue or item.last_started is None else item.last_started
            self.scheduler.add_job(
                self.crawl,
                trigger_for(schedule, jitter=source.jitter_seconds, start=anchor),
                args=[source.name, "schedule"],
                id=f"crawl:{source.name}",
                name=f"crawl {source.name} ({schedule.text})",
            )
            if overdue:
                catch_up.append(source.name)
                self.scheduler.add_job(
                    self.crawl,
                    "date",
                    run_date=now,
                    args=[source.name, "catchup"],
                    id=f"catchup:{source.name}",
                    name=f"catch-up crawl {source.name}",
                )
        self.scheduler.add_job(
            self.heartbeat,
            "interval",
            seconds=self.settings.heartbeat_seconds,
            id="lease-heartbeat",
            name="scheduler lease heartbeat",
            executor="control",
        )
        self.scheduler.add_job(
            self.notify,
            "interval",
            seconds=self.settings.notify_retry_seconds,
            id="notify-retry",
            name="notification retry",
            executor="control",
            next_run_time=now,  # what a previous scheduler left unsent goes out at start-up
        )
        return catch_up

    def start(self) -> None:
        """Take the lease (``LockHeld`` if another scheduler runs) and start the jobs."""
        self.lease.acquire()
        try:
            now = datetime.now(UTC)
            # We hold the lease and have started nothing yet: a run a scheduler started
            # that is still open belongs to one that died. Queue workers' runs are their own.
            closed = self._close_orphans(scheduler_gone=self.queue is None)
            if closed:
                log.warning("closed %d crawl run(s) left running by a process that died", closed)
            catch_up = self._add_jobs(now)
            if self.queue is None:  # crawls run here: every tick forks them from one zygote
                self.runner.warm()
            self.scheduler.start()
        except BaseException:
            self.runner.close()
            self.lease.release()
            raise
        log.info(
            "scheduler started: %d scheduled source(s), catch-up for %s",
            len(self.scheduled),
            ", ".join(catch_up) or "none",
        )
        for job in self.scheduler.get_jobs():
            when = job.next_run_time
            log.info("job %s: next run %s", job.name, f"{when:%Y-%m-%d %H:%M:%S %Z}" if when else "never")

    def wait(self, timeout: float | None = None) -> bool:
        """Block until asked to stop; True when stopped."""
        return self.stop_event.wait(timeout)

    def stop(self) -> None:
        """Ask everything to stop: running crawls get SIGTERM (see the runner)."""
        self.stop_event.set()

    def shutdown(self) -> None:
        """Stop jobs, wait for running crawls to end, release the lease."""
        self.stop_event.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self.runner.close()  # its crawls have ended with the jobs that waited for them
        try:
            if self.queue is not None:
                self.queue.close()
            self.lease.release()
        finally:
            log.info("scheduler stopped")

    def next_runs(self) -> dict[str, datetime | None]:
        return {
            job.id.split(":", 1)[1]: job.next_run_time
            for job in self.scheduler.get_jobs()
            if job.id.startswith("crawl:")
        }

    def run_forever(self, signals: Sequence[int] = ()) -> None:
        """Start, serve until a signal or a lost lease, shut down cleanly."""
        import signal as signal_module

        previous = {sig: signal_module.signal(sig, lambda *_: self.stop()) for sig in signals}
        try:
            self.start()
            try:
                while not self.wait(1.0):
                    pass
            finally:
                log.info("stopping: waiting for running crawls to end")
                self.shutdown()
        finally:
            for sig, handler in previous.items():
                signal_module.signal(sig, handler)
        if self.error is not None:
            raise self.error
