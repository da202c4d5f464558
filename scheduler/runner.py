"""Runs one source's crawl as a ``python -m crawler`` subprocess: time limit, stop on shutdown, outcome.

The run row is created here before the process starts, so whatever happens to the
process (time limit, SIGKILL, crash) the run is closed with an honest outcome. The
crawl runs in its own process group so stopping it stops everything it started.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from tracker.db import session_scope
from tracker.models import CrawlOutcome, CrawlRun

log = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 20.0
POLL_SECONDS = 0.2
STDERR_TAIL_LINES = 30
COUNT_LABELS = (
    ("pages", "pages"),
    ("new_versions", "new versions"),
    ("changes", "changes"),
    ("errors", "errors"),
)


@dataclass
class CrawlResult:
    source: str
    run_id: int
    trigger: str
    outcome: str
    returncode: int | None
    seconds: float
    counts: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def _load_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return prctl


_PRCTL = _load_prctl()
PR_SET_PDEATHSIG = 1


def _stop_with_parent() -> None:
    """In the child, before exec: SIGKILL when the thread that started it dies (Linux).

    A scheduler that dies (SIGKILL, crash) cannot stop its crawls; without this they run
    on unsupervised and overlap the crawls of the next scheduler. SIGTERM would not do:
    a graceful stop waits for downloads in flight, which can take minutes. Each page is
    recorded in its own transaction, so nothing is half-written, and the next scheduler
    closes the run. The starting thread waits for the crawl to end, so it only dies with
    the scheduler. Only a preloaded C function runs here: nothing that could wait on a
    lock held by another thread.
    """
    if _PRCTL is not None:
        _PRCTL(PR_SET_PDEATHSIG, signal.SIGKILL)


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)


def _counts_text(counts: Mapping[str, Any]) -> str:
    shown = [f"{counts[key]} {label}" for key, label in COUNT_LABELS if counts.get(key)]
    return ": " + ", ".join(shown) if shown else ""


def _pump(stream: Any, sink: Callable[[str], None]) -> None:
    for raw in iter(stream.readline, b""):
        sink(raw.decode("utf-8", "replace").rstrip("\n"))
    stream.close()


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
    _busy: dict[str, threading.Lock] = field(default_factory=dict, init=False)
    _busy_guard: threading.Lock = field(default_factory=threading.Lock, init=False)

    def _source_lock(self, source: str) -> threading.Lock:
        with self._busy_guard:
            return self._busy.setdefault(source, threading.Lock())

    def is_running(self, source: str) -> bool:
        return self._source_lock(source).locked()

    def command(self, source: str, run_id: int, trigger: str) -> list[str]:
        cmd = [self.python, "-m", "crawler", source, "--run-id", str(run_id), "--trigger", trigger]
        if self.config_path is not None:
            cmd += ["--config", str(self.config_path)]
        return [*cmd, "--progress", "json"]

    def run(self, source: str, trigger: str, timeout_seconds: float) -> CrawlResult | None:
        """Crawl ``source`` now; ``None`` when a crawl of it is already running (never two at once)."""
        lock = self._source_lock(source)
        if not lock.acquire(blocking=False):
            log.warning("crawl %s (%s) skipped: the previous crawl of it is still running", source, trigger)
            return None
        try:
            return self._run(source, trigger, timeout_seconds)
        finally:
            lock.release()

    def _run(self, source: str, trigger: str, timeout_seconds: float) -> CrawlResult | None:
        from tracker.runs import CrawlAlreadyRunning, finish_run, start_run

        try:
            with session_scope(self.factory) as session:
                run_id = start_run(
                    session, source, trigger, None, stale_after=timedelta(seconds=timeout_seconds)
                )
        except CrawlAlreadyRunning as exc:  # e.g. a `govwatch crawl` of it, from any machine
            log.warning("crawl %s (%s) skipped: %s", source, trigger, exc)
            return None
        env = {**os.environ, **self.env, "GOVWATCH_DATABASE_URL": self.database_url}
        started = time.monotonic()
        log.info("crawl %s started (run %d, trigger %s, limit %gs)", source, run_id, trigger, timeout_seconds)
        try:
            proc = subprocess.Popen(
                self.command(source, run_id, trigger),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,  # its own process group: stopping it stops all it started
                preexec_fn=_stop_with_parent if _PRCTL is not None else None,  # noqa: PLW1509
            )
        except OSError as exc:  # no such interpreter, no more processes ...: the run must not stay open
            reason = f"could not start the crawl process: {exc}"
            with session_scope(self.factory) as session:
                finish_run(session, run_id, CrawlOutcome.FAILED, {}, error=reason)
            log.error("crawl %s failed to start (run %d): %s", source, run_id, exc)
            return CrawlResult(source, run_id, trigger, CrawlOutcome.FAILED, None, 0.0, {}, reason)
        with session_scope(self.factory) as session:
            row = session.get(CrawlRun, run_id)
            if row is not None and row.pid is None:
                row.pid = proc.pid
        summary: dict[str, Any] = {}
        progress: dict[str, Any] = {}
        tail: deque[str] = deque(maxlen=STDERR_TAIL_LINES)

        def on_stdout(line: str) -> None:
            try:
                event = json.loads(line)
            except ValueError:
                log.debug("crawl %s: %s", source, line)
                return
            if not isinstance(event, dict):
                return
            if event.get("event") == "summary":
                summary.update(event)
            elif event.get("event") == "progress":
                progress.update(event)
                if self.on_progress:
                    self.on_progress(source, event)

        def on_stderr(line: str) -> None:
            tail.append(line)
            log.debug("crawl %s: %s", source, line)

        readers = [
            threading.Thread(target=_pump, args=(proc.stdout, on_stdout), daemon=True),
            threading.Thread(target=_pump, args=(proc.stderr, on_stderr), daemon=True),
        ]
        for reader in readers:
            reader.start()
        stopped_for: str | None = None
        deadline = started + timeout_seconds
        while proc.poll() is None:
            if stopped_for is None and self.stop_event.is_set():
                stopped_for = CrawlOutcome.INTERRUPTED
            elif stopped_for is None and time.monotonic() > deadline:
                stopped_for = CrawlOutcome.TIMEOUT
            if stopped_for is not None:
                self._stop(proc, source)
                break
            time.sleep(POLL_SECONDS)
        proc.wait()
        for reader in readers:
            reader.join(timeout=5)
        seconds = time.monotonic() - started
        counts = dict(summary.get("counts") or {k: v for k, v in progress.items() if k != "event"})
        with session_scope(self.factory) as session:
            row = session.get(CrawlRun, run_id)
            recorded = row.outcome if row is not None else None
            if row is not None and row.counts and (not counts or recorded != CrawlOutcome.RUNNING):
                # A crawl that closed its own run stored its final counts; a crawl stopped
                # early may have stored counts it never printed.
                counts = dict(row.counts)
        outcome, error = self._outcome(
            proc.returncode,
            recorded,
            stopped_for=stopped_for,
            summary=summary,
            timeout_seconds=timeout_seconds,
            tail=tail,
        )
        if outcome != recorded:
            with session_scope(self.factory) as session:
                finish_run(session, run_id, outcome, counts, error=error)
        log.log(
            logging.INFO if outcome in {CrawlOutcome.OK, CrawlOutcome.PARTIAL} else logging.WARNING,
            "crawl %s finished: %s in %.1fs (run %d, exit %s)%s%s",
            source,
            outcome,
            seconds,
            run_id,
            proc.returncode,
            _counts_text(counts),
            f" — {error}" if error else "",
        )
        return CrawlResult(source, run_id, trigger, outcome, proc.returncode, seconds, counts, error)

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
        if stopped_for == CrawlOutcome.TIMEOUT:
            return CrawlOutcome.TIMEOUT, f"stopped after its time limit of {timeout_seconds:g}s"
        if recorded and recorded != CrawlOutcome.RUNNING:
            return recorded, None  # the crawl closed its own run
        if stopped_for == CrawlOutcome.INTERRUPTED:
            return CrawlOutcome.INTERRUPTED, "stopped because the scheduler shut down"
        if returncode is not None and returncode < 0:
            name = signal.Signals(-returncode).name if -returncode in signal.valid_signals() else -returncode
            return CrawlOutcome.KILLED, f"the crawl process died from signal {name}"
        if summary.get("outcome"):
            return str(summary["outcome"]), None
        last = next((line for line in reversed(tail) if line.strip()), "")
        return CrawlOutcome.FAILED, f"the crawl process exited with code {returncode}: {last[-500:]}"

    def _stop(self, proc: subprocess.Popen[bytes], source: str) -> None:
        """SIGTERM for a graceful stop, SIGKILL after the grace period."""
        _signal_group(proc, signal.SIGTERM)
        try:
            proc.wait(timeout=self.grace_seconds)
        except subprocess.TimeoutExpired:
            log.warning("crawl %s ignored SIGTERM for %.0fs; killing it", source, self.grace_seconds)
            _signal_group(proc, signal.SIGKILL)
            proc.wait()
        # Anything the crawl started and left behind in its group goes too.
        _signal_group(proc, signal.SIGKILL)
