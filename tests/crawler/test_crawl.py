"""Real crawls (``python -m crawler`` subprocesses, real Scrapy) of the demo portal: a, a again, then b."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from portal import DEMO_SOURCES, PortalServer, site
from portal.server import Hit
from tests.crawler.conftest import start_crawl, write_config
from tracker.db import make_engine, upgrade
from tracker.models import Change, CrawlRun, Document, Fetch, Version

pytestmark = pytest.mark.slow


@dataclass
class Phase:
    runs: dict[str, int] = field(default_factory=dict)
    exit_codes: dict[str, int] = field(default_factory=dict)
    summaries: dict[str, dict] = field(default_factory=dict)
    progress_lines: dict[str, int] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)


@dataclass
class Crawled:
    portal_url: str
    factory: sessionmaker[Session]
    phases: dict[str, Phase]


def crawl_all(portal: PortalServer, config: Path, db_url: str) -> Phase:
    """Crawl every demo source, one process each."""
    phase = Phase()
    before = len(portal.hits)
    for name in DEMO_SOURCES:
        proc = start_crawl(name, config, db_url)
        out, err = proc.communicate(timeout=120)
        lines = [json.loads(line) for line in out.splitlines() if line.strip()]
        assert lines and lines[-1]["event"] == "summary", f"{name}: {out}\n{err}"
        phase.exit_codes[name] = proc.returncode
        phase.summaries[name] = lines[-1]
        phase.runs[name] = lines[-1]["run_id"]
        phase.progress_lines[name] = sum(1 for line in lines if line["event"] == "progress")
    phase.hits = portal.hits[before:]
    return phase


@pytest.fixture(scope="module")
def crawled(module_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    engine = make_engine(module_db_url)
    upgrade(engine)  # once, before three crawls start at the same time
    with PortalServer(state="a") as portal:
        config = write_config(tmp_path_factory.mktemp("cfg"), portal)
        phases = {"a": crawl_all(portal, config, module_db_url)}
        phases["a2"] = crawl_all(portal, config, module_db_url)
        portal.set_state("b")
        phases["b"] = crawl_all(portal, config, module_db_url)
        yield Crawled(portal.url, sessionmaker(engine, expire_on_commit=False), phases)
        engine.dispose()


def fetch_outcomes(crawled: Crawled, phase: str, source: str) -> dict[str, str]:
    run_id = crawled.phases[phase].runs[source]
    with crawled.factory() as session:
        rows = session.execute(select(Fetch.url, Fetch.outcome).where(Fetch.crawl_run_id == run_id)).all()
    return {urlsplit(url).path: outcome for url, outcome in rows}


def test_first_crawl_classifies_every_fault_as_a_fetch_outcome(crawled: Crawled) -> None:
    outcomes = fetch_outcomes(crawled, "a", "demo-generic")
    assert outcomes == {
        site.DOC_CHANGZHOU: "new_content",
        site.DOC_ATTACHING: "new_content",
        site.ATTACHMENT: "not_a_page",
        site.DOC_MISSING: "gone",
        site.DOC_UNAVAILABLE: "transient_error",
        site.DOC_CHALLENGE: "new_content",
        site.DOC_BLOCKED: "blocked",
        site.DOC_FOREIGN: "rejected",
        site.DOC_LOOP: "rejected",
        site.DOC_HUGE: "rejected",
        site.DOC_FLAKY: "new_content",
    }
    phase = crawled.phases["a"]
    assert phase.exit_codes == {"demo-hanweb": 0, "demo-trs": 0, "demo-generic": 4}
    assert phase.summaries["demo-generic"]["outcome"] == "partial"
    assert phase.summaries["demo-generic"]["counts"]["blocked"] == 1
    assert all(n >= 1 for n in phase.progress_lines.values())


def test_first_crawl_respects_hosts_robots_and_retries(crawled: Crawled) -> None:
    hits = crawled.phases["a"].hits
    paths = [h.path for h in hits]
    assert site.FOREIGN_LANDING not in paths  # the off-site redirect was not followed
    assert site.OFFSITE_ATTACHMENT not in paths  # off-site links are never requested
    assert site.DOC_ROBOTS not in paths  # robots.txt obeyed
    assert "/robots.txt" in paths
    assert paths.count(site.DOC_UNAVAILABLE) == 3  # two retries, then a transient error
    challenge = [h for h in hits if h.path == site.DOC_CHALLENGE]
    assert [h.status for h in challenge] == [412, 200]
    assert site.CHALLENGE_COOKIE in challenge[1].headers.get("cookie", "")
    assert [h.status for h in hits if h.path == site.DOC_BLOCKED] == [521, 521]
    assert paths.count(site.DOC_FLAKY) == 2  # truncated once, retried
    assert all("govwatch" in h.headers.get("user-agent", "") for h in hits)
    # The challenge cookie of 127.0.0.1 never travels anywhere else, and no auth header is sent.
    assert not any("authorization" in h.headers for h in hits)


def test_first_crawl_walks_every_pagination_dialect(crawled: Crawled) -> None:
    paths = {h.path for h in crawled.phases["a"].hits}
    assert {site.DATAPROXY, "/zfxxgk/index_1.html", "/xxgk/list_2.html"} <= paths
    assert {site.ART_PRIORITIES, site.ART_PLAN, site.ART_PRINT} <= paths  # Hanweb, embedded + proxied
    assert {site.TRS_REPORT, site.TRS_PLAN_TC, site.TRS_DELETED} <= paths  # TRS, both list pages
    with crawled.factory() as session:
        runs = {r.id: r for r in session.scalars(select(CrawlRun))}
    for name, run_id in crawled.phases["a"].runs.items():
        assert runs[run_id].finished_at is not None
        assert runs[run_id].outcome == ("partial" if name == "demo-generic" else "ok")
        assert runs[run_id].counts["pages"] > 0


def test_unchanged_recrawl_sends_conditional_requests_and_adds_no_versions(crawled: Crawled) -> None:
    a2 = crawled.phases["a2"]
    with crawled.factory() as session:
        new_versions = session.scalar(
            select(func.count(Version.id))
            .join(Fetch, Fetch.id == Version.fetch_id)
            .where(Fetch.crawl_run_id.in_(a2.runs.values()))
        )
        changes = session.scalar(
            select(func.count(Change.id)).where(Change.crawl_run_id.in_(a2.runs.values()))
        )
    assert new_versions == 0
    assert changes == 0
    conditional = {
        h.path: h for h in a2.hits if "if-none-match" in h.headers or "if-modified-since" in h.headers
    }
    # Every page that sent validators was asked conditionally and answered 304.
    for path in (site.ART_PRIORITIES, site.ART_PLAN, site.ART_PRINT, site.TRS_PLAN_TC, site.ATTACHMENT):
        assert path in conditional, path
        assert conditional[path].status == 304
    assert "if-modified-since" in conditional[site.TRS_REPORT].headers  # Last-Modified only
    assert fetch_outcomes(crawled, "a2", "demo-hanweb") == dict.fromkeys(
        (site.ART_PRIORITIES, site.ART_PLAN, site.ART_PRINT), "not_modified"
    )
    assert fetch_outcomes(crawled, "a2", "demo-generic")[site.DOC_CHANGZHOU] == "unchanged"
    assert a2.exit_codes == {"demo-hanweb": 0, "demo-trs": 0, "demo-generic": 4}


def test_state_b_yields_exactly_the_expected_change_events(crawled: Crawled) -> None:
    b = crawled.phases["b"]
    with crawled.factory() as session:
        rows = session.execute(
            select(Document.url, Change.kind, Change.details)
            .join(Document, Document.id == Change.document_id)
            .where(Change.crawl_run_id.in_(b.runs.values()))
        ).all()
    events = sorted((urlsplit(url).path, kind) for url, kind, _ in rows)
    assert events == sorted(
        [
            (site.ART_PRIORITIES, "target_changed"),
            (site.ART_PRIORITIES, "target_changed"),
            (site.ART_PLAN, "metadata_changed"),
            (site.ART_NEW, "document_added"),
            (site.TRS_DELETED, "document_removed"),
        ]
    )
    indicators = {d.get("indicator") for _, kind, d in rows if kind == "target_changed"}
    assert indicators == {"地区生产总值", "社会消费品零售总额"}
    validity = [d for _, kind, d in rows if kind == "metadata_changed"]
    assert validity[0]["field"] == "validity" and validity[0]["new"] == "废止"
    # Noise and the 繁體 rendering were fetched in full (new ETag / no 304) and found unchanged.
    assert fetch_outcomes(crawled, "b", "demo-hanweb")[site.ART_PRINT] == "unchanged"
    assert fetch_outcomes(crawled, "b", "demo-trs")[site.TRS_PLAN_TC] == "unchanged"
    assert fetch_outcomes(crawled, "b", "demo-trs")[site.TRS_DELETED] == "gone"
    with crawled.factory() as session:
        status = session.scalar(select(Document.status).where(Document.url.endswith(site.TRS_DELETED)))
    assert status == "removed"
