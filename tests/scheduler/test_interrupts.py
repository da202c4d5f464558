"""A Ctrl-C (or SIGTERM) stops a crawl and is waited for: nothing keeps crawling unseen, nothing is lost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from portal import PortalServer
from scheduler.interrupts import run_until_done
from tests.crawler.conftest import REPO, crawl_env, wait_for_a_version, write_config
from tests.crawler.test_cli import BULK
from tracker.models import CrawlRun, Version


def test_a_ctrl_c_stops_the_work_and_waits_for_it_instead_of_raising():
    stop = threading.Event()

    def work() -> str:
        threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGINT)).start()
        return "stopped" if stop.wait(30) else "ran to the end"

    before = signal.getsignal(signal.SIGINT)
    assert run_until_done(work, stop, name="test") == ("stopped", True)
    assert signal.getsignal(signal.SIGINT) is before


def test_work_that_ends_by_itself_is_not_reported_interrupted():
    assert run_until_done(lambda: 42, threading.Event(), name="test") == (42, False)


@pytest.mark.slow
def test_ctrl_c_stops_govwatch_crawl_with_every_recorded_page_kept(
    tmp_path: Path, db_url: str, session_factory: sessionmaker[Session]
) -> None:
    with PortalServer(bulk_pages=200) as portal:
        config = write_config(tmp_path, portal, BULK.format(url=portal.url))
        crawling = subprocess.Popen(
            [sys.executable, "-m", "scheduler.cli", "crawl", "bulk", "--config", str(config), "--json"],
            env=crawl_env(db_url),
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        wait_for_a_version(session_factory, crawling)
        crawling.send_signal(signal.SIGINT)
        out, err = crawling.communicate(timeout=60)
    assert crawling.returncode == 130, out + err
    assert "Traceback" not in err
    assert json.loads(out.splitlines()[-1])["outcome"] == "interrupted"
    with session_factory() as session:
        (run,) = session.scalars(select(CrawlRun)).all()
        assert run.outcome == "interrupted" and run.finished_at is not None
        assert 0 < session.scalar(select(func.count(Version.id))) < 200
