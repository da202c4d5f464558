"""What one download may take, counted right (``crawler.transfer``), in a real crawl of a local site.

A portal slow to start answering is slow, not a slow loris: the minimum rate counts from its headers.
Under load a page may wait seconds for its first byte and then arrive at once. Counted from the
request, a 37 KB page that began after 6.5 s read as 5,700 bytes/s, below a minimum of 8,192, and
was thrown away as a transient error: a change on it was missed until the next crawl (or for
good, when the page was removed by then). A body that really trickles after such a start is
still stopped.

Every byte is counted once: Scrapy builds one download handler per scheme and each hears every
download's signals, so a 20 MB file counted by both read as 40 MB, over the 32 MB limit.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from crawler.transfer import RATE_GRACE_SECONDS
from portal.http import PortalHTTPServer
from tests.crawler.conftest import crawl_once, run_fetches
from tracker.models import Fetch

pytestmark = pytest.mark.slow

PAGE = (Path(__file__).resolve().parents[2] / "portal" / "pages" / "wuxi-2024-priorities.html").read_bytes()
LATE = "/doc/2024/05/01/1.shtml"  # headers after the grace period, then the whole page at once
LATE_TRICKLE = "/doc/2024/05/02/2.shtml"  # headers after the grace period, then a byte at a time
START_DELAY = RATE_GRACE_SECONDS + 1.5
MIN_RATE = 8192
BIG = "/files/2024/annual-report.pdf"
BIG_BYTES = 20 * 1024 * 1024  # under DOWNLOAD_MAXSIZE (32 MB), over half of it


class SlowStartSite:
    def __init__(self) -> None:
        self.stop = threading.Event()
        self.httpd = PortalHTTPServer(("127.0.0.1", 0), self.handler())
        self.port = int(self.httpd.server_address[1])
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                if path == "/list.html":
                    items = "".join(
                        f'<li><a href="{p}">关于2024年重点工作的通知{n}</a><span>2024-05-0{n}</span></li>'
                        for n, p in ((1, LATE), (2, LATE_TRICKLE))
                    )
                    items += f'<li><a href="{BIG}">2024年度报告.pdf</a></li>'
                    self.answer(f"<html><body><ul>{items}</ul></body></html>".encode())
                elif path in (LATE, LATE_TRICKLE):
                    if site.stop.wait(START_DELAY):
                        return
                    self.answer(PAGE, trickle=path == LATE_TRICKLE)
                elif path == BIG:
                    self.answer(b"%PDF-1.4\n" + b"\0" * (BIG_BYTES - 9), content_type="application/pdf")
                else:
                    self.answer(b"", status=404)

            def answer(
                self,
                body: bytes,
                status: int = 200,
                trickle: bool = False,
                content_type: str = "text/html; charset=utf-8",
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.flush()
                if not trickle:
                    self.wfile.write(body)
                    return
                for byte in body:
                    if site.stop.wait(0.5):
                        return
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()

        return Handler

    def close(self) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def outcomes(module_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple]]:
    site = SlowStartSite()
    config = tmp_path_factory.mktemp("transfer") / "govwatch.toml"
    config.write_text(
        f"""
[[source]]
name = "transfer"
start_urls = ["http://127.0.0.1:{site.port}/list.html"]
allowed_hosts = ["127.0.0.1"]
allow_private_addresses = true
obey_robots = false
download_delay = 0
min_bytes_per_second = {MIN_RATE}
""",
        encoding="utf-8",
    )
    try:
        summary, _ = crawl_once("transfer", config, module_db_url)
        rows = run_fetches(module_db_url, summary["run_id"], Fetch.url, Fetch.outcome, Fetch.error)
        yield {urlsplit(url).path: (outcome, error) for url, outcome, error in rows}
    finally:
        site.close()


def test_a_page_that_starts_late_and_arrives_at_once_is_recorded(outcomes: dict[str, tuple]) -> None:
    assert len(PAGE) < MIN_RATE * START_DELAY  # counted from the request it would read as too slow
    assert outcomes[LATE] == ("new_content", None)


def test_a_body_that_trickles_after_a_late_start_is_still_stopped(outcomes: dict[str, tuple]) -> None:
    outcome, error = outcomes[LATE_TRICKLE]
    assert outcome == "transient_error"
    assert f"below the minimum of {MIN_RATE} bytes/s" in (error or "")


def test_a_file_under_the_size_limit_is_counted_once_and_kept(outcomes: dict[str, tuple]) -> None:
    assert outcomes[BIG] == ("not_a_page", None)
