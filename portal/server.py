"""The demo portal's HTTP server: conditional requests, per-request noise and the fault cases."""

from __future__ import annotations

import hashlib
import itertools
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

from portal import site
from portal.http import PortalHandler, PortalHTTPServer

_VIEWS_RE = re.compile(rb'<span id="views">(\d+)</span>')
_CLOCK_RE = re.compile(rb'<span id="clock">[0-9: -]{19}</span>')
_TOKEN_RE = re.compile(rb"token=[0-9a-f]{16}")


@dataclass(frozen=True)
class Hit:
    """One request the portal answered (for tests: what was asked, with which headers, and the status)."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    status: int


class PortalServer:
    """A disclosure portal on ``127.0.0.1`` in state ``a`` or ``b``; starts at construction.

    ``bulk_pages`` adds a TRS-style column ``/bulk/index.html``, ``index_1.html`` ... (20 links a
    page, ``createPageHTML`` and 下一页) over that many generated ~45 KB detail pages
    ``/bulk/doc/2024/01/01/N.shtml`` with ETag and Last-Modified.
    """

    def __init__(self, state: str = "a", port: int = 0, host: str = "127.0.0.1", bulk_pages: int = 0) -> None:
        self._resources: dict[str, dict[str, site.Resource]] = {}
        self.state = state
        self._resources_for(state)  # validates the state
        self.bulk_pages = bulk_pages
        self.hits: list[Hit] = []
        self._counter = itertools.count(1)
        self._views = itertools.count(1288)
        self._flaky: dict[str, int] = {}
        self._lock = threading.Lock()
        self.httpd = PortalHTTPServer((host, port), _Handler)
        self.httpd.portal = self  # type: ignore[attr-defined]
        self.host = host
        self.port = int(self.httpd.server_address[1])
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="portal", daemon=True)
        self._thread.start()
        self._stopped = False

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def foreign_url(self) -> str:
        """The same server under another host name: what the portal's off-site links point to."""
        return f"http://localhost:{self.port}"

    def set_state(self, state: str) -> None:
        self._resources_for(state)
        self.state = state

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)

    def wait(self) -> None:
        """Block until the server stops (``python -m portal`` serving in the foreground)."""
        self._thread.join()

    def paths_hit(self) -> list[str]:
        return [h.path for h in self.hits]

    def __enter__(self) -> PortalServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- used by the handler --------------------------------------------------------------------------

    def _resources_for(self, state: str) -> dict[str, site.Resource]:
        if state not in self._resources:
            self._resources[state] = site.resources(state)
        return self._resources[state]

    def resource(self, path: str) -> site.Resource | None:
        found = self._resources_for(self.state).get(path)
        if found is None and self.bulk_pages:
            found = bulk_resource(path, self.bulk_pages)
        return found

    def flaky_attempt(self, path: str) -> int:
        with self._lock:
            self._flaky[path] = self._flaky.get(path, 0) + 1
            return self._flaky[path]

    def noise(self, body: bytes) -> bytes:
        """Per-request volatile bits: view counter, serving clock, session token."""
        n = next(self._counter)
        token = hashlib.sha1(str(n).encode()).hexdigest()[:16].encode()
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S").encode()
        body = _VIEWS_RE.sub(lambda _m: b'<span id="views">%d</span>' % next(self._views), body)
        body = _CLOCK_RE.sub(b'<span id="clock">' + now + b"</span>", body)
        return _TOKEN_RE.sub(b"token=" + token, body)


class _Handler(PortalHandler):
    server_version = "DemoPortal/1.0"

    @property
    def portal(self) -> PortalServer:
        return self.server.portal  # type: ignore[attr-defined]

    # -- routing ---------------------------------------------------------------------------------------

    def answer(self, head: bool = False, form: str = "") -> None:
        parts = urlsplit(self.path)
        path, query = parts.path, parts.query
        if path == site.DATAPROXY:
            params = {k: v[-1] for k, v in parse_qs(query + "&" + form).items()}
            start = int(params.get("startrecord", "1") or 1)
            end = int(params.get("endrecord", str(start + site.HANWEB_PER_PAGE - 1)) or start)
            body = site.dataproxy(self.portal.state, start, end)
            self.send(200, body, {"Content-Type": "text/xml; charset=utf-8"}, head)
            return
        res = self.portal.resource(path)
        if res is None:
            body = site.small_page("页面不存在", "", ["您访问的页面不存在或已被删除。"])
            self.send(404, body, {"Content-Type": "text/html; charset=utf-8"}, head)
            return
        if res.fault and self._fault(res, head, path, query):
            return
        headers = {"Content-Type": res.content_type}
        if res.status == 200:
            if res.etag:
                headers["ETag"] = res.etag_value
            if res.last_modified:
                headers["Last-Modified"] = res.last_modified
            if self.not_modified(res.etag_value if res.etag else None, res.last_modified):
                self.send(304, b"", headers, True)
                return
        body = res.body.replace(b"{port}", str(self.portal.port).encode())
        if res.volatile:
            body = self.portal.noise(body)
        self.send(res.status, body, headers, head)

    def _fault(self, res: site.Resource, head: bool, path: str, query: str) -> bool:
        """Answer a fault case; False when the request passes (the challenge cookie came back)."""
        html = {"Content-Type": "text/html; charset=utf-8"}
        if res.fault == "challenge":
            if f"{site.CHALLENGE_COOKIE}={site.CHALLENGE_VALUE}" in (self.headers.get("Cookie") or ""):
                return False
            cookie = f"{site.CHALLENGE_COOKIE}={site.CHALLENGE_VALUE}; Path=/; Max-Age=3600"
            self.send(412, site.challenge_page(), {**html, "Set-Cookie": cookie}, head)
        elif res.fault == "blocked":
            cookie = f"__jsluid_h={hashlib.md5(path.encode()).hexdigest()}; Path=/; HttpOnly"
            self.send(521, site.challenge_page(), {**html, "Set-Cookie": cookie}, head)
        elif res.fault == "foreign":
            location = self.portal.foreign_url + site.FOREIGN_LANDING
            self.send(302, b"", {"Location": location}, head)
        elif res.fault == "loop":
            location = path if "from=loop" in query else f"{path}?from=loop"
            self.send(302, b"", {"Location": location}, head)
        elif res.fault == "huge":
            headers = {**html, "Content-Encoding": "gzip"}
            self.send(200, site.huge_gzip(), headers, head)
        elif res.fault == "flaky":
            if self.portal.flaky_attempt(path) % 2 == 0:
                return False
            body = res.body
            self.send_response(200)
            self.send_header("Content-Type", res.content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.sent(200)
        else:
            return False
        return True

    def sent(self, status: int) -> None:
        parts = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.portal.hits.append(Hit(self.command, parts.path, parts.query, headers, status))


# -- generated pages for benchmarks ----------------------------------------------------------------------

BULK_PER_LIST = 20


def bulk_resource(path: str, total: int) -> site.Resource | None:
    """``/bulk/index.html``, ``/bulk/index_K.html`` and ``/bulk/doc/2024/01/01/N.shtml`` (N < total)."""
    match = re.fullmatch(r"/bulk/index(?:_(\d+))?\.html", path)
    if match:
        page = int(match.group(1) or 0)
        lists = -(-total // BULK_PER_LIST)
        if not 0 <= page < lists:
            return None
        first = page * BULK_PER_LIST
        links = [
            (f"/bulk/doc/2024/01/01/{n}.shtml", f"第{n}号文件", "2024-01-01")
            for n in range(first, min(first + BULK_PER_LIST, total))
        ]
        pager = f'<script>createPageHTML({lists}, {page}, "index", "html");</script>'
        if page + 1 < lists:
            pager += f'<a href="/bulk/index_{page + 1}.html">下一页</a>'
        return site.Resource(site.list_page("批量栏目", links, pager), etag=False, last_modified=None)
    match = re.fullmatch(r"/bulk/doc/2024/01/01/(\d+)\.shtml", path)
    if not match or int(match.group(1)) >= total:
        return None
    return site.Resource(_bulk_body(int(match.group(1))), last_modified=site.DATE_A)


def _bulk_body(n: int) -> bytes:
    base = site.seed_page("wuxi-2024-priorities.html")
    pad = "".join(
        f'<li><a href="/art/2023/12/{(n + i) % 28 + 1}/art_9{i:03d}.html">相关文件{n}-{i}</a></li>'
        for i in range(90)
    )
    return (
        base.replace("2024年政府工作重点".encode(), f"2024年政府工作重点(第{n}号)".encode(), 2)
        .replace("城镇新增就业13万人".encode(), f"城镇新增就业{13 + n % 7}万人".encode())
        .replace(b"</body>", f'<ul class="related">{pad}</ul></body>'.encode())
    )
