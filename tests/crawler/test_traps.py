"""A list that never ends and a calendar of ever-new dates: the crawl stops at its bound and says so."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from portal.http import PortalHTTPServer
from tests.crawler.conftest import start_crawl

pytestmark = pytest.mark.slow


def _list_page(n: int) -> bytes:
    days = "".join(f'<a href="/list.html?page={n}&date=2024-03-{d:02d}">{d}</a>' for d in range(1, 29))
    items = "".join(
        f'<li><a href="/p/{n}-{k}">第{n}页第{k}篇通知的标题文字</a><span>2024-03-{k:02d}</span></li>'
        for k in (1, 2, 3)
    )
    return (
        "<html><head><meta charset='utf-8'><title>通知公告</title></head><body>"
        f"<div class='calendar'>{days}"
        f"<a href='/list.html?page={n}&month=2024-{n % 12 + 1:02d}'>下月</a></div>"
        f"<ul class='list'>{items}</ul>"
        f"<div class='pager'><a href='/list.html?page={n + 1}'>下一页</a></div></body></html>"
    ).encode()


HITS: list[str] = []


class Endless(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        HITS.append(self.path)
        if parts.path == "/list.html":
            body = _list_page(int(parse_qs(parts.query).get("page", ["1"])[0]))
        elif re.fullmatch(r"/p/\d+-\d", parts.path):
            body = f"<html><body><h1>通知</h1><p>{'正文内容。' * 60}</p></body></html>".encode()
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def summary(module_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    httpd = PortalHTTPServer(("127.0.0.1", 0), Endless)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    config = Path(tmp_path_factory.mktemp("trap")) / "govwatch.toml"
    config.write_text(
        f"""[[source]]
name = "endless"
start_urls = ["http://127.0.0.1:{httpd.server_address[1]}/list.html"]
allowed_hosts = ["127.0.0.1"]
allow_private_addresses = true
download_delay = 0
max_pages = 4
""",
        encoding="utf-8",
    )
    try:
        proc = start_crawl("endless", config, module_db_url)
        out, err = proc.communicate(timeout=120)
        assert out.strip(), err[-3000:]
        yield json.loads(out.splitlines()[-1])
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_an_endless_list_stops_at_max_pages_and_says_so(summary: dict) -> None:
    lists = [hit for hit in HITS if hit.startswith("/list.html")]
    assert summary["counts"]["list_pages"] == 4 == len(lists)
    assert any("max_pages=4" in error for error in summary["errors"])
    # The three documents of each list page fetched were crawled, nothing else.
    assert summary["counts"]["pages"] == 12


def test_calendar_links_are_not_list_pages(summary: dict) -> None:
    assert not any("date=" in hit or "month=" in hit for hit in HITS)
