"""Serve a generated portal: one HTTP server per site on 127.0.0.1, switchable between states.

``GeneratedPortal(seed=N)`` generates the portal and starts its servers; ``set_state(k)``
switches every site at once. Per request the servers fill the volatile placeholders (view
counter, clock, per-visit tokens), answer conditional requests with a real 304 on sites with
validators, and play the state's faults: 500 for a whole state, a list page failing on its first
request, slow answers, a 412 JS-cookie interstitial passable with the cookie round trip, and
404/410 for removed documents.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from types import TracebackType
from urllib.parse import parse_qsl, urlencode, urlsplit

from portal.generator import dialects, render
from portal.generator.build import DEFAULT_DOCS_PER_SITE, DEFAULT_SITES, DEFAULT_STATES, generate
from portal.generator.model import Portal, Site
from portal.http import PortalHandler, PortalHTTPServer

VOLATILE = ("uid", "sid", "jsessionid", "_t", "timestamp", "rand", "t", "r", "token")
CHALLENGE_COOKIE = "__jsl_clearance_s"
SLOW_SECONDS = 2.0
EPOCH = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def route_key(target: str) -> str:
    """A request target (or a generated path) without volatile parameters, query sorted."""
    parts = urlsplit(target)
    path = parts.path.split(";", 1)[0]
    params = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in VOLATILE and not k.lower().startswith("utm_")
    ]
    return path + ("?" + urlencode(sorted(params)) if params else "")


@dataclass(frozen=True)
class Resource:
    page: render.Page
    fault: str = ""  # 500 | slow | first500 (500 on the state's first request of the page)
    etag: str = ""
    last_modified: str = ""
    challenge: bool = False


class _Routes:
    """Every path a site answers in one state."""

    def __init__(self, portal: Portal, site: Site, state: int, previous: _Routes | None) -> None:
        self.table: dict[str, Resource] = {}
        st = site.states[state]
        stamp = format_datetime(EPOCH + timedelta(days=state), usegmt=True)

        def add(path: str, page: render.Page | None, fault: str = "", html: bool = True) -> None:
            if page is None:
                return
            key = route_key(path)
            etag = '"' + hashlib.sha1(page.body).hexdigest()[:16] + '"'
            before = previous.table.get(key) if previous else None
            lm = before.last_modified if before and before.etag == etag else stamp
            self.table[key] = Resource(page, fault, etag, lm, challenge=st.challenge and html)

        add(dialects.home(site), render.home_page(portal, site, state))
        self.table.setdefault("/", self.table[route_key(dialects.home(site))])
        add(dialects.entry(site), render.entry_page(site, state))
        if site.catalogue:
            add(dialects.catalogue(site), render.entry_page(site, state, catalogue=True))
        for col in site.columns:
            n = 0
            while True:
                page = render.list_page(portal, site, col, n, state)
                if page is None:
                    break
                add(dialects.column_page(site, col, n), page, st.list_fault if n == 0 else "")
                n += 1
        for doc in site.docs:
            faults = doc.noise[state].faults
            fault = faults[0] if faults else ""
            if doc.live(state):
                add(doc.path, render.detail_page(portal, site, doc, state), fault)
                for att in doc.attachments:
                    add(att.path, render.attachment_bytes(site, doc, att.path, att.ext, state), html=False)
            elif any(c is not None for c in doc.contents[:state]):
                gone = render.Page(
                    b"<html><body><h1>Not Found</h1></body></html>", "text/html", doc.status[state]
                )
                self.table[route_key(doc.path)] = Resource(gone)
                for att in doc.attachments:
                    self.table[route_key(att.path)] = Resource(
                        render.Page(b"", "text/html", doc.status[state])
                    )


class SiteServer:
    def __init__(self, owner: GeneratedPortal, site: Site) -> None:
        self.owner = owner
        self.site = site
        self.httpd = PortalHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.site_server = self  # type: ignore[attr-defined]
        self.port = int(self.httpd.server_address[1])
        self._routes: dict[int, _Routes] = {}
        self._first: set[str] = set()
        self._lock = threading.Lock()
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, name=f"site-{site.index}", daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def routes(self, state: int) -> _Routes:
        with self._lock:
            # in order: Last-Modified of a page that did not change is carried from the state before
            for k in range(state + 1):
                if k not in self._routes:
                    self._routes[k] = _Routes(self.owner.portal, self.site, k, self._routes.get(k - 1))
            return self._routes[state]

    def first_request(self, key: str, state: int) -> bool:
        with self._lock:
            mark = f"{state}:{key}"
            if mark in self._first:
                return False
            self._first.add(mark)
            return True

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


class GeneratedPortal:
    """A generated portal served on 127.0.0.1, one port per site; use as a context manager."""

    def __init__(
        self,
        seed: int = 1,
        *,
        sites: int = DEFAULT_SITES,
        docs_per_site: int = DEFAULT_DOCS_PER_SITE,
        states: int = DEFAULT_STATES,
        state: int = 0,
        portal: Portal | None = None,
        dialects: Sequence[str] | None = None,
    ) -> None:
        self.portal = portal or generate(
            seed, sites=sites, docs_per_site=docs_per_site, states=states, dialects=dialects
        )
        self.state = 0
        self.requests = itertools.count(1)
        self.servers = [SiteServer(self, site) for site in self.portal.sites]
        self.set_state(state)

    def set_state(self, state: int) -> None:
        if not 0 <= state < self.portal.states:
            raise ValueError(f"state {state} outside 0..{self.portal.states - 1}")
        for server in self.servers:
            server.routes(state)  # build before switching: no request sees a half-built state
        self.state = state

    def url(self, site: int, path: str = "/") -> str:
        return self.servers[site].url + path

    def home_urls(self) -> list[str]:
        return [s.url + dialects.home(s.site) for s in self.servers]

    def column_urls(self, site: int) -> list[str]:
        server = self.servers[site]
        return [server.url + dialects.column_page(server.site, c, 0) for c in server.site.columns]

    def site_of_port(self, port: int) -> int | None:
        return next((s.site.index for s in self.servers if s.port == port), None)

    def stop(self) -> None:
        # all at once: each server's shutdown waits for its serve loop to notice
        stoppers = [threading.Thread(target=server.stop) for server in self.servers]
        for t in stoppers:
            t.start()
        for t in stoppers:
            t.join()

    def __enter__(self) -> GeneratedPortal:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class _Handler(PortalHandler):
    server_version = "Apache"

    @property
    def site_server(self) -> SiteServer:
        return self.server.site_server  # type: ignore[attr-defined]

    def answer(self, head: bool = False, form: str = "") -> None:
        server = self.site_server
        owner = server.owner
        state = owner.state
        site = server.site
        parts = urlsplit(self.path)
        if site.dialect == "hanweb" and parts.path == dialects.HANWEB_PROXY:
            params = dict(parse_qsl(parts.query + "&" + form))
            try:
                start = int(params.get("startrecord", "1") or 1)
                end = int(params.get("endrecord", str(start + site.per_page - 1)) or start)
                page = render.hanweb_proxy(site, int(params.get("columnid", "0") or 0), start, end, state)
            except ValueError:
                page = None
            if page is None:
                self._send(404, b"", "text/html", {}, head)
            else:
                self._send(200, self._fill(page.body), page.content_type, {}, head)
            return
        key = route_key(self.path)
        res = server.routes(state).table.get(key)
        if res is None:
            self._send(404, b"<html><body>404 Not Found</body></html>", "text/html", {}, head)
            return
        if res.challenge and CHALLENGE_COOKIE not in (self.headers.get("Cookie") or ""):
            value = hashlib.md5(key.encode()).hexdigest()
            body = (
                "<html><head><script>document.cookie='"
                + CHALLENGE_COOKIE
                + "="
                + value
                + "; path=/'; location.reload();</script></head><body></body></html>"
            ).encode()
            self._send(412, body, "text/html", {"Set-Cookie": f"{CHALLENGE_COOKIE}={value}; Path=/"}, head)
            return
        if res.fault == "500" or (res.fault == "first500" and server.first_request(key, state)):
            self._send(500, b"<html><body>500 Internal Server Error</body></html>", "text/html", {}, head)
            return
        if res.fault == "slow":
            time.sleep(SLOW_SECONDS)
        page = res.page
        headers: dict[str, str] = {}
        if page.status == 200 and site.validators:
            headers = {"ETag": res.etag, "Last-Modified": res.last_modified}
            if self.not_modified(res.etag, res.last_modified):
                self._send(304, b"", "", headers, True)
                return
        self._send(page.status, self._fill(page.body), page.content_type, headers, head)

    def _fill(self, body: bytes) -> bytes:
        """Per-request volatile bits: view counter, clock, per-visit token; the port in absolute links."""
        if b"@@" not in body:
            return body
        server = self.site_server
        n = next(server.owner.requests)
        token = hashlib.sha1(f"{server.owner.portal.seed}/{n}".encode()).hexdigest()
        clock = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S").encode()
        return (
            body.replace(b"@@VIEWS@@", str(1000 + n).encode())
            .replace(b"@@CLOCK@@", clock)
            .replace(b"@@TOK@@", token[: 16 if server.site.token != "uid" else 32].encode())
            .replace(b"@@PORT@@", str(server.port).encode())
        )

    def _send(self, status: int, body: bytes, ctype: str, headers: dict[str, str], head: bool) -> None:
        self.send(status, body, {"Content-Type": ctype, **headers} if ctype else headers, head)
