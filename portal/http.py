"""The HTTP side every served portal shares (the demo portal and the generated ones).

A threading server with a real server's listen backlog, and a keep-alive HTTP/1.1 handler that
answers GET, HEAD and POST through one ``answer`` method, sends a response with its length, and
decides conditional requests as a real server does (``If-None-Match`` first, else
``If-Modified-Since``).
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class PortalHTTPServer(ThreadingHTTPServer):
    # socketserver's backlog of 5 drops the SYNs of a crawler opening 8 connections at once;
    # each dropped one is retried by the kernel a second later: a ~1 s stall no real server makes.
    request_queue_size = 128
    daemon_threads = True


class PortalHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: without this, Nagle + delayed ACK stall
    # every keep-alive response by ~40 ms.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.answer()

    def do_HEAD(self) -> None:
        self.answer(head=True)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        self.answer(form=form)

    def answer(self, head: bool = False, form: str = "") -> None:
        """Answer the request (``form``: a POST's body); ``head`` sends the headers only."""
        raise NotImplementedError

    def not_modified(self, etag: str | None, last_modified: str | None) -> bool:
        """Whether the request's validators match the resource's (then the answer is a 304)."""
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            return etag is not None and etag in [t.strip() for t in inm.split(",")]
        ims = self.headers.get("If-Modified-Since")
        if ims and last_modified:
            try:
                return parsedate_to_datetime(ims) >= parsedate_to_datetime(last_modified)
            except (TypeError, ValueError):
                return False
        return False

    def send(self, status: int, body: bytes, headers: dict[str, str], head: bool) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head and body:
            self.wfile.write(body)
        self.sent(status)

    def sent(self, status: int) -> None:
        """Called after every response (the demo portal keeps a log of them)."""
