"""The one item pipeline: every PageSnapshot goes to ``tracker.record`` in its own transaction."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler

from tracker.page import PageSnapshot

log = logging.getLogger(__name__)


class RecordPipeline:
    """Hands each snapshot to the spider's ``Recording`` (its own transaction, off the reactor thread)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RecordPipeline:
        return cls(crawler)

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, PageSnapshot):
            return item
        spider: Any = self.crawler.spider
        try:
            result = await spider.recording.record(item)
        except Exception as exc:  # a page that cannot be recorded must not stop the crawl
            log.exception("could not record %s", item.url)
            spider.counts.add("record_errors")
            spider.counts.note_error(f"record {item.url}: {type(exc).__name__}: {exc}")
            return item
        outcome = str(getattr(result.outcome, "value", result.outcome))
        spider.counts.record_outcome(outcome, result.version_id is not None, len(result.changes or []))
        if outcome in ("transient_error", "rejected", "blocked"):
            spider.counts.note_error(f"{item.url}: {outcome} ({item.error or item.status})")
        spider.progress.update(spider.counts)
        return item
