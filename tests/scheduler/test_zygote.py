"""Crawl processes forked from a zygote: each is what ``python -m crawler`` would be, none outlives it."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from crawler.zygote import KeptZygote, Zygote, ZygoteUnavailable, start_zygote
from portal import PortalServer
from scheduler.queue import WorkerState
from scheduler.runner import CrawlResult, CrawlRunner
from tests.crawler.dialect_sites import source_block
from tests.scheduler.crash import open_runs
from tests.scheduler.servers import silent_http_server
from tests.scheduler.test_daemon import wait_for
from tracker.exitcodes import EXIT_USAGE
from tracker.models import CrawlRun
from tracker.processes import process_alive

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="children follow their parent on Linux"
)


def quick_source(url: str) -> str:
    return source_block("quick", f"{url}/bulk/index.html", "obey_robots = false\n")


def stuck_source(url: str) -> str:
    return source_block("stuck", f"{url}/index.html", "obey_robots = false\ntimeout_seconds = 120\n")


@pytest.fixture
def zygote() -> Iterator[Zygote]:
    # Started without a database URL: a crawl gets the environment of its request, not the zygote's.
    made = start_zygote(env={k: v for k, v in os.environ.items() if k != "GOVWATCH_DATABASE_URL"})
    assert made is not None
    try:
        yield made
    finally:
        made.close()


def test_a_forked_crawl_answers_as_python_m_crawler_does(zygote: Zygote, tmp_path: Path) -> None:
    help_ = zygote.spawn(["--help"], dict(os.environ), cwd=str(tmp_path))
    assert help_.wait(60) == 0
    assert b"usage: python -m crawler" in help_.stdout.read()

    (tmp_path / "govwatch.toml").write_text(stuck_source("http://127.0.0.1:9"), encoding="utf-8")
    env = {**os.environ, "GOVWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    # A relative --config is read from the request's working directory.
    unknown = zygote.spawn(["nosuch", "--config", "govwatch.toml"], env, cwd=str(tmp_path))
    assert unknown.wait(60) == EXIT_USAGE
    assert b"no source named 'nosuch'" in unknown.stderr.read()


def test_a_closed_zygote_forks_nothing(zygote: Zygote) -> None:
    zygote.close()
    wait_for(lambda: not zygote.alive, timeout=30, what="the zygote to notice")
    with pytest.raises(ZygoteUnavailable):
        zygote.spawn(["--help"], dict(os.environ))


def test_an_interpreter_that_cannot_start_gives_no_zygote(tmp_path: Path) -> None:
    assert start_zygote(python=str(tmp_path / "no-such-python")) is None


def test_crawls_of_a_zygote_that_dies_end_killed_and_the_next_crawl_gets_another(
    tmp_path: Path, db_url: str, session_factory: sessionmaker[Session]
) -> None:
    with silent_http_server() as url, PortalServer(bulk_pages=5) as portal:
        config = tmp_path / "govwatch.toml"
        config.write_text(stuck_source(url) + "\n" + quick_source(portal.url), encoding="utf-8")
        runner = CrawlRunner(session_factory, db_url, config)
        runner.warm()
        assert runner.zygote is not None
        first = runner.zygote.current
        assert first is not None and first.proc is not None
        results: list[CrawlResult | None] = []
        thread = threading.Thread(target=lambda: results.append(runner.run("stuck", "manual", 120)))
        thread.start()
        try:
            wait_for(lambda: any(r.pid for r in open_runs(session_factory)), timeout=60, what="the crawl")
            [run] = open_runs(session_factory)
            assert run.pid is not None and run.pid != first.proc.pid
            assert os.getpgid(run.pid) == run.pid  # its own process group, as a stop needs
            os.kill(first.proc.pid, signal.SIGKILL)
            started = time.monotonic()
            thread.join(timeout=60)
            assert not thread.is_alive() and time.monotonic() - started < 30
            quick = runner.run("quick", "manual", 120)
            assert quick is not None and quick.outcome == "ok" and quick.counts["new_versions"] == 5
            now = runner.zygote.current
            assert now is not None and now is not first and now.alive
        finally:
            runner.close()
    [result] = results
    assert result is not None and result.outcome == "killed" and "SIGKILL" in (result.error or "")
    wait_for(lambda: not process_alive(run.pid or 0), timeout=30, what="the crawl process to go")
    assert not open_runs(session_factory)
    with session_factory() as session:
        row = session.get(CrawlRun, result.run_id)
        assert row is not None and row.outcome == "killed"


def test_a_queue_worker_replaces_a_zygote_that_was_killed(db_url: str) -> None:
    kept = WorkerState(None, db_url, zygote=KeptZygote(content=True)).zygote
    assert kept is not None
    try:
        first = kept.current
        assert first is not None and first.proc is not None and first.alive
        assert kept.get() is first
        os.kill(first.proc.pid, signal.SIGKILL)
        wait_for(lambda: not first.alive, timeout=30, what="the zygote's death to be noticed")
        second = kept.get()
        assert second is not None and second is not first and second.alive
        assert second.spawn(["--help"], dict(os.environ)).wait(60) == 0
    finally:
        kept.close()
    assert kept.current is None
