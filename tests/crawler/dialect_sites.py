"""Serve the hand-written dialect portals of tests/fixtures/dialects on 127.0.0.1 (one port per site),
and crawl them twice for the crawl tests that read what was stored."""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from sqlalchemy import func, select

from portal.http import PortalHTTPServer
from tests.conftest import FIXTURES_DIR
from tests.crawler.conftest import crawl_once
from tracker.db import make_engine, upgrade
from tracker.models import Change, Document, Source

DIALECTS_DIR = FIXTURES_DIR / "dialects"
TOKEN_PARAMETERS = ("uid", "vc", "jsessionid", "_t")


def fill(text: str, title: str = "") -> str:
    """A page as one visit sees it: a fresh token in every link."""
    return text.replace("@@TOK@@", secrets.token_hex(8)).replace("@@TITLE@@", title)


def fixture_text(site: str, name: str) -> str:
    return (DIALECTS_DIR / site / name).read_text(encoding="utf-8")


def route_key(method: str, target: str) -> str:
    """``GET /path?query`` without the per-visit parameters, query sorted."""
    parts = urlsplit(target)
    path = parts.path.split(";", 1)[0]
    query = sorted((k, v) for k, v in parse_qsl(parts.query) if k not in TOKEN_PARAMETERS)
    return f"{method} {path}" + (f"?{urlencode(query)}" if query else "")


@dataclass
class DialectSite:
    name: str
    routes: dict[str, dict[str, str | int]] = field(default_factory=dict)
    details: dict[str, str] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        manifest = json.loads((DIALECTS_DIR / self.name / "routes.json").read_text(encoding="utf-8"))
        self.details = manifest.pop("details", {})
        self.routes = manifest
        self.lock = threading.Lock()
        self.httpd = PortalHTTPServer(("127.0.0.1", 0), self._handler())
        self.port = int(self.httpd.server_address[1])
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def answer(self, method: str, target: str) -> tuple[int, bytes, str]:
        key = route_key(method, target)
        with self.lock:
            self.hits.append(key)
        target = key.split(" ", 1)[1]
        path = target.split("?", 1)[0]
        # Dynamic detail pages (``detail.jsp?id=…``) are listed with their query, static ones by path.
        title = self.details.get(target) if "?" in target else None
        if method == "GET" and (title is not None or path in self.details):
            body = fill(fixture_text(self.name, "detail.html"), title or self.details[path])
            return 200, body.encode(), "text/html; charset=utf-8"
        route = self.routes.get(key) or self.routes.get(f"{method} {path}")
        if route is None or "file" not in route:
            status = int(route.get("status", 404)) if route else 404
            return status, b"<html><body>404 Not Found</body></html>", "text/html; charset=utf-8"
        file = DIALECTS_DIR / self.name / str(route["file"])
        ctype = str(route.get("content_type", "text/html; charset=utf-8"))
        if ctype.startswith(("text/", "application/xml")):
            return 200, fill(file.read_text(encoding="utf-8")).encode(), ctype
        return 200, file.read_bytes(), ctype

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                status, body, ctype = site.answer(method, self.path)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

        return Handler

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def expected_documents(site: str) -> set[str]:
    manifest = json.loads((DIALECTS_DIR / site / "routes.json").read_text(encoding="utf-8"))
    return set(manifest["details"])


def page(site: str, name: str) -> tuple[str, Path]:
    """A fixture page with fixed tokens (for pure tests) and its path."""
    path = DIALECTS_DIR / site / name
    return path.read_text(encoding="utf-8").replace("@@TOK@@", "0a1b2c3d4e5f6789"), path


# -- two crawls of dialect sites, and what they stored ------------------------------------------


def source_block(name: str, start_url: str, extra: str = "") -> str:
    """A ``[[source]]`` of a local site: private address allowed, no delay."""
    return (
        f'[[source]]\nname = "{name}"\nstart_urls = ["{start_url}"]\n'
        f'allowed_hosts = ["127.0.0.1"]\nallow_private_addresses = true\ndownload_delay = 0\n{extra}'
    )


def write_config(path: Path, blocks: list[str]) -> Path:
    path.write_text(
        '[settings]\ncontact = "mailto:test@govwatch.invalid"\n\n' + "\n".join(blocks), encoding="utf-8"
    )
    return path


@dataclass
class Crawled:
    """Two crawls of each source, one after the other, into one database."""

    sites: dict[str, DialectSite]
    summaries: dict[str, list[dict[str, Any]]]
    exit_codes: dict[str, list[int]]
    db_url: str


def crawl_twice(sites: dict[str, DialectSite], names: list[str], config: Path, db_url: str) -> Crawled:
    """Crawl every source of ``names`` twice with ``python -m crawler``; each must end with a summary."""
    engine = make_engine(db_url)
    upgrade(engine)
    engine.dispose()
    summaries: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    codes: dict[str, list[int]] = {name: [] for name in names}
    for _ in range(2):
        for name in names:
            summary, code = crawl_once(name, config, db_url)
            summaries[name].append(summary)
            codes[name].append(code)
    return Crawled(sites, summaries, codes, db_url)


def stored_documents(db_url: str, source: str) -> list[tuple[str, str]]:
    """(URL, kind) of every document stored for ``source``."""
    engine = make_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(Document.url, Document.kind)
            .join(Source, Source.id == Document.source_id)
            .where(Source.name == source)
        ).all()
    engine.dispose()
    return [(url, str(kind)) for url, kind in rows]


def documents_added(db_url: str) -> dict[str, int]:
    """How many ``document_added`` events each source has."""
    engine = make_engine(db_url)
    with engine.connect() as conn:
        added = dict(
            conn.execute(
                select(Source.name, func.count(Change.id))
                .join(Source, Source.id == Change.source_id)
                .where(Change.kind == "document_added")
                .group_by(Source.name)
            ).all()
        )
    engine.dispose()
    return {str(name): int(count) for name, count in added.items()}
