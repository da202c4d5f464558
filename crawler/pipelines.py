"""The one item pipeline: every PageSnapshot goes to ``tracker.record`` in its own transaction."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from scrapy.crawler import Crawler
from sqlalchemy.orm import Session, sessionmaker

from tracker.db import session_scope
from tracker.page import PageSnapshot

log = logging.getLogger(__name__)


class Recorded(Protocol):
    outcome: Any
    version_id: int | None
    changes: list[int]


Recorder = Callable[[PageSnapshot], Recorded]


def database_recorder(
    factory: sessionmaker[Session], channels: Mapping[str, frozenset[str] | None]
) -> Recorder:
    """Record each snapshot in its own transaction: a crash or SIGTERM never leaves half a version."""
    from tracker.record import record

    def record_one(page: PageSnapshot) -> Recorded:
        with session_scope(factory) as session:
            return record(session, page, channels=channels)

    return record_one


class RecordPipeline:
    """Hands snapshots to the spider's recorder on one worker thread.

    One writer thread keeps SQLite free of lock contention and the reactor free of blocking
    database work; normalisation inside ``record`` runs there too.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="record")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RecordPipeline:
        return cls(crawler)

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, PageSnapshot):
            return item
        spider: Any = self.crawler.spider
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(self.executor, spider.recorder, item)
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

    def close_spider(self) -> None:
        self.executor.shutdown(wait=True)
