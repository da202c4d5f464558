"""The scheduler against the built-in portal: real crawl subprocesses, real database, real signals."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from portal import PortalServer
from scheduler.daemon import Daemon, DaemonSettings
from scheduler.runner import CrawlRunner
from tests.scheduler.servers import silent_http_server, webhook_server
from tracker.config import load_config
from tracker.models import Change, CrawlRun, Delivery, Document, Fetch, SchedulerLock, Source, Version
from tracker.notify import RetryPolicy, deliver_pending

pytestmark = pytest.mark.slow

HANWEB = "/col/col1234/index.html"
TRS = "/zfxxgk/index.html"


def source_toml(name: str, platform: str, start: str, schedule: str, **extra: object) -> str:
    lines = [
        "[[source]]",
        f'name = "{name}"',
        f'platform = "{platform}"',
        f'start_urls = ["{start}"]',
        f'schedule = "{schedule}"',
        "allow_private_addresses = true",
    ]
    extra.setdefault("download_delay", 0)
    extra.setdefault("concurrency", 4)
    for key, value in extra.items():
        lines.append(f"{key} = {value!r}" if not isinstance(value, str) else f'{key} = "{value}"')
    return "\n".join(lines) + "\n\n"


@pytest.fixture
def portal() -> Iterator[PortalServer]:
    with PortalServer(state="a") as server:
        yield server


def wait_for(condition: Callable[[], bool], timeout: float = 60, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def runs(factory: sessionmaker[Session], source: str | None = None) -> list[CrawlRun]:
    with factory() as session:
        stmt = select(CrawlRun).join(Source, CrawlRun.source_id == Source.id).order_by(CrawlRun.id)
        if source:
            stmt = stmt.where(Source.name == source)
        return list(session.scalars(stmt))


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def test_scheduled_runs_happen_never_overlap_and_a_second_scheduler_is_refused(
    portal, tmp_path: Path, db_env: str, session_factory
):
    config = tmp_path / "govwatch.toml"
    config.write_text(source_toml("demo-hanweb", "hanweb", portal.url + HANWEB, "every 2s"), encoding="utf-8")
    command = [sys.executable, "-m", "scheduler.cli", "run", "--config", str(config), "--heartbeat", "1"]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        finished = lambda: [r for r in runs(session_factory) if r.finished_at is not None]  # noqa: E731
        wait_for(lambda: len(finished()) >= 3, timeout=90, what="three finished scheduled crawls")
        second = subprocess.run(command, check=False, capture_output=True, text=True, timeout=60)
        assert second.returncode == 1
        assert "another govwatch scheduler is already running" in second.stderr
        status = subprocess.run(
            [sys.executable, "-m", "scheduler.cli", "status", "--config", str(config), "--json"],
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert status.returncode == 0 and '"scheduler_alive": true' in status.stdout
    finally:
        first.send_signal(signal.SIGTERM)
        _out, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    assert "scheduler stopped" in err
    all_runs = runs(session_factory)
    assert all_runs[0].trigger == "catchup"  # never crawled: overdue at start-up
    assert {r.trigger for r in all_runs[1:]} <= {"schedule"}
    assert all(r.outcome != "running" for r in all_runs)  # the stop closed every run
    done = [r for r in all_runs if r.outcome == "ok"]
    assert len(done) >= 3
    for earlier, later in itertools.pairwise(all_runs):
        assert _aware(later.started_at) >= _aware(earlier.finished_at)  # never two at once
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(SchedulerLock)) == 0  # released on exit
        per_doc = session.execute(
            select(Version.document_id, func.count()).group_by(Version.document_id)
        ).all()
    assert per_doc and all(n == 1 for _, n in per_doc)  # unchanged portal: one version each

    # Downtime longer than the interval: the next start-up catches up once, then follows the schedule.
    time.sleep(2.5)
    restarted = Daemon(load_config(config), session_factory, db_env, config, DaemonSettings())
    restarted.start()
    try:
        wait_for(
            lambda: any(r.trigger == "catchup" for r in runs(session_factory)[len(all_runs) :]),
            what="the catch-up crawl after downtime",
        )
    finally:
        restarted.shutdown()
    after = runs(session_factory)[len(all_runs) :]
    assert after[0].trigger == "catchup"
    assert [r.trigger for r in after].count("catchup") == 1


def test_one_catch_up_run_per_overdue_source_after_downtime(
    portal, tmp_path: Path, db_url: str, session_factory
):
    config_path = tmp_path / "govwatch.toml"
    archive = tmp_path / "changes.jsonl"
    config_path.write_text(
        source_toml("demo-hanweb", "hanweb", portal.url + HANWEB, "every 10m")
        + source_toml("demo-trs", "trs", portal.url + TRS, "every 10m")
        + f'[[channel]]\nname = "archive"\ntype = "jsonl"\nurl = "{archive}"\n',
        encoding="utf-8",
    )
    now = datetime.now(UTC)
    with session_factory() as session, session.begin():
        for name, ago in (("demo-hanweb", timedelta(hours=3)), ("demo-trs", timedelta(minutes=2))):
            source = Source(name=name)
            session.add(source)
            session.flush()
            session.add(CrawlRun(source_id=source.id, trigger="schedule", started_at=now - ago, outcome="ok"))
    config = load_config(config_path)
    daemon = Daemon(config, session_factory, db_url, config_path, DaemonSettings(heartbeat_seconds=1))
    daemon.start()
    try:
        wait_for(archive.exists, what="the notification sent after the catch-up crawl")
        time.sleep(1.5)  # would reveal a second (duplicate) catch-up or message
        next_runs = daemon.next_runs()
    finally:
        daemon.shutdown()
    hanweb = runs(session_factory, "demo-hanweb")
    assert [r.trigger for r in hanweb] == ["schedule", "catchup"]
    assert hanweb[-1].outcome == "ok"
    assert [r.trigger for r in runs(session_factory, "demo-trs")] == ["schedule"]  # not overdue
    assert next_runs["demo-hanweb"] > now + timedelta(minutes=9)
    [message] = [json.loads(line) for line in archive.read_text(encoding="utf-8").splitlines()]
    with session_factory() as session:
        run_changes = set(session.scalars(select(Change.id).where(Change.crawl_run_id == hanweb[-1].id)))
    assert message["crawl_run_id"] == hanweb[-1].id and run_changes
    assert {c["id"] for c in message["changes"]} == run_changes  # the whole run, in one message


def _pid_of_running(factory: sessionmaker[Session]) -> int | None:
    with factory() as session:
        return session.scalar(select(CrawlRun.pid).where(CrawlRun.outcome == "running"))


def _fetches(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(Fetch)) or 0


def test_crawl_killed_mid_run_leaves_no_partial_version_and_the_next_run_completes(
    portal, tmp_path: Path, db_url: str, session_factory
):
    config_path = tmp_path / "govwatch.toml"
    slow = source_toml(
        "demo-hanweb", "hanweb", portal.url + HANWEB, "every 1h", download_delay=0.5, concurrency=1
    )
    config_path.write_text(slow, encoding="utf-8")
    runner = CrawlRunner(session_factory, db_url, config_path)
    results = []
    thread = threading.Thread(target=lambda: results.append(runner.run("demo-hanweb", "manual", 120)))
    thread.start()
    wait_for(lambda: _fetches(session_factory) >= 1, what="the crawl to record a page")
    pid = _pid_of_running(session_factory)
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    thread.join(timeout=60)
    killed = results[0]
    assert killed.outcome == "killed" and "SIGKILL" in (killed.error or "")
    with session_factory() as session:
        assert session.get(CrawlRun, killed.run_id).outcome == "killed"
        for version in session.scalars(select(Version)):
            assert version.snapshot and version.fingerprint and version.blob_sha256
            assert session.get(Document, version.document_id).latest_version_id is not None
        documents_before = session.scalar(select(func.count()).select_from(Document))
    again = runner.run("demo-hanweb", "manual", 120)
    assert again is not None and again.outcome == "ok"
    with session_factory() as session:
        per_doc = dict(
            session.execute(select(Version.document_id, func.count()).group_by(Version.document_id)).all()
        )
        added = session.execute(
            select(Change.document_id, func.count())
            .where(Change.kind == "document_added")
            .group_by(Change.document_id)
        ).all()
        documents_after = session.scalar(select(func.count()).select_from(Document))
    assert documents_after >= documents_before and len(per_doc) >= 3
    assert all(n == 1 for n in per_doc.values())  # no duplicate version
    assert all(n == 1 for _, n in added)  # no duplicate event


@pytest.fixture
def hanging_server() -> Iterator[str]:
    with silent_http_server() as url:
        yield url


def test_crawl_outliving_its_time_limit_is_stopped_and_recorded_as_timeout(
    hanging_server: str, tmp_path: Path, db_url: str, session_factory
):
    config_path = tmp_path / "govwatch.toml"
    config_path.write_text(
        source_toml("stuck", "generic", hanging_server + "/xxgk/list.html", "every 1h"), encoding="utf-8"
    )
    runner = CrawlRunner(session_factory, db_url, config_path, grace_seconds=3)
    result = runner.run("stuck", "schedule", 4)
    assert result is not None and result.outcome == "timeout"
    assert "time limit" in (result.error or "")
    [row] = runs(session_factory)
    assert row.outcome == "timeout" and row.finished_at is not None


def test_webhook_down_for_two_crawls_then_up_gets_every_event_once(
    portal, tmp_path: Path, db_url: str, session_factory
):
    with webhook_server(up=False) as hook:
        config_path = tmp_path / "govwatch.toml"
        config_path.write_text(
            source_toml("demo-hanweb", "hanweb", portal.url + HANWEB, "every 1h")
            + f'[[channel]]\nname = "hook"\ntype = "webhook"\nurl = "{hook.url}"\n'
            + f'[[channel]]\nname = "targets"\ntype = "jsonl"\nurl = "{tmp_path / "t.jsonl"}"\n'
            + 'kinds = ["targets"]\n',
            encoding="utf-8",
        )
        config = load_config(config_path)
        runner = CrawlRunner(session_factory, db_url, config_path)
        policy = RetryPolicy(max_attempts=10, base_seconds=0)
        for state in ("a", "b"):
            portal.set_state(state)
            assert runner.run("demo-hanweb", "schedule", 120).outcome == "ok"
            assert not deliver_pending(session_factory, config.channels, policy=policy).ok
        hook.up = True
        report = deliver_pending(session_factory, config.channels, policy=policy)
        assert report.ok and report.messages == 2  # one digest per crawl run
        assert deliver_pending(session_factory, config.channels, policy=policy).messages == 0
    with session_factory() as session:
        change_ids = set(session.scalars(select(Change.id)))
        statuses = set(session.scalars(select(Delivery.status).where(Delivery.channel == "hook")))
    filtered = [json.loads(line) for line in (tmp_path / "t.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [c["kind"] for body in filtered for c in body["changes"]] == ["target_changed", "target_changed"]
    delivered = hook.change_ids()
    assert sorted(delivered) == sorted(change_ids) and len(delivered) == len(set(delivered))
    assert statuses == {"sent"}
    text = "\n".join(body["text"] for body in hook.received)
    assert "目标调整 地区生产总值：5.5%左右 → 6%左右" in text
    assert "信息变更 有效性：有效 → 废止" in text


def test_stopping_the_scheduler_stops_the_running_crawl_cleanly(
    portal, tmp_path: Path, db_url: str, session_factory
):
    config_path = tmp_path / "govwatch.toml"
    slow = source_toml(
        "demo-hanweb", "hanweb", portal.url + HANWEB, "every 1h", download_delay=1.0, concurrency=1
    )
    config_path.write_text(slow, encoding="utf-8")
    daemon = Daemon(load_config(config_path), session_factory, db_url, config_path, DaemonSettings())
    daemon.start()  # never crawled: the catch-up crawl starts at once
    try:
        wait_for(lambda: _fetches(session_factory) >= 1, what="the catch-up crawl to record a page")
    finally:
        daemon.shutdown()
    [run] = runs(session_factory)
    assert run.outcome == "interrupted" and run.finished_at is not None
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(SchedulerLock)) == 0
        versions = list(session.scalars(select(Version)))
        for version in versions:
            assert session.get(Document, version.document_id).latest_version_id == version.id
    assert versions  # what was recorded before the stop is complete and kept


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="crawls follow their scheduler on Linux")
def test_a_scheduler_killed_with_sigkill_takes_its_crawl_along_and_the_next_one_catches_up(
    hanging_server: str, tmp_path: Path, db_env: str, session_factory
):
    config = tmp_path / "govwatch.toml"
    config.write_text(
        source_toml("stuck", "generic", hanging_server + "/xxgk/list.html", "every 1h", timeout_seconds=3),
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "scheduler.cli", "run", "--config", str(config)]
    doomed = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: _pid_of_running(session_factory) is not None, what="the catch-up crawl to start")
        crawl_pid = _pid_of_running(session_factory)
    finally:
        doomed.kill()
        doomed.wait(timeout=30)
    assert crawl_pid is not None
    # Waiting on a portal that never answers, the crawl would live on for minutes by itself.
    wait_for(lambda: not _alive(crawl_pid), timeout=10, what="the orphaned crawl to stop")
    # A fresh scheduler (the lease of a dead process on this host is taken over at once)
    # closes the run the dead one left open, and crawls again: that crawl never checked the source.
    daemon = Daemon(load_config(config), session_factory, db_env, config, DaemonSettings())
    daemon.start()
    try:
        wait_for(lambda: len(runs(session_factory)) == 2, what="the catch-up crawl after the crash")
    finally:
        daemon.shutdown()
    first, second = runs(session_factory)
    assert first.outcome == "killed" and "scheduler" in (first.error or "")
    assert second.trigger == "catchup"
