"""``govwatch crawl`` / ``govwatch sources``: exit codes, signals and safety refusals of crawl processes."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from portal import PortalServer
from tests.crawler.conftest import REPO, crawl_env, start_crawl, write_config
from tracker import runs
from tracker.models import CrawlRun, Version

pytestmark = pytest.mark.slow

PRIVATE = """
[[source]]
name = "no-private"
start_urls = ["{url}/xxgk/list.html"]
allowed_hosts = ["127.0.0.1"]
download_delay = 0
"""

BULK = """
[[source]]
name = "bulk"
start_urls = ["{url}/bulk/index.html"]
allowed_hosts = ["127.0.0.1"]
allow_private_addresses = true
download_delay = 0.1
concurrency = 1
max_pages = 100
"""


def govwatch(*args: str, db_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scheduler.cli", *args],
        check=False,
        env=crawl_env(db_url),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_crawl_command_reports_each_source_and_exits_partial(
    portal: PortalServer, tmp_path: Path, db_url: str, session_factory: sessionmaker[Session]
) -> None:
    config = write_config(tmp_path, portal)
    result = govwatch("crawl", "demo-trs", "demo-generic", "--config", str(config), "--json", db_url=db_url)
    summaries = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(s["source"], s["outcome"]) for s in summaries] == [
        ("demo-trs", "ok"),
        ("demo-generic", "partial"),
    ]
    assert result.returncode == 4, result.stderr
    with session_factory() as session:
        runs = session.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
        assert [(r.trigger, r.outcome) for r in runs] == [("manual", "ok"), ("manual", "partial")]
        assert session.scalar(select(func.count(Version.id))) == 8


def test_private_addresses_are_refused_unless_allowed(
    portal: PortalServer, tmp_path: Path, db_url: str
) -> None:
    config = write_config(tmp_path, portal, PRIVATE.format(url=portal.url))
    result = govwatch("crawl", "no-private", "--config", str(config), "--json", db_url=db_url)
    assert result.returncode == 1  # the source failed entirely
    summary = json.loads(result.stdout.splitlines()[-1])
    assert summary["outcome"] == "failed" and summary["counts"]["list_errors"] == 1
    assert not any(h.path == "/xxgk/list.html" for h in portal.hits)  # nothing was sent


def test_bad_config_and_unknown_source_exit_2(
    portal: PortalServer, tmp_path: Path, db_url: str, session_factory: sessionmaker[Session]
) -> None:
    config = write_config(tmp_path, portal)
    assert govwatch("crawl", "nope", "--config", str(config), db_url=db_url).returncode == 2
    with session_factory.begin() as session:
        run_id = runs.start_run(session, "nope", "schedule", pid=None)
    assert start_crawl("nope", config, db_url, "--run-id", str(run_id)).wait(timeout=60) == 2
    with session_factory() as session:
        run = session.get(CrawlRun, run_id)
        assert run is not None and run.outcome == "failed" and "no source named 'nope'" in (run.error or "")
    broken = tmp_path / "broken.toml"
    broken.write_text('[[source]]\nname = "x"\n', encoding="utf-8")
    result = govwatch("sources", "--config", str(broken), "--check", db_url=db_url)
    assert result.returncode == 2 and "field 'start_urls' is required" in result.stderr
    direct = start_crawl("x", broken, db_url)
    assert direct.wait(timeout=60) == 2


def test_sources_lists_the_file(portal: PortalServer, tmp_path: Path, db_url: str) -> None:
    config = write_config(tmp_path, portal)
    result = govwatch("sources", "--config", str(config), "--json", db_url=db_url)
    assert result.returncode == 0
    assert [json.loads(line)["platform"] for line in result.stdout.splitlines()] == [
        "hanweb",
        "trs",
        "generic",
    ]
    assert govwatch("sources", "--config", str(config), "--check", db_url=db_url).stdout.startswith("ok:")


def test_sigterm_stops_gracefully_and_marks_the_run_interrupted(
    tmp_path: Path, db_url: str, session_factory: sessionmaker[Session]
) -> None:
    with PortalServer(bulk_pages=200) as portal:
        config = write_config(tmp_path, portal, BULK.format(url=portal.url))
        proc = start_crawl("bulk", config, db_url)
        assert proc.stdout is not None
        first = json.loads(proc.stdout.readline())  # crawling has begun
        assert first["event"] == "progress"
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130
    summary = json.loads(out.splitlines()[-1])
    assert summary["outcome"] == "interrupted"
    with session_factory() as session:
        run = session.get(CrawlRun, summary["run_id"])
        assert run is not None and run.outcome == "interrupted" and run.finished_at is not None
        versions = session.scalar(select(func.count(Version.id)))
    assert 0 < versions < 200  # stopped early; every recorded page is complete


FAST = """
[[source]]
name = "fast"
start_urls = ["{url}/bulk/index.html"]
allowed_hosts = ["127.0.0.1"]
allow_private_addresses = true
obey_robots = false
download_delay = 0
concurrency = 16
"""


def test_a_backlog_moves_recording_to_worker_processes(
    tmp_path: Path, db_url: str, session_factory: sessionmaker[Session]
) -> None:
    with PortalServer(bulk_pages=120) as portal:
        config = write_config(tmp_path, portal, FAST.format(url=portal.url))
        env = crawl_env(db_url) | {"GOVWATCH_RECORD_WORKERS": "2"}
        proc = subprocess.run(
            [sys.executable, "-m", "crawler", "fast", "--config", str(config), "--progress", "json", "-v"],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "starting 2 worker processes" in proc.stderr
    summary = json.loads(proc.stdout.splitlines()[-1])
    assert summary["counts"]["pages"] == 120 and summary["counts"]["new_versions"] == 120
    with session_factory() as session:
        assert session.scalar(select(func.count(Version.id))) == 120  # every page, once
