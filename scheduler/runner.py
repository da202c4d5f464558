"""The one way crawls are launched: ``govwatch crawl``, the scheduler, the queue workers and the demo.

``CrawlRunner.run_many`` crawls several sources at once in a small pool of ``python -m crawler``
processes (one Scrapy reactor each, one crawler per source: ``crawler.run``), sized to the
cores; a launcher that keeps a zygote (``warm``, ``crawler.zygote``) forks them from it instead
of starting interpreters. The run rows are created here before a process starts, so whatever
happens to it (time limit, SIGKILL, crash) each run is closed with an honest outcome. Each
process runs in its own process group, which is what a stop signals, and dies with the thread
that started it (``tracker.processes.die_with_parent``) or with its zygote; its recording
workers die with it in turn.

``CrawlRunner.run`` crawls one source; calls that arrive together (the scheduler's jobs firing at
one moment, the catch-up at start-up, the demo's sources) share one launch.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from crawler.progress import BUSY, ERROR, PROGRESS, SUMMARY, parse
from crawler.recording import WORKERS_ENV, worker_count
from crawler.zygote import ForkedProcess, KeptZygote, ZygoteUnavailable
from tracker.db import session_scope
from tracker.models import CrawlOutcome, CrawlRun
from tracker.processes import CAN_FOLLOW_PARENT, die_with_parent
from tracker.runs import CrawlAlreadyRunning, CrawlResult, public_counts

log = logging.getLogger(__name__)

CrawlProcess = subprocess.Popen[bytes] | ForkedProcess  # a crawl started or forked (crawler.zygote)

STOP_GRACE_SECONDS = 20.0
POLL_SECONDS = 0.2
STDERR_TAIL_LINES = 30
BATCH_WINDOW_SECONDS = 0.3  # how long a launch waits for other crawls asked for at the same moment
MAX_PROCESSES = 4
COUNT_LABELS = (
    ("pages", "pages"),
    ("new_versions", "new versions"),
    ("changes", "changes"),
    ("errors", "errors"),
)

__all__ = ["CrawlRequest", "CrawlResult", "CrawlRunner", "default_processes"]


def default_processes() -> int:
    """One crawl process per core, at most ``MAX_PROCESSES``: each runs many sources in its reactor."""
    return max(1, min(MAX_PROCESSES, os.cpu_count() or 1))


@dataclass(frozen=True)
class CrawlRequest:
    source: str
    trigger: str
    timeout_seconds: float
    job: int | None = None  # the queue job this crawl runs for (scheduler.queue)


def _signal_group(proc: CrawlProcess, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def _counts_text(counts: Mapping[str, Any]) -> str:
    shown = [f"{counts[key]} {label}" for key, label in COUNT_LABELS if counts.get(key)]
    return ": " + ", ".join(shown) if shown else ""


def _pump(stream: Any, sink: Callable[[str], None]) -> None:
    for raw in iter(stream.readline, b""):
        sink(raw.decode("utf-8", "replace").rstrip("\n"))
    stream.close()


def _wait_then_set(proc: CrawlProcess, exited: threading.Event) -> None:
    proc.wait()
    exited.set()


@dataclass
class _Launch:
    """One crawl process and the runs it fills."""

    requests: list[CrawlRequest]
    run_ids: dict[str, int]
    proc: CrawlProcess | None = None
    started: float = 0.0
    stopped_for: str | None = None
    kill_at: float | None = None  # SIGTERM sent: SIGKILL at this time if it is still alive
    done: bool = False
    summaries: dict[str, dict[str, Any]] = field(default_factory=dict)
    progress: dict[str, dict[str, Any]] = field(default_factory=dict)
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=STDERR_TAIL_LINES))
    readers: list[threading.Thread] = field(default_factory=list)

    @property
    def deadline(self) -> float:
        return self.started + max(r.timeout_seconds for r in self.requests)


@dataclass
class _Batch:
    requests: list[CrawlRequest] = field(default_factory=list)
    results: dict[str, CrawlResult | None] = field(default_factory=dict)
    done: threading.Event = field(default_factory=threading.Event)


@dataclass
class CrawlRunner:
    """Launches crawls; at most one at a time per source, whoever asks."""

    factory: sessionmaker[Session]
    database_url: str
    config_path: Path | None = None
    stop_event: threading.Event = field(default_factory=threading.Event)
    grace_seconds: float = STOP_GRACE_SECONDS
    python: str = sys.executable
    env: Mapping[str, str] = field(default_factory=dict)
    on_progress: Callable[[str, dict[str, Any]], None] | None = None
    processes: int = field(default_factory=default_processes)
    batch_window: float = BATCH_WINDOW_SECONDS
    zygote: KeptZygote | None = None  # where crawls are forked from (``warm``); None: own interpreters
    _owns_zygote: bool = field(default=False, init=False)  # made by ``warm``, so closed by ``close``
    _busy: dict[str, threading.Lock] = field(default_factory=dict, init=False)
    _busy_guard: threading.Lock = field(default_factory=threading.Lock, init=False)
    _batch: _Batch | None = field(default=None, init=False)
    _private: dict[str, bool] | None = field(default=None, init=False)

    def _source_lock(self, source: str) -> threading.Lock:
        with self._busy_guard:
            return self._busy.setdefault(source, threading.Lock())

    def is_running(self, source: str) -> bool:
        return self._source_lock(source).locked()

    def arguments(self, requests: Sequence[CrawlRequest], run_ids: Mapping[str, int]) -> list[str]:
        """The arguments of ``python -m crawler`` for one launch."""
        # The process fills rows created here, each with its own trigger; this one only labels it.
        triggers = {r.trigger for r in requests}
        trigger = triggers.pop() if len(triggers) == 1 else "schedule"
        args = [*(r.source for r in requests), "--trigger", trigger]
        for r in requests:
            args += ["--run-id", str(run_ids[r.source])]
        if self.config_path is not None:
            args += ["--config", str(self.config_path)]
        return [*args, "--progress", "json"]

    def warm(self) -> None:
        """Start a crawl zygote now: later launches fork from it instead of starting interpreters.

        For launchers that live long and start crawl processes often (the scheduler, the demo):
        the zygote imports what changed pages need too. ``close`` lets it go.
        """
        if self.zygote is None:
            env = {**os.environ, **self.env, "GOVWATCH_DATABASE_URL": self.database_url}
            self.zygote = KeptZygote(self.python, env, content=True)
            self._owns_zygote = True

    def close(self) -> None:
        """Let go of the zygote (closed if ``warm`` started it); call it when no crawl is running."""
        zygote, self.zygote = self.zygote, None
        if zygote is not None and self._owns_zygote:
            zygote.close()
        self._owns_zygote = False

    # -- one source, batched with whoever asks at the same moment ------------------------------

    def run(self, source: str, trigger: str, timeout_seconds: float) -> CrawlResult | None:
        """Crawl ``source`` now; ``None`` when a crawl of it is already running (never two at once)."""
        if self.is_running(source):
            log.warning("crawl %s (%s) skipped: the previous crawl of it is still running", source, trigger)
            return None
        request = CrawlRequest(source, trigger, timeout_seconds)
        with self._busy_guard:
            batch, lead = self._batch, self._batch is None
            if batch is None:
                batch = self._batch = _Batch()
            batch.requests.append(request)
        if not lead:
            batch.done.wait()
            return batch.results.get(source)
        try:
            time.sleep(self.batch_window)
            with self._busy_guard:
                self._batch = None
            for result in self.run_many(batch.requests):
                batch.results[result.source] = None if result.outcome == "busy" else result
        finally:
            batch.done.set()
        return batch.results.get(source)

    # -- many sources ------------------------------------------------------------------------------

    def run_many(self, requests: Sequence[CrawlRequest]) -> list[CrawlResult]:
        """Crawl these sources now, concurrently; one result per request, in order.

        A source that is being crawled already (by this runner or any other process) is
        ``busy``: nothing is started for it.
        """
        results: dict[str, CrawlResult] = {}
        held: list[threading.Lock] = []
        runnable: list[CrawlRequest] = []
        run_ids: dict[str, int] = {}
        try:
            for request in requests:
                lock = self._source_lock(request.source)
                if not lock.acquire(blocking=False):
                    reason = "the previous crawl of it is still running"
                    log.warning("crawl %s (%s) skipped: %s", request.source, request.trigger, reason)
                    results[request.source] = CrawlResult(request.source, None, "busy", error=reason)
                    continue
                held.append(lock)
                run_id = self._start_run(request, results)
                if run_id is not None:
                    run_ids[request.source] = run_id
                    runnable.append(request)
            if runnable:
                launches = [
                    _Launch(group, {r.source: run_ids[r.source] for r in group})
                    for group in self._groups(runnable)
                ]
                self._launch_all(launches, results)
        finally:
            for lock in held:
                lock.release()
        return [results[r.source] for r in requests]

    def _start_run(self, request: CrawlRequest, results: dict[str, CrawlResult]) -> int | None:
        from tracker.runs import start_run

        try:
            with session_scope(self.factory) as session:
                return start_run(
                    session,
                    request.source,
                    request.trigger,
                    None,
                    stale_after=timedelta(seconds=request.timeout_seconds),
                    job=request.job,
                )
        except CrawlAlreadyRunning as exc:  # e.g. a `govwatch crawl` of it, from any machine
            log.warning("crawl %s (%s) skipped: %s", request.source, request.trigger, exc)
            results[request.source] = CrawlResult(
                request.source, exc.run_id, "busy", error=str(exc), trigger=request.trigger
            )
            return None

    def _private_of(self, source: str) -> bool:
        if self._private is None:
            from tracker.config import ConfigError, load_config

            try:
                config = load_config(self.config_path)
                self._private = {s.name: s.allow_private_addresses for s in config.sources}
            except ConfigError:  # the crawl process reports the error, per source
                self._private = {}
        return self._private.get(source, False)

    def _groups(self, requests: list[CrawlRequest]) -> list[list[CrawlRequest]]:
        """Sources split over at most ``processes`` processes; private and public never share one."""
        by_kind: dict[bool, list[CrawlRequest]] = {}
        for request in requests:
            by_kind.setdefault(self._private_of(request.source), []).append(request)
        groups: list[list[CrawlRequest]] = []
        slots = max(self.processes, len(by_kind))
        for kind_requests in by_kind.values():
            share = max(1, round(slots * len(kind_requests) / len(requests)))
            parts: list[list[CrawlRequest]] = [[] for _ in range(min(share, len(kind_requests)))]
            for i, request in enumerate(kind_requests):
                parts[i % len(parts)].append(request)
            groups += parts
        return groups

    def _launch_all(self, launches: list[_Launch], results: dict[str, CrawlResult]) -> None:
        env = dict(self.env)
        if len(launches) > 1 and WORKERS_ENV not in {**os.environ, **env}:
            # The cores are shared: the processes of one launch split the recording workers
            # one process would have, instead of each starting as many.
            env[WORKERS_ENV] = str(max(1, worker_count("") // len(launches)))
        # Set when a crawl process exits: its results are read at once, not at the next poll
        # (which alone cost a short crawl a tenth of a second on average).
        exited = threading.Event()
        for launch in launches:
            self._start(launch, results, env, exited)
        running = [launch for launch in launches if launch.proc is not None]
        while running:
            exited.clear()
            for launch in running:
                self._watch(launch)
                if launch.proc is not None and launch.proc.poll() is not None:
                    self._finish(launch, results)
            running = [launch for launch in running if not launch.done]
            if running:
                exited.wait(POLL_SECONDS)

    def _watch(self, launch: _Launch) -> None:
        """Stop a launch asked to stop or past its time limit: SIGTERM, then SIGKILL after the grace."""
        proc = launch.proc
        if proc is None or proc.poll() is not None:
            return
        now = time.monotonic()
        if launch.stopped_for is None:
            if self.stop_event.is_set():
                launch.stopped_for = CrawlOutcome.INTERRUPTED
            elif now > launch.deadline:
                launch.stopped_for = CrawlOutcome.TIMEOUT
            if launch.stopped_for is not None:
                _signal_group(proc, signal.SIGTERM)
                launch.kill_at = now + self.grace_seconds
        elif launch.kill_at is not None and now > launch.kill_at:
            names = ", ".join(r.source for r in launch.requests)
            log.warning("crawl %s ignored SIGTERM for %.0fs; killing it", names, self.grace_seconds)
            _signal_group(proc, signal.SIGKILL)
            launch.kill_at = None

    def _start(
        self,
        launch: _Launch,
        results: dict[str, CrawlResult],
        extra: Mapping[str, str],
        exited: threading.Event,
    ) -> None:
        from tracker.runs import finish_run

        env = {**os.environ, **extra, "GOVWATCH_DATABASE_URL": self.database_url}
        names = ", ".join(r.source for r in launch.requests)
        launch.started = time.monotonic()
        log.info(
            "crawl %s started (runs %s)",
            names,
            ", ".join(str(launch.run_ids[r.source]) for r in launch.requests),
        )
        try:
            launch.proc = self._spawn(self.arguments(launch.requests, launch.run_ids), env)
        except OSError as exc:  # no such interpreter, no more processes ...: the runs must not stay open
            reason = f"could not start the crawl process: {exc}"
            log.error("crawl %s failed to start: %s", names, exc)
            for request in launch.requests:
                run_id = launch.run_ids[request.source]
                with session_scope(self.factory) as session:
                    finish_run(session, run_id, CrawlOutcome.FAILED, {}, error=reason)
                results[request.source] = CrawlResult(
                    request.source, run_id, CrawlOutcome.FAILED, error=reason, trigger=request.trigger
                )
            return
        with session_scope(self.factory) as session:
            for run_id in launch.run_ids.values():
                row = session.get(CrawlRun, run_id)
                if row is not None and row.pid is None:
                    row.pid = launch.proc.pid

        def on_stdout(line: str) -> None:
            event = parse(line)
            if event is None:
                log.debug("crawl %s: %s", names, line)
                return
            if event.kind == SUMMARY:
                launch.summaries[event.source] = event.data
            elif event.kind in (ERROR, BUSY):
                launch.summaries[event.source] = {"outcome": "error", "error": event.data.get("error")}
            elif event.kind == PROGRESS:
                launch.progress[event.source] = event.counts
                if self.on_progress:
                    self.on_progress(event.source, event.counts)

        def on_stderr(line: str) -> None:
            launch.tail.append(line)
            log.debug("crawl %s: %s", names, line)

        launch.readers = [
            threading.Thread(target=_pump, args=(launch.proc.stdout, on_stdout), daemon=True),
            threading.Thread(target=_pump, args=(launch.proc.stderr, on_stderr), daemon=True),
        ]
        for reader in launch.readers:
            reader.start()
        threading.Thread(target=_wait_then_set, args=(launch.proc, exited), daemon=True).start()

    def _spawn(self, arguments: list[str], env: dict[str, str]) -> CrawlProcess:
        zygote = self.zygote.get() if self.zygote is not None else None
        if zygote is not None and zygote.alive:
            try:
                return zygote.spawn(arguments, env)
            except ZygoteUnavailable as exc:
                log.warning("%s; this crawl starts its own interpreter", exc)
        return subprocess.Popen(
            [self.python, "-m", "crawler", *arguments],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # its own process group: stopping it stops all it started
            # Dies with the thread that started it, which waits for it: a launcher that dies
            # (SIGKILL, crash) cannot leave crawls running unsupervised.
            preexec_fn=die_with_parent if CAN_FOLLOW_PARENT else None,  # noqa: PLW1509
        )

    def _finish(self, launch: _Launch, results: dict[str, CrawlResult]) -> None:
        from tracker.runs import finish_run

        assert launch.proc is not None
        launch.proc.wait()
        # Anything the crawl started and left behind in its group goes too.
        _signal_group(launch.proc, signal.SIGKILL)
        for reader in launch.readers:
            reader.join(timeout=5)
        seconds = time.monotonic() - launch.started
        returncode = launch.proc.returncode
        for request in launch.requests:
            run_id = launch.run_ids[request.source]
            summary = launch.summaries.get(request.source, {})
            counts = dict(summary.get("counts") or launch.progress.get(request.source) or {})
            with session_scope(self.factory) as session:
                row = session.get(CrawlRun, run_id)
                recorded = row.outcome if row is not None else None
                stored = public_counts(row.counts if row is not None else None)
                if stored and (not counts or recorded != CrawlOutcome.RUNNING):
                    # A crawl that closed its own run stored its final counts; a crawl stopped
                    # early may have stored counts it never printed.
                    counts = stored
            outcome, error = self._outcome(
                returncode,
                recorded,
                stopped_for=launch.stopped_for,
                summary=summary,
                timeout_seconds=max(r.timeout_seconds for r in launch.requests),
                tail=launch.tail,
            )
            if outcome != recorded:
                with session_scope(self.factory) as session:
                    finish_run(session, run_id, outcome, counts, error=error)
            log.log(
                logging.INFO if outcome in {CrawlOutcome.OK, CrawlOutcome.PARTIAL} else logging.WARNING,
                "crawl %s finished: %s in %.1fs (run %d, exit %s)%s%s",
                request.source,
                outcome,
                seconds,
                run_id,
                returncode,
                _counts_text(counts),
                f" — {error}" if error else "",
            )
            results[request.source] = CrawlResult(
                request.source,
                run_id,
                outcome,
                counts,
                list(summary.get("errors") or []),
                error,
                trigger=request.trigger,
                seconds=seconds,
                returncode=returncode,
            )
        launch.done = True

    @staticmethod
    def _outcome(
        returncode: int | None,
        recorded: str | None,
        *,
        stopped_for: str | None,
        summary: Mapping[str, Any],
        timeout_seconds: float,
        tail: deque[str],
    ) -> tuple[str, str | None]:
        cut_short = recorded in (None, CrawlOutcome.RUNNING, CrawlOutcome.INTERRUPTED)
        if stopped_for == CrawlOutcome.TIMEOUT and cut_short:
            return CrawlOutcome.TIMEOUT, f"stopped after its time limit of {timeout_seconds:g}s"
        if recorded and recorded != CrawlOutcome.RUNNING:
            return recorded, None  # the crawl closed its own run
        if stopped_for == CrawlOutcome.INTERRUPTED:
            return CrawlOutcome.INTERRUPTED, "stopped because the scheduler shut down"
        if returncode is not None and returncode < 0:
            name = signal.Signals(-returncode).name if -returncode in signal.valid_signals() else -returncode
            return CrawlOutcome.KILLED, f"the crawl process died from signal {name}"
        if summary.get("outcome") == "error":
            return CrawlOutcome.FAILED, f"the crawl could not start: {summary.get('error')}"
        if summary.get("outcome"):
            return str(summary["outcome"]), None
        last = next((line for line in reversed(tail) if line.strip()), "")
        return CrawlOutcome.FAILED, f"the crawl process exited with code {returncode}: {last[-500:]}"
