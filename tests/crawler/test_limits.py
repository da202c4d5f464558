"""Trap limits and cross-host hygiene in a real crawl of a small hostile site on 127.0.0.1."""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

import pytest

from portal.http import PortalHTTPServer
from tests.crawler.conftest import crawl_once, run_fetches
from tracker.config import parse_config
from tracker.models import Fetch

pytestmark = pytest.mark.slow

LONG_URL_DIGITS = 2070  # longer than the database's URL columns, shorter than Scrapy's default limit
SLOW = [f"/doc/2024/02/0{n}/{n}.shtml" for n in range(1, 7)]
CONTACT = "mailto:ops@example.org"
OVERSIZE = 32 * 1024 * 1024 + 1


def page(title: str, body: str = "") -> bytes:
    return (
        f"<html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body><h1>{title}</h1><p>{title}的正文。</p>{body}</body></html>"
    ).encode()


@dataclass
class Hit:
    host: str
    path: str
    headers: dict[str, str]


class TrapSite:
    """An endless list, an endless redirect chain, an over-long link, cookies and slow pages."""

    def __init__(self) -> None:
        self.hits: list[Hit] = []
        self.inflight: dict[str, int] = {}
        self.max_inflight: dict[str, int] = {}
        self.lock = threading.Lock()
        self.httpd = PortalHTTPServer(("127.0.0.1", 0), self.handler())
        self.port = int(self.httpd.server_address[1])
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
                path = urlsplit(self.path).path
                with site.lock:
                    site.hits.append(Hit(host, path, {k.lower(): v for k, v in self.headers.items()}))
                    site.inflight[host] = site.inflight.get(host, 0) + 1
                    site.max_inflight[host] = max(site.max_inflight.get(host, 0), site.inflight[host])
                try:
                    status, body, headers = site.answer(host, path)
                    if path in SLOW:
                        time.sleep(0.3)
                finally:
                    with site.lock:
                        site.inflight[host] -= 1
                self.send_response(status)
                for name, value in {"Content-Type": "text/html; charset=utf-8", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(ConnectionError):  # the crawler may hang up on an oversize body
                    self.wfile.write(body)

        return Handler

    def answer(self, host: str, path: str) -> tuple[int, bytes, dict[str, str]]:
        base = f"http://127.0.0.1:{self.port}"
        if path == "/robots.txt":
            return 404, b"", {}
        if match := re.fullmatch(r"/list(?:_(\d+))?\.html", path):
            n = int(match.group(1) or 1)
            links = [f"/doc/2024/03/{n:02d}/{n}.shtml"]
            if n == 1:
                links += [
                    "/doc/2024/01/01/1.shtml",
                    f"/doc/2024/01/02/{'1' * LONG_URL_DIGITS}.shtml",
                    "/doc/2024/01/03/3.shtml",
                    "/doc/2024/01/04/4.shtml",
                    "/doc/2024/01/06/6.shtml",
                    "ftp://127.0.0.1/doc/2024/01/07/7.shtml",
                    f"http://localhost:{self.port}/doc/2024/01/08/8.shtml",
                    "/doc/2024/01/09/9.shtml",
                    *SLOW,
                ]
            anchors = "".join(f'<a href="{link}">文件</a>' for link in links)
            anchors += f'<a href="/list_{n + 1}.html">下一页</a>'  # the list never ends
            return 200, page(f"列表{n}", anchors), {"Set-Cookie": "trap=1; Path=/"}
        if path == "/doc/2024/01/01/1.shtml" or path.startswith("/hop/"):
            hop = int(path.rsplit("/", 1)[1]) + 1 if path.startswith("/hop/") else 1
            return 302, b"", {"Location": f"{base}/hop/{hop}"}  # new URL every time: not a loop
        if path == "/doc/2024/01/03/3.shtml":
            return 200, page("附件页", '<a href="/files/3.pdf">附件</a>'), {}
        if path == "/doc/2024/01/04/4.shtml":
            return 302, b"", {"Location": f"http://localhost:{self.port}/doc/2024/01/05/5.shtml"}
        if path == "/doc/2024/01/06/6.shtml":
            return 302, b"", {"Location": "ftp://127.0.0.1/doc/x.shtml"}
        if path == "/doc/2024/01/09/9.shtml":
            return 200, b" " * OVERSIZE, {}  # announced by Content-Length, not compressed
        if path.startswith("/doc/"):
            return 200, page(f"文件{path}"), {}
        return 404, page("无此页"), {}

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@dataclass
class Crawled:
    site: TrapSite
    exit_code: int
    summary: dict
    outcomes: dict[str, tuple[str, str | None, str | None]]  # path -> (outcome, final host, error)


@pytest.fixture(scope="module")
def crawled(module_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    site = TrapSite()
    config = tmp_path_factory.mktemp("traps") / "govwatch.toml"
    config.write_text(
        f"""
[settings]
contact = "{CONTACT}"

[[source]]
name = "traps"
start_urls = ["http://127.0.0.1:{site.port}/list.html"]
allowed_hosts = ["127.0.0.1", "localhost"]
allow_private_addresses = true
download_delay = 0
concurrency = 2
max_pages = 3
max_depth = 1
""",
        encoding="utf-8",
    )
    try:
        summary, exit_code = crawl_once("traps", config, module_db_url)
        columns = (Fetch.url, Fetch.outcome, Fetch.final_url, Fetch.error)
        rows = run_fetches(module_db_url, summary["run_id"], *columns)
        outcomes = {
            urlsplit(url).path: (outcome, urlsplit(final or "").hostname, error)
            for url, outcome, final, error in rows
        }
        yield Crawled(site, exit_code, summary, outcomes)
    finally:
        site.stop()


def test_list_pages_stop_at_max_pages(crawled: Crawled) -> None:
    lists = sorted(h.path for h in crawled.site.hits if h.path.startswith("/list"))
    assert lists == ["/list.html", "/list_2.html", "/list_3.html"]
    assert crawled.summary["counts"]["list_pages"] == 3


def test_attachments_beyond_max_depth_are_not_fetched(crawled: Crawled) -> None:
    paths = {h.path for h in crawled.site.hits}
    assert "/doc/2024/01/03/3.shtml" in paths
    assert "/files/3.pdf" not in paths


def test_redirect_chains_stop_after_five_hops(crawled: Crawled) -> None:
    hops = [h.path for h in crawled.site.hits if h.path.startswith("/hop/")]
    assert hops == [f"/hop/{n}" for n in range(1, 6)]
    assert crawled.outcomes["/doc/2024/01/01/1.shtml"][0] == "rejected"


def test_over_long_urls_are_never_requested_nor_break_recording(crawled: Crawled) -> None:
    assert not any(h.path.startswith("/doc/2024/01/02/") for h in crawled.site.hits)
    assert crawled.summary["counts"]["record_errors"] == 0


def test_only_http_is_followed_even_through_redirects(crawled: Crawled) -> None:
    outcome, _, error = crawled.outcomes["/doc/2024/01/06/6.shtml"]
    assert outcome == "rejected" and "bad_scheme" in (error or "")
    assert "/doc/2024/01/07/7.shtml" not in crawled.outcomes


def test_cookies_stay_with_the_host_that_set_them(crawled: Crawled) -> None:
    by_host: dict[str, list[Hit]] = {}
    for hit in crawled.site.hits:
        by_host.setdefault(hit.host, []).append(hit)
    assert {"127.0.0.1", "localhost"} <= set(by_host)
    # 127.0.0.1 set a cookie on its first list page; it goes back there, never to localhost,
    # not even on the redirect from 127.0.0.1 to localhost.
    assert any("trap=1" in h.headers.get("cookie", "") for h in by_host["127.0.0.1"])
    assert not any("cookie" in h.headers for h in by_host["localhost"])
    assert crawled.outcomes["/doc/2024/01/04/4.shtml"][:2] == ("new_content", "localhost")
    assert crawled.outcomes["/doc/2024/01/08/8.shtml"][0] == "new_content"
    assert not any("authorization" in h.headers for h in crawled.site.hits)


def test_user_agent_names_govwatch_and_the_contact(crawled: Crawled) -> None:
    agents = {h.headers.get("user-agent", "") for h in crawled.site.hits}
    assert len(agents) == 1
    agent = agents.pop()
    assert agent.startswith("govwatch/") and CONTACT in agent


def test_per_host_concurrency_is_bounded(crawled: Crawled) -> None:
    slow = [h for h in crawled.site.hits if h.path in SLOW]
    assert len(slow) == len(SLOW)
    # Six slow pages of one host queued together (the crawl may hold four): two at a time.
    assert crawled.site.max_inflight["127.0.0.1"] == 2
    assert crawled.exit_code == 4  # the refused redirects make the crawl partial


def test_default_politeness_is_robots_autothrottle_two_per_host_and_one_second() -> None:
    from crawler.settings import crawl_settings

    config = parse_config('[[source]]\nname = "a"\nstart_urls = ["https://www.wuxi.gov.cn/"]')
    settings = crawl_settings(config.sources[0], config.settings)
    assert settings["ROBOTSTXT_OBEY"] is True
    assert settings["AUTOTHROTTLE_ENABLED"] is True
    assert settings["CONCURRENT_REQUESTS_PER_DOMAIN"] == 2
    assert settings["DOWNLOAD_DELAY"] == 1.0
    assert settings["DOWNLOAD_MAXSIZE"] == 32 * 1024 * 1024
    assert settings["TELNETCONSOLE_ENABLED"] is False
    assert settings["CLOSESPIDER_TIMEOUT"] == 3600


def test_sources_sharing_a_process_share_its_budget_of_responses_in_flight() -> None:
    """Scrapy's 5 MB per crawler let 200 sources of one process hold 2.9 GB of fetched pages."""
    from crawler.run import _Batch
    from crawler.settings import RESPONSES_IN_FLIGHT_BYTES, SCRAPER_SLOT_BYTES, scraper_slot_bytes
    from tracker.runs import CrawlResult

    config = parse_config('[[source]]\nname = "a"\nstart_urls = ["https://www.wuxi.gov.cn/"]')
    low, high = SCRAPER_SLOT_BYTES
    assert scraper_slot_bytes(1) == high  # one source keeps Scrapy's default
    for crawlers in (2, 4, 50, 200, 5000):
        share = scraper_slot_bytes(crawlers)
        assert low <= share <= high
        assert share * crawlers <= max(RESPONSES_IN_FLIGHT_BYTES, low * crawlers)
    results: dict[str, CrawlResult] = {}
    batch = _Batch(config, "manual", None, None, "WARNING", results, crawlers=200)  # type: ignore[arg-type]
    assert batch.settings(config.sources[0])["SCRAPER_SLOT_MAX_ACTIVE_SIZE"] == scraper_slot_bytes(200)


def test_bodies_over_the_size_limit_are_refused(crawled: Crawled) -> None:
    outcome, _, error = crawled.outcomes["/doc/2024/01/09/9.shtml"]
    assert outcome == "rejected" and "larger than download max size" in (error or "")
