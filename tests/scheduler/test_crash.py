"""SIGKILL at the worst moment: every process of a crawl dies with whoever started it, nothing is doubled.

Each test kills one part of a crawl that is recording with worker processes (the crawl tree,
the crawl process only, the ``govwatch crawl`` parent, the scheduler), then checks that no
process of the tree is left, that the next crawl closes what the dead one left ``running``,
and the database's invariants (tests.scheduler.crash). On SQLite by default, on PostgreSQL in
CI's PostgreSQL pass.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from portal import PortalServer
from scheduler.daemon import Daemon, DaemonSettings
from scheduler.runner import CrawlRunner
from tests.crawler.conftest import REPO, crawl_env
from tests.scheduler.crash import (
    MARK,
    check_invariants,
    marked,
    new_mark,
    open_runs,
    wait_until_gone,
    workers_of,
)
from tests.scheduler.test_daemon import runs, wait_for
from tracker.config import load_config
from tracker.models import CrawlRun, Version

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="children follow their parent on Linux"),
]

PAGES = 400
BULK = """
[[source]]
name = "bulk"
start_urls = ["{url}/bulk/index.html"]
allowed_hosts = ["127.0.0.1"]
allow_private_addresses = true
obey_robots = false
download_delay = 0
concurrency = 16
max_pages = 100
schedule = "every 1h"
"""


@pytest.fixture
def bulk(tmp_path: Path) -> Iterator[Path]:
    with PortalServer(bulk_pages=PAGES) as portal:
        path = tmp_path / "govwatch.toml"
        path.write_text(BULK.format(url=portal.url), encoding="utf-8")
        yield path


def tree_env(db_url: str, mark: str) -> dict[str, str]:
    return crawl_env(db_url) | {MARK: mark, "GOVWATCH_RECORD_WORKERS": "2"}


def wait_for_workers(mark: str, factory: sessionmaker[Session]) -> None:
    """Until the crawl records with its worker processes: the moment a crash leaves the most behind."""
    wait_for(lambda: workers_of(mark) >= (2, 1), timeout=90, what="the recording workers to start")
    wait_for(lambda: versions(factory) > 0, timeout=90, what="a recorded page")


def versions(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return session.scalar(select(func.count(Version.id))) or 0


def recrawl_completes(factory: sessionmaker[Session], db_url: str, config: Path) -> None:
    """The next crawl closes the dead run, records the rest, and doubles nothing."""
    runner = CrawlRunner(factory, db_url, config)
    result = runner.run("bulk", "manual", 120)
    assert result is not None and result.outcome == "ok", result
    assert not open_runs(factory)
    check_invariants(factory)
    assert versions(factory) == PAGES


def test_sigkill_of_the_crawl_process_takes_its_recording_workers_along(
    bulk: Path, db_url: str, session_factory: sessionmaker[Session]
) -> None:
    mark = new_mark()
    crawl = subprocess.Popen(
        [sys.executable, "-m", "crawler", "bulk", "--config", str(bulk)],
        env=tree_env(db_url, mark),
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_workers(mark, session_factory)
    finally:
        crawl.kill()  # the crawl process only: its workers are left to the kernel
        crawl.wait(timeout=30)
    assert wait_until_gone(mark) == []
    [dead] = runs(session_factory)
    assert dead.outcome == "running" and 0 < versions(session_factory) < PAGES
    recrawl_completes(session_factory, db_url, bulk)
    with session_factory() as session:
        first = session.get(CrawlRun, dead.id)
        assert (
            first is not None and first.outcome == "killed" and "ended without closing" in (first.error or "")
        )


def test_sigkill_of_the_crawl_tree_is_recorded_as_killed(
    bulk: Path, db_url: str, session_factory: sessionmaker[Session]
) -> None:
    mark = new_mark()
    runner = CrawlRunner(session_factory, db_url, bulk, env={MARK: mark, "GOVWATCH_RECORD_WORKERS": "2"})
    results = []
    thread = threading.Thread(target=lambda: results.append(runner.run("bulk", "manual", 120)))
    thread.start()
    try:
        wait_for_workers(mark, session_factory)
        [run] = open_runs(session_factory)
        assert run.pid is not None
        os.killpg(run.pid, signal.SIGKILL)  # the crawl's whole process group
    finally:
        thread.join(timeout=60)
    [killed] = results
    assert killed is not None and killed.outcome == "killed" and "SIGKILL" in (killed.error or "")
    assert wait_until_gone(mark) == []
    assert not open_runs(session_factory)
    check_invariants(session_factory)
    recrawl_completes(session_factory, db_url, bulk)


def test_sigkill_of_govwatch_crawl_takes_the_whole_crawl_along(
    bulk: Path, db_url: str, session_factory: sessionmaker[Session]
) -> None:
    mark = new_mark()
    parent = subprocess.Popen(
        [sys.executable, "-m", "scheduler.cli", "crawl", "bulk", "--config", str(bulk), "--json"],
        env=tree_env(db_url, mark),
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_workers(mark, session_factory)
    finally:
        parent.kill()
        parent.wait(timeout=30)
    assert wait_until_gone(mark) == []  # the crawl process, its workers, the resource tracker
    recrawl_completes(session_factory, db_url, bulk)


def test_sigkill_of_the_scheduler_takes_its_crawls_and_their_workers_along(
    bulk: Path, db_url: str, session_factory: sessionmaker[Session]
) -> None:
    mark = new_mark()
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "scheduler.cli", "run", "--config", str(bulk)],
        env=tree_env(db_url, mark),
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_workers(mark, session_factory)
    finally:
        scheduler.kill()
        scheduler.wait(timeout=30)
    assert wait_until_gone(mark) == []
    assert len(marked(mark)) == 0
    # The next scheduler closes the run the dead one left open and catches the source up.
    daemon = Daemon(load_config(bulk), session_factory, db_url, bulk, DaemonSettings())
    daemon.start()
    try:
        wait_for(
            lambda: len(runs(session_factory)) == 2 and not open_runs(session_factory),
            timeout=120,
            what="the catch-up crawl after the crash",
        )
    finally:
        daemon.shutdown()
    first, second = runs(session_factory)
    assert first.outcome == "killed" and "scheduler" in (first.error or "")
    assert second.trigger == "catchup" and second.outcome == "ok"
    check_invariants(session_factory)
    assert versions(session_factory) == PAGES
