"""The queue executor against a real PostgreSQL, with real `govwatch worker` processes.

Skipped without GOVWATCH_TEST_POSTGRES_URL (CI sets it in its PostgreSQL pass); the refusal of
SQLite is checked on SQLite.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from portal import PortalServer
from tests.conftest import POSTGRES_URL
from tests.crawler.conftest import REPO, crawl_env
from tests.scheduler.crash import MARK, check_invariants, new_mark, open_runs, wait_until_gone, workers_of
from tests.scheduler.test_daemon import runs, wait_for
from tracker.models import Version

pytestmark = pytest.mark.slow

SOURCE = """
[[source]]
name = "{name}"
start_urls = ["{url}/bulk/index.html"]
allowed_hosts = ["127.0.0.1"]
allow_private_addresses = true
obey_robots = false
download_delay = {delay}
concurrency = {concurrency}
max_pages = 100
schedule = "every 1h"
"""


def govwatch(*args: str, db_url: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scheduler.cli", *args],
        check=False,
        env=crawl_env(db_url),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class Workers:
    """``govwatch worker`` processes, each with its own marker, stopped at the end of the test."""

    def __init__(self, config: Path, db_url: str, logs: Path) -> None:
        self.config, self.db_url, self.logs = config, db_url, logs
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str) -> str:
        mark = new_mark()
        env = crawl_env(self.db_url) | {MARK: mark, "GOVWATCH_RECORD_WORKERS": "2"}
        command = [
            sys.executable,
            "-m",
            "scheduler.cli",
            "worker",
            "--config",
            str(self.config),
            "--name",
            name,
        ]
        command += ["--heartbeat", "0.5", "--stalled-after", "4", "--concurrency", "2"]
        log = (self.logs / f"{name}.log").open("wb")
        self.procs[mark] = subprocess.Popen(command, env=env, cwd=REPO, stdout=log, stderr=log)
        return mark

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture
def workers(tmp_path: Path, db_url: str) -> Iterator[Workers]:
    pool = Workers(tmp_path / "govwatch.toml", db_url, tmp_path)
    yield pool
    pool.stop()


def jobs(db_url: str) -> list[tuple[int, str, str, int]]:
    from tracker.db import make_engine

    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT id, args->>'source', status::text, attempts"
                    " FROM procrastinate.procrastinate_jobs ORDER BY id"
                )
            )
            return [(int(r[0]), str(r[1]), str(r[2]), int(r[3])) for r in rows]
    finally:
        engine.dispose()


def test_the_queue_executor_refuses_sqlite(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'govwatch.db'}"
    config = tmp_path / "govwatch.toml"
    config.write_text(
        SOURCE.format(name="s", url="http://127.0.0.1:9", delay=0, concurrency=1), encoding="utf-8"
    )
    for args in (
        ("worker", "--config", str(config)),
        ("crawl", "--executor", "queue", "--config", str(config)),
        ("run", "--executor", "queue", "--config", str(config)),
    ):
        result = govwatch(*args, db_url=db_url, timeout=60)
        assert result.returncode == 2, (args, result.stderr)
        assert "the queue executor needs PostgreSQL" in result.stderr and "Traceback" not in result.stderr
    executor = tmp_path / "executor.toml"
    executor.write_text('[settings]\nexecutor = "cluster"\n', encoding="utf-8")
    result = govwatch("sources", "--check", "--config", str(executor), db_url=db_url, timeout=60)
    assert result.returncode == 2 and "field 'executor' must be one of local, queue" in result.stderr


@pytest.mark.skipif(not POSTGRES_URL, reason="needs GOVWATCH_TEST_POSTGRES_URL")
@pytest.mark.postgres
def test_two_workers_crawl_each_queued_source_once(
    tmp_path: Path, db_url: str, session_factory: sessionmaker[Session], workers: Workers
) -> None:
    portals = [PortalServer(bulk_pages=20 + n) for n in range(4)]
    try:
        config = tmp_path / "govwatch.toml"
        config.write_text(
            "".join(
                SOURCE.format(name=f"s{n}", url=p.url, delay=0, concurrency=4) for n, p in enumerate(portals)
            ),
            encoding="utf-8",
        )
        # No worker yet: the jobs wait, and a source already waiting is not queued twice.
        queued = govwatch("crawl", "--executor", "queue", "--json", "--config", str(config), db_url=db_url)
        assert queued.returncode == 0, queued.stderr
        again = govwatch(
            "crawl", "s0", "--executor", "queue", "--json", "--config", str(config), db_url=db_url
        )
        assert again.returncode == 0, again.stderr
        first = [json.loads(line) for line in queued.stdout.splitlines()]
        [second] = [json.loads(line) for line in again.stdout.splitlines()]
        assert [j["queued_already"] for j in first] == [False] * 4
        assert second["queued_already"] and second["job_id"] == first[0]["job_id"]
        status = govwatch("status", "--json", "--config", str(config), db_url=db_url)
        assert [(j["source"], j["status"]) for j in json.loads(status.stdout)["queue"]] == [
            (f"s{n}", "todo") for n in range(4)
        ]
        workers.start("w1")
        workers.start("w2")
        wait_for(
            lambda: all(status == "succeeded" for _, _, status, _ in jobs(db_url)), what="the first jobs"
        )
        waited = govwatch(
            "crawl", "--executor", "queue", "--wait", "--json", "--config", str(config), db_url=db_url
        )
        assert waited.returncode == 0, waited.stderr
        for line in waited.stdout.splitlines():
            summary = json.loads(line)
            assert summary["outcome"] == "ok", summary
        wait_for(
            lambda: all(status == "succeeded" for _, _, status, _ in jobs(db_url)),
            timeout=180,
            what="every job",
        )
    finally:
        for portal in portals:
            portal.stop()
    every = jobs(db_url)
    # Four jobs queued first, then the four of --wait, each run once: no job ran twice.
    assert sorted(source for _, source, _, _ in every) == sorted([f"s{n}" for n in range(4)] * 2)
    assert all(attempts == 1 for *_, attempts in every)  # procrastinate counts ended attempts
    for n in range(4):
        source_runs = runs(session_factory, f"s{n}")
        assert [r.outcome for r in source_runs] == ["ok", "ok"]
        assert source_runs[0].counts["new_versions"] == 20 + n and source_runs[1].counts["new_versions"] == 0
    check_invariants(session_factory)


@pytest.mark.skipif(not POSTGRES_URL, reason="needs GOVWATCH_TEST_POSTGRES_URL")
@pytest.mark.postgres
def test_a_worker_sigkilled_mid_crawl_is_noticed_and_its_job_retried_elsewhere(
    tmp_path: Path, db_url: str, session_factory: sessionmaker[Session], workers: Workers
) -> None:
    pages = 300
    with PortalServer(bulk_pages=pages) as portal:
        config = tmp_path / "govwatch.toml"
        config.write_text(
            SOURCE.format(name="bulk", url=portal.url, delay=0, concurrency=8), encoding="utf-8"
        )
        doomed = workers.start("doomed")
        queued = govwatch("crawl", "--executor", "queue", "--json", "--config", str(config), db_url=db_url)
        assert queued.returncode == 0, queued.stderr
        wait_for(lambda: workers_of(doomed) >= (2, 1), timeout=90, what="the doomed worker's crawl to record")
        with session_factory() as session:
            wait_for(
                lambda: (session.scalar(select(func.count(Version.id))) or 0) > 0, timeout=120, what="a page"
            )
        workers.procs[doomed].kill()
        workers.procs[doomed].wait(timeout=30)
        assert wait_until_gone(doomed) == []  # its crawl and the crawl's workers went with it
        [(job_id, _, status, _)] = jobs(db_url)
        assert status == "doing"  # until someone notices the silence
        workers.start("heir")
        wait_for(lambda: jobs(db_url)[0][2] == "succeeded", timeout=240, what="the retried job")
    [(_, _, _, attempts)] = jobs(db_url)
    assert attempts == 2  # the dead attempt, then the one that finished
    dead, retried = runs(session_factory, "bulk")
    assert dead.outcome == "killed" and "heartbeats" in (dead.error or "")
    assert retried.outcome == "ok" and not open_runs(session_factory)
    assert dead.counts["_job"] == retried.counts["_job"] == job_id
    check_invariants(session_factory)
    with session_factory() as session:
        assert session.scalar(select(func.count(Version.id))) == pages  # every page once


@pytest.mark.skipif(not POSTGRES_URL, reason="needs GOVWATCH_TEST_POSTGRES_URL")
@pytest.mark.postgres
def test_the_scheduler_queues_each_due_source_once_also_across_a_restart(
    tmp_path: Path, db_url: str, session_factory: sessionmaker[Session], workers: Workers
) -> None:
    portals = [PortalServer(bulk_pages=10) for _ in range(3)]
    try:
        config = tmp_path / "govwatch.toml"
        config.write_text(
            "".join(
                SOURCE.format(name=f"s{n}", url=p.url, delay=0, concurrency=2) for n, p in enumerate(portals)
            ),
            encoding="utf-8",
        )
        workers.start("w1")
        workers.start("w2")
        command = [
            sys.executable,
            "-m",
            "scheduler.cli",
            "run",
            "--executor",
            "queue",
            "--config",
            str(config),
        ]
        env = crawl_env(db_url)
        scheduler = subprocess.Popen(
            command, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            wait_for(lambda: len(jobs(db_url)) == 3, timeout=120, what="the catch-up jobs")
        finally:
            scheduler.kill()  # mid-tick: some jobs may still be waiting or running
            scheduler.wait(timeout=30)
        wait_for(lambda: all(s == "succeeded" for _, _, s, _ in jobs(db_url)), timeout=240, what="the jobs")
        again = subprocess.Popen(
            command, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(5)  # a restarted scheduler finds nothing overdue
        again.send_signal(signal.SIGTERM)
        assert again.wait(timeout=60) == 0
    finally:
        for portal in portals:
            portal.stop()
    assert sorted(source for _, source, _, _ in jobs(db_url)) == ["s0", "s1", "s2"]
    for n in range(3):
        [run] = runs(session_factory, f"s{n}")
        assert run.outcome == "ok" and run.trigger == "catchup"
    check_invariants(session_factory)
