"""No download outlives its source's time limit, so a hung server delays nothing beyond that limit.

Scrapy closes a spider at ``CLOSESPIDER_TIMEOUT`` but then waits for the downloads in flight,
each up to its own ``download_timeout``: a server that accepts and never answers would hold
its source (and the crawl process it shares with other sources) for that long again. Each
request's ``download_timeout`` is cut to what is left of the source's time limit plus a grace.
"""

from __future__ import annotations

import time

from scrapy import Request, signals
from scrapy.crawler import Crawler

GRACE_SECONDS = 2.0  # past the limit: room for the close itself
MIN_TIMEOUT_SECONDS = 0.5


class DeadlineMiddleware:
    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.deadline: float | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DeadlineMiddleware:
        middleware = cls(crawler.settings.getfloat("CLOSESPIDER_TIMEOUT"))
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware

    def spider_opened(self) -> None:
        if self.limit > 0:
            self.deadline = time.monotonic() + self.limit + GRACE_SECONDS

    def process_request(self, request: Request) -> None:
        if self.deadline is None:
            return
        left = max(MIN_TIMEOUT_SECONDS, self.deadline - time.monotonic())
        current = request.meta.get("download_timeout")
        if current is None or current > left:
            request.meta["download_timeout"] = left
