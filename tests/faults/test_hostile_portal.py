"""Real crawls of a hostile portal: every fault is recorded as what it is, nothing false is reported.

Two crawls (``python -m crawler``) of ``tests.faults.hostile``: the first records each case's
outcome, the second must find nothing changed, since nothing on the server changed. Then
the database's invariants must hold.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from tests.crawler.conftest import REPO, crawl_env
from tests.faults.hostile import CASES, PAGES, TITLES, Case, HostileSite, hostile_site
from tests.faults.invariants import violations
from tracker.db import make_engine
from tracker.models import Change, CrawlRun, Document, Fetch, Version
from tracker.normalize import normalize

pytestmark = pytest.mark.slow


@dataclass
class Crawl:
    returncode: int
    seconds: float
    summary: dict[str, Any]


@dataclass
class Crawled:
    site: HostileSite
    engine: Engine
    crawls: list[Crawl] = field(default_factory=list)

    def fetch(self, case: Case, run: int = 0) -> Fetch:
        run_ids = [c.summary["run_id"] for c in self.crawls]
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(Fetch).where(Fetch.url == self.site.case_url(case), Fetch.crawl_run_id == run_ids[run])
            ).all()
        assert len(rows) == 1, f"{case.name}: {len(rows)} fetches in crawl {run + 1}"
        return rows[0]  # type: ignore[return-value]

    def snapshot(self, case: Case) -> dict[str, Any]:
        with self.engine.connect() as conn:
            found = conn.execute(
                select(Version.snapshot)
                .join(Document, Version.document_id == Document.id)
                .where(Document.url == self.site.case_url(case))
            ).scalar_one()
        return dict(found)


def crawl(config: Path, db_url: str) -> Crawl:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "crawler", "hostile", "--config", str(config), "--progress", "json"],
        env=crawl_env(db_url),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    summaries = [json.loads(line) for line in result.stdout.splitlines() if '"summary"' in line]
    assert summaries, result.stderr[-3000:]
    return Crawl(result.returncode, time.monotonic() - started, summaries[-1])


@pytest.fixture
def crawled(db_url: str, tmp_path: Path) -> Iterator[Crawled]:
    config = tmp_path / "govwatch.toml"
    with hostile_site() as site:
        config.write_text(site.config(), encoding="utf-8")
        engine = make_engine(db_url)
        result = Crawled(site, engine)
        result.crawls = [crawl(config, db_url), crawl(config, db_url)]
        yield result
        engine.dispose()


def test_a_hostile_portal_crawled_twice(crawled: Crawled) -> None:
    """One pair of crawls (they take a while) and every check on it, each a function below."""
    check_each_fault_is_recorded_as_what_it_is(crawled)
    check_the_second_crawl_reports_nothing_because_nothing_changed(crawled)
    check_nothing_was_fetched_from_another_port(crawled)
    check_a_page_that_never_answers_costs_one_deadline_not_three_attempts(crawled)
    check_the_endless_list_stops_at_max_pages(crawled)
    check_script_markup_and_control_characters_never_become_text(crawled)
    check_a_mislabelled_charset_is_read_as_what_it_is(crawled)
    check_a_page_of_one_huge_line_keeps_its_text(crawled)
    check_the_database_is_sound_after_every_fault(crawled)


def check_each_fault_is_recorded_as_what_it_is(crawled: Crawled) -> None:
    wrong = []
    for case in CASES:
        fetch = crawled.fetch(case)
        if fetch.outcome != case.outcome or (case.error and case.error not in (fetch.error or "")):
            wrong.append(f"{case.name}: {fetch.outcome} ({fetch.error})")
    assert wrong == []


def check_the_second_crawl_reports_nothing_because_nothing_changed(crawled: Crawled) -> None:
    first, second = (c.summary["run_id"] for c in crawled.crawls)
    with crawled.engine.connect() as conn:
        kinds = conn.execute(select(Change.crawl_run_id, Change.kind)).all()
    new_pages = sum(case.outcome in ("new_content", "not_a_page") for case in CASES)
    assert sorted(kinds) == [(first, "document_added")] * new_pages
    assert not [k for run, k in kinds if run == second]
    for case in CASES:
        again = crawled.fetch(case, run=1).outcome
        expected = "unchanged" if case.outcome in ("new_content", "not_a_page") else case.outcome
        assert again in (expected, "not_modified"), f"{case.name}: {again}"


def check_nothing_was_fetched_from_another_port(crawled: Crawled) -> None:
    assert not [key for key in crawled.site.hits if key.startswith("other ")]


def check_a_page_that_never_answers_costs_one_deadline_not_three_attempts(crawled: Crawled) -> None:
    hits = crawled.site.hits
    for number in (10, 11):  # slow headers, never answers: one connection per crawl, no retry
        assert hits[f"/doc/2024/01/01/{number}.shtml"] == len(crawled.crawls)
    assert hits["/doc/2024/01/01/18.shtml"] == 3 * len(crawled.crawls)  # a 500 is retried twice


def test_other_pages_go_on_while_a_slow_one_waits(db_url: str, tmp_path: Path) -> None:
    quick = [c for c in CASES if c.number in (1, 12, 13, 15)]
    never = next(c for c in CASES if c.number == 11)
    config = tmp_path / "govwatch.toml"
    with hostile_site() as site:
        # Two at a time: while the silent page holds one slot, the other serves the rest.
        config.write_text(
            site.config(only=[never.name, *(c.name for c in quick)], fetch_timeout=4).replace(
                "concurrency = 4", "concurrency = 2"
            ),
            encoding="utf-8",
        )
        result = crawl(config, db_url)
        engine = make_engine(db_url)
        try:
            with engine.connect() as conn:
                at = dict(conn.execute(select(Fetch.url, Fetch.fetched_at)).all())
        finally:
            engine.dispose()
        assert result.returncode == 4
        assert site.hits[never.path()] == 1
        silent = at[site.case_url(never)]
        assert all(at[site.case_url(c)] < silent for c in quick), at


def check_the_endless_list_stops_at_max_pages(crawled: Crawled) -> None:
    # Its 下一页 chain is followed, and ends at the latest at max_pages = 5: a next page that
    # brings no new link ends the chain sooner.
    hits = crawled.site.hits["/list.html"]
    assert 2 * len(crawled.crawls) <= hits <= 5 * len(crawled.crawls)
    for c in crawled.crawls:
        assert 2 <= c.summary["counts"]["list_pages"] <= 5
        assert c.returncode == 4 and c.summary["outcome"] == "partial"


def check_script_markup_and_control_characters_never_become_text(crawled: Crawled) -> None:
    snap = crawled.snapshot(next(c for c in CASES if c.number == 15))
    text = "\n".join(snap["paragraphs"])
    assert snap["title"] == TITLES[15]
    assert "正文第一段" in text and "[bold red]不是标记[/bold red]" in text
    for hostile in ("注入的脚本文字", "color:red", "alert(", "onerror", "\x1b"):
        assert hostile not in text


def check_a_mislabelled_charset_is_read_as_what_it_is(crawled: Crawled) -> None:
    gbk = (PAGES / "changzhou-2021-key-work.html").read_bytes()
    expected = normalize(gbk).snapshot
    snap = crawled.snapshot(next(c for c in CASES if c.number == 13))
    assert snap["title"] == expected["title"] and snap["paragraphs"] == expected["paragraphs"]
    assert crawled.snapshot(next(c for c in CASES if c.number == 12))["title"] == TITLES[12]


def check_a_page_of_one_huge_line_keeps_its_text(crawled: Crawled) -> None:
    snap = crawled.snapshot(next(c for c in CASES if c.number == 21))
    assert sum(len(p) for p in snap["paragraphs"]) > 3_000_000


def check_the_database_is_sound_after_every_fault(crawled: Crawled) -> None:
    assert violations(crawled.engine) == []
    with crawled.engine.connect() as conn:
        outcomes = conn.execute(select(CrawlRun.outcome)).scalars().all()
    assert outcomes == ["partial", "partial"]
