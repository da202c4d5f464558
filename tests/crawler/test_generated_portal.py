"""Real crawls of a small generated portal (2 sites) from their home pages, through two states."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from portal.generator import GeneratedPortal, route_key
from tests.crawler.conftest import start_crawl
from tracker.db import make_engine, upgrade
from tracker.models import Change, CrawlRun, Document, Source

pytestmark = pytest.mark.slow

SEED = 2  # a tuning seed: a Hanweb-like site and a site of another dialect
SITES = 2
DOCS = 6


@dataclass
class Crawled:
    gp: GeneratedPortal
    events: dict[int, list[tuple[int, str, str]]]  # state -> (site, path, kind)
    documents: list[tuple[int, str]]
    exit_codes: dict[int, list[int]]


def _key(gp: GeneratedPortal, url: str) -> tuple[int, str] | None:
    parts = urlsplit(url)
    site = gp.site_of_port(parts.port or 0)
    if site is None:
        return None
    return site, route_key(parts.path + (f"?{parts.query}" if parts.query else ""))


@pytest.fixture(scope="module")
def crawled(module_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    engine = make_engine(module_db_url)
    upgrade(engine)
    with GeneratedPortal(seed=SEED, sites=SITES, docs_per_site=DOCS) as gp:
        config = Path(tmp_path_factory.mktemp("generated")) / "govwatch.toml"
        sources = [
            f'[[source]]\nname = "site{i}"\nstart_urls = ["{url}"]\nallowed_hosts = ["127.0.0.1"]\n'
            "allow_private_addresses = true\ndownload_delay = 0\nconcurrency = 4\n"
            for i, url in enumerate(gp.home_urls())
        ]
        config.write_text('[settings]\ncontact = "mailto:t@govwatch.invalid"\n\n' + "\n".join(sources))
        events: dict[int, list[tuple[int, str, str]]] = {}
        codes: dict[int, list[int]] = {}
        for state in (0, 1):
            gp.set_state(state)
            codes[state] = []
            runs = []
            for i in range(SITES):
                proc = start_crawl(f"site{i}", config, module_db_url)
                out, err = proc.communicate(timeout=180)
                summary = json.loads(out.splitlines()[-1])
                assert summary["event"] == "summary", err[-3000:]
                codes[state].append(proc.returncode)
                runs.append(summary["run_id"])
            with engine.connect() as conn:
                rows = conn.execute(
                    select(Document.url, Change.kind)
                    .join(Document, Document.id == Change.document_id)
                    .join(CrawlRun, CrawlRun.id == Change.crawl_run_id)
                    .where(CrawlRun.id.in_(runs))
                ).all()
            events[state] = [(*k, kind) for url, kind in rows if (k := _key(gp, url)) is not None]
        with engine.connect() as conn:
            urls = conn.execute(select(Document.url).join(Source, Source.id == Document.source_id)).scalars()
            documents = [k for url in urls if (k := _key(gp, url)) is not None]
        engine.dispose()
        yield Crawled(gp, events, documents, codes)


def test_the_first_crawl_from_home_pages_finds_every_document_and_attachment(crawled: Crawled) -> None:
    portal = crawled.gp.portal
    gold = set(portal.documents(0))
    added = {(site, path) for site, path, kind in crawled.events[0] if kind == "document_added"}
    assert gold <= added
    assert added <= gold | {(s, p) for s, p in crawled.documents}


def test_one_document_per_page_whatever_tokens_its_links_carry(crawled: Crawled) -> None:
    counts = Counter(crawled.documents)
    assert [key for key, n in counts.items() if n > 1] == []
    assert {crawled.gp.portal.sites[i].token for i in range(SITES)} - {""}  # the portal does use tokens


def test_the_second_state_announces_exactly_the_documents_that_came_and_went(crawled: Crawled) -> None:
    transition = crawled.gp.portal.transitions[0]
    for kind in ("document_added", "document_removed", "document_restored"):
        gold = {(e.site, e.path) for e in transition.events if e.kind == kind}
        got = {(s, p) for s, p, k in crawled.events[1] if k == kind}
        assert got == gold, kind
    # Nothing already known is announced again (a token never makes a new document).
    known = {(s, p) for s, p, k in crawled.events[0] if k == "document_added"}
    assert not {(s, p) for s, p, k in crawled.events[1] if k == "document_added"} & known
