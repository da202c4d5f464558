"""A hostile portal on 127.0.0.1: every fault a real disclosure portal (or an attacker) can serve.

One detail page per case under ``/doc/2024/01/01/<n>.shtml`` (the shape the spiders follow), a
list page that is hostile itself (thousands of off-site links, an endless 下一页 chain,
``javascript:`` and over-long links, broken markup), and a second server on another port of
the same host that serves fresh content on every request, so that following a link or redirect
there would show up as changes. ``expected`` is how each case must be recorded.
"""

from __future__ import annotations

import contextlib
import gzip
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import brotli

from portal.http import PortalHTTPServer

PAGES = Path(__file__).resolve().parents[2] / "portal" / "pages"
BOMB_BYTES = 64 * 1024 * 1024  # decompressed; twice the crawl's 32 MB limit
HUGE_BYTES = 200 * 1024 * 1024
LIST_LINKS_OFFSITE = 3000
UTF8 = {"Content-Type": "text/html; charset=utf-8"}


@dataclass(frozen=True)
class Case:
    name: str
    number: int
    outcome: str  # the fetch outcome the crawl must record
    error: str | None = None  # a part of the recorded error message
    via_other_port: bool = False  # linked on the other port, recorded under that URL

    def path(self) -> str:
        return f"/doc/2024/01/01/{self.number}.shtml"


CASES: tuple[Case, ...] = (
    Case("normal page", 1, "new_content"),
    Case("gzip bomb", 2, "rejected", "too large: "),
    Case("brotli bomb", 3, "rejected", "too large: "),
    Case("redirect loop", 4, "rejected", "redirect_loop"),
    Case("redirect chain of 12", 5, "rejected", "redirect"),
    Case("redirect to another port", 6, "rejected", "offsite"),
    Case("redirect to another host", 7, "rejected", "offsite"),
    Case("link to another port", 8, "rejected", "allowed_hosts", via_other_port=True),
    Case("slow loris body", 9, "transient_error", "bytes/s"),
    Case("slow loris headers", 10, "transient_error", "no complete answer within"),
    Case("never answers", 11, "transient_error", "no complete answer within"),
    Case("invalid utf-8", 12, "new_content"),
    Case("gbk labelled utf-8", 13, "new_content"),
    Case("pdf served as html", 14, "not_a_page"),  # kept by hash, like an attachment
    Case("script and markup in text", 15, "new_content"),
    Case("412 challenge, cookie round trip", 16, "new_content"),
    Case("412 challenge, no way through", 17, "blocked"),
    Case("500 storm", 18, "transient_error"),
    Case("200 MB, no Content-Length", 19, "rejected", "too large: "),
    Case("200 MB with Content-Length", 20, "rejected", "too large: "),
    Case("one 10.5 MB text line", 21, "new_content"),
)
BY_NUMBER = {case.number: case for case in CASES}
TITLES = {
    12: "2024年市政府工作重点",
    13: "常州市2021年重点工作",
    15: "关于<script>的通知",
    16: "挑战之后的页面",
    21: "超长单行页面",
}


def page(title: str, paragraphs: list[str], charset: str = "utf-8") -> bytes:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    html = (
        f'<!DOCTYPE html><html><head><meta charset="{charset}"><title>{title}</title></head>'
        f'<body><div class="header">政府信息公开</div><div id="zoom">{body}</div></body></html>'
    )
    return html.encode(charset)


@cache
def gzip_bomb() -> bytes:
    return gzip.compress(b"\0" * BOMB_BYTES, compresslevel=6)


@cache
def brotli_bomb() -> bytes:
    return bytes(brotli.compress(b"\0" * BOMB_BYTES, quality=4))


@cache
def one_line_page() -> bytes:
    line = "全市经济社会发展主要预期目标稳步推进。" * (10_500_000 // 57)
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>超长单行页面</title></head>'
        f'<body><div id="zoom"><p>{line}</p></div></body></html>'
    ).encode()


class HostileSite:
    """Two PortalHTTPServers on 127.0.0.1: the portal (``port``) and another port (``other_port``)."""

    def __init__(self, stall_seconds: float = 60.0) -> None:
        self.stall_seconds = stall_seconds
        self.stop = threading.Event()
        self.hits: dict[str, int] = {}
        self.lock = threading.Lock()
        self.main = PortalHTTPServer(("127.0.0.1", 0), self._handler(other=False))
        self.other = PortalHTTPServer(("127.0.0.1", 0), self._handler(other=True))
        self.port = int(self.main.server_address[1])
        self.other_port = int(self.other.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> HostileSite:
        for server in (self.main, self.other):
            threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for server in (self.main, self.other):
            server.shutdown()
            server.server_close()

    def case_url(self, case: Case) -> str:
        port = self.other_port if case.via_other_port else self.port
        return f"http://127.0.0.1:{port}{case.path()}"

    def hit(self, key: str) -> int:
        with self.lock:
            self.hits[key] = self.hits.get(key, 0) + 1
            return self.hits[key]

    def config(
        self, name: str = "hostile", *, only: Iterable[str] = (), fetch_timeout: float = 10, extra: str = ""
    ) -> str:
        """A [[source]] for this site (bare host, the start URL carries the port); ``only``: these cases."""
        start = f"{self.url}/list.html"
        if only:
            start += "?" + urlencode([("only", case) for case in only])
        return (
            f'[[source]]\nname = "{name}"\nplatform = "generic"\nstart_urls = ["{start}"]\n'
            'allowed_hosts = ["127.0.0.1"]\nallow_private_addresses = true\nobey_robots = false\n'
            "download_delay = 0\nconcurrency = 4\nmax_pages = 5\nmax_depth = 2\ntimeout_seconds = 120\n"
            f"fetch_timeout_seconds = {fetch_timeout:g}\n{extra}"
        )

    # -- the handler -------------------------------------------------------------------------------

    def _handler(self, *, other: bool) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def handle(self) -> None:
                # The crawler hanging up on a fault is the point, not an error.
                with contextlib.suppress(TimeoutError, BrokenPipeError, ConnectionResetError):
                    super().handle()

            def do_GET(self) -> None:
                with contextlib.suppress(TimeoutError, BrokenPipeError, ConnectionResetError):
                    site._serve(self, other)

        return Handler

    def _serve(self, h: BaseHTTPRequestHandler, other: bool) -> None:
        parts = urlsplit(h.path)
        path, query = parts.path, parse_qs(parts.query)
        if other:
            # Fresh content each time: a crawl that got here would record "changes".
            n = self.hit(f"other {path}")
            return self._send(h, 200, page(f"另一个端口的页面 {n}", [f"第 {n} 次访问的内容。"]))
        self.hit(path)
        if path == "/list.html":
            return self._send(h, 200, self._list_page(query))
        number = _case_number(path)
        handler = self._routes().get(number) if number is not None else None
        if handler is not None:
            return handler(h, query)
        if path.startswith("/loop/"):
            return self._redirect(h, BY_NUMBER[4].path())
        if path.startswith("/chain/"):
            hop = int(path.rsplit("/", 1)[1])
            return self._redirect(h, f"/chain/{hop + 1}" if hop < 12 else BY_NUMBER[1].path())
        return self._send(h, 404, b"<html><body>not here</body></html>")

    def _list_page(self, query: dict[str, list[str]]) -> bytes:
        only = query.get("only")
        number = int((query.get("page") or ["1"])[0])
        cases = [c for c in CASES if not only or c.name in only]
        links = [f'<li><a href="{self.case_url(c)}">{c.name}</a></li>' for c in cases]
        if not only:
            links += [
                f'<li><a href="http://mirror{i}.example.invalid{BY_NUMBER[1].path()}">镜像 {i}</a>'
                for i in range(LIST_LINKS_OFFSITE)
            ]
            links += [
                '<li><a href="javascript:void(0)">打印</a></li>',
                f'<li><a href="/doc/2024/01/01/{"9" * 3000}.shtml">过长链接</a></li>',
                '<li><a href="mailto:x@example.org">信箱</a></li>',
                f'<li><a href="/list.html?page={number + 1}">下一页</a></li>',  # a calendar trap
            ]
        # Broken markup: unclosed tags, a stray </html>, control characters in text.
        return (
            "<html><head><meta charset='utf-8'><title>信息公开目录</title></head><body>"
            f"<div><table><tr><td><ul>{''.join(links)}</ul>\x1b[31m<b>未闭合</html><div>"
        ).encode()

    def _routes(self) -> dict[int, Callable[[BaseHTTPRequestHandler, dict[str, list[str]]], None]]:
        normal = (PAGES / "wuxi-2024-priorities.html").read_bytes()
        gbk = (PAGES / "changzhou-2021-key-work.html").read_bytes()
        return {
            1: lambda h, q: self._send(h, 200, normal),
            2: lambda h, q: self._send(h, 200, gzip_bomb(), {"Content-Encoding": "gzip"}),
            3: lambda h, q: self._send(h, 200, brotli_bomb(), {"Content-Encoding": "br"}),
            4: lambda h, q: self._redirect(h, "/loop/b"),
            5: lambda h, q: self._redirect(h, "/chain/1"),
            6: lambda h, q: self._redirect(h, f"http://127.0.0.1:{self.other_port}{BY_NUMBER[6].path()}"),
            7: lambda h, q: self._redirect(h, f"http://localhost:{self.port}{BY_NUMBER[1].path()}"),
            9: lambda h, q: self._trickle(h, head_fast=True),
            10: lambda h, q: self._trickle(h, head_fast=False),
            11: lambda h, q: self._stall(),
            12: lambda h, q: self._send(
                h, 200, _invalid_utf8(), {"Content-Type": "text/html; charset=utf-8"}
            ),
            13: lambda h, q: self._send(h, 200, gbk, {"Content-Type": "text/html; charset=utf-8"}),
            14: lambda h, q: self._send(h, 200, b"%PDF-1.4\n" + bytes(range(256)) * 64),
            15: lambda h, q: self._send(h, 200, _script_page()),
            16: lambda h, q: self._challenge(h, passable=True),
            17: lambda h, q: self._challenge(h, passable=False),
            18: lambda h, q: self._send(h, 500, b"<html><body>Internal Server Error</body></html>"),
            19: lambda h, q: self._flood(h, with_length=False),
            20: lambda h, q: self._flood(h, with_length=True),
            21: lambda h, q: self._send(h, 200, one_line_page()),
        }

    # -- responses ---------------------------------------------------------------------------------

    @staticmethod
    def _send(
        h: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str] | None = None
    ) -> None:
        h.send_response(status)
        headers = {"Content-Type": "text/html; charset=utf-8", **(headers or {})}
        for name, value in headers.items():
            h.send_header(name, value)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def _redirect(self, h: BaseHTTPRequestHandler, location: str) -> None:
        h.send_response(302)
        h.send_header("Location", location)
        h.send_header("Content-Length", "0")
        h.end_headers()

    def _trickle(self, h: BaseHTTPRequestHandler, *, head_fast: bool) -> None:
        """One byte every half second: of the body (headers sent at once) or of everything."""
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n"
        if head_fast:
            h.wfile.write(head)
            h.wfile.flush()
            head = b""
        for byte in head + b"<html>" + b" " * 100000:
            if self.stop.wait(0.5):
                return
            h.wfile.write(bytes([byte]))
            h.wfile.flush()

    def _stall(self) -> None:
        """Accept, read the request, never answer."""
        self.stop.wait(self.stall_seconds)

    def _challenge(self, h: BaseHTTPRequestHandler, *, passable: bool) -> None:
        if passable and "gw_clearance=ok" in (h.headers.get("Cookie") or ""):
            return self._send(h, 200, page(TITLES[16], ["挑战通过后才能看到的正文内容。"]))
        script = b"<html><head><script>document.cookie='x';location.reload()</script></head></html>"
        h.send_response(412)
        # Each case its own cookie: the jar is per host, and one must not overwrite the other's.
        h.send_header("Set-Cookie", "gw_clearance=ok; Path=/" if passable else "gw_block=never; Path=/")
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", str(len(script)))
        h.end_headers()
        h.wfile.write(script)

    def _flood(self, h: BaseHTTPRequestHandler, *, with_length: bool) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        if with_length:
            h.send_header("Content-Length", str(HUGE_BYTES))
        else:
            h.send_header("Connection", "close")
        h.end_headers()
        chunk = b"<p>" + b"x" * (1024 * 1024 - 3)
        for _ in range(HUGE_BYTES // len(chunk)):
            if self.stop.is_set():
                return
            h.wfile.write(chunk)
        h.close_connection = True


def _case_number(path: str) -> int | None:
    prefix, _, name = path.rpartition("/")
    if prefix != "/doc/2024/01/01" or not name.endswith(".shtml") or not name[:-6].isdigit():
        return None
    return int(name[:-6])


def _invalid_utf8() -> bytes:
    good = (
        (PAGES / "wuxi-2024-priorities.html")
        .read_bytes()
        .replace("2024年政府工作重点".encode(), TITLES[12].encode(), 1)
    )
    # Stray continuation bytes and a truncated sequence in the body text.
    return good.replace("地区生产总值".encode(), b"\x80\xbf" + "地区生产总值".encode() + b"\xe4\xb8", 1)


def _script_page() -> bytes:
    return page(
        "关于&lt;script&gt;的通知",
        [
            "<script>document.write('注入的脚本文字')</script>正文第一段，目标增长6%左右。",
            "<style>p{color:red}</style>[bold red]不是标记[/bold red]，\x1b[2J终端控制符。",
            '<img src=x onerror="alert(1)">第三段。',
        ],
    )


@contextmanager
def hostile_site(stall_seconds: float = 60.0) -> Iterator[HostileSite]:
    with HostileSite(stall_seconds) as site:
        yield site


def wait_until(predicate: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()
