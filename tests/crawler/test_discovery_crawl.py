"""Real crawls from HOME pages of the dialect portals: columns -> lists -> details, one identity each.

Every page of these sites carries a new token in its links on every visit; the sites are crawled
twice and must yield each document once, with nothing announced the second time.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from tests.crawler.dialect_sites import (
    Crawled,
    DialectSite,
    crawl_twice,
    documents_added,
    expected_documents,
    source_block,
    stored_documents,
    write_config,
)
from tracker.db import make_engine
from tracker.models import Source, VolatileParameter

pytestmark = pytest.mark.slow

STARTS = {
    "hanweb": "/index.html",
    "news": "/",
    "wuxi": "/index.shtml",
    "trs": "/zfxxgk/ghjh/index.html",  # a column list: only that column is walked
}
# One more source on the Hanweb site: the same home page, the 规划计划 column dropped.
EXCLUDING = "hanweb-policies"


def _config(sites: dict[str, DialectSite], path: Path) -> Path:
    blocks = [
        source_block(name, f"{site.url}{STARTS[name]}", "concurrency = 4\n") for name, site in sites.items()
    ]
    blocks.append(source_block(EXCLUDING, f"{sites['hanweb'].url}/index.html", 'exclude = ["规划"]\n'))
    return write_config(path, blocks)


@pytest.fixture(scope="module")
def crawled(module_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    sites = {name: DialectSite(name) for name in STARTS}
    try:
        config = _config(sites, tmp_path_factory.mktemp("dialects") / "govwatch.toml")
        yield crawl_twice(sites, [*sites, EXCLUDING], config, module_db_url)
    finally:
        for site in sites.values():
            site.stop()


def _documents(crawled: Crawled, source: str) -> list[str]:
    return [urlsplit(url).path for url, _ in stored_documents(crawled.db_url, source)]


@pytest.mark.parametrize("source", ["hanweb", "news", "wuxi", "trs"])
def test_every_document_is_found_from_the_entry_page_once(crawled: Crawled, source: str) -> None:
    documents = _documents(crawled, source)
    pages = sorted(d for d in documents if not d.endswith(".pdf"))
    assert pages == sorted(expected_documents(source))
    assert len(documents) == len(set(documents))  # one document per page, whatever its links carried
    assert crawled.exit_codes[source] == [0, 0]


def test_hanweb_home_reaches_datastore_proxy_and_plain_pages_and_the_attachment(crawled: Crawled) -> None:
    hits = crawled.sites["hanweb"].hits
    assert "POST /module/web/jpage/dataproxy.jsp?endrecord=4&perpage=2&startrecord=3" in hits
    assert "GET /col/col102/index_2.html" in hits
    assert "/attach/0/plan.pdf" in _documents(crawled, "hanweb")


def test_second_crawl_announces_nothing_and_tokens_make_no_new_document(crawled: Crawled) -> None:
    added = documents_added(crawled.db_url)
    for source in STARTS:
        runs = [s["run_id"] for s in crawled.summaries[source]]
        assert crawled.summaries[source][1]["counts"]["changes"] == 0, source
        assert len(runs) == 2
        assert added[source] == len(_documents(crawled, source))


def test_a_parameter_that_changes_per_visit_is_learned_and_remembered(crawled: Crawled) -> None:
    engine = make_engine(crawled.db_url)
    with engine.connect() as conn:
        learned = conn.execute(
            select(Source.name, VolatileParameter.name).join(Source, Source.id == VolatileParameter.source_id)
        ).all()
    engine.dispose()
    assert ("news", "vc") in learned
    assert all(name != "hanweb" for name, _ in learned)  # uid is known as a visitor token already
    news = crawled.sites["news"].hits
    # The first crawl compared the list with a second fetch; the second crawl knew already.
    assert news.count("GET /news/tzgg/list.html") == 3


def test_pagination_ends_where_the_list_does(crawled: Crawled) -> None:
    wuxi = crawled.sites["wuxi"].hits
    assert "GET /zfxxgk/xxgkml/ghjh/index_2.shtml" in wuxi
    # index_1.shtml is guessed and answers 404: no error, the crawl stays ok (exit codes above).
    assert crawled.summaries["wuxi"][0]["counts"]["list_errors"] == 0
    trs = crawled.sites["trs"].hits
    assert "GET /zfxxgk/ghjh/index_2.html" in trs  # the stub
    assert "GET /zfxxgk/ghjh/index_3.html" not in trs  # nothing new on the stub: the walk ends
    # A column start stays in its column: no breadcrumb to the home page is followed.
    assert not any(hit.startswith("GET /zfxxgk/index") or hit == "GET /" for hit in trs)


def test_news_pages_reached_through_the_last_page_link(crawled: Crawled) -> None:
    news = crawled.sites["news"].hits
    assert {"GET /news/tzgg/list.html?page=2", "GET /news/tzgg/list.html?page=3"} <= set(news)
    assert "GET /hdjl/index.html" not in news and "GET /about.html" not in news


def test_excluded_columns_are_not_walked(crawled: Crawled) -> None:
    documents = {d for d in _documents(crawled, EXCLUDING) if not d.endswith(".pdf")}
    policies = {d for d in expected_documents("hanweb") if "art_101_" in d}
    # The home page's own news items are documents of the start page, whatever the columns.
    assert documents == policies | {"/art/2024/3/5/art_102_5.html"}
