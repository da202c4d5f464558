"""Bounds on one page's download while it happens: a deadline over every attempt, a minimum rate, a size.

Scrapy's ``DOWNLOAD_TIMEOUT`` bounds one attempt, so a server that never answers held a page
for 30 s x 3 attempts, and a body without Content-Length that outgrew ``DOWNLOAD_MAXSIZE``
ended as a cancelled (transient) download. This handler is Scrapy's HTTP/1.1 handler with
the clock started when the transfer starts (not while the request waits for its slot):

- the first attempt of a page sets its deadline ``fetch_timeout_seconds`` ahead; every
  attempt (retries, the anti-bot retry) only gets what is left of it, and one that starts
  after it is refused as ``timeout`` (a transient error: the page is tried again next crawl);
- once a body has been arriving for ``RATE_GRACE_SECONDS``, fewer than ``min_bytes_per_second``
  on average stops it as ``timeout`` (slow loris), without retrying;
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
DEADLINE = "govwatch_deadline"
STARTED = "govwatch_transfer_started"
RECEIVED = "govwatch_bytes_received"
STOPPED = "govwatch_stopped"  # (hint, message) of a download this module stopped


class DeadlineDownloadHandler(HTTP11DownloadHandler):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.budget = crawler.settings.getfloat(FETCH_TIMEOUT_SETTING, 30.0)
        self.min_rate = crawler.settings.getint(MIN_RATE_SETTING, 0)
        self.maxsize = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        crawler.signals.connect(self.bytes_received, signal=signals.bytes_received)

    async def download_request(self, request: Request) -> Response:
        now = monotonic()
        deadline = request.meta.setdefault(DEADLINE, now + self.budget)
        remaining = deadline - now
        if remaining <= 0:
            raise Refused(
                f"no complete answer within {self.budget:g} s over all attempts: {request.url}", "timeout"
            )
        ceiling = request.meta.get("download_timeout") or remaining  # DOWNLOAD_TIMEOUT, per attempt
        request.meta["download_timeout"] = min(remaining, ceiling)
        request.meta[STARTED] = now
        request.meta[RECEIVED] = 0
        return await super().download_request(request)

    def bytes_received(self, data: bytes, request: Request, spider: Any) -> None:
        received = request.meta.get(RECEIVED, 0) + len(data)
        request.meta[RECEIVED] = received
        if self.maxsize and received > self.maxsize:
            self._stop(request, "too_large", f"body larger than {self.maxsize} bytes (still arriving)")
        elapsed = monotonic() - request.meta.get(STARTED, monotonic())
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
