"""Bounds on one page's download while it happens: a deadline over every attempt, a minimum rate, a size.

Scrapy's ``DOWNLOAD_TIMEOUT`` bounds one attempt, so a server that never answers held a page
for 30 s x 3 attempts, and a body without Content-Length that outgrew ``DOWNLOAD_MAXSIZE``
ended as a cancelled (transient) download. This handler is Scrapy's HTTP/1.1 handler with
the clock started when the transfer starts (not while the request waits for its slot):

- a page has ``fetch_timeout_seconds`` of transfer time over all its attempts: every attempt
  (retries, the anti-bot retry) only gets what the ones before it left, and one with nothing
  left is refused as ``timeout`` (a transient error: the page is tried again next crawl).
  Time spent waiting for a free slot or between attempts does not count: on a busy host it
  says nothing about the page;
- once a body has been arriving for ``RATE_GRACE_SECONDS``, fewer than ``min_bytes_per_second``
  on average stops it as ``timeout`` (slow loris), without retrying. The rate is counted from the
  response headers (Scrapy's ``headers_received``), not from the request: a portal that takes
  seconds to start answering and then sends its page at once is slow, not trickling, and the
  time before its headers is bounded by the deadline above. Counted from the request, a 6 KB
  page that began after 6 s read as 1,000 bytes/s and was thrown away;
- counting the bytes as they arrive stops a body at ``DOWNLOAD_MAXSIZE`` as ``too_large``
  (rejected), with or without a Content-Length.

Other pages go on meanwhile: only the slot of the slow page is held, and not for longer
than its deadline.
"""

from __future__ import annotations

from time import monotonic
from typing import Any

from scrapy import Request, signals
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler
from scrapy.exceptions import StopDownload
from scrapy.http import Response

from crawler.middlewares import Refused

FETCH_TIMEOUT_SETTING = "GOVWATCH_FETCH_TIMEOUT"
MIN_RATE_SETTING = "GOVWATCH_MIN_BYTES_PER_SECOND"
RATE_GRACE_SECONDS = 5.0  # a body may start slowly (a portal rendering it) before its rate counts
SPENT = "govwatch_transfer_seconds"  # transfer time of the page's attempts so far
STARTED = "govwatch_transfer_started"
BODY_STARTED = "govwatch_body_started"  # when this attempt's response headers arrived
RECEIVED = "govwatch_bytes_received"
STOPPED = "govwatch_stopped"  # (hint, message) of a download this module stopped
HANDLER = "govwatch_transfer_handler"  # which handler instance downloads the request


class DeadlineDownloadHandler(HTTP11DownloadHandler):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.budget = crawler.settings.getfloat(FETCH_TIMEOUT_SETTING, 30.0)
        self.min_rate = crawler.settings.getint(MIN_RATE_SETTING, 0)
        self.maxsize = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        # Scrapy makes one handler per scheme (http, https), and each hears every download's
        # signals: only the one downloading a request counts its bytes, or each is counted twice.
        crawler.signals.connect(self.headers_received, signal=signals.headers_received)
        crawler.signals.connect(self.bytes_received, signal=signals.bytes_received)

    async def download_request(self, request: Request) -> Response:
        spent = request.meta.get(SPENT, 0.0)
        remaining = self.budget - spent
        if remaining <= 0:
            raise Refused(
                f"no complete answer within {self.budget:g} s over all attempts: {request.url}", "timeout"
            )
        ceiling = request.meta.get("download_timeout") or remaining  # DOWNLOAD_TIMEOUT, per attempt
        request.meta["download_timeout"] = min(remaining, ceiling)
        request.meta[HANDLER] = id(self)
        started = request.meta[STARTED] = monotonic()
        request.meta.pop(BODY_STARTED, None)  # a retry copies the meta of the attempt before it
        request.meta[RECEIVED] = 0
        try:
            return await super().download_request(request)
        finally:
            # Retries copy the request's meta after this: they inherit what this attempt used.
            request.meta[SPENT] = spent + monotonic() - started

    def headers_received(self, headers: Any, body_length: int, request: Request, spider: Any) -> None:
        if request.meta.get(HANDLER) == id(self):
            request.meta[BODY_STARTED] = monotonic()

    def bytes_received(self, data: bytes, request: Request, spider: Any) -> None:
        if request.meta.get(HANDLER) != id(self):
            return
        received = request.meta.get(RECEIVED, 0) + len(data)
        request.meta[RECEIVED] = received
        if self.maxsize and received > self.maxsize:
            self._stop(request, "too_large", f"body larger than {self.maxsize} bytes (still arriving)")
        now = monotonic()
        elapsed = now - request.meta.get(BODY_STARTED, request.meta.get(STARTED, now))
        if self.min_rate and elapsed > RATE_GRACE_SECONDS and received < self.min_rate * elapsed:
            rate = received / elapsed
            self._stop(
                request,
                "timeout",
                f"body arriving at {rate:.0f} bytes/s, below the minimum of {self.min_rate} bytes/s",
            )

    @staticmethod
    def _stop(request: Request, hint: str, message: str) -> None:
        request.meta[STOPPED] = (hint, message)
        raise StopDownload(fail=True)
