"""The one-scheduler lease, the catch-up policy, schedules and the Atom feed, on a real database."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import pytest
from sqlalchemy import update

from scheduler.catchup import close_orphans, due_sources
from scheduler.lock import LockHeld, LockLost, SchedulerLease, current_holder
from tests.scheduler.rows import add_run_with_changes
from tracker.feed import build_feed, feed_xml
from tracker.models import CrawlRun, SchedulerLock, Source
from tracker.schedule import ScheduleError, parse_schedule

ATOM = "{http://www.w3.org/2005/Atom}"


def test_second_scheduler_is_refused_until_the_first_releases(session_factory):
    first = SchedulerLease(session_factory)
    second = SchedulerLease(session_factory)
    first.acquire()
    with pytest.raises(LockHeld, match="another govwatch scheduler is already running"):
        second.acquire()
    first.heartbeat()
    first.release()
    second.acquire()
    assert second.held() and not first.held()


def test_stale_lease_is_taken_over_and_the_old_holder_learns_it(session_factory):
    old = SchedulerLease(session_factory, stale_after=timedelta(seconds=60))
    old.acquire()
    with session_factory() as session, session.begin():
        session.execute(update(SchedulerLock).values(heartbeat_at=datetime.now(UTC) - timedelta(seconds=120)))
    new = SchedulerLease(session_factory, stale_after=timedelta(seconds=60))
    new.acquire()
    with pytest.raises(LockLost):
        old.heartbeat()
    old.release()  # must not release someone else's lease
    with session_factory() as session:
        assert current_holder(session).holder == new.holder


def test_lease_of_a_dead_local_process_is_taken_over_at_once(session_factory):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    import socket

    ghost = SchedulerLease(session_factory, holder=f"{socket.gethostname()}:{dead.pid}:deadbeef")
    ghost.acquire()
    SchedulerLease(session_factory).acquire()


def _run(factory, source: str, started: datetime, outcome: str = "ok") -> None:
    with factory() as session, session.begin():
        src = session.query(Source).filter_by(name=source).one_or_none() or Source(name=source)
        session.add(src)
        session.flush()
        session.add(CrawlRun(source_id=src.id, trigger="schedule", started_at=started, outcome=outcome))


def test_catch_up_policy_one_run_per_overdue_source(session_factory):
    now = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    _run(session_factory, "fresh", now - timedelta(minutes=30))
    _run(session_factory, "stale", now - timedelta(hours=7))
    _run(session_factory, "stale", now - timedelta(hours=30))
    schedules = [(name, parse_schedule("every 6h")) for name in ("fresh", "stale", "never")]
    with session_factory() as session:
        due = {d.source: d for d in due_sources(session, schedules, now)}
    assert not due["fresh"].overdue
    assert due["fresh"].due_at == now + timedelta(hours=5, minutes=30)
    assert due["stale"].overdue and due["stale"].due_at == now - timedelta(hours=1)
    assert due["never"].overdue and due["never"].last_started is None


def test_cron_schedules_and_bad_schedules():
    daily = parse_schedule("0 6 * * *")
    after = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)
    nxt = daily.next_after(after, tz=UTC)
    assert (nxt.day, nxt.hour, nxt.minute) == (22, 6, 0)
    assert parse_schedule("every 30s").interval == timedelta(seconds=30)
    with pytest.raises(ScheduleError):
        parse_schedule("whenever")
    with pytest.raises(ScheduleError):
        parse_schedule("99 * * * *")


def test_orphaned_running_rows_are_closed_as_killed(session_factory):
    _run(session_factory, "wuxi", datetime.now(UTC) - timedelta(hours=3), outcome="running")
    _run(session_factory, "wuxi", datetime.now(UTC) - timedelta(seconds=5), outcome="running")
    with session_factory() as session, session.begin():
        closed = close_orphans(session, {"wuxi": 3600}, grace=timedelta(seconds=20))
    assert closed == 1
    with session_factory() as session:
        outcomes = sorted(r.outcome for r in session.query(CrawlRun))
    assert outcomes == ["killed", "running"]


def test_atom_feed_lists_each_change_and_escapes_page_text(session_factory):
    add_run_with_changes(session_factory, source="wuxi", documents=2, title="<script>alert(1)</script>&计划")
    add_run_with_changes(session_factory, source="changzhou", documents=1)
    with session_factory() as session:
        xml = feed_xml(session, source="wuxi", limit=50)
        everything = ElementTree.fromstring(feed_xml(session))
    root = ElementTree.fromstring(xml)
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 4
    assert len(everything.findall(f"{ATOM}entry")) == 6
    titles = [e.findtext(f"{ATOM}title") for e in entries]
    assert all("<script>alert(1)</script>&计划" in t for t in titles)
    assert sum("】目标调整 地区生产总值增长：5.5%左右 → 6%左右" in t for t in titles) == 2  # the event itself
    assert b"<script>" not in xml  # escaped by feedgen, never raw markup
    content = entries[0].findtext(f"{ATOM}content")
    assert "→" in content
    links = {e.find(f"{ATOM}link").get("href") for e in entries}
    assert all(link.startswith("http://127.0.0.1/art/") for link in links)
    assert len({e.findtext(f"{ATOM}id") for e in entries}) == 4


def test_empty_feed_is_valid_atom():
    root = ElementTree.fromstring(build_feed([]))
    assert root.tag == f"{ATOM}feed" and root.findall(f"{ATOM}entry") == []


def test_a_crawl_cut_short_does_not_count_as_the_last_crawl(session_factory):
    now = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    _run(session_factory, "crashed", now - timedelta(hours=7))
    _run(session_factory, "crashed", now - timedelta(minutes=5), outcome="killed")
    _run(session_factory, "stopped", now - timedelta(minutes=5), outcome="interrupted")
    _run(session_factory, "timed-out", now - timedelta(minutes=5), outcome="timeout")
    schedules = [(name, parse_schedule("every 6h")) for name in ("crashed", "stopped", "timed-out")]
    with session_factory() as session:
        due = {d.source: d for d in due_sources(session, schedules, now)}
    assert due["crashed"].overdue and due["crashed"].last_started == now - timedelta(hours=7)
    assert due["stopped"].overdue and due["stopped"].last_started is None
    assert not due["timed-out"].overdue  # the portal was too slow: that was a real check


def test_start_up_closes_every_run_a_dead_scheduler_left_open_but_no_manual_one(session_factory):
    recent = datetime.now(UTC) - timedelta(seconds=5)
    _run(session_factory, "wuxi", recent, outcome="running")  # trigger "schedule"
    with session_factory() as session, session.begin():
        src = session.query(Source).filter_by(name="wuxi").one()
        session.add(CrawlRun(source_id=src.id, trigger="manual", started_at=recent, outcome="running"))
    with session_factory() as session, session.begin():
        assert close_orphans(session, {"wuxi": 3600}, grace=timedelta(seconds=20)) == 0
        assert close_orphans(session, {"wuxi": 3600}, timedelta(seconds=20), scheduler_gone=True) == 1
    with session_factory() as session:
        outcomes = {r.trigger: (r.outcome, r.error) for r in session.query(CrawlRun)}
    assert outcomes["schedule"][0] == "killed" and "scheduler" in outcomes["schedule"][1]
    assert outcomes["manual"] == ("running", None)  # may be a `govwatch crawl` on another machine


def test_sources_being_crawled_now_are_never_closed(session_factory):
    _run(session_factory, "wuxi", datetime.now(UTC) - timedelta(hours=3), outcome="running")
    with session_factory() as session, session.begin():
        assert close_orphans(session, {"wuxi": 60}, timedelta(seconds=20), busy={"wuxi"}) == 0
        assert close_orphans(session, {"wuxi": 60}, timedelta(seconds=20)) == 1


def test_jobs_are_rebuilt_in_memory_from_the_sources_file_with_jitter_and_one_instance(
    session_factory, db_url: str
):
    from apscheduler.jobstores.memory import MemoryJobStore
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    from scheduler.daemon import Daemon, DaemonSettings
    from tracker.config import parse_config

    config = parse_config(
        '[[source]]\nname = "every"\nstart_urls = ["https://a.example.gov.cn/"]\n'
        'schedule = "every 6h"\njitter_seconds = 300\n\n'
        '[[source]]\nname = "daily"\nstart_urls = ["https://b.example.gov.cn/"]\n'
        'schedule = "0 6 * * *"\njitter_seconds = 60\n\n'
        '[[source]]\nname = "by-hand"\nstart_urls = ["https://c.example.gov.cn/"]\n'
    )
    daemon = Daemon(config, session_factory, db_url, settings=DaemonSettings(catch_up=False))
    daemon.start()
    try:
        jobs = {job.id: job for job in daemon.scheduler.get_jobs()}
        stores = daemon.scheduler._jobstores  # nothing public lists the job stores
    finally:
        daemon.shutdown()
    assert set(jobs) == {"crawl:every", "crawl:daily", "lease-heartbeat", "notify-retry"}
    assert list(stores) == ["default"] and isinstance(stores["default"], MemoryJobStore)
    assert all(job.max_instances == 1 and job.coalesce for job in jobs.values())
    every, daily = jobs["crawl:every"].trigger, jobs["crawl:daily"].trigger
    assert isinstance(every, IntervalTrigger) and every.interval.total_seconds() == 6 * 3600
    assert every.jitter == 300
    assert isinstance(daily, CronTrigger) and daily.jitter == 60
    assert str(daily.fields[5]) == "6" and str(daily.fields[6]) == "0"  # hour, minute


def test_a_crawl_that_cannot_start_closes_its_run_as_failed(session_factory, db_url: str, tmp_path):
    from scheduler.runner import CrawlRunner

    runner = CrawlRunner(session_factory, db_url, python=str(tmp_path / "no-such-python"))
    result = runner.run("wuxi", "schedule", 60)
    assert result is not None and result.outcome == "failed"
    assert "could not start the crawl process" in (result.error or "")
    with session_factory() as session:
        [run] = session.query(CrawlRun).all()
    assert run.outcome == "failed" and run.finished_at is not None and "no-such-python" in run.error
    assert not runner.is_running("wuxi")


def test_a_source_crawled_by_another_process_is_skipped_not_crawled_twice(session_factory, db_url: str):
    import os

    from scheduler.runner import CrawlRunner

    with session_factory() as session, session.begin():
        src = Source(name="wuxi")
        session.add(src)
        session.flush()
        # A live process (this one) holds a run of the source, e.g. `govwatch crawl wuxi`.
        session.add(CrawlRun(source_id=src.id, trigger="manual", outcome="running", pid=os.getpid()))
    runner = CrawlRunner(session_factory, db_url, python="/no/such/python")
    assert runner.run("wuxi", "schedule", 3600) is None
    with session_factory() as session:
        assert [r.outcome for r in session.query(CrawlRun)] == ["running"]  # nothing started
