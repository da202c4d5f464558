"""Crawl-run bookkeeping against the real database (SQLite, or PostgreSQL when configured)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.crawler.conftest import REPO
from tracker import runs
from tracker.db import session_scope
from tracker.store import ensure_source


def test_a_run_is_started_finished_and_listed(session_factory: sessionmaker[Session]) -> None:
    with session_scope(session_factory) as session:
        first = runs.start_run(session, "wuxi", "schedule", pid=123)
        other = runs.start_run(session, "changzhou", "manual", pid=None)
    with session_scope(session_factory) as session:
        runs.finish_run(session, first, "partial", {"pages": 3, "errors": 1}, error="503 at /x")
        second = runs.start_run(session, "wuxi", "catchup", pid=456)
    with session_scope(session_factory) as session:
        latest = runs.last_runs(session)
        assert set(latest) == {"wuxi", "changzhou"}
        assert latest["wuxi"].id == second and latest["wuxi"].outcome == "running"
        assert latest["changzhou"].id == other
        done = runs.get_run(session, first)
        assert done is not None
        assert (done.outcome, done.counts, done.error, done.pid) == (
            "partial",
            {"pages": 3, "errors": 1},
            "503 at /x",
            123,
        )
        assert done.finished_at is not None and done.finished_at >= done.started_at
        assert [r.id for r in runs.recent_runs(session, "wuxi")] == [second, first]


def test_finish_rejects_unknown_runs_and_outcomes(session_factory: sessionmaker[Session]) -> None:
    with session_scope(session_factory) as session:
        run_id = runs.start_run(session, "wuxi")
        with pytest.raises(ValueError, match="not a final crawl outcome"):
            runs.finish_run(session, run_id, "running", {})
        with pytest.raises(LookupError):
            runs.finish_run(session, run_id + 100, "ok", {})


def _dead_pid() -> int:
    """The id of a process that has ended (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_live_run_of_the_same_source_refuses_a_second(session_factory: sessionmaker[Session]) -> None:
    with session_scope(session_factory) as session:
        live = runs.start_run(session, "wuxi", "manual", pid=os.getpid())
    with session_scope(session_factory) as session, pytest.raises(runs.CrawlAlreadyRunning) as refused:
        runs.start_run(session, "wuxi", "schedule", pid=None)
    assert refused.value.run_id == live and refused.value.pid == os.getpid()
    assert "already being crawled" in str(refused.value) and f"run {live}" in str(refused.value)
    with session_scope(session_factory) as session:
        other = runs.start_run(session, "changzhou", "manual", pid=os.getpid())  # other sources may run
        assert [r.outcome for r in runs.recent_runs(session)] == ["running", "running"]
        assert other != live


def test_a_run_whose_process_died_is_closed_and_does_not_block(
    session_factory: sessionmaker[Session],
) -> None:
    with session_scope(session_factory) as session:
        crashed = runs.start_run(session, "wuxi", "manual", pid=_dead_pid())
    with session_scope(session_factory) as session:
        fresh = runs.start_run(session, "wuxi", "manual", pid=os.getpid())
    with session_scope(session_factory) as session:
        old = runs.get_run(session, crashed)
        assert old is not None and old.outcome == "killed" and old.finished_at is not None
        assert "ended without closing the run" in (old.error or "")
        new = runs.get_run(session, fresh)
        assert new is not None and new.outcome == "running"


def test_a_run_without_process_blocks_only_within_its_time_limit(
    session_factory: sessionmaker[Session],
) -> None:
    limit = timedelta(minutes=10)
    with session_scope(session_factory) as session:
        starting = runs.start_run(session, "wuxi", "schedule", pid=None)
    with session_scope(session_factory) as session, pytest.raises(runs.CrawlAlreadyRunning):
        runs.start_run(session, "wuxi", "manual", pid=os.getpid(), stale_after=limit)
    with session_scope(session_factory) as session:
        row = runs.get_run(session, starting)
        assert row is not None
        # Even a live process id (a recycled one) stops counting once the limit has long passed.
        row.pid = os.getpid()
        row.started_at = datetime.now(UTC) - limit - runs.STALE_GRACE - timedelta(seconds=1)
    with session_scope(session_factory) as session:
        runs.start_run(session, "wuxi", "manual", pid=os.getpid(), stale_after=limit)
        abandoned = runs.get_run(session, starting)
        assert abandoned is not None and abandoned.outcome == "killed"
        assert "within its time limit" in (abandoned.error or "")


def test_without_a_time_limit_a_live_process_keeps_its_run(session_factory: sessionmaker[Session]) -> None:
    with session_scope(session_factory) as session:
        long = runs.start_run(session, "wuxi", "manual", pid=os.getpid())
        row = runs.get_run(session, long)
        assert row is not None
        row.started_at = datetime.now(UTC) - timedelta(hours=5)  # a source with a long time limit
    with session_scope(session_factory) as session, pytest.raises(runs.CrawlAlreadyRunning):
        runs.start_run(session, "wuxi", "schedule")  # the caller does not know the source's limit


CLAIM = """
import os, sys, time
from tracker import runs
from tracker.db import session_factory, session_scope

factory = session_factory(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()  # every process starts claiming at the same moment
try:
    with session_scope(factory) as session:
        run_id = runs.start_run(session, "wuxi", "manual", pid=os.getpid())
        time.sleep(0.3)  # a slow commit: the others must wait for it, not read around it
    print("started", run_id, flush=True)
    time.sleep(3)  # stay alive while the others decide
except runs.CrawlAlreadyRunning:
    print("refused", flush=True)
"""


def test_simultaneous_starts_of_one_source_let_exactly_one_through(
    db_url: str, session_factory: sessionmaker[Session]
) -> None:
    with session_scope(session_factory) as session:
        ensure_source(session, "wuxi")  # schema in place before the race
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIM, db_url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        for _ in range(4)
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    verdicts = sorted(proc.communicate(timeout=60)[0].split()[0] for proc in procs)
    assert verdicts == ["refused", "refused", "refused", "started"]
    with session_scope(session_factory) as session:
        assert len(runs.recent_runs(session, "wuxi")) == 1
