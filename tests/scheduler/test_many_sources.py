"""Many sources in one launch: each has its own run row, counts and time limit; a hung one delays no other."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from portal import PortalServer
from scheduler.runner import CrawlRequest, CrawlRunner
from tests.scheduler.servers import silent_http_server
from tests.scheduler.test_daemon import runs
from tracker.models import CrawlRun, Fetch, Source, Version

pytestmark = pytest.mark.slow

SOURCES = 6
PAGES = 30
SOURCE = """
[[source]]
name = "s{n}"
start_urls = ["{url}/bulk/index.html"]
allowed_hosts = ["127.0.0.1"]
allow_private_addresses = true
obey_robots = false
download_delay = 0
concurrency = 4
"""


@pytest.fixture
def portals() -> Iterator[list[PortalServer]]:
    servers = [PortalServer(bulk_pages=PAGES + n) for n in range(SOURCES)]
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def silent_server() -> Iterator[str]:
    with silent_http_server() as url:
        yield url


@pytest.fixture(params=["interpreters", "forked"])
def launch(request: pytest.FixtureRequest) -> Iterator[Callable[[CrawlRunner], CrawlRunner]]:
    """Crawl processes started as interpreters, or forked from a zygote (``CrawlRunner.warm``)."""
    made: list[CrawlRunner] = []

    def prepare(runner: CrawlRunner) -> CrawlRunner:
        if request.param == "forked":
            runner.warm()
            assert runner.zygote is not None and runner.zygote.current is not None
            assert runner.zygote.current.alive
        made.append(runner)
        return runner

    yield prepare
    for runner in made:
        runner.close()


def test_many_sources_in_two_processes_each_get_their_own_run_and_counts(
    portals: list[PortalServer],
    tmp_path: Path,
    db_url: str,
    session_factory: sessionmaker[Session],
    launch: Callable[[CrawlRunner], CrawlRunner],
) -> None:
    config = tmp_path / "govwatch.toml"
    config.write_text("".join(SOURCE.format(n=n, url=p.url) for n, p in enumerate(portals)), encoding="utf-8")
    runner = launch(CrawlRunner(session_factory, db_url, config, processes=2))
    results = runner.run_many([CrawlRequest(f"s{n}", "manual", 120) for n in range(SOURCES)])
    assert [(r.source, r.outcome) for r in results] == [(f"s{n}", "ok") for n in range(SOURCES)]
    assert [r.counts["new_versions"] for r in results] == [PAGES + n for n in range(SOURCES)]
    assert len({r.returncode for r in results}) == 1
    rows = runs(session_factory)
    assert len(rows) == SOURCES and len({r.pid for r in rows}) == 2  # six sources, two processes
    with session_factory() as session:
        for n, row in enumerate(rows):
            assert row.outcome == "ok" and row.counts["pages"] == PAGES + n and row.finished_at is not None
            fetched = session.scalar(select(func.count(Fetch.id)).where(Fetch.crawl_run_id == row.id))
            assert fetched == PAGES + n
            per_source = session.scalar(
                select(func.count(Version.id))
                .join(Fetch, Fetch.id == Version.fetch_id)
                .join(Source, Source.id == Fetch.source_id)
                .where(Source.name == f"s{n}")
            )
            assert per_source == PAGES + n


def test_a_hanging_source_delays_no_other_source_of_its_process(
    portals: list[PortalServer],
    silent_server: str,
    tmp_path: Path,
    db_url: str,
    session_factory: sessionmaker[Session],
    launch: Callable[[CrawlRunner], CrawlRunner],
) -> None:
    config = tmp_path / "govwatch.toml"
    stuck = SOURCE.format(n="stuck", url=silent_server) + "timeout_seconds = 6\n"
    config.write_text(stuck + SOURCE.format(n=0, url=portals[0].url), encoding="utf-8")
    runner = launch(CrawlRunner(session_factory, db_url, config, processes=1, grace_seconds=3))
    started = time.monotonic()
    stuck_result, good = runner.run_many(
        [CrawlRequest("sstuck", "schedule", 6), CrawlRequest("s0", "schedule", 120)]
    )
    elapsed = time.monotonic() - started
    assert good.outcome == "ok" and good.counts["new_versions"] == PAGES
    assert stuck_result.outcome == "timeout"
    # The stuck one's limit, its grace and the process's start-up (slow on a loaded machine);
    # without the per-download deadline its last request alone would hold it 30 s longer.
    assert elapsed < 6 + 3 + 15
    with session_factory() as session:
        good_row = session.get(CrawlRun, good.run_id)
        stuck_row = session.get(CrawlRun, stuck_result.run_id)
        assert good_row is not None and stuck_row is not None
        assert good_row.pid == stuck_row.pid  # one process
        # The good source's run was closed while the stuck one was still hanging.
        assert good_row.finished_at is not None and stuck_row.finished_at is not None
        assert (stuck_row.finished_at - good_row.finished_at).total_seconds() > 2
        assert stuck_row.outcome == "timeout"
