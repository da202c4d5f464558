"""The one item pipeline: every PageFetch goes to ``tracker.record`` in its own transaction."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from scrapy.crawler import Crawler

from crawler.progress import Progress
from crawler.recording import Recording
from crawler.spiders.base import PortalSpider
from crawler.stats import CrawlCounts
from tracker.page import PageFetch

log = logging.getLogger(__name__)


class RecordPipeline:
    """Records one source's snapshots through the process's ``Recording``; counts them in the stats.

    ``from_crawler`` takes the source's recorder, counts and progress from its spider (the
    crawl process builds them, one per source); ``close_spider`` waits until every page handed
    over is recorded, so a source's run is stamped only after its last page.
    """

    def __init__(
        self,
        recording: Recording,
        counts: CrawlCounts,
        progress: Progress,
        known: frozenset[str] = frozenset(),
    ) -> None:
        self.recording = recording
        self.counts = counts
        self.progress = progress
        self.known = known  # canonical URLs of the source's stored documents
        self.pending: set[asyncio.Future[Any]] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RecordPipeline:
        spider = crawler.spider
        if not isinstance(spider, PortalSpider):
            raise TypeError(f"RecordPipeline needs a PortalSpider, not {type(spider).__name__}")
        return cls(spider.recording, spider.counts, spider.progress, frozenset(spider.known_urls))

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, PageFetch):
            return item
        future = asyncio.ensure_future(self.recording.record(item, known=item.url in self.known))
        self.pending.add(future)
        try:
            result = await future
        except Exception as exc:  # a page that cannot be recorded must not stop the crawl
            log.exception("could not record %s", item.url)
            self.counts.add("record_errors")
            self.counts.note_error(f"record {item.url}: {type(exc).__name__}: {exc}")
            return item
        finally:
            self.pending.discard(future)
        outcome = str(getattr(result.outcome, "value", result.outcome))
        self.counts.record_outcome(outcome, result.version_id is not None, len(result.changes or []))
        if getattr(result, "same_body", False):
            self.counts.add("unchanged_bodies")  # unchanged by the raw body alone: not normalised
        if outcome in ("transient_error", "rejected", "blocked"):
            self.counts.note_error(f"{item.url}: {outcome} ({item.error or item.status})")
        self.progress.update(self.counts)
        return item

    async def close_spider(self) -> None:
        if self.pending:
            await asyncio.gather(*self.pending, return_exceptions=True)
        self.progress.update(self.counts, force=True)
