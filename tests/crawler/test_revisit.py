"""Real crawls of an unchanged portal: list pages that answer 304 still lead to their documents,
unchanged 200s are recorded by their raw bodies."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from portal.http import PortalHTTPServer
from portal.server import BULK_PER_LIST, bulk_resource
from tests.crawler.conftest import start_crawl
from tracker.db import make_engine, upgrade
from tracker.models import Fetch, ListLinks, Version

pytestmark = pytest.mark.slow

DOCUMENTS = 45  # three list pages of BULK_PER_LIST
LISTS = -(-DOCUMENTS // BULK_PER_LIST)


@dataclass
class Portal:
    """Bulk list pages with an ETag (304 on a match); detail pages with no validators at all."""

    url: str = ""
    hits: list[tuple[str, int, bool]] = field(default_factory=list)  # path, status, conditional
    lock: threading.Lock = field(default_factory=threading.Lock)


def serve(portal: Portal) -> PortalHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            res = bulk_resource(self.path, DOCUMENTS)
            conditional = "If-None-Match" in self.headers
            if res is None:
                status, body, headers = 404, b"not found", {}
            else:
                body = res.body
                status, headers = 200, {"Content-Type": res.content_type}
                if "/index" in self.path:
                    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                    headers["ETag"] = etag
                    if self.headers.get("If-None-Match") == etag:
                        status, body = 304, b""
            with portal.lock:
                portal.hits.append((self.path, status, conditional))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = PortalHTTPServer(("127.0.0.1", 0), Handler)
    portal.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


@pytest.fixture
def portal() -> Iterator[Portal]:
    portal = Portal()
    httpd = serve(portal)
    yield portal
    httpd.shutdown()
    httpd.server_close()


def crawl(config: Path, db_url: str) -> dict[str, Any]:
    proc = start_crawl("bulk", config, db_url)
    out, err = proc.communicate(timeout=180)
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert lines and lines[-1]["event"] == "summary", f"{out}\n{err}"
    summary: dict[str, Any] = lines[-1]
    return summary


def test_an_unchanged_recrawl_follows_304_lists_and_normalises_nothing(
    portal: Portal, db_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "govwatch.toml"
    config.write_text(
        f"""[[source]]
name = "bulk"
platform = "trs"
start_urls = ["{portal.url}/bulk/index.html"]
allowed_hosts = ["127.0.0.1"]
allow_private_addresses = true
obey_robots = false
download_delay = 0
concurrency = 4
""",
        encoding="utf-8",
    )
    engine = make_engine(db_url)
    upgrade(engine)
    first = crawl(config, db_url)
    assert first["counts"]["new_versions"] == DOCUMENTS
    assert first["counts"]["list_pages_not_modified"] == 0
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(ListLinks)) == LISTS
    before = len(portal.hits)

    second = crawl(config, db_url)
    counts = second["counts"]
    hits = portal.hits[before:]
    lists = [(path, status, conditional) for path, status, conditional in hits if "/index" in path]
    # Every list page asked for conditionally and answered 304: the pager was followed from the
    # stored links, since a 304 has nothing to parse.
    assert sorted(path for path, _, _ in lists) == sorted(
        ["/bulk/index.html"] + [f"/bulk/index_{k}.html" for k in range(1, LISTS)]
    )
    assert all(status == 304 and conditional for _, status, conditional in lists)
    assert counts["list_pages_not_modified"] == LISTS and counts["list_errors"] == 0
    # Each document once, each an unchanged 200 recognised by its raw body: none normalised.
    details = [path for path, _, _ in hits if "/doc/" in path]
    assert len(details) == len(set(details)) == DOCUMENTS
    assert counts["unchanged"] == counts["unchanged_bodies"] == DOCUMENTS
    assert counts["new_versions"] == 0 and second["outcome"] == "ok"
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Version)) == DOCUMENTS
        outcomes = conn.scalars(select(Fetch.outcome).where(Fetch.crawl_run_id == second["run_id"])).all()
    assert sorted(outcomes) == ["unchanged"] * DOCUMENTS
    engine.dispose()


def test_only_a_recent_full_fetch_of_a_get_list_makes_its_request_conditional() -> None:
    from datetime import UTC, datetime

    import scrapy

    from crawler.revisit import KEY, MAX_AGE, Links, ListRevisit, _digest

    now = datetime.now(UTC)
    link = [{"page": "http://127.0.0.1/doc/1.shtml", "depth": 1, "kind": "detail"}]
    revisit = ListRevisit(
        {
            _digest("GET recent "): Links(
                "http://127.0.0.1/a", '"e1"', "Mon, 01 Jan 2024 00:00:00 GMT", link
            ),
            _digest("GET old "): Links("http://127.0.0.1/b", '"e2"', None, link, now - MAX_AGE * 2),
            _digest("GET empty "): Links("http://127.0.0.1/c", '"e3"', None, []),
        }
    )

    def asked(key: str, **kwargs: Any) -> dict[str, str]:
        request = scrapy.Request("http://127.0.0.1/list", **kwargs)
        revisit.condition(request, key)
        assert request.meta.get(KEY) == (key if request.method == "GET" else None)
        return {k.decode(): v[0].decode() for k, v in request.headers.items() if k.startswith(b"If-")}

    assert asked("GET recent ") == {
        "If-None-Match": '"e1"',
        "If-Modified-Since": "Mon, 01 Jan 2024 00:00:00 GMT",
    }
    assert asked("GET old ") == {}  # trusted for MAX_AGE only: then parsed in full again
    assert asked("GET empty ") == {}  # nothing to follow from a 304
    assert asked("GET unknown ") == {}
    assert asked("POST recent x=1", method="POST", body="x=1") == {}  # forms are always fetched
