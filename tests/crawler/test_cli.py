"""``govwatch crawl`` / ``govwatch sources``: exit codes, signals and safety refusals of crawl processes."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from portal import PortalServer, demo_config
from tests.crawler.conftest import REPO, crawl_env, start_crawl, wait_for_a_version, write_config
from tracker import runs
from tracker.db import current_revision, head_revision, make_engine
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
    assert summaries[0]["errors"] == []
    assert any(
        error.endswith("transient_error (503)") for error in summaries[1]["errors"]
    )  # says what failed
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
    missing = start_crawl("demo-trs", config, db_url, "--run-id", str(run_id + 100))
    assert missing.wait(timeout=60) == 2
    assert missing.stderr is not None and f"crawl run {run_id + 100} does not exist" in missing.stderr.read()
    with session_factory() as session:
        run = session.get(CrawlRun, run_id)
        assert run is not None and run.outcome == "failed" and "no source named 'nope'" in (run.error or "")
    broken = tmp_path / "broken.toml"
    broken.write_text('[[source]]\nname = "x"\n', encoding="utf-8")
    result = govwatch("sources", "--config", str(broken), "--check", db_url=db_url)
    assert result.returncode == 2 and "field 'start_urls' is required" in result.stderr
    direct = start_crawl("x", broken, db_url)
    assert direct.wait(timeout=60) == 2
    cron = tmp_path / "cron.toml"
    cron.write_text('[[source]]\nname = "x"\nstart_urls = ["https://x.gov.cn/"]\nschedule = "99 6 * * *"\n')
    result = govwatch("sources", "--config", str(cron), "--check", db_url=db_url)
    assert result.returncode == 2
    assert "source 'x': field 'schedule' '99 6 * * *' is not a valid cron expression" in result.stderr
    assert "maximum value (59)" in result.stderr


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


def test_a_source_is_never_crawled_twice_at_once_and_sigterm_stops_a_crawl_gracefully(
    tmp_path: Path, db_url: str, session_factory: sessionmaker[Session]
) -> None:
    with PortalServer(bulk_pages=200) as portal:
        config = write_config(tmp_path, portal, BULK.format(url=portal.url))
        both = [start_crawl("bulk", config, db_url), start_crawl("bulk", config, db_url)]
        while all(proc.poll() is None for proc in both):
            time.sleep(0.1)
        refused = next(proc for proc in both if proc.poll() is not None)
        crawling = next(proc for proc in both if proc is not refused)
        out, err = refused.communicate(timeout=60)
        assert refused.returncode == 5, err
        busy = json.loads(out.splitlines()[-1])
        assert busy["event"] == "busy" and busy["pid"] == crawling.pid
        assert "'bulk' is already being crawled by process" in err

        manual = govwatch("crawl", "bulk", "--config", str(config), "--json", db_url=db_url)
        assert manual.returncode == 5
        assert json.loads(manual.stdout.splitlines()[-1])["outcome"] == "busy"
        with session_factory() as session, pytest.raises(runs.CrawlAlreadyRunning):
            runs.start_run(session, "bulk", "schedule")  # what the scheduler does first

        # Stop it mid-crawl: once some pages are recorded, long before all 200 are.
        wait_for_a_version(session_factory, crawling)
        crawling.send_signal(signal.SIGTERM)
        out, _ = crawling.communicate(timeout=60)
    assert crawling.returncode == 130
    summary = json.loads(out.splitlines()[-1])
    assert summary["outcome"] == "interrupted"
    with session_factory() as session:
        rows = session.scalars(select(CrawlRun)).all()
        assert [(r.id, r.pid, r.outcome) for r in rows] == [(summary["run_id"], crawling.pid, "interrupted")]
        assert rows[0].finished_at is not None
        versions = session.scalar(select(func.count(Version.id)))
    assert 0 < versions < 200  # stopped early; every recorded page is complete


def test_crawls_starting_together_on_a_new_database_share_one_schema_upgrade(
    portal: PortalServer, tmp_path: Path, db_url: str
) -> None:
    config = write_config(tmp_path, portal)
    names = ["demo-hanweb", "demo-trs", "demo-generic"]
    procs = [start_crawl(name, config, db_url) for name in names]  # db_url: an empty database
    results = [proc.communicate(timeout=120) for proc in procs]
    for proc, (_, err) in zip(procs, results, strict=True):
        assert proc.returncode in (0, 4), err[-2000:]
    assert [json.loads(out.splitlines()[-1])["outcome"] for out, _ in results] == ["ok", "ok", "partial"]
    engine = make_engine(db_url)
    try:
        assert current_revision(engine) == head_revision()
        with engine.connect() as conn:
            assert conn.scalar(select(func.count(CrawlRun.id))) == 3
    finally:
        engine.dispose()


def test_a_reader_that_goes_away_does_not_leave_the_run_open(
    portal: PortalServer, tmp_path: Path, db_url: str
) -> None:
    # The scheduler reading the JSON progress died: stdout is a pipe nobody reads any more.
    config = write_config(tmp_path, portal)
    proc = start_crawl("demo-trs", config, db_url)
    assert proc.stdout is not None
    proc.stdout.close()
    _out, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, err
    assert "BrokenPipeError" not in err
    with sessionmaker(make_engine(db_url))() as session:
        run = session.scalars(select(CrawlRun)).one()
        assert run.outcome == "ok" and run.finished_at is not None
        assert run.counts["pages"] > 0
        assert (session.scalar(select(func.count()).select_from(Version)) or 0) > 0


def test_a_bad_cron_line_or_environment_value_stops_a_crawl_before_anything_is_written(
    portal: PortalServer, tmp_path: Path, db_url: str, session_factory: sessionmaker[Session]
) -> None:
    config = write_config(tmp_path, portal)
    cron = tmp_path / "cron.toml"
    cron.write_text(demo_config(portal.url, schedule="99 6 * * *"), encoding="utf-8")
    result = govwatch("crawl", "demo-trs", "--config", str(cron), db_url=db_url)
    assert result.returncode == 2 and "is not a valid cron expression" in result.stderr
    bad = crawl_env(db_url) | {"GOVWATCH_RECORD_WORKERS": "two"}
    for command in (
        [sys.executable, "-m", "scheduler.cli", "crawl", "demo-trs", "--config", str(config)],
        [sys.executable, "-m", "crawler", "demo-trs", "--config", str(config)],
    ):
        done = subprocess.run(
            command, env=bad, cwd=REPO, capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 2, done.stderr
        assert "GOVWATCH_RECORD_WORKERS='two' must be a whole number" in done.stderr
        assert "Traceback" not in done.stderr
    with session_factory() as session:
        assert session.scalar(select(func.count(CrawlRun.id))) == 0


def test_an_unusable_database_url_stops_a_direct_crawl_with_one_line(
    portal: PortalServer, tmp_path: Path
) -> None:
    config = write_config(tmp_path, portal)
    for url in ("garbage", "mysql://user@127.0.0.1/db"):
        crawl = start_crawl("demo-trs", config, url)
        out, err = crawl.communicate(timeout=60)
        assert crawl.returncode == 2, err
        assert "unsupported database URL" in err and "Traceback" not in err
        assert json.loads(out.splitlines()[0])["event"] == "error"
